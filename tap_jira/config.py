"""The tap's settings: their JSON Schema and the checks that name the key at fault."""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from jsonschema import Draft7Validator
from singer_sdk import typing as th

from . import jql, timestamps
from .errors import ConfigError

AUTH_TYPES = ("basic", "oauth2", "oauth1", "pat")
DEPLOYMENT_TYPES = ("cloud", "datacenter", "server")
DEFAULT_OAUTH_TOKEN_URL = "https://auth.atlassian.com/oauth/token"
DEFAULT_API_GATEWAY_URL = "https://api.atlassian.com"
DEFAULT_PAGE_SIZE = 100
DEFAULT_REQUEST_TIMEOUT = 300
DEFAULT_LOOKBACK_MINUTES = 0
DEFAULT_SEARCH_LAG_MINUTES = 5
DEFAULT_MAX_WORKERS = 4
DEFAULT_REQUESTS_PER_SECOND = 10.0
DEFAULT_PROGRESS_INTERVAL = 15

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
        description="basic (email + api_token on Cloud, username + password on Server/Data Center), "
        "oauth2 (Cloud 3LO), oauth1 (Server/DC application link) or pat (Server/DC personal access "
        "token). Inferred from the credentials given when absent.",
    ),
    th.Property(
        "deployment_type",
        th.StringType,
        allowed_values=list(DEPLOYMENT_TYPES),
        title="Deployment type",
        description="cloud, datacenter or server. Detected from /rest/api/2/serverInfo when absent.",
    ),
    th.Property("email", th.StringType, title="Email", description="Atlassian account e-mail (Cloud basic auth)."),
    th.Property(
        "api_token",
        th.StringType,
        secret=True,
        title="API token",
        description="API token from https://id.atlassian.com/manage-profile/security/api-tokens (Cloud basic "
        "auth). A scoped API token also needs `cloud_id`.",
    ),
    th.Property("username", th.StringType, title="Username", description="Server/Data Center user name (basic auth)."),
    th.Property("password", th.StringType, secret=True, title="Password",
                description="Server/Data Center password (basic auth)."),
    th.Property("client_id", th.StringType, title="OAuth 2.0 client id", description="Your 3LO app's client id."),
    th.Property("client_secret", th.StringType, secret=True, title="OAuth 2.0 client secret",
                description="Your 3LO app's client secret (developer console, Settings)."),
    th.Property(
        "refresh_token",
        th.StringType,
        secret=True,
        title="OAuth 2.0 refresh token",
        description="From `tap-jira-auth oauth2`. Atlassian rotates it on every refresh; the tap keeps the "
        "newest one in `token_store_path`.",
    ),
    th.Property("access_token", th.StringType, secret=True, title="Access token",
                description="OAuth 2.0: optional current access token. "
                "OAuth 1.0a: the application link's access token."),
    th.Property(
        "token_store_path",
        th.StringType,
        title="Token store path",
        description="File keeping the newest rotated OAuth 2.0 refresh token (mode 0600). Default: one file "
        "per client and site under the user's config directory.",
    ),
    th.Property("oauth_token_url", th.StringType, default=DEFAULT_OAUTH_TOKEN_URL, title="OAuth 2.0 token URL",
                description="Atlassian's OAuth 2.0 token endpoint, where refresh tokens are exchanged."),
    th.Property("api_gateway_url", th.StringType, default=DEFAULT_API_GATEWAY_URL, title="API gateway URL",
                description="Where OAuth 2.0 and scoped-token calls go: {api_gateway_url}/ex/jira/{cloud_id}."),
    th.Property(
        "cloud_id",
        th.StringType,
        title="Cloud ID",
        description="The site's cloud id. OAuth 2.0 resolves it from accessible-resources when absent; "
        "with basic auth it selects the API gateway (scoped API tokens).",
    ),
    th.Property("consumer_key", th.StringType, title="OAuth 1.0a consumer key",
                description="The application link's consumer key (Server/Data Center)."),
    th.Property("private_key", th.StringType, secret=True, title="OAuth 1.0a private key",
                description="PEM text of the RSA key whose public half is in the application link."),
    th.Property("private_key_path", th.StringType, title="OAuth 1.0a private key file",
                description="Path of a PEM file; used when `private_key` is absent."),
    th.Property("access_token_secret", th.StringType, secret=True, title="OAuth 1.0a access token secret",
                description="Optional: RSA-SHA1 signatures do not use it."),
    th.Property("personal_access_token", th.StringType, secret=True, title="Personal access token",
                description="Server/Data Center 8.14+ personal access token, sent as a Bearer token."),
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
        th.IntegerType(minimum=1, maximum=5000),
        title="Page size",
        description="Records asked for per request (default 100; users 1000), clamped to each endpoint's "
        "documented maximum. Jira may return fewer.",
    ),
    th.Property(
        "request_timeout",
        th.NumberType(exclusive_minimum=0, maximum=3600),
        default=DEFAULT_REQUEST_TIMEOUT,
        title="Request timeout",
        description="Seconds one HTTP response may take as a whole, headers and body (then it is retried).",
    ),
    th.Property(
        "ca_bundle",
        th.StringType,
        title="CA bundle",
        description="PEM file of the certificate authorities to trust (a company CA in front of Jira). "
        "Default: REQUESTS_CA_BUNDLE if set, else certifi's. Verification cannot be turned off.",
    ),
    th.Property(
        "lookback_minutes",
        th.IntegerType(minimum=0, maximum=10 * 366 * 24 * 60),
        default=DEFAULT_LOOKBACK_MINUTES,
        title="Lookback minutes",
        description="Start each incremental search this much before the bookmark (overlap is deduplicated "
        "by primary key downstream).",
    ),
    th.Property(
        "search_lag_minutes",
        th.NumberType(minimum=0, maximum=24 * 60),
        default=DEFAULT_SEARCH_LAG_MINUTES,
        title="Search lag minutes",
        description="Read issues updated up to this long before Jira's now: Jira's search is eventually "
        "consistent, so the newest edits may not be found yet. The next run starts there. 0: no upper bound.",
    ),
    th.Property(
        "max_workers",
        th.IntegerType(minimum=1, maximum=32),
        default=DEFAULT_MAX_WORKERS,
        title="Max workers",
        description="Jira Cloud: concurrent bulk-fetch requests while reading issues (the pacer still bounds "
        "the total rate). 4 stays far below Jira's burst limits.",
    ),
    th.Property(
        "max_requests_per_second",
        th.NumberType(minimum=0.1, maximum=1000),  # type: ignore[arg-type]  # the SDK's hint says int; any number works
        default=DEFAULT_REQUESTS_PER_SECOND,
        title="Max requests per second",
        description="Steady request rate the tap keeps to (bursts of up to 10 seconds' worth); 10 suits Jira "
        "Cloud's documented steady state. Jira's 429s slow it further.",
    ),
    th.Property("user_agent", th.StringType, title="User agent", description="User-Agent header to send."),
    th.Property(
        "progress_interval_seconds",
        th.NumberType(minimum=0, maximum=3600),
        default=DEFAULT_PROGRESS_INTERVAL,
        title="Progress interval (seconds)",
        description="How often a progress line (records, expected total, rate, ETA per stream) goes to stderr; "
        "0 for none. The summary table at the end is always logged.",
    ),
    th.Property(
        "log_metrics",
        th.BooleanType,
        default=False,
        title="Log SDK metrics",
        description="Also log the SDK's METRIC lines (one per request and per partition) at INFO; "
        "they are logged anyway at TAP_JIRA_LOGLEVEL=DEBUG.",
    ),
).to_dict()

