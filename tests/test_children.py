"""Comments, worklogs, changelogs, boards and sprints: complete, exactly once, cheap.

The emulator's busy issues hold more children than Jira embeds in a search page
(issue 10003: 60 comments, 35 worklogs, 150 histories), so every count below
depends on the bulk fetches, not on the inline data.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import timedelta

import pytest

from jira_emulator import JiraEmulator
from jira_emulator.model import SPRINT_FIELD
from tap_jira import timestamps
from tests.conftest import loader, run_tap
from tests.pipeline import sync_to_jsonl

CHILDREN = {"comments": "comments", "worklogs": "worklogs", "changelogs": "histories"}
ISSUE_FAMILY = ("issues", "comments", "worklogs", "changelogs", "issue_links", "sprint_issues")


@pytest.fixture(scope="module")
def busy_sync(tmp_path_factory):
    with JiraEmulator(seed=11, issues=400, projects=4, users=40) as emulator:
        target = loader("target-jsonl")
        run = sync_to_jsonl(target, emulator.config(), tmp_path_factory.mktemp("busy"))
        assert run.tap_returncode == 0, run.tap_stderr[-3000:]
        assert run.target_returncode == 0, run.target_stderr[-3000:]
        yield emulator, run


def truth_ids(site, stream):
    return Counter((child.id, issue.id) for issue in site.issues for child in getattr(issue, CHILDREN[stream]))


@pytest.mark.parametrize("stream", list(CHILDREN))
def test_every_child_arrives_exactly_once_with_its_issue(busy_sync, stream):
    emulator, run = busy_sync
    got = Counter((record["id"], record["issueId"]) for record in run.records(stream))
    expected = truth_ids(emulator.site, stream)
    assert max(got.values()) == 1, [key for key, n in got.items() if n > 1][:5]
    assert got == expected


def test_the_busiest_issue_is_complete_beyond_every_inline_cap(busy_sync):
    emulator, run = busy_sync
    busy = emulator.site.issues_by_id["10003"]
    assert (len(busy.comments), len(busy.worklogs), len(busy.histories)) == (60, 35, 150)
    for stream, attribute in CHILDREN.items():
        got = [r["id"] for r in run.records(stream) if r["issueId"] == "10003"]
        assert got == [child.id for child in getattr(busy, attribute)], stream  # oldest first


def test_child_timestamps_are_utc_and_bodies_intact(busy_sync):
    emulator, run = busy_sync
    site = emulator.site
    comments = {c.id: c for issue in site.issues for c in issue.comments}
    for record in run.records("comments"):
        truth = comments[record["id"]]
        assert record["updated"] == timestamps.format_utc(truth.updated)
        assert record["created"] == timestamps.format_utc(truth.created)
        assert record["body"] == truth.body
    histories = {h.id: h for issue in site.issues for h in issue.histories}
    for record in run.records("changelogs"):
        assert record["created"] == timestamps.format_utc(histories[record["id"]].created)
        assert record["items"] and all("field" in item for item in record["items"])
    assert all(r["started"].endswith("+00:00") for r in run.records("worklogs"))


def test_issue_records_carry_no_truncated_child_copies(busy_sync):
    _, run = busy_sync
    for record in run.records("issues"):
        assert "changelog" not in record
        assert "comment" not in record["fields"] and "worklog" not in record["fields"]


def test_child_state_is_one_bookmark_per_stream(busy_sync):
    emulator, run = busy_sync
    newest_issue = timestamps.format_utc(max(i.updated for i in emulator.site.issues))
    for stream in CHILDREN:
        state = run.state["bookmarks"][stream]
        assert "partitions" not in state and "progress_markers" not in state
        # The search window's end (a few minutes before Jira's now), shared with issues.
        assert state["issues_searched_until"] == run.state["bookmarks"]["issues"]["replication_key_value"]
        assert state["issues_searched_until"] > newest_issue
    assert run.state["bookmarks"]["comments"]["replication_key_value"] == timestamps.format_utc(
        max(c.updated for i in emulator.site.issues for c in i.comments))


def test_sprints_of_every_scrum_board_and_no_failure_on_kanban(busy_sync):
    emulator, run = busy_sync
    site = emulator.site
    expected = Counter((sprint.id, board.id) for board in site.boards for sprint in board.sprints + board.shared)
    got = Counter((record["id"], record["boardId"]) for record in run.records("sprints"))
    assert got == expected
    assert max(len(b.sprints) for b in site.boards) > 50  # one board pages
    assert {r["id"] for r in run.records("boards")} == {b.id for b in site.boards}
    assert {b.type for b in site.boards} >= {"kanban", "simple"}
    assert "which has no sprints; skipping it" in run.tap_stderr
    shared = [r for r in run.records("sprints") if r["originBoardId"] != r["boardId"]]
    assert shared and all(r["startDate"].endswith("+00:00") for r in shared)


def test_a_board_that_refuses_sprints_is_skipped_not_fatal(tmp_path):
    """A board listed as scrum that still answers 400 "does not support sprints"."""
    with JiraEmulator(seed=2, issues=20, projects=2, users=5) as emulator:
        kanban = next(b for b in emulator.site.boards if b.type == "kanban")
        kanban.listed_as = "scrum"
        run = run_tap(tmp_path, emulator.config(), catalog=catalog_selecting(tmp_path, emulator, "boards", "sprints"))
        assert run.returncode == 0, run.stderr[-2000:]
        assert f"Board {kanban.id} does not support sprints; skipping it" in run.stderr
        expected = Counter((s.id, b.id) for b in emulator.site.boards for s in b.sprints + b.shared)
        assert Counter((r["id"], r["boardId"]) for r in run.records("sprints")) == expected


def catalog_selecting(tmp_path, emulator, *streams):
    discovered = run_tap(tmp_path / "discover", emulator.config(), "--discover")
    assert discovered.returncode == 0, discovered.stderr[-2000:]
    catalog = json.loads(discovered.stdout)
    for entry in catalog["streams"]:
        for metadata in entry["metadata"]:
            if metadata["breadcrumb"] == []:
                metadata["metadata"]["selected"] = entry["tap_stream_id"] in streams
    return catalog


def test_a_child_stream_alone_needs_no_issues_stream(tmp_path):
    with JiraEmulator(seed=4, issues=150, projects=3, users=10) as emulator:
        run = run_tap(tmp_path, emulator.config(), catalog=catalog_selecting(tmp_path, emulator, "comments"))
        assert run.returncode == 0, run.stderr[-2000:]
        emitted = {m["stream"] for m in run.messages if m["type"] in ("RECORD", "SCHEMA")}
        assert emitted == {"comments"}
        assert Counter((r["id"], r["issueId"]) for r in run.records("comments")) == truth_ids(emulator.site, "comments")
        counts = emulator.request_counts()
        assert "POST /rest/api/3/changelog/bulkfetch" not in counts  # nothing fetched for unselected streams
        assert "GET /rest/api/3/issue/{issueIdOrKey}/worklog" not in counts

        # The next run starts where this one searched to: only the new comment comes.
        searched = timestamps.parse(run.final_state["bookmarks"]["comments"]["issues_searched_until"])
        issue = emulator.site.issues[7]
        added = emulator.site.add_comment(issue.id, searched + timedelta(minutes=5))
        emulator.site.clock_offset = timedelta(hours=1)  # time passes
        again = run_tap(tmp_path / "again", emulator.config(), state=run.final_state,
                        catalog=catalog_selecting(tmp_path / "c2", emulator, "comments"))
        assert again.returncode == 0, again.stderr[-2000:]
        # Every comment of the issues changed since, old ones included (see streams/children.py).
        expected = {c.id for i in emulator.site.issues if i.updated >= searched for c in i.comments}
        assert {r["id"] for r in again.records("comments")} == expected
        assert added.id in expected and len(expected) < 30


def test_second_run_emits_only_children_changed_since(tmp_path):
    with JiraEmulator(seed=9, issues=200, projects=3, users=10) as emulator:
        site = emulator.site
        first = run_tap(tmp_path / "first", emulator.config())
        assert first.returncode == 0, first.stderr[-2000:]
        searched = timestamps.parse(first.final_state["bookmarks"]["comments"]["issues_searched_until"])
        busy = site.issues_by_id["10003"]  # a comment on the busiest issue, which overflows every cap
        added = site.add_comment(busy.id, searched + timedelta(minutes=2))
        site.clock_offset = timedelta(hours=1)  # time passes
        second = run_tap(tmp_path / "second", emulator.config(), state=first.final_state)
        assert second.returncode == 0, second.stderr[-2000:]
        assert added.id in {r["id"] for r in second.records("comments")}
        # Every child of the issues changed since, old ones included (see streams/children.py).
        changed = [i for i in site.issues if i.updated >= searched]
        assert [i.id for i in changed] == [busy.id]
        for stream, attribute in CHILDREN.items():
            expected = {c.id for i in changed for c in getattr(i, attribute)}
            assert {r["id"] for r in second.records(stream)} == expected, stream
        assert busy.id in {r["id"] for r in second.records("issues")}
        # The history tables follow the changelogs: every row of the changed issue, no other.
        assert {r["historyId"] for r in second.records("issue_field_history")} == {h.id for h in busy.histories}
        assert Counter((r["historyId"], r["fieldId"], r["value"]) for r in second.records(
            "issue_multiselect_history")) == Counter((h, f, v) for i, h, f, _, v in site.multiselect_truth()
                                                      if i == busy.id)


def test_request_budget_for_issues_and_children(tmp_path):
    """At most 15 requests per 1,000 issues with the issue streams selected (links and
    sprint issues included), on a site where 10% of issues overflow the inline caps."""
    with JiraEmulator(seed=21, issues=3000, projects=5, users=20) as emulator:
        catalog = catalog_selecting(tmp_path, emulator, *ISSUE_FAMILY)
        emulator.reset_log()
        run = run_tap(tmp_path, emulator.config(), catalog=catalog)
        assert run.returncode == 0, run.stderr[-2000:]
        site = emulator.site
        busy = [i for i in site.issues if len(i.histories) > 40 or len(i.comments) > 20 or len(i.worklogs) > 20]
        assert len(busy) == len(site.issues) // 10
        for stream in CHILDREN:
            assert Counter(r["id"] for r in run.records(stream)) == Counter(
                c[0] for c in truth_ids(site, stream).elements())
        # Read out of the issues, at no request; a link between issues of two batches comes once.
        assert Counter(r["id"] for r in run.records("issue_links")) == Counter(link.id for link in site.metadata.links)
        assert Counter((r["sprintId"], r["issueId"]) for r in run.records("sprint_issues")) == Counter(
            (s["id"], i.id) for i in site.issues for s in i.static_fields[SPRINT_FIELD] or [])
        total = sum(emulator.request_counts().values())
        assert total <= 15 * len(site.issues) / 1000, emulator.request_counts()


def test_deselected_properties_never_reach_the_output(tmp_path):
    """Records skip the SDK's selection walk only when nothing is deselected (sdk_private.py)."""
    with JiraEmulator(seed=5, issues=60, projects=2, users=10) as emulator:
        catalog = catalog_selecting(tmp_path, emulator, "issues", "comments")
        deselect = {"issues": ("fields", "self"), "comments": ("body",)}
        for entry in catalog["streams"]:
            for metadata in entry["metadata"]:
                if tuple(metadata["breadcrumb"][1:]) in {(name,) for name in deselect.get(entry["tap_stream_id"], ())}:
                    metadata["metadata"]["selected"] = False
        run = run_tap(tmp_path, emulator.config(), catalog=catalog)
        assert run.returncode == 0, run.stderr[-2000:]
        issues, comments = run.records("issues"), run.records("comments")
        assert len(issues) == 60 and len(comments) == truth_ids(emulator.site, "comments").total()
        assert all("fields" not in r and "self" not in r and r["key"] and r["updated"] for r in issues)
        assert all("body" not in r and r["author"] for r in comments)


