"""Groups and their members.

Cloud lists groups through ``/group/bulk`` and members through ``/group/member`` by
`groupId` (page beans of 50: one request per 50 groups, and per 50 members of each).
Server/Data Center has no group ids: groups come from ``/groups/picker`` (one request,
up to 1000 groups) keyed by `name`, members by `groupname` and user `key`.
Listing groups needs the Browse users and groups permission: without it, one warning.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from singer_sdk.pagination import SinglePagePaginator
from typing_extensions import override

from ..api.pagination import PageBeanPaginator
from .base import ItemsMayVanish, KeyedByDeployment, SkippedWhenRefused
from .reference import PageBeanStream

if TYPE_CHECKING:
    from collections.abc import Iterable

    from singer_sdk.helpers.types import Context

GROUP_PICKER_CAP = 1000  # the picker's default cap (jira.ajax.autocomplete.limit)


class GroupsStream(SkippedWhenRefused, KeyedByDeployment, PageBeanStream):
    name = "groups"
    needs = "Browse users and groups"
    cloud_keys, datacenter_keys = ("groupId",), ("name",)

    @property
    @override
    def path(self) -> str:  # type: ignore[override]
        return "/group/bulk" if self.site.cloud else "/groups/picker"

    @property
    @override
    def records_jsonpath(self) -> str:  # type: ignore[override]
        return "$.values[*]" if self.site.cloud else "$.groups[*]"

    @override
    def get_new_paginator(self) -> PageBeanPaginator | SinglePagePaginator:  # type: ignore[override]
        return PageBeanPaginator() if self.site.cloud else SinglePagePaginator()

    @override
    def get_url_params(self, context: Context | None, next_page_token: int | None) -> dict[str, Any]:
        if self.site.cloud:
            return super().get_url_params(context, next_page_token)
        return {"maxResults": GROUP_PICKER_CAP}

    @override
    def parse_response(self, response: Any) -> Iterable[dict[str, Any]]:
        if not self.site.cloud:
            body = response.json()
            shown, total = len(body.get("groups") or []), body.get("total")
            if isinstance(total, int) and total > shown:
                self.logger.warning("Jira's group picker lists %d of %d groups (its cap); the rest are not "
                                    "emitted", shown, total)
        for row in super().parse_response(response):
            yield {"groupId": row.get("groupId"), "name": row.get("name")}

    @override
    def generate_child_contexts(self, record: dict[str, Any], context: Context | None) -> Iterable[Context]:
        if record.get("groupId") or record.get("name"):
            yield {"groupId": record.get("groupId"), "groupName": record.get("name")}


class GroupMembersStream(SkippedWhenRefused, ItemsMayVanish, KeyedByDeployment, PageBeanStream):
    """One row per group and member, active or not."""

    name = "group_members"
    path = "/group/member"
    parent_stream_type = GroupsStream
    state_partitioning_keys = ()
    needs = "Browse users and groups"
    cloud_keys, datacenter_keys = ("groupId", "accountId"), ("groupName", "key")

    @override
    def get_url_params(self, context: Context | None, next_page_token: int | None) -> dict[str, Any]:
        assert context is not None
        params = {**super().get_url_params(context, next_page_token), "includeInactiveUsers": "true"}
        if context.get("groupId"):
            params["groupId"] = context["groupId"]
        else:
            params["groupname"] = context["groupName"]
        return params

    @override
    def post_process(self, row: dict[str, Any], context: Context | None = None) -> dict[str, Any] | None:
        assert context is not None
        row.update(groupId=context.get("groupId"), groupName=context.get("groupName"))
        row.pop("avatarUrls", None)  # the users stream has them
        return row
