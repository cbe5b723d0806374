"""Narrow checks of the auth building blocks: token store, mode inference, token choice."""

from __future__ import annotations

import json
import stat

import pytest

from tap_jira.auth import modes
from tap_jira.auth.oauth2 import OAuth2Auth
from tap_jira.auth.scopes import scope_for
from tap_jira.auth.token_store import TokenStore, default_path, fingerprint
from tap_jira.site import site_key


def test_store_writes_atomically_with_owner_only_mode(tmp_path):
    store = TokenStore(tmp_path / "deep" / "store.json")
    assert store.load() == {}
    store.save({"refresh_token": "one"})
    store.save({"refresh_token": "two"})
    assert json.loads(store.path.read_text()) == {"refresh_token": "two"}
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert [p.name for p in store.path.parent.iterdir() if p.suffix == ".tmp"] == []


def test_default_store_is_per_client_and_site():
    a = default_path("client", "https://a.atlassian.net")
    assert a == default_path("client", "https://A.atlassian.net/")
    assert a != default_path("client", "https://b.atlassian.net") != default_path("other", "https://a.atlassian.net")


def _auth(tmp_path, refresh_token: str) -> OAuth2Auth:
    config = {"client_id": "c", "client_secret": "s", "refresh_token": refresh_token, "base_url": "https://x",
              "oauth_token_url": "https://auth.example/oauth/token", "token_store_path": str(tmp_path / "s.json")}
    return OAuth2Auth(config, timeout=5)


def test_stored_token_wins_over_a_config_token_it_has_retired(tmp_path):
    TokenStore(tmp_path / "s.json").save({"refresh_token": "rt-2", "retired": [fingerprint("rt-1")]})
    assert _auth(tmp_path, "rt-1")._newest_tokens()["refresh_token"] == "rt-2"
    assert _auth(tmp_path, "rt-2")._newest_tokens()["refresh_token"] == "rt-2"
    # A token the store never saw is a new authorization: the config wins.
    assert _auth(tmp_path, "rt-new")._newest_tokens()["refresh_token"] == "rt-new"


@pytest.mark.parametrize(
    ("config", "mode", "datacenter"),
    [
        ({"email": "e", "api_token": "t"}, "basic", False),
        ({"username": "u", "password": "p"}, "basic", True),
        ({"client_id": "c", "refresh_token": "r"}, "oauth2", False),
        ({"consumer_key": "k", "access_token": "a"}, "oauth1", True),
        ({"personal_access_token": "p"}, "pat", True),
        ({"personal_access_token": "p", "deployment_type": "cloud"}, "pat", False),
    ],
)
def test_auth_mode_and_deployment_follow_the_credentials(config, mode, datacenter):
    assert modes.auth_type(config) == mode
    assert modes.is_datacenter_hint(config) is datacenter


def test_site_urls_match_regardless_of_case_and_trailing_slash():
    assert site_key("https://Example.atlassian.net/") == site_key("https://example.atlassian.net")
    assert site_key("https://example.atlassian.net") != site_key("https://example2.atlassian.net")


def test_scopes_follow_the_spec():
    assert scope_for("/rest/api/3/users/search") == scope_for("/rest/api/3/myself") == "read:jira-user"
    assert scope_for("/rest/api/3/search/jql") == "read:jira-work"
    assert scope_for("/rest/agile/1.0/board/7/sprint") == "read:sprint:jira-software"