def test_wide_issues_arrive_with_every_custom_field_intact(tmp_path):
    """Root-only conformance and the msgspec reader and writer (sdk_private.py, api/answers.py)
    must not change a nested value: every generated custom field arrives as Jira sent it."""
    with JiraEmulator(seed=6, issues=40, projects=2, users=10, custom_fields=60) as emulator:
        run = run_tap(tmp_path, emulator.config(), catalog=catalog_selecting(tmp_path, emulator, "issues"))
        assert run.returncode == 0, run.stderr[-2000:]
        site = emulator.site
        records = {r["id"]: r for r in run.records("issues")}
        assert len(records) == 40
        generated = [field_id for field_id, *_ in site.extra_fields]
        date_times = {field_id for field_id, _, schema, _ in site.extra_fields if schema["type"] == "datetime"}
        assert date_times
        for issue in site.issues:
            truth = site.render.issue_fields(issue)
            # Date-times alone change, as documented: the RFC 3339 colon in their offset.
            expected = {f: re.sub(r"([+-]\d\d)(\d\d)$", r"\1:\2", truth[f])
                        if f in date_times and truth[f] else truth[f] for f in generated}
            assert {f: records[issue.id]["fields"][f] for f in generated} == expected
        set_values = sum(records[i.id]["fields"][f] is not None for i in site.issues for f in generated)
        assert 0.15 < set_values / (40 * 60) < 0.35  # one in four set, as on a real site


