"""Every emulator endpoint answers in shapes Atlassian's OpenAPI spec accepts."""

from __future__ import annotations

import copy
import json
import re
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any

import pytest
import requests
from openapi_schema_validator import OAS30Validator

from jira_emulator import JiraEmulator
from jira_emulator.model import Worklog
from jira_emulator.openapi.subset import SUBSET, family_of
from jira_emulator.routes import ROUTES


@lru_cache(maxsize=2)
def spec(family: str = "platform") -> dict[str, Any]:
    """The subset of Atlassian's spec kept in jira_emulator/openapi/ (its README names the source)."""
    return json.loads(SUBSET[family].read_text())


# Where a real capture contradicts the spec's schema, the capture wins; each entry
# names the evidence.  jira_emulator/fixtures/jira-cloud-captured/issue_resolutions.json
# (and the spec's own example) carry `isDefault`, which ResolutionJsonBean lacks.
# ChangeDetails declares non-nullable strings, but the spec's own changelog examples
# (and every capture) carry `"from": null` and `"to": null`.
# The Project schema lacks `projectKeys`, which the spec's own /project/search `expand`
# documents ("Returns all project keys associated with a project").
SPEC_GAPS = {
    "Project": {"projectKeys": {"type": "array", "items": {"type": "string"}}},
    "ResolutionJsonBean": {"isDefault": {"type": "boolean"}},
    "ChangeDetails": {name: {"type": "string", "nullable": True}
                      for name in ("field", "fieldId", "fieldtype", "from", "fromString", "to", "toString")},
}


@lru_cache(maxsize=2)
def components(family: str) -> dict[str, Any]:
    patched = copy.deepcopy(spec(family)["components"])
    for name, extra in SPEC_GAPS.items():
        if name in patched["schemas"]:
            patched["schemas"][name]["properties"].update(extra)
    return patched


def response_schema(path: str, method: str, status: str) -> dict[str, Any]:
    operation = spec(family_of(path))["paths"][path][method.lower()]
    content = operation["responses"][status].get("content")
    if not content:  # most error responses are documented without a body schema
        return {"$ref": "#/components/schemas/ErrorCollection"}
    media = next(iter(content.values()))
    if "schema" not in media:  # a few Agile operations document only an example
        return schema_from_example(json.loads(media["example"]))
    return media["schema"]


def schema_from_example(example: Any) -> dict[str, Any]:
    """No keys or types beyond what the documented example shows."""
    if isinstance(example, dict):
        return {"type": "object", "additionalProperties": False,
                "properties": {key: schema_from_example(value) for key, value in example.items()}}
    if isinstance(example, list):
        merged: dict[str, Any] = {}
        for item in example:
            if isinstance(item, dict):
                merged.update(item)
        return {"type": "array", "items": schema_from_example(merged) if merged else {}}
    return {}


def validate(instance: Any, path: str, method: str = "GET", status: str = "200") -> None:
    # Local "#/components/..." references resolve against the embedded components.
    schema = {**response_schema(path, method, status), "components": components(family_of(path))}
    OAS30Validator(schema).validate(instance)


@pytest.fixture(scope="module")
def site():
    with JiraEmulator(seed=3, issues=60, projects=3, users=40) as running:
        session = requests.Session()
        session.auth = (running.site.account.email, running.site.account.api_token)
        yield running, session


