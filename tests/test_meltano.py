"""tap-jira as a Meltano extractor: the repository's project, and the plugin definition
pasted into a fresh project with the README's commands, loading a real PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import yaml

from jira_emulator import JiraEmulator
from tests.conftest import BIN, REPO, tool


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
    meltano(binary, root, env, "install", "tap-jira", "target-jsonl")
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


def invoked_issues(project, emulator, select: list[str]) -> list[dict]:
    """The issue records `meltano invoke tap-jira` emits with a `select` extra, as meltano.yml would set it."""
    binary, root, env = project
    emulator.site.clock_offset = timedelta(hours=1)  # past any edit an earlier test made near "now"
    try:
        done = meltano(binary, root, {**env, "TAP_JIRA__SELECT": json.dumps(select)}, "invoke", "tap-jira")
    finally:
        emulator.site.clock_offset = timedelta(0)
    messages = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert {m["stream"] for m in messages if m["type"] == "RECORD"} == {"issues"}
    return [m["record"] for m in messages if m["type"] == "RECORD"]


def test_meltano_selects_custom_fields_by_name_and_by_nested_id(project, emulator):
    records = invoked_issues(project, emulator, ["issues.id", "issues.key", "issues.story_point_estimate",
                                       "issues.fields.customfield_10011"])
    truth = {i.key: i for i in emulator.site.issues}
    assert len(records) == len(truth)
    for record in records:
        assert set(record) <= {"id", "key", "updated", "story_point_estimate", "fields"}
        assert record["story_point_estimate"] == truth[record["key"]].static_fields["customfield_10016"]
        assert record["fields"] == {"customfield_10011": truth[record["key"]].static_fields["customfield_10011"]}


def test_meltano_excludes_the_nested_copies_of_custom_fields_by_pattern(project, emulator):
    records = invoked_issues(project, emulator, ["issues.*", "!issues.fields.customfield_*"])
    assert len(records) == len(emulator.site.issues)
    for record in records:
        assert "story_point_estimate" in record and "sprint" in record
        assert "summary" in record["fields"] and not [k for k in record["fields"] if k.startswith("customfield_")]


def test_the_repository_project_loads_duckdb_as_the_readme_says(project, emulator, tmp_path):
    """`meltano run tap-jira target-duckdb` with meltano.yml's pinned loader: every row, every table."""
    from tests.warehouse import duckdb_query

    binary, root, env = project
    meltano(binary, root, env, "install", "target-duckdb")
    database = tmp_path / "warehouse.duckdb"
    run_env = {**env, "TARGET_DUCKDB_FILEPATH": str(database), "MELTANO_STATE_BACKEND_URI": f"file://{tmp_path}/state"}
    emulator.site.clock_offset = timedelta(hours=1)  # past any edit an earlier test made near "now"
    try:
        meltano(binary, root, run_env, "run", "tap-jira", "target-duckdb")
    finally:
        emulator.site.clock_offset = timedelta(0)
    counts = {stream: duckdb_query(database, f"SELECT count(*) FROM jira.{stream}")[0][0]
              for stream in emulator.site.record_counts()}
    assert counts == emulator.site.record_counts()


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
            assert line_counts(out) == {k: v for k, v in cloud.record_counts("oauth2").items() if v}
            assert config["client_secret"] not in done.stdout + done.stderr
        assert cloud.oauth2.refreshes == 2
        assert json.loads((tmp_path / "store.json").read_text())["refresh_token"] != config["refresh_token"]


# ---- the plugin definition and the settings schema agree --------------------------------

KINDS = {"string": "string", "integer": "integer", "number": "decimal", "boolean": "boolean", "array": "array",
         "object": "object"}


def about() -> dict:
    return json.loads(subprocess.run([str(BIN / "tap-jira"), "--about", "--format", "json"], check=True,
                                     capture_output=True, text=True).stdout)


def manifest_extractor() -> dict:
    return yaml.safe_load((REPO / "meltano.yml").read_text())["plugins"]["extractors"][0]


