"""The issue search as plain code: the window (no SDK, no requests), and the Cloud and
Data Center sources driven by a JiraClient against the emulator (no tap, no stream)."""

from __future__ import annotations

import logging
from collections.abc import Callable
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


def edit_when(site, issue_ids: list[str], due: Callable[[list[int]], bool], inside: bool) -> list[int]:
    """After each search page served (its number), once `due(the numbers so far)`: the issues
    are edited, to an hour ago (still inside the window) or to now (out of it).  Returns
    the numbers served; `site.on_search_page = None` ends it."""
    served: list[int] = []

    def edit(page: int) -> None:
        served.append(page)
        if due(served):
            for issue_id in issue_ids:
                site.touch(issue_id, site.now() - timedelta(hours=1) if inside else site.now())

    site.on_search_page = edit
    return served


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
    if flavour == "cloud":  # the first id page holds the window: no other id page, no recovery pass
        assert served["POST /rest/api/3/search/jql"] == 1 and served["POST /rest/api/3/issue/bulkfetch"] == 8
    else:  # 8 pages of 100, then the id pass (1000 a page)
        assert served["POST /rest/api/2/search"] == 8 + 1


def test_a_datacenter_window_read_in_one_page_needs_no_recovery_pass():
    with JiraEmulator(seed=5, issues=300, projects=2, users=10, boards=1, flavour="datacenter") as emulator:
        client = client_for(emulator, page_size=1000)
        query, _ = window_of(client)
        source = DataCenterSearch(client, query, issue_fields(set()), [])
        read = [str(issue["id"]) for issue in source.issues()]
        assert source.missed() == []
        served = emulator.request_counts()
    assert read == in_updated_order(emulator) and served["POST /rest/api/2/search"] == 1


def searches_and_fetches(emulator: JiraEmulator) -> tuple[list, list]:
    log = list(emulator.requests)
    return ([entry for entry in log if entry.endpoint == "/rest/api/3/search/jql"],
            [entry for entry in log if entry.endpoint == "/rest/api/3/issue/bulkfetch"])


@pytest.mark.parametrize("full_load", [True, False])
def test_bulk_fetches_start_from_a_short_first_id_page_and_no_issue_is_fetched_twice(full_load):
    with JiraEmulator(seed=9, issues=2600, projects=3, users=10, boards=1) as emulator:
        client = client_for(emulator, max_workers=4)
        query, end = window_of(client)
        emulator.latency.per_item_ms = 0.5  # a 2600-id page is held 1.3 s, a 1000-id one 0.5 s
        emulator.reset_log()
        source = CloudSearch(client, query, issue_fields(set()), [], workers=4, end=end, full_load=full_load)
        read = [str(issue["id"]) for issue in source.issues()]
        assert source.missed() == []
        searches, fetches = searches_and_fetches(emulator)
    assert read == in_updated_order(emulator)
    # one short page, one full page that holds the window (so no recovery pass); each issue fetched once
    assert sorted(entry.items for entry in searches) == [1000, 2600]
    assert len(fetches) == 26 and sum(entry.items for entry in fetches) == 2600
    short, full = sorted(searches, key=lambda entry: entry.items)
    first_fetch = min(entry.at for entry in fetches)
    assert short.at + short.held <= first_fetch < full.at + full.held  # fetching began before the full page was in
    if full_load:  # the full page was asked for beside the short one, not after it
        assert full.at < short.at + short.held
    else:  # an incremental window usually fits the short page: the full one only once it did not
        assert full.at >= short.at + short.held


def test_a_full_load_whose_window_fits_the_short_page_still_reads_every_issue_once():
    with JiraEmulator(seed=10, issues=400, projects=2, users=10, boards=1) as emulator:
        client = client_for(emulator)
        query, end = window_of(client)
        emulator.reset_log()
        source = CloudSearch(client, query, issue_fields(set()), [], workers=2, end=end, full_load=True)
        read = [str(issue["id"]) for issue in source.issues()]
        assert source.missed() == []
        _, fetches = searches_and_fetches(emulator)
    assert read == in_updated_order(emulator) and len(fetches) == 4


def test_cloud_recovery_still_finds_issues_shifted_between_full_pages_behind_the_short_page():
    with JiraEmulator(seed=11, issues=5300, projects=3, users=10, boards=1) as emulator:
        site = emulator.site
        client = client_for(emulator, max_workers=2)
        query, end = window_of(client)
        # after the first full page (the short page is served first): later ids shift back past its end
        edit_when(site, in_updated_order(emulator)[4000:4003], lambda served: served == [1, 1], inside=True)
        emulator.reset_log()
        source = CloudSearch(client, query, issue_fields(set()), [], workers=2, end=end)
        read = [str(issue["id"]) for issue in source.issues()]
        site.on_search_page = None
        missed = source.missed()
        searches, _ = searches_and_fetches(emulator)
    # (an issue moved inside the window past a page end is read twice: upserts by key absorb it)
    assert missed and not set(missed) & set(read)
    assert set(read) | set(missed) == {issue.id for issue in site.issues}
    # the short page, two full pages, then the recovery pass as two id ranges side by side
    assert len(searches) == 1 + 2 + 2


