"""What each endpoint's answer must look like before the tap reads records out of it.

A page whose list is an object, or an array where an object was due, would otherwise
yield nothing (a run that "succeeds" with zero rows) or end in a traceback deep in the
pager.  This is one table checked in one place (`JiraStream.validate_response`), so a
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


def _problem(body: Any, key: str | None) -> str | None:
    if key is None:
        return None if isinstance(body, dict) else f"an object was due, not {kind(body)}"
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
    return None


def kind(value: Any) -> str:
    """A JSON value's type, as an error message names it."""
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number")