def test_meltano_yml_and_the_plugin_definition_are_generated_from_the_current_schema():
    done = subprocess.run([str(BIN / "python"), "-m", "plugin.definition", "--check"], cwd=REPO,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("source", ["meltano.yml", "plugin/tap-jira.yml"])
def test_every_setting_has_the_tap_schemas_kind_secrecy_default_and_description(source):
    declared = (manifest_extractor() if source == "meltano.yml"
                else yaml.safe_load((REPO / source).read_text()))
    schema = about()["settings"]["properties"]
    settings = {entry["name"]: entry for entry in declared["settings"]}
    assert list(settings) == list(schema)  # the tap's and the SDK's own (stream maps, flattening)
    for name, prop in schema.items():
        entry = settings[name]
        types = [t for t in prop["type"] if t != "null"]
        expected = ("options" if "enum" in prop else "date_iso8601" if prop.get("format") == "date-time"
                    else KINDS[types[0]])
        assert entry["kind"] == expected, name
        assert entry.get("sensitive", False) is bool(prop.get("secret")), name
        assert entry.get("value") == prop.get("default"), name
        assert entry["description"].split() == prop["description"].split(), name
    for name in ("request_timeout", "search_lag_minutes", "max_requests_per_second"):
        assert settings[name]["kind"] == "decimal"  # the tap accepts 2.5; an integer kind would refuse it


def test_declared_capabilities_are_the_taps_own():
    capabilities = about()["capabilities"]
    assert manifest_extractor()["capabilities"] == capabilities
    assert yaml.safe_load((REPO / "plugin/tap-jira.yml").read_text())["capabilities"] == capabilities
    # Claimed only where a test shows it: stream maps and flattening in test_capabilities.py,
    # activate-version in test_deletes.py.
    assert set(capabilities) == {"catalog", "state", "discover", "about", "stream-maps", "schema-flattening",
                                 "activate-version"}


def test_loader_pins_are_those_the_tests_install():
    loaders = {entry["name"]: entry["pip_url"].split()
               for entry in yaml.safe_load((REPO / "meltano.yml").read_text())["plugins"]["loaders"]}
    for name, pins in loaders.items():
        requirements = [line.strip() for line in (REPO / "requirements" / f"{name}.txt").read_text().splitlines()
                        if line.strip() and not line.startswith("#")]
        assert pins == requirements, name


# ---- a team's own project: the definition pasted, the README's commands, PostgreSQL ------

def test_a_fresh_project_with_the_pasted_definition_loads_postgres_and_resumes(tmp_path, postgres):
    binary = tool("MELTANO", REPO / ".venv-meltano/bin/meltano")
    env = {**os.environ, "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false"}
    env = {k: v for k, v in env.items() if not k.startswith(("TAP_JIRA_", "TARGET_"))}
    meltano(binary, tmp_path, env, "init", "team-project", "--no-usage-stats")
    root = tmp_path / "team-project"
    definition = (REPO / "plugin/tap-jira.yml").read_text()
    assert "pip_url: git+https://github.com/YOUR-ORG/tap-jira.git" in definition
    pasted = tmp_path / "tap-jira.yml"
    pasted.write_text(definition.replace("git+https://github.com/YOUR-ORG/tap-jira.git", f"-e {REPO}"))
    loader = tmp_path / "target-postgres.yml"
    loader.write_text(yaml.safe_dump(next(entry for entry in yaml.safe_load((REPO / "meltano.yml").read_text())
                                          ["plugins"]["loaders"] if entry["name"] == "target-postgres")))
    meltano(binary, root, env, "add", "--plugin-type", "extractor", "tap-jira", "--from-ref", str(pasted))
    meltano(binary, root, env, "add", "--plugin-type", "loader", "target-postgres", "--from-ref", str(loader))
    schema = "team_jira"
    with JiraEmulator(seed=21, issues=120, projects=3, users=20) as emulator:
        # The README's commands, as a user types them; the token from the environment.
        for key, value in (("base_url", emulator.base_url), ("email", emulator.site.account.email),
                           ("request_timeout", "120.5"),
                           ("projects", json.dumps([project.key for project in emulator.site.projects]))):
            meltano(binary, root, env, "config", "set", "tap-jira", key, value)
        for key, value in postgres.target_config(schema).items():
            meltano(binary, root, env, "config", "set", "target-postgres", key, str(value))
        run_env = {**env, "TAP_JIRA_API_TOKEN": emulator.site.account.api_token}
        done = meltano(binary, root, run_env, "run", "tap-jira", "target-postgres")
        assert emulator.site.account.api_token not in done.stdout + done.stderr
        counts = {stream: postgres.query(f"SELECT count(*) FROM {schema}.{stream}")[0][0]
                  for stream in emulator.site.record_counts()}
        assert counts == emulator.site.record_counts()

        # Meltano kept the STATE: the second run reads only the issue edited since.
        state = json.loads(meltano(binary, root, env, "state", "get", "dev:tap-jira-to-target-postgres").stdout)
        bookmark = state["singer_state"]["bookmarks"]["issues"]["replication_key_value"]
        edited = emulator.site.issues[11]
        edited.static_fields["summary"] = "Edited after the first meltano run"
        emulator.site.touch(edited.id, datetime.fromisoformat(bookmark) + timedelta(minutes=2))
        emulator.site.clock_offset = timedelta(hours=1)
        emulator.reset_log()
        meltano(binary, root, run_env, "run", "tap-jira", "target-postgres")
        fetched = emulator.request_counts().get("POST /rest/api/3/issue/bulkfetch", 0)
    assert fetched == 1  # one bulk fetch: the single changed issue
    assert postgres.query(f"SELECT count(*) FROM {schema}.issues")[0][0] == counts["issues"]
    assert postgres.query(f"SELECT fields #>> '{{summary}}' FROM {schema}.issues WHERE id = '{edited.id}'") == [
        ("Edited after the first meltano run",)]
