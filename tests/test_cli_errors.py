"""Bad input ends the process with one line naming what to fix: no traceback, no secret."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time

import pytest

from jira_emulator import JiraEmulator, payloads
from tap_jira.streams import STREAM_TYPES
from tests.conftest import BIN, TapRun, run_tap

SECRET = "s3cr3t-api-token-value"


def assert_one_line_error(run, *needles: str, code: int) -> str:
    assert run.returncode == code, run.stderr[-2000:]
    assert "Traceback" not in run.stderr
    errors = [line for line in run.stderr.splitlines() if line.startswith("tap-jira: error: ")]
    assert len(errors) == 1, run.stderr[-2000:]
    for needle in needles:
        assert needle in errors[0]
    assert SECRET not in run.stderr + run.stdout
    return errors[0]


@pytest.mark.parametrize(
    ("config", "needles"),
    [
        ({"email": "a@example.com", "api_token": SECRET}, ["`base_url` is required"]),
        ({"base_url": "https://x.atlassian.net", "email": "a@example.com", "api_token": SECRET,
          "start_date": "31/12/2024"}, ["`start_date`", "ISO 8601"]),
        ({"base_url": "https://x.atlassian.net", "email": "a@example.com", "api_token": SECRET,
          "auth_type": "magic"}, ["`auth_type`", "basic, oauth2, oauth1, pat"]),
        ({"base_url": "http://jira.example.com", "email": "a@example.com", "api_token": SECRET},
         ["`base_url`", "http://", "https://"]),
        ({"base_url": "https://x.atlassian.net", "email": "a@example.com"}, ["`api_token`"]),
    ],
    ids=["missing-base_url", "bad-start_date", "unknown-auth_type", "non-loopback-http", "missing-api_token"],
)
def test_bad_config_is_refused_before_any_request(tmp_path, config, needles):
    run = run_tap(tmp_path, config)
    assert_one_line_error(run, *needles, code=2)
    assert run.stdout == ""


def test_wrong_api_token_is_named_and_nothing_is_emitted(tmp_path, emulator):
    run = run_tap(tmp_path, emulator.config(api_token=SECRET))
    assert_one_line_error(run, "401", "`api_token`", emulator.site.account.email, code=1)
    assert not [m for m in run.messages if m["type"] == "RECORD"]


@pytest.mark.parametrize(
    ("overrides", "needles"),
    [
        ({"jql": "colour = red"}, ["Field 'colour' does not exist", "`jql`"]),
        ({"projects": ["NOPE"]}, ["The value 'NOPE' does not exist for the field 'project'", "`projects`"]),
    ],
)
def test_jql_jira_refuses_is_reported_with_the_config_key(tmp_path, emulator, overrides, needles):
    run = run_tap(tmp_path, emulator.config(**overrides))
    assert_one_line_error(run, "HTTP 400", *needles, code=1)


def test_discover_and_about_need_no_config(tmp_path):
    about = run_tap(tmp_path, {}, "--about", "--format", "json")
    assert about.returncode == 0, about.stderr[-2000:]
    assert json.loads(about.stdout)["name"] == "tap-jira"
    discovered = run_tap(tmp_path, {}, "--discover")
    assert discovered.returncode == 0, discovered.stderr[-2000:]
    streams = {s["tap_stream_id"]: s for s in json.loads(discovered.stdout)["streams"]}
    contract = {name: (s["key_properties"], s.get("replication_key"), s["replication_method"])
                for name, s in streams.items()}
    assert contract == {
        "issues": (["id"], "updated", "INCREMENTAL"),
        "projects": (["id"], None, "FULL_TABLE"),
        "users": (["accountId"], None, "FULL_TABLE"),
        "resolutions": (["id"], None, "FULL_TABLE"),
        "issue_types": (["id"], None, "FULL_TABLE"),
        "statuses": (["id"], None, "FULL_TABLE"),
        "status_categories": (["id"], None, "FULL_TABLE"),
        "priorities": (["id"], None, "FULL_TABLE"),
        "fields": (["id"], None, "FULL_TABLE"),
        "comments": (["id"], "updated", "INCREMENTAL"),
        "worklogs": (["id"], "updated", "INCREMENTAL"),
        "changelogs": (["id"], "created", "INCREMENTAL"),
        "issue_field_history": (["issueId", "historyId", "fieldId", "itemIndex"], "created", "INCREMENTAL"),
        "issue_multiselect_history": (["issueId", "historyId", "fieldId", "valueIndex"], "created", "INCREMENTAL"),
        "boards": (["id"], None, "FULL_TABLE"),
        "sprints": (["id", "boardId"], None, "FULL_TABLE"),
        "issue_links": (["id"], "issueUpdated", "INCREMENTAL"),
        "sprint_issues": (["sprintId", "issueId"], "issueUpdated", "INCREMENTAL"),
        "project_versions": (["id"], None, "FULL_TABLE"),
        "project_components": (["id"], None, "FULL_TABLE"),
        "groups": (["groupId"], None, "FULL_TABLE"),
        "group_members": (["groupId", "accountId"], None, "FULL_TABLE"),
        "board_projects": (["boardId", "projectId"], None, "FULL_TABLE"),
        "board_issues": (["boardId", "issueId"], None, "FULL_TABLE"),
        "custom_field_contexts": (["id", "fieldId"], None, "FULL_TABLE"),
        "custom_field_options": (["id", "fieldId", "contextId"], None, "FULL_TABLE"),
        "project_categories": (["id"], None, "FULL_TABLE"),
        "project_types": (["key"], None, "FULL_TABLE"),
        "project_roles": (["id"], None, "FULL_TABLE"),
        "issue_link_types": (["id"], None, "FULL_TABLE"),
        "server_info": (["baseUrl"], None, "FULL_TABLE"),
        "cloud_instances": (["id"], None, "FULL_TABLE"),
    }
    # board_issues costs a request per 50 issues per board: a user selects it on purpose.
    by_default = {name: next(m["metadata"].get("selected-by-default") for m in s["metadata"] if m["breadcrumb"] == [])
                  for name, s in streams.items()}
    assert {name for name, selected in by_default.items() if not selected} == {"board_issues"}


CLOUD = {"base_url": "https://x.atlassian.net", "email": "a@example.com", "api_token": SECRET}


@pytest.mark.parametrize(
    ("config", "needles"),
    [
        ({**CLOUD, "page_size": 0}, ["`page_size` must be at least 1"]),
        ({**CLOUD, "auth_type": "oauth2"}, ["`client_id`", "required for oauth2 auth"]),
        ({**CLOUD, "lookback_minutes": -5}, ["`lookback_minutes` must be at least 0"]),
        ({**CLOUD, "max_requests_per_second": 0}, ["`max_requests_per_second` must be at least 0.1"]),
        ({**CLOUD, "oauth_token_url": "http://auth.example.com/token"}, ["`oauth_token_url`", "http://"]),
    ],
    ids=["page_size-0", "oauth2-without-its-keys", "negative-lookback", "zero-rate", "http-token-url"],
)
def test_more_bad_config_is_refused_before_any_request(tmp_path, config, needles):
    run = run_tap(tmp_path, config)
    assert_one_line_error(run, *needles, code=2)
    assert run.stdout == ""


def test_malformed_json_files_are_named(tmp_path):
    bad = tmp_path / "config.json"
    bad.write_text('{"base_url": "https://x.atlassian.net", "api_token": "' + SECRET + '",')
    run = TapRun(*_run([str(BIN / "tap-jira"), "--config", str(bad)]))
    assert_one_line_error(run, f"the config file {bad} is not valid JSON (line 1", code=2)
    good = tmp_path / "good.json"
    good.write_text(json.dumps(CLOUD))
    state = tmp_path / "state.json"
    state.write_text("{bookmarks")
    run = TapRun(*_run([str(BIN / "tap-jira"), "--config", str(good), "--state", str(state)]))
    assert_one_line_error(run, f"the state file {state} is not valid JSON", code=2)


def test_a_catalog_selecting_an_unknown_stream_is_refused(tmp_path):
    catalog = {"streams": [{"tap_stream_id": "tickets", "stream": "tickets", "schema": {"type": "object"},
                            "metadata": [{"breadcrumb": [], "metadata": {"selected": True}}]}]}
    run = run_tap(tmp_path, CLOUD, catalog=catalog)
    assert_one_line_error(run, "the catalog selects 'tickets'", "run discovery again", code=2)


def test_an_unreachable_host_fails_in_seconds_with_one_line(tmp_path):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    started = time.monotonic()
    run = run_tap(tmp_path, {**CLOUD, "base_url": f"http://127.0.0.1:{port}"})
    assert time.monotonic() - started < 30  # 3 tries on first contact, not 8 with minutes of backoff
    assert_one_line_error(run, f"cannot reach 127.0.0.1:{port}", "`base_url`", code=1)


def _run(command: list[str]) -> tuple[int, str, str]:
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    return done.returncode, done.stdout, done.stderr


def test_tls_is_verified_against_the_ca_bundle(tmp_path):
    with JiraEmulator(tls=True, seed=3, issues=20, projects=1, users=5, boards=1) as emulator:
        assert emulator.base_url.startswith("https://")
        untrusted = run_tap(tmp_path / "untrusted", emulator.config())
        assert_one_line_error(untrusted, "TLS certificate of 127.0.0.1", "`ca_bundle`", code=1)
        trusted = run_tap(tmp_path / "trusted", emulator.config(ca_bundle=str(emulator.ca_file)))
        assert trusted.returncode == 0, trusted.stderr[-2000:]
        assert len(trusted.records("issues")) == 20
        env = {**os.environ, "REQUESTS_CA_BUNDLE": str(emulator.ca_file)}
        config = tmp_path / "env.json"
        config.write_text(json.dumps(emulator.config()))
        from_env = subprocess.run([str(BIN / "tap-jira"), "--config", str(config)], capture_output=True, text=True,
                                  env=env, timeout=120)
        assert from_env.returncode == 0, from_env.stderr[-2000:]


def test_a_missing_permission_is_quoted_and_what_came_before_stays(tmp_path):
    with JiraEmulator(seed=3, issues=20, projects=1, users=5, boards=1) as emulator:
        emulator.site.forbidden["/rest/api/3/users/search"] = (
            "Browse users and groups permission is required to view users.")
        run = run_tap(tmp_path, emulator.config())
        line = assert_one_line_error(run, "HTTP 403", "GET /rest/api/3/users/search",
                                     "Browse users and groups permission is required", code=1)
        assert "check the account's permissions" in line
        assert len(run.records("issues")) == 20  # streams synced before the refusal stay emitted


def test_discovery_needs_no_valid_config_either(tmp_path):
    """Discovery does not validate (the SDK's own rule): a value a sync would refuse must
    not end it in a traceback."""
    config = {"base_url": "https://x.atlassian.net", "max_workers": "four", "request_timeout": [1],
              "projects": 7}
    discovered = run_tap(tmp_path, config, "--discover")
    assert discovered.returncode == 0, discovered.stderr[-2000:]
    assert len(json.loads(discovered.stdout)["streams"]) == len(STREAM_TYPES)
    refused = run_tap(tmp_path, config)
    assert_one_line_error(refused, "config key `", "must be of type", code=2)


def test_a_jira_that_ignores_start_at_stops_the_run_with_one_line(tmp_path):
    """A proxy that drops the query string serves the first page again and again: the run
    stops, naming the endpoint, instead of looping or skipping records."""
    with JiraEmulator(seed=3, issues=20, projects=2, users=300, boards=1) as emulator:
        emulator.rewrites = [payloads.replace_key("/project/search", "startAt", 0),
                             payloads.replace_key("/project/search", "isLast", False)]
        run = run_tap(tmp_path, emulator.config(page_size=1))
    line = assert_one_line_error(run, "GET /rest/api/3/project/search answered the same page twice", code=1)
    assert "Traceback" not in run.stderr and "RuntimeError" not in line
