"""Narrow unit tests of pure pieces: timestamps, JQL building, paginators, config checks."""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
import requests

from tap_jira import field_names, jql, timestamps, validation
from tap_jira.api.pagination import BareArrayPaginator, PageBeanPaginator, StartAtTotalPaginator
from tap_jira.auth.modes import auth_type
from tap_jira.errors import ConfigError

UTC = timezone.utc


@pytest.mark.parametrize(
    ("jira", "utc"),
    [
        ("2022-12-08T02:22:18.889-0800", "2022-12-08T10:22:18.889000+00:00"),
        ("2022-06-09T16:29:31.871-0700", "2022-06-09T23:29:31.871000+00:00"),
        ("2016-04-28T05:08:48.543-07:00", "2016-04-28T12:08:48.543000+00:00"),
        ("2022-05-17T11:25:59.072Z", "2022-05-17T11:25:59.072000+00:00"),
        ("2026-01-01T05:44:00.000+0545", "2025-12-31T23:59:00.000000+00:00"),
    ],
)
def test_jira_timestamps_normalise_to_fixed_width_utc(jira, utc):
    assert timestamps.to_utc_iso(jira) == utc


def test_utc_strings_sort_like_instants_across_offsets():
    raw = ["2026-03-29T01:59:59.999+0100", "2026-03-29T01:00:00.000+0000", "2026-03-28T20:30:00.000-0500"]
    by_instant = sorted(raw, key=timestamps.parse)
    assert sorted(map(timestamps.to_utc_iso, raw)) == [timestamps.to_utc_iso(r) for r in by_instant]


def test_jql_literal_is_the_profile_zone_wall_clock_floored_to_the_minute():
    instant = datetime(2026, 1, 10, 3, 4, 59, 999000, tzinfo=UTC)
    assert timestamps.jql_minute(instant, ZoneInfo("America/Los_Angeles")) == "2026/01/09 19:04"
    assert timestamps.jql_minute(instant, ZoneInfo("Asia/Kathmandu")) == "2026/01/10 08:49"


def test_incremental_query_shape():
    since = datetime(2025, 11, 20, 9, 14, 30, tzinfo=UTC)
    query = jql.incremental_issue_query(since, ZoneInfo("UTC"), ["ENG", "OPS"], 'labels = "x y"')
    assert query == ('updated >= "2025/11/20 09:14" AND project in ("ENG", "OPS") AND (labels = "x y") '
                     "ORDER BY updated ASC")
    assert jql.quote('a"b\\c') == '"a\\"b\\\\c"'


def response(body) -> requests.Response:
    built = requests.Response()
    built.status_code = 200
    built._content = json.dumps(body).encode()
    return built


def test_start_at_total_paginator_stops_at_total_or_an_empty_page():
    paginator = StartAtTotalPaginator("issues")
    paginator.advance(response({"startAt": 0, "maxResults": 1000, "total": 1500, "issues": [{}] * 1000}))
    assert paginator.current_value == 1000 and not paginator.finished
    paginator.advance(response({"startAt": 1000, "maxResults": 1000, "total": 1500, "issues": [{}] * 500}))
    assert paginator.finished


def test_page_bean_paginator_trusts_the_server_not_the_requested_size():
    paginator = PageBeanPaginator()
    # Asked for 200, the server capped at 100 and said so; a short page is not the end.
    paginator.advance(response({"startAt": 0, "maxResults": 100, "total": 130, "isLast": False, "values": [1] * 100}))
    assert paginator.current_value == 100
    paginator.advance(response({"startAt": 100, "maxResults": 100, "total": 130, "isLast": True, "values": [1] * 30}))
    assert paginator.finished


def test_page_bean_paginator_without_is_last_uses_total():
    paginator = PageBeanPaginator()
    paginator.advance(response({"startAt": 0, "maxResults": 2, "total": 3, "values": [1, 2]}))
    assert paginator.current_value == 2 and not paginator.finished
    paginator.advance(response({"startAt": 2, "maxResults": 2, "total": 3, "values": [3]}))
    assert paginator.finished


