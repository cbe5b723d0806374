"""Deletes reach the warehouse: between two runs the emulated site hard-deletes issues,
comments, worklogs and a version, and moves an issue to another project; the second
run reports exactly those (with what dies with a deleted issue).

Loaded by meltanolabs-target-postgres with `hard_delete` off and on, and by
target-duckdb with `hard_delete` on.  What each does with them (the README's table):
target-postgres keeps a tombstone as a row with its key and `_sdc_deleted_at` in
both modes (its `hard_delete` applies to ACTIVATE_VERSION only, which removes the
deleted version); target-duckdb removes the row of a tombstone and ignores
ACTIVATE_VERSION.  A census under faults, or with a project's permission lost,
reports none."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from jira_emulator import JiraEmulator
from jira_emulator.faults import Fault, FaultPlan
from tests.conftest import loader, run_tap
from tests.warehouse import duckdb_config, duckdb_query, load

DELETED_AT = "_sdc_deleted_at"
TRACKED = ("issues", "comments", "worklogs", "issue_links", "sprint_issues")


def key_of(stream: str, row: dict[str, Any]) -> tuple[str, ...]:
    if stream == "sprint_issues":
        return str(row["sprintId"]), str(row["issueId"])
    return (str(row["id"]),)


def tombstones(run, stream: str) -> set[tuple[str, ...]]:
    rows = [r for r in run.records(stream) if r.get(DELETED_AT)]
    assert all(set(r) <= {"id", "issueId", "sprintId", DELETED_AT, *named_nulls(r)} for r in rows), rows[:3]
    return {key_of(stream, r) for r in rows}


def named_nulls(row: dict[str, Any]) -> set[str]:
    """What a tombstone may carry besides its key: null columns (issues: `updated`, the named custom columns)."""
    return {key for key, value in row.items() if value is None}


def delete_between_runs(site, first) -> dict[str, set[tuple[str, ...]]]:
    """3 issues, 2 comments and 2 worklogs of other issues, 1 version and 1 link deleted;
    1 issue moved.  Returns the tombstones the next run must send: those, and the children of
    the deleted issues that the first run wrote."""
    issues = list(site.issues)
    doomed = issues[10:13]
    commented = [i for i in issues[20:] if len(i.comments) >= 2][:2]
    logged = [i for i in issues[20:] if i.worklogs and i not in commented][:2]
    moved = next(i for i in issues[60:] if i.project is site.projects[0] and i not in commented + logged)
    doomed_ids = {i.id for i in doomed}
    unlinked = next(link for link in site.metadata.links if not {link.inward.id, link.outward.id} & doomed_ids)
    expected = {
        "issues": {(i.id,) for i in doomed},
        "comments": {(i.comments[0].id,) for i in commented}
        | {(str(r["id"]),) for r in first.records("comments") if r["issueId"] in doomed_ids},
        "worklogs": {(i.worklogs[0].id,) for i in logged}
        | {(str(r["id"]),) for r in first.records("worklogs") if r["issueId"] in doomed_ids},
        "issue_links": {(str(r["id"]),) for r in first.records("issue_links")
                        if {r["inwardIssueId"], r["outwardIssueId"]} & doomed_ids} | {(unlinked.id,)},
        "sprint_issues": {key_of("sprint_issues", r) for r in first.records("sprint_issues")
                          if r["issueId"] in doomed_ids},
    }
    for issue in doomed:
        site.delete_issue(issue.id)
    for issue in commented:
        site.delete_comment(issue.id, issue.comments[0].id)
    for issue in logged:
        site.delete_worklog(issue.id, issue.worklogs[0].id)
    version = site.metadata.versions[0]
    site.delete_version(version.id)
    site.remove_link(unlinked.id)
    site.move_issue(moved.id, site.projects[1].key)
    return {"tombstones": expected, "version": version.id, "moved": (moved.id, moved.key)}  # type: ignore[dict-item]


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory, postgres):
    work = tmp_path_factory.mktemp("deletes")
    target = loader("target-postgres")
    schemas = {"soft": False, "hard": True}
    with JiraEmulator(seed=21, issues=240, projects=4, users=40) as emulator:
        site = emulator.site
        config = emulator.config("basic", deletes_census_hours=0)
        first = run_tap(work / "tap1", config)
        assert first.returncode == 0, first.stderr[-3000:]
        changes = delete_between_runs(site, first)
        site.clock_offset = timedelta(hours=1)  # time passes; the edits are older than the search lag
        second = run_tap(work / "tap2", config, state=first.final_state)
        assert second.returncode == 0, second.stderr[-3000:]
        duckdb = {hard: work / f"{'hard' if hard else 'soft'}.duckdb" for hard in (True, False)}
        for number, run in ((1, first), (2, second)):
            messages = work / f"messages{number}.jsonl"
            messages.write_text(run.stdout)
            for schema, hard in schemas.items():
                load(target, {**postgres.target_config(schema), "hard_delete": hard}, messages,
                     work / f"{schema}{number}")
            for hard, path in duckdb.items():
                load(loader("target-duckdb"), {**duckdb_config(path), "hard_delete": hard}, messages,
                     work / f"duckdb{number}{hard}")
        yield {"first": first, "second": second, "changes": changes, "site": site, "postgres": postgres,
               "duckdb": {hard: (lambda sql, path=path: duckdb_query(path, sql)) for hard, path in duckdb.items()},
               "requests": emulator.requests}


def test_the_first_run_reports_no_deletes(two_runs):
    first = two_runs["first"]
    assert all(not tombstones(first, stream) for stream in TRACKED)


@pytest.mark.parametrize("stream", TRACKED)
def test_the_second_run_reports_exactly_what_was_deleted(two_runs, stream):
    expected = two_runs["changes"]["tombstones"][stream]
    assert expected, "the test must delete something of every kind"
    assert tombstones(two_runs["second"], stream) == expected


def test_a_moved_issue_is_not_deleted_but_re_emitted_under_its_new_key(two_runs):
    moved_id, new_key = two_runs["changes"]["moved"]
    rows = [r for r in two_runs["second"].records("issues") if r["id"] == moved_id]
    assert [(r["key"], r.get(DELETED_AT)) for r in rows] == [(new_key, None)]


def test_full_table_streams_send_activate_version_after_their_rows(two_runs):
    messages = two_runs["second"].messages
    def at(kind: str) -> list[int]:
        return [i for i, m in enumerate(messages) if m["type"] == kind and m["stream"] == "project_versions"]
    versions, rows = at("ACTIVATE_VERSION"), at("RECORD")
    assert len(versions) == 1 and rows and max(rows) < versions[0]
    assert {messages[i]["version"] for i in rows} == {messages[versions[0]]["version"]}


def _ids(query, schema: str, stream: str, where: str = "true") -> set[str]:
    return {str(row[0]) for row in query(f"SELECT id FROM {schema}.{stream} WHERE {where}")}


def _truth(site, stream: str) -> set[str]:
    return {"issues": {i.id for i in site.issues},
            "comments": {c.id for i in site.issues for c in i.comments},
            "worklogs": {w.id for i in site.issues for w in i.worklogs}}[stream]


@pytest.mark.parametrize("schema", ["soft", "hard"])
@pytest.mark.parametrize("stream", ["issues", "comments", "worklogs"])
def test_target_postgres_keeps_each_tombstone_as_a_row_with_its_deletion_time(two_runs, stream, schema):
    query, expected = two_runs["postgres"].query, two_runs["changes"]["tombstones"][stream]
    assert _ids(query, schema, stream, f"{DELETED_AT} IS NOT NULL") == {key[0] for key in expected}
    assert _ids(query, schema, stream, f"{DELETED_AT} IS NULL") == _truth(two_runs["site"], stream)
    # Its upsert sets every other column from the tombstone, which has none: the key stays.
    other = "key" if stream == "issues" else "created"
    assert query(f"SELECT count(*) FROM {schema}.{stream} WHERE {DELETED_AT} IS NOT NULL AND {other} IS NOT NULL"
                 ) == [(0,)]


@pytest.mark.parametrize("stream", ["issues", "comments", "worklogs"])
def test_target_duckdb_with_hard_delete_removes_the_rows(two_runs, stream):
    assert _ids(two_runs["duckdb"][True], "jira", stream) == _truth(two_runs["site"], stream)


@pytest.mark.parametrize("stream", ["issues", "comments", "worklogs"])
def test_target_duckdb_without_hard_delete_keeps_each_tombstone(two_runs, stream):
    query, expected = two_runs["duckdb"][False], two_runs["changes"]["tombstones"][stream]
    assert _ids(query, "jira", stream, f"{DELETED_AT} IS NOT NULL") == {key[0] for key in expected}
    assert _ids(query, "jira", stream, f"{DELETED_AT} IS NULL") == _truth(two_runs["site"], stream)


def test_target_duckdb_ignores_activate_version(two_runs):
    version = two_runs["changes"]["version"]
    assert version in _ids(two_runs["duckdb"][True], "jira", "project_versions")  # as the README's table says


def test_a_deleted_version_goes_through_activate_version(two_runs):
    query, version = two_runs["postgres"].query, two_runs["changes"]["version"]
    assert _ids(query, "soft", "project_versions", f"{DELETED_AT} IS NOT NULL") == {version}
    left = _ids(query, "hard", "project_versions")
    assert version not in left and left == {v.id for v in two_runs["site"].metadata.versions}


def test_the_census_costs_one_request_per_5000_issues_in_scope(two_runs):
    second_run = [r for r in two_runs["requests"] if r.endpoint.endswith("/search/jql")]
    # 240 issues, one page each: run 1 (a full load) the short first id page and the full one asked
    # beside it; run 2 the short page and the census.
    assert len(second_run) == 4


# ---- on any doubt, no deletes ----------------------------------------------------------------


@pytest.fixture
def site_with_deletes(tmp_path):
    with JiraEmulator(seed=5, issues=120, projects=3, users=20) as emulator:
        config = emulator.config("basic", deletes_census_hours=0)
        first = run_tap(tmp_path / "tap1", config)
        assert first.returncode == 0, first.stderr[-3000:]
        doomed = emulator.site.issues[5:7]
        for issue in doomed:
            emulator.site.delete_issue(issue.id)
        emulator.site.clock_offset = timedelta(hours=1)
        emulator.doomed_projects = {issue.project.key for issue in doomed}
        yield emulator, config, first.final_state, [issue.id for issue in doomed]


def _census_requests_fail(emulator, fault: Fault) -> None:
    """`fault` on the census's id page: the second /search/jql request of the run (the
    window's one short id page comes first: 120 issues need no other page, nor a recovery pass)."""
    emulator.faults = FaultPlan([fault])


