"""The hand-off from the issues stream to its child streams.

The issues stream reads a batch of issues, completes their children, and publishes
them here before it emits the batch's first issue; the SDK then syncs each child
stream once for that batch (at that first issue, before it is written), and each
child stream takes its records from here.  So STATE never passes an issue whose
children are not out yet.  Each child stream writes only its own state, from what
this says: how far the search has gone (`high_water` per batch, `searched_until`
once the whole window is read).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# The ceiling is asked for at every record; Jira's clock read that long ago is still a
# safe one (only lower).
CEILING_SECONDS = 1.0


@dataclass(frozen=True)
class ChildBatch:
    number: int  # 1, 2, ...: the child streams sync once per number
    records: dict[str, list[dict[str, Any]]]  # by child stream, in issue order
    issue_keys: dict[str, str]  # issue id -> key, to name issues in warnings
    high_water: str  # the newest issue `updated` (UTC) in the batch, capped at the bookmark ceiling
    # Keys a child stream sets in its own state once it has emitted the batch's records.
    state: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class ChildHandoff:
    batch: ChildBatch = field(default_factory=lambda: ChildBatch(0, {}, {}, ""))
    # Set once the search window has been read to its end: every child of every issue
    # before it is out, so the next run's search may start there.
    searched_until: str | None = None
    # The latest value any bookmark of the search may take (see IssuesStream.bookmark_ceiling).
    ceiling: Callable[[], str] | None = None
    _ceiling_read: tuple[float, str] | None = None  # (monotonic time, value)

    def publish(self, records: dict[str, list[dict[str, Any]]], issue_keys: dict[str, str], high_water: str,
                state: dict[str, dict[str, Any]] | None = None) -> None:
        self.batch = ChildBatch(self.batch.number + 1, records, issue_keys, high_water, state or {})

    def records_for(self, stream: str) -> list[dict[str, Any]]:
        return self.batch.records.get(stream, [])

    def bookmark_ceiling(self) -> str | None:
        """The ceiling for the issues stream and its children alike (None before the search starts)."""
        if self.ceiling is None:
            return None
        now = time.monotonic()
        if self._ceiling_read is None or now - self._ceiling_read[0] >= CEILING_SECONDS:
            self._ceiling_read = (now, self.ceiling())
        return self._ceiling_read[1]
