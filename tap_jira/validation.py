"""Config checks that name the key at fault, in one line, before any request."""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from jsonschema import Draft7Validator

from . import field_names, jql, timestamps
from .auth import modes
from .errors import ConfigError
from .settings import CONFIG_SCHEMA

_PROJECT_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_CONTROL_CHARACTER = re.compile("[\x00-\x1f\x7f\x85\u2028\u2029]")  # with Unicode's line breaks
# Keys whose values may span lines.
_MULTILINE_KEYS = ("private_key", "jql")
_SCHEMA_REASONS = {
    "minimum": "must be at least {}", "maximum": "must be at most {}",
    "exclusiveMinimum": "must be more than {}", "exclusiveMaximum": "must be less than {}",
}


def check(config: Mapping[str, Any]) -> None:
    """Raise ConfigError with a one-line message for the first problem found."""
    _check_control_characters(config)
    _check_base_url(config.get("base_url"))
    for error in Draft7Validator(CONFIG_SCHEMA).iter_errors(dict(config)):
        key = error.path[0] if error.path else (error.validator_value[0] if error.validator == "required" else "")
        # Quote the schema's complaint but never the value: it may be a secret.
        reason = ("is required" if error.validator == "required"
                  else f"must match {error.validator} {error.validator_value!r}")
        if error.validator == "type":
            reason = f"must be of type {error.validator_value}"
        elif error.validator == "enum":
            reason = "must be one of " + ", ".join(map(str, error.validator_value))
        elif error.validator in _SCHEMA_REASONS:
            reason = _SCHEMA_REASONS[str(error.validator)].format(f"{error.validator_value:g}")
        raise ConfigError(f"config key `{key}` {reason}")
    _check_start_date(config.get("start_date"))
    modes.check_credentials(config)
    for key in ("oauth_token_url", "api_gateway_url"):
        if key in config:
            check_url(key, config[key])
    for key in config.get("projects") or []:
        if not _PROJECT_KEY.fullmatch(key):
            raise ConfigError(f"config key `projects`: {key!r} is not a Jira project key (letters, digits, _)")
    extra_jql = config.get("jql")
    if extra_jql is not None:
        problem = jql.filter_problem(extra_jql)
        if problem:
            raise ConfigError(f"config key `jql` {problem}")
    if "custom_field_columns" in config and (problem := field_names.pin_problem(config["custom_field_columns"])):
        raise ConfigError(f"config key `custom_field_columns` {problem}")
    if config.get("ca_bundle") and not os.path.isfile(os.path.expanduser(config["ca_bundle"])):
        raise ConfigError(f"config key `ca_bundle`: no file at {config['ca_bundle']}")


def _check_control_characters(config: Mapping[str, Any]) -> None:
    """A newline or CR in a header value, a URL or a project key is never meant: it
    splits headers and JQL.  The value is not quoted: it may be a secret."""
    for key, value in config.items():
        if key in _MULTILINE_KEYS:
            continue
        for text in value if isinstance(value, list) else [value]:
            if isinstance(text, str) and _CONTROL_CHARACTER.search(text):
                raise ConfigError(f"config key `{key}` holds a control character (a newline, tab or CR): remove it")


def _check_base_url(value: Any) -> None:
    if not value:
        raise ConfigError("config key `base_url` is required, e.g. https://your-site.atlassian.net")
    check_url("base_url", value)


def check_url(key: str, value: Any) -> None:
    if not isinstance(value, str):
        raise ConfigError(f"config key `{key}` must be a URL string")
    try:
        parts = urlsplit(value)
        _ = parts.port  # a port that is not a number, or out of range, raises here
    except ValueError:
        raise ConfigError(f"config key `{key}` is not a URL such as https://your-site.atlassian.net "
                          "(check brackets and the port)") from None
    if parts.username or parts.password:
        # Not quoted: the password is in it.
        raise ConfigError(f"config key `{key}` must not hold a user name or password: put the credentials in "
                          "`email` + `api_token` (Cloud) or `username` + `password` (Server/Data Center)")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"config key `{key}` must be an http(s) URL such as https://your-site.atlassian.net, "
                          f"not {value!r}")
    if parts.query or parts.fragment:
        raise ConfigError(f"config key `{key}` must not contain a query string or fragment")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise ConfigError(
            f"config key `{key}` uses http:// for non-loopback host {parts.hostname!r}: use https:// "
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
        timestamps.parse_setting(str(value))
    except ValueError:
        raise ConfigError(
            f"config key `start_date` must be an ISO 8601 date or date-time such as 2024-01-31 or "
            f"2024-01-31T00:00:00Z (UTC when no offset is given), not {value!r}"
        ) from None
