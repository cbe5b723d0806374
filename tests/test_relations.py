"""Rows read out of issue records (links, sprints), and the lookups' permission and
deployment rules, unit by unit; end to end they are in test_end_to_end.py."""

from __future__ import annotations

import pytest

from tap_jira.children import collect_children
from tap_jira.children.derived import issue_links, sprint_issues
from tap_jira.streams.custom_fields import takes_options

BLOCKS = {"id": "10000", "name": "Blocks", "inward": "is blocked by", "outward": "blocks"}


def issue(issue_id, key, **fields):
    return {"id": issue_id, "key": key, "fields": {"updated": "2026-10-01T10:00:00.000-0700", **fields}}


def test_a_link_reads_the_same_from_both_of_its_issues():
    """ENG-1 blocks ENG-2: ENG-1 shows it with outwardIssue ENG-2, ENG-2 with inwardIssue ENG-1."""
    one = issue("1", "ENG-1", issuelinks=[{"id": "77", "type": BLOCKS, "outwardIssue": {"id": "2", "key": "ENG-2"}}])
    two = issue("2", "ENG-2", issuelinks=[{"id": "77", "type": BLOCKS, "inwardIssue": {"id": "1", "key": "ENG-1"}}])
    from_one, from_two = issue_links(one), issue_links(two)
    assert [{k: v for k, v in row.items() if k != "issueUpdated"} for row in from_one] == [
        {k: v for k, v in row.items() if k != "issueUpdated"} for row in from_two]
    row = from_one[0]
    assert (row["inwardIssueKey"], row["outward"], row["outwardIssueKey"]) == ("ENG-1", "blocks", "ENG-2")
    assert row["typeId"] == "10000" and row["id"] == "77"
    assert row["issueUpdated"] == "2026-10-01T17:00:00.000000+00:00"  # UTC, as every bookmark


def test_a_link_between_two_issues_of_one_batch_comes_once():
    one = issue("1", "ENG-1", issuelinks=[{"id": "77", "type": BLOCKS, "outwardIssue": {"id": "2", "key": "ENG-2"}}])
    two = issue("2", "ENG-2", issuelinks=[{"id": "77", "type": BLOCKS, "inwardIssue": {"id": "1", "key": "ENG-1"}}])
    assert [row["id"] for row in collect_children([one, two], {"issue_links"}, fetcher=None)["issue_links"]] == ["77"]


@pytest.mark.parametrize("broken", [None, "text", [None, "x"], [{"type": BLOCKS}], [{"id": 5, "type": BLOCKS}]])
def test_links_that_are_not_links_are_left_out_without_failing(broken):
    assert issue_links(issue("1", "ENG-1", issuelinks=broken)) == []


def test_the_sprint_field_is_found_by_its_values_whatever_its_id():
    sprint = {"id": 3, "name": "ENG Sprint 3", "state": "closed", "boardId": 2, "goal": ""}
    rows = sprint_issues(issue("9", "ENG-9", customfield_10011=[sprint], customfield_10020=None,
                               labels=["a"], customfield_10040=[{"id": "10200", "value": "iOS"}]))
    assert [(r["sprintId"], r["issueId"], r["boardId"], r["sprintState"]) for r in rows] == [(3, "9", 2, "closed")]


def test_the_server_sprint_text_form_is_read():
    text = ("com.atlassian.greenhopper.service.sprint.Sprint@1f2e3d[id=12,rapidViewId=4,state=ACTIVE,"
            "name=Sprint 12, the big one,goal=Ship it, finally,startDate=2026-09-01T10:00:00.000Z,"
            "endDate=<null>,completeDate=<null>,sequence=12]")
    rows = sprint_issues(issue("9", "OPS-9", customfield_10101=[text]))
    assert [(r["sprintId"], r["boardId"], r["sprintName"], r["sprintState"]) for r in rows] == [
        (12, 4, "Sprint 12, the big one", "active")]


@pytest.mark.parametrize("value", [[{"id": 3, "name": "x", "state": "closed"}],  # no boardId: not sprints
                                   [{"id": "three", "name": "x", "state": "closed", "boardId": 1}],
                                   ["com.atlassian.greenhopper.service.sprint.Sprint@1[rapidViewId=4]"]])
def test_values_that_only_look_like_sprints_give_no_rows(value):
    assert sprint_issues(issue("9", "OPS-9", customfield_10101=value)) == []


@pytest.mark.parametrize(("schema", "expected"), [
    ({"type": "option"}, True), ({"type": "option-with-child"}, True), ({"type": "array", "items": "option"}, True),
    ({"type": "array", "items": "string"}, False), ({"type": "number"}, False), (None, False)])
def test_only_select_fields_are_asked_for_options(schema, expected):
    assert takes_options(schema) is expected


def test_one_unreadable_entry_of_the_sprint_field_costs_only_itself():
    good = "com.atlassian.greenhopper.service.sprint.Sprint@1[id=7,rapidViewId=2,state=CLOSED,name=S7,goal=]"
    no_board = "com.atlassian.greenhopper.service.sprint.Sprint@2[id=8,rapidViewId=<null>,state=FUTURE,name=S8]"
    rows = sprint_issues(issue("9", "OPS-9", customfield_10101=[good, no_board, "junk", {"id": 3}]))
    assert [(r["sprintId"], r["boardId"]) for r in rows] == [(7, 2), (8, None)]
