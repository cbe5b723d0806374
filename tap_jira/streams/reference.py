"""Full-table streams of site-wide reference data: projects, users, resolutions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import config as settings
from ..client import JiraStream
from ..pagination import BareArrayPaginator, PageBeanPaginator

if TYPE_CHECKING:
    from singer_sdk.helpers.types import Context


class PageBeanStream(JiraStream):
    """A stream over a Jira page bean (``values``, ``startAt``, ``isLast``)."""

    records_jsonpath = "$.values[*]"
    page_cap = 50

    def get_new_paginator(self) -> PageBeanPaginator:
        return PageBeanPaginator()

    def get_url_params(self, context: Context | None, next_page_token: int | None) -> dict[str, Any]:
        return {"startAt": next_page_token or 0, "maxResults": settings.page_size(self.config, self.page_cap)}


class ProjectsStream(PageBeanStream):
    name = "projects"
    path = "/project/search"
    primary_keys = ("id",)
    page_cap = 100  # larger requests are silently cut to 100

    def get_url_params(self, context: Context | None, next_page_token: int | None) -> dict[str, Any]:
        return {
            **super().get_url_params(context, next_page_token),
            "orderBy": "key",
            "expand": "description,lead,url,insight",
        }

    def post_process(self, row: dict[str, Any], context: Context | None = None) -> dict[str, Any] | None:
        wanted = {key.upper() for key in self.config.get("projects") or ()}
        return row if not wanted or row.get("key", "").upper() in wanted else None


class ResolutionsStream(PageBeanStream):
    name = "resolutions"
    path = "/resolution/search"
    primary_keys = ("id",)


class UsersStream(JiraStream):
    name = "users"
    path = "/users/search"
    primary_keys = ("accountId",)
    records_jsonpath = "$[*]"

    def get_new_paginator(self) -> BareArrayPaginator:
        return BareArrayPaginator()

    def get_url_params(self, context: Context | None, next_page_token: int | None) -> dict[str, Any]:
        return {"startAt": next_page_token or 0, "maxResults": settings.page_size(self.config, 1000)}
