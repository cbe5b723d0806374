"""Atlassian's OAuth 2.0 (3LO) authorization server, as documented for Jira Cloud apps.

- ``GET /authorize``: consents at once for the site's account and redirects to
  `redirect_uri` with a one-time `code` (the browser step of the flow).
- ``POST /oauth/token`` (JSON or form body): the `authorization_code` and
  `refresh_token` grants.  Refresh tokens rotate: every refresh returns a new one
  and retires the one sent, which keeps working only for `leeway_seconds`
  (10 minutes on Atlassian); after that it is ``403 invalid_grant``.
- Access tokens expire after `access_ttl_seconds`, or after `access_max_uses`
  requests when set (a stand-in for revocation, to exercise refresh-on-401).
- ``GET /oauth/token/accessible-resources``: the sites the grant reaches, several
  of them, the Jira one listed after a Confluence entry with the same id.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode

from .wire import HttpError, Request, Response

if TYPE_CHECKING:
    from .data import Site

ALL_SCOPES = ("read:jira-work", "read:jira-user", "read:board-scope:jira-software",
              "read:sprint:jira-software", "read:board-scope.admin:jira-software", "read:project:jira",
              "read:issue-details:jira", "offline_access", "read:confluence-content.all")
INVALID_GRANT = {"error": "invalid_grant", "error_description": "Unknown or invalid refresh token."}


@dataclass
class _RefreshToken:
    scopes: tuple[str, ...]
    retired_at: float | None = None


@dataclass
class _AccessToken:
    scopes: tuple[str, ...]
    expires_at: float
    uses: int = 0


@dataclass
class AuthorizationServer:
    client_id: str
    client_secret: str
    leeway_seconds: float = 600.0
    access_ttl_seconds: int = 3600
    access_max_uses: int | None = None
    refreshes: int = 0
    _codes: dict[str, tuple[tuple[str, ...], str]] = field(default_factory=dict)
    _refresh: dict[str, _RefreshToken] = field(default_factory=dict)
    _access: dict[str, _AccessToken] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def for_seed(cls, seed: int) -> AuthorizationServer:
        digest = hashlib.sha256(f"oauth2-{seed}".encode()).hexdigest()
        return cls(client_id="emulator-client-" + digest[:12], client_secret="emulator-secret-" + digest[12:40])

    # ---- what tests use directly -------------------------------------------------

    def grant(self, scopes: tuple[str, ...] = ALL_SCOPES) -> str:
        """A refresh token as if a user had just consented (skips the browser)."""
        with self._lock:
            token = "rt-" + secrets.token_urlsafe(24)
            self._refresh[token] = _RefreshToken(tuple(scopes))
            return token

    def issued_tokens(self) -> list[str]:
        """Every access and refresh token issued so far (tests look for them in logs)."""
        with self._lock:
            return [*self._access, *self._refresh]

    def revoke_access_tokens(self) -> None:
        with self._lock:
            self._access.clear()

    def check_access(self, token: str) -> tuple[str, ...] | None:
        """The token's scopes, or None if it is unknown or expired; counts a use."""
        with self._lock:
            found = self._access.get(token)
            if found is None or time.time() >= found.expires_at:
                return None
            found.uses += 1
            if self.access_max_uses is not None and found.uses > self.access_max_uses:
                return None
            return found.scopes

    # ---- routes ------------------------------------------------------------------------

    def authorize(self, request: Request) -> Response:
        query = {key: values[0] for key, values in request.query.items()}
        missing = [k for k in ("audience", "client_id", "scope", "redirect_uri", "state", "response_type")
                   if not query.get(k)]
        if missing or query["client_id"] != self.client_id or query["response_type"] != "code":
            raise HttpError(400, "invalid authorization request: " + ", ".join(missing or ["client_id/response_type"]))
        code = "code-" + secrets.token_urlsafe(16)
        with self._lock:
            self._codes[code] = (tuple(query["scope"].split()), query["redirect_uri"])
        location = f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query['state']})}"
        return Response(302, "", headers={"Location": location})

    def token(self, request: Request) -> Response:
        form = _form(request)
        if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            return Response(401, {"error": "access_denied", "error_description": "Unauthorized"})
        grant_type = form.get("grant_type")
        with self._lock:
            if grant_type == "authorization_code":
                scopes, redirect_uri = self._codes.pop(form.get("code", ""), ((), ""))
                if not scopes or form.get("redirect_uri") != redirect_uri:
                    return Response(403, {"error": "invalid_grant", "error_description": "Invalid authorization code"})
            elif grant_type == "refresh_token":
                used = self._refresh.get(form.get("refresh_token", ""))
                now = time.time()
                if used is None or (used.retired_at is not None and now - used.retired_at > self.leeway_seconds):
                    return Response(403, INVALID_GRANT)
                used.retired_at = used.retired_at or now
                scopes = used.scopes
                self.refreshes += 1
            else:
                return Response(400, {"error": "unsupported_grant_type", "error_description": str(grant_type)})
            access = "at-" + secrets.token_urlsafe(32)
            self._access[access] = _AccessToken(scopes, time.time() + self.access_ttl_seconds)
            body = {"access_token": access, "expires_in": self.access_ttl_seconds, "scope": " ".join(scopes),
                    "token_type": "Bearer"}
            if "offline_access" in scopes:
                body["refresh_token"] = refresh = "rt-" + secrets.token_urlsafe(24)
                self._refresh[refresh] = _RefreshToken(scopes)
        return Response(200, body)

    def accessible_resources(self, request: Request) -> Response:
        return Response(200, self.resources(request.site, request.principal.scopes))

    def resources(self, site: Site, scopes: Iterable[str] = ALL_SCOPES) -> list[dict[str, Any]]:
        """The sites a grant with `scopes` reaches: two Jira sites, one listed twice."""
        jira_scopes = [s for s in scopes if "jira" in s]
        return [
            {"id": "9d9a1a49-0000-4c6f-8d2b-5f0e2e6f1a11", "name": "other-team", "scopes": jira_scopes,
             "url": "https://other-team.atlassian.net",
             "avatarUrl": "https://site-admin-avatar-cdn.prod.public.atl-paas.net/avatars/240/rocket.png"},
            # Same id and URL as the Jira site, but a Confluence grant: not the one to pick.
            {"id": site.cloud_id, "name": "emulated-site", "scopes": ["read:confluence-content.all"],
             "url": site.base_url,
             "avatarUrl": "https://site-admin-avatar-cdn.prod.public.atl-paas.net/avatars/240/flag.png"},
            {"id": site.cloud_id, "name": "emulated-site", "scopes": jira_scopes, "url": site.base_url,
             "avatarUrl": "https://site-admin-avatar-cdn.prod.public.atl-paas.net/avatars/240/flag.png"},
        ]


def _form(request: Request) -> dict[str, str]:
    """The docs send JSON; form-encoded bodies work too (singer-io's tap sends them)."""
    if isinstance(request.body, dict):
        return {key: str(value) for key, value in request.body.items()}
    return {key: values[0] for key, values in parse_qs(request.raw.decode(errors="replace")).items()}
