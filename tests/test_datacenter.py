"""Server / Data Center specifics beyond auth: per-issue child fallbacks and the users key."""

from __future__ import annotations

import logging

import pytest

from jira_emulator import JiraEmulator
from tap_jira.api.client import JiraClient
from tap_jira.children.fetch import ChildFetcher
from tap_jira.progress import Progress
from tap_jira.settings import Settings
from tap_jira.timestamps import JiraClock
from tests.conftest import run_tap


@pytest.fixture(scope="module")
def datacenter():
    with JiraEmulator(flavour="datacenter", seed=9, issues=120, projects=2, users=10, boards=2) as running:
        yield running


def _client(emulator: JiraEmulator) -> JiraClient:
    """The run's client on its own (no tap, no stream), with a PAT."""
    config = emulator.config(auth="pat")
    settings = Settings.from_config({**config, "deployment_type": "datacenter"})
    return JiraClient(settings, JiraClock(), Progress(0), logging.getLogger("test-metrics"), user_agent="tests")


def test_without_bulk_endpoints_every_child_comes_per_issue(datacenter):
    """What the tap does on Data Center when an embedded list is short."""
    site = datacenter.site
    busy = [issue for issue in site.issues if len(issue.comments) > 20 and len(issue.histories) > 40][:3]
    ids = [issue.id for issue in busy] + ["999999"]  # the last one was deleted since the search
    fetcher = ChildFetcher(_client(datacenter))
    assert not fetcher.bulk
    comments, changelogs = fetcher.comments(ids), fetcher.changelogs(ids)
    for issue in busy:
        assert [c["id"] for c in comments[issue.id]] == [c.id for c in issue.comments]
        assert [h["id"] for h in changelogs[issue.id]] == [h.id for h in issue.histories]
    assert "999999" not in comments and "999999" not in changelogs
    endpoints = datacenter.request_counts()
    assert endpoints["GET /rest/api/2/issue/{issueIdOrKey}"] == len(ids)
    assert not any("bulkfetch" in endpoint for endpoint in endpoints)


def test_a_catalog_keying_users_by_account_id_is_refused_on_datacenter(datacenter, tmp_path):
    # The DC user name in `email`: basic auth that looks like Cloud to discovery.
    account = datacenter.site.account
    config = {"base_url": datacenter.base_url, "email": account.username, "api_token": account.password}
    run = run_tap(tmp_path, config)
    assert run.returncode == 2
    line = [line for line in run.stderr.splitlines() if line.startswith("tap-jira: error: ")]
    assert len(line) == 1 and "set config key `deployment_type` to datacenter" in line[0]
    assert account.password not in run.stdout + run.stderr
