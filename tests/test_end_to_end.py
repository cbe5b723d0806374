"""Emulator on a real socket -> tap-jira process -> target-jsonl process."""

from __future__ import annotations

import json
import os
import subprocess
from collections import Counter
from datetime import timedelta

import pytest

from jira_emulator import JiraEmulator
from jira_emulator.metadata import LINK_TYPES, PROJECT_CATEGORIES, PROJECT_TYPES, ROLES
from jira_emulator.model import ISSUE_TYPES, PRIORITIES, RESOLUTIONS, SPRINT_FIELD, STATUS_CATEGORIES, STATUSES
from tap_jira import timestamps
from tap_jira.streams.custom_fields import takes_options
from tests.conftest import loader, run_tap
from tests.pipeline import TAP, sync_to_jsonl
from tests.test_children import catalog_selecting


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
    site, meta = emulator.site, emulator.site.metadata
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
        "GET /rest/api/3/field": 2,  # discovery (no catalog given) types the fields; the `fields` stream
        "POST /rest/api/3/changelog/bulkfetch": ceil(sum(len(i.histories) for i in long_changelogs), 10000),
        "POST /rest/api/3/issue/bulkfetch": ceil(issues, 100)
        + ceil(sum(len(i.comments) > 100 for i in site.issues), 100),
        "GET /rest/api/3/issue/{issueIdOrKey}/worklog": sum(len(i.worklogs) > 20 for i in site.issues),
        "GET /rest/agile/1.0/board": ceil(len(site.boards), 50),
        "GET /rest/agile/1.0/board/{boardId}/sprint": sum(max(ceil(len(b.sprints) + len(b.shared), 50), 1)
                                                           for b in scrum),
        "GET /rest/agile/1.0/board/{boardId}/project": len(site.boards),
        # Project metadata and configuration: one request a run, or one per parent (per page of 50).
        "GET /rest/api/3/projectCategory": 1,
        "GET /rest/api/3/project/type": 1,
        "GET /rest/api/3/role": 1,
        "GET /rest/api/3/issueLinkType": 1,
        "GET /rest/api/3/project/{projectIdOrKey}/version": sum(
            max(ceil(len(meta.versions_of(p)), 50), 1) for p in site.projects),
        "GET /rest/api/3/project/{projectIdOrKey}/component": sum(
            max(ceil(len(meta.components_of(p)), 50), 1) for p in site.projects),
        "GET /rest/api/3/group/bulk": ceil(len(meta.groups), 50),
        "GET /rest/api/3/group/member": sum(max(ceil(len(g.members), 50), 1) for g in meta.groups),
        "GET /rest/api/3/field/{fieldId}/context": len(meta.contexts),  # one per custom field
        "GET /rest/api/3/field/{fieldId}/context/{contextId}/option": sum(
            1 for field in site.render.field_definitions() if field["custom"] and takes_options(field["schema"])),
        "GET /_edge/tenant_info": 1,  # cloud_instances, with an API token
        # server_info reuses the serverInfo read that told Cloud from Data Center: no request.
    }


def test_project_metadata_matches_the_site_and_joins_the_issues(full_sync, emulator):
    """Categories, types, roles, versions, components and link types equal the site's, and
    every version, component, category and type a project or issue names is a row."""
    run, _ = full_sync
    site, meta = emulator.site, emulator.site.metadata
    categories = exactly_once(run.records("project_categories"), "id")
    assert categories == {c[0] for c in PROJECT_CATEGORIES}
    assert exactly_once(run.records("project_types"), "key") == {t[0] for t in PROJECT_TYPES}
    assert exactly_once(run.records("project_roles"), "id") == {int(r[0]) for r in ROLES}
    assert exactly_once(run.records("issue_link_types"), "id") == {t[0] for t in LINK_TYPES}
    versions, components = run.records("project_versions"), run.records("project_components")
    assert Counter((v["id"], v["projectId"]) for v in versions) == Counter((v.id, v.project.id) for v in meta.versions)
    assert Counter((c["id"], c["projectId"]) for c in components) == Counter(
        (c.id, c.project.id) for c in meta.components)
    assert {v["releaseDate"] for v in versions} == {v.release for v in meta.versions}
    projects, issues = run.records("projects"), run.records("issues")
    assert {p["projectCategory"]["id"] for p in projects if p.get("projectCategory")} <= categories
    assert {p["projectTypeKey"] for p in projects} <= {t[0] for t in PROJECT_TYPES}
    renamed = site.projects[0]
    assert next(p for p in projects if p["id"] == renamed.id)["projectKeys"] == [renamed.key, *renamed.former_keys]
    version_ids, component_ids = {v["id"] for v in versions}, {c["id"] for c in components}
    used_versions = {v["id"] for i in issues for v in i["fields"]["fixVersions"] + i["fields"]["versions"]}
    used_components = {c["id"] for i in issues for c in i["fields"]["components"]}
    assert used_versions and used_versions <= version_ids
    assert used_components and used_components <= component_ids
    for issue in issues:  # a version or component belongs to the issue's own project
        project = issue["fields"]["project"]["id"]
        assert {v["projectId"] for v in versions if v["id"] in {x["id"] for x in issue["fields"]["fixVersions"]}} <= {
            project}


