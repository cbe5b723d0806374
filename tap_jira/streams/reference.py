"""Full-table streams of site-wide reference data: projects, users, resolutions.

Cloud pages them (page beans, or bare arrays for users); Server/Data Center
returns projects and resolutions as one bare array, and lists users through
``/user/search`` keyed by `key` instead of `accountId`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from singer_sdk.pagination import SinglePagePaginator
from typing_extensions import override

from ..api.pagination import BareArrayPaginator, PageBeanPaginator
from ..errors import ConfigError, JiraAPIError
from .base import JiraStream, KeyedByDeployment

if TYPE_CHECKING:
    from collections.abc import Iterable

    from singer_sdk.helpers.types import Context


class PageBeanStream(JiraStream):
    """A stream over a Jira page bean (``values``, ``startAt``, ``isLast``)."""

    records_jsonpath = "$.values[*]"
    page_cap = 50
    prefetchable = True  # small, paged listings (one that is not says so)

    def get_new_paginator(self) -> PageBeanPaginator:
        return PageBeanPaginator()

    def get_url_params(self, context: Context | None, next_page_token: int | None) -> dict[str, Any]:
        return {"startAt": next_page_token or 0, "maxResults": self.run.settings.page_size_for(self.page_cap)}


class PlatformListStream(PageBeanStream):
    """A page bean on Cloud (`cloud_path`); one bare array on Server/Data Center (`datacenter_path`)."""

    cloud_path = datacenter_path = ""

    @property
    def path(self) -> str:  # type: ignore[override]
        return self.cloud_path if self.site.cloud else self.datacenter_path

    @property
    def records_jsonpath(self) -> str:  # type: ignore[override]
        return "$.values[*]" if self.site.cloud else "$[*]"

    def get_new_paginator(self) -> PageBeanPaginator | SinglePagePaginator:  # type: ignore[override]
        return PageBeanPaginator() if self.site.cloud else SinglePagePaginator()

    def get_url_params(self, context: Context | None, next_page_token: int | None) -> dict[str, Any]:
        return super().get_url_params(context, next_page_token) if self.site.cloud else {}


# `/project/search` takes at most 50 `keys`; with more, the projects are filtered here.
MAX_PROJECT_KEYS = 50


class ProjectsStream(PlatformListStream):
    """Cloud asks Jira for the configured `projects` only (`keys`); Server/Data Center's
    `/project` has no such filter, so there the list is filtered here.  Each project
    read is the parent of its versions and components."""

    name = "projects"
    cloud_path, datacenter_path = "/project/search", "/project"
    primary_keys = ("id",)
    page_cap = 100  # larger requests are silently cut to 100

    @override
    def get_url_params(self, context: Context | None, next_page_token: int | None) -> dict[str, Any]:
        settings = self.run.settings
        if not self.site.cloud:
            listing = {"expand": "description,lead,url,projectKeys"}
            return {**listing, "includeArchived": "true"} if settings.include_archived_projects else listing
        params: dict[str, Any] = {
            **super().get_url_params(context, next_page_token),
            "orderBy": "key",
            "expand": "description,lead,url,projectKeys,insight",
        }
        if settings.projects and len(settings.projects) <= MAX_PROJECT_KEYS:
            params["keys"] = list(settings.projects)
        if settings.include_archived_projects:
            params["status"] = ["live", "archived", "deleted"]
        return params

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        try:
            yield from super().get_records(context)
        except JiraAPIError as error:
            # Jira answers 404 when no project matches `keys`, rather than an empty page.
            if error.status == 404 and self.site.cloud and self.run.settings.projects:
                raise ConfigError(f"config key `projects`: none of {', '.join(self.run.settings.projects)} is a "
                                  "project this account can see") from None
            raise

    @override
    def post_process(self, row: dict[str, Any], context: Context | None = None) -> dict[str, Any] | None:
        wanted = {key.upper() for key in self.run.settings.projects}
        if not wanted:
            return row
        keys = [row.get("key"), *(row.get("projectKeys") or [])]  # a renamed project answers to its old keys
        return row if any(str(key or "").upper() in wanted for key in keys) else None

    @override
    def generate_child_contexts(self, record: dict[str, Any], context: Context | None) -> Iterable[Context]:
        if record.get("id") is not None:
            yield {"projectId": str(record["id"])}


class ResolutionsStream(PlatformListStream):
    name = "resolutions"
    cloud_path, datacenter_path = "/resolution/search", "/resolution"
    primary_keys = ("id",)


USERS_PAGE_CAP = 1000  # documented maximum of /users/search and /user/search


class UsersStream(KeyedByDeployment):
    name = "users"
    records_jsonpath = "$[*]"
    prefetchable = True
    cloud_keys, datacenter_keys = ("accountId",), ("key",)  # Data Center users have no accountId

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._seen: set[str] = set()

    @property
    def path(self) -> str:  # type: ignore[override]
        return "/users/search" if self.site.cloud else "/user/search"

    def get_new_paginator(self) -> BareArrayPaginator:
        return BareArrayPaginator()

    def get_url_params(self, context: Context | None, next_page_token: int | None) -> dict[str, Any]:
        size = self.run.settings.page_size_for(USERS_PAGE_CAP, fallback=USERS_PAGE_CAP)
        params: dict[str, Any] = {"startAt": next_page_token or 0, "maxResults": size}
        if not self.site.cloud:
            params.update(username=".", includeInactive="true")  # "." matches every user
        return params

    def post_process(self, row: dict[str, Any], context: Context | None = None) -> dict[str, Any] | None:
        """Once per user: Jira may serve a page short of `maxResults` (it leaves users out
        after paging), and advancing by what arrived then re-reads the next page's start.
        Advancing by what was asked for instead could skip users if Jira capped the page
        silently, so the paginator does the safe thing and duplicates are dropped here."""
        key = row.get(self.primary_keys[0]) if self.primary_keys else None
        if key is not None:
            if key in self._seen:
                return None
            self._seen.add(key)
        return row
