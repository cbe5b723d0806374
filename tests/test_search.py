"""The issue search as plain code: the window (no SDK, no requests), and the Cloud and
Data Center sources driven by a JiraClient against the emulator (no tap, no stream)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from jira_emulator import JiraEmulator
from tap_jira import timestamps
from tap_jira.api.client import JiraClient
from tap_jira.children.inline import issue_fields
from tap_jira.errors import ConfigError, StateError
from tap_jira.progress import Progress
from tap_jira.search import window
from tap_jira.search.cloud import CloudSearch
from tap_jira.search.datacenter import DataCenterSearch
from tap_jira.search.recovery import shifted_out, sliced_window_ids
from tap_jira.settings import Settings
from tap_jira.timestamps import JiraClock

UTC = timezone.utc
SYDNEY = ZoneInfo("Australia/Sydney")
NOW = datetime(2026, 6, 1, 12, 0, 30, tzinfo=UTC)


def plan(*bookmarks: window.Bookmark, start_date: str | None = None, lookback: int = 0, lag: float = 0,
         zone: ZoneInfo = SYDNEY) -> window.SearchWindow:
    return window.plan(bookmarks, start_date=start_date, lookback_minutes=lookback, lag_minutes=lag, now=NOW,
                       zone=zone)


def test_no_bookmark_and_no_start_date_reads_from_1970_to_now():
    searched = plan()
    assert searched.start == window.EPOCH and searched.end is None
    assert searched.ceiling(NOW) == timestamps.format_utc(NOW)


def test_the_oldest_bookmark_less_the_lookback_starts_the_window_on_a_whole_minute_of_the_profile_zone():
    searched = plan(window.Bookmark("issues", "replication_key_value", "2026-05-30T10:15:42.123Z"),
                    window.Bookmark("comments", window.CHILD_WINDOW_KEY, "2026-05-20T08:00:59Z"), lookback=30)
    assert searched.start == datetime(2026, 5, 20, 7, 30, tzinfo=UTC)
    assert searched.start.astimezone(SYDNEY).second == 0


def test_a_start_date_later_than_the_bookmark_wins():
    searched = plan(window.Bookmark("issues", "replication_key_value", "2026-01-01T00:00:00Z"),
                    start_date="2026-03-01T00:00:00Z")
    assert searched.start == datetime(2026, 3, 1, tzinfo=UTC)


def test_a_lookback_past_1970_stops_at_1970():
    searched = plan(window.Bookmark("issues", "replication_key_value", "1970-01-02T00:00:00Z"), lookback=10**7)
    assert searched.start == window.EPOCH


def test_the_lag_ends_the_window_before_jiras_now_and_caps_every_bookmark_there():
    searched = plan(lag=5)
    assert searched.end is not None and searched.end <= NOW - timedelta(minutes=5)
    assert NOW - searched.end < timedelta(minutes=6) and searched.end.astimezone(SYDNEY).second == 0
    assert searched.ceiling(NOW + timedelta(days=1)) == searched.ceiling(NOW)  # fixed by the end, not by now


def test_a_bookmark_ahead_of_jiras_clock_is_refused_naming_its_state_key():
    with pytest.raises(StateError, match=r"`bookmarks\.worklogs\.issues_searched_until` 2027"):
        plan(window.Bookmark("issues", "replication_key_value", "2026-05-01T00:00:00Z"),
             window.Bookmark("worklogs", window.CHILD_WINDOW_KEY, "2027-01-01T00:00:00Z"))
    with pytest.raises(ConfigError, match="config key `start_date`"):
        plan(window.Bookmark("issues", "replication_key_value", None), start_date="2030-01-01")


def test_the_query_is_bounded_ordered_and_scoped():
    searched = plan(window.Bookmark("issues", "replication_key_value", "2026-05-30T10:15:00Z"), lag=5)
    query = searched.query(["ENG", "OPS"], "labels = backend", NOW)
    assert query.startswith('updated >= "2026/05/30 20:15"')  # Sydney is UTC+10 in May
    assert '(updated < "2026/06/01 21:55" OR updated > "2026/06/01 22:02")' in query  # lag 5, future margin 2
    assert 'project in ("ENG", "OPS")' in query and "(labels = backend)" in query
    assert query.endswith("ORDER BY updated ASC")


# ---- the sources, through the run's client alone -------------------------------------------------

def client_for(emulator: JiraEmulator, **overrides: object) -> JiraClient:
    auth = "pat" if emulator.site.flavour == "datacenter" else "basic"
    settings = Settings.from_config(emulator.config(auth, **overrides))
    return JiraClient(settings, JiraClock(), Progress(0), logging.getLogger("test-search"), user_agent="tests")


def window_of(client: JiraClient) -> tuple[str, datetime]:
    searched = window.plan([], start_date=None, lookback_minutes=0, lag_minutes=5, now=client.clock.now(),
                           zone=client.profile_zone)
    assert searched.end is not None
    return searched.query([], None, client.clock.now()), searched.end


def in_updated_order(emulator: JiraEmulator) -> list[str]:
    return [issue.id for issue in sorted(emulator.site.issues, key=lambda i: (i.updated, int(i.id)))]


@pytest.mark.parametrize("flavour", ["cloud", "datacenter"])
def test_a_source_reads_every_issue_once_in_updated_order_with_the_fields_asked(flavour):
    with JiraEmulator(seed=5, issues=730, projects=3, users=10, boards=1, flavour=flavour) as emulator:
        client = client_for(emulator, page_size=100, max_workers=3)
        query, end = window_of(client)
        fields = issue_fields({"comments"})
        source = (CloudSearch(client, query, fields, [], workers=3, end=end) if flavour == "cloud"
                  else DataCenterSearch(client, query, fields, []))
        issues = list(source.issues())
        assert [str(issue["id"]) for issue in issues] == in_updated_order(emulator)
        assert source.missed() == []
        assert all("comment" in issue["fields"] and "worklog" not in issue["fields"] for issue in issues)
        served = emulator.request_counts()
    if flavour == "cloud":  # 1 id page + 8 bulk fetches, then the 1-page recovery pass
        assert served["POST /rest/api/3/search/jql"] == 2 and served["POST /rest/api/3/issue/bulkfetch"] == 8
    else:  # 8 pages of 100, then the id pass (1000 a page)
        assert served["POST /rest/api/2/search"] == 8 + 1


def test_datacenter_recovery_finds_the_issues_that_edits_pushed_past_the_pages():
    with JiraEmulator(seed=6, issues=450, projects=2, users=10, boards=1, flavour="datacenter") as emulator:
        site = emulator.site
        client = client_for(emulator, page_size=100)
        query, _ = window_of(client)
        edited = [site.issues_by_id[issue_id] for issue_id in in_updated_order(emulator)[5:8]]

        def edit(page: int) -> None:
            if page == 1:
                for issue in edited:
                    site.touch(issue.id, site.now() - timedelta(hours=1))  # still inside the window

        site.on_search_page = edit
        source = DataCenterSearch(client, query, issue_fields(set()), [])
        read = [str(issue["id"]) for issue in source.issues()]
        site.on_search_page = None
        missed = source.missed()
    assert missed and not set(missed) & set(read)
    assert set(read) | set(missed) == {issue.id for issue in site.issues}


def test_cloud_leaves_issues_edited_after_their_id_page_to_the_next_window():
    with JiraEmulator(seed=7, issues=300, projects=2, users=10, boards=1) as emulator:
        site = emulator.site
        client = client_for(emulator)
        query, end = window_of(client)
        edited = in_updated_order(emulator)[:4]

        def edit(page: int) -> None:  # after the id page, before the bulk fetches read those ids
            if page == 1:
                for issue_id in edited:
                    site.touch(issue_id, site.now())

        site.on_search_page = edit
        source = CloudSearch(client, query, issue_fields(set()), [], workers=2, end=end)
        read = [str(issue["id"]) for issue in source.issues()]
        site.on_search_page = None
    assert edited and not set(edited) & set(read)
    assert read == [issue_id for issue_id in in_updated_order(emulator) if issue_id not in edited]
    assert source.missed() == []  # outside the window now: the next run's window reads them


def test_the_second_id_pass_searches_id_ranges_side_by_side_and_misses_no_id_outside_them():
    with JiraEmulator(seed=8, issues=730, projects=3, users=10, boards=1) as emulator:
        client = client_for(emulator)
        query, _ = window_of(client)
        every = sorted(int(issue.id) for issue in emulator.site.issues)
        skipped = {every[0], every[1], every[365], every[-1]}  # below, inside and above the ranges
        paged = [issue_id for issue_id in every if issue_id not in skipped]
        emulator.latency.base_ms = 300
        emulator.reset_log()
        missed = shifted_out(sliced_window_ids(client, query, paged, workers=4, per_slice=100), set(paged))
        searches = [entry for entry in emulator.requests if entry.endpoint == "/rest/api/3/search/jql"]
    assert sorted(int(issue_id) for issue_id in missed) == sorted(skipped)
    assert len(searches) == 4 and sum(entry.items for entry in searches) == len(every)
    # side by side: every range's search was held while every other one was
    assert max(entry.at for entry in searches) < min(entry.at + entry.held for entry in searches)