def test_links_and_sprints_are_read_out_of_the_issues_consistently(full_sync, emulator):
    """Each link once, the same way round as the site made it; each (sprint, issue) pair of
    the issues' sprint field once, and every sprint one the sprints stream has, on its board."""
    run, _ = full_sync
    site = emulator.site
    truth = {link.id: link for link in site.metadata.links}
    links = run.records("issue_links")
    assert exactly_once(links, "id") == set(truth) and truth
    for row in links:
        link = truth[row["id"]]
        assert (row["inwardIssueId"], row["outwardIssueId"], row["typeId"]) == (link.inward.id, link.outward.id,
                                                                               link.type[0])
        assert (row["inwardIssueKey"], row["outwardIssueKey"]) == (link.inward.key, link.outward.key)
    by_issue = {issue["id"]: issue for issue in run.records("issues")}
    pairs = Counter((row["sprintId"], row["issueId"]) for row in run.records("sprint_issues"))
    expected = Counter((s["id"], i.id) for i in site.issues for s in i.static_fields[SPRINT_FIELD] or [])
    assert pairs == expected and len(expected) > 20
    sprints = {(row["id"], row["boardId"]) for row in run.records("sprints")}
    for row in run.records("sprint_issues"):
        assert (row["sprintId"], row["boardId"]) in sprints
        assert row["issueUpdated"] == by_issue[row["issueId"]]["updated"]


def test_groups_members_custom_field_options_and_the_site(full_sync, emulator):
    run, _ = full_sync
    site, meta = emulator.site, emulator.site.metadata
    assert exactly_once(run.records("groups"), "groupId") == {g.id for g in meta.groups}
    members = Counter((row["groupId"], row["accountId"]) for row in run.records("group_members"))
    assert members == Counter((g.id, u.account_id) for g in meta.groups for u in g.members)
    assert any(not u.active for g in meta.groups for u in g.members)  # inactive members are included
    assert len(meta.groups[1].members) > 50  # a group over several pages
    contexts = Counter((row["id"], row["fieldId"]) for row in run.records("custom_field_contexts"))
    assert contexts == Counter((c.id, c.field_id) for c in meta.contexts)
    options = run.records("custom_field_options")
    assert Counter((o["id"], o["fieldId"], o["contextId"]) for o in options) == Counter(
        (o["id"], c.field_id, c.id) for c in meta.contexts for o in c.options)
    cascading = [o for o in options if o.get("optionId")]
    assert cascading and all(o["optionId"] in {p["id"] for p in options} for o in cascading)
    used = {issue["fields"]["customfield_10012"]["id"] for issue in run.records("issues")}
    assert used <= {o["id"] for o in options if o["fieldId"] == "customfield_10012"}
    assert Counter((r["boardId"], r["projectId"]) for r in run.records("board_projects")) == Counter(
        (b.id, b.project.id) for b in site.boards)
    [info] = run.records("server_info")
    assert info["baseUrl"] == site.base_url and info["serverTime"].endswith("+00:00")
    assert run.records("cloud_instances") == [
        {"id": site.cloud_id, "name": "127", "url": site.base_url, "avatarUrl": None, "scopes": [], "current": True}]


