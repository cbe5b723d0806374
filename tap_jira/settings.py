"""The tap's settings: their JSON Schema (each default and range stated there, once)
and the typed object the rest of the tap reads them through."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from singer_sdk import typing as th

AUTH_TYPES = ("basic", "oauth2", "oauth1", "pat")
DEPLOYMENT_TYPES = ("cloud", "datacenter", "server")
# Page size when `page_size` is not set; each endpoint also caps it (see `Settings.page_size_for`).
FALLBACK_PAGE_SIZE = 100

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
    th.Property("oauth_token_url", th.StringType, default="https://auth.atlassian.com/oauth/token",
                title="OAuth 2.0 token URL",
                description="Atlassian's OAuth 2.0 token endpoint, where refresh tokens are exchanged."),
    th.Property("api_gateway_url", th.StringType, default="https://api.atlassian.com", title="API gateway URL",
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
        description="Project keys to extract; all visible projects when absent. Limits the issues and "
        "their children, projects, versions, components, boards and what is read through boards.",
    ),
    th.Property(
        "include_archived_projects",
        th.BooleanType,
        default=False,
        title="Include archived projects",
        description="Also list archived projects and (Cloud) projects in the trash in the projects stream, "
        "with their versions and components. Jira's search never returns their issues.",
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
        default=300,
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
        default=0,
        title="Lookback minutes",
        description="Start each incremental search this much before the bookmark (overlap is deduplicated "
        "by primary key downstream).",
    ),
    th.Property(
        "search_lag_minutes",
        th.NumberType(minimum=0, maximum=24 * 60),
        default=5,
        title="Search lag minutes",
        description="Read issues updated up to this long before Jira's now: Jira's search is eventually "
        "consistent, so the newest edits may not be found yet. The next run starts there. 0: no upper bound.",
    ),
    th.Property(
        "max_workers",
        th.IntegerType(minimum=1, maximum=32),
        default=4,
        title="Max workers",
        description="Jira Cloud: concurrent bulk-fetch requests while reading issues (the pacer still bounds "
        "the total rate). 4 stays far below Jira's burst limits.",
    ),
    th.Property(
        "max_requests_per_second",
        th.NumberType(minimum=0.1, maximum=1000),  # type: ignore[arg-type]  # the SDK's hint says int; any number works
        default=10.0,
        title="Max requests per second",
        description="Steady request rate the tap keeps to (bursts of up to 10 seconds' worth); 10 suits Jira "
        "Cloud's documented steady state. Jira's 429s slow it further.",
    ),
    th.Property(
        "custom_field_columns",
        th.ObjectType(additional_properties=th.StringType),
        title="Custom field columns",
        description='Pins the `issues` column a custom field is copied to, by field id, e.g. '
        '{"customfield_10016": "story_points"}. Fields not listed get their name in snake case at '
        "discovery; pin the ones you build on, so a rename in Jira never moves them.",
    ),
    th.Property(
        "deletes_census_hours",
        th.NumberType(minimum=0, maximum=24 * 366),
        default=24,
        title="Deletes census interval (hours)",
        description="How often the issue id census runs, which finds deleted issues (about 1 request per "
        "5,000 issues in scope): at most once in this many hours, at the end of a run. 0: every run.",
    ),
    th.Property(
        "deletes_store_dir",
        th.StringType,
        title="Deletes store directory",
        description="Where the tap keeps the ids of the issues and comments it has written (SQLite, about "
        "30 bytes an id), to know which of them Jira deleted. Keep it on persistent storage. Default: "
        "$XDG_STATE_HOME/tap-jira, else ~/.local/state/tap-jira.",
    ),
    th.Property(
        "emit_activate_version_messages",
        th.BooleanType,
        default=True,
        title="Emit ACTIVATE_VERSION messages",
        description="After each complete read of a full-table stream, send ACTIVATE_VERSION, so that "
        "loaders remove (or soft-delete) the rows Jira no longer has.",
    ),
    th.Property("user_agent", th.StringType, title="User agent", description="User-Agent header to send."),
    th.Property(
        "progress_interval_seconds",
        th.NumberType(minimum=0, maximum=3600),
        default=15,
        title="Progress interval (seconds)",
        description="How often a progress line (records, expected total, rate, ETA per stream) goes to stderr; "
        "0 for none. The summary table at the end is always logged.",
    ),
    th.Property(
        "prefetch_small_streams",
        th.BooleanType,
        default=True,
        title="Read small streams beside the issues",
        description="Read the pages of the other streams (lookups, projects, boards, sprints, fields, groups, "
        "users and what is read through them) on background threads while the issues are searched, and write "
        "them after the issues. false: read each when the sync reaches it, after the issues.",
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


def default(key: str) -> Any:
    """The schema's default for `key` (None when it has none)."""
    return CONFIG_SCHEMA["properties"][key].get("default")


