"""Incremental windows: consecutive runs partition the issues exactly, in any profile
zone, across DST changes, with search-index lag, and with `lookback_minutes`.

The emulator's clock (`site.clock_offset`) stands in for time passing: the tap reads
Jira's now from the `Date` header and stops `search_lag_minutes` (default 5) before it.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from jira_emulator import JiraEmulator
from tap_jira import timestamps
from tests.conftest import run_tap

UTC = timezone.utc


def set_jira_now(site, instant: datetime) -> None:
    """Jira's clock at `instant`, back in the generated history: later edits are yet to come."""
    site.clock_offset = instant - datetime.now(UTC)
    site.future_unborn = True


def issue_ids(run) -> set[str]:
    assert run.returncode == 0, run.stderr[-2000:]
    return {record["id"] for record in run.records("issues")}


@pytest.mark.parametrize("profile_zone", ["Australia/Sydney", "America/Los_Angeles", "Asia/Kathmandu", "UTC"])
def test_consecutive_runs_partition_the_issues_at_the_window_end(profile_zone, tmp_path):
    with JiraEmulator(seed=5, issues=150, projects=3, users=20, profile_zone=profile_zone) as emulator:
        site = emulator.site
        config = emulator.config()
        middle = sorted(site.issues, key=lambda issue: issue.updated)[75].updated
        set_jira_now(site, middle + timedelta(minutes=5, seconds=20))
        first = run_tap(tmp_path / "first", config)
        end = timestamps.jql_bound(middle + timedelta(seconds=20), ZoneInfo(profile_zone))
        assert issue_ids(first) == {issue.id for issue in site.issues if issue.updated < end}
        assert first.final_state["bookmarks"]["issues"]["replication_key_value"] == timestamps.format_utc(end)

        # Edits meanwhile: one in the window end's own minute, a new issue after it.
        edited = next(issue for issue in site.issues if issue.updated < end - timedelta(days=3))
        site.touch(edited.id, end + timedelta(milliseconds=1))
        created = site.add_issue("ENG", end + timedelta(minutes=1))
        site.clock_offset = timedelta(0)
        second = run_tap(tmp_path / "second", config, state=first.final_state)
        assert issue_ids(second) == {issue.id for issue in site.issues if issue.updated >= end}
        assert {edited.id, created.id} <= issue_ids(second)
        # Together the two runs hold every issue; apart from edits, none twice.
        assert issue_ids(first) | issue_ids(second) == {issue.id for issue in site.issues}
        assert issue_ids(first) & issue_ids(second) == {edited.id}


# Los Angeles, 2025-11-02: 01:00-02:00 happens twice (PDT, then PST).
# Los Angeles, 2025-03-09: 02:00-03:00 never happens.
# Sydney, 2025-04-06: 02:00-03:00 happens twice; 2025-10-05: 02:00-03:00 never happens.
DST_CASES = [
    ("America/Los_Angeles", datetime(2025, 11, 2, 8, 25, tzinfo=UTC), 1),  # 01:25 PDT, read as PST
    ("America/Los_Angeles", datetime(2025, 11, 2, 9, 25, tzinfo=UTC), 0),  # 01:25 PST, read as PDT
    ("America/Los_Angeles", datetime(2025, 3, 9, 10, 25, tzinfo=UTC), 0),  # 03:25 PDT, just after the gap
    ("Australia/Sydney", datetime(2025, 4, 5, 15, 25, tzinfo=UTC), 1),  # 02:25 AEDT, read as AEST
    ("Australia/Sydney", datetime(2025, 10, 4, 16, 25, tzinfo=UTC), 0),  # 03:25 AEDT, just after the gap
]


@pytest.mark.parametrize(("profile_zone", "window_end", "fold"), DST_CASES,
                         ids=[f"{zone}-{end:%Y%m%dT%H%M}-fold{fold}" for zone, end, fold in DST_CASES])
def test_no_gap_across_daylight_saving_changes(profile_zone, window_end, fold, tmp_path):
    """Issues every 10 minutes around the change; the first run ends inside it. Whichever
    instant Jira takes a repeated wall time for, the two runs lose nothing."""
    with JiraEmulator(seed=8, issues=60, projects=2, users=10, profile_zone=profile_zone) as emulator:
        site = emulator.site
        site.ambiguous_fold = fold
        around = [window_end + timedelta(minutes=10 * step) for step in range(-12, 12)]
        for issue, when in zip(site.issues, around, strict=False):
            site.touch(issue.id, when)
        config = emulator.config(start_date=(window_end - timedelta(hours=3)).isoformat())
        set_jira_now(site, window_end + timedelta(minutes=5))
        first = run_tap(tmp_path / "first", config)
        site.clock_offset = timedelta(0)
        second = run_tap(tmp_path / "second", config, state=first.final_state)
        moved = {issue.id for issue in site.issues[: len(around)]}
        assert moved <= issue_ids(first) | issue_ids(second)  # no gap
        assert issue_ids(first) and issue_ids(second) & moved
        jql = [line for line in first.stderr.splitlines() if "Issues JQL" in line][0]
        local_end = timestamps.parse(first.final_state["bookmarks"]["issues"]["replication_key_value"])
        assert local_end <= window_end and "updated <" in jql


def test_search_index_lag_is_waited_out_not_skipped(tmp_path):
    with JiraEmulator(seed=12, issues=80, projects=2, users=10) as emulator:
        site = emulator.site
        config = emulator.config()
        now = site.now()
        late, visible = site.issues[10], site.issues[11]
        site.touch(late.id, now - timedelta(minutes=3))  # not yet in the search index
        site.touch(visible.id, now - timedelta(minutes=1))
        site.index_lag = timedelta(minutes=4)
        first = run_tap(tmp_path / "first", config)
        assert late.id not in issue_ids(first) and visible.id not in issue_ids(first)  # both after the bound
        site.index_lag = timedelta(0)
        site.clock_offset = timedelta(minutes=10)  # time passes; the index caught up
        second = run_tap(tmp_path / "second", config, state=first.final_state)
        assert {late.id, visible.id} <= issue_ids(second)



def test_lookback_minutes_widens_the_overlap(tmp_path):
    with JiraEmulator(seed=14, issues=90, projects=2, users=10, profile_zone="UTC") as emulator:
        site = emulator.site
        first = run_tap(tmp_path / "first", emulator.config())
        bookmark = timestamps.parse(first.final_state["bookmarks"]["issues"]["replication_key_value"])
        for minutes, issue in zip((5, 20, 40), site.issues, strict=False):
            site.touch(issue.id, bookmark - timedelta(minutes=minutes))
        second = run_tap(tmp_path / "second", emulator.config(lookback_minutes=30), state=first.final_state)
        assert issue_ids(second) == {site.issues[0].id, site.issues[1].id}


def test_start_date_bounds_the_first_run(tmp_path):
    with JiraEmulator(seed=6, issues=120, projects=2, users=10, profile_zone="America/New_York") as emulator:
        issues = sorted(emulator.site.issues, key=lambda issue: issue.updated)
        start = issues[60].updated
        run = run_tap(tmp_path, emulator.config(start_date=start.isoformat()))
        lower = timestamps.jql_bound(start, ZoneInfo("America/New_York"))
        assert issue_ids(run) == {i.id for i in issues if i.updated >= lower}
