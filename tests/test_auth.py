"""Every auth mode end to end: emulator on a real socket -> tap-jira process.

Cloud: basic, scoped API token (basic through the gateway), OAuth 2.0 with
rotating refresh tokens.  Data Center: personal access token, OAuth 1.0a
(signatures verified by oauthlib in the emulator), username + password.
Every run's stdout and stderr are searched for every secret involved.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import requests

from jira_emulator import JiraEmulator
from jira_emulator.faults import Fault, FaultPlan
from jira_emulator.oauth2 import ALL_SCOPES
from jira_emulator.server import ADMIN_SCOPE_STREAMS
from tap_jira.auth.oauth2 import OAuth2Auth
from tap_jira.auth.scopes import ADMIN_SCOPE, scope_for
from tests.conftest import BIN, REPO, TapRun, run_tap

SECRET_KEYS = ("api_token", "password", "client_secret", "refresh_token", "access_token",
               "personal_access_token", "access_token_secret", "private_key")
SITE = {"seed": 5, "issues": 60, "projects": 3, "users": 20, "boards": 4}


def secrets_of(emulator: JiraEmulator, *configs: dict) -> list[str]:
    """Every secret a run could leak: the configs' and every token the emulator issued."""
    found = [str(config[key]) for config in configs for key in SECRET_KEYS if config.get(key)]
    found += [line for config in configs for line in str(config.get("private_key", "")).splitlines()[1:-1]]
    found += list(emulator.oauth2._refresh) + list(emulator.oauth2._access) + list(emulator.app_link.access_tokens)
    account = emulator.site.account
    found += [account.api_token, account.password, account.personal_access_token, emulator.oauth2.client_secret]
    return [secret for secret in found if len(secret) >= 8]


def assert_no_secrets(emulator: JiraEmulator, run: TapRun, *configs: dict) -> None:
    output = run.stdout + run.stderr
    leaked = [secret[:6] + "…" for secret in secrets_of(emulator, *configs) if secret in output]
    assert not leaked, f"secrets in the tap's output: {leaked}"


def assert_complete(emulator: JiraEmulator, run: TapRun, user_key: str) -> None:
    assert run.returncode == 0, run.stderr[-3000:]
    oauth2 = "oauth2" in {r.auth for r in emulator.requests}
    truth = emulator.record_counts("oauth2" if oauth2 else "basic")
    if oauth2:  # the default grant lacks manage:jira-configuration: those streams say so
        skipped = [line for line in run.stderr.splitlines() if "Skipping stream" in line]
        for stream in ADMIN_SCOPE_STREAMS:
            assert [line for line in skipped if stream in line and "manage:jira-configuration" in line], stream
    got = Counter(m["stream"] for m in run.messages if m["type"] == "RECORD")
    assert dict(got) == truth
    keys = [record[user_key] for record in run.records("users")]
    assert len(set(keys)) == len(keys) == truth["users"] and all(keys)


def one_error_line(run: TapRun) -> str:
    assert run.returncode != 0
    assert "Traceback" not in run.stderr
    errors = [line for line in run.stderr.splitlines() if line.startswith("tap-jira: error: ")]
    assert len(errors) == 1, run.stderr[-2000:]
    return errors[0]


@pytest.fixture
def cloud():
    with JiraEmulator(**SITE) as running:
        yield running


@pytest.fixture
def datacenter():
    with JiraEmulator(flavour="datacenter", **SITE) as running:
        yield running


# ---- OAuth 2.0 (3LO) ------------------------------------------------------------------


