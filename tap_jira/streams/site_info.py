"""The Jira site itself: its server info (one row) and the Cloud sites the credentials reach."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from singer_sdk.pagination import SinglePagePaginator
from typing_extensions import override

from .. import timestamps
from ..auth.modes import auth_type
from ..site import jira_sites
from .base import CloudOnly, JiraStream

if TYPE_CHECKING:
    from collections.abc import Iterable

    from singer_sdk.helpers.types import Context


class ServerInfoStream(JiraStream):
    """Version, deployment type, build and time zone: one request, one row."""

    name = "server_info"
    path = "/serverInfo"
    records_jsonpath = "$"
    primary_keys = ("baseUrl",)

    @override
    def get_new_paginator(self) -> SinglePagePaginator:
        return SinglePagePaginator()

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        """No request when finding the site already read serverInfo (the same body under REST v2)."""
        known = self.site.server_info
        if known is None:
            yield from super().get_records(context)
            return
        _ = self.run.client.myself  # fail fast on bad credentials, like every stream
        row = self.post_process(dict(known), context)
        if row is not None:
            yield row

    @override
    def post_process(self, row: dict[str, Any], context: Context | None = None) -> dict[str, Any] | None:
        for key in ("buildDate", "serverTime"):
            if row.get(key):
                try:
                    row[key] = timestamps.to_utc_iso(row[key])
                except (TypeError, ValueError, OverflowError):
                    self.logger.warning("server_info: `%s` %r is no timestamp; emitted as null", key, row[key])
                    row[key] = None
        return row


class CloudInstancesStream(CloudOnly, JiraStream):
    """With OAuth 2.0, every Jira site the grant reaches (accessible-resources, read when
    finding the site: no request of its own);
    with an API token, the configured site and its cloud id (``/_edge/tenant_info``).
    `current` marks the site this run reads."""

    name = "cloud_instances"
    path = "/oauth/token/accessible-resources"  # not under the REST API: read with the client's `fetch`
    primary_keys = ("id",)

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        _ = self.run.client.myself  # fail fast on bad credentials, like every stream
        if not self.site.cloud:
            yield from super().get_records(context)  # CloudOnly: skipped with one info line
            return
        settings = self.run.settings
        if auth_type(self.config) == "oauth2":
            found = self.site.accessible_resources  # read when finding the site, unless `cloud_id` is set
            if found is None:
                found = self._read(f"{settings.api_gateway_url.rstrip('/')}/oauth/token/accessible-resources")
            listed = [r for r in found if isinstance(r, dict)] if isinstance(found, list) else []
            yield from self._merged(jira_sites(listed))
            return
        base_url = settings.base_url.rstrip("/")
        cloud_id, tenant = self.site.cloud_id, None  # known when reading through the gateway
        if not cloud_id:
            tenant = self._read(f"{base_url}/_edge/tenant_info")
            cloud_id = tenant.get("cloudId") if isinstance(tenant, dict) else None
        if not cloud_id:
            if tenant is not None:
                self.logger.warning("cloud_instances: %s/_edge/tenant_info names no cloud id; no row emitted",
                                    base_url)
            return
        yield {"id": str(cloud_id), "name": (urlsplit(base_url).hostname or "").split(".")[0], "url": base_url,
               "avatarUrl": None, "scopes": [], "current": True}

    def _read(self, url: str) -> Any:
        """The answer's JSON; None, with a warning, for anything else (this stream is
        never worth failing a run for)."""
        response = self.run.client.fetch(url)
        problem = f"HTTP {response.status_code}" if response.status_code != 200 else ""
        if not problem:
            try:
                return response.json()
            except ValueError:
                problem = "no JSON"
        self.logger.warning("cloud_instances: GET %s answered %s; no row emitted", urlsplit(url).path, problem)
        return None

    def _merged(self, resources: list[dict[str, Any]]) -> Iterable[dict[str, Any]]:
        """One row per Jira site, whatever else the grant reaches."""
        by_id: dict[str, dict[str, Any]] = {}
        for resource in resources:
            if not resource.get("id"):
                continue
            row = by_id.setdefault(str(resource["id"]), {
                "id": str(resource["id"]), "name": resource.get("name"), "url": resource.get("url"),
                "avatarUrl": resource.get("avatarUrl"), "scopes": [],
                "current": str(resource["id"]) == self.site.cloud_id})
            row["scopes"] += [s for s in resource.get("scopes") or [] if s not in row["scopes"]]
        yield from by_id.values()
