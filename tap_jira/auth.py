"""Authenticators: one per auth mode, chosen from config; streams never see which."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from requests.auth import AuthBase, HTTPBasicAuth

from . import config as settings
from .errors import ConfigError


def build_authenticator(config: Mapping[str, Any]) -> AuthBase:
    mode = settings.auth_type(config)
    if mode == "basic":
        # Jira Cloud: account e-mail + API token; Server/DC: username + password.
        return HTTPBasicAuth(config["email"], config["api_token"])
    raise ConfigError(f"config key `auth_type`: {mode!r} is not supported by this version")


def describe(config: Mapping[str, Any]) -> str:
    """Who we tried to be, for error messages: never includes a secret."""
    if settings.auth_type(config) == "basic":
        return f"basic auth as {config.get('email')!r} (check `email` and `api_token`)"
    return f"{settings.auth_type(config)} auth"