CASES = [
    ("/rest/api/3/myself", "GET", {}),
    ("/rest/api/3/serverInfo", "GET", {}),
    ("/rest/api/3/field", "GET", {}),
    ("/rest/api/3/project/search", "GET", {"expand": "description,lead,url,projectKeys,insight", "maxResults": 2}),
    ("/rest/api/3/users/search", "GET", {"maxResults": 25}),
    ("/rest/api/3/resolution/search", "GET", {}),
    ("/rest/api/3/issuetype", "GET", {}),
    ("/rest/api/3/status", "GET", {}),
    ("/rest/api/3/statuscategory", "GET", {}),
    ("/rest/api/3/priority/search", "GET", {"maxResults": 2}),
    ("/rest/api/3/projectCategory", "GET", {}),
    ("/rest/api/3/project/type", "GET", {}),
    ("/rest/api/3/role", "GET", {}),
    ("/rest/api/3/project/{projectIdOrKey}/version", "GET", {"maxResults": 2}),
    ("/rest/api/3/project/{projectIdOrKey}/component", "GET", {}),
    ("/rest/api/3/issueLinkType", "GET", {}),
    ("/rest/api/3/group/bulk", "GET", {"maxResults": 3}),
    ("/rest/api/3/group/member", "GET", {"groupname": "jira-software-users", "includeInactiveUsers": "true"}),
    ("/rest/api/3/field/{fieldId}/context", "GET", {}),
    ("/rest/api/3/field/{fieldId}/context/{contextId}/option", "GET", {}),
    ("/rest/api/3/search/jql", "GET",
     {"jql": 'updated >= "2020/01/01 00:00" ORDER BY updated ASC', "fields": "*all", "maxResults": 20}),
    ("/rest/api/3/search/jql", "POST", {"jql": "project = ENG", "fields": ["*all"], "maxResults": 10}),
    ("/rest/api/3/search/jql", "GET", {"jql": "project in (ENG, OPS)"}),  # ids only
    ("/rest/api/3/search/jql", "POST", {"jql": "project = ENG", "fields": ["*all"], "expand": "changelog"}),
    ("/rest/api/3/search/jql", "GET", {"jql": "project = ENG", "fields": "*all", "expand": "transitions"}),
    # Children, per issue and in bulk.  Issue 10003 is the busy one: 60 comments, 35 worklogs, 150 histories.
    ("/rest/api/3/issue/{issueIdOrKey}/comment", "GET", {"maxResults": 30}),
    ("/rest/api/3/issue/{issueIdOrKey}/worklog", "GET", {}),
    ("/rest/api/3/issue/{issueIdOrKey}/changelog", "GET", {"startAt": 100}),
    ("/rest/api/3/issue/bulkfetch", "POST", {"issueIdsOrKeys": ["10003", "ENG-1"], "fields": ["comment"],
                                             "expand": ["changelog"]}),
    ("/rest/api/3/changelog/bulkfetch", "POST", {"issueIdsOrKeys": ["10003", "10004"], "maxResults": 100}),
    ("/rest/api/3/comment/list", "POST", {"ids": [10001, 10002, 10003]}),
    ("/rest/api/3/worklog/updated", "GET", {"since": 0}),
    ("/rest/api/3/worklog/list", "POST", {"ids": [10001, 10002]}),
    # Jira Software
    ("/rest/agile/1.0/board", "GET", {}),
    ("/rest/agile/1.0/board/{boardId}/sprint", "GET", {}),
    ("/rest/agile/1.0/board/{boardId}/issue", "GET", {"maxResults": 3}),
    ("/rest/agile/1.0/board/{boardId}/project", "GET", {}),
]
# Board 3: the scrum board with 60 sprints; customfield_10012 (Severity) a select, its context 10103.
PATH_VALUES = {"issueIdOrKey": "10003", "boardId": "3", "projectIdOrKey": "ENG", "fieldId": "customfield_10012",
               "contextId": "10103"}  # board 3: the scrum board with 60 sprints


