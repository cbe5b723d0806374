"""OAuth 1.0a application links, as Jira Server / Data Center has them: RSA-SHA1 only,
signatures verified for real by oauthlib against the link's public key.

The three-legged dance lives under ``/plugins/servlet/oauth/``: request-token,
authorize (which here consents at once for the site's account and shows the
verification code, as Jira does for out-of-band clients) and access-token.
"""

from __future__ import annotations

import secrets
import threading
from pathlib import Path
from typing import Any

from oauthlib.oauth1 import (
    SIGNATURE_RSA,
    AccessTokenEndpoint,
    RequestTokenEndpoint,
    RequestValidator,
    ResourceEndpoint,
)

from .wire import HttpError, Request, Response

KEYS = Path(__file__).resolve().parent / "fixtures" / "oauth1"
CONSUMER_KEY = "tap-jira-tests"
SERVLET = "/plugins/servlet/oauth"


class ApplicationLink(RequestValidator):
    """One incoming link (consumer key + RSA public key) and the tokens it issued."""

    def __init__(self, consumer_key: str = CONSUMER_KEY, public_key: str | None = None) -> None:
        super().__init__()
        self.consumer_key = consumer_key
        self.public_key = public_key or (KEYS / "public.pem").read_text()
        self._lock = threading.Lock()
        self.access_tokens: dict[str, str] = {}  # token -> secret
        self.request_tokens: dict[str, dict[str, Any]] = {}
        self.nonces: set[tuple[str, str, str]] = set()
        self.resource = ResourceEndpoint(self)
        self.request_token_endpoint = RequestTokenEndpoint(self)
        self.access_token_endpoint = AccessTokenEndpoint(self)

    def issue_access_token(self) -> str:
        """An access token as if the dance had been done (tests that skip it)."""
        token = secrets.token_urlsafe(18)
        self.access_tokens[token] = secrets.token_urlsafe(18)
        return token

    # ---- what oauthlib asks -----------------------------------------------------------
    allowed_signature_methods = (SIGNATURE_RSA,)  # Jira refuses HMAC-SHA1 and PLAINTEXT
    enforce_ssl = False  # the emulator serves plain http on loopback
    dummy_client = "dummy-consumer"
    dummy_request_token = dummy_access_token = "dummy-token-dummy-token"

    # Jira's consumer keys and tokens do not follow oauthlib's default length rules.
    def check_client_key(self, client_key: str) -> bool:
        return bool(client_key)

    def check_access_token(self, request_token: str) -> bool:
        return bool(request_token)

    check_request_token = check_access_token

    def check_verifier(self, verifier: str) -> bool:
        return bool(verifier)

    def validate_client_key(self, client_key: str, request: Any) -> bool:
        return client_key == self.consumer_key

    def get_rsa_key(self, client_key: str, request: Any) -> str:
        return self.public_key

    def validate_timestamp_and_nonce(self, client_key: str, timestamp: str, nonce: str, request: Any,
                                     request_token: str | None = None, access_token: str | None = None) -> bool:
        with self._lock:
            key = (client_key, timestamp, nonce)
            if key in self.nonces:
                return False  # a replayed request
            self.nonces.add(key)
            return True

    def validate_access_token(self, client_key: str, token: str, request: Any) -> bool:
        return token in self.access_tokens

    def validate_realms(self, *args: Any, **kwargs: Any) -> bool:
        return True

    def validate_requested_realms(self, *args: Any, **kwargs: Any) -> bool:
        return True

    def get_default_realms(self, client_key: str, request: Any) -> list[str]:
        return []

    def get_realms(self, token: str, request: Any) -> list[str]:
        return []

    def validate_redirect_uri(self, client_key: str, redirect_uri: str, request: Any) -> bool:
        return True

    def save_request_token(self, token: dict[str, Any], request: Any) -> None:
        self.request_tokens[token["oauth_token"]] = {"secret": token["oauth_token_secret"], "verifier": None}

    def validate_request_token(self, client_key: str, token: str, request: Any) -> bool:
        return token in self.request_tokens

    def get_request_token_secret(self, client_key: str, token: str, request: Any) -> str:
        return self.request_tokens.get(token, {}).get("secret", "dummy")

    def validate_verifier(self, client_key: str, token: str, verifier: str, request: Any) -> bool:
        found = self.request_tokens.get(token)
        return bool(found and found["verifier"] and secrets.compare_digest(found["verifier"], verifier))

    def verify_request_token(self, token: str, request: Any) -> bool:
        return token in self.request_tokens

    def save_access_token(self, token: dict[str, Any], request: Any) -> None:
        self.access_tokens[token["oauth_token"]] = token["oauth_token_secret"]

    def invalidate_request_token(self, client_key: str, request_token: str, request: Any) -> None:
        self.request_tokens.pop(request_token, None)

    # ---- verifying and routing ---------------------------------------------------------

    def verify(self, uri: str, method: str, headers: dict[str, str], body: bytes) -> bool:
        valid, _ = self.resource.validate_protected_resource_request(
            uri, http_method=method, body=_form_body(headers, body), headers=headers)
        return valid

    def request_token(self, request: Request) -> Response:
        headers, body, status = self.request_token_endpoint.create_request_token_response(
            request.full_url, http_method="POST", body=_form_body(request.headers, request.raw),
            headers=request.headers)
        return _oauth_response(status, headers, body)

    def authorize(self, request: Request) -> Response:
        token = request.arg("oauth_token")
        found = self.request_tokens.get(token or "")
        if found is None:
            raise HttpError(400, "Invalid or expired request token.")
        found["verifier"] = secrets.token_hex(3)
        return Response(200, f"Access Approved. Your verification code is '{found['verifier']}'.")

    def access_token(self, request: Request) -> Response:
        headers, body, status = self.access_token_endpoint.create_access_token_response(
            request.full_url, http_method="POST", body=_form_body(request.headers, request.raw),
            headers=request.headers)
        return _oauth_response(status, headers, body)


def _form_body(headers: dict[str, str], body: bytes) -> str | None:
    """oauthlib signs form bodies only; a JSON body is not part of the signature."""
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    return body.decode() if body and content_type.startswith("application/x-www-form-urlencoded") else None


def _oauth_response(status: int, headers: dict[str, str], body: str | None) -> Response:
    return Response(status, body or "", headers={"Content-Type": "application/x-www-form-urlencoded"})
