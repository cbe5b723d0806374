"""The issues stream: incremental on `updated` through ``/search/jql``."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from .. import config as settings
from .. import jql, timestamps
from ..client import JiraStream
from ..pagination import TokenPaginator

if TYPE_CHECKING:
    from collections.abc import Iterable

    import requests
    from singer_sdk.helpers.types import Context

# With no bookmark and no start_date, still send a bounded query (/search/jql
# refuses unbounded JQL) that matches every issue.
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
SEARCH_PAGE_CAP = 5000


class IssuesStream(JiraStream):
    name = "issues"
    path = "/search/jql"
    http_method = "POST"
    primary_keys = ("id",)
    replication_key = "updated"
    is_sorted = True  # the JQL orders by updated ASC, so STATE can advance per record
    records_jsonpath = "$.issues[*]"

    def get_new_paginator(self) -> TokenPaginator:
        return TokenPaginator()

    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        # Fixed for the whole run: the bookmark moves while records flow, but a
        # page token is only valid with the query that produced it.
        self._query = self.build_query(context)
        self.logger.info("Issues JQL: %s", self._query)
        yield from super().get_records(context)

    def build_query(self, context: Context | None) -> str:
        since = self.get_starting_timestamp(context) or EPOCH
        return jql.incremental_issue_query(
            since, self.profile_zone, self.config.get("projects") or (), self.config.get("jql")
        )

    def prepare_request_payload(self, context: Context | None, next_page_token: str | None) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "jql": self._query,
            "fields": ["*all"],  # /search/jql returns ids only unless fields are named
            "maxResults": settings.page_size(self.config, SEARCH_PAGE_CAP),
        }
        if next_page_token:
            payload["nextPageToken"] = next_page_token
        return payload

    def post_process(self, row: dict[str, Any], context: Context | None = None) -> dict[str, Any] | None:
        fields = row.get("fields") or {}
        # Jira occasionally omits `updated`; fall back to `created` so the row still lands.
        stamp = fields.get("updated") or fields.get("created")
        row["updated"] = timestamps.to_utc_iso(stamp) if stamp else None
        return row

    def client_error_message(self, response: requests.Response) -> str:
        message = super().client_error_message(response)
        if response.status_code == 400:
            return f"{message} (check config keys `jql` and `projects`)"
        return message
