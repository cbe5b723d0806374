"""The emulator's JQL evaluator reads queries the way Jira Cloud does."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from jira_emulator import jql
from jira_emulator.data import Site

UTC = timezone.utc


@pytest.fixture(scope="module")
def site() -> Site:
    return Site("http://127.0.0.1:1", seed=11, issues=120, projects=4, users=10)


def ids(issues) -> list[str]:
    return [issue.id for issue in issues]


def test_date_literals_are_read_in_the_callers_zone_at_minute_precision(site):
    issue = site.issues[5]
    site.touch(issue.id, datetime(2026, 3, 1, 9, 30, 45, 500000, tzinfo=UTC))
    sydney = ZoneInfo("Australia/Sydney")  # UTC+11 on 1 March 2026
    exact = jql.parse('updated >= "2026/03/01 20:30" AND project = ' + issue.project.key, site, sydney)
    later = jql.parse('updated >= "2026-03-01 20:31" AND project = ' + issue.project.key, site, sydney)
    assert issue.id in ids(exact.run(site.issues))
    assert issue.id not in ids(later.run(site.issues))
    # The same wall-clock literal read as UTC is eleven hours later: no match.
    as_utc = jql.parse('updated >= "2026/03/01 20:30" AND project = ' + issue.project.key, site, ZoneInfo("UTC"))
    assert issue.id not in ids(as_utc.run(site.issues))


def test_project_filters_and_order(site):
    query = jql.parse('project in ("ENG", OPS) AND created >= "2020/01/01" ORDER BY updated ASC', site, ZoneInfo("UTC"))
    found = query.run(site.issues)
    assert found and {i.project.key for i in found} == {"ENG", "OPS"}
    assert [i.updated for i in found] == sorted(i.updated for i in found)
    assert len(found) == sum(1 for i in site.issues if i.project.key in ("ENG", "OPS"))


def test_boolean_logic_and_negation(site):
    zone = ZoneInfo("UTC")
    eng = set(ids(jql.parse("project = ENG", site, zone).run(site.issues)))
    not_eng = set(ids(jql.parse("NOT project = ENG", site, zone).run(site.issues)))
    either = set(ids(jql.parse("project = ENG OR (project != ENG AND project = OPS)", site, zone).run(site.issues)))
    assert eng and not (eng & not_eng) and len(eng | not_eng) == len(site.issues)
    ops = set(ids(jql.parse("project = OPS", site, zone).run(site.issues)))
    assert either == eng | ops


def test_epoch_milliseconds_are_time_zone_free(site):
    cut = site.issues[0].updated
    millis = int(cut.timestamp() * 1000)
    found = jql.parse(f"updated >= {millis}", site, ZoneInfo("Asia/Kathmandu")).run(site.issues)
    assert all(i.updated >= cut for i in found) and site.issues[0] in found


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Unbounded JQL queries are not allowed here"),
        ("ORDER BY updated DESC", "Unbounded JQL queries are not allowed here"),
        ("project banana ENG", "Expecting operator but got 'banana'. (line 1, character 9)"),
        ("project = ENG AND", "Expecting a field name but got end of the query"),
        ("project = NOPE", "The value 'NOPE' does not exist for the field 'project'."),
        ('updated >= "yesterday-ish"', "Date value 'yesterday-ish' for field 'updated' is invalid"),
        ("colour = red", "Field 'colour' does not exist"),
    ],
)
def test_bad_queries_are_refused_with_jiras_wording(site, text, message):
    with pytest.raises(jql.JqlError, match=message.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        jql.parse(text, site, ZoneInfo("UTC")).run(site.issues)


def test_relative_dates_count_back_from_now(site):
    now = datetime(2026, 11, 1, tzinfo=UTC)
    recent = jql.parse('updated >= "-2d"', site, ZoneInfo("UTC"), now=now).run(site.issues)
    assert {i.id for i in recent} == {i.id for i in site.issues if i.updated >= now - timedelta(days=2)}


def test_issue_ids_compare_as_numbers(site):
    every = sorted(int(issue.id) for issue in site.issues)
    low, high = every[10], every[20]
    found = jql.parse(f"id >= {low} AND id < {high} ORDER BY id", site, ZoneInfo("UTC")).run(site.issues)
    assert [int(issue_id) for issue_id in ids(found)] == every[10:20]
    above = jql.parse(f"id > {every[-2]}", site, ZoneInfo("UTC")).run(site.issues)
    assert ids(above) == [str(every[-1])]
    with pytest.raises(jql.JqlError):
        jql.parse("id >= ENG-1", site, ZoneInfo("UTC"))
