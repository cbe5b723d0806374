"""The tap's settings: their JSON Schema and the checks that name the key at fault."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from jsonschema import Draft7Validator
from singer_sdk import typing as th

from .errors import ConfigError

AUTH_TYPES = ("basic", "oauth2", "oauth1", "pat")
IMPLEMENTED_AUTH_TYPES = ("basic",)
DEFAULT_PAGE_SIZE = 100
DEFAULT_REQUEST_TIMEOUT = 300

CONFIG_SCHEMA = th.PropertiesList(
    th.Property(
        "base_url",
        th.StringType,
        required=True,
        title="Base URL",
        description="Your site, e.g. https://example.atlassian.net (Cloud), or a Server/Data Center URL "
        "including any context path. http:// is accepted only for loopback hosts.",
    ),
    th.Property(
        "auth_type",
        th.StringType,
        allowed_values=list(AUTH_TYPES),
        title="Authentication type",
        description="basic (email + api_token). Inferred from the credentials given when absent.",
    ),
    th.Property("email", th.StringType, title="Email", description="Atlassian account e-mail (basic auth)."),
    th.Property(
        "api_token",
        th.StringType,
        secret=True,
        title="API token",
        description="API token from https://id.atlassian.com/manage-profile/security/api-tokens (basic auth).",
    ),
    th.Property(
        "start_date",
        th.DateTimeType,
        title="Start date",
        description="ISO 8601 date-time; issues updated before it are not read on the first run.",
    ),
    th.Property(
        "projects",
        th.ArrayType(th.StringType),
        title="Projects",
        description="Project keys to extract; all visible projects when absent.",
    ),
    th.Property(
        "jql",
        th.StringType,
        title="Extra JQL",
        description="JQL ANDed to the incremental window of the issues stream (no ORDER BY).",
    ),
    th.Property(
        "page_size",
        th.IntegerType,
        default=DEFAULT_PAGE_SIZE,
        title="Page size",
        description="Records asked for per request; Jira may return fewer (each endpoint has its own cap).",
    ),
    th.Property(
        "request_timeout",
        th.NumberType,
        default=DEFAULT_REQUEST_TIMEOUT,
        title="Request timeout",
        description="Seconds to wait for one HTTP response.",
    ),
    th.Property("user_agent", th.StringType, title="User agent", description="User-Agent header to send."),
).to_dict()

# Keys that select an auth mode when `auth_type` is absent, strongest evidence first.
_AUTH_EVIDENCE = (
    ("pat", ("personal_access_token",)),
    ("oauth1", ("consumer_key",)),
    ("oauth2", ("client_id", "refresh_token")),
    ("basic", ("email", "api_token")),
)
_JQL_ORDER_BY = re.compile(r"\border\s+by\b", re.IGNORECASE)
_PROJECT_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def auth_type(config: Mapping[str, Any]) -> str:
    """The auth mode in force: the configured one, or the one the credentials imply."""
    if config.get("auth_type"):
        return str(config["auth_type"])
    for mode, keys in _AUTH_EVIDENCE:
        if any(config.get(key) for key in keys):
            return mode
    return "basic"


def check(config: Mapping[str, Any]) -> None:
    """Raise ConfigError with a one-line message for the first problem found."""
    _check_base_url(config.get("base_url"))
    for error in Draft7Validator(CONFIG_SCHEMA).iter_errors(dict(config)):
        key = error.path[0] if error.path else (error.validator_value[0] if error.validator == "required" else "")
        # Quote the schema's complaint but never the value: it may be a secret.
        reason = "is required" if error.validator == "required" else f"must match {error.validator} {error.validator_value!r}"
        if error.validator == "type":
            reason = f"must be of type {error.validator_value}"
        elif error.validator == "enum":
            reason = "must be one of " + ", ".join(map(str, error.validator_value))
        raise ConfigError(f"config key `{key}` {reason}")
    _check_start_date(config.get("start_date"))
    _check_auth(config)
    for key in config.get("projects") or []:
        if not _PROJECT_KEY.match(key):
            raise ConfigError(f"config key `projects`: {key!r} is not a Jira project key (letters, digits, _)")
    extra_jql = config.get("jql")
    if extra_jql is not None and (not extra_jql.strip() or _JQL_ORDER_BY.search(extra_jql)):
        raise ConfigError("config key `jql` must be a non-empty filter without ORDER BY (the tap orders by updated)")
    if not 1 <= config.get("page_size", DEFAULT_PAGE_SIZE) <= 5000:
        raise ConfigError("config key `page_size` must be between 1 and 5000")
    if config.get("request_timeout", DEFAULT_REQUEST_TIMEOUT) <= 0:
        raise ConfigError("config key `request_timeout` must be a positive number of seconds")


def _check_base_url(value: Any) -> None:
    if not value:
        raise ConfigError("config key `base_url` is required, e.g. https://your-site.atlassian.net")
    if not isinstance(value, str):
        raise ConfigError("config key `base_url` must be a URL string")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"config key `base_url` must be an http(s) URL such as https://your-site.atlassian.net, not {value!r}")
    if parts.query or parts.fragment:
        raise ConfigError("config key `base_url` must not contain a query string or fragment")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise ConfigError(
            f"config key `base_url` uses http:// for non-loopback host {parts.hostname!r}: use https:// "
            "(plain http is allowed only for 127.0.0.0/8, ::1 and localhost)"
        )


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_start_date(value: Any) -> None:
    if value is None:
        return
    try:
        datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(
            f"config key `start_date` must be an ISO 8601 date-time such as 2024-01-31T00:00:00Z, not {value!r}"
        ) from None


def _check_auth(config: Mapping[str, Any]) -> None:
    mode = auth_type(config)
    if mode not in IMPLEMENTED_AUTH_TYPES:
        raise ConfigError(
            f"config key `auth_type`: {mode!r} is not supported by this version; use basic (`email` + `api_token`)"
        )
    missing = [key for key in ("email", "api_token") if not config.get(key)]
    if missing:
        raise ConfigError(
            "config key " + " and ".join(f"`{key}`" for key in missing)
            + " required for basic auth (Atlassian account e-mail and API token)"
        )


def page_size(config: Mapping[str, Any], cap: int) -> int:
    """The configured page size, clamped to an endpoint's documented maximum."""
    return min(int(config.get("page_size", DEFAULT_PAGE_SIZE)), cap)
