"""Bad input ends the process with one line naming what to fix: no traceback, no secret."""

from __future__ import annotations

import json

import pytest

from tests.conftest import run_tap

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
        "comments": (["id"], "updated", "INCREMENTAL"),
        "worklogs": (["id"], "updated", "INCREMENTAL"),
        "changelogs": (["id"], "created", "INCREMENTAL"),
        "boards": (["id"], None, "FULL_TABLE"),
        "sprints": (["id"], None, "FULL_TABLE"),
    }
