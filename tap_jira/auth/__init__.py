"""Authenticators: one per auth mode, chosen from config; streams never see which."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import requests
from requests.auth import AuthBase, HTTPBasicAuth

from .. import logs, settings
from ..errors import ConfigError
from .modes import auth_type
from .oauth2 import OAuth2Auth


class BearerAuth(AuthBase):
    """Server/Data Center personal access tokens."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self._token}"
        return request


def build_authenticator(config: Mapping[str, Any], *, timeout: float) -> AuthBase:
    mode = auth_type(config)
    if mode == "basic":
        # Cloud: account e-mail + API token; Server/DC: username + password.
        user, secret = config.get("email") or config["username"], config.get("api_token") or config["password"]
        logs.redact_value(base64.b64encode(f"{user}:{secret}".encode()).decode())  # the header's value
        return HTTPBasicAuth(user, secret)
    if mode == "pat":
        return BearerAuth(config["personal_access_token"])
    if mode == "oauth1":
        return oauth1_authenticator(config)
    if mode == "oauth2":
        return OAuth2Auth({**config, "oauth_token_url": config.get("oauth_token_url")
                           or settings.default("oauth_token_url")}, timeout=timeout)
    raise ConfigError(f"config key `auth_type`: {mode!r} is not one of {', '.join(settings.AUTH_TYPES)}")


def oauth1_authenticator(config: Mapping[str, Any]) -> AuthBase:
    """An application link's RSA-SHA1 signer (Jira accepts no other method)."""
    from oauthlib.oauth1 import SIGNATURE_RSA
    from requests_oauthlib import OAuth1

    return OAuth1(
        config["consumer_key"],
        rsa_key=private_key_pem(config),
        resource_owner_key=config["access_token"],
        resource_owner_secret=config.get("access_token_secret"),
        signature_method=SIGNATURE_RSA,
    )


def private_key_pem(config: Mapping[str, Any]) -> str:
    """The PEM text from `private_key` or `private_key_path`, checked to be an RSA key."""
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    key = "private_key" if config.get("private_key") else "private_key_path"
    if key == "private_key":
        text = config["private_key"]
    else:
        try:
            text = Path(config["private_key_path"]).expanduser().read_text()
        except (OSError, UnicodeDecodeError) as error:
            raise ConfigError(f"config key `private_key_path`: cannot read the file ({type(error).__name__})") from None
    try:
        loaded = load_pem_private_key(text.encode(), password=None)
    except (ValueError, TypeError):
        loaded = None
    if not isinstance(loaded, RSAPrivateKey):
        # Never quote the text: it is the private key.
        raise ConfigError(f"config key `{key}` must hold an unencrypted PEM RSA private key")
    return text


def describe(config: Mapping[str, Any]) -> str:
    """Which auth mode we used and what to check, for error messages: never a secret."""
    mode = auth_type(config)
    if mode == "basic":
        if config.get("email"):
            gateway = " with `cloud_id` (scoped token)" if config.get("cloud_id") else ""
            return f"basic auth as {config['email']!r}{gateway} (check `email` and `api_token`)"
        return f"basic auth as {config.get('username')!r} (check `username` and `password`)"
    if mode == "pat":
        return "personal access token (check `personal_access_token`: revoked or expired?)"
    if mode == "oauth1":
        return (f"OAuth 1.0a as consumer {config.get('consumer_key')!r} (check `access_token`, and that the "
                "application link holds the public half of `private_key`)")
    return "OAuth 2.0 (the access token was refused even after a refresh; run `tap-jira-auth oauth2` again)"
