"""Who is calling: Jira Cloud's credential checks, kept apart from the routes.

Basic auth carries the account e-mail and an API token.  Like Jira Cloud, wrong
credentials are not always refused loudly: routes that allow anonymous access
answer with the anonymous view instead (``/myself`` always refuses), which is
why a client has to verify credentials against an endpoint that never answers
anonymously.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from dataclasses import dataclass

from .data import Account, Site

UNAUTHENTICATED_BODY = "Client must be authenticated to access this resource."


@dataclass(frozen=True)
class Principal:
    account: Account | None
    kind: str  # "basic", "anonymous" or "rejected" (credentials sent but wrong)

    @property
    def authenticated(self) -> bool:
        return self.account is not None


ANONYMOUS = Principal(None, "anonymous")
REJECTED = Principal(None, "rejected")


def authenticate(authorization: str | None, site: Site) -> Principal:
    if not authorization:
        return ANONYMOUS
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() != "basic":
        return REJECTED
    try:
        email, _, token = base64.b64decode(credentials.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return REJECTED
    account = site.account
    if email.lower() == account.email.lower() and hmac.compare_digest(token, account.api_token):
        return Principal(account, "basic")
    return REJECTED
