"""What a Jira, a user or a loader throws at tap-jira: no record lost, no hang, no secret
in a log, no traceback.  Each test runs the tap as a process against the emulator,
which sends the payloads and faults of other Jiras (jira_emulator/payloads.py)."""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from jira_emulator import JiraEmulator, payloads
from jira_emulator.faults import Fault, FaultPlan
from tap_jira import timestamps
from tap_jira.streams import STREAM_TYPES, IssuesStream
from tests.conftest import BIN, TapRun, run_tap
from tests.messages import counts_by_key
from tests.test_children import catalog_selecting
from tests.test_cli_errors import assert_one_line_error

UTC = timezone.utc
SITE = {"seed": 3, "issues": 60, "projects": 2, "users": 30, "boards": 3, "busy_every": 4}
# The issues stream and every stream it feeds.
CHILDREN = ("issues", *(stream.name for stream in STREAM_TYPES if stream.parent_stream_type is IssuesStream))


def complete(run: TapRun, emulator: JiraEmulator, streams=CHILDREN) -> None:
    assert run.returncode == 0, run.stderr[-3000:]
    assert "Traceback" not in run.stderr
    truth = emulator.site.record_counts()
    got = counts_by_key(run.messages)
    assert {s: got.get(s, 0) for s in streams} == {s: truth[s] for s in streams}


