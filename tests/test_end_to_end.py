"""Emulator on a real socket -> tap-jira process -> target-jsonl process."""

from __future__ import annotations

import json
import os
import subprocess
from collections import Counter
from datetime import timedelta

import pytest

from jira_emulator import JiraEmulator
from jira_emulator.model import ISSUE_TYPES, PRIORITIES, RESOLUTIONS, STATUS_CATEGORIES, STATUSES
from tap_jira import timestamps
from tests.conftest import loader, run_tap
from tests.pipeline import TAP, sync_to_jsonl


@pytest.fixture(scope="module")
def full_sync(emulator, tmp_path_factory):
    target = loader("target-jsonl")
    emulator.reset_log()
    run = sync_to_jsonl(target, emulator.config(page_size=50), tmp_path_factory.mktemp("sync"))
    assert run.tap_returncode == 0, run.tap_stderr[-3000:]
    assert run.target_returncode == 0, run.target_stderr[-3000:]
    return run, emulator.request_counts()


def exactly_once(records, key):
    counts = Counter(record[key] for record in records)
    assert all(n == 1 for n in counts.values()), [k for k, n in counts.items() if n > 1][:5]
    return set(counts)


def test_every_issue_arrives_exactly_once_with_its_fields(full_sync, emulator):
    run, _ = full_sync
    records = run.records("issues")
    assert exactly_once(records, "id") == {issue.id for issue in emulator.site.issues}
    truth = emulator.site.issues_by_id
    for record in records:
        issue = truth[record["id"]]
        assert record["key"] == issue.key
        assert record["self"].endswith(f"/rest/api/3/issue/{issue.id}")
        assert record["updated"] == timestamps.format_utc(issue.updated)
        assert record["fields"]["updated"] == emulator.site.render.timestamp(issue.updated)  # raw value kept
        assert record["fields"]["summary"] == issue.static_fields["summary"]  # unicode intact
        custom = {name for name in record["fields"] if name.startswith("customfield_")}
        assert {"customfield_10012", "customfield_10016", "customfield_10040", "customfield_10070"} <= custom


def test_no_secret_in_any_output(full_sync, emulator):
    run, _ = full_sync
    token = emulator.site.account.api_token
    outputs = [run.tap_stderr, run.target_stderr, *(p.read_text() for p in run.output_dir.glob("*.jsonl"))]
    assert not [text for text in outputs if token in text]


def test_issue_records_are_in_updated_order(full_sync):
    run, _ = full_sync
    updated = [record["updated"] for record in run.records("issues")]
    assert updated == sorted(updated)


def test_every_project_user_and_resolution_arrives_exactly_once(full_sync, emulator):
    run, _ = full_sync
    site = emulator.site
    assert exactly_once(run.records("projects"), "id") == {p.id for p in site.projects}
    assert exactly_once(run.records("users"), "accountId") == {u.account_id for u in site.users}
    assert exactly_once(run.records("resolutions"), "id") == {r[0] for r in RESOLUTIONS}
    assert {p["key"] for p in run.records("projects")} == {p.key for p in site.projects}


def test_every_lookup_arrives_once_and_covers_what_the_issues_use(full_sync, emulator):
    """Issue types, statuses, status categories, priorities and fields equal the site's,
    and every one an issue carries joins a row of its lookup."""
    run, _ = full_sync
    site = emulator.site
    assert exactly_once(run.records("issue_types"), "id") == {t[0] for t in ISSUE_TYPES}
    assert exactly_once(run.records("statuses"), "id") == {s[0] for s in STATUSES.values()}
    assert exactly_once(run.records("status_categories"), "id") == {c[0] for c in STATUS_CATEGORIES}
    assert exactly_once(run.records("priorities"), "id") == {p[0] for p in PRIORITIES}
    assert exactly_once(run.records("fields"), "id") == {f["id"] for f in site.render.field_definitions()}
    issues = run.records("issues")
    for lookup, field, key in (("issue_types", "issuetype", "id"), ("statuses", "status", "id"),
                               ("priorities", "priority", "id")):
        used = {issue["fields"][field][key] for issue in issues if issue["fields"].get(field)}
        assert used and used <= {row["id"] for row in run.records(lookup)}, lookup
    categories = {issue["fields"]["status"]["statusCategory"]["id"] for issue in issues}
    assert categories <= {row["id"] for row in run.records("status_categories")}
    by_status = {row["id"]: row["statusCategory"]["key"] for row in run.records("statuses")}
    assert {issue["fields"]["status"]["statusCategory"]["key"] == by_status[issue["fields"]["status"]["id"]]
            for issue in issues} == {True}
    assert {f["id"] for f in run.records("fields")} >= {key for issue in issues for key in issue["fields"]}


