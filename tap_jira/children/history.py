"""Field history: one row per changelog item, read out of the changelog histories the
changelogs stream completes (inline or bulk-fetched), so it costs no request of its own
and is as complete as the changelogs are.

A history can change one field twice (Jira writes one item per component or version
added or removed), so a row is keyed by its item's position in the history as well.
"""

from __future__ import annotations

from typing import Any


def field_history(histories: list[dict[str, Any]], issues: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows for `histories` (changelog records tagged with `issueId`); `issues` are not needed."""
    rows = []
    for history in histories:
        author: dict[str, Any] = history["author"] if isinstance(history.get("author"), dict) else {}
        items: list[Any] = history["items"] if isinstance(history.get("items"), list) else []
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                continue
            rows.append({
                "issueId": history.get("issueId"), "historyId": _text(history.get("id")), "itemIndex": index,
                # Jira leaves fieldId out of a few items (IssueParentAssociation): the name keys them then.
                "fieldId": _text(item.get("fieldId") or item.get("field")), "field": item.get("field"),
                "fieldType": item.get("fieldtype"), "created": history.get("created"),
                # Data Center has no accountId: its user key stands in.
                "authorAccountId": author.get("accountId") or author.get("key"),
                "authorDisplayName": author.get("displayName"),
                # Jira's `from` and `to`, renamed: both are SQL keywords, a trap in every query.
                "fromValue": _text(item.get("from")), "fromString": _text(item.get("fromString")),
                "toValue": _text(item.get("to")), "toString": _text(item.get("toString")),
            })
    return rows


def _text(value: Any) -> str | None:
    """Jira writes "no value" as null or as "": both are null here, as loaders that read
    CSV (target-duckdb) would store "" anyway."""
    return None if value is None or value == "" else str(value)
