"""Jira Cloud: issue ids first, then full issues by bulk fetch on a few threads.

Atlassian's recommended pattern: page ids (5000 a request, in `updated` order), read
full issues with ``POST /issue/bulkfetch`` (100 a request) on `workers` threads,
and hand them on in id-page order, so STATE still advances only past issues written.
At most `workers` + 1 bulk fetches are in flight, which keeps memory flat however
large the window.

A first page of 5000 ids takes Jira seconds to answer (2.6 s at 0.5 ms an id), and
no bulk fetch could start before it.  So the search opens with a short first page
(`FIRST_PAGE_IDS`); on a full load the 5000-id pages are read beside it from the
start, and their ids the first page gave are skipped.  A window the first page holds
whole costs that one request.
"""

from __future__ import annotations

from array import array
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from itertools import chain
from typing import Any

from .. import timestamps
from ..api.client import JiraClient
from ..read_ahead import read_ahead
from .recovery import STREAM, first_id_page, shifted_out, sliced_window_ids, window_id_pages
from .window import FUTURE_MARGIN

BULKFETCH_ISSUES = 100  # POST /issue/bulkfetch takes at most 100 ids
# Id pages read ahead of the bulk fetches: all of a 5M-issue window (40 KiB a page).
ID_PAGES_AHEAD = 1000
# Ids in the first page: 10 bulk fetches, enough to keep 4 workers busy until the
# first 5000-id page is in, and answered in a quarter of its time.
FIRST_PAGE_IDS = 1000


class CloudSearch:
    def __init__(self, client: JiraClient, query: str, fields: list[str], expand: list[str], workers: int,
                 end: datetime, full_load: bool = False) -> None:
        self.client = client
        self.query = query
        self.fields = fields
        self.expand = expand
        self.workers = workers
        # A full load's window rarely fits the first page: its 5000-id pages start at
        # once rather than after it (an incremental window usually fits, and the
        # request would be wasted).
        self.full_load = full_load
        # An issue edited after its id page now sorts after everything else: it is left
        # to the next window (its `updated` is past this one's end), so the bookmark
        # never jumps ahead of issues not yet written.
        self.end = timestamps.format_utc(end)
        self._missed: list[str] = []

    def issues(self) -> Iterator[dict[str, Any]]:
        in_flight: deque[tuple[array[int], Future[list[dict[str, Any]]]]] = deque()
        with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="bulkfetch") as pool:
            for page in read_ahead(self._id_census(), ahead=ID_PAGES_AHEAD, name="id-census"):
                for start in range(0, len(page), BULKFETCH_ISSUES):
                    chunk = page[start:start + BULKFETCH_ISSUES]
                    in_flight.append((chunk, pool.submit(self._bulkfetch, chunk)))
                    while len(in_flight) > self.workers:
                        yield from self._in_id_order(*in_flight.popleft())
            while in_flight:
                yield from self._in_id_order(*in_flight.popleft())

    def missed(self) -> list[str]:
        """Issues of the window that the id pages skipped (known once `issues` is read)."""
        return self._missed

    def _id_census(self) -> Iterator[array[int]]:
        """The window's id pages, read ahead of the bulk fetches (ids are 8 bytes each
        here), then at once the pass that finds issues shifted out of them, so that it
        too runs while issues are still being fetched."""
        progress = self.client.progress
        pages = window_id_pages(self.client, self.query)
        beside = ThreadPoolExecutor(max_workers=1, thread_name_prefix="id-pages")
        # On a full load the first 5000-id page is requested now, beside the short one.
        head: Future[list[str] | None] | None = beside.submit(next, pages, None) if self.full_load else None
        beside.shutdown(wait=False)
        first, more = first_id_page(self.client, self.query, FIRST_PAGE_IDS)
        paged = array("q", map(int, first))
        progress.expect(STREAM, len(paged), final=not more)
        yield paged[:]
        if not more:
            return  # a page requested beside it is answered and dropped
        if head is not None:
            first_full = head.result()
            pages = chain([first_full] if first_full is not None else [], pages)
        given = set(paged)
        full_pages = 0
        for page in pages:
            full_pages += 1
            ids = array("q", (issue_id for issue_id in map(int, page) if issue_id not in given))
            paged.extend(ids)
            progress.expect(STREAM, len(paged), final=False)
            yield ids
        progress.expect(STREAM, len(paged))
        # Paging can skip an issue only between pages: one page of 5000 saw the window whole
        # (an empty last page counts, as an edit may have emptied it).
        if full_pages > 1:
            self._missed = shifted_out(sliced_window_ids(self.client, self.query, sorted(paged), self.workers),
                                       set(paged))

    def _bulkfetch(self, ids: array[int]) -> list[dict[str, Any]]:
        body: dict[str, Any] = {"issueIdsOrKeys": [str(issue_id) for issue_id in ids], "fields": self.fields}
        if self.expand:
            body["expand"] = self.expand
        return self.client.request("POST", "/issue/bulkfetch", body=body, stream=STREAM).get("issues") or []

    def _in_id_order(self, ids: array[int], fetched: Future[list[dict[str, Any]]]) -> Iterator[dict[str, Any]]:
        """The chunk's issues in id-page order.  Deleted ones (absent) are left out, and so
        are ones edited since their id page (now dated from the window's end to Jira's
        now): the next window reads them.  Ones dated beyond Jira's now are kept: no
        window would."""
        by_id = {int(issue["id"]): issue for issue in fetched.result()}
        # Jira's `Date` header has whole seconds: "after now" only counts with a margin.
        now = timestamps.format_utc(self.client.clock.now() + FUTURE_MARGIN)
        for issue_id in ids:
            issue = by_id.get(issue_id)
            if issue is not None and not self.end <= updated_utc(issue) <= now:
                yield issue


def updated_utc(issue: dict[str, Any]) -> str:
    """The issue's `updated` (else `created`) in UTC; "" when Jira sent neither or
    something that is no timestamp."""
    fields = issue.get("fields") or {}
    stamp = fields.get("updated") or fields.get("created")
    if not stamp:
        return ""
    try:
        return timestamps.to_utc_iso(stamp)
    except (TypeError, ValueError, OverflowError):
        return ""
