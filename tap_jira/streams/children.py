"""Comments, worklogs and changelog histories: children of the issues stream.

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

from typing import TYPE_CHECKING, Any

from .. import timestamps
from ..client import JiraStream
from .issues import CHILD_WINDOW_KEY, IssuesStream

if TYPE_CHECKING:
    from collections.abc import Iterable

    from singer_sdk.helpers.types import Context


class IssueChildStream(JiraStream):
    parent_stream_type = IssuesStream
    state_partitioning_keys = ()  # one bookmark per stream, not one per batch or issue
    primary_keys = ("id",)
    replication_key = "updated"
    instants = ("created", "updated")  # Jira timestamps normalised to UTC

    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        issues = self._tap.streams[IssuesStream.name]
        assert isinstance(issues, IssuesStream)
        for record in issues.batch_children.get(self.name, []):
            yield self.normalise(record)
        # Every child of the batch's issues is out: the next run may start from there.
        # (The SDK has no hook for extra state, so this writes to its state dict.)
        self.stream_state[CHILD_WINDOW_KEY] = issues.batch_high_water
        self.state_manager.is_flushed = False

    def normalise(self, record: dict[str, Any]) -> dict[str, Any]:
        for key in self.instants:
            if record.get(key) is not None:
                record[key] = timestamps.to_utc_iso(record[key])
        return record


class CommentsStream(IssueChildStream):
    name = "comments"


class WorklogsStream(IssueChildStream):
    name = "worklogs"
    instants = ("created", "updated", "started")


class ChangelogsStream(IssueChildStream):
    name = "changelogs"
    replication_key = "created"
    instants = ("created",)
