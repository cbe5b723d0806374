"""Where the REST API of the configured Jira lives, and which kind of Jira it is.

- OAuth 2.0, and basic auth with `cloud_id` (scoped API tokens), go through the
  API gateway: ``{api_gateway_url}/ex/jira/{cloudId}``.  Without `cloud_id`, the
  OAuth grant's accessible-resources names it: the Jira site whose URL is `base_url`.
- Otherwise the API is at `base_url`, and `deployment_type` or
  ``/rest/api/2/serverInfo`` tells Cloud (REST v3) from Server/Data Center (REST v2).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests

from .auth.modes import auth_type
from .errors import ConfigError, JiraAPIError
from .settings import Settings

CLOUD_HOST_SUFFIXES = (".atlassian.net", ".jira.com")


@dataclass(frozen=True)
class JiraSite:
    api_root: str  # what /rest/... is appended to
    cloud: bool
    cloud_id: str | None = None
    # What finding the site already read, so the streams of the same data need no request:
    # the serverInfo body (server_info) and the OAuth grant's sites (cloud_instances).
    server_info: dict[str, Any] | None = field(default=None, compare=False)
    accessible_resources: list[dict[str, Any]] | None = field(default=None, compare=False)

    @property
    def rest(self) -> str:
        return self.api_root + ("/rest/api/3" if self.cloud else "/rest/api/2")

    @property
    def agile(self) -> str:
        return self.api_root + "/rest/agile/1.0"

    def describe(self) -> str:
        if self.cloud_id:
            return f"Jira Cloud through the API gateway (cloud id {self.cloud_id})"
        return f"Jira {'Cloud (REST v3)' if self.cloud else 'Server/Data Center (REST v2)'} at {self.api_root}"


# GET an absolute URL with the run's auth, pacing and retries; other answers come back as they are.
Fetch = Callable[[str], requests.Response]


def resolve_site(settings: Settings, fetch: Fetch) -> JiraSite:
    base_url = settings.base_url.rstrip("/")
    if auth_type(settings.config) == "oauth2" or settings.cloud_id:
        gateway = settings.api_gateway_url.rstrip("/")
        if settings.cloud_id:
            return JiraSite(f"{gateway}/ex/jira/{settings.cloud_id}", cloud=True, cloud_id=settings.cloud_id)
        resources = _accessible_resources(gateway, fetch)
        cloud_id = _find_cloud_id(base_url, resources)
        return JiraSite(f"{gateway}/ex/jira/{cloud_id}", cloud=True, cloud_id=cloud_id, accessible_resources=resources)
    deployment = settings.deployment_type
    if deployment:
        return JiraSite(base_url, cloud=deployment == "cloud")
    if (urlsplit(base_url).hostname or "").endswith(CLOUD_HOST_SUFFIXES):
        return JiraSite(base_url, cloud=True)
    info = _server_info(base_url, fetch)
    return JiraSite(base_url, cloud=str(info["deploymentType"]).lower() == "cloud", server_info=info)


def _server_info(base_url: str, fetch: Fetch) -> dict[str, Any]:
    response = fetch(f"{base_url}/rest/api/2/serverInfo")
    try:
        info = response.json() if response.ok else None
    except ValueError:
        info = None
    if not isinstance(info, dict) or "deploymentType" not in info:
        raise ConfigError(f"config key `base_url`: no Jira REST API at {base_url} (GET /rest/api/2/serverInfo "
                          f"answered HTTP {response.status_code}); check the URL and any context path, "
                          "or set `deployment_type`")
    return info


def _accessible_resources(gateway: str, fetch: Fetch) -> list[dict[str, Any]]:
    response = fetch(f"{gateway}/oauth/token/accessible-resources")
    if not response.ok:
        raise JiraAPIError(f"OAuth 2.0: GET /oauth/token/accessible-resources answered HTTP {response.status_code}; "
                           "check `api_gateway_url`, or set `cloud_id`", response.status_code)
    try:
        resources = response.json()
    except ValueError:
        resources = None
    if not isinstance(resources, list) or not all(isinstance(r, dict) for r in resources):
        raise JiraAPIError("OAuth 2.0: GET /oauth/token/accessible-resources answered with an unexpected shape "
                           "(a list of sites was due); check `api_gateway_url`, or set `cloud_id`",
                           response.status_code)
    return resources


def _find_cloud_id(base_url: str, resources: list[dict[str, Any]]) -> str:
    # The same id can appear once per product (Jira, Confluence): pick the entry
    # with Jira scopes whose URL is base_url, never simply the first one.
    for resource in jira_sites(resources):
        if site_key(resource.get("url", "")) == site_key(base_url):
            return str(resource["id"])
    listed = sorted({f"{r.get('name')} ({r.get('url')})" for r in resources}) or ["none"]
    raise ConfigError(f"config key `base_url`: {base_url} is not among the sites this OAuth 2.0 grant reaches: "
                      f"{', '.join(listed)}; fix `base_url` or set `cloud_id`")


def jira_sites(resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The accessible resources that are Jira sites (granted Jira scopes)."""
    return [r for r in resources if any("jira" in scope for scope in r.get("scopes") or [])]


def site_key(url: str) -> str:
    """A site URL compared without case in the host or a trailing slash."""
    parts = urlsplit(url.strip())
    return f"{parts.scheme}://{(parts.netloc or '').lower()}{parts.path.rstrip('/')}"