def test_projects_setting_limits_issues_and_projects(emulator, tmp_path):
    target = loader("target-jsonl")
    run = sync_to_jsonl(target, emulator.config(projects=["OPS", "WEB"], jql="issuetype != Epic"), tmp_path)
    assert run.tap_returncode == 0, run.tap_stderr[-2000:]
    wanted = {i.id for i in emulator.site.issues
              if i.project.key in ("OPS", "WEB") and i.static_fields["issuetype"]["name"] != "Epic"}
    assert wanted and {r["id"] for r in run.records("issues")} == wanted
    assert {r["key"] for r in run.records("projects")} == {"OPS", "WEB"}


def test_projects_setting_limits_every_project_scoped_stream_on_the_server(emulator, tmp_path):
    """Versions, components, boards and what is read through boards (sprints, board
    projects, sprint issues) come for OPS and WEB only, and Jira is asked for those only."""
    site = emulator.site
    wanted = {p.id for p in site.projects if p.key in ("OPS", "WEB")}
    emulator.reset_log()
    run = sync_to_jsonl(loader("target-jsonl"), emulator.config(projects=["OPS", "WEB"]), tmp_path)
    assert run.tap_returncode == 0, run.tap_stderr[-2000:]
    assert {r["projectId"] for r in run.records("project_versions")} == wanted
    assert {r["projectId"] for r in run.records("project_components")} == wanted
    boards = {b.id for b in site.boards if b.project.id in wanted}
    assert exactly_once(run.records("boards"), "id") == boards
    assert {r["boardId"] for r in run.records("board_projects")} == boards
    assert {r["boardId"] for r in run.records("sprints")} <= boards and run.records("sprints")
    assert {r["issueKey"].split("-")[0] for r in run.records("sprint_issues")} == {"OPS", "WEB"}
    asked = [r for r in emulator.requests if r.endpoint.startswith(("/rest/api/3/project/", "/rest/agile/1.0/board"))]
    assert [r.query for r in asked if r.endpoint == "/rest/api/3/project/search"] == [
        "startAt=0&maxResults=100&orderBy=key&expand=description%2Clead%2Curl%2CprojectKeys%2Cinsight"
        "&keys=OPS&keys=WEB"]
    listings = [r.query for r in asked if r.endpoint == "/rest/agile/1.0/board"]
    assert sorted(q.split("projectKeyOrId=")[1] for q in listings) == ["OPS", "WEB"]
    per_project = [r for r in asked if r.endpoint.startswith("/rest/api/3/project/{")]
    assert len(per_project) == 2 * len(wanted)  # versions and components of those projects only


def test_archived_and_trashed_projects_come_only_when_asked(tmp_path):
    with JiraEmulator(seed=7, issues=60, projects=4, users=10) as archive:
        site = archive.site
        site.set_project_status("OPS", "archived")
        site.set_project_status("DATA", "deleted")
        live = {p.id for p in site.projects if p.key in ("ENG", "WEB")}
        default = run_tap(tmp_path / "default", archive.config(), catalog=None)
        assert default.returncode == 0, default.stderr[-2000:]
        assert {r["id"] for r in default.records("projects")} == live
        assert {r["projectId"] for r in default.records("project_versions")} == live
        every = run_tap(tmp_path / "every", archive.config(include_archived_projects=True))
        assert every.returncode == 0, every.stderr[-2000:]
        assert {r["id"] for r in every.records("projects")} == {p.id for p in site.projects}
        assert {r["projectId"] for r in every.records("project_versions")} == {p.id for p in site.projects}
        # Jira's search never returns the issues of archived or trashed projects.
        assert {r["fields"]["project"]["key"] for r in every.records("issues")} == {"ENG", "WEB"}


