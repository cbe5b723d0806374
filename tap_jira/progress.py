"""A long sync a person can follow: a progress line at a steady interval, a summary at the end.

Per stream: records written, requests made for it (retries included), and the time
from its first request or record to its last; for `issues` also the expected total,
which the id search knows early (Cloud: the id pages, 5,000 ids a request; Data
Center: `total` on the first page). The SDK's metrics give per-partition counters,
no totals and no ETA, so this is the tap's own.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger("tap-jira.progress")


@dataclass
class StreamProgress:
    records: int = 0
    requests: int = 0
    first: float | None = None  # monotonic seconds of its first request or record
    last: float | None = None
    expected: int | None = None
    expected_final: bool = False  # False while the id pages are still being read

    def touch(self, now: float) -> None:
        if self.first is None:
            self.first = now
        self.last = now

    @property
    def seconds(self) -> float:
        return (self.last - self.first) if self.first is not None and self.last is not None else 0.0


class Progress:
    """Counters updated from any thread (each update is one dict lookup and an add under
    the GIL; a line may show a count a few records stale), reported by a timer thread."""

    def __init__(self, interval: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self.clock = clock
        self.started = clock()
        self.streams: dict[str, StreamProgress] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _of(self, stream: str) -> StreamProgress:
        found = self.streams.get(stream)
        if found is None:
            found = self.streams.setdefault(stream, StreamProgress())
        return found

    def record(self, stream: str) -> None:
        entry = self._of(stream)
        entry.records += 1
        entry.touch(self.clock())

    def request(self, stream: str) -> None:
        entry = self._of(stream)
        entry.requests += 1
        entry.touch(self.clock())

    def expect(self, stream: str, total: int, *, final: bool = True) -> None:
        entry = self._of(stream)
        entry.expected, entry.expected_final = total, final

    # ---- reporting ---------------------------------------------------------------------

    def start(self) -> None:
        """The run begins (its clock starts here), and so do the progress lines."""
        self.started = self.clock()
        if self.interval > 0 and self._thread is None:
            self._thread = threading.Thread(target=self._report_every_interval, name="progress", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _report_every_interval(self) -> None:
        while not self._stop.wait(self.interval):
            logger.info(self.line())

    def line(self) -> str:
        now = self.clock()
        parts = [self._describe(name, entry, now) for name, entry in list(self.streams.items()) if entry.records]
        requests = sum(entry.requests for entry in list(self.streams.values()))
        return (f"Progress at {_duration(now - self.started)}: " + (" | ".join(parts) or "no records yet")
                + f" | {requests:,} requests")

    def _describe(self, name: str, entry: StreamProgress, now: float) -> str:
        # A stream still short of its total is measured up to now, so a stall (retries,
        # a rate limit) lowers its rate and stretches its ETA; a finished one, over its
        # own active span, keeps the rate it had.
        unfinished = bool(entry.expected) and entry.records < (entry.expected or 0)
        span = (now - entry.first) if unfinished and entry.first is not None else entry.seconds
        rate = entry.records / span if span > 0 else 0.0
        text = f"{name} {entry.records:,}"
        if entry.expected:
            prefix = "" if entry.expected_final else "at least "
            share = min(entry.records / entry.expected, 1.0)
            text += f" of {prefix}{entry.expected:,} ({share:.0%}"
            if rate > 0 and entry.expected_final and entry.records < entry.expected:
                text += f", {rate:,.0f}/s, ETA {_duration((entry.expected - entry.records) / rate)})"
            else:
                text += f", {rate:,.0f}/s)"
        elif rate > 0:
            text += f" ({rate:,.0f}/s)"
        return text

    def summary(self, bookmarks: dict[str, Any], failed: bool = False) -> list[str]:
        """The end-of-run table, one line per row, and each stream's final bookmark."""
        total = self.clock() - self.started
        rows = [(name, entry) for name, entry in sorted(self.streams.items())]
        outcome = f"failed after {_duration(total)}; the bookmarks name only what was written" if failed \
            else f"{_duration(total)} in all"
        width = max([14, *(len(name) for name, _ in rows)])
        lines = [f"Sync summary ({outcome}):",
                 f"  {'stream':<{width}} {'records':>10} {'requests':>9} {'seconds':>8}"]
        for name, entry in rows:
            lines.append(f"  {name:<{width}} {entry.records:>10,} {entry.requests:>9,} {entry.seconds:>8.1f}")
        lines.append(f"  {'total':<{width}} {sum(e.records for _, e in rows):>10,} "
                     f"{sum(e.requests for _, e in rows):>9,} {total:>8.1f}")
        for name, bookmark in sorted(bookmarks.items()):
            value = bookmark.get("replication_key_value") if isinstance(bookmark, dict) else None
            if value:
                lines.append(f"  final bookmark: {name} {bookmark.get('replication_key')} = {value}")
        return lines

    def log_summary(self, bookmarks: dict[str, Any], failed: bool = False) -> None:
        for text in self.summary(bookmarks, failed):
            logger.info(text)


def _duration(seconds: float) -> str:
    seconds = max(round(seconds), 0)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