@pytest.mark.parametrize("fault", [
    Fault("forbidden", path="/search/jql", at=frozenset({2})),
    Fault("unavailable", path="/search/jql", at=frozenset(range(2, 40)), retry_after=0.05),
], ids=["403", "503"])
def test_a_census_that_fails_reports_no_deletes_and_the_next_one_does(site_with_deletes, tmp_path, fault):
    emulator, config, state, doomed = site_with_deletes
    _census_requests_fail(emulator, fault)
    failed = run_tap(tmp_path / "tap2", config, state=state)
    assert failed.returncode == 0, failed.stderr[-3000:]
    assert emulator.faults.injected, "the fault must have hit the census"
    assert not tombstones(failed, "issues")
    assert "Deletes census stopped, so no issue is reported deleted this run" in failed.stderr
    emulator.faults = FaultPlan()
    again = run_tap(tmp_path / "tap3", config, state=failed.final_state)
    assert tombstones(again, "issues") == {(issue_id,) for issue_id in doomed}


def test_issues_of_a_project_no_longer_browsable_are_held_back(site_with_deletes, tmp_path):
    emulator, config, state, doomed = site_with_deletes
    site = emulator.site
    lost = next(p for p in site.projects if p.key not in emulator.doomed_projects)
    site.browse_revoked.add(lost.key)
    run = run_tap(tmp_path / "tap2", config, state=state)
    assert run.returncode == 0, run.stderr[-3000:]
    assert tombstones(run, "issues") == {(issue_id,) for issue_id in doomed}  # the real deletes still come
    hidden = sum(1 for issue in site.issues if issue.project is lost)
    assert f"{hidden} issue(s) of project(s) {lost.id} are gone" in run.stderr
    site.browse_revoked.clear()  # the permission comes back: nothing was lost
    back = run_tap(tmp_path / "tap3", config, state=run.final_state)
    assert not tombstones(back, "issues")


