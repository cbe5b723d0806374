"""Comments, worklogs, changelog histories, links and sprints: children of the issues stream.

The issues stream reads each batch of issues once and completes their children
(`tap_jira.children`) before it emits any of them; the SDK then syncs these
streams once per batch, and they emit what the batch holds.  Their state is one
bookmark per stream (no partition per issue).

They emit *every* child of every issue the search returns, not only those changed
inside the window.  A child older than the window can still be unsent: its issue
may have been edited again after an earlier run's window end (and deferred to
this run), or a run may have been killed before the issue's batch.  The children
are fetched either way, so this costs duplicates downstream, never requests.
"""

from __future__ import annotations

import copy
from functools import cached_property
from typing import TYPE_CHECKING, Any

from typing_extensions import override

from .. import timestamps
from ..auth.modes import is_datacenter_hint
from ..deletes.tracker import DELETED_AT
from ..sdk_private import mark_state_changed
from .base import JiraStream
from .issues import CHILD_WINDOW_KEY, IssuesStream

if TYPE_CHECKING:
    from collections.abc import Iterable

    from singer_sdk.helpers.types import Context


class IssueChildStream(JiraStream):
    parent_stream_type = IssuesStream
    JSON_RECORDS = True  # decoded JSON and text (see LeanRecordOutput)
    state_partitioning_keys = ()  # one bookmark per stream, not one per batch or issue
    primary_keys: tuple[str, ...] = ("id",)
    replication_key = "updated"
    instants: tuple[str, ...] = ("created", "updated")  # Jira timestamps normalised to UTC

    @override
    def bookmark_ceiling(self) -> str | None:
        return self.run.children.bookmark_ceiling()

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        batch = self.run.children.batch
        for record in self.run.children.records_for(self.name):
            if DELETED_AT in record:
                yield record  # a tombstone: its key and when it was found deleted
            elif self.is_new(record):
                yield self.normalise(record, batch.issue_keys)
        self.stream_state.update(batch.state.get(self.name, {}))
        # Every child of the batch's issues is out: the next run may start from there.
        # (The SDK has no hook for extra state, so this writes to its own state dict.)
        if batch.high_water:
            self.stream_state[CHILD_WINDOW_KEY] = batch.high_water
        mark_state_changed(self)

    @override
    def before_final_state(self) -> None:
        """Once the issues stream is done: if the search read its whole window, every
        child of every issue before the window's end is out."""
        end = self.run.children.searched_until
        if end:
            searched = self.stream_state.get(CHILD_WINDOW_KEY)
            if not searched or timestamps.parse_setting(searched) < timestamps.parse_setting(end):
                self.stream_state[CHILD_WINDOW_KEY] = end
            mark_state_changed(self)

    def is_new(self, record: dict[str, Any]) -> bool:
        """Whether the record is not already out this run (children of different issues never are)."""
        return True

    def normalise(self, record: dict[str, Any], issue_keys: dict[str, str]) -> dict[str, Any]:
        """Jira's instants in UTC.  One that is missing where the bookmark needs it, or is
        no timestamp, becomes null with a warning naming the issue: the record is still
        emitted, and bookmarks come only from valid values."""
        for key in self.instants:
            value = record.get(key)
            if value is None:
                if key == self.replication_key:
                    record[key] = None
                    self._warn(record, issue_keys, f"has no `{key}`; it is emitted with `{key}` null")
                continue
            try:
                record[key] = timestamps.to_utc_iso(value)
            except (TypeError, ValueError, OverflowError):
                record[key] = None
                self._warn(record, issue_keys, f"has `{key}` {value!r}, which is no timestamp; it is emitted "
                                               f"with `{key}` null")
        return record

    def _warn(self, record: dict[str, Any], issue_keys: dict[str, str], problem: str) -> None:
        issue = issue_keys.get(record.get("issueId", ""), record.get("issueId"))
        self.logger.warning("Issue %s: %s %s %s", issue, self.name[:-1], record.get("id"), problem)


class RichTextChildStream(IssueChildStream):
    """A child with a rich-text property: an ADF document on Cloud, wiki-markup text on
    Server/Data Center. The schema says which, where the config tells the deployment
    (as for the users key): loaders pick a column type from it, and target-duckdb's
    JSON column refuses plain text."""

    rich_text = ""

    @cached_property
    def schema(self) -> dict[str, Any]:  # type: ignore[override]
        schema = copy.deepcopy(super().schema)
        if is_datacenter_hint(self.config):
            prop = schema["properties"][self.rich_text]
            prop["type"] = ["string", "null"]
            prop.pop("additionalProperties", None)
            prop["description"] = "Wiki-markup text (Server/Data Center)"
        return schema


class CommentsStream(RichTextChildStream):
    name = "comments"
    rich_text = "body"


class WorklogsStream(RichTextChildStream):
    name = "worklogs"
    instants = ("created", "updated", "started")
    rich_text = "comment"


class ChangelogsStream(IssueChildStream):
    name = "changelogs"
    replication_key = "created"
    instants = ("created",)


class FieldHistoryStream(IssueChildStream):
    """Each change of each field, one row per changelog item (tap_jira.children.history):
    read out of the changelogs, so incremental and complete as they are."""

    name = "issue_field_history"
    primary_keys = ("issueId", "historyId", "fieldId", "itemIndex")
    replication_key = "created"
    instants = ("created",)


class MultiselectHistoryStream(IssueChildStream):
    """After each change of a multi-value field, one row per value it then holds
    (tap_jira.children.multiselect): read out of the changelogs and the issue."""

    name = "issue_multiselect_history"
    primary_keys = ("issueId", "historyId", "fieldId", "valueIndex")
    replication_key = "created"
    instants = ("created",)


class IssueDerivedStream(IssueChildStream):
    """Rows read out of each issue record (tap_jira.children.derived): no request of their
    own.  Their bookmark is the issue's `updated`, like the children's."""

    replication_key = "issueUpdated"
    instants = ()  # already UTC: the issue's `updated`, normalised


class IssueLinksStream(IssueDerivedStream):
    """Each link once a run, in Jira's terms: `inwardIssue` <outward verb> `outwardIssue`
    ("ENG-1 blocks ENG-2": ENG-1 is inwardIssue), whichever issue it was read from.  Both
    issues carry it; the second one read (in a later batch) does not emit it again."""

    name = "issue_links"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._emitted: set[str] = set()  # link ids: a few MB at a million links

    @override
    def is_new(self, record: dict[str, Any]) -> bool:
        if record["id"] in self._emitted:
            return False
        self._emitted.add(record["id"])
        return True


class SprintIssuesStream(IssueDerivedStream):
    """Each issue in each sprint it is or was in, from the issue's sprint field."""

    name = "sprint_issues"
    primary_keys = ("sprintId", "issueId")
