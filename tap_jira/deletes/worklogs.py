"""Deleted worklogs: Jira's own feed, ``GET /worklog/deleted?since=<epoch ms>``.

1000 a page, oldest first; a page's `until` is its newest deletion, the next page
starts there (inclusive, so ids are deduplicated).  Deletions of the minute before
the request are not listed yet, so the bookmark is the last listed deletion, never
the clock.  The feed is site-wide and names no issue: a worklog deleted from an
issue outside the scope is reported too (it matches no row there).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from ..api.client import JiraClient

STREAM = "worklogs"
logger = logging.getLogger("tap-jira")


@dataclass(frozen=True)
class DeletedWorklogs:
    ids: list[str]
    next_since: int  # epoch ms for the next run's `since`


def deleted_since(client: JiraClient, since: int) -> DeletedWorklogs:
    seen: dict[str, None] = {}  # ids in order, once: pages overlap at their boundary
    cursor = since
    while True:
        body = client.request("GET", "/worklog/deleted", params={"since": cursor}, stream=STREAM)
        values = [value for value in body.get("values") or [] if value.get("worklogId") is not None]
        seen.update({str(value["worklogId"]): None for value in values})
        stamps = [value["updatedTime"] for value in values if isinstance(value.get("updatedTime"), int)]
        newest = max(stamps, default=None)
        if body.get("lastPage", True) or not values:
            # Everything up to the newest listed deletion is out: the next run starts after it.
            return DeletedWorklogs(list(seen), newest + 1 if newest is not None else cursor)
        until = body.get("until")
        next_cursor = until if isinstance(until, int) else (newest if newest is not None else cursor)
        if next_cursor <= cursor:
            logger.warning("worklog/deleted: a full page of deletions at one millisecond (%d); stepping past it",
                           cursor)
            next_cursor = cursor + 1
        cursor = next_cursor
