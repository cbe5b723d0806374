"""Complete the children of a batch of issues: inline where Jira sent them all,
one bulk fetch per child type for the rest; links and sprints read out of the issues.

This is the "what to fetch" half; the child streams only emit what it returns,
in issue order, so the fetches can later run in parallel without touching them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from . import derived, history, multiselect
from .fetch import CHANGELOG_BULK_ISSUES, CHANGELOG_BULK_PAGE, ChildFetcher
from .inline import inline_children

CHILD_STREAMS = ("comments", "worklogs", "changelogs")
# Not a stream: the issues whose comments could not be read (gone since the search), or
# not as a whole, as {"issueId": ...}, so that missing comments are not taken for deleted.
UNREAD_COMMENTS = "comments:unread"
# Read out of the issue records: no request.
DERIVED_STREAMS = {"issue_links": derived.issue_links, "sprint_issues": derived.sprint_issues}
DERIVED_KEYS = {"issue_links": ("id",), "sprint_issues": ("sprintId", "issueId")}
# Read out of the changelog histories, which are completed for them when selected alone.
HISTORY_STREAMS = {"issue_field_history": history.field_history,
                   "issue_multiselect_history": multiselect.multiselect_history}


def children_to_read(wanted: set[str]) -> set[str]:
    """The child streams whose records must be completed for the `wanted` ones."""
    return wanted | {"changelogs"} if wanted & HISTORY_STREAMS.keys() else wanted
# Issues in a batch, whose children are completed before any of them is emitted.  Two
# batches are in memory (one written, the next being read), so this sets peak RSS: at
# 10k issues with children, 1000 peaked at 391 MiB, 750 at 333, 600 at 289, 500 at 263.
# Each batch costs at least one changelog bulk call: 500 breaks the 15 requests per
# 1,000 issues budget on a 3000-issue site (tests/test_children.py), 600 keeps it.
MAX_BATCH_ISSUES = 600


class BatchPlan:
    """Where a batch of issues ends: before the changelogs it must bulk-fetch would
    spill into a second page (or past 1000 issues), and at `MAX_BATCH_ISSUES` at the
    latest.  Cutting there keeps every changelog bulk call a single, full page."""

    def __init__(self, streams: set[str]) -> None:
        self.track_changelogs = "changelogs" in streams
        self.issues = 0  # in the batch so far
        self.overflowing = 0  # of those, issues whose changelog the bulk fetch must read
        self.histories = 0  # histories that bulk fetch will return

    def clear(self) -> None:
        self.issues = self.overflowing = self.histories = 0

    @property
    def full(self) -> bool:
        """No issue fits any more, whatever comes next: the batch can go without waiting for it."""
        return self.issues >= MAX_BATCH_ISSUES

    def fits(self, issue: dict[str, Any]) -> bool:
        if self.full:
            return False
        load = self._changelog_load(issue)
        if not load or not self.overflowing:
            return True
        return self.histories + load <= CHANGELOG_BULK_PAGE and self.overflowing < CHANGELOG_BULK_ISSUES

    def add(self, issue: dict[str, Any]) -> None:
        self.issues += 1
        load = self._changelog_load(issue)
        if load:
            self.overflowing += 1
            self.histories += load

    def _changelog_load(self, issue: dict[str, Any]) -> int:
        """How many histories the issue adds to the changelog bulk fetch (0: inline has them all)."""
        if not self.track_changelogs:
            return 0
        found = inline_children(issue, "changelogs")
        return 0 if found.complete else max(found.total, 1)


def collect_children(issues: list[dict[str, Any]], streams: set[str],
                     fetcher: ChildFetcher) -> dict[str, list[dict[str, Any]]]:
    """For each wanted child stream, every child of `issues`, each tagged with `issueId`
    (`streams` as `children_to_read` gives them)."""
    collected: dict[str, list[dict[str, Any]]] = {}
    # Keyed by the id's text: some Jiras send ids as numbers, the bulk calls as strings.
    inline_of = {stream: {str(issue["id"]): inline_children(issue, stream) for issue in issues}
                 for stream in CHILD_STREAMS if stream in streams}
    missing_of = {stream: [issue_id for issue_id, found in inline.items() if not found.complete]
                  for stream, inline in inline_of.items()}
    fetched_of = fetch_side_by_side(fetcher, missing_of)
    for stream, inline in inline_of.items():
        missing, fetched = set(missing_of[stream]), fetched_of[stream]
        records: list[dict[str, Any]] = []
        if stream == "comments":
            collected[UNREAD_COMMENTS] = [{"issueId": issue_id} for issue_id in missing_of[stream]
                                          if issue_id not in fetched or issue_id in fetcher.maybe_incomplete]
        for issue in issues:
            issue_id = str(issue["id"])
            children = fetched.get(issue_id, []) if issue_id in missing else inline[issue_id].records
            if stream == "changelogs" and issue_id not in missing:
                children = children[::-1]  # the inline changelog is newest first; keep oldest first
            # Tagged in place, not copied: the issue record drops its embedded children
            # (strip_envelopes), and copying every history cost about 5% of the tap's CPU.
            for child in children:
                child["issueId"] = issue_id
            records.extend(children)
        collected[stream] = records
    for stream, from_histories in HISTORY_STREAMS.items():
        if stream in streams:
            collected[stream] = from_histories(collected["changelogs"], issues)
    for stream, derive in DERIVED_STREAMS.items():
        if stream in streams:
            rows = {}  # a link between two issues of the batch shows on both: once
            for issue in issues:
                rows.update({tuple(row[key] for key in DERIVED_KEYS[stream]): row for row in derive(issue)})
            collected[stream] = list(rows.values())
    return collected


def fetch_side_by_side(fetcher: ChildFetcher, missing_of: dict[str, list[str]]) -> dict[str, dict[str, list[dict]]]:
    """Each stream's missing children, the streams fetched at the same time: a batch is
    emitted once its last child is in, so its comments, worklogs and changelogs should
    not wait for one another."""
    wanted = [(stream, ids) for stream, ids in missing_of.items() if ids]
    others = [(stream, fetcher.side.submit(getattr(fetcher, stream), ids)) for stream, ids in wanted[1:]]
    fetched = {stream: getattr(fetcher, stream)(ids) for stream, ids in wanted[:1]}  # on this thread
    fetched.update((stream, future.result()) for stream, future in others)
    return {stream: fetched.get(stream, {}) for stream in missing_of}


# Batches read ahead of the one being written (see IssuesStream.get_records): their
# issues and children are fetched meanwhile, each batch's children on a thread of its own.
BATCHES_AHEAD = 3
CHILD_FETCH_THREADS = BATCHES_AHEAD + 1
Children = dict[str, list[dict[str, Any]]]


def batches(issues: Iterable[dict[str, Any]], streams: set[str],
            fetch_children: Callable[[list[dict[str, Any]]], Children]
            ) -> Iterator[tuple[list[dict[str, Any]], Future[Children]]]:
    """The issues in batches (see `BatchPlan`), each with its children being fetched on a
    thread of their own, so that the next batch's issues are read meanwhile."""
    plan = BatchPlan(streams)
    batch: list[dict[str, Any]] = []
    with ThreadPoolExecutor(max_workers=CHILD_FETCH_THREADS, thread_name_prefix="children") as pool:
        for issue in issues:
            issue["id"] = str(issue["id"])  # some Jiras and proxies send numbers: match children by value
            if not plan.fits(issue):
                yield batch, pool.submit(fetch_children, batch)
                batch = []
                plan.clear()
            plan.add(issue)
            batch.append(issue)
            if plan.full:  # its children are fetched now, not once the next issue is in
                yield batch, pool.submit(fetch_children, batch)
                batch = []
                plan.clear()
        if batch:
            yield batch, pool.submit(fetch_children, batch)