def test_a_full_load_finds_issues_shifted_between_full_pages_read_beside_the_short_page():
    with JiraEmulator(seed=13, issues=10300, projects=3, users=10, boards=1) as emulator:
        site = emulator.site
        client = client_for(emulator, max_workers=2)
        query, end = window_of(client)
        # after the second full page: only the 5000-id chain has one
        edit_when(site, in_updated_order(emulator)[6000:6003], lambda served: served[-1] == 2, inside=True)
        source = CloudSearch(client, query, issue_fields(set()), [], workers=2, end=end, full_load=True)
        read = [str(issue["id"]) for issue in source.issues()]
        site.on_search_page = None
        missed = source.missed()
    assert missed and not set(missed) & set(read)
    assert set(read) | set(missed) == {issue.id for issue in site.issues}


def test_ids_the_short_page_gave_are_skipped_by_id_not_by_place():
    # An issue of the short page moves later inside the window before the full page is read:
    # every later issue of the full page sits one place earlier than the short page had it.
    with JiraEmulator(seed=14, issues=2600, projects=3, users=10, boards=1) as emulator:
        site = emulator.site
        client = client_for(emulator, max_workers=2)
        query, end = window_of(client)
        in_order = in_updated_order(emulator)
        # after the short page, before the full one
        served = edit_when(site, [in_order[10]], lambda served: len(served) == 1, inside=True)
        source = CloudSearch(client, query, issue_fields(set()), [], workers=2, end=end)
        read = [str(issue["id"]) for issue in source.issues()]
        site.on_search_page = None
    assert len(served) == 2 and source.missed() == []  # one full page held the window
    assert sorted(read) == sorted(in_order)  # each once, in_order[1000] included


def test_datacenter_recovery_finds_the_issues_that_edits_pushed_past_the_pages():
    with JiraEmulator(seed=6, issues=450, projects=2, users=10, boards=1, flavour="datacenter") as emulator:
        site = emulator.site
        client = client_for(emulator, page_size=100)
        query, _ = window_of(client)
        edit_when(site, in_updated_order(emulator)[5:8], lambda served: served[-1] == 1, inside=True)
        source = DataCenterSearch(client, query, issue_fields(set()), [])
        read = [str(issue["id"]) for issue in source.issues()]
        site.on_search_page = None
        missed = source.missed()
    assert missed and not set(missed) & set(read)
    assert set(read) | set(missed) == {issue.id for issue in site.issues}


@pytest.mark.parametrize("flavour", ["cloud", "datacenter"])
def test_an_edit_that_empties_the_last_page_still_brings_the_recovery_pass(flavour):
    # One issue more than a full page: the edit takes one of the first page out of the
    # window, the second page comes back empty, and the issue that shifted into the
    # first page's last place was never served.  Only one page held ids, yet two were read.
    page = 5000 if flavour == "cloud" else 100
    with JiraEmulator(seed=12, issues=page + 1, projects=2, users=10, boards=1, flavour=flavour) as emulator:
        site = emulator.site
        client = client_for(emulator, page_size=100, max_workers=2)
        query, end = window_of(client)
        in_order = in_updated_order(emulator)
        edited = in_order[page // 2]  # past Cloud's short page: its bulk fetch comes after the edit
        # after the page of `page` ids (on Cloud the short page comes first); out of the window
        pages_before = 2 if flavour == "cloud" else 1
        edit_when(site, [edited], lambda served: len(served) == pages_before, inside=False)
        source = (CloudSearch(client, query, issue_fields(set()), [], workers=2, end=end) if flavour == "cloud"
                  else DataCenterSearch(client, query, issue_fields(set()), []))
        read = [str(issue["id"]) for issue in source.issues()]
        site.on_search_page = None
        missed = source.missed()
    assert in_order[page] not in read and missed == [in_order[page]]
    # Data Center served the edited issue before the edit; Cloud's bulk fetch saw it newer than the window
    expected = in_order if flavour == "datacenter" else [issue_id for issue_id in in_order if issue_id != edited]
    assert sorted(read + missed) == sorted(expected)


def test_cloud_leaves_issues_edited_after_their_id_page_to_the_next_window():
    with JiraEmulator(seed=7, issues=300, projects=2, users=10, boards=1) as emulator:
        site = emulator.site
        client = client_for(emulator)
        query, end = window_of(client)
        edited = in_updated_order(emulator)[:4]
        # after the id page, before the bulk fetches read those ids
        edit_when(site, edited, lambda served: served[-1] == 1, inside=False)
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