def test_bare_array_paginator_continues_past_short_pages_and_stops_on_empty():
    paginator = BareArrayPaginator()
    paginator.advance(response([{"accountId": "a"}] * 37))  # short page: not the end
    assert paginator.current_value == 37 and not paginator.finished
    paginator.advance(response([]))
    assert paginator.finished


GOOD = {"base_url": "https://example.atlassian.net", "email": "a@example.com", "api_token": "t0ken"}


@pytest.mark.parametrize(
    ("change", "names"),
    [
        ({"base_url": None}, "`base_url` is required"),
        ({"base_url": "http://jira.example.com"}, "`base_url` uses http:// for non-loopback host"),
        ({"base_url": "ftp://jira.example.com"}, "`base_url` must be an http(s) URL"),
        ({"start_date": "last tuesday"}, "`start_date` must be an ISO 8601 date or date-time"),
        ({"auth_type": "kerberos"}, "`auth_type` must be one of basic, oauth2, oauth1, pat"),
        ({"auth_type": "oauth2"}, "`client_id`, `client_secret`, `refresh_token` required for oauth2 auth"),
        ({"auth_type": "oauth1"}, "`consumer_key`, `private_key` or `private_key_path`, `access_token` required"),
        ({"auth_type": "pat"}, "`personal_access_token` required for pat auth"),
        ({"api_token": None}, "`api_token` or `password` required for basic auth"),
        ({"oauth_token_url": "http://auth.example.com/oauth/token"}, "`oauth_token_url` uses http://"),
        ({"deployment_type": "mainframe"}, "`deployment_type` must be one of cloud, datacenter, server"),
        ({"page_size": 0}, "`page_size` must be at least 1"),
        ({"page_size": "ten"}, "`page_size` must be of type"),
        ({"projects": ["EN G"]}, "`projects`"),
        ({"jql": "project = X ORDER BY created"}, "`jql` must not hold ORDER BY"),
        ({"custom_field_columns": ["story_points"]}, "`custom_field_columns` must be of type"),
        ({"custom_field_columns": {"customfield_10016": "Story Points"}},
         "`custom_field_columns` maps 'customfield_10016' to 'Story Points': a column is lower case"),
        ({"custom_field_columns": {"customfield_10016": "key"}}, "which the issues record already has"),
        ({"custom_field_columns": {"customfield_1": "points", "customfield_2": "points"}},
         "gives two fields the column 'points'"),
    ],
)
def test_config_problems_name_the_key(change, names):
    bad = {**GOOD, **change}
    bad = {k: v for k, v in bad.items() if v is not None}
    with pytest.raises(ConfigError, match=names.replace("(", r"\(").replace(")", r"\)")):
        validation.check(bad)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080", "http://localhost/jira", "http://[::1]:9", "http://127.5.5.5"])
def test_plain_http_is_fine_on_loopback(url):
    validation.check({**GOOD, "base_url": url})


def test_secret_values_never_appear_in_config_errors():
    with pytest.raises(ConfigError) as caught:
        validation.check({**GOOD, "api_token": 12345678})
    assert "12345678" not in str(caught.value)


def test_auth_type_is_inferred_from_the_keys_present():
    assert auth_type(GOOD) == "basic"
    assert auth_type({"personal_access_token": "x"}) == "pat"
    assert auth_type({"consumer_key": "x", "private_key": "y"}) == "oauth1"
    assert auth_type({"client_id": "x", "refresh_token": "y"}) == "oauth2"


# ---- read_ahead: the bounded background prefetch behind the issue batches ----


def test_read_ahead_keeps_order_and_stays_at_most_the_given_items_ahead():
    from tap_jira.read_ahead import read_ahead

    produced: list[int] = []
    lock = threading.Lock()

    def source():
        for number in range(20):
            with lock:
                produced.append(number)
            yield number

    taken = []
    for item in read_ahead(source(), ahead=2):
        time.sleep(0.01)  # the producer has time to run ahead, and must stop at 2
        with lock:  # made but not yet handed over: never more than 2
            assert len(produced) - (len(taken) + 1) <= 2
        taken.append(item)
    assert taken == list(range(20))


