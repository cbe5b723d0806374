"""A long sync a person can follow: progress lines, the summary table, and a readable stderr."""

from __future__ import annotations

import os
import re
from collections import Counter

import pytest

from jira_emulator import JiraEmulator
from jira_emulator.faults import Fault, FaultPlan
from jira_emulator.latency import LatencyModel
from tap_jira.progress import Progress
from tap_jira.streams import STREAM_TYPES
from tests.conftest import run_tap, summary_rows


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_line_shows_records_expected_total_rate_and_eta():
    clock = FakeClock()
    progress = Progress(15, clock=clock)
    progress.request("issues")
    progress.expect("issues", 5000, final=False)  # the first id page: there may be more
    for _ in range(1000):
        progress.record("issues")
        clock.now += 0.01  # 100 issues a second
    assert "issues 1,000 of at least 5,000 (20%, 100/s)" in progress.line()
    progress.expect("issues", 4000)  # the last id page is in
    assert "issues 1,000 of 4,000 (25%, 100/s, ETA 0:00:30)" in progress.line()
    clock.now += 10  # a stall (a rate limit, retries): the rate falls and the ETA grows
    assert "issues 1,000 of 4,000 (25%, 50/s, ETA 0:01:00)" in progress.line()
    for _ in range(50):
        progress.record("comments")
        clock.now += 0.1
    assert "comments 50 (10/s)" in progress.line()  # no total known: no share, no ETA
    assert progress.line().startswith("Progress at 0:00:25: ") and progress.line().endswith("| 1 requests")


def test_the_summary_has_a_row_per_stream_a_total_and_the_final_bookmarks():
    clock = FakeClock()
    progress = Progress(0, clock=clock)
    for stream, records, requests in (("issues", 30, 3), ("comments", 7, 1), ("projects", 2, 1)):
        for _ in range(requests):
            progress.request(stream)
        for _ in range(records):
            clock.now += 0.1
            progress.record(stream)
    lines = progress.summary({"issues": {"replication_key": "updated",
                                         "replication_key_value": "2026-01-02T03:04:05.000000+00:00"},
                              "projects": {}})
    rows = {line.split()[0]: line.split()[1:] for line in lines[2:] if not line.strip().startswith("final")}
    assert rows["issues"][:2] == ["30", "3"] and rows["comments"][:2] == ["7", "1"]
    assert rows["total"][:2] == ["39", "5"]
    assert lines[-1] == "  final bookmark: issues updated = 2026-01-02T03:04:05.000000+00:00"


@pytest.fixture(scope="module")
def slow_sync(tmp_path_factory):
    """A sync that lasts a few seconds (100 ms a response), reporting every 0.5 s."""
    with JiraEmulator(seed=5, issues=1500, projects=3, users=30) as emulator:
        emulator.latency = LatencyModel(base_ms=100, per_item_ms=0.2)
        run = run_tap(tmp_path_factory.mktemp("slow"), emulator.config(progress_interval_seconds=0.5))
        yield run, emulator, sum(emulator.request_counts().values())


def test_progress_lines_come_at_the_interval_with_the_expected_issue_count(slow_sync):
    run, emulator, _ = slow_sync
    assert run.returncode == 0, run.stderr[-2000:]
    lines = [line for line in run.stderr.splitlines() if "Progress at " in line]
    assert len(lines) >= 3
    counted = [re.search(r"issues ([\d,]+) of ([\d,]+) \(\d+%", line) for line in lines]
    totals = {match.group(2) for match in counted if match}
    assert totals == {f"{len(emulator.site.issues):,}"}  # the id pages told the tap up front
    assert any("ETA " in line for line in lines)


