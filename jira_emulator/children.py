"""Routes for an issue's children: per-issue pages and the bulk endpoints, with Jira's limits.

- ``/issue/{id}/comment``: PageOfComments (no `isLast`), at most 100 a page.
- ``/issue/{id}/worklog``: PageOfWorklogs, at most 5000 a page; Jira answers 404,
  not 400, to non-numeric paging values.
- ``/issue/{id}/changelog``: a page bean, at most 100 a page, oldest first.
- ``/issue/bulkfetch``: at most 100 issues; comments come like GET issue (the newest
  100), worklogs capped at 20 and the changelog expand at 40.
- ``/changelog/bulkfetch``: at most 1000 issues and 10 field ids, token paging,
  ordered by changelog date then issue id.
- ``/comment/list`` and ``/worklog/list``: at most 1000 ids.
- ``/worklog/updated`` and ``/worklog/deleted``: 1000 ids a page from `since`
  (inclusive), `until`/`lastPage`/`nextPage`, never a worklog changed in the minute
  before the request.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import Any

from .model import Issue
from .wire import HttpError, Request, Response, decode_token, encode_token, page_bean

API = "/rest/api/3"


def _issue(request: Request) -> Issue:
    issue = request.site.find_issue(request.params["issueIdOrKey"])
    if issue is None:
        raise HttpError(404, "Issue does not exist or you do not have permission to see it.")
    return issue


def _id_list(request: Request, name: str, cap: int, what: str) -> list[Any]:
    ids = request.body.get(name) if isinstance(request.body, dict) else None
    if not isinstance(ids, list) or not ids or len(ids) > cap:
        raise HttpError(400, f"{what} must contain between 1 and {cap} IDs.")
    return ids


def issue_comments(request: Request) -> Response:
    issue = _issue(request)
    order = request.arg("orderBy", "created")
    if order not in ("created", "-created", "+created"):
        raise HttpError(400, f"Invalid orderBy value: {order}")
    comments = issue.comments[::-1] if order == "-created" else issue.comments
    start = max(request.int_arg("startAt", 0), 0)
    size = min(max(request.int_arg("maxResults", 100), 0), 100)
    page = [request.site.render.comment_json(issue, c) for c in comments[start:start + size]]
    return Response(200, {"startAt": start, "maxResults": size, "total": len(comments), "comments": page})


def issue_worklogs(request: Request) -> Response:
    issue = _issue(request)
    try:
        start = max(int(request.arg("startAt", 0)), 0)
        size = min(max(int(request.arg("maxResults", 5000)), 0), 5000)
    except ValueError:
        raise HttpError(404, "Issue does not exist or you do not have permission to see it.") from None
    page = [request.site.render.worklog_json(issue, w) for w in issue.worklogs[start:start + size]]
    return Response(200, {"startAt": start, "maxResults": size, "total": len(issue.worklogs), "worklogs": page})


def issue_changelogs(request: Request) -> Response:
    issue = _issue(request)
    values = [request.site.render.history_json(h) for h in issue.histories]
    return Response(200, page_bean(request, values, default_size=100, cap=100))


def issue_bulkfetch(request: Request) -> Response:
    site = request.site
    wanted = request.arg_list("fields") or ["*navigable"]
    expand = set(request.arg_list("expand"))
    found = [site.find_issue(str(key)) for key in _id_list(request, "issueIdsOrKeys", 100, "issueIdsOrKeys")]
    issues = [site.render.issue_bean(i, wanted, expand, comment_cap=100) for i in found if i is not None]
    return Response(200, {"issueErrors": [], "issues": issues})


def changelog_bulkfetch(request: Request) -> Response:
    site = request.site
    keys = _id_list(request, "issueIdsOrKeys", 1000, "issueIdsOrKeys")
    field_ids = request.body.get("fieldIds") or []
    if len(field_ids) > 10 or len(set(field_ids)) != len(field_ids):
        raise HttpError(400, "fieldIds must contain at most 10 unique field IDs.")
    size = request.body.get("maxResults", 1000)
    if not isinstance(size, int) or not 1 <= size <= 10000:
        raise HttpError(400, "maxResults must be between 1 and 10000.")
    issues = {i.id: i for i in (site.find_issue(str(key)) for key in keys) if i is not None}
    entries = []
    for issue in issues.values():
        for history in issue.histories:
            body = site.render.history_json(history)
            if field_ids:
                body["items"] = [item for item in body["items"] if item.get("fieldId") in field_ids]
                if not body["items"]:
                    continue
            entries.append((history.created, int(issue.id), issue.id, body))
    entries.sort(key=lambda entry: entry[:2])
    fingerprint = hashlib.sha256(json.dumps([sorted(issues), field_ids]).encode()).hexdigest()[:16]
    start = decode_token(request.body.get("nextPageToken"), fingerprint)
    logs: list[dict[str, Any]] = []
    for _created, _order, issue_id, body in entries[start:start + size]:
        if not logs or logs[-1]["issueId"] != issue_id:
            logs.append({"issueId": issue_id, "changeHistories": []})
        logs[-1]["changeHistories"].append(body)
    result: dict[str, Any] = {"issueChangeLogs": logs}
    if start + size < len(entries):
        result["nextPageToken"] = encode_token(fingerprint, start + size)
    return Response(200, result)


def comment_list(request: Request) -> Response:
    site = request.site
    wanted = {str(i) for i in _id_list(request, "ids", 1000, "ids")}
    values = [site.render.comment_json(issue, c) for issue in site.issues for c in issue.comments if c.id in wanted]
    return Response(200, {"isLast": True, "maxResults": 1048576, "startAt": 0, "total": len(values),
                          "values": values})


def worklog_list(request: Request) -> Response:
    site = request.site
    wanted = {str(i) for i in _id_list(request, "ids", 1000, "ids")}
    return Response(200, [site.render.worklog_json(issue, w) for issue in site.issues for w in issue.worklogs
                          if w.id in wanted])


def worklog_updated(request: Request) -> Response:
    changes = [(_millis(w.updated), int(w.id)) for issue in request.site.issues for w in issue.worklogs]
    return _changed_worklogs(request, changes)


def worklog_deleted(request: Request) -> Response:
    """The worklogs deleted since `since`, dated by their deletion (an issue's deletion too)."""
    changes = [(_millis(when), worklog_id) for worklog_id, when in request.site.deleted_worklogs]
    return _changed_worklogs(request, changes)


def _changed_worklogs(request: Request, changes: list[tuple[int, int]]) -> Response:
    """`ChangedWorklogs`: (epoch ms, worklog id) pairs from `since` on, 1000 a page, none
    from the minute before the request."""
    since = request.int_arg("since", 0)
    newest = _millis(request.site.now() - timedelta(minutes=1))
    changed = sorted((at, worklog_id) for at, worklog_id in changes if since <= at < newest)
    page = changed[:1000]
    body: dict[str, Any] = {
        "values": [{"worklogId": worklog_id, "updatedTime": updated, "properties": []} for updated, worklog_id in page],
        "since": since,
        "until": page[-1][0] if page else since,
        "self": request.url(since=since),
        "lastPage": len(changed) <= 1000,
    }
    if not body["lastPage"]:
        body["nextPage"] = request.url(since=body["until"])
    return Response(200, body)


def _millis(instant: datetime) -> int:
    return int(instant.timestamp() * 1000)


def get_issue(request: Request) -> Response:
    """GET issue: like bulk fetch, the newest 100 comments and 40 histories inline."""
    issue = request.site.find_issue(request.params["issueIdOrKey"])
    if issue is None:
        raise HttpError(404, "Issue does not exist or you do not have permission to see it.")
    wanted = request.arg_list("fields") or ["*all"]
    expand = set(request.arg_list("expand"))
    return Response(200, request.site.render.issue_bean(issue, wanted, expand, comment_cap=100))