def test_read_ahead_raises_the_source_error_at_its_place_and_closes_the_source_when_left_early():
    from tap_jira.read_ahead import read_ahead

    def failing():
        yield 1
        raise ValueError("page 2 failed")

    got = []
    with pytest.raises(ValueError, match="page 2 failed"):
        for item in read_ahead(failing()):
            got.append(item)
    assert got == [1]

    closed = []

    def endless():
        try:
            number = 0
            while True:
                number += 1
                yield number
        finally:
            closed.append(True)

    for item in read_ahead(endless(), ahead=1):
        if item == 3:
            break
    deadline = time.monotonic() + 5
    while not closed and time.monotonic() < deadline:
        time.sleep(0.05)
    assert closed == [True]


def test_the_allocator_is_tuned_on_glibc():
    from tap_jira.memory import tune_allocator

    assert tune_allocator() is True  # this machine runs glibc; elsewhere it is a no-op returning False


def test_a_wait_jira_asks_for_holds_every_thread():
    """A 429 or 503 with Retry-After, seen by one thread, holds the others' next requests."""
    from tap_jira.api.pacing import Pacer

    for status, reason in ((503, ""), (429, "jira-burst-based"), (429, "jira-quota-global-based")):
        pacer = Pacer(1000)
        refused = requests.Response()
        refused.status_code = status
        refused.headers.update({"Retry-After": "0.4", "RateLimit-Reason": reason})
        pacer.observe(refused)
        started = time.monotonic()
        other = threading.Thread(target=pacer.wait_turn)
        other.start()
        other.join()
        assert time.monotonic() - started >= 0.35, (status, reason)


def test_settings_take_each_default_from_the_schema_and_fix_types():
    from dataclasses import fields

    from tap_jira.settings import CONFIG_SCHEMA, Settings

    empty = Settings.from_config({})
    for item in fields(Settings):
        declared = CONFIG_SCHEMA["properties"].get(item.name, {}).get("default")
        if declared is not None:
            assert getattr(empty, item.name) == declared and getattr(Settings(), item.name) == declared, item.name
    given = Settings.from_config({"request_timeout": 2, "max_workers": 3, "projects": ["A"], "user_agent": ""})
    assert (given.request_timeout, given.max_workers, given.projects, given.user_agent) == (2.0, 3, ("A",), "")
    assert isinstance(given.request_timeout, float)
    assert "secret" not in repr(Settings.from_config({"api_token": "secret"}))


def _field(field_id, name):
    return {"id": field_id, "name": name, "custom": True, "schema": {"type": "number"}}


def test_custom_field_columns_follow_names_oldest_first_and_never_take_a_record_key():
    fields = [_field("customfield_10200", "Team"), _field("customfield_10031", "Team"),
              _field("customfield_9", "Key"), _field("customfield_10040", "Priorität (Q1/Q2)"),
              _field("customfield_10041", "2nd reviewer"), _field("customfield_10042", "日本"),
              _field("customfield_10043", "x" * 80), _field("customfield_10044", "x" * 70),
              {"id": "summary", "name": "Summary", "custom": False}]
    chosen = field_names.choose_columns(fields, {})
    assert chosen == {
        "customfield_9": "key_9", "customfield_10031": "team", "customfield_10040": "prioritat_q1_q2",
        "customfield_10041": "f_2nd_reviewer", "customfield_10042": "customfield_10042",
        "customfield_10043": "x" * 60, "customfield_10044": "x" * 54 + "_10044", "customfield_10200": "team_10200"}
    assert max(map(len, chosen.values())) <= 60  # PostgreSQL keeps 63 bytes of a name


def test_a_pinned_column_wins_and_the_field_it_displaces_takes_its_number():
    fields = [_field("customfield_10016", "Story Points"), _field("customfield_10011", "Points")]
    chosen = field_names.choose_columns(fields, {"customfield_10016": "points", "customfield_404": "gone"})
    assert chosen == {"customfield_10016": "points", "customfield_10011": "points_10011"}


