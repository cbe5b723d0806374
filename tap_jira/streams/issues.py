"""The issues stream: incremental on `updated` through ``/search/jql``."""

from __future__ import annotations

from array import array
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from .. import config as settings
from .. import jql, timestamps
from ..children import BatchPlan, ChildFetcher, collect_children
from ..children.inline import issue_fields, strip_envelopes
from ..client import JiraStream
from ..errors import ConfigError, JiraAPIError, StateError
from ..pagination import StartAtTotalPaginator
from ..read_ahead import read_ahead

if TYPE_CHECKING:
    from collections.abc import Iterable

    import requests
    from singer_sdk import Stream
    from singer_sdk.helpers.types import Context

# With no bookmark and no start_date, still send a bounded query (/search/jql
# refuses unbounded JQL) that matches every issue.
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
SEARCH_PAGE_CAP = 5000
DATACENTER_SEARCH_CAP = 1000  # jira.search.views.default.max, as most sites leave it
BULKFETCH_ISSUES = 100  # POST /issue/bulkfetch takes at most 100 ids
# Id pages read ahead of the bulk fetches: all of a 5M-issue window (40 KiB a page).
ID_PAGES_AHEAD = 1000
# Kept in each child stream's state: the newest issue `updated` whose children it has
# emitted.  Its own bookmark (newest child) can lag far behind on a site where, say,
# worklogs are rare, and starting the search there would re-read that whole gap.
CHILD_WINDOW_KEY = "issues_searched_until"
# A batch's children are fetched while the next batch is read; with one batch read
# ahead (see get_records), two batches' fetches can overlap.
CHILD_FETCH_THREADS = 2
# Issues dated later than this after Jira's now are read as well (see jql.incremental_issue_query).
FUTURE_MARGIN = timedelta(minutes=2)
# A batch of issues, and its children by stream (being fetched).
Batch = tuple[list[dict[str, Any]], "Future[dict[str, list[dict[str, Any]]]]"]


