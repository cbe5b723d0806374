"""A second run from the first run's STATE reads what changed, plus the overlap minute, and never less."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from tap_jira import timestamps
from tests.conftest import run_tap
from tests.emulator import JiraEmulator


def floor_minute(instant, zone):
    local = instant.astimezone(ZoneInfo(zone))
    return local.replace(second=0, microsecond=0)


@pytest.mark.parametrize("profile_zone", ["Australia/Sydney", "America/Los_Angeles", "Asia/Kathmandu", "UTC"])
def test_second_run_reads_changes_since_the_bookmark(profile_zone, tmp_path):
    with JiraEmulator(seed=5, issues=150, projects=3, users=20, profile_zone=profile_zone) as emulator:
        site = emulator.site
        config = emulator.config()
        first = run_tap(tmp_path / "first", config)
        assert first.returncode == 0, first.stderr[-2000:]
        assert len(first.records("issues")) == 150
        bookmark = timestamps.parse(first.final_state["bookmarks"]["issues"]["replication_key_value"])

        # Edits after the first run: one inside the bookmark's minute, others later, one new issue.
        edited = [site.issues[3], site.issues[40], site.issues[99]]
        site.touch(edited[0].id, bookmark + timedelta(milliseconds=1))
        site.touch(edited[1].id, bookmark + timedelta(minutes=3, seconds=7))
        site.touch(edited[2].id, bookmark + timedelta(hours=26))
        created = site.add_issue("ENG", bookmark + timedelta(minutes=1))

        second = run_tap(tmp_path / "second", config, state=first.final_state)
        assert second.returncode == 0, second.stderr[-2000:]
        got = [record["id"] for record in second.records("issues")]
        lower = floor_minute(bookmark, profile_zone)
        expected = {issue.id for issue in site.issues if issue.updated >= lower}
        assert set(got) == expected
        assert {issue.id for issue in edited} | {created.id} <= set(got)
        overlap = {issue.id for issue in site.issues if lower <= issue.updated <= bookmark}
        assert len(got) == len(edited) + 1 + len(overlap - {i.id for i in edited})
        assert second.final_state["bookmarks"]["issues"]["replication_key_value"] == timestamps.format_utc(
            max(issue.updated for issue in site.issues)
        )


def test_start_date_bounds_the_first_run(tmp_path):
    with JiraEmulator(seed=6, issues=120, projects=2, users=10, profile_zone="America/New_York") as emulator:
        issues = sorted(emulator.site.issues, key=lambda issue: issue.updated)
        start = issues[60].updated
        run = run_tap(tmp_path, emulator.config(start_date=start.isoformat()))
        assert run.returncode == 0, run.stderr[-2000:]
        lower = floor_minute(start, "America/New_York")
        assert {r["id"] for r in run.records("issues")} == {i.id for i in issues if i.updated >= lower}
