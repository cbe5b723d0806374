"""Jira Software (Agile 1.0) streams: boards, the sprints each scrum board shows, the
projects each board shows and (not selected by default) the issues on each board."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from typing_extensions import override

from .. import timestamps
from ..api.pagination import StartAtTotalPaginator
from ..errors import JiraAPIError
from .base import ItemsMayVanish, SkippedWhenRefused
from .reference import PageBeanStream

if TYPE_CHECKING:
    from collections.abc import Iterable

    from singer_sdk.helpers.types import Context

NO_SPRINTS = "does not support sprints"
SPRINTLESS_BOARDS = ("kanban", "simple")


class AgileStream(PageBeanStream):
    page_cap = 50  # Agile pages never hold more, whatever maxResults says

    @property
    def url_base(self) -> str:
        return self.site.agile


class BoardsStream(AgileStream):
    """With `projects` set, Jira lists each project's boards (`projectKeyOrId`: one listing
    per project); a board that shows several of them is emitted once."""

    name = "boards"
    path = "/board"
    primary_keys = ("id",)
    state_partitioning_keys = ()  # full table: one state, whatever the project partitions

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._seen: set[Any] = set()

    @property
    @override
    def partitions(self) -> list[dict[str, Any]] | None:
        projects = self.run.settings.projects
        return [{"projectKeyOrId": key} for key in projects] if projects else None

    @override
    def get_url_params(self, context: Context | None, next_page_token: int | None) -> dict[str, Any]:
        params = super().get_url_params(context, next_page_token)
        if context and context.get("projectKeyOrId"):
            params["projectKeyOrId"] = context["projectKeyOrId"]
        return params

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        # Here rather than in post_process, which the prefetch also calls: that one stays pure.
        for row in super().get_records(context):
            if row.get("id") is None:
                self.logger.warning("A board without an id (%r): emitted, but its sprints cannot be read",
                                    row.get("name"))
            elif row["id"] in self._seen:
                continue
            else:
                self._seen.add(row["id"])
            yield row

    def generate_child_contexts(self, record: dict[str, Any], context: Context | None) -> Iterable[Context]:
        if record.get("id") is not None:
            yield {"boardId": record["id"], "boardType": record.get("type")}


class SprintsStream(ItemsMayVanish, AgileStream):
    """Sprints as each board lists them; a sprint shared by two boards comes once per board,
    so the key is (id, boardId): an upserting target keeps both links."""

    name = "sprints"
    path = "/board/{boardId}/sprint"
    primary_keys = ("id", "boardId")
    parent_stream_type = BoardsStream
    state_partitioning_keys = ()  # full table: nothing to keep per board or project
    _told_no_sprints = False  # a site may have hundreds of kanban boards: say it once at INFO

    @override
    def reads_pages_for(self, context: Context | None) -> bool:
        return (context or {}).get("boardType") not in SPRINTLESS_BOARDS and super().reads_pages_for(context)

    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        assert context is not None
        if context.get("boardType") in SPRINTLESS_BOARDS:
            level = logging.DEBUG if self._told_no_sprints else logging.INFO
            self._told_no_sprints = True
            self.logger.log(level, "Board %s is a %s board, which has no sprints; skipping it (and, at DEBUG, "
                            "any other such board)", context["boardId"], context["boardType"])
            return
        try:
            yield from super().get_records(context)
        except JiraAPIError as error:
            if error.status == 400 and NO_SPRINTS in str(error):
                self.logger.info("Board %s does not support sprints; skipping it", context["boardId"])
                return
            raise

    def post_process(self, row: dict[str, Any], context: Context | None = None) -> dict[str, Any] | None:
        assert context is not None
        row["boardId"] = context["boardId"]
        for key in ("startDate", "endDate", "completeDate", "createdDate"):
            if row.get(key):
                try:
                    row[key] = timestamps.to_utc_iso(row[key])
                except (TypeError, ValueError, OverflowError):
                    self.logger.warning("Sprint %s on board %s: `%s` %r is no timestamp; emitted as null",
                                        row.get("id"), context["boardId"], key, row[key])
                    row[key] = None
        return row


class BoardProjectsStream(SkippedWhenRefused, ItemsMayVanish, AgileStream):
    """Which board shows which project (a board's filter may span several).  OAuth 2.0
    grants made before this stream existed lack its scope: skipped with one warning."""

    needs = "Browse Projects"

    name = "board_projects"
    path = "/board/{boardId}/project"
    primary_keys = ("boardId", "projectId")
    parent_stream_type = BoardsStream
    state_partitioning_keys = ()

    @override
    def post_process(self, row: dict[str, Any], context: Context | None = None) -> dict[str, Any] | None:
        assert context is not None
        row["boardId"] = context["boardId"]
        row["projectId"] = None if row.get("id") is None else str(row.pop("id"))
        return row


BOARD_ISSUES_PAGE_CAP = 50


class BoardIssuesStream(SkippedWhenRefused, ItemsMayVanish, AgileStream):
    """Which board shows which issue, by rank order: one request per 50 issues per board,
    so it is not selected by default (the issues stream already names each issue's
    project and sprints; board_projects maps boards to projects)."""

    name = "board_issues"
    path = "/board/{boardId}/issue"
    primary_keys = ("boardId", "issueId")
    parent_stream_type = BoardsStream
    state_partitioning_keys = ()
    selected_by_default = False
    records_jsonpath = "$.issues[*]"
    needs = "Browse Projects"
    prefetchable = False  # a page per 50 issues per board: too much to hold

    @override
    def get_new_paginator(self) -> StartAtTotalPaginator:  # type: ignore[override]
        return StartAtTotalPaginator("issues")

    @override
    def get_url_params(self, context: Context | None, next_page_token: int | None) -> dict[str, Any]:
        # `fields=key`: ids and keys only, the smallest answer Jira gives (the issues stream has the rest).
        return {"startAt": next_page_token or 0, "maxResults": BOARD_ISSUES_PAGE_CAP, "fields": "key"}

    @override
    def post_process(self, row: dict[str, Any], context: Context | None = None) -> dict[str, Any] | None:
        assert context is not None
        return {"boardId": context["boardId"], "issueId": None if row.get("id") is None else str(row["id"]),
                "issueKey": row.get("key")}