def test_a_batchs_comments_worklogs_and_changelogs_are_fetched_side_by_side():
    """A batch is emitted once its last child is in: its three child fetches must not queue."""
    from tap_jira.children import collect_children
    from tap_jira.children.fetch import ChildFetcher
    from tap_jira.children.inline import issue_fields
    from tap_jira.search.cloud import CloudSearch
    from tests.test_search import client_for, window_of

    wanted = {"comments", "worklogs", "changelogs"}
    with JiraEmulator(seed=11, issues=400, projects=4, users=40) as emulator:
        client = client_for(emulator)
        query, end = window_of(client)
        issues = list(CloudSearch(client, query, issue_fields(wanted), ["changelog"], workers=2, end=end).issues())
        emulator.latency.base_ms = 300  # each child request is held long enough to see overlaps
        emulator.reset_log()
        children = collect_children(issues, wanted, ChildFetcher(client))
        log = list(emulator.requests)
    for stream in wanted:  # every child arrived, fetched or inline
        assert Counter(child["id"] for child in children[stream]) == Counter(
            child.id for issue in emulator.site.issues for child in getattr(issue, CHILDREN[stream]))
    spans = {}
    for entry in log:
        stream = ("changelogs" if "changelog" in entry.endpoint else "worklogs" if "worklog" in entry.endpoint
                  else "comments")
        start, stop = spans.get(stream, (entry.at, entry.at + entry.held))
        spans[stream] = (min(start, entry.at), max(stop, entry.at + entry.held))
    # comments overflow only past the 100 an issue bulk fetch embeds: none does here
    assert spans.keys() == {"worklogs", "changelogs"}
    # side by side: each stream's first request went out before any other stream's fetching was over
    first_stop = min(stop for _, stop in spans.values())
    assert all(start < first_stop for start, _ in spans.values()), spans


def test_child_fetches_keep_their_connections_from_batch_to_batch():
    """The side-by-side child fetches run on threads that outlive a batch, so each keeps its
    session: the connections opened stay bounded however many batches there are."""
    from tap_jira.children.batch import fetch_side_by_side
    from tap_jira.children.fetch import SIDE_THREADS, ChildFetcher
    from tests.test_search import client_for

    with JiraEmulator(seed=11, issues=400, projects=4, users=40) as emulator:
        client = client_for(emulator)
        ids = [issue.id for issue in emulator.site.issues]
        fetcher = ChildFetcher(client)
        batches = 3 * SIDE_THREADS
        for start in range(0, batches * 10, 10):  # worklogs on this thread, changelogs beside it
            batch = ids[start:start + 10]
            fetched = fetch_side_by_side(fetcher, {"worklogs": batch[:2], "changelogs": batch})
            assert set(fetched["changelogs"]) == set(batch)
        fetcher.close()
        beside = [entry for entry in emulator.requests if "changelog" in entry.endpoint]
    assert len(beside) == batches
    assert len({entry.connection for entry in beside}) <= SIDE_THREADS
