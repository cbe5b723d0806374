"""Every emulator endpoint answers in shapes Atlassian's OpenAPI spec accepts."""

from __future__ import annotations

import copy
import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
import requests
from openapi_schema_validator import OAS30Validator

from tests.emulator import JiraEmulator

SPEC_PATH = Path(__file__).resolve().parents[2] / "shared" / "openapi" / "jira-platform-swagger-v3.v3.json"


@lru_cache(maxsize=1)
def spec() -> dict[str, Any]:
    if not SPEC_PATH.exists():
        pytest.fail(f"OpenAPI spec not found at {SPEC_PATH} (shared/ must sit beside the repository)")
    return json.loads(SPEC_PATH.read_text())


# Where a real capture contradicts the spec's schema, the capture wins; each entry
# names the evidence.  shared/fixtures/jira-cloud-captured/issue_resolutions.json
# (and the spec's own example) carry `isDefault`, which ResolutionJsonBean lacks.
SPEC_GAPS = {"ResolutionJsonBean": {"isDefault": {"type": "boolean"}}}


@lru_cache(maxsize=1)
def components() -> dict[str, Any]:
    patched = copy.deepcopy(spec()["components"])
    for name, extra in SPEC_GAPS.items():
        patched["schemas"][name]["properties"].update(extra)
    return patched


def response_schema(path: str, method: str, status: str) -> dict[str, Any]:
    operation = spec()["paths"][path][method.lower()]
    content = operation["responses"][status].get("content")
    if not content:  # most error responses are documented without a body schema
        return {"$ref": "#/components/schemas/ErrorCollection"}
    return next(iter(content.values()))["schema"]


def validate(instance: Any, path: str, method: str = "GET", status: str = "200") -> None:
    # Local "#/components/..." references resolve against the embedded components.
    schema = {**response_schema(path, method, status), "components": components()}
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
    ("/rest/api/3/search/jql", "GET", {"jql": 'updated >= "2020/01/01 00:00" ORDER BY updated ASC', "fields": "*all", "maxResults": 20}),
    ("/rest/api/3/search/jql", "POST", {"jql": "project = ENG", "fields": ["*all"], "maxResults": 10}),
    ("/rest/api/3/search/jql", "GET", {"jql": "project in (ENG, OPS)"}),  # ids only
]


@pytest.mark.parametrize(("path", "method", "params"), CASES, ids=[f"{m} {p}" for p, m, _ in CASES])
def test_success_bodies_match_the_spec(site, path, method, params):
    running, session = site
    if method == "GET":
        response = session.get(running.base_url + path, params=params)
    else:
        response = session.post(running.base_url + path, json=params)
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


def test_request_log_counts_endpoints_and_auth_kinds(site):
    running, session = site
    running.reset_log()
    session.get(running.base_url + "/rest/api/3/myself")
    requests.get(running.base_url + "/rest/api/3/serverInfo")
    assert running.request_counts() == {"GET /rest/api/3/myself": 1, "GET /rest/api/3/serverInfo": 1}
    assert [entry.auth for entry in running.requests] == ["basic", "anonymous"]
