"""Site-wide lookups analysts join against: issue types, statuses, status categories,
priorities, fields, project categories, project types, project roles and issue link
types.  Small, full-table, one request each per run (priorities: one per 50 on Cloud);
Server/Data Center serves the same lists under REST v2."""

from __future__ import annotations

from singer_sdk.pagination import SinglePagePaginator
from typing_extensions import override

from .base import ItemsMayVanish, JiraStream, SkippedWhenRefused
from .reference import PlatformListStream


class LookupStream(JiraStream):
    """One bare array, on Cloud and Data Center alike."""

    records_jsonpath = "$[*]"
    primary_keys = ("id",)
    prefetchable = True

    @override
    def get_new_paginator(self) -> SinglePagePaginator:
        return SinglePagePaginator()


class IssueTypesStream(LookupStream):
    name = "issue_types"
    path = "/issuetype"


class StatusesStream(LookupStream):
    """Each status with its status category (`statusCategory.key`: new, indeterminate, done)."""

    name = "statuses"
    path = "/status"


class StatusCategoriesStream(LookupStream):
    name = "status_categories"
    path = "/statuscategory"


class PrioritiesStream(PlatformListStream):
    name = "priorities"
    cloud_path, datacenter_path = "/priority/search", "/priority"
    primary_keys = ("id",)


class ProjectCategoriesStream(LookupStream):
    name = "project_categories"
    path = "/projectCategory"


class ProjectTypesStream(LookupStream):
    """Software, business, service management...: what `projects.projectTypeKey` names."""

    name = "project_types"
    path = "/project/type"
    primary_keys = ("key",)


class ProjectRolesStream(SkippedWhenRefused, LookupStream):
    """The site's project roles with their default actors; Jira shows them to administrators only."""

    name = "project_roles"
    path = "/role"


class IssueLinkTypesStream(ItemsMayVanish, LookupStream):
    """Jira answers 404 where issue linking is switched off: skipped with a warning."""

    name = "issue_link_types"
    path = "/issueLinkType"
    records_jsonpath = "$.issueLinkTypes[*]"
