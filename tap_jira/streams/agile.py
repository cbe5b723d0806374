"""Jira Software (Agile 1.0) streams: boards, and the sprints each scrum board shows."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from .. import timestamps
from ..errors import JiraAPIError
from .reference import PageBeanStream

if TYPE_CHECKING:
    from collections.abc import Iterable

    from singer_sdk.helpers.types import Context

NO_SPRINTS = "does not support sprints"


class AgileStream(PageBeanStream):
    page_cap = 50  # Agile pages never hold more, whatever maxResults says

    @property
    def url_base(self) -> str:
        return self.site.agile


class BoardsStream(AgileStream):
    name = "boards"
    path = "/board"
    primary_keys = ("id",)

    def generate_child_contexts(self, record: dict[str, Any], context: Context | None) -> Iterable[Context]:
        if record.get("id") is None:
            self.logger.warning("A board without an id (%r): emitted, but its sprints cannot be read",
                                record.get("name"))
            return
        yield {"boardId": record["id"], "boardType": record.get("type")}


class SprintsStream(AgileStream):
    """Sprints as each board lists them; a sprint shared by two boards comes once per board,
    so the key is (id, boardId): an upserting target keeps both links."""

    name = "sprints"
    path = "/board/{boardId}/sprint"
    primary_keys = ("id", "boardId")
    parent_stream_type = BoardsStream
    state_partitioning_keys = ()  # full table: nothing to keep per board
    _told_no_sprints = False  # a site may have hundreds of kanban boards: say it once at INFO

    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        assert context is not None
        if context.get("boardType") in ("kanban", "simple"):
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
