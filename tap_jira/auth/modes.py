"""Which auth mode a config is in, and what each mode needs.

Inferred from the credentials given when `auth_type` is absent; discovery, which
makes no request, also reads from it whether the site is Server/Data Center.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import ConfigError

# Keys that select an auth mode when `auth_type` is absent, strongest evidence first.
_AUTH_EVIDENCE = (
    ("pat", ("personal_access_token",)),
    ("oauth1", ("consumer_key",)),
    ("oauth2", ("client_id", "refresh_token")),
    ("basic", ("email", "api_token", "username", "password")),
)
# What each auth mode needs: groups of keys, any one key of a group being enough.
_AUTH_NEEDS: dict[str, tuple[tuple[str, ...], ...]] = {
    "basic": (("email", "username"), ("api_token", "password")),
    "oauth2": (("client_id",), ("client_secret",), ("refresh_token",)),
    "oauth1": (("consumer_key",), ("private_key", "private_key_path"), ("access_token",)),
    "pat": (("personal_access_token",),),
}
_AUTH_HINTS = {
    "basic": "Cloud: `email` + `api_token`; Server/Data Center: `username` + `password`",
    "oauth2": "run `tap-jira-auth oauth2` to get them",
    "oauth1": "run `tap-jira-auth oauth1` to get the access token",
    "pat": "create one under Profile > Personal Access Tokens",
}


def auth_type(config: Mapping[str, Any]) -> str:
    """The auth mode in force: the configured one, or the one the credentials imply."""
    if config.get("auth_type"):
        return str(config["auth_type"])
    for mode, keys in _AUTH_EVIDENCE:
        if any(config.get(key) for key in keys):
            return mode
    return "basic"


def check_credentials(config: Mapping[str, Any]) -> None:
    mode = auth_type(config)
    missing = [" or ".join(f"`{key}`" for key in group)
               for group in _AUTH_NEEDS[mode] if not any(config.get(key) for key in group)]
    if missing:
        raise ConfigError(f"config key {', '.join(missing)} required for {mode} auth ({_AUTH_HINTS[mode]})")
    deployment = config.get("deployment_type")
    if mode == "oauth2" and deployment in ("datacenter", "server"):
        raise ConfigError("config key `deployment_type`: OAuth 2.0 (3LO) exists only on Jira Cloud; "
                          "use oauth1 or pat for Server/Data Center")


def is_datacenter_hint(config: Mapping[str, Any]) -> bool:
    """Whether the config alone says Server/Data Center (discovery makes no requests).
    At run time the deployment is detected; see `site.resolve_site`."""
    if config.get("deployment_type"):
        return config["deployment_type"] in ("datacenter", "server")
    mode = auth_type(config)
    return mode in ("oauth1", "pat") or (mode == "basic" and bool(config.get("username")))