@pytest.mark.parametrize(("path", "method", "params"), CASES, ids=[f"{m} {p}" for p, m, _ in CASES])
def test_success_bodies_match_the_spec(site, path, method, params):
    running, session = site
    url = running.base_url + path.format(**PATH_VALUES)
    if method == "GET":
        response = session.get(url, params=params)
    else:
        response = session.post(url, json=params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body, "an empty body validates trivially"
    validate(body, path, method)


def test_search_page_carries_issues_with_all_fields(site):
    running, session = site
    body = session.get(running.base_url + "/rest/api/3/search/jql",
                       params={"jql": "project = ENG", "fields": "*all", "maxResults": 5}).json()
    issue = body["issues"][0]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d{4}", issue["fields"]["updated"])
    assert issue["fields"]["description"] is None or issue["fields"]["description"]["type"] == "doc"
    assert any(name.startswith("customfield_") for name in issue["fields"])
    assert "total" not in body and body["isLast"] is False and body["nextPageToken"]


@pytest.mark.parametrize(
    ("path", "params", "status"),
    [
        ("/rest/api/3/search/jql", {"jql": "ORDER BY updated"}, "400"),
        ("/rest/api/3/search/jql", {"jql": "project = banana banana"}, "400"),
        ("/rest/api/3/search/jql", {"jql": "project = NOPE"}, "400"),
    ],
)
def test_error_bodies_are_jira_error_collections(site, path, params, status):
    running, session = site
    response = session.get(running.base_url + path, params=params)
    assert str(response.status_code) == status
    validate(response.json(), path, "GET", status)
    assert response.json()["errorMessages"]


@pytest.mark.parametrize(
    ("path", "method", "body", "status"),
    [
        ("/rest/api/3/changelog/bulkfetch", "POST", {"issueIdsOrKeys": [str(n) for n in range(1001)]}, 400),
        ("/rest/api/3/changelog/bulkfetch", "POST", {"issueIdsOrKeys": ["10003"], "maxResults": 10001}, 400),
        ("/rest/api/3/changelog/bulkfetch", "POST",
         {"issueIdsOrKeys": ["10003"], "fieldIds": list("abcdefghijk")}, 400),
        ("/rest/api/3/issue/bulkfetch", "POST", {"issueIdsOrKeys": [str(n) for n in range(101)]}, 400),
        ("/rest/api/3/comment/list", "POST", {"ids": list(range(1001))}, 400),
        ("/rest/api/3/worklog/list", "POST", {"ids": []}, 400),
        ("/rest/api/3/issue/99999/comment", "GET", None, 404),
        ("/rest/api/3/issue/10003/worklog?startAt=x", "GET", None, 404),  # Jira's 404, not 400
        ("/rest/agile/1.0/board/2/sprint", "GET", None, 400),  # kanban
        ("/rest/agile/1.0/board/4/sprint", "GET", None, 400),  # simple
    ],
)
def test_limits_are_enforced_like_jira(site, path, method, body, status):
    running, session = site
    response = session.request(method, running.base_url + path, json=body)
    assert response.status_code == status, response.text
    assert response.json()["errorMessages"]


def test_inline_children_are_capped_with_true_totals(site):
    running, session = site
    body = session.post(running.base_url + "/rest/api/3/search/jql", json={
        "jql": "project = ENG", "fields": ["comment", "worklog"], "expand": "changelog", "maxResults": 5}).json()
    issue = next(issue for issue in body["issues"] if issue["id"] == "10003")
    truth = running.site.issues_by_id[issue["id"]]
    assert issue["fields"]["comment"]["total"] == len(truth.comments) == 60
    assert len(issue["fields"]["comment"]["comments"]) == 20
    assert issue["fields"]["worklog"]["total"] == 35 and len(issue["fields"]["worklog"]["worklogs"]) == 20
    assert issue["changelog"]["total"] == 150 and len(issue["changelog"]["histories"]) == 40


def test_changelog_bulkfetch_pages_with_tokens_in_date_order(site):
    running, session = site
    url = running.base_url + "/rest/api/3/changelog/bulkfetch"
    request = {"issueIdsOrKeys": ["10003", "10004", "10005"], "maxResults": 64}
    seen = []
    while True:
        page = session.post(url, json=request).json()
        seen += [(h["created"], log["issueId"], h["id"])
                 for log in page["issueChangeLogs"] for h in log["changeHistories"]]
        if "nextPageToken" not in page:
            break
        request["nextPageToken"] = page["nextPageToken"]
    truth = running.site.issues_by_id
    assert len(seen) == sum(len(truth[i].histories) for i in ("10003", "10004", "10005")) > 64
    assert len({h for _, _, h in seen}) == len(seen)


def test_worklog_updated_pages_by_thousand_and_hides_the_last_minute():
    with JiraEmulator(seed=3, issues=900, projects=3, users=10) as running:
        site_data = running.site
        now = datetime.now(timezone.utc)
        site_data.issues[0].worklogs.append(Worklog("99999", site_data.account.user, {}, now, now, now, 60))
        session = requests.Session()
        session.auth = (site_data.account.email, site_data.account.api_token)
        url, pages, ids = running.base_url + "/rest/api/3/worklog/updated", [], []
        params = {"since": 0}
        while True:
            page = session.get(url, params=params).json()
            pages.append(page)
            ids += [v["worklogId"] for v in page["values"]]
            if page["lastPage"]:
                break
            assert page["nextPage"].endswith(f"since={page['until']}")
            params = {"since": page["until"]}
        assert len(pages[0]["values"]) == 1000 and len(pages) >= 2
        assert 99999 not in ids  # updated within the last minute
        # `since` is inclusive, so a page boundary may repeat one worklog; none is missed.
        assert set(ids) == {int(w.id) for i in site_data.issues for w in i.worklogs} - {99999}


def test_bad_credentials_get_jiras_plain_text_401(site):
    running, _ = site
    response = requests.get(running.base_url + "/rest/api/3/myself", auth=("ada@example.com", "wrong"))
    assert response.status_code == 401
    assert response.headers["Content-Type"].startswith("text/plain")
    assert response.text == "Client must be authenticated to access this resource."


def test_bad_credentials_get_the_anonymous_view_where_jira_gives_one(site):
    running, _ = site
    response = requests.get(running.base_url + "/rest/api/3/project/search", auth=("ada@example.com", "wrong"))
    assert response.status_code == 200 and response.json()["total"] == 0


def test_old_search_endpoint_is_gone(site):
    running, session = site
    response = session.get(running.base_url + "/rest/api/3/search", params={"jql": "project = ENG"})
    assert response.status_code == 410
    assert "search/jql" in response.json()["errorMessages"][0]


def test_removed_search_is_served_only_behind_the_legacy_switch():
    """For older connectors in benchmarks/compare_peers.py: startAt/total paging, the
    documented SearchResults shape, and the same issues under REST v2 with plain text."""
    with JiraEmulator(seed=3, issues=60, projects=3, users=40, legacy_search=True) as running:
        auth = (running.site.account.email, running.site.account.api_token)
        params = {"jql": "updated >= 0 ORDER BY updated ASC", "fields": "*all", "expand": "changelog",
                  "startAt": 50, "maxResults": 500}
        page = requests.get(running.base_url + "/rest/api/3/search", params=params, auth=auth).json()
        OAS30Validator({"$ref": "#/components/schemas/SearchResults", "components": components("platform")}
                       ).validate(page)
        assert (page["startAt"], page["maxResults"], page["total"], len(page["issues"])) == (50, 100, 60, 10)
        busy = next(i for i in page["issues"] + requests.get(running.base_url + "/rest/api/3/search", auth=auth,
                    params={**params, "startAt": 0}).json()["issues"] if i["id"] == "10003")
        assert (len(busy["changelog"]["histories"]), busy["changelog"]["total"]) == (100, 150)
        v2 = requests.get(running.base_url + "/rest/api/2/search", params=params, auth=auth).json()
        described = [i for i in v2["issues"] if i["fields"]["description"] is not None]
        assert described and all(isinstance(i["fields"]["description"], str) for i in described)
        assert all("/rest/api/2/" in i["self"] and i["fields"]["reporter"]["accountId"] for i in v2["issues"])


def test_request_log_counts_endpoints_and_auth_kinds(site):
    running, session = site
    running.reset_log()
    session.get(running.base_url + "/rest/api/3/myself")
    requests.get(running.base_url + "/rest/api/3/serverInfo")
    assert running.request_counts() == {"GET /rest/api/3/myself": 1, "GET /rest/api/3/serverInfo": 1}
    assert [entry.auth for entry in running.requests] == ["basic", "anonymous"]


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.template)
def test_every_route_the_emulator_serves_is_in_the_kept_spec(route):
    """A new route needs its spec: rerun `python -m jira_emulator.openapi.subset` (see its README.md)."""
    operations = spec(family_of(route.template))["paths"].get(route.template, {})
    assert {method.lower() for method in route.methods} <= set(operations)
