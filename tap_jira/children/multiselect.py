"""Multi-value field history: after each change of a multi-value field, one row per value
the field then holds (one row with a null value when it was emptied), so "which
components, labels or sprints did the issue have on day D" is one query.

Jira logs these fields in two ways, and both are read here without a request:

- the whole set after the change: labels (space separated), the sprint field (ids comma
  separated in `to`, names in `toString`), and multi-value custom fields: multi-selects,
  multi-user pickers (`[id, id]`), labels-type fields (space separated, like labels);
- one item per value added or removed: components, fix versions and affects versions.
  The set after each change is then rebuilt backwards from the issue's current value,
  which is sound because the changelogs are complete (beyond the inline caps).

A custom field counts as multi-value when the issue's current value is a list (or it is
the sprint field); one that is empty on the issue now is not recognised, and its changes
stay in `issue_field_history` only.
"""

from __future__ import annotations

from typing import Any

from .derived import sprints_in

PER_VALUE_FIELDS = ("components", "fixVersions", "versions")
WHOLE_SET_SYSTEM_FIELDS = ("labels",)
SPRINT_NAME = "Sprint"  # the name Jira Software's sprint field logs under
# The names these system fields log under, for items without `fieldId` (older Server).
SYSTEM_NAMES = {"Component": "components", "Fix Version": "fixVersions", "Version": "versions", "labels": "labels"}


def _field_id(item: dict[str, Any]) -> str:
    return str(item.get("fieldId") or SYSTEM_NAMES.get(str(item.get("field"))) or item.get("field"))


def multiselect_history(histories: list[dict[str, Any]], issues: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows for `histories` (changelog records tagged with `issueId`, oldest first per issue)."""
    by_issue: dict[str, list[dict[str, Any]]] = {}
    for history in histories:
        by_issue.setdefault(str(history.get("issueId")), []).append(history)
    rows: list[dict[str, Any]] = []
    for issue in issues:
        fields: dict[str, Any] = issue["fields"] if isinstance(issue.get("fields"), dict) else {}
        own = by_issue.get(str(issue.get("id")), [])
        for field_id in PER_VALUE_FIELDS:
            rows += _rebuilt_backwards(own, field_id, fields.get(field_id))
        rows += _whole_sets(own, fields)
    return rows


def _items(history: dict[str, Any]) -> list[dict[str, Any]]:
    items = history.get("items")
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []


def _row(history: dict[str, Any], item: dict[str, Any], index: int, value: str | None,
         text: str | None) -> dict[str, Any]:
    return {"issueId": str(history.get("issueId")), "historyId": str(history.get("id")),
            "fieldId": _field_id(item), "field": item.get("field"),
            "created": history.get("created"), "valueIndex": index, "value": value, "valueString": text}


def _rows(history: dict[str, Any], item: dict[str, Any], values: list[tuple[str | None, str | None]]
          ) -> list[dict[str, Any]]:
    return [_row(history, item, index, value, text)
            for index, (value, text) in enumerate(values or [(None, None)])]


def _rebuilt_backwards(histories: list[dict[str, Any]], field_id: str, current: Any) -> list[dict[str, Any]]:
    values = {str(v.get("id")): v.get("name") for v in current if isinstance(v, dict)} if isinstance(
        current, list) else {}
    rows = []
    for history in reversed(histories):
        items = [item for item in _items(history) if _field_id(item) == field_id]
        if not items:
            continue
        rows += _rows(history, items[0], list(values.items()))
        for item in items:  # undo the change: what it added goes, what it removed comes back
            if item.get("to"):
                values.pop(str(item["to"]), None)
            if item.get("from"):
                values[str(item["from"])] = item.get("fromString")
    return rows


def _whole_sets(histories: list[dict[str, Any]], fields: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for history in histories:
        last: dict[str, dict[str, Any]] = {}  # the set after the history: its last item for the field
        for item in _items(history):
            if _field_id(item) not in PER_VALUE_FIELDS:
                last[_field_id(item)] = item
        for field_id, item in last.items():
            current = fields.get(field_id)
            sprint = (item.get("field") == SPRINT_NAME and item.get("fieldtype") == "custom") or bool(
                sprints_in(current))
            if field_id in WHOLE_SET_SYSTEM_FIELDS or (_is_label_list(current) and not item.get("to")):
                labels = str(item.get("toString") or "").split()
                rows += _rows(history, item, [(label, label) for label in labels])
            elif sprint or (field_id.startswith("customfield_") and isinstance(current, list)):
                rows += _rows(history, item, _id_list(item.get("to"), item.get("toString"), sprint=sprint))
    return rows


def _is_label_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, str) for v in value)


def _id_list(ids: Any, texts: Any, *, sprint: bool) -> list[tuple[str | None, str | None]]:
    """`"[10200, 10201]"` or `"3, 5"` with their display strings; the strings are paired
    only when they split into as many parts (an option's own comma would misalign them)."""
    found = [part.strip() for part in str(ids or "").strip("[]").split(",") if part.strip()]
    names = [part.strip() for part in str(texts or "").split(", " if sprint else ",") if part.strip()]
    if not found:  # no ids logged (a text-valued multi field): the strings are the values
        return [(name, name) for name in names]
    return [(value, names[index] if len(names) == len(found) else None) for index, value in enumerate(found)]