@dataclass(frozen=True)
class Settings:
    """What the run reads from its config, defaults applied and types fixed.  The
    credentials stay in `config`: only `auth/` reads them.  The defaults are the
    schema's, read from it."""

    base_url: str = ""
    deployment_type: str | None = None
    cloud_id: str | None = None
    api_gateway_url: str = default("api_gateway_url")
    oauth_token_url: str = default("oauth_token_url")
    start_date: str | None = None
    projects: tuple[str, ...] = ()
    include_archived_projects: bool = bool(default("include_archived_projects"))
    jql: str | None = None
    page_size: int | None = None
    request_timeout: float = float(default("request_timeout"))
    ca_bundle: str | None = None
    lookback_minutes: int = int(default("lookback_minutes"))
    search_lag_minutes: float = float(default("search_lag_minutes"))
    max_workers: int = int(default("max_workers"))
    max_requests_per_second: float = float(default("max_requests_per_second"))
    deletes_census_hours: float = float(default("deletes_census_hours"))
    deletes_store_dir: str | None = None
    emit_activate_version_messages: bool = bool(default("emit_activate_version_messages"))
    user_agent: str | None = None
    custom_field_columns: Mapping[str, str] = field(default_factory=dict)
    progress_interval_seconds: float = float(default("progress_interval_seconds"))
    prefetch_small_streams: bool = bool(default("prefetch_small_streams"))
    log_metrics: bool = bool(default("log_metrics"))
    config: Mapping[str, Any] = field(default_factory=dict, repr=False)  # repr: never print secrets

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Settings:
        values: dict[str, Any] = {}
        for item in fields(cls):
            if item.name == "config":
                continue
            value = config.get(item.name)
            value = default(item.name) if value is None else value
            if value is None:
                continue
            try:
                if item.name == "projects":
                    value = tuple(value)
                elif item.type in ("float", "float | None"):
                    value = float(value)
                elif item.type in ("int", "int | None"):
                    value = int(value)
                elif item.type == "bool" and not isinstance(value, bool):
                    value = str(value).strip().lower() in ("true", "1", "yes")
            except (TypeError, ValueError):
                # Discovery and --about do not validate the config; a sync refuses the value
                # (validation.check) before anything reads it.
                continue
            values[item.name] = value
        return cls(**values, config=config)

    def page_size_for(self, cap: int, fallback: int = FALLBACK_PAGE_SIZE) -> int:
        """The configured page size (else `fallback`), clamped to an endpoint's documented maximum."""
        return min(self.page_size or fallback, cap)

    def tls_verify(self) -> str | bool:
        return tls_verify(self.config)


def tls_verify(config: Mapping[str, Any]) -> str | bool:
    """What requests should verify certificates against: `ca_bundle`, else the CA
    bundle named in the environment (which requests only reads for requests it
    prepares itself, not for `Session.send`), else certifi's."""
    bundle = config.get("ca_bundle") or os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    return os.path.expanduser(bundle) if bundle else True