class IssuesStream(JiraStream):
    """Cloud: issue ids from ``/search/jql``, full issues by bulk fetch on a few
    threads (`_issues_by_bulkfetch`).  Server/Data Center has neither: ``/search``
    with startAt/total, paged by the SDK."""

    name = "issues"
    http_method = "POST"
    primary_keys = ("id",)
    replication_key = "updated"
    is_sorted = True  # the JQL orders by updated ASC, so STATE can advance per record
    # The window starts before the bookmark on purpose (the bookmark's own minute, and
    # child streams' older windows), so early records may sit below it; ascending
    # order still moves the bookmark only past written records.
    check_sorted = False
    records_jsonpath = "$.issues[*]"
    STATE_MSG_FREQUENCY = 1000  # resumable every 1000 issues, not the SDK's 10000

    @property
    def path(self) -> str:  # type: ignore[override]
        return "/search/jql" if self.site.cloud else "/search"

    def get_new_paginator(self) -> StartAtTotalPaginator:
        # Only Data Center pages full issues through the SDK; Cloud reads ids, then bulk fetches.
        return StartAtTotalPaginator("issues")

    # The children of the batch being emitted, by child stream (see streams/children.py).
    batch_children: dict[str, list[dict[str, Any]]] = {}
    batch_keys: dict[str, str] = {}  # issue id -> key, to name issues in warnings
    _window_end_utc: str | None = None  # `bookmark_ceiling` is asked once per record

    @property
    def wanted_children(self) -> set[str]:
        return {child.name for child in self.child_streams if child.selected}

    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        # Fixed for the whole run: the bookmark moves while records flow, but a
        # page token is only valid with the query that produced it.
        _ = self.myself  # Jira's clock starts with its first answer; the window is measured on it
        self.window_end = self.search_window_end()
        self._window_end_utc = timestamps.format_utc(self.window_end) if self.window_end else None
        self.window_start = self.search_window_start(context)
        self._query = self.build_query()
        self.logger.info("Issues JQL: %s", self._query)
        self._batch_number = self._children_synced = 0
        source = self._issues_by_bulkfetch() if self.site.cloud else super().get_records(context)
        # Data Center's check pass compares against the issues read (Cloud's census
        # compares id pages): ids as machine integers in one buffer, 8 bytes each.
        read = array("q")
        # The next batch (issues and children) is fetched while this one is written.
        for issues, children in read_ahead(self._batches(source, read), ahead=1, name="issue-batches"):
            yield from self._emit_batch(issues, children.result())
        missed = self._read_one_by_one(self._shifted_ids if self.site.cloud else self._shifted_out(read))
        yield from self._emit_batch(missed, self._children_of(missed))
        self.advance_bookmarks_to_window_end(context)

    def _batches(self, issues: Iterable[dict[str, Any]], read: array[int]) -> Iterable[Batch]:
        """The issues in batches (see `BatchPlan`), each with its children being fetched
        on a thread of their own, so that the next batch's issues are read meanwhile."""
        plan = BatchPlan(self.wanted_children)
        batch: list[dict[str, Any]] = []
        with ThreadPoolExecutor(max_workers=CHILD_FETCH_THREADS, thread_name_prefix="children") as children:
            for issue in issues:
                issue["id"] = str(issue["id"])  # some Jiras and proxies send numbers: match children by value
                if not plan.fits(issue):
                    yield batch, children.submit(self._children_of, batch)
                    batch = []
                    plan.clear()
                plan.add(issue)
                batch.append(issue)
                read.append(int(issue["id"]))
            if batch:
                yield batch, children.submit(self._children_of, batch)

    def _children_of(self, issues: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
        if not issues:
            return {}
        return collect_children(issues, self.wanted_children, ChildFetcher(self.call_api, bulk=self.site.cloud))

    def _shifted_out(self, paged: array[int]) -> list[str]:
        """Issues in the window that paging skipped.

        An issue edited during the search leaves the window (it is now newer than its
        end).  If a page token is an offset, as Data Center's startAt is (Cloud's
        token is opaque), every later issue then shifts one place and one is never
        served.  One id-only pass over the same window once paging is over (5000 ids
        a page on Cloud) finds them; it is usually empty.
        """
        known = set(paged)
        missed = [issue_id for issue_id in self._window_ids() if int(issue_id) not in known]
        if missed:
            self.logger.warning("%d issue(s) shifted out of the pages while paging (issues edited meanwhile); "
                                "reading them one by one", len(missed))
        return missed

    def _read_one_by_one(self, missed: list[str]) -> list[dict[str, Any]]:
        expand = {"expand": "changelog"} if "changelogs" in self.wanted_children else {}
        found = []
        for issue_id in missed:
            try:
                found.append(self.call_api("GET", f"/issue/{issue_id}",
                                           params={"fields": ",".join(issue_fields(self.wanted_children)), **expand}))
            except JiraAPIError as error:
                if error.status != 404:
                    raise  # a 404: deleted since; nothing to emit
        return found

    def _window_ids(self) -> list[str]:
        return [issue_id for page in self._window_id_pages() for issue_id in page]

    def _window_id_pages(self) -> Iterable[list[str]]:
        """The window's issue ids, in `updated` order, a page at a time (5000 on Cloud)."""
        cloud = self.site.cloud
        read = 0
        token: str | None = None
        while True:
            body: dict[str, Any] = {"jql": self._query, "fields": ["id"]}
            if cloud:
                body.update(maxResults=SEARCH_PAGE_CAP, **({"nextPageToken": token} if token else {}))
            else:
                body.update(maxResults=DATACENTER_SEARCH_CAP, startAt=read)
            page = self.call_api("POST", self.path, body=body)
            ids = [str(issue["id"]) for issue in page.get("issues") or []]
            read += len(ids)
            if ids:
                yield ids
            token = page.get("nextPageToken")
            # A token without `isLast` is followed: stopping there would drop the rest for good.
            more = (bool(token) and page.get("isLast") is not True) if cloud else read < int(page.get("total") or 0)
            if not ids or not more:
                return

    # ---- Cloud: ids first, then full issues on `max_workers` threads, emitted in order ----

    def _issues_by_bulkfetch(self) -> Iterable[dict[str, Any]]:
        """Atlassian's recommended pattern: page ids (5000 a request, in `updated`
        order), read full issues with ``POST /issue/bulkfetch`` (100 a request) on a
        few threads, and emit them in id-page order, so STATE still advances only
        past issues written.  At most `max_workers` + 1 requests are in flight,
        which keeps memory flat however large the window."""
        workers = int(self.config.get("max_workers") or settings.DEFAULT_MAX_WORKERS)
        # An issue edited after its id page now sorts after everything else: it is
        # left to the next window (its `updated` is past this one's end), so the
        # bookmark never jumps ahead of issues not yet written.
        end = timestamps.format_utc(self.window_end or self.jira_clock.now())
        expand = ["changelog"] if "changelogs" in self.wanted_children else []
        in_flight: deque[tuple[array[int], Future]] = deque()
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="bulkfetch") as pool:
            for page in read_ahead(self._id_census(), ahead=ID_PAGES_AHEAD, name="id-census"):
                for start in range(0, len(page), BULKFETCH_ISSUES):
                    chunk = page[start:start + BULKFETCH_ISSUES]
                    in_flight.append((chunk, pool.submit(self._bulkfetch, chunk, expand)))
                    while len(in_flight) > workers:
                        yield from self._in_id_order(*in_flight.popleft(), end)
            while in_flight:
                yield from self._in_id_order(*in_flight.popleft(), end)

    def _in_id_order(self, ids: array[int], fetched: Future, end: str) -> Iterable[dict[str, Any]]:
        """The chunk's issues in id-page order.  Deleted ones (absent) are left out, and so
        are ones edited since their id page (now dated from `end` to Jira's now): the
        next window reads them.  Ones dated beyond Jira's now are kept: no window would."""
        by_id = {int(issue["id"]): issue for issue in fetched.result()}
        # Jira's `Date` header has whole seconds: "after now" only counts with a margin.
        now = timestamps.format_utc(self.jira_clock.now() + FUTURE_MARGIN)
        for issue_id in ids:
            issue = by_id.get(issue_id)
            if issue is not None and not end <= self._updated_utc(issue) <= now:
                yield issue

    def _id_census(self) -> Iterable[array[int]]:
        """The window's id pages, read ahead of the bulk fetches (ids are 8 bytes each
        here), then at once the second pass that finds issues shifted out of them
        (`_shifted_out`), so that it too runs while issues are still being fetched."""
        paged = array("q")
        self._shifted_ids: list[str] = []
        for page in self._window_id_pages():
            ids = array("q", map(int, page))
            paged.extend(ids)
            self.progress.expect(self.name, len(paged), final=False)
            yield ids
        self.progress.expect(self.name, len(paged))
        self._shifted_ids = self._shifted_out(paged)

    def _bulkfetch(self, ids: array[int], expand: list[str]) -> list[dict[str, Any]]:
        body: dict[str, Any] = {"issueIdsOrKeys": [str(issue_id) for issue_id in ids],
                                "fields": issue_fields(self.wanted_children)}
        if expand:
            body["expand"] = expand
        return self.call_api("POST", "/issue/bulkfetch", body=body).get("issues") or []

    def _emit_batch(self, issues: list[dict[str, Any]],
                    children: dict[str, list[dict[str, Any]]]) -> Iterable[dict[str, Any]]:
        """The batch's children are complete before any of its issues is emitted: the
        SDK syncs them at the batch's first issue, before that issue is written, so
        STATE never passes an issue whose children are not out yet."""
        if not issues:
            return
        self.batch_children = children
        self.batch_keys = {str(issue["id"]): str(issue.get("key")) for issue in issues}
        self.batch_high_water = min(max(self._updated_utc(issue) for issue in issues), self.bookmark_ceiling())
        self._batch_number += 1
        issues.reverse()  # hand issues over from the end, so each is freed once written
        while issues:
            yield issues.pop()

    def generate_child_contexts(self, record: dict[str, Any], context: Context | None) -> Iterable[Context]:
        if self._children_synced != self._batch_number:
            self._children_synced = self._batch_number
            yield {"batch": self._batch_number}

    def search_window_end(self) -> datetime | None:
        """`search_lag_minutes` before Jira's now: later edits may be missing from the
        eventually consistent search, so they are left for the next run."""
        lag = float(self.config.get("search_lag_minutes", settings.DEFAULT_SEARCH_LAG_MINUTES))
        if not lag:
            return None
        zone = self.profile_zone  # first: reading it is the run's first request, which sets Jira's clock
        return timestamps.jql_bound(self.jira_clock.now() - timedelta(minutes=lag), zone)

    def bookmark_ceiling(self) -> str:
        """No bookmark passes the window's end (Jira's now without one): an issue dated
        in the future is emitted, but must not make later runs skip every edit until then."""
        return self._window_end_utc or timestamps.format_utc(self.jira_clock.now())

    def advance_bookmarks_to_window_end(self, context: Context | None) -> None:
        """Everything before the window's end has been read (and written: this runs
        after the last record), so the next run starts there even if nothing changed."""
        if self.window_end is None:
            return
        end = timestamps.format_utc(self.window_end)
        states = [(child.stream_state, CHILD_WINDOW_KEY) for child in self.child_streams if child.selected]
        if self.selected:
            states.append((self.get_context_state(context), "replication_key_value"))
        for state, key in states:
            if not state.get(key) or timestamps.parse_setting(state[key]) < self.window_end:
                state[key] = end
                if key == "replication_key_value":
                    state["replication_key"] = self.replication_key
        self.state_manager.is_flushed = False

    def check_bookmarks(self) -> None:
        """Raise StateError (or ConfigError) now if a bookmark this search starts from lies
        ahead of Jira's clock; costs the `/myself` call every run makes anyway."""
        _ = self.myself
        self.search_window_start(None)

    def search_window_start(self, context: Context | None) -> datetime:
        """Where the search starts: the oldest bookmark among the selected streams this
        search feeds, so a child stream selected later still gets its whole history."""
        # The SDK computes a child's starting value only when the child's own sync
        # begins, which is after this search; read its bookmark (or start_date) here.
        bookmarks: list[tuple[Stream, str]] = [(self, "replication_key_value")] if self.selected else []
        for child in self.child_streams:
            if child.selected:
                has_window = bool(child.stream_state.get(CHILD_WINDOW_KEY))
                bookmarks.append((child, CHILD_WINDOW_KEY if has_window else "replication_key_value"))
        starts = [self._start_from(stream.name, key, stream.stream_state.get(key)) for stream, key in bookmarks]
        lookback = timedelta(minutes=int(self.config.get("lookback_minutes", settings.DEFAULT_LOOKBACK_MINUTES)))
        earliest = min(starts, default=EPOCH)
        # Nothing is older than 1970 in Jira; and year 1 minus a lookback would overflow.
        earliest = earliest - lookback if earliest - EPOCH > lookback else EPOCH
        return timestamps.jql_bound(earliest, self.profile_zone)

    def _start_from(self, stream: str, key: str, bookmark: str | None) -> datetime:
        """A stream's bookmark (else `start_date`, else 1970), refused when it lies ahead of
        Jira's clock: such a search would silently return nothing, run after run."""
        now = self.jira_clock.now()
        starts = []
        for value, is_bookmark in ((bookmark, True), (self.config.get("start_date"), False)):
            if not value:
                continue
            start = timestamps.parse_setting(value)
            if start > now:
                where = f"`bookmarks.{stream}.{key}` {value}" if is_bookmark else f"config key `start_date` {value}"
                message = (f"{where} is ahead of Jira's clock ({timestamps.format_utc(now)}): nothing would be read, "
                           "run after run (a future-dated issue, or another site's state?); set it to when the last "
                           "good run ended, or remove it to read everything again")
                raise StateError(message) if is_bookmark else ConfigError(message)
            starts.append(start)
        # A later start_date than the bookmark wins, as in the SDK's own start value.
        return max(starts, default=EPOCH)

    def build_query(self) -> str:
        return jql.incremental_issue_query(
            self.window_start, self.profile_zone, self.config.get("projects") or (), self.config.get("jql"),
            until=self.window_end, future_after=self.jira_clock.now() + FUTURE_MARGIN,
        )

    def prepare_request_payload(self, context: Context | None, next_page_token: int | None) -> dict[str, Any]:
        """Data Center's ``POST /search`` (Cloud reads issues by `_issues_by_bulkfetch`)."""
        payload: dict[str, Any] = {
            "jql": self._query,
            "fields": issue_fields(self.wanted_children),
            "maxResults": settings.page_size(self.config, DATACENTER_SEARCH_CAP),
            "startAt": next_page_token or 0,
        }
        if "changelogs" in self.wanted_children:
            payload["expand"] = ["changelog"]  # an array in POST /search; Data Center sends it whole
        return payload

    def parse_response(self, response: requests.Response) -> Iterable[dict[str, Any]]:
        # Data Center's search pages carry `total`: the progress lines' expected count.
        page = response.json()
        if isinstance(page, dict) and isinstance(page.get("total"), int) and not isinstance(page["total"], bool):
            self.progress.expect(self.name, page["total"])
        yield from super().parse_response(response)

    def post_process(self, row: dict[str, Any], context: Context | None = None) -> dict[str, Any] | None:
        # Jira occasionally omits `updated`; fall back to `created` so the row still lands.
        row["updated"] = self._updated_utc(row, warn=True) or None
        strip_envelopes(row)
        return row

    def _updated_utc(self, issue: dict[str, Any], warn: bool = False) -> str:
        """The issue's `updated` (else `created`) in UTC; "" when Jira sent neither or
        something that is no timestamp.  Such an issue is still emitted, `fields` as Jira
        sent it and the top-level `updated` null, and moves no bookmark."""
        fields = issue.get("fields") or {}
        stamp = fields.get("updated") or fields.get("created")
        if not stamp:
            return ""
        try:
            return timestamps.to_utc_iso(stamp)
        except (TypeError, ValueError, OverflowError):
            if warn:
                self.logger.warning("Issue %s: `updated` %r is not a timestamp; it is emitted as Jira sent it "
                                    "(fields.updated), with the top-level `updated` null", issue.get("key"), stamp)
            return ""

    def client_error_message(self, response: requests.Response) -> str:
        message = super().client_error_message(response)
        if response.status_code == 400:
            return f"{message} (check config keys `jql` and `projects`)"
        return message

