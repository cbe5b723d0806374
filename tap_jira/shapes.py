"""What each endpoint's answer must look like before the tap reads records out of it.

A page whose list is an object, or an array where an object was due, would otherwise
yield nothing (a run that "succeeds" with zero rows) or end in a traceback deep in the
pager.  This is one table checked in one place (`api.answers.check`), so a
new endpoint adds one row.
"""

from __future__ import annotations

import re
from typing import Any

from .errors import JiraAPIError

# (path pattern, where the records are: a key of the object body, "" for a bare array,
# None for an object that is itself the record)
SHAPES: list[tuple[re.Pattern[str], str | None]] = [(re.compile(pattern), key) for pattern, key in [
    (r"/rest/api/\d/search(/jql)?$", "issues"),
    (r"/rest/api/\d/issue/bulkfetch$", "issues"),
    (r"/rest/api/\d/changelog/bulkfetch$", "issueChangeLogs"),
    (r"/rest/api/\d/issue/[^/]+/comment$", "comments"),
    (r"/rest/api/\d/issue/[^/]+/worklog$", "worklogs"),
    (r"/rest/api/\d/issue/[^/]+$", None),
    (r"/rest/api/\d/(project|resolution)/search$", "values"),
    (r"/rest/api/2/(project|resolution)$", ""),
    (r"/rest/api/\d/users?/search$", ""),
    (r"/rest/agile/1\.0/board$", "values"),
    (r"/rest/agile/1\.0/board/[^/]+/sprint$", "values"),
    (r"/rest/api/\d/myself$", None),
    (r"/rest/api/\d/serverInfo$", None),
    # Lookups and project metadata (streams/lookups.py, project_metadata.py, groups.py, custom_fields.py).
    (r"/rest/api/\d/(issuetype|status|statuscategory|field|projectCategory|project/type|role|priority)$", ""),
    (r"/rest/api/\d/priority/search$", "values"),
    (r"/rest/api/\d/issueLinkType$", "issueLinkTypes"),
    (r"/rest/api/\d/project/[^/]+/(version|component)$", "values"),
    (r"/rest/api/2/project/[^/]+/(versions|components)$", ""),
    (r"/rest/api/\d/group/(bulk|member)$", "values"),
    (r"/rest/api/2/groups/picker$", "groups"),
    (r"/rest/api/\d/field/[^/]+/context(/[^/]+/option)?$", "values"),
    (r"/rest/agile/1\.0/board/[^/]+/project$", "values"),
    (r"/rest/agile/1\.0/board/[^/]+/issue$", "issues"),
]]


def check(method: str, path: str, body: Any) -> None:
    """Raise a one-line JiraAPIError naming the endpoint when `body` has the wrong shape."""
    for pattern, key in SHAPES:
        if pattern.search(path):
            problem = _problem(body, key)
            if problem:
                raise JiraAPIError(f"Jira's answer to {method} {path} has an unexpected shape: {problem}; a proxy or "
                                   "a Jira version the tap does not know may be answering (what was emitted before "
                                   "the last STATE is complete)")
            return


# Paging fields, where present, and the types the pagers rely on.
PAGING_TYPES: dict[str, tuple[type, ...]] = {
    "isLast": (bool,), "total": (int,), "startAt": (int,), "maxResults": (int,), "nextPageToken": (str, type(None)),
}
# Record lists whose records must carry a numeric id (children and batches are matched on it).
ID_LISTS = {"issues": "id", "issueChangeLogs": "issueId"}


def _problem(body: Any, key: str | None) -> str | None:
    if key is None:
        return None if isinstance(body, dict) else f"an object was due, not {kind(body)}"
    if isinstance(body, dict):
        for field, types in PAGING_TYPES.items():
            if field in body and not _is(body[field], types):
                return f"`{field}` is {kind(body[field])}"
    if key:
        if not isinstance(body, dict):
            return f"an object with `{key}` was due, not {kind(body)}"
        if key not in body:
            return f"`{key}` is missing"
        records, where = body[key], f"`{key}`"
    else:
        records, where = body, "the body"
    if not isinstance(records, list):
        return f"{where} is {kind(records)}, not a list"
    if any(not isinstance(record, dict) for record in records):
        return f"{where} holds {kind(next(r for r in records if not isinstance(r, dict)))} where records were due"
    if key in ID_LISTS:
        id_key = ID_LISTS[key]
        for record in records:
            if not str(record.get(id_key, "")).isdigit():
                return f"an entry of {where} has no numeric `{id_key}` ({record.get(id_key)!r})"
    return None


def catalog_problem(catalog: dict[str, Any]) -> str | None:
    """Why a catalog (a JSON object) is not one the SDK can read, or None."""
    streams = catalog.get("streams")
    if not isinstance(streams, list):
        return f"`streams` must be a list, not {kind(streams)}"
    for number, entry in enumerate(streams):
        where = f"`streams[{number}]`"
        if not isinstance(entry, dict):
            return f"{where} must be an object, not {kind(entry)}"
        if not isinstance(entry.get("tap_stream_id"), str):
            return f"{where}.tap_stream_id must be a string"
        if not isinstance(entry.get("schema", {}), dict):
            return f"{where}.schema must be an object, not {kind(entry['schema'])}"
        metadata = entry.get("metadata", [])
        if not isinstance(metadata, list) or not all(isinstance(item, dict) for item in metadata):
            return f"{where}.metadata must be a list of objects"
    return None


def _is(value: Any, types: tuple[type, ...]) -> bool:
    """isinstance, where a boolean is not a number (JSON's true is not 1)."""
    return isinstance(value, bool) if bool in types else isinstance(value, types) and not isinstance(value, bool)


def kind(value: Any) -> str:
    """A JSON value's type, as an error message names it."""
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number")
