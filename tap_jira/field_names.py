"""Custom fields under their names: a top-level column of `issues` per custom field
(`story_points`, `sprint`), so SQL and `meltano select` need no `customfield_` id, which
differs from site to site.

The column names are chosen at discovery from the site's field names and then live in
the catalog; a sync fills each named column from the field id its description carries
(`a copy of fields.customfield_10016`), so it needs no `/field` call and a column keeps
its field for as long as the catalog does.  Rules, in order:

- `custom_field_columns` (a setting: field id -> column) pins a name for good;
- otherwise the field's name in lower snake case (ASCII, at most 60 characters);
- two fields with one name: the oldest (lowest id) keeps it, the others get their number
  appended (`team_10031`), so adding a field never renames an existing column;
- a name the record already uses at the top level (`id`, `key`, `updated`, ...) gets the
  number appended too.

A field renamed in Jira gets a new column at the next discovery; STATE remembers the
column each field was first written to, and the sync warns every run until the rename
is settled by pinning one of the two names.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from . import field_types

MAX_LENGTH = 60  # PostgreSQL cuts identifiers at 63 bytes; leave room for a loader's suffixes
# How a named column's description ends (the field's own name comes before it, so only
# the end is read): which field fills it, and whether as JSON text.
COPY_OF = re.compile(r"a copy of fields\.([^\s,]+)(, as JSON text)?$")
AS_TEXT = ", as JSON text"
# The top-level keys of Jira's IssueBean: a column named after a field must not take one.
ISSUE_KEYS = {"id", "key", "self", "expand", "updated", "fields", "changelog", "renderedFields", "names",
              "schema", "operations", "editmeta", "transitions", "versionedRepresentations", "fieldsToInclude",
              "properties"}
COLUMN = re.compile(r"[a-z_][a-z0-9_]*")


def is_custom(field: dict[str, Any]) -> bool:
    return field.get("custom") is True or str(field.get("id", "")).startswith("customfield_")


def snake_case(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "_", ascii_name.lower()).strip("_")
    return _fit("f_" + slug if slug[:1].isdigit() else slug, "")


def _fit(base: str, suffix: str) -> str:
    """`base` cut so that it and `suffix` fit in MAX_LENGTH, without a trailing `_` of its own."""
    return base[:MAX_LENGTH - len(suffix)].rstrip("_") + suffix


def _number(field_id: str) -> str:
    return field_id.rsplit("_", 1)[-1]


def choose_columns(fields: list[dict[str, Any]], pinned: Mapping[str, str]) -> dict[str, str]:
    """Field id -> column for every custom field of `fields` (`/field` entries)."""
    custom = sorted((f for f in fields if isinstance(f, dict) and f.get("id") and is_custom(f)),
                    key=lambda f: (len(str(f["id"])), str(f["id"])))  # numeric order: oldest first
    on_site = {str(f["id"]) for f in custom}
    chosen = {field_id: column for field_id, column in pinned.items() if field_id in on_site}
    used = ISSUE_KEYS | set(chosen.values())
    for field in custom:
        field_id = str(field["id"])
        if field_id in chosen:
            continue
        base = snake_case(str(field.get("name") or "")) or field_id
        column, turn = base, 1
        while column in used:  # a second turn only for a name that already ends in another's number
            column = _fit(base, f"_{_number(field_id)}" + (f"_{turn}" if turn > 1 else ""))
            turn += 1
        chosen[field_id] = column
        used.add(column)
    return chosen


def named_property(field: dict[str, Any], prop: dict[str, Any]) -> dict[str, Any]:
    """The column's schema: the field's own, with where it is copied from in `description`.
    A field of no declared type (`any`, plug-in types) or of text-or-JSON (a text area:
    ADF on Cloud, text on Server) is a text column (see `column_value`): a property with no
    `type` stops loaders that flatten by hand, and a JSON column (target-duckdb's choice
    for any type that includes object or array) refuses plain text."""
    field_id, name = str(field["id"]), str(field.get("name") or field["id"])
    if as_text(prop):
        return {"type": ["string", "null"], "title": name, "description": f"{name} (Jira field {field_id}, "
                f"{field_types.jira_kind(field)}; text as Jira sent it, anything else as JSON): a copy of "
                f"fields.{field_id}{AS_TEXT}"}
    return {**prop, "description": f"{prop['description']}: a copy of fields.{field_id}"}


def as_text(prop: dict[str, Any]) -> bool:
    """Whether a field of this property gets a text column: it is open, or text-or-JSON."""
    types = prop.get("type") or []
    return not types or ("string" in types and ("object" in types or "array" in types))


def column_value(value: Any, *, open_field: bool) -> Any:
    """The value for a named column: as in `fields`, but JSON text for an open field's
    value that is not text."""
    if open_field and value is not None and not isinstance(value, str):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return value


def columns_in(schema: dict[str, Any]) -> dict[str, tuple[str, bool]]:
    """Column -> (field id, whether it is an open field's text column), for the named
    columns a catalog's issues schema declares."""
    found = {}
    for column, prop in (schema.get("properties") or {}).items():
        description = str(prop.get("description") or "") if isinstance(prop, dict) else ""
        if match := COPY_OF.search(description):
            found[column] = (match.group(1), bool(match.group(2)))
    return found


def pin_problem(pinned: Any) -> str | None:
    """Why a `custom_field_columns` value cannot be used, or None."""
    if not isinstance(pinned, dict):
        return 'must be an object such as {"customfield_10016": "story_points"}'
    for field_id, column in pinned.items():
        if not isinstance(column, str) or not COLUMN.fullmatch(column) or len(column) > MAX_LENGTH:
            return (f"maps {field_id!r} to {column!r}: a column is lower case letters, digits and _, not "
                    f"starting with a digit, at most {MAX_LENGTH} long")
        if column in ISSUE_KEYS:
            return f"maps {field_id!r} to {column!r}, which the issues record already has"
    duplicated = {column for column in pinned.values() if list(pinned.values()).count(column) > 1}
    if duplicated:
        return f"gives two fields the column {sorted(duplicated)[0]!r}"
    return None


def renames(columns: dict[str, tuple[str, bool]], first_written: dict[str, str]) -> list[tuple[str, str, str]]:
    """(field id, column before, column now) for each field whose column moved since STATE
    first saw it (`columns`: this run's, as `columns_in` gives them)."""
    now = {field_id: column for column, (field_id, _) in columns.items()}
    return [(field_id, before, now[field_id]) for field_id, before in sorted(first_written.items())
            if field_id in now and now[field_id] != before]
