"""tap-jira as a Meltano extractor: `meltano run tap-jira target-jsonl` from a fresh project."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO, tool
from tests.emulator import JiraEmulator


def meltano(binary: Path, project: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    done = subprocess.run([str(binary), *args], cwd=project, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, f"meltano {' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def line_counts(folder: Path) -> dict[str, int]:
    return {p.stem: len(p.read_text().splitlines()) for p in folder.glob("*.jsonl")}


@pytest.fixture(scope="module")
def project(tmp_path_factory, emulator):
    binary = tool("MELTANO", REPO / ".venv-meltano/bin/meltano")
    root = tmp_path_factory.mktemp("meltano") / "project"
    root.mkdir()
    # The repository's own meltano.yml, with the extractor installed from this checkout.
    manifest = (REPO / "meltano.yml").read_text().replace("pip_url: -e .", f"pip_url: -e {REPO}")
    (root / "meltano.yml").write_text(manifest)
    env = {
        **os.environ,
        "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
        "TAP_JIRA_BASE_URL": emulator.base_url,
        "TAP_JIRA_EMAIL": emulator.site.account.email,
        "TAP_JIRA_API_TOKEN": emulator.site.account.api_token,
    }
    meltano(binary, root, env, "install")
    return binary, root, env


def test_settings_mark_the_secret_sensitive(project):
    binary, root, env = project
    listed = meltano(binary, root, env, "config", "list", "tap-jira")
    assert "api_token" in listed.stdout and env["TAP_JIRA_API_TOKEN"] not in listed.stdout
    about = json.loads(meltano(binary, root, env, "invoke", "tap-jira", "--about", "--format", "json").stdout)
    assert about["name"] == "tap-jira" and "api_token" in about["settings"]["properties"]


def test_meltano_run_loads_every_stream_then_resumes_from_state(project, emulator):
    binary, root, env = project
    first_out = root / "first"
    run_env = {**env, "TARGET_JSONL_DESTINATION_PATH": str(first_out)}
    first_out.mkdir()
    meltano(binary, root, run_env, "run", "tap-jira", "target-jsonl")
    site = emulator.site
    assert line_counts(first_out) == site.record_counts()

    # Meltano kept the STATE: the next run reads only what changed since the bookmark.
    state = json.loads(meltano(binary, root, env, "state", "get", "dev:tap-jira-to-target-jsonl").stdout)
    bookmark = state["singer_state"]["bookmarks"]["issues"]["replication_key_value"]
    edited = site.issues[17]
    site.touch(edited.id, datetime.fromisoformat(bookmark) + timedelta(minutes=2))
    site.clock_offset = timedelta(hours=1)  # time passes
    try:
        second_out = root / "second"
        second_out.mkdir()
        meltano(binary, root, {**env, "TARGET_JSONL_DESTINATION_PATH": str(second_out)},
                "run", "tap-jira", "target-jsonl")
    finally:
        site.clock_offset = timedelta(0)
    second_issues = [json.loads(line) for line in (second_out / "issues.jsonl").read_text().splitlines()]
    assert [record["id"] for record in second_issues] == [edited.id]


def test_oauth2_survives_rotation_across_meltano_runs(project, tmp_path):
    """Meltano writes a fresh config file for each run, always holding the refresh
    token it was given: the second run must find the rotated one in the token store."""
    binary, root, env = project
    with JiraEmulator(seed=3, issues=30, projects=2, users=10, boards=2) as cloud:
        cloud.oauth2.leeway_seconds = 0
        config = cloud.config("oauth2", token_store_path=str(tmp_path / "store.json"))
        oauth_env = {**env, **{f"TAP_JIRA_{key.upper()}": value for key, value in config.items()},
                     "TAP_JIRA_AUTH_TYPE": "oauth2", "MELTANO_STATE_BACKEND_URI": f"file://{tmp_path}/state"}
        for run in (1, 2):
            out = tmp_path / f"run{run}"
            out.mkdir()
            cloud.oauth2.revoke_access_tokens()  # as after the access token's hour
            done = meltano(binary, root, {**oauth_env, "TARGET_JSONL_DESTINATION_PATH": str(out)},
                           "run", "--full-refresh", "tap-jira", "target-jsonl")
            assert line_counts(out) == {k: v for k, v in cloud.site.record_counts().items() if v}
            assert config["client_secret"] not in done.stdout + done.stderr
        assert cloud.oauth2.refreshes == 2
        assert json.loads((tmp_path / "store.json").read_text())["refresh_token"] != config["refresh_token"]