def test_oauth2_two_consecutive_runs_survive_rotation(cloud, tmp_path):
    cloud.oauth2.leeway_seconds = 0  # a rotated-away refresh token is dead at once
    store = tmp_path / "tokens" / "jira.json"
    config = cloud.config("oauth2", token_store_path=str(store))
    first = run_tap(tmp_path / "run1", config)
    assert_complete(cloud, first, "accountId")
    # Every Jira site the grant reaches, once, from the list read to find the cloud id.
    sites = {r["id"]: (r["url"], r["current"], sorted(r["scopes"])) for r in first.records("cloud_instances")}
    assert sites == {r["id"]: (r["url"], r["id"] == cloud.site.cloud_id, sorted(r["scopes"]))
                     for r in cloud.oauth2.resources(cloud.site) if any("jira" in scope for scope in r["scopes"])}
    assert len(sites) == 2
    assert cloud.request_counts()["GET /oauth/token/accessible-resources"] == 1
    assert stat.S_IMODE(store.stat().st_mode) == 0o600
    stored = json.loads(store.read_text())
    assert stored["refresh_token"] != config["refresh_token"]  # rotated and persisted

    # Meltano-style: the very same config again, still holding the retired token,
    # after the access token has expired (as it has an hour later).
    cloud.oauth2.revoke_access_tokens()
    cloud.reset_log()
    second = run_tap(tmp_path / "run2", config)
    assert_complete(cloud, second, "accountId")
    assert json.loads(store.read_text())["refresh_token"] not in (stored["refresh_token"], config["refresh_token"])
    assert cloud.oauth2.refreshes == 2
    api_calls = [r for r in cloud.requests if r.endpoint.startswith("/rest/")]
    assert api_calls and all(r.gateway and r.auth == "oauth2" for r in api_calls)
    assert {r.status for r in api_calls if scope_for(r.endpoint) != ADMIN_SCOPE} == {200}

    # Without the store, the retired token is refused: one line saying what to redo.
    third = run_tap(tmp_path / "run3", {**config, "token_store_path": str(tmp_path / "empty.json")})
    line = one_error_line(third)
    assert "refresh token refused" in line and "tap-jira-auth oauth2" in line
    for run in (first, second, third):
        assert_no_secrets(cloud, run, config)


def test_oauth2_refreshes_once_when_jira_refuses_an_access_token(cloud, tmp_path):
    # Access tokens die early, as after a revocation; with more uses than requests the tap has
    # in flight at once (issue search, children, small streams), or a token refreshed by one
    # thread would be used up by the others before that thread's own retry.
    cloud.oauth2.access_max_uses = 20
    config = cloud.config("oauth2", token_store_path=str(tmp_path / "store.json"))
    run = run_tap(tmp_path, config)
    assert_complete(cloud, run, "accountId")
    # A dead token is "rejected"; a 401 for a scope the grant lacks comes with a live token and
    # is never refreshed for.  Requests in flight together may share one refresh.
    rejected = [r for r in cloud.requests if r.status == 401 and r.auth == "rejected"]
    assert [r for r in cloud.requests if r.status == 401 and r.auth == "oauth2"]  # missing scopes seen
    assert rejected and 1 < cloud.oauth2.refreshes <= len(rejected) + 1
    assert_no_secrets(cloud, run, config)


@pytest.mark.parametrize("kind", ["unavailable", "reset"])
def test_oauth2_token_endpoint_failing_for_a_moment_is_asked_again(cloud, tmp_path, kind):
    cloud.faults = FaultPlan([Fault(kind, path="/oauth/token", times=2, retry_after=0)])
    config = cloud.config("oauth2", token_store_path=str(tmp_path / "store.json"))
    run = run_tap(tmp_path, config)
    assert_complete(cloud, run, "accountId")
    token_calls = [r.status for r in sorted(cloud.requests, key=lambda r: r.at) if r.endpoint == "/oauth/token"]
    assert token_calls == [503 if kind == "unavailable" else 0] * 2 + [200]
    assert cloud.oauth2.refreshes == 1
    assert_no_secrets(cloud, run, config)


def test_oauth2_refreshes_before_expiry_without_a_401(cloud, tmp_path):
    config = cloud.config("oauth2", token_store_path=str(tmp_path / "store.json"))
    auth = OAuth2Auth(config, timeout=30)
    first = auth.access_token()
    assert auth.access_token() == first and cloud.oauth2.refreshes == 1  # still fresh: no refresh
    stored = json.loads(Path(config["token_store_path"]).read_text())
    Path(config["token_store_path"]).write_text(json.dumps({**stored, "refresh_at": time.time() - 1}))
    fresh = OAuth2Auth(config, timeout=30)
    assert fresh.access_token() != first and cloud.oauth2.refreshes == 2
    assert cloud.oauth2.check_access(fresh.access_token()) is not None