def test_an_issue_moved_out_of_the_configured_projects_is_not_deleted(tmp_path):
    with JiraEmulator(seed=9, issues=90, projects=3, users=20) as emulator:
        site = emulator.site
        scoped = [p.key for p in site.projects[:2]]
        config = emulator.config("basic", deletes_census_hours=0, projects=scoped)
        first = run_tap(tmp_path / "tap1", config)
        assert first.returncode == 0, first.stderr[-3000:]
        leaving = next(i for i in site.issues if i.project is site.projects[0])
        site.move_issue(leaving.id, site.projects[2].key)
        site.clock_offset = timedelta(hours=1)
        second = run_tap(tmp_path / "tap2", config, state=first.final_state)
        assert second.returncode == 0, second.stderr[-3000:]
        assert not tombstones(second, "issues")
        assert "0 written issue(s) deleted, 1 moved out of scope" in second.stderr


def test_data_center_reports_deleted_issues_and_worklogs(tmp_path):
    with JiraEmulator(flavour="datacenter", seed=3, issues=80, projects=2, users=20) as emulator:
        site = emulator.site
        config = emulator.config("basic", deletes_census_hours=0)
        first = run_tap(tmp_path / "tap1", config)
        assert first.returncode == 0, first.stderr[-3000:]
        doomed = next(i for i in site.issues if not i.worklogs)
        logged = next(i for i in site.issues if i.worklogs and i is not doomed)
        worklog_id = logged.worklogs[0].id
        site.delete_issue(doomed.id)
        site.delete_worklog(logged.id, worklog_id)
        site.clock_offset = timedelta(hours=1)
        second = run_tap(tmp_path / "tap2", config, state=first.final_state)
        assert second.returncode == 0, second.stderr[-3000:]
        assert tombstones(second, "issues") == {(doomed.id,)}
        assert tombstones(second, "worklogs") == {(worklog_id,)}