def test_without_admin_rights_the_admin_streams_are_skipped_with_one_warning_each(tmp_path):
    with JiraEmulator(seed=7, issues=60, projects=3, users=10) as plain:
        plain.site.revoke_admin()
        run = run_tap(tmp_path, plain.config())
        assert run.returncode == 0, run.stderr[-2000:]
        truth = plain.site.record_counts()
        got = Counter(m["stream"] for m in run.messages if m["type"] == "RECORD")
        refused = ("project_roles", "groups", "group_members", "custom_field_contexts", "custom_field_options")
        assert dict(got) == {stream: n for stream, n in truth.items() if stream not in refused}
        warnings = [line for line in run.stderr.splitlines() if "Skipping stream" in line]
        assert len(warnings) == 3, warnings  # groups and contexts speak for the streams read through them
        for stream, permission in (("project_roles", "Administer Jira"), ("groups", "Browse users and groups"),
                                   ("custom_field_contexts", "Administer Jira")):
            assert [line for line in warnings if f"stream {stream}" in line and permission in line], stream
        assert "group_members" in " ".join(warnings) and "custom_field_options" in " ".join(warnings)
        refusals = [r for r in plain.requests if r.status == 403]
        assert Counter(r.endpoint for r in refusals) == Counter(
            {"/rest/api/3/role": 1, "/rest/api/3/group/bulk": 1, "/rest/api/3/field/{fieldId}/context": 1})


def test_board_issues_when_selected_costs_what_the_readme_says(tmp_path):
    with JiraEmulator(seed=7, issues=300, projects=3, users=10, boards=4) as boards:
        catalog = catalog_selecting(tmp_path, boards, "board_issues")
        boards.reset_log()
        run = run_tap(tmp_path, boards.config(), catalog=catalog)
        assert run.returncode == 0, run.stderr[-2000:]
        site = boards.site
        truth = Counter((b.id, i.id) for b in site.boards for i in site.issues if i.project is b.project)
        assert Counter((r["boardId"], r["issueId"]) for r in run.records("board_issues")) == truth
        assert sum(truth.values()) == site.board_issue_count()
        pages = boards.request_counts()["GET /rest/agile/1.0/board/{boardId}/issue"]
        assert pages == sum(ceil(sum(1 for i in site.issues if i.project is b.project), 50) for b in site.boards)
        assert "POST /rest/api/3/search/jql" not in boards.request_counts()  # no issue search


def test_selecting_only_lookups_makes_no_issue_search(emulator, tmp_path):
    lookups = ("issue_types", "statuses", "project_categories", "project_types", "issue_link_types", "server_info")
    emulator.reset_log()
    run = run_tap(tmp_path, emulator.config(), catalog=catalog_selecting(tmp_path, emulator, *lookups))
    assert run.returncode == 0, run.stderr[-2000:]
    assert {m["stream"] for m in run.messages if m["type"] == "RECORD"} == set(lookups)
    assert not [name for name in emulator.request_counts() if "search/jql" in name or "bulkfetch" in name]


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
        # a full load: the short first id page (which holds the window) and the 5000-id page asked beside it
        assert counts["POST /rest/api/3/search/jql"] == 1 + 1
        assert counts["POST /rest/api/3/issue/bulkfetch"] == 3  # at most 100 ids each


def test_a_parent_jira_will_not_open_is_skipped_and_the_rest_is_read(tmp_path):
    """A project listed but not browsable (404 on its versions and components), issue
    linking switched off (404 on the link types): warnings, every other row, exit 0."""
    with JiraEmulator(seed=7, issues=60, projects=3, users=10) as odd:
        site = odd.site
        site.unbrowsable, site.issue_linking = {"OPS"}, False
        run = run_tap(tmp_path, odd.config())
        assert run.returncode == 0, run.stderr[-2000:]
        ops = next(p for p in site.projects if p.key == "OPS")
        browsable = {p.id for p in site.projects} - {ops.id}
        assert {r["projectId"] for r in run.records("project_versions")} == browsable
        assert {r["projectId"] for r in run.records("project_components")} == browsable
        assert run.records("issue_link_types") == [] and run.records("projects")
        warnings = [line for line in run.stderr.splitlines() if "Skipping stream" in line]
        for stream in ("project_versions", "project_components"):
            assert [line for line in warnings if f"{stream} for projectId {ops.id}" in line and "404" in line]
        assert [line for line in warnings if "issue_link_types" in line and "Issue linking is disabled" in line]


def test_projects_no_one_can_see_are_named_in_one_line(emulator, tmp_path):
    catalog = catalog_selecting(tmp_path, emulator, "projects")
    run = run_tap(tmp_path, emulator.config(projects=["NOPE"]), catalog=catalog)
    assert run.returncode == 2, run.stderr[-2000:]
    errors = [line for line in run.stderr.splitlines() if line.startswith("tap-jira: error: ")]
    assert len(errors) == 1 and "config key `projects`" in errors[0] and "NOPE" in errors[0]