def test_concurrent_runs_share_one_store_without_losing_the_token(cloud, tmp_path):
    cloud.oauth2.leeway_seconds = 0
    config = cloud.config("oauth2", token_store_path=str(tmp_path / "store.json"))
    runs: dict[int, TapRun] = {}
    threads = [threading.Thread(target=lambda n=n: runs.__setitem__(n, run_tap(tmp_path / f"run{n}", config)))
               for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for run in runs.values():
        assert_complete(cloud, run, "accountId")
    # The lock made the later runs adopt the first refresh instead of spending the token again.
    assert cloud.oauth2.refreshes == 1
    assert not list(tmp_path.glob("store.json.*.tmp"))
    again = run_tap(tmp_path / "after", config)
    assert_complete(cloud, again, "accountId")


def test_cloud_id_is_resolved_from_the_matching_site_only(cloud, tmp_path):
    config = cloud.config("oauth2", token_store_path=str(tmp_path / "store.json"))
    # localhost is the same server but not the URL any accessible resource lists.
    wrong = {**config, "base_url": cloud.base_url.replace("127.0.0.1", "localhost")}
    line = one_error_line(run_tap(tmp_path / "wrong", wrong))
    assert "`base_url`" in line and "https://other-team.atlassian.net" in line and cloud.base_url in line


def test_missing_scope_is_named(cloud, tmp_path):
    scopes = tuple(scope for scope in ALL_SCOPES if scope != "read:jira-user")
    config = {**cloud.config("oauth2", token_store_path=str(tmp_path / "store.json")),
              "refresh_token": cloud.oauth2.grant(scopes)}
    run = run_tap(tmp_path, config)
    line = one_error_line(run)
    assert "lacks the scope read:jira-user" in line and "tap-jira-auth oauth2" in line
    assert_no_secrets(cloud, run, config)


def test_bearer_tokens_work_only_through_the_gateway(cloud):
    token = requests.post(f"{cloud.base_url}/oauth/token", timeout=10, json={
        "grant_type": "refresh_token", "client_id": cloud.oauth2.client_id,
        "client_secret": cloud.oauth2.client_secret, "refresh_token": cloud.oauth2.grant()}).json()["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    assert requests.get(f"{cloud.base_url}/rest/api/3/myself", headers=bearer, timeout=10).status_code == 401
    gateway = f"{cloud.base_url}/ex/jira/{cloud.site.cloud_id}/rest/api/3/myself"
    assert requests.get(gateway, headers=bearer, timeout=10).status_code == 200
    other = f"{cloud.base_url}/ex/jira/00000000-0000-0000-0000-000000000000/rest/api/3/myself"
    assert requests.get(other, headers=bearer, timeout=10).status_code == 404


def test_scoped_api_token_goes_through_the_gateway(cloud, tmp_path):
    config = cloud.config("basic", cloud_id=cloud.site.cloud_id, api_gateway_url=cloud.base_url)
    run = run_tap(tmp_path, config)
    assert_complete(cloud, run, "accountId")
    assert all(r.gateway and r.auth == "basic" for r in cloud.requests)
    assert_no_secrets(cloud, run, config)


# ---- Server / Data Center ---------------------------------------------------------------


@pytest.mark.parametrize("mode", ["pat", "oauth1", "basic"])
def test_datacenter_sync_in_every_mode(datacenter, tmp_path, mode):
    config = datacenter.config(mode)
    run = run_tap(tmp_path, config)
    assert_complete(datacenter, run, "key")
    assert "Server/Data Center (REST v2)" in run.stderr
    endpoints = Counter(r.endpoint for r in datacenter.requests)
    assert all(e.startswith(("/rest/api/2/", "/rest/agile/1.0/")) for e in endpoints)
    assert endpoints["/rest/api/2/serverInfo"] == 1 and endpoints["/rest/api/2/search"] >= 1  # server_info reuses it
    assert {g["name"] for g in run.records("groups")} == {g.name for g in datacenter.site.metadata.groups}
    assert all(g["groupId"] is None for g in run.records("groups"))  # Data Center groups have names only
    for stream in ("cloud_instances", "custom_field_contexts"):
        assert run.stderr.count(f"Skipping stream {stream}: Jira Server/Data Center has no endpoint") == 1
    assert {r.auth for r in datacenter.requests} == {mode}
    issue = run.records("issues")[0]
    comment = run.records("comments")[0]
    assert isinstance(comment["body"], str) and comment["author"]["key"].startswith("JIRAUSER")
    assert "accountId" not in comment["author"] and issue["self"].startswith(f"{datacenter.base_url}/rest/api/2/")
    assert_no_secrets(datacenter, run, config)


@pytest.mark.parametrize("mode", ["pat", "oauth1", "basic"])
def test_a_retried_request_is_signed_afresh_in_every_mode(datacenter, tmp_path, mode):
    """Jira answers its own 429 after reading the credentials, and OAuth 1.0a refuses a
    nonce it has seen: each try must carry a new signature, on the streams the SDK pages
    (projects) and on the tap's own calls (the issue search)."""
    datacenter.faults = FaultPlan([Fault("quota", path="/rest/api/2/project", times=1, retry_after=0.1),
                                   Fault("quota", path="/rest/api/2/search", times=1, retry_after=0.1)])
    config = datacenter.config(mode)
    run = run_tap(tmp_path, config)
    assert run.returncode == 0, run.stderr[-2000:]
    assert_complete(datacenter, run, "key")
    assert run.stderr.count("before try 2 of 8") == 2


def test_datacenter_pages_search_by_start_at(datacenter, tmp_path):
    config = datacenter.config("pat", page_size=25, deployment_type="datacenter")
    run = run_tap(tmp_path, config, "--catalog", str(_catalog(tmp_path, config, {"issues"})))
    assert run.returncode == 0, run.stderr[-2000:]
    ids = [record["id"] for record in run.records("issues")]
    assert len(ids) == len(set(ids)) == len(datacenter.site.issues)
    counts = datacenter.request_counts()
    assert counts["POST /rest/api/2/search"] == -(-len(ids) // 25) + 1  # + the id-only pass
    assert "GET /rest/api/2/serverInfo" not in counts  # deployment_type said it


@pytest.mark.parametrize(
    ("mode", "change", "needle"),
    [
        ("pat", {"personal_access_token": "wrong-token-123456"}, "personal access token"),
        ("basic", {"password": "wrong-password-123"}, "basic auth as 'ada'"),
        ("oauth1", {"access_token": "unknown-access-token"}, "OAuth 1.0a as consumer 'tap-jira-tests'"),
    ],
)
def test_datacenter_refusals_name_the_mode(datacenter, tmp_path, mode, change, needle):
    config = {**datacenter.config(mode), **change}
    run = run_tap(tmp_path, config)
    line = one_error_line(run)
    assert "HTTP 401" in line and needle in line
    assert_no_secrets(datacenter, run, config, change)


def test_oauth1_signature_from_another_key_is_refused(datacenter, tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    config = {**datacenter.config("oauth1"), "private_key": other}
    run = run_tap(tmp_path, config)
    assert "HTTP 401" in one_error_line(run)
    assert_no_secrets(datacenter, run, config)


def test_a_private_key_that_is_not_pem_is_named_not_shown(datacenter, tmp_path):
    config = {**datacenter.config("oauth1"), "private_key": "not-a-key-but-a-secret-value"}
    run = run_tap(tmp_path, config)
    assert "`private_key` must hold an unencrypted PEM RSA private key" in one_error_line(run)
    assert run.returncode == 2
    assert_no_secrets(datacenter, run, config)


# ---- tap-jira-auth ----------------------------------------------------------------------


def _helper(*args: str, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen([str(BIN / "tap-jira-auth"), *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, **(env or {})})


def test_auth_helper_oauth2_then_two_tap_runs(cloud, tmp_path):
    cloud.oauth2.leeway_seconds = 0
    store = tmp_path / "store.json"
    helper = _helper("oauth2", "--client-id", cloud.oauth2.client_id, "--redirect-uri", "https://example.com/cb",
                     "--site", cloud.base_url, "--token-store-path", str(store),
                     "--authorize-url", f"{cloud.base_url}/authorize", "--token-url", f"{cloud.base_url}/oauth/token",
                     "--api-gateway-url", cloud.base_url, env={"TAP_JIRA_CLIENT_SECRET": cloud.oauth2.client_secret})
    helper.stderr.readline()
    authorize_url = helper.stderr.readline().strip()
    assert "offline_access" in authorize_url and "read%3Asprint%3Ajira-software" in authorize_url
    # The browser step: the user approves and is redirected with a code.
    redirect = requests.get(authorize_url, allow_redirects=False, timeout=10).headers["Location"]
    out, err = helper.communicate(redirect + "\n", timeout=60)
    assert helper.returncode == 0, err
    assert "emulated-site" in err and "other-team" in err
    printed = json.loads(out)
    assert printed["cloud_id"] == cloud.site.cloud_id and printed["token_store_path"] == str(store)
    assert stat.S_IMODE(store.stat().st_mode) == 0o600
    config = {**printed, "client_secret": cloud.oauth2.client_secret,
              "oauth_token_url": f"{cloud.base_url}/oauth/token",
              "api_gateway_url": cloud.base_url}
    for n in (1, 2):
        run = run_tap(tmp_path / f"run{n}", config)
        assert_complete(cloud, run, "accountId")
        assert_no_secrets(cloud, run, config)


def test_auth_helper_oauth1_dance_then_sync(datacenter, tmp_path):
    key = REPO / "jira_emulator" / "fixtures" / "oauth1" / "private.pem"
    helper = _helper("oauth1", "--base-url", datacenter.base_url, "--consumer-key", "tap-jira-tests",
                     "--private-key-path", str(key))
    helper.stderr.readline()
    authorize_url = helper.stderr.readline().strip()
    page = requests.get(authorize_url, timeout=10).text  # the user clicks Allow; Jira shows the code
    verifier = page.split("'")[1]
    out, err = helper.communicate(verifier + "\n", timeout=60)
    assert helper.returncode == 0, err
    printed = json.loads(out)
    assert printed["access_token"] in datacenter.app_link.access_tokens
    run = run_tap(tmp_path, printed)
    assert_complete(datacenter, run, "key")
    assert {r.auth for r in datacenter.requests if r.endpoint.startswith("/rest/")} == {"oauth1"}


def _catalog(tmp_path: Path, config: dict, streams: set[str]) -> Path:
    discovered = run_tap(tmp_path / "discover", config, "--discover")
    catalog = json.loads(discovered.stdout)
    for entry in catalog["streams"]:
        for item in entry["metadata"]:
            if item["breadcrumb"] == []:
                item["metadata"]["selected"] = entry["tap_stream_id"] in streams
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(catalog))
    return path


def test_a_grant_from_before_board_projects_skips_it_and_reads_the_rest(cloud, tmp_path):
    """A refresh token granted before the tap asked for the board-configuration scope."""
    scopes = tuple(s for s in ALL_SCOPES if s != "read:board-scope.admin:jira-software")
    config = {**cloud.config("oauth2", token_store_path=str(tmp_path / "store.json")),
              "refresh_token": cloud.oauth2.grant(scopes)}
    run = run_tap(tmp_path, config)
    assert run.returncode == 0, run.stderr[-2000:]
    truth = cloud.record_counts("oauth2")
    del truth["board_projects"]
    assert Counter(m["stream"] for m in run.messages if m["type"] == "RECORD") == truth
    warnings = [line for line in run.stderr.splitlines() if "Skipping stream board_projects" in line]
    assert len(warnings) == 1 and "read:board-scope.admin:jira-software" in warnings[0]
    assert_no_secrets(cloud, run, config)
