"""Read the small streams' pages on background threads while issues are searched.

The SDK syncs streams one after another, so every lookup, project, board and field
request would wait for the whole issue search (at 100 ms a response, about 80 serial
requests on a small site: longer than the search itself).  Instead, each small stream
tree is walked at the start of the run the way the SDK's sync will walk it (the same
contexts, in the same order, each tree on a thread of its own), and the pages are kept
until the sync asks for them.  Records still go through each stream's own error
handling, post-processing, state and writing on the sync's thread, in the SDK's order:
only the waiting moves.

Each (stream, context) is read once, by the walk or by the sync, never both: the sync
claims what the walk has not started, and the walk skips what was claimed.  Streams
opt in (`JiraStream.prefetchable`); large ones (users, board issues) stay out, as their
pages would be held in memory.  No library prefetches a Singer stream tree, so this
is written here.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, cast

from singer_sdk import Stream

from .streams.base import JiraStream, is_refusal

# Pages read at once, beside the issue search's own `max_workers` bulk fetches; the
# pacer still bounds the rate of all of them.
PREFETCH_THREADS = 4

Rows = list[dict[str, Any]]
Key = tuple[str, str]


def _key(stream: JiraStream, context: Mapping[str, Any] | None) -> Key:
    return stream.name, repr(sorted((context or {}).items()))


def _wanted(stream: Stream) -> bool:
    return getattr(stream, "prefetchable", False) and (stream.selected or stream.has_selected_descendents)


def roots(streams: Iterable[JiraStream]) -> list[JiraStream]:
    """The streams whose trees the prefetch walks: top-level, opted in, and synced."""
    return [stream for stream in streams if stream.parent_stream_type is None and _wanted(stream)]


class Prefetch:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._read: dict[Key, Future[Rows]] = {}  # started by the walk, not yet taken by the sync
        self._owned: set[Key] = set()  # every key the walk started or the sync claimed
        self._refused: set[str] = set()  # streams the walk stops reading (see `is_refusal`)
        self._stop = threading.Event()
        self._pool: ThreadPoolExecutor | None = None

    def start(self, roots: list[JiraStream]) -> None:
        """Walk the trees under `roots` (see `roots`)."""
        self._pool = ThreadPoolExecutor(max_workers=PREFETCH_THREADS, thread_name_prefix="prefetch")
        for root in roots:
            for context in root.partitions or [None]:  # type: ignore[list-item]  # None: the one context
                self._submit(root, context)

    def stop(self) -> None:
        """At the end of the run, failed or not: nothing more is read."""
        self._stop.set()
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)

    def take(self, stream: JiraStream, context: Mapping[str, Any] | None) -> Future[Rows] | None:
        """The pages the walk read (or is reading) for this context, or None: read them now."""
        key = _key(stream, context)
        with self._lock:
            found = self._read.pop(key, None)
            self._owned.add(key)
        return found

    def _walk(self, stream: JiraStream, context: Mapping[str, Any] | None) -> None:
        key = _key(stream, context)
        with self._lock:
            if (self._stop.is_set() or key in self._owned or stream.name in self._refused
                    or not stream.reads_pages_for(context)):
                return
            read: Future[Rows] = Future()
            self._owned.add(key)
            self._read[key] = read
        try:
            rows = list(stream.read_pages(context))
        except Exception as error:  # noqa: BLE001 - raised again where the sync takes it
            if is_refusal(error):
                self._refused.add(stream.name)  # the sync skips its other contexts after one refusal
            read.set_exception(error)
            return
        read.set_result(rows)
        children = [cast("JiraStream", child) for child in stream.child_streams if _wanted(child)]
        contexts: list[Mapping[str, Any] | None] = []
        for row in rows if children else ():
            # Only to know the children's contexts: the sync post-processes its own copy.
            record = stream.post_process(dict(row), context)
            if record is not None:
                contexts.extend(stream.generate_child_contexts(record, context))
        for child in children:
            # The first context here, the others on any thread once it is in: a refusal
            # of the first stops the rest, as the sync stops after one.
            for number, child_context in enumerate(contexts):
                if number == 0:
                    self._walk(child, child_context)
                else:
                    self._submit(child, child_context)

    def _submit(self, stream: JiraStream, context: Mapping[str, Any] | None) -> None:
        assert self._pool is not None
        try:
            self._pool.submit(self._walk, stream, context)
        except RuntimeError:  # stopped: the run is over
            return