def test_the_deleted_worklog_feed_is_read_across_pages_once(tmp_path):
    """2,500 deletions, five to a millisecond, so pages (1,000 each) end inside one."""
    with JiraEmulator(seed=4, issues=40, projects=2, users=10) as emulator:
        site = emulator.site
        config = emulator.config("basic", deletes_census_hours=0)
        first = run_tap(tmp_path / "tap1", config)
        assert first.returncode == 0, first.stderr[-3000:]
        start = site.now() + timedelta(minutes=1)
        deleted = {str(900000 + n): start + timedelta(milliseconds=n // 5) for n in range(2500)}
        site.deleted_worklogs.extend((int(worklog_id), when) for worklog_id, when in deleted.items())
        site.clock_offset = timedelta(hours=1)
        second = run_tap(tmp_path / "tap2", config, state=first.final_state)
        assert second.returncode == 0, second.stderr[-3000:]
        rows = [r for r in second.records("worklogs") if r.get(DELETED_AT)]
        assert sorted(r["id"] for r in rows) == sorted(deleted)  # each once
        third = run_tap(tmp_path / "tap3", config, state=second.final_state)
        assert not tombstones(third, "worklogs")


def test_two_jobs_on_one_machine_each_get_every_delete(tmp_path):
    """A dev and a prod job (two STATEs, one site, one deletes_store_dir) keep stores apart."""
    with JiraEmulator(seed=6, issues=60, projects=2, users=10) as emulator:
        site = emulator.site
        config = emulator.config("basic", deletes_census_hours=0, deletes_store_dir=str(tmp_path / "store"))
        states = {job: run_tap(tmp_path / f"{job}1", config).final_state for job in ("dev", "prod")}
        assert states["dev"]["bookmarks"]["issues"]["deletes_store"] != states["prod"]["bookmarks"]["issues"][
            "deletes_store"]
        doomed = site.issues[3].id
        site.delete_issue(doomed)
        site.clock_offset = timedelta(hours=1)
        for job, state in states.items():
            assert tombstones(run_tap(tmp_path / f"{job}2", config, state=state), "issues") == {(doomed,)}, job


def test_doubtful_absences_are_not_deleted(tmp_path):
    """An issue that had a security level, once gone, and links when issue linking is off
    (issues carry no `issuelinks`), are not reported."""
    with JiraEmulator(seed=8, issues=60, projects=2, users=10) as emulator:
        site = emulator.site
        secured = site.issues[4]
        secured.static_fields["security"] = {"id": "10000", "name": "Staff only", "description": ""}
        config = emulator.config("basic", deletes_census_hours=0)
        first = run_tap(tmp_path / "tap1", config)
        assert first.returncode == 0, first.stderr[-3000:]
        assert first.records("issue_links")
        site.delete_issue(secured.id)  # or hidden by its level: Jira answers the same
        for issue in site.issues:
            issue.static_fields.pop("issuelinks", None)
            site.touch(issue.id, site.now())
        site.clock_offset = timedelta(hours=1)
        second = run_tap(tmp_path / "tap2", config, state=first.final_state)
        assert second.returncode == 0, second.stderr[-3000:]
        assert not tombstones(second, "issues") and not tombstones(second, "issue_links")
        assert "1 issue(s) with a security level are gone" in second.stderr
