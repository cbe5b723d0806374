"""Who is calling: Jira's credential checks, kept apart from the routes.

Jira Cloud (site URL): basic auth with the account e-mail and an API token.
Bearer tokens are refused there, as on Cloud.
Jira Cloud (API gateway ``/ex/jira/{cloudId}``): OAuth 2.0 access tokens
(Bearer), and basic auth for scoped API tokens.
Server / Data Center: basic auth with username and password, personal access
tokens (Bearer) and OAuth 1.0a RSA-SHA1 signatures.

Wrong credentials are not always refused loudly: routes that allow anonymous
access answer with the anonymous view instead (``/myself`` always refuses), which
is why a client has to verify credentials against an endpoint that never answers
anonymously.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .data import Site
from .model import Account

if TYPE_CHECKING:
    from .oauth1 import ApplicationLink
    from .oauth2 import AuthorizationServer

UNAUTHENTICATED_BODY = "Client must be authenticated to access this resource."


@dataclass(frozen=True)
class Principal:
    account: Account | None
    kind: str  # "basic", "oauth2", "oauth1", "pat", "anonymous" or "rejected" (credentials sent but wrong)
    scopes: tuple[str, ...] = ()

    @property
    def authenticated(self) -> bool:
        return self.account is not None


ANONYMOUS = Principal(None, "anonymous")
REJECTED = Principal(None, "rejected")


@dataclass(frozen=True)
class Credentials:
    """What a request presents, with what is needed to check an OAuth 1.0a signature."""

    authorization: str | None
    method: str
    url: str
    headers: dict[str, str]
    body: bytes


def authenticate(sent: Credentials, site: Site, *, gateway: bool,
                 oauth2: AuthorizationServer | None, app_link: ApplicationLink | None) -> Principal:
    if not sent.authorization:
        return ANONYMOUS
    scheme, _, credentials = sent.authorization.partition(" ")
    scheme = scheme.lower()
    account = site.account
    if scheme == "basic":
        user, secret = _basic(credentials)
        if site.flavour == "datacenter":
            ok = user == account.username and hmac.compare_digest(secret, account.password)
        else:
            ok = user.lower() == account.email.lower() and hmac.compare_digest(secret, account.api_token)
        return Principal(account, "basic") if ok else REJECTED
    if scheme == "bearer":
        token = credentials.strip()
        if site.flavour == "datacenter":
            ok = hmac.compare_digest(token, account.personal_access_token)
            return Principal(account, "pat") if ok else REJECTED
        scopes = oauth2.check_access(token) if (gateway and oauth2) else None
        return Principal(account, "oauth2", scopes) if scopes is not None else REJECTED
    if scheme == "oauth" and site.flavour == "datacenter" and app_link is not None:
        valid = app_link.verify(sent.url, sent.method, sent.headers, sent.body)
        return Principal(account, "oauth1") if valid else REJECTED
    return REJECTED


def _basic(credentials: str) -> tuple[str, str]:
    try:
        user, _, secret = base64.b64decode(credentials.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return "", ""
    return user, secret
