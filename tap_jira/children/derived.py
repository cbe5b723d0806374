"""Children read out of the issue records themselves, at no request: the issues'
links (`fields.issuelinks`) and sprints (the Jira Software sprint field).

The sprint field is a custom field whose id differs between sites; it is recognised
by its values, so no `/field` call is needed: Cloud sends sprint objects (`id`,
`name`, `state`, `boardId`), Server/Data Center may still send Jira Software's
text form (``com.atlassian.greenhopper.service.sprint.Sprint@1f[id=3,rapidViewId=2,...]``).
"""

from __future__ import annotations

import re
from typing import Any

from ..search.cloud import updated_utc

SPRINT_TEXT = re.compile(r"com\.atlassian\.greenhopper\.service\.sprint\.Sprint@\w*\[(.*)\]$", re.S)
SPRINT_KEYS = {"id", "name", "state"}


def issue_links(issue: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per link, the same whichever of its two issues it is read from: Jira shows
    a link on both issues, with the other issue as `outwardIssue` or `inwardIssue`."""
    fields = issue.get("fields") or {}
    rows = []
    this = {"id": _text(issue.get("id")), "key": issue.get("key")}
    for link in fields.get("issuelinks") or []:
        if not isinstance(link, dict) or link.get("id") is None:
            continue
        link_type: dict[str, Any] = link["type"] if isinstance(link.get("type"), dict) else {}
        inward: dict[str, Any]
        outward: dict[str, Any]
        if isinstance(link.get("outwardIssue"), dict):
            inward, outward = this, link["outwardIssue"]
        elif isinstance(link.get("inwardIssue"), dict):
            inward, outward = link["inwardIssue"], this
        else:
            continue
        rows.append({
            "id": _text(link["id"]), "typeId": _text(link_type.get("id")), "typeName": link_type.get("name"),
            "inward": link_type.get("inward"), "outward": link_type.get("outward"),
            "inwardIssueId": _text(inward.get("id")), "inwardIssueKey": inward.get("key"),
            "outwardIssueId": _text(outward.get("id")), "outwardIssueKey": outward.get("key"),
            "issueUpdated": updated_utc(issue) or None,
        })
    return rows


def sprint_issues(issue: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per sprint the issue is in, or was in (closed sprints stay in the field)."""
    fields = issue.get("fields") or {}
    rows = []
    for value in fields.values():
        sprints = sprints_in(value)
        for sprint in sprints:
            rows.append({"sprintId": sprint["id"], "issueId": _text(issue.get("id")), "issueKey": issue.get("key"),
                         "boardId": sprint.get("boardId"), "sprintName": sprint.get("name"),
                         "sprintState": sprint.get("state"), "issueUpdated": updated_utc(issue) or None})
    return rows


def sprints_in(value: Any) -> list[dict[str, Any]]:
    """The sprints in a field value, or [] if it is not the sprint field.  Once one entry
    is a sprint, an entry that is not (or has no readable id) is left out on its own."""
    if not isinstance(value, list) or not value:
        return []
    found = []
    for item in value:
        if isinstance(item, str):
            item = _parse_sprint_text(item)
        if not isinstance(item, dict) or not SPRINT_KEYS <= item.keys() or "boardId" not in item:
            continue
        sprint_id, board_id = _integer(item["id"]), _integer(item.get("boardId"))
        if sprint_id is not None:
            found.append({**item, "id": sprint_id, "boardId": board_id})
    return found


def _integer(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None  # Jira Software's text form writes a missing value as "<null>"


def _parse_sprint_text(text: str) -> dict[str, Any] | None:
    matched = SPRINT_TEXT.match(text.strip())
    if not matched:
        return None
    # Values may hold commas (names, goals): split only before the next `key=`.
    pairs = re.findall(r"(\w+)=(.*?)(?=,\w+=|$)", matched.group(1), re.S)
    raw = {key: value for key, value in pairs}
    return {"id": raw.get("id"), "name": raw.get("name"), "state": (raw.get("state") or "").lower() or None,
            "boardId": raw.get("rapidViewId")}


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
