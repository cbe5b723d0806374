"""The small streams' pages are read beside the issue search, each exactly once, and
the run asks for and writes what it would without reading them ahead."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from typing import Any

import pytest

from jira_emulator import JiraEmulator
from jira_emulator.latency import LatencyModel
from tap_jira.errors import JiraAPIError
from tap_jira.prefetch import Prefetch
from tests.conftest import run_tap

ISSUE_SEARCH = ("/rest/api/3/search/jql", "/rest/api/3/issue/bulkfetch", "/rest/api/3/changelog/bulkfetch")
LISTS = ("/rest/api/3/project/search", "/rest/api/3/resolution/search", "/rest/api/3/issuetype",
         "/rest/api/3/status", "/rest/api/3/field", "/rest/agile/1.0/board", "/rest/api/3/group/bulk")
PER_PARENT = ("/rest/api/3/project/{projectIdOrKey}/version", "/rest/agile/1.0/board/{boardId}/sprint",
              "/rest/agile/1.0/board/{boardId}/project", "/rest/api/3/field/{fieldId}/context",
              "/rest/api/3/group/member")


@pytest.fixture(scope="module")
def slow_full_sync(tmp_path_factory):
    """Every stream, at 50 ms a response: the issue search lasts long enough to overlap."""
    with JiraEmulator(seed=11, issues=1500, projects=3, users=20, boards=4) as emulator:
        emulator.latency = LatencyModel(base_ms=50, per_item_ms=0.2)
        run = run_tap(tmp_path_factory.mktemp("slow"), emulator.config())
        assert run.returncode == 0, run.stderr[-3000:]
        yield run, emulator, list(emulator.requests)


def small(log):
    return [entry for entry in log if entry.endpoint in LISTS + PER_PARENT]


def test_lists_and_their_children_are_read_while_the_issue_search_runs(slow_full_sync):
    _, _, log = slow_full_sync
    search_ends = max(entry.at for entry in log if entry.endpoint in ISSUE_SEARCH)
    during = [entry for entry in small(log) if entry.at < search_ends]
    # Without the prefetch, none: the SDK syncs the streams after `issues` once it is done.
    assert len(during) >= len(small(log)) / 2, (len(during), len(small(log)))
    assert {entry.endpoint for entry in during} >= {*LISTS, "/rest/agile/1.0/board/{boardId}/sprint"}


def test_every_small_stream_page_is_asked_for_once_and_every_record_arrives(slow_full_sync):
    run, emulator, log = slow_full_sync
    pages = Counter((entry.path, entry.query) for entry in small(log))
    assert len(pages) > len(LISTS + PER_PARENT)
    # `/field` twice: discovery (no catalog given) types the fields, then the fields stream reads them.
    assert [key for key, n in pages.items() if n > 1] == [("/rest/api/3/field", "")], pages
    assert pages[("/rest/api/3/field", "")] == 2
    got = Counter(message["stream"] for message in run.messages if message["type"] == "RECORD")
    assert dict(got) == emulator.site.record_counts()


def test_the_issue_family_is_written_first(slow_full_sync):
    run, _, _ = slow_full_sync
    streams = [message["stream"] for message in run.messages if message["type"] == "RECORD"]
    last_issue = len(streams) - 1 - streams[::-1].index("issues")
    family = {"issues", "comments", "worklogs", "changelogs", "issue_links", "sprint_issues", "issue_field_history",
              "issue_multiselect_history"}
    assert set(streams[:last_issue + 1]) <= family and {"projects", "boards", "fields"} <= set(streams[last_issue:])


# ---- the same requests and records as without the prefetch --------------------------------

SMALL_STREAMS = {"projects", "project_versions", "project_components", "resolutions", "boards", "sprints",
                 "board_projects", "fields", "custom_field_contexts", "custom_field_options", "groups",
                 "group_members", "issue_types", "statuses", "status_categories", "priorities",
                 "project_categories", "project_types", "project_roles", "issue_link_types", "users"}
ISSUE_FAMILY_PATHS = ("/search", "/issue/", "/changelog/", "/myself", "/serverInfo", "/oauth/", "/_edge/")


def requests_and_records(emulator, run):
    asked = Counter((entry.method, entry.path, entry.query, entry.status) for entry in emulator.requests
                    if not any(part in entry.path for part in ISSUE_FAMILY_PATHS))
    written = {stream: sorted(json.dumps(record, sort_keys=True) for record in run.records(stream))
               for stream in SMALL_STREAMS}
    warnings = sorted(line.split("|")[-1] for line in run.stderr.splitlines() if "WARNING" in line)
    return asked, written, warnings


FILTERS = {"boards": {"__filter__": "type != 'kanban'"}, "fields": {"__filter__": "'10016' not in id"}}
VARIANTS = {
    "cloud": ({}, {}),
    "cloud, two projects": ({}, {"projects": ["ENG", "OPS"]}),
    "cloud, not an administrator": ({"admin": False}, {}),
    "cloud, oauth2 without the admin scope": ({"auth": "oauth2"}, {}),
    "cloud, stream maps filter boards and fields": ({}, {"stream_maps": FILTERS}),
    "data center, two projects, archived too": ({"flavour": "datacenter"},
                                                {"projects": ["ENG", "OPS"], "include_archived_projects": True}),
}


@pytest.mark.parametrize("variant", VARIANTS)
def test_the_prefetch_asks_for_and_writes_what_the_sync_alone_would(variant, tmp_path):
    site, overrides = VARIANTS[variant]
    with JiraEmulator(seed=7, issues=60, projects=3, users=10, boards=5,
                      flavour=site.get("flavour", "cloud")) as emulator:
        if site.get("admin") is False:
            emulator.site.revoke_admin()
        seen = []
        for prefetch in (True, False):
            emulator.reset_log()
            config = emulator.config(site.get("auth", "basic"), prefetch_small_streams=prefetch, **overrides)
            run = run_tap(tmp_path / str(prefetch), config)
            assert run.returncode == 0, run.stderr[-3000:]
            seen.append(requests_and_records(emulator, run))
    (asked, written, warnings), (asked_alone, written_alone, warnings_alone) = seen
    assert asked == asked_alone
    assert written == written_alone and any(written.values())
    assert warnings == warnings_alone


# ---- the walk and the sync, each (stream, context) read by one of them ----------------------


class Listing:
    """A stand-in for a small stream (the prefetch's side of it only)."""

    parent_stream_type = None
    prefetchable = selected = True
    has_selected_descendents = False
    partitions = None

    class Unfiltered:
        @staticmethod
        def get_filter_result(record):
            return True

    stream_maps = [Unfiltered()]

    def __init__(self, name: str, pages: dict[str, list[dict[str, Any]]], children: list[Listing] | None = None,
                 refuse: set[str] | None = None) -> None:
        self.name, self.pages, self.child_streams, self.refuse = name, pages, children or [], refuse or set()
        self.read: list[str] = []
        self.lock = threading.Lock()

    def reads_pages_for(self, context):
        return True

    def read_pages(self, context):
        where = (context or {}).get("parent", "")
        with self.lock:
            self.read.append(where)
        yield from self.pages.get(where, [])
        if where in self.refuse:
            raise JiraAPIError("Jira denied access (HTTP 403)", 403)

    def post_process(self, row, context):
        return row

    def generate_child_contexts(self, record, context):
        yield {"parent": record["id"]}


def wait_for(condition) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline
        time.sleep(0.01)


def taken(prefetch, stream, context):
    """The pages read ahead, once the walk has started on them."""
    wait_for(lambda: (context or {}).get("parent", "") in stream.read)
    found = prefetch.take(stream, context)
    assert found is not None
    return found.result(timeout=10)


def test_a_context_the_sync_claimed_first_is_not_read_again_by_the_walk():
    child = Listing("child", {"a": [{"id": 1}], "b": [{"id": 2}]})
    root = Listing("root", {"": [{"id": "a"}, {"id": "b"}]}, [child])
    prefetch = Prefetch()
    assert prefetch.take(child, {"parent": "a"}) is None  # the sync got there first: it reads it itself
    prefetch.start([root])
    assert taken(prefetch, root, None).rows == [{"id": "a"}, {"id": "b"}]
    assert list(taken(prefetch, child, {"parent": "b"}).replay()) == [{"id": 2}]
    prefetch.stop()
    assert child.read == ["b"] and root.read == [""]
    assert prefetch.take(root, None) is None  # taken once: a second ask reads afresh


def test_after_one_refusal_the_walk_reads_no_other_context_of_that_stream():
    child = Listing("child", {"a": [{"id": 9}]}, refuse={"a", "b", "c"})
    root = Listing("root", {"": [{"id": "a"}, {"id": "b"}, {"id": "c"}]}, [child])
    prefetch = Prefetch()
    prefetch.start([root])
    taken(prefetch, root, None)
    refused = taken(prefetch, child, {"parent": "a"}).replay()
    assert next(refused) == {"id": 9}  # what came before the refusal, then the refusal, as a live read gives them
    with pytest.raises(JiraAPIError):
        next(refused)
    time.sleep(0.2)
    prefetch.stop()
    assert child.read == ["a"]


def test_the_walk_waits_while_too_many_rows_are_held(monkeypatch):
    monkeypatch.setattr("tap_jira.prefetch.MAX_HELD_ROWS", 2)
    monkeypatch.setattr("tap_jira.prefetch.PREFETCH_THREADS", 1)  # reads in flight may overshoot the bound
    one = Listing("one", {"": [{"id": 1}, {"id": 2}]})
    other = Listing("other", {"": [{"id": 3}, {"id": 4}]})
    prefetch = Prefetch()
    prefetch.start([one, other])
    wait_for(lambda: one.read or other.read)
    time.sleep(0.3)
    read_first, waiting = (one, other) if one.read else (other, one)
    assert waiting.read == []  # two rows held: no room until the sync takes them
    assert len(taken(prefetch, read_first, None).rows) == 2
    assert len(taken(prefetch, waiting, None).rows) == 2  # taken rows make room
    prefetch.stop()


def test_a_context_bigger_than_the_room_left_is_finished_by_the_sync(monkeypatch):
    monkeypatch.setattr("tap_jira.prefetch.MAX_HELD_ROWS", 3)
    rows = [{"id": n} for n in range(7)]
    readers: list[str] = []

    class Huge(Listing):
        def read_pages(self, context):
            for row in super().read_pages(context):
                readers.append(threading.current_thread().name)
                yield row

    huge = Huge("huge", {"": rows})
    prefetch = Prefetch()
    prefetch.start([huge])
    wait_for(lambda: len(readers) >= 3)
    time.sleep(0.2)
    assert len(readers) == 3  # the room, then the walk leaves the page loop where it is
    assert list(taken(prefetch, huge, None).replay()) == rows  # every row once, in order
    assert readers[3:] == [threading.current_thread().name] * 4 and huge.read == [""]  # one page loop
    prefetch.stop()


def test_a_parent_whose_records_cannot_be_post_processed_is_still_handed_over():
    """The walk cannot know the children then (the sync meets the error itself): the rows
    still reach the sync, and no child is read ahead."""

    class Odd(Listing):
        def post_process(self, row, context):
            raise KeyError("fields")

    child = Listing("child", {"a": [{"id": 1}]})
    odd = Odd("odd", {"": [{"id": "a"}]}, [child])
    prefetch = Prefetch()
    prefetch.start([odd])
    assert taken(prefetch, odd, None).rows == [{"id": "a"}]
    time.sleep(0.2)
    assert child.read == [] and prefetch.take(child, {"parent": "a"}) is None
    prefetch.stop()


def test_a_child_stream_is_read_ahead_when_its_first_parent_has_no_children(monkeypatch):
    monkeypatch.setattr("tap_jira.prefetch.PREFETCH_THREADS", 1)  # `first` is walked first
    class Picky(Listing):
        def generate_child_contexts(self, record, context):
            if record["id"] != "none":
                yield {"parent": record["id"]}

    child = Listing("child", {"a": [{"id": 1}], "b": [{"id": 2}]})
    first = Picky("first", {"": [{"id": "none"}]}, [child])
    second = Picky("second", {"": [{"id": "a"}, {"id": "b"}]}, [child])
    prefetch = Prefetch()
    prefetch.start([first, second])
    assert taken(prefetch, child, {"parent": "b"}).rows == [{"id": 2}]  # no probe left waiting
    prefetch.stop()


def test_what_was_read_ahead_of_a_stream_the_sync_refused_is_dropped(monkeypatch):
    monkeypatch.setattr("tap_jira.prefetch.PREFETCH_THREADS", 1)
    stream = Listing("refused", {"": [{"id": 1}]})
    prefetch = Prefetch()
    prefetch.start([stream])
    wait_for(lambda: stream.read)
    prefetch.discard(stream)
    assert prefetch.take(stream, None) is None  # dropped: a second context would not be read ahead either
    prefetch.stop()
