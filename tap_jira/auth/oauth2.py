"""OAuth 2.0 (3LO) for Jira Cloud: access tokens refreshed before they expire and
once on a 401, with each rotated refresh token persisted before it is used.

requests-oauthlib's OAuth2Session could send the refresh, but it neither
persists atomically nor coordinates runs that share a token, and Atlassian
retires the old refresh token on every refresh; so that part is written here.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

import backoff
import requests
from requests.auth import AuthBase

from .. import logs, settings
from ..api.transport import DeadlineAdapter
from ..errors import TapJiraError
from .token_store import REMEMBERED_TOKENS, StoreError, TokenStore, default_path, fingerprint

# Refresh this long before the access token expires (or at half its life if shorter).
SAFETY_MARGIN_SECONDS = 300
AUTH_HELPER = "run `tap-jira-auth oauth2` again and put the printed `refresh_token` in the config"


# A token endpoint that fails for a moment (5xx, 429, a dropped connection) is asked
# again: 4 tries over about 7 s.  Atlassian accepts a just-rotated refresh token again
# for a short while, so a refresh whose answer was lost can be repeated.
TOKEN_ENDPOINT_TRIES = 4


class OAuth2Error(TapJiraError):
    """The token endpoint refused us; the message says what to redo."""


class _PassingFailure(Exception):
    """A token endpoint answer worth retrying (429 or 5xx)."""

    def __init__(self, response: requests.Response) -> None:
        super().__init__(response.status_code)
        self.response = response


class OAuth2Auth(AuthBase):
    """Bearer auth with the newest access token; shared by every stream of a run."""

    def __init__(self, config: Mapping[str, Any], *, timeout: float) -> None:
        self.client_id = config["client_id"]
        self._client_secret = config["client_secret"]
        self._config_refresh_token = config["refresh_token"]
        self._config_access_token = config.get("access_token")
        self.token_url = config["oauth_token_url"]
        self.store = TokenStore(config.get("token_store_path") or default_path(self.client_id, config["base_url"]))
        # Before any refresh: a rotated refresh token that cannot be saved is lost for good.
        self.store.check_writable()
        self.timeout = timeout
        self.verify = settings.tls_verify(config)
        # `request_timeout` bounds each token answer as a whole, as it does Jira's.
        self._session = requests.Session()
        self._session.mount("https://", DeadlineAdapter())
        self._session.mount("http://", DeadlineAdapter())
        self._lock = threading.RLock()  # one refresh at a time within the run
        self._access_token: str | None = None
        self._refresh_at = 0.0
        self.refreshes = 0

    # ---- requests hook ----------------------------------------------------------------

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.access_token()}"
        if self._retry_on_401 not in request.hooks["response"]:  # once, however often a request is signed
            request.register_hook("response", self._retry_on_401)
        return request

    def _retry_on_401(self, response: requests.Response, **send_options: Any) -> requests.Response:
        """An access token can die early (revoked, clock skew): refresh once and resend."""
        sent = response.request
        if response.status_code != 401 or getattr(sent, "tap_jira_retried", False) or _scope_mismatch(response):
            return response
        rejected = str(sent.headers.get("Authorization", "")).removeprefix("Bearer ")
        self.refresh(rejected=rejected)
        response.close()
        retry = sent.copy()
        retry.tap_jira_retried = True  # type: ignore[attr-defined]
        # Counted for the stream the refused try was for (JiraClient reads the attribute).
        retry.tap_jira_stream = getattr(sent, "tap_jira_stream", None)  # type: ignore[attr-defined]
        retry.headers["Authorization"] = f"Bearer {self.access_token()}"
        started = time.perf_counter()
        again = response.connection.send(retry, **send_options)
        # Session.send times a response; this resend bypasses it, so time it here.
        again.elapsed = timedelta(seconds=time.perf_counter() - started)
        again.history.append(response)
        again.request = retry
        return again

    # ---- tokens -----------------------------------------------------------------------

    def access_token(self) -> str:
        with self._lock:
            if self._access_token is None:
                self._adopt(self._newest_tokens())
            if self._access_token is None or time.time() >= self._refresh_at:
                self.refresh()
            assert self._access_token is not None
            return self._access_token

    def refresh(self, rejected: str | None = None) -> None:
        """Exchange the newest refresh token, holding the store's lock throughout so
        that concurrent runs neither spend the same token twice nor lose the new one."""
        with self._lock, self.store.lock:
            tokens = self._newest_tokens()
            fresh = tokens.get("access_token") and tokens["access_token"] != rejected
            if fresh and time.time() < tokens.get("refresh_at", 0):
                self._adopt(tokens)  # another run refreshed meanwhile
                return
            body = self._post_refresh(tokens["refresh_token"])
            now = time.time()
            lifetime = _seconds(body.get("expires_in"))
            old = tokens["refresh_token"]
            new_refresh = body.get("refresh_token") or old
            retired = list(tokens.get("retired") or [])
            if new_refresh != old:
                retired = [fingerprint(old), *retired][:REMEMBERED_TOKENS]
            updated = {
                "refresh_token": new_refresh,
                "access_token": body["access_token"],
                "refresh_at": now + lifetime - min(SAFETY_MARGIN_SECONDS, lifetime / 2),
                "scope": body.get("scope"),
                "retired": retired,
                "updated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            }
            self.store.save(updated)  # before any use: the old token is already retired
            self.refreshes += 1
            self._adopt(updated)

    def _newest_tokens(self) -> dict[str, Any]:
        """The store's tokens, unless the config holds a refresh token the store has
        never seen (a new authorization), which then wins."""
        try:
            stored = self.store.load()
        except StoreError:
            stored = {}
        configured = self._config_refresh_token
        newest = stored.get("refresh_token")
        if newest and (newest == configured or fingerprint(configured) in (stored.get("retired") or [])):
            return stored
        # The config's access token has no known expiry: use it until Jira refuses it.
        return {"refresh_token": configured, "access_token": self._config_access_token,
                "refresh_at": float("inf") if self._config_access_token else 0.0}

    def _adopt(self, tokens: Mapping[str, Any]) -> None:
        logs.redact_value(tokens.get("access_token"))
        logs.redact_value(tokens.get("refresh_token"))
        self._access_token = tokens.get("access_token")
        self._refresh_at = float(tokens.get("refresh_at") or 0.0)

    def _post_refresh(self, refresh_token: str) -> dict[str, Any]:
        payload = {"grant_type": "refresh_token", "client_id": self.client_id,
                   "client_secret": self._client_secret, "refresh_token": refresh_token}
        try:
            response = self._post_token_endpoint(payload)
        except _PassingFailure as failure:
            response = failure.response
        except requests.RequestException as error:
            raise OAuth2Error(f"cannot reach the OAuth 2.0 token endpoint ({type(error).__name__}): "
                              "check `oauth_token_url` and the network") from None
        if response.ok:
            try:
                body = response.json()
            except ValueError:
                body = None
            if not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
                raise OAuth2Error(f"the OAuth 2.0 token endpoint answered HTTP {response.status_code} without an "
                                  "access token; check `oauth_token_url`")
            return body
        code, description = _oauth_error(response)
        if code == "invalid_grant":
            raise OAuth2Error(f"OAuth 2.0 refresh token refused ({description or code}): it expired, was revoked "
                              f"or was already rotated; {AUTH_HELPER}")
        if code in ("invalid_client", "unauthorized_client") or response.status_code == 401:
            raise OAuth2Error(f"OAuth 2.0 client refused ({description or code or 'HTTP 401'}): "
                              "check `client_id` and `client_secret`")
        raise OAuth2Error(f"OAuth 2.0 token endpoint answered HTTP {response.status_code}"
                          f"{f' ({description or code})' if code else ''}; check `oauth_token_url`")


    @backoff.on_exception(backoff.expo, (_PassingFailure, requests.ConnectionError, requests.Timeout),
                          max_tries=TOKEN_ENDPOINT_TRIES, max_value=4)
    def _post_token_endpoint(self, payload: dict[str, Any]) -> requests.Response:
        response = self._session.post(self.token_url, json=payload, timeout=self.timeout, verify=self.verify)
        if response.status_code == 429 or response.status_code >= 500:
            raise _PassingFailure(response)
        return response


def _seconds(value: Any) -> float:
    """An access token's `expires_in`; an hour (Atlassian's) when it is not a number."""
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return 3600.0
    return seconds if 0 < seconds < float("inf") else 3600.0


def _oauth_error(response: requests.Response) -> tuple[str, str]:
    try:
        body = response.json()
    except ValueError:
        return "", ""
    if not isinstance(body, dict):
        return "", ""
    return str(body.get("error") or ""), " ".join(str(body.get("error_description") or "").split())[:200]


def _scope_mismatch(response: requests.Response) -> bool:
    """The gateway's 401 for a valid token lacking a scope: refreshing cannot help."""
    return b"scope does not match" in (response.content or b"")
