"""The calls that fetch children Jira did not embed, batched as widely as Jira allows.

- changelogs: ``POST /changelog/bulkfetch``, up to 1000 issues a call, token paging;
- comments: ``POST /issue/bulkfetch`` (100 issues a call, which embeds up to 100
  comments an issue, like GET issue), then ``/issue/{id}/comment`` paging only for
  issues with still more;
- worklogs: ``/issue/{id}/worklog`` (5000 a page) for the few issues over the inline
  cap of 20.  ``/worklog/updated`` cannot be narrowed to given issues: it lists every
  worklog on the site changed since a time, which costs more calls than it saves
  unless many issues overflow.

Server/Data Center has no bulk endpoints: there every issue short of children is
read on its own (``/issue/{id}/comment``, ``/issue/{id}/worklog``, and the
changelog expand of ``/issue/{id}``, which Data Center does not truncate).

Each method takes issue ids and returns ``{issue id: [child, ...]}`` in Jira's order;
an issue deleted since the search (404) is skipped with a warning.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests
from singer_sdk.pagination import BaseAPIPaginator

from ..api.client import JiraClient
from ..api.pagination import NextPageTokenPaginator, StartAtTotalPaginator
from ..errors import JiraAPIError

CHANGELOG_BULK_ISSUES = 1000
CHANGELOG_BULK_PAGE = 10000  # the request schema's maximum
ISSUE_BULK_ISSUES = 100
COMMENT_PAGE = 100
WORKLOG_PAGE = 5000
# The stream that sends these requests (metrics); each is counted for the child stream it reads.
SENDER = "issues"
# Threads for a batch's other child streams while the batch's own thread fetches one:
# two each for the four batches whose children are fetched at once (children.batch).
SIDE_THREADS = 8

logger = logging.getLogger("tap-jira")


def chunks(items: list[str], size: int) -> list[list[str]]:
    return [items[start:start + size] for start in range(0, len(items), size)]


class ChildFetcher:
    def __init__(self, client: JiraClient) -> None:
        self.client = client
        self.bulk = client.site.cloud  # Jira Cloud's bulk endpoints exist
        # Issues whose comment pages did not add up (see `_paged`); set.add is atomic.
        self.maybe_incomplete: set[str] = set()
        # One pool for the run, not one per batch: each thread keeps its session, and so
        # its open connections, from batch to batch (the client's sessions are per thread).
        self.side = ThreadPoolExecutor(max_workers=SIDE_THREADS, thread_name_prefix="child-streams")

    def close(self) -> None:
        self.side.shutdown(wait=False)

    def changelogs(self, issue_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
        if not self.bulk:
            return self._each(issue_ids, self._changelog_of_one)
        found: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for ids in chunks(issue_ids, CHANGELOG_BULK_ISSUES):
            def page(token: Any, ids: list[str] = ids) -> tuple[None, dict[str, Any]]:
                return None, {"issueIdsOrKeys": ids, "maxResults": CHANGELOG_BULK_PAGE,
                              **({"nextPageToken": token} if token else {})}
            for response in self._pages("POST", "/changelog/bulkfetch", NextPageTokenPaginator(), page, "changelogs"):
                for entry in response.json().get("issueChangeLogs") or []:
                    found[str(entry["issueId"])].extend(entry.get("changeHistories") or [])
        return dict(found)

    def comments(self, issue_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
        found: dict[str, list[dict[str, Any]]] = {}
        still_short: list[str] = [] if self.bulk else list(issue_ids)
        for ids in chunks(issue_ids, ISSUE_BULK_ISSUES) if self.bulk else ():
            page = self.client.request("POST", "/issue/bulkfetch", body={"issueIdsOrKeys": ids, "fields": ["comment"]},
                                       stream=SENDER, for_stream="comments")
            for issue in page.get("issues") or []:
                envelope = (issue.get("fields") or {}).get("comment")
                if not isinstance(envelope, dict):  # not sent: no reason to think there are none
                    still_short.append(str(issue["id"]))
                    continue
                # Entries that are not objects are no comments: page the issue's comments instead.
                comments = [c for c in envelope.get("comments") or [] if isinstance(c, dict)]
                if len(comments) >= (envelope.get("total") or 0):
                    found[str(issue["id"])] = comments
                else:
                    still_short.append(str(issue["id"]))
        for issue_id in still_short:
            paged = self._paged(f"/issue/{issue_id}/comment", "comments", COMMENT_PAGE, {"orderBy": "created"},
                                whole_list_of=issue_id)
            if paged is not None:
                found[issue_id] = paged
        return found

    def worklogs(self, issue_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
        return self._each(issue_ids,
                          lambda issue_id: self._paged(f"/issue/{issue_id}/worklog", "worklogs", WORKLOG_PAGE))

    def _changelog_of_one(self, issue_id: str) -> list[dict[str, Any]] | None:
        try:
            issue = self.client.request("GET", f"/issue/{issue_id}", params={"fields": "id", "expand": "changelog"},
                                        stream=SENDER, for_stream="changelogs")
        except JiraAPIError as error:
            _skip_if_gone(error, "changelog", f"/issue/{issue_id}")
            return None
        return list(((issue.get("changelog") or {}).get("histories") or [])[::-1])  # oldest first

    @staticmethod
    def _each(issue_ids: list[str], fetch_one: Callable[[str], list[dict[str, Any]] | None]) -> dict[str, list[dict]]:
        found = {}
        for issue_id in issue_ids:
            children = fetch_one(issue_id)
            if children is not None:
                found[issue_id] = children
        return found

    def _pages(self, method: str, path: str, paginator: BaseAPIPaginator[Any],
               page: Callable[[Any], tuple[Any, Any]], stream: str) -> Iterator[requests.Response]:
        return self.client.paginate(method, self.client.site.rest + path, paginator, page, stream=SENDER,
                                    for_stream=stream)

    def _paged(self, path: str, key: str, size: int, extra: dict[str, Any] | None = None,
               whole_list_of: str | None = None) -> list[dict] | None:
        """startAt/total paging (no `isLast` on these endpoints); None if the issue is gone.
        With `whole_list_of` (an issue id): pages that do not add up to the last `total` (a
        child deleted while paging shifts a later one past the pages) put the issue in
        `maybe_incomplete`, so that its list is not compared for deletes."""
        items: list[dict[str, Any]] = []
        totals: list[Any] = []

        def page(start: Any) -> tuple[dict[str, Any], None]:
            return {"startAt": start or 0, "maxResults": size, **(extra or {})}, None
        try:
            for response in self._pages("GET", path, StartAtTotalPaginator(key), page, key):
                body = response.json()
                totals.append(body.get("total"))
                batch = body.get(key) or []
                if not batch:
                    break
                items.extend(batch)
        except JiraAPIError as error:
            _skip_if_gone(error, key, path)
            return None
        # One deletion between pages shifts a comment past them and still adds up to the
        # new total: a total that moved between pages is the sign.
        if whole_list_of and totals and (len(set(totals)) > 1 or totals[-1] != len({str(i.get("id")) for i in items})):
            logger.warning("The %s pages of %s do not add up to their total (%s, %d read): none of this issue's "
                           "%s is taken for deleted this run", key, path, totals[-1], len(items), key)
            self.maybe_incomplete.add(whole_list_of)
        return items


def _skip_if_gone(error: JiraAPIError, what: str, path: str) -> None:
    if error.status != 404:
        raise error
    logger.warning("Skipping the %s of an issue deleted or hidden since the search (%s)", what, path)