def test_a_named_column_of_an_open_field_holds_text():
    assert field_names.column_value({"a": 1}, open_field=True) == '{"a":1}'
    assert field_names.column_value("0|i0000:", open_field=True) == "0|i0000:"
    assert field_names.column_value(None, open_field=True) is None
    assert field_names.column_value({"a": 1}, open_field=False) == {"a": 1}


def test_column_names_end_within_60_characters_even_when_pins_take_every_suffix():
    fields = [_field("customfield_1", "p"), _field("customfield_2", "q"),
              _field("customfield_10044", "a" * 54 + " 10044"), _field("customfield_3", "2" * 80)]
    pins = {"customfield_1": "a" * 54 + "_10044", "customfield_2": "a" * 54 + "_1004_"}
    chosen = field_names.choose_columns(fields, pins)  # used to loop for ever
    assert len(set(chosen.values())) == 4 and max(map(len, chosen.values())) <= 60
    assert chosen["customfield_3"] == "f_" + "2" * 58
    assert field_names.pin_problem({"customfield_3": chosen["customfield_3"]}) is None  # the name can be pinned


def test_which_field_fills_a_column_is_read_from_the_end_of_its_description_only():
    field = {"id": "customfield_7", "name": "Cost (anything else as JSON, as JSON text)", "custom": True,
             "schema": {"type": "number"}}
    prop = field_names.named_property(field, {"type": ["number", "null"], "description": field["name"]})
    assert field_names.columns_in({"properties": {"cost": prop}}) == {"cost": ("customfield_7", False)}
    rank = field_names.named_property({"id": "customfield_8", "name": "Rank", "custom": True}, {})
    assert field_names.columns_in({"properties": {"rank": rank}}) == {"rank": ("customfield_8", True)}


def _history(history_id, *items):
    return {"id": history_id, "issueId": "1", "created": "2025-01-01T00:00:00.000+0000", "items": list(items)}


def test_multiselect_history_keys_stay_unique_and_items_without_field_ids_count():
    from tap_jira.children.multiselect import multiselect_history

    issue = {"id": "1", "fields": {"components": [{"id": "20", "name": "API"}], "customfield_9": []}}
    histories = [
        _history("100", {"field": "Component", "from": None, "to": "20", "toString": "API"},  # no fieldId
                 {"field": "Component", "from": None, "to": "21", "toString": "Web"}),
        _history("101", {"field": "Component", "fieldId": "components", "from": "21", "fromString": "Web"}),
        _history("102", {"field": "labels", "fieldId": "labels", "toString": "a"},
                 {"field": "labels", "fieldId": "labels", "toString": "a b"},  # one history, two whole sets
                 {"field": "Tags", "fieldId": "customfield_9", "to": None, "toString": "iOS,Web"}),
    ]
    rows = multiselect_history(histories, [issue])
    keys = [(r["historyId"], r["fieldId"], r["valueIndex"]) for r in rows]
    assert len(keys) == len(set(keys))
    assert {(r["historyId"], r["fieldId"], r["value"]) for r in rows} == {
        ("100", "components", "20"), ("100", "components", "21"), ("101", "components", "20"),
        ("102", "labels", "a"), ("102", "labels", "b"),
        ("102", "customfield_9", "iOS"), ("102", "customfield_9", "Web")}  # empty now: a list, not labels


def test_a_full_batch_goes_without_waiting_for_the_next_issue():
    """A batch of MAX_BATCH_ISSUES is handed on (and its children fetched) as soon as its
    last issue is in, not once the search has read the next one."""
    from tap_jira.children.batch import MAX_BATCH_ISSUES, batches

    more = threading.Event()

    def search():
        yield from ({"id": n, "fields": {}} for n in range(MAX_BATCH_ISSUES))
        assert more.wait(10), "the first batch waited for the next issue"
        yield {"id": MAX_BATCH_ISSUES, "fields": {}}

    cut = batches(search(), set(), lambda issues: {"fetched": len(issues)})
    first, children = next(cut)
    more.set()
    assert len(first) == MAX_BATCH_ISSUES and children.result(timeout=10) == {"fetched": MAX_BATCH_ISSUES}
    rest = [issues for issues, _ in cut]
    assert [[issue["id"] for issue in issues] for issues in rest] == [["600"]]