def test_final_state_bookmarks_the_search_window_end_in_utc(full_sync, emulator):
    """Everything before the window's end (search_lag_minutes before Jira's now) was
    read, so the bookmark is that end, past the newest issue, on a whole minute."""
    run, _ = full_sync
    bookmark = run.state["bookmarks"]["issues"]["replication_key_value"]
    newest = max(issue.updated for issue in emulator.site.issues)
    assert timestamps.format_utc(newest) < bookmark <= timestamps.format_utc(emulator.site.now() - timedelta(minutes=5))
    assert bookmark.endswith(":00.000000+00:00")


def ceil(a: int, b: int) -> int:
    return -(-a // b)


def test_request_count_per_endpoint(full_sync, emulator):
    """The cost model: id pages of 5000 (plus the id-only check after paging), full issues
    by bulk fetch, 100 a request (embedding up to 100 comments each); changelogs beyond
    the inline 40 in one bulk call (the 240 issues make one batch); worklogs per issue over 20."""
    _, requests = full_sync
    site = emulator.site
    issues, users = len(site.issues), len(site.users)
    long_changelogs = [i for i in site.issues if len(i.histories) > 40]
    scrum = [b for b in site.boards if b.type == "scrum"]
    assert long_changelogs and any(len(i.comments) > 20 for i in site.issues)
    assert requests == {
        "GET /rest/api/2/serverInfo": 1,  # Cloud or Data Center? (a loopback URL does not say)
        "GET /rest/api/3/myself": 1,
        "POST /rest/api/3/search/jql": 2 * ceil(issues, 5000),  # id pages + the id-only check
        "GET /rest/api/3/project/search": 1,
        "GET /rest/api/3/users/search": users // 50 + 1 + (1 if users % 50 else 0),
        "GET /rest/api/3/resolution/search": 1,
        "GET /rest/api/3/issuetype": 1,
        "GET /rest/api/3/status": 1,
        "GET /rest/api/3/statuscategory": 1,
        "GET /rest/api/3/priority/search": 1,
        "GET /rest/api/3/field": 1,
        "POST /rest/api/3/changelog/bulkfetch": ceil(sum(len(i.histories) for i in long_changelogs), 10000),
        "POST /rest/api/3/issue/bulkfetch": ceil(issues, 100)
        + ceil(sum(len(i.comments) > 100 for i in site.issues), 100),
        "GET /rest/api/3/issue/{issueIdOrKey}/worklog": sum(len(i.worklogs) > 20 for i in site.issues),
        "GET /rest/agile/1.0/board": ceil(len(site.boards), 50),
        "GET /rest/agile/1.0/board/{boardId}/sprint": sum(max(ceil(len(b.sprints) + len(b.shared), 50), 1)
                                                           for b in scrum),
    }


def test_projects_setting_limits_issues_and_projects(emulator, tmp_path):
    target = loader("target-jsonl")
    run = sync_to_jsonl(target, emulator.config(projects=["OPS", "WEB"], jql="issuetype != Epic"), tmp_path)
    assert run.tap_returncode == 0, run.tap_stderr[-2000:]
    wanted = {i.id for i in emulator.site.issues
              if i.project.key in ("OPS", "WEB") and i.static_fields["issuetype"]["name"] != "Epic"}
    assert wanted and {r["id"] for r in run.records("issues")} == wanted
    assert {r["key"] for r in run.records("projects")} == {"OPS", "WEB"}


def test_config_from_environment(emulator, tmp_path):
    env = {
        **os.environ,
        "TAP_JIRA_BASE_URL": emulator.base_url,
        "TAP_JIRA_EMAIL": emulator.site.account.email,
        "TAP_JIRA_API_TOKEN": emulator.site.account.api_token,
        "TAP_JIRA_PROJECTS": '["MOB"]',
    }
    done = subprocess.run([str(TAP), "--config", "ENV"], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    records = [json.loads(line) for line in done.stdout.splitlines()]
    keys = {m["record"]["key"] for m in records if m["type"] == "RECORD" and m["stream"] == "projects"}
    assert keys == {"MOB"}


def test_capped_pages_are_followed_to_the_end(tmp_path):
    """page_size 500 is more than /project/search (100) and bulk fetch (100) give."""
    with JiraEmulator(seed=9, issues=230, projects=130, users=5) as site_emulator:
        run = run_tap(tmp_path, site_emulator.config(page_size=500))
        assert run.returncode == 0, run.stderr[-2000:]
        assert exactly_once(run.records("projects"), "id") == {p.id for p in site_emulator.site.projects}
        assert exactly_once(run.records("issues"), "id") == set(site_emulator.site.issues_by_id)
        counts = site_emulator.request_counts()
        assert counts["GET /rest/api/3/project/search"] == 2
        assert counts["POST /rest/api/3/search/jql"] == 1 + 1  # ids, 5000 a page, + the id-only check
        assert counts["POST /rest/api/3/issue/bulkfetch"] == 3  # at most 100 ids each