def start_tap(tmp_path: Path, config: dict, *args: str, env: dict | None = None,
              stderr_file: Path | None = None) -> subprocess.Popen:
    """The tap as a process; its stderr to `stderr_file` when given (nobody need read
    it meanwhile), else a pipe."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "config.json").write_text(json.dumps(config))
    stderr = stderr_file.open("w") if stderr_file else subprocess.PIPE
    tap = subprocess.Popen([str(BIN / "tap-jira"), "--config", str(tmp_path / "config.json"), *args],
                           stdout=subprocess.PIPE, stderr=stderr, text=True, env={**os.environ, **(env or {})})
    tap.stderr_file = stderr_file  # type: ignore[attr-defined]
    return tap


def finish(tap: subprocess.Popen, timeout: float) -> tuple[TapRun, float]:
    started = time.monotonic()
    stdout, stderr = tap.communicate(timeout=timeout)
    seconds = time.monotonic() - started
    if tap.stderr_file:  # type: ignore[attr-defined]
        stderr = tap.stderr_file.read_text()  # type: ignore[attr-defined]
    return TapRun(tap.returncode, stdout, stderr), seconds


# ---- 1. never lose or skip data silently ------------------------------------------------


@pytest.mark.parametrize("flavour", ["cloud", "datacenter"])
def test_ids_sent_as_json_numbers_lose_no_child(tmp_path, flavour):
    with JiraEmulator(flavour=flavour, **SITE) as emulator:
        emulator.rewrites = [payloads.numeric_ids]
        run = run_tap(tmp_path, emulator.config())
        complete(run, emulator)
    for stream in CHILDREN:  # ids are text whatever Jira sent (sprint ids are integers in Jira Software)
        for record in run.records(stream):
            ids = [record.get(key) for key in ("id", "issueId", "inwardIssueId", "outwardIssueId") if key in record]
            assert ids and all(isinstance(value, str) for value in ids), record


def bookmarks_at_most(state: dict, ceiling: str) -> None:
    for stream, bookmark in state["bookmarks"].items():
        for key in ("replication_key_value", "issues_searched_until"):
            if bookmark.get(key):
                assert bookmark[key] <= ceiling, (stream, key, bookmark[key], ceiling)


@pytest.mark.parametrize("flavour", ["cloud", "datacenter"])
@pytest.mark.parametrize("lag", [5, 0])
def test_a_future_updated_is_emitted_and_never_moves_a_bookmark_past_jiras_clock(tmp_path, flavour, lag):
    with JiraEmulator(flavour=flavour, **SITE) as emulator:
        site = emulator.site
        imported = site.issues[5]
        site.touch(imported.id, site.now() + timedelta(days=3))
        site.add_comment(imported.id, site.now() + timedelta(days=3))
        config = emulator.config(search_lag_minutes=lag)
        first = run_tap(tmp_path / "first", config)
        assert first.returncode == 0, first.stderr[-3000:]
        assert imported.id in {r["id"] for r in first.records("issues")}
        bookmarks_at_most(first.final_state, timestamps.format_utc(site.now()))
        # A later edit of any issue is read by the next run.
        edited = site.issues[9]
        site.clock_offset = timedelta(minutes=20)
        site.touch(edited.id, site.now() - timedelta(minutes=10))
        second = run_tap(tmp_path / "second", config, state=first.final_state)
        assert second.returncode == 0, second.stderr[-3000:]
        assert edited.id in {r["id"] for r in second.records("issues")}


@pytest.mark.parametrize("stream_key", [("issues", "replication_key_value"), ("comments", "issues_searched_until")])
def test_a_state_bookmark_ahead_of_jiras_clock_is_refused(tmp_path, stream_key):
    stream, key = stream_key
    with JiraEmulator(**SITE) as emulator:
        ahead = timestamps.format_utc(emulator.site.now() + timedelta(days=30))
        state = {"bookmarks": {stream: {"replication_key": "updated", key: ahead}}}
        run = run_tap(tmp_path, emulator.config(), state=state)
    line = assert_one_line_error(run, "state file", stream, "ahead of Jira's clock", code=2)
    assert str(tmp_path / "state.json") in line
    assert not [m for m in run.messages if m["type"] == "RECORD" and m["stream"] in CHILDREN]


SHAPES = [
    ("cloud", payloads.replace_key("/project/search", "values", {"0": {"id": "1"}}), "/rest/api/3/project/search"),
    ("cloud", payloads.replace_body("/users/search", lambda body: {"values": body}), "/rest/api/3/users/search"),
    ("cloud", payloads.replace_key("/search/jql", "issues", "none"), "/rest/api/3/search/jql"),
    ("cloud", payloads.replace_key("/issue/bulkfetch", "issues", {}), "/rest/api/3/issue/bulkfetch"),
    ("cloud", payloads.replace_key("/changelog/bulkfetch", "issueChangeLogs", None), "/rest/api/3/changelog/bulkfetch"),
    ("cloud", payloads.replace_key("/rest/agile/1.0/board/{boardId}/sprint", "values", [1, 2]),
     "/rest/agile/1.0/board/"),
    ("cloud", payloads.replace_body("/myself", lambda body: [body]), "/rest/api/3/myself"),
    ("cloud", payloads.replace_key("/issueLinkType", "issueLinkTypes", {}), "/rest/api/3/issueLinkType"),
    ("cloud", payloads.replace_key("/group/member", "values", "none"), "/rest/api/3/group/member"),
    ("cloud", payloads.replace_body("/option", lambda body: body["values"]), "/option"),
    ("cloud", payloads.replace_body("/board/{boardId}/project", lambda body: [body]), "/project"),
    ("datacenter", payloads.replace_key("/rest/api/2/search", "issues", {}), "/rest/api/2/search"),
    ("datacenter", payloads.replace_key("/groups/picker", "groups", {"a": 1}), "/rest/api/2/groups/picker"),
    ("datacenter", payloads.replace_body("/rest/api/2/project", lambda body: {"projects": body}),
     "/rest/api/2/project"),
]


@pytest.mark.parametrize(("flavour", "rewrite", "endpoint"), SHAPES,
                         ids=[f"{shape[2]}-{number}" for number, shape in enumerate(SHAPES)])
def test_an_unexpected_response_shape_ends_the_run_naming_the_endpoint(tmp_path, flavour, rewrite, endpoint):
    with JiraEmulator(flavour=flavour, **SITE) as emulator:
        emulator.rewrites = [rewrite]
        run = run_tap(tmp_path, emulator.config())
    assert_one_line_error(run, endpoint, "unexpected", code=1)


def test_one_malformed_record_does_not_stop_the_pipeline(tmp_path):
    with JiraEmulator(**SITE) as emulator:
        site = emulator.site
        unparseable, headless, deep = site.issues[2], site.issues[3], site.issues[4]
        unparseable.raw_fields["updated"] = "yesterday-ish"
        deep.raw_fields["description"] = payloads.nested_document(1500)
        site.add_comment(deep.id, deep.updated)
        emulator.rewrites = [payloads.without_created({history.id for history in headless.histories})]
        first = run_tap(tmp_path / "first", emulator.config())
        complete(first, emulator)
        issues = {record["id"]: record for record in first.records("issues")}
        assert issues[unparseable.id]["fields"]["updated"] == "yesterday-ish"  # as Jira sent it
        assert issues[unparseable.id]["updated"] is None
        assert issues[deep.id]["fields"]["description"] == payloads.nested_document(1500)
        warnings = [line for line in first.stderr.splitlines() if "WARNING" in line]
        assert any(unparseable.key in line and "updated" in line for line in warnings)
        assert any(headless.key in line and "created" in line for line in warnings)
        # The pipeline moves on: the next run starts from a valid bookmark and reads new edits.
        bookmark = first.final_state["bookmarks"]["issues"]["replication_key_value"]
        timestamps.parse(bookmark)
        site.clock_offset = timedelta(minutes=20)
        site.touch(site.issues[7].id, site.now() - timedelta(minutes=10))
        second = run_tap(tmp_path / "second", emulator.config(), state=first.final_state)
    assert second.returncode == 0, second.stderr[-3000:]
    assert site.issues[7].id in {r["id"] for r in second.records("issues")}


# ---- 2. never hang ------------------------------------------------------------------------


def test_request_timeout_bounds_a_trickling_body(tmp_path):
    with JiraEmulator(**SITE) as emulator:
        emulator.faults = FaultPlan([Fault("trickle", path="/project/search", delay=0.5, times=2)])
        tap = start_tap(tmp_path, emulator.config(request_timeout=2))
        run, seconds = finish(tap, timeout=120)
        complete(run, emulator, ("issues", "projects"))
    assert seconds < 60


@pytest.mark.parametrize("header", ["7200", "Fri, 01 Jan 2100 00:00:00 GMT"])
def test_a_wait_beyond_an_hour_ends_the_run_at_once(tmp_path, header):
    with JiraEmulator(**SITE) as emulator:
        emulator.faults = FaultPlan([Fault("quota", path="/project/search", retry_after=header, times=50)])
        tap = start_tap(tmp_path, emulator.config())
        run, seconds = finish(tap, timeout=120)
    assert_one_line_error(run, "Retry-After", "/rest/api/3/project/search", code=1)
    assert seconds < 30


@pytest.mark.parametrize("header", ["inf", "nan", "-5", "soon"])
def test_a_retry_after_that_is_not_a_wait_never_raises(tmp_path, header):
    with JiraEmulator(**SITE) as emulator:
        emulator.faults = FaultPlan([Fault("unavailable", path="/project/search", retry_after=header)])
        run = run_tap(tmp_path, emulator.config())
        complete(run, emulator, ("issues", "projects"))


def oauth2_config(emulator: JiraEmulator, store: Path) -> dict:
    return emulator.config(auth="oauth2", token_store_path=str(store))


@pytest.mark.parametrize("kind", ["directory", "under-a-file", "unlockable"])
def test_a_token_store_that_cannot_be_written_fails_before_the_refresh_token_is_spent(tmp_path, kind):
    with JiraEmulator(**SITE) as emulator:
        if kind == "directory":
            store = tmp_path / "store"
            store.mkdir()
        elif kind == "under-a-file":
            (tmp_path / "plain-file").write_text("")
            store = tmp_path / "plain-file" / "tokens.json"
        else:  # its lock file is a directory: it can never be taken
            store = tmp_path / "tokens.json"
            (tmp_path / "tokens.json.lock").mkdir()
        config = oauth2_config(emulator, store)
        tap = start_tap(tmp_path / "run", config)
        run, seconds = finish(tap, timeout=120)
        refreshes = emulator.request_counts()["POST /oauth/token"]
        # The grant still works: the refresh token was not spent.
        again = run_tap(tmp_path / "again", oauth2_config(emulator, tmp_path / "good.json") | {
            "refresh_token": config["refresh_token"]})
    assert_one_line_error(run, "`token_store_path`", code=2)
    assert seconds < 30 and refreshes == 0
    assert again.returncode == 0, again.stderr[-2000:]


def is_json(line: str) -> bool:
    try:
        json.loads(line)
    except ValueError:
        return False
    return True


def wait_for_line(tap: subprocess.Popen, needle: str, timeout: float) -> list[str]:
    """stderr lines until one holds `needle` (read on this thread, so the pipe never fills)."""
    assert tap.stderr is not None
    deadline, lines = time.monotonic() + timeout, []
    while time.monotonic() < deadline:
        line = tap.stderr.readline()
        if not line:
            break
        lines.append(line)
        if needle in line:
            return lines
    raise AssertionError(f"{needle!r} never logged: {''.join(lines)[-2000:]}")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_stop_signal_during_a_retry_wait_ends_the_run_in_seconds(tmp_path, sig):
    with JiraEmulator(**SITE) as emulator:
        emulator.faults = FaultPlan([Fault("unavailable", path="/issue/bulkfetch", retry_after=60, times=100)])
        # The issues alone: nobody reads stdout until the end, and other streams' records
        # would fill the pipe and block the tap before it reaches the retry wait.
        catalog = tmp_path / "catalog.json"
        catalog.write_text(json.dumps(catalog_selecting(tmp_path, emulator, "issues")))
        tap = start_tap(tmp_path, emulator.config(), "--catalog", str(catalog))
        wait_for_line(tap, "Waiting", timeout=60)
        tap.send_signal(sig)
        run, seconds = finish(tap, timeout=30)
    assert seconds < 5
    assert run.returncode == 128 + sig
    errors = [line for line in run.stderr.splitlines() if line.startswith("tap-jira: error: ")]
    assert len(errors) == 1 and sig.name in errors[0] and "Traceback" not in run.stderr
    assert all(json.loads(line) for line in run.stdout.splitlines())  # every line whole


def test_a_stop_signal_while_workers_fetch_leaves_valid_output_and_state(tmp_path):
    with JiraEmulator(seed=4, issues=1500, projects=2, users=10, boards=1) as emulator:
        emulator.latency.base_ms = 150
        tap = start_tap(tmp_path, emulator.config(max_workers=4), stderr_file=tmp_path / "stderr.log")
        assert tap.stdout is not None
        emitted: list[dict] = []
        while sum(m["type"] == "RECORD" and m["stream"] == "issues" for m in emitted) < 150:
            line = tap.stdout.readline()
            assert line, (tmp_path / "stderr.log").read_text()[-2000:]
            emitted.append(json.loads(line))
        tap.send_signal(signal.SIGTERM)
        started = time.monotonic()
        rest = tap.stdout.read()  # through the same reader: it holds what readline read ahead
        tap.wait(timeout=30)
        seconds = time.monotonic() - started
        run = TapRun(tap.returncode, rest, (tmp_path / "stderr.log").read_text())
        assert seconds < 5 and run.returncode == 143, run.stderr[-2000:]
        broken = [line[:200] + " ... " + line[-200:] for line in run.stdout.splitlines() if not is_json(line)]
        assert not broken, broken
        # The last STATE is valid: resumed from it, the two runs together lose nothing.
        first = emitted + run.messages
        states = [m["value"] for m in first if m["type"] == "STATE"]
        emulator.latency.base_ms = 0
        resumed = run_tap(tmp_path / "resumed", emulator.config(), state=states[-1] if states else None)
        assert resumed.returncode == 0, resumed.stderr[-2000:]
        truth = emulator.site.record_counts()
    got = counts_by_key(first + resumed.messages)
    assert {s: got.get(s, 0) for s in CHILDREN} == {s: truth[s] for s in CHILDREN}


@pytest.mark.parametrize("kind", ["bad_utf8", "bad_gzip"])
def test_an_answer_that_retrying_cannot_change_ends_quickly(tmp_path, kind):
    with JiraEmulator(**SITE) as emulator:
        emulator.faults = FaultPlan([Fault(kind, path="/project/search", times=100)])
        tap = start_tap(tmp_path, emulator.config())
        run, seconds = finish(tap, timeout=300)
    assert_one_line_error(run, "/rest/api/3/project/search", code=1)
    assert seconds < 20


# ---- 3. never leak -------------------------------------------------------------------------


@pytest.mark.parametrize(("flavour", "auth"), [("cloud", "basic"), ("cloud", "oauth2"), ("datacenter", "basic"),
                                               ("datacenter", "pat"), ("datacenter", "oauth1")])
def test_no_secret_reaches_a_debug_log(tmp_path, flavour, auth):
    with JiraEmulator(flavour=flavour, **SITE) as emulator:
        config = emulator.config(auth=auth, **({"token_store_path": str(tmp_path / "t.json")} if auth == "oauth2"
                                               else {}))
        tap = start_tap(tmp_path, config, env={"TAP_JIRA_LOGLEVEL": "DEBUG"})
        run, _ = finish(tap, timeout=300)
        issued = emulator.oauth2.issued_tokens() if auth == "oauth2" else []
    assert run.returncode == 0, run.stderr[-3000:]
    assert "DEBUG" in run.stderr
    secrets = [value for key, value in config.items() if key in (
        "api_token", "password", "client_secret", "refresh_token", "access_token", "personal_access_token")]
    secrets += issued
    if config.get("private_key"):
        secrets.append(config["private_key"].splitlines()[1])
    if auth == "basic":
        user = config.get("email") or config.get("username")
        secrets.append(base64.b64encode(f"{user}:{config.get('api_token') or config['password']}".encode()).decode())
    output = run.stderr + run.stdout
    for secret in secrets:
        assert secret not in output
    assert "oauth_signature" not in output and "Authorization': '" not in output


def test_a_base_url_with_a_password_is_refused_without_repeating_it(tmp_path):
    run = run_tap(tmp_path, {"base_url": "https://ada:hunter2-secret@x.atlassian.net", "email": "a@example.com",
                             "api_token": "t"})
    assert_one_line_error(run, "`base_url`", code=2)
    assert "hunter2-secret" not in run.stderr + run.stdout


# ---- 4. bad input: one line and exit 2, before anything reaches stdout --------------------

BASE = {"base_url": "https://x.atlassian.net", "email": "a@example.com", "api_token": "s3cr3t-api-token-value"}


@pytest.mark.parametrize(("text", "needle"), [
    ('{"base_url": "https://x.atlassian.net", "email": "a@e.com", "api_token": "t", "page_size": NaN}', "NaN"),
    ('{"base_url": "https://x.atlassian.net", "email": "a@e.com", "api_token": "t", "request_timeout": Infinity}',
     "Infinity"),
    ("[1, 2]", "JSON object"), ('"text"', "JSON object"), ("null", "JSON object"),
])
def test_a_config_file_that_is_not_a_plain_json_object_is_named(tmp_path, text, needle):
    (tmp_path / "config.json").write_text(text)
    done = subprocess.run([str(BIN / "tap-jira"), "--config", str(tmp_path / "config.json")],
                          capture_output=True, text=True, timeout=60)
    assert_one_line_error(TapRun(done.returncode, done.stdout, done.stderr), "config file", needle, code=2)
    assert done.stdout == ""


@pytest.mark.parametrize("flag", ["--state", "--catalog"])
@pytest.mark.parametrize("text", ["[1, 2]", '"text"', "null", "3"])
def test_a_state_or_catalog_that_is_not_a_json_object_is_named(tmp_path, flag, text):
    (tmp_path / "config.json").write_text(json.dumps(BASE))
    (tmp_path / "file.json").write_text(text)
    done = subprocess.run([str(BIN / "tap-jira"), "--config", str(tmp_path / "config.json"),
                           flag, str(tmp_path / "file.json")], capture_output=True, text=True, timeout=60)
    assert_one_line_error(TapRun(done.returncode, done.stdout, done.stderr), flag[2:], "JSON object", code=2)
    assert done.stdout == ""


@pytest.mark.parametrize(("key", "value"), [
    ("lookback_minutes", 10**15), ("search_lag_minutes", 1e15), ("max_requests_per_second", 1e-12),
    ("max_requests_per_second", 1e9), ("request_timeout", 1e12), ("page_size", 10**20), ("max_workers", 10**6),
])
def test_numbers_far_out_of_range_are_refused_naming_the_key(tmp_path, key, value):
    run = run_tap(tmp_path, {**BASE, key: value})
    assert_one_line_error(run, f"`{key}`", code=2)
    assert run.stdout == ""


@pytest.mark.parametrize("start", ["2026-06-01", "2026-06-01T00:00:00"])
def test_a_start_date_without_an_offset_is_read_as_utc(tmp_path, start):
    with JiraEmulator(**SITE) as emulator:
        run = run_tap(tmp_path, emulator.config(start_date=start))
        limit = datetime(2026, 6, 1, tzinfo=UTC) - timedelta(days=1)  # the profile zone may be a day ahead
        expected = {i.id for i in emulator.site.issues if i.updated >= datetime(2026, 6, 1, tzinfo=UTC)}
        older = {i.id for i in emulator.site.issues if i.updated < limit}
    assert run.returncode == 0, run.stderr[-3000:]
    got = {r["id"] for r in run.records("issues")}
    assert expected <= got and not got & older


@pytest.mark.parametrize("state", [
    {"bookmarks": {"issues": "2025-01-01T00:00:00Z"}},
    {"bookmarks": ["issues"]},
    {"bookmarks": {"issues": {"replication_key": "updated", "replication_key_value": 5}}},
    {"bookmarks": {"issues": {"replication_key": "updated", "replication_key_value": "last tuesday"}}},
    {"bookmarks": {"comments": {"issues_searched_until": ["x"]}}},
    {"bookmarks": {"issues": {"partitions": "none"}}},
], ids=["plain-string", "list", "number", "not-a-date", "window-list", "partitions"])
def test_state_of_another_shape_is_named_in_one_line(tmp_path, state):
    with JiraEmulator(**SITE) as emulator:
        run = run_tap(tmp_path, emulator.config(), state=state)
    assert_one_line_error(run, "state file", str(tmp_path / "state.json"), code=2)
    assert run.stdout == ""


def test_a_date_only_bookmark_is_read_not_dropped(tmp_path):
    with JiraEmulator(**SITE) as emulator:
        state = {"bookmarks": {"issues": {"replication_key": "updated", "replication_key_value": "2026-06-01"},
                               **{child: {"issues_searched_until": "2026-06-01T00:00:00"} for child in CHILDREN[1:]}}}
        run = run_tap(tmp_path, emulator.config(), state=state)
        limit = datetime(2026, 6, 1, tzinfo=UTC) - timedelta(days=1)
        older = {i.id for i in emulator.site.issues if i.updated < limit}
    assert run.returncode == 0, run.stderr[-3000:]
    got = {r["id"] for r in run.records("issues")}
    assert got and not got & older


@pytest.mark.parametrize("jql", ['status = Done) OR (project = ENG', "project = ENG)", "(project = ENG",
                                 'summary ~ "unclosed', "project = ENG ) ORDER BY (created"])
def test_jql_that_could_escape_the_window_is_refused(tmp_path, jql):
    run = run_tap(tmp_path, {**BASE, "jql": jql})
    assert_one_line_error(run, "`jql`", code=2)
    assert run.stdout == ""


def test_jql_with_brackets_inside_quotes_is_accepted(tmp_path):
    with JiraEmulator(**SITE) as emulator:
        run = run_tap(tmp_path, emulator.config(jql='summary ~ "login (beta" OR (project = "ENG")'))
    assert run.returncode == 0, run.stderr[-2000:]


@pytest.mark.parametrize(("key", "value"), [("projects", ["ENG\n"]), ("user_agent", "tap\r\nX-Evil: 1"),
                                            ("email", "a@example.com\n"), ("base_url", "https://x.atlassian.net\n"),
                                            ("cloud_id", "abc\t")])
def test_control_characters_are_refused_naming_the_key(tmp_path, key, value):
    run = run_tap(tmp_path, {**BASE, key: value})
    assert_one_line_error(run, f"`{key}`", code=2)
    assert run.stdout == ""


# ---- 5. what loaders see ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def big_sync(tmp_path_factory):
    """Several issue batches and several scrum boards."""
    with JiraEmulator(seed=11, issues=900, projects=3, users=40, boards=8, busy_every=5) as emulator:
        folder = tmp_path_factory.mktemp("big")
        run = start_tap(folder, emulator.config(max_requests_per_second=40, log_metrics=True),
                        stderr_file=folder / "stderr.log")
        done, _ = finish(run, timeout=600)
        yield done, emulator


def test_each_stream_gets_one_schema_per_run(big_sync):
    run, emulator = big_sync
    assert run.returncode == 0, run.stderr[-2000:]
    schemas: dict[str, int] = {}
    for message in run.messages:
        if message["type"] == "SCHEMA":
            schemas[message["stream"]] = schemas.get(message["stream"], 0) + 1
    assert schemas and set(schemas.values()) == {1}, schemas
    # ... although comments were synced in several partitions (one per batch of issues)
    partitions = [m for m in metrics(run) if m["metric"] == "record_count" and m["tags"].get("stream") == "comments"]
    assert len(partitions) > 1


def test_a_sprint_on_two_boards_keeps_both_links(tmp_path, big_sync):
    run, emulator = big_sync
    discovered = run_tap(tmp_path, {}, "--discover")
    keys = {s["tap_stream_id"]: s["key_properties"] for s in json.loads(discovered.stdout)["streams"]}
    assert keys["sprints"] == ["id", "boardId"]
    upserted = {tuple(r[k] for k in keys["sprints"]) for r in run.records("sprints")}
    assert len(upserted) == emulator.site.record_counts()["sprints"]
    shared = [sprint_id for sprint_id in {r["id"] for r in run.records("sprints")}
              if len({r["boardId"] for r in run.records("sprints") if r["id"] == sprint_id}) > 1]
    assert shared


def test_users_come_once_each_from_short_pages_of_the_largest_size(tmp_path):
    with JiraEmulator(**{**SITE, "users": 2500}) as emulator:
        emulator.site.hidden_user_every = 7  # served pages leave these out, as Jira's filters do
        run = run_tap(tmp_path, emulator.config())
        asked = [entry.query for entry in emulator.requests if entry.endpoint.endswith("/users/search")]
        visible = {u.account_id for i, u in enumerate(emulator.site.users) if i % 7 != 6}
    assert run.returncode == 0, run.stderr[-2000:]
    ids = [r["accountId"] for r in run.records("users")]
    assert len(ids) == len(set(ids)) and set(ids) == visible
    assert asked and all("maxResults=1000" in query for query in asked)


def metrics(run: TapRun) -> list[dict]:
    found = []
    for line in run.stderr.splitlines():
        if "METRIC: " in line:
            found.append(json.loads(line.split("METRIC: ", 1)[1]))
    return found


def test_request_metrics_name_the_endpoint_really_called(big_sync):
    run, emulator = big_sync
    issue_metrics = [m for m in metrics(run) if m["metric"] == "http_request_duration"
                     and m["tags"].get("stream") == "issues"]
    endpoints = {m["tags"]["endpoint"] for m in issue_metrics}
    assert {"/search/jql", "/issue/bulkfetch", "/changelog/bulkfetch"} <= endpoints, endpoints
    served = emulator.request_counts()
    assert sum(m["tags"]["endpoint"] == "/search/jql" for m in issue_metrics) == served["POST /rest/api/3/search/jql"]


def test_pacer_waits_are_reported_apart_from_request_time(tmp_path):
    with JiraEmulator(**SITE) as emulator:
        # A burst of 10, then 1 a second.
        run = run_tap(tmp_path, emulator.config(max_requests_per_second=1, log_metrics=True))
    assert run.returncode == 0, run.stderr[-2000:]
    waits = [m for m in metrics(run) if m["metric"] == "http_request_pacer_wait"]
    assert waits and sum(m["value"] for m in waits) > 1
    durations = [m["value"] for m in metrics(run) if m["metric"] == "http_request_duration"]
    assert max(durations) < 1  # the emulator answers at once; the waits are the pacer's


def test_no_false_alarms_in_the_log(big_sync):
    run, _ = big_sync
    assert "assumed to be unsorted" not in run.stderr
    assert "ERROR" not in run.stderr


def test_retries_state_the_real_number_of_tries(tmp_path):
    with JiraEmulator(**SITE) as emulator:
        emulator.faults = FaultPlan([Fault("reset", times=1)])  # the very first request
        run = run_tap(tmp_path, emulator.config())
    assert run.returncode == 0, run.stderr[-2000:]
    assert "before try 2 of 3" in run.stderr


def test_connection_test_prints_no_error_for_streams_that_work(tmp_path):
    with JiraEmulator(**SITE) as emulator:
        run = run_tap(tmp_path, emulator.config(), "--test")
    assert run.returncode == 0, run.stderr[-2000:]
    assert "ERROR" not in run.stderr and "error" not in run.stderr.lower().replace("errormessages", "")


# ---- the same classes, found by a hostile review ------------------------------------------


def test_a_search_page_without_is_last_is_followed_to_its_end(tmp_path):
    with JiraEmulator(**{**SITE, "issues": 5300, "busy_every": 0}) as emulator:
        emulator.rewrites = [payloads.replace_body("/search/jql", lambda body: {
            k: v for k, v in body.items() if k != "isLast"})]
        run = run_tap(tmp_path, emulator.config(), catalog=None)
        complete(run, emulator, ("issues",))


ODD_RECORDS = [
    ("sprint-date", payloads.replace_body("/sprint", lambda body: payloads.walk(
        body, lambda node: node.update(startDate="sometime next week") if "startDate" in node else None))),
    ("project-key-null", payloads.replace_body("/project/search", lambda body: payloads.walk(
        body, lambda node: node.update(key=None) if "projectTypeKey" in node else None))),
    ("timezone-path", payloads.replace_body("/myself", lambda body: {**body, "timeZone": "../../etc/passwd"})),
    ("inline-comment-string", payloads.replace_body("/issue/bulkfetch", lambda body: payloads.walk(
        body, lambda node: node["comments"].append("not a comment") if isinstance(node.get("comments"), list)
        else None))),
]


@pytest.mark.parametrize("rewrite", [r for _, r in ODD_RECORDS], ids=[name for name, _ in ODD_RECORDS])
def test_odd_records_outside_the_issue_tree_do_not_stop_the_run(tmp_path, rewrite):
    with JiraEmulator(**SITE) as emulator:
        emulator.rewrites = [rewrite]
        run = run_tap(tmp_path, emulator.config(projects=["ENG", "OPS"]))
        complete(run, emulator, ("issues", "comments", "boards"))
    assert run.records("sprints")  # (a project without a key matches no `projects` filter: none here)


@pytest.mark.parametrize(("rewrite", "endpoint"), [
    (payloads.replace_body("/search/jql", lambda body: {k: v for k, v in body.items()} | {"isLast": "false"}),
     "/rest/api/3/search/jql"),
    (payloads.replace_body("/issue/bulkfetch", lambda body: payloads.walk(
        body, lambda node: node.pop("id", None) if "fields" in node else None)), "/rest/api/3/issue/bulkfetch"),
    (payloads.replace_body("/changelog/bulkfetch", lambda body: payloads.walk(
        body, lambda node: node.pop("issueId", None) if "changeHistories" in node else None)),
     "/rest/api/3/changelog/bulkfetch"),
], ids=["isLast-string", "issue-without-id", "changelog-without-issueId"])
def test_paging_fields_and_ids_of_the_wrong_type_name_the_endpoint(tmp_path, rewrite, endpoint):
    with JiraEmulator(**SITE) as emulator:
        emulator.rewrites = [rewrite]
        run = run_tap(tmp_path, emulator.config())
    assert_one_line_error(run, endpoint, "unexpected", code=1)


@pytest.mark.parametrize("fault", [
    Fault("unavailable", path="/project/search", status=502, retry_after=7200, times=50),
    Fault("unavailable", path="/project/search", status=504, retry_after=None, times=50,
          headers={"X-RateLimit-Reset": "2100-01-01T00:00:00Z"}),
    Fault("unavailable", path="/project/search", status=500, retry_after="Fri, 01 Jan 2100 00:00:00 GMT", times=50),
], ids=["502-retry-after", "504-reset-only", "500-http-date"])
def test_a_wait_beyond_an_hour_ends_the_run_whatever_the_status(tmp_path, fault):
    with JiraEmulator(**SITE) as emulator:
        emulator.faults = FaultPlan([fault])
        tap = start_tap(tmp_path, emulator.config())
        run, seconds = finish(tap, timeout=120)
    assert_one_line_error(run, "more than the hour", "/rest/api/3/project/search", code=1)
    assert seconds < 30


def test_a_secret_jira_echoes_in_an_error_is_not_printed(tmp_path):
    with JiraEmulator(**SITE) as emulator:
        token = emulator.site.account.api_token
        emulator.site.forbidden["/rest/api/3/myself"] = f"proxy denied request with api_token={token} ({token})"
        run = run_tap(tmp_path, emulator.config())
    assert_one_line_error(run, "HTTP 403", "/rest/api/3/myself", code=1)
    assert token not in run.stderr + run.stdout


def test_the_oauth2_token_answer_is_bounded_by_request_timeout(tmp_path):
    with JiraEmulator(**SITE) as emulator:
        emulator.faults = FaultPlan([Fault("trickle", path="/oauth/token", delay=0.25, times=1)])
        tap = start_tap(tmp_path, oauth2_config(emulator, tmp_path / "t.json") | {"request_timeout": 3})
        run, seconds = finish(tap, timeout=120)
        complete(run, emulator, ("issues",))
    assert seconds < 30


@pytest.mark.parametrize("body", [[], {"token_type": "Bearer"}, "not json"], ids=["list", "no-access-token", "text"])
def test_an_odd_token_endpoint_answer_is_one_line(tmp_path, body):
    with JiraEmulator(**SITE) as emulator:
        emulator.rewrites = [payloads.replace_body("/oauth/token", lambda _: body)]
        run = run_tap(tmp_path, oauth2_config(emulator, tmp_path / "t.json"))
    assert_one_line_error(run, "`oauth_token_url`", code=1)


@pytest.mark.parametrize(("state", "config"), [
    ({"bookmarks": {"sprints": {"partitions": [{"context": "board-1"}]}}}, {}),
    ({"bookmarks": {"issues": {"progress_markers": "x"}}}, {}),
], ids=["partition-context-string", "progress-markers-string"])
def test_state_partitions_of_another_shape_are_named(tmp_path, state, config):
    run = run_tap(tmp_path, {**BASE, **config}, state=state)
    assert_one_line_error(run, "state file", code=2)
    assert run.stdout == ""


def test_a_bookmark_in_year_one_with_a_lookback_reads_everything(tmp_path):
    with JiraEmulator(**SITE) as emulator:
        state = {"bookmarks": {stream: {"replication_key_value": "0001-01-01T00:00:00Z"} for stream in CHILDREN}}
        run = run_tap(tmp_path, emulator.config(lookback_minutes=10), state=state)
        complete(run, emulator)


@pytest.mark.parametrize("text", ["[" * 200_000 + "]" * 200_000])
def test_a_config_nested_too_deep_is_one_line(tmp_path, text):
    (tmp_path / "config.json").write_text(text)
    done = subprocess.run([str(BIN / "tap-jira"), "--config", str(tmp_path / "config.json")],
                          capture_output=True, text=True, timeout=60)
    assert_one_line_error(TapRun(done.returncode, done.stdout, done.stderr), "config file", code=2)


@pytest.mark.parametrize("url", ["https://[::1", "https://x.atlassian.net:99999", "https://x.atlassian.net\u2028"])
def test_a_base_url_that_is_no_url_is_named(tmp_path, url):
    run = run_tap(tmp_path, {**BASE, "base_url": url})
    assert_one_line_error(run, "`base_url`", code=2)


def test_a_backslash_outside_quotes_cannot_escape_the_window(tmp_path):
    run = run_tap(tmp_path, {**BASE, "jql": 'summary ~ a\\"b) OR (summary ~ " x \\""'})
    assert_one_line_error(run, "`jql`", code=2)


@pytest.mark.parametrize("catalog", [{"streams": "issues"}, {"streams": [3]}, {"streams": [{"tap_stream_id": "issues",
                                     "schema": [], "metadata": []}]},
                                     {"streams": [{"tap_stream_id": "issues", "schema": {}, "metadata": "x"}]}],
                         ids=["streams-string", "stream-number", "schema-list", "metadata-string"])
def test_a_catalog_of_another_shape_is_one_line(tmp_path, catalog):
    run = run_tap(tmp_path, BASE, catalog=catalog)
    assert_one_line_error(run, "catalog file", code=2)
    assert run.stdout == ""


def test_a_bookmark_ahead_of_jiras_clock_is_refused_before_anything_is_emitted(tmp_path):
    with JiraEmulator(**SITE) as emulator:
        ahead = timestamps.format_utc(emulator.site.now() + timedelta(days=30))
        run = run_tap(tmp_path, emulator.config(), state={"bookmarks": {"issues": {"replication_key_value": ahead}}})
    assert_one_line_error(run, "ahead of Jira's clock", code=2)
    assert not [m for m in run.messages if m["type"] == "RECORD"]