SECRET_KEYS = tuple(key for key, spec in CONFIG_SCHEMA["properties"].items() if spec.get("secret"))

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
_PROJECT_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_CONTROL_CHARACTER = re.compile("[\x00-\x1f\x7f\x85\u2028\u2029]")  # with Unicode's line breaks
# Keys whose values may span lines.
_MULTILINE_KEYS = ("private_key", "jql")
_SCHEMA_REASONS = {
    "minimum": "must be at least {}", "maximum": "must be at most {}",
    "exclusiveMinimum": "must be more than {}", "exclusiveMaximum": "must be less than {}",
}


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
    _check_auth(config)
    for key in config.get("projects") or []:
        if not _PROJECT_KEY.fullmatch(key):
            raise ConfigError(f"config key `projects`: {key!r} is not a Jira project key (letters, digits, _)")
    extra_jql = config.get("jql")
    if extra_jql is not None:
        problem = jql.filter_problem(extra_jql)
        if problem:
            raise ConfigError(f"config key `jql` {problem}")
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
    _check_url("base_url", value)


def _check_url(key: str, value: Any) -> None:
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


def _check_auth(config: Mapping[str, Any]) -> None:
    mode = auth_type(config)
    missing = [" or ".join(f"`{key}`" for key in group)
               for group in _AUTH_NEEDS[mode] if not any(config.get(key) for key in group)]
    if missing:
        raise ConfigError(f"config key {', '.join(missing)} required for {mode} auth ({_AUTH_HINTS[mode]})")
    for key in ("oauth_token_url", "api_gateway_url"):
        if key in config:
            _check_url(key, config[key])
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


def tls_verify(config: Mapping[str, Any]) -> str | bool:
    """What requests should verify certificates against: `ca_bundle`, else the CA
    bundle named in the environment (which requests only reads for requests it
    prepares itself, not for the SDK's `Session.send`), else certifi's."""
    bundle = config.get("ca_bundle") or os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    return os.path.expanduser(bundle) if bundle else True


def page_size(config: Mapping[str, Any], cap: int, default: int | None = None) -> int:
    """The configured page size (else `default`, else DEFAULT_PAGE_SIZE), clamped to an
    endpoint's documented maximum."""
    return min(int(config.get("page_size") or default or DEFAULT_PAGE_SIZE), cap)