def test_the_summary_table_agrees_with_what_was_emitted_and_served(slow_sync):
    run, _, served = slow_sync
    emitted = Counter(m["stream"] for m in run.messages if m["type"] == "RECORD")
    summary = run.stderr[run.stderr.index("Sync summary"):].splitlines()
    rows = {}
    for line in summary[2:]:
        cells = line.split("|")[-1].split()
        if cells and cells[0] != "final":
            rows[cells[0]] = (int(cells[1].replace(",", "")), int(cells[2].replace(",", "")), float(cells[3]))
    site = rows.pop("(site)")  # finding the site and checking the credentials: no records
    assert site[0] == 0 and site[1] >= 1
    assert {name: row[0] for name, row in rows.items() if name != "total"} == dict(emitted)
    assert rows["total"][1] == served  # every request the emulator answered
    assert rows["comments"][1] + rows["worklogs"][1] + rows["changelogs"][1] > 0  # children's own fetches
    bookmark = run.final_state["bookmarks"]["issues"]["replication_key_value"]
    assert f"final bookmark: issues updated = {bookmark}" in run.stderr


def test_retries_and_dropped_connections_count_as_requests(tmp_path):
    with JiraEmulator(seed=5, issues=300, projects=3, users=30) as emulator:
        emulator.faults = FaultPlan([Fault("reset", path="/rest/api/3/project/search", times=2),
                                     Fault("unavailable", path="/rest/api/3/resolution/search", times=1,
                                           retry_after=0.1)])
        run = run_tap(tmp_path, emulator.config())
        clean = sum(emulator.request_counts().values())
    assert run.returncode == 0, run.stderr[-2000:]
    rows = summary_rows(run.stderr)
    assert rows["projects"][1] == 3 and rows["resolutions"][1] == 2  # two resets and a 503, then the answers
    assert rows["total"][1] >= clean


def test_a_failed_run_still_ends_with_its_summary_then_the_error(tmp_path):
    with JiraEmulator(seed=7, issues=60, projects=3, users=10) as emulator:
        # A permission lost mid-run: the issues (synced first) are written, resolutions fail.
        emulator.faults = FaultPlan([Fault("forbidden", path="/rest/api/3/resolution/search")])
        run = run_tap(tmp_path, emulator.config())
        issues = len(emulator.site.issues)
    assert run.returncode == 1
    lines = run.stderr.strip().splitlines()
    assert "Sync summary (failed after" in run.stderr
    assert summary_rows(run.stderr)["issues"][0] == issues  # written before the error
    assert "final bookmark: issues updated" in run.stderr  # where the next run starts
    assert "resolution/search" in lines[-1] and "Sync summary" not in lines[-1]  # the one error line stays last


def test_a_run_refused_at_its_first_request_still_ends_with_its_summary(tmp_path, emulator):
    run = run_tap(tmp_path, emulator.config(jql="project = NOPE"))  # Jira refuses it: HTTP 400
    assert run.returncode == 1
    lines = run.stderr.strip().splitlines()
    assert "Sync summary (failed after" in run.stderr
    assert "final bookmark" not in run.stderr  # nothing incremental was written
    assert "jql" in lines[-1] and "Sync summary" not in lines[-1]


def test_default_stderr_stays_short_and_metrics_come_back_on_request(tmp_path):
    with JiraEmulator(seed=5, issues=2000, projects=3, users=30) as emulator:
        quiet = run_tap(tmp_path / "quiet", emulator.config())
        loud = run_tap(tmp_path / "loud", emulator.config(log_metrics=True))
    assert quiet.returncode == loud.returncode == 0
    quiet_lines = quiet.stderr.splitlines()
    assert "METRIC" not in quiet.stderr and "Sync summary" in quiet.stderr
    # A few lines per stream (its start, its summary row, its bookmark), none per batch or request.
    assert len(quiet_lines) < 3 * len(STREAM_TYPES), len(quiet_lines)
    assert "as child stream" not in quiet.stderr
    assert quiet.stderr.count("Beginning sync of 'comments'") == 1  # not once per batch
    assert loud.stderr.count("METRIC") > 20


def test_debug_shows_metrics_and_zero_interval_no_progress_lines(tmp_path, emulator):
    env = {**os.environ, "TAP_JIRA_LOGLEVEL": "DEBUG"}
    debug = run_tap(tmp_path / "debug", emulator.config(progress_interval_seconds=0), env=env)
    assert debug.returncode == 0
    assert "METRIC" in debug.stderr and "Progress at" not in debug.stderr and "Sync summary" in debug.stderr
