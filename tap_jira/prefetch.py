"""Read the other streams' pages on background threads while issues are searched.

The SDK syncs streams one after another, so every lookup, project, board and field
request would wait for the whole issue search (at 100 ms a response, 74 serial
requests on a 2,000-issue site: longer than the search itself).  Instead, each small stream
tree is walked at the start of the run the way the SDK's sync will walk it (the same
contexts, the same stream-map filter on parents), and the pages are kept until the
sync asks for them.  Records still go through each stream's own error handling,
post-processing, state and writing on the sync's thread, in the SDK's order: only
the waiting moves.

Each (stream, context) is read once, by the walk or by the sync, never both: the sync
claims what the walk has not started, and the walk skips what was claimed.  Streams
opt in (`JiraStream.prefetchable`).  Memory is bounded: at most `MAX_HELD_ROWS` rows
wait for the sync; a context is read ahead up to its share (`MAX_CONTEXT_ROWS`) and its
page loop left where it stopped, for the sync to go on with; and the walk pauses until
the sync takes rows.  No library prefetches a Singer stream tree, so this is written here.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from functools import partial
from typing import Any, cast

from singer_sdk import Stream

from .streams.base import JiraStream, is_refusal

logger = logging.getLogger(__name__)

# Pages read at once, beside the issue search's own `max_workers` bulk fetches; the
# pacer still bounds the rate of all of them.
PREFETCH_THREADS = 4
# Rows read ahead and not yet taken by the sync (a few KiB each): past this, the walk
# waits, and what it has not started the sync reads itself.  Each read in flight holds
# room for its share, so the threads together never pass the bound.
MAX_HELD_ROWS = 20_000
MAX_CONTEXT_ROWS = MAX_HELD_ROWS // PREFETCH_THREADS

Key = tuple[str, str]
Context = Mapping[str, Any] | None


@dataclass
class Read:
    """One context's pages as the sync would have met them: the rows read ahead, then the
    rest of the page loop when the walk left it for room, or the error that ended them."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    rest: Iterator[dict[str, Any]] | None = None
    error: Exception | None = None

    def replay(self) -> Iterator[dict[str, Any]]:
        yield from self.rows
        if self.rest is not None:
            yield from self.rest  # the same page loop, on the sync's thread from here on
        if self.error is not None:
            raise self.error


class _Stopped(Exception):
    pass


def _key(stream: JiraStream, context: Context) -> Key:
    return stream.name, repr(sorted((context or {}).items()))


def _wanted(stream: Stream) -> bool:
    return getattr(stream, "prefetchable", False) and (stream.selected or stream.has_selected_descendents)


def roots(streams: Iterable[JiraStream]) -> list[JiraStream]:
    """The streams whose trees the prefetch walks: top-level, opted in, and synced."""
    return [stream for stream in streams if stream.parent_stream_type is None and _wanted(stream)]


class Prefetch:
    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._read: dict[Key, Future[Read]] = {}  # started by the walk, not yet taken by the sync
        self._owned: set[Key] = set()  # every key the walk started or the sync claimed
        self._refused: set[str] = set()  # streams the walk stops reading (see `is_refusal`)
        self._probes: dict[str, threading.Event] = {}  # per child stream: its first context is in
        self._held = 0  # rows read and not yet taken
        self._stopped = False
        self._tasks: queue.SimpleQueue[Callable[[], None] | None] = queue.SimpleQueue()

    def start(self, roots: list[JiraStream]) -> None:
        """Walk the trees under `roots` (see `roots`)."""
        for _ in range(PREFETCH_THREADS):
            # Daemon threads: a read still under way at the end of the run (a retry, a
            # quota pause) is of no use and must not hold the exit.
            threading.Thread(target=self._work, name="prefetch", daemon=True).start()
        for root in roots:
            contexts: list[Context] = [*root.partitions] if root.partitions else [None]
            for context in contexts:
                self._tasks.put(partial(self._walk, root, context))

    def stop(self) -> None:
        """At the end of the run, failed or not: nothing more is read, nothing kept."""
        with self._lock:
            self._stopped = True
            self._read.clear()
            self._lock.notify_all()
        for _ in range(PREFETCH_THREADS):
            self._tasks.put(None)

    def take(self, stream: JiraStream, context: Context) -> Future[Read] | None:
        """The pages the walk read (or is reading) for this context, or None: read them now."""
        key = _key(stream, context)
        with self._lock:
            found = self._read.pop(key, None)
            self._owned.add(key)
            self._lock.notify_all()  # a walk waiting for room to read this context gives it up
        if found is not None:
            found.add_done_callback(self._release)
        return found

    def discard(self, stream: JiraStream) -> None:
        """The sync refused the stream (see `is_refusal`) and reads no more of it: what was
        read ahead of it is dropped, and nothing more is read."""
        with self._lock:
            self._refused.add(stream.name)
            dropped = [self._read.pop(key) for key in [key for key in self._read if key[0] == stream.name]]
        for read in dropped:
            read.add_done_callback(self._release)

    def _release(self, taken: Future[Read]) -> None:
        with self._lock:
            self._held -= len(taken.result().rows)
            self._lock.notify_all()

    def _work(self) -> None:
        while (task := self._tasks.get()) is not None:
            try:
                task()
            except _Stopped:
                continue
            except Exception as error:  # noqa: BLE001 - the sync meets it again when it reads that stream live
                logger.debug("Reading ahead stopped in a stream tree: %s", error)

    def _walk(self, stream: JiraStream, context: Context) -> None:
        claimed = self._claim(stream, context)
        if claimed is None:
            return
        read, room = claimed
        pages = Read()
        source = iter(stream.read_pages(context))
        try:
            for row in source:
                pages.rows.append(row)
                if self._stopped:
                    with self._lock:
                        self._held -= room
                    read.set_result(Read(error=RuntimeError("the run is over")))  # no one waits for it
                    raise _Stopped
                if len(pages.rows) >= room:
                    pages.rest = source
                    break
        except _Stopped:
            raise
        except Exception as error:  # noqa: BLE001 - raised again where the sync takes it
            pages.error = error
            if is_refusal(error):
                self._refused.add(stream.name)  # the sync skips its other contexts after one refusal
        try:
            # The children's contexts are known before the rows are handed over: the sync may change them.
            below = self._children_of(stream, context, pages.rows)
        except Exception:  # noqa: BLE001 - the sync meets it on its own copy, and reads the children itself
            below = []
        with self._lock:
            self._held += len(pages.rows) - room  # the rows read, in place of the room held for them
            self._lock.notify_all()
        read.set_result(pages)
        for child, contexts in below:
            self._walk_child(child, contexts)

    def _claim(self, stream: JiraStream, context: Context) -> tuple[Future[Read], int] | None:
        """A future for this context's pages and the rows it may hold, once the rows held
        leave room; None when the sync has it or would not read it."""
        key = _key(stream, context)
        with self._lock:
            while self._held >= MAX_HELD_ROWS and not self._stopped and key not in self._owned:
                self._lock.wait()
            if (self._stopped or key in self._owned or stream.name in self._refused
                    or not stream.reads_pages_for(context)):
                return None
            read: Future[Read] = Future()
            self._owned.add(key)
            self._read[key] = read
            room = min(MAX_HELD_ROWS - self._held, MAX_CONTEXT_ROWS)
            self._held += room
            return read, room

    def _children_of(self, stream: JiraStream, context: Context,
                     rows: list[dict[str, Any]]) -> list[tuple[JiraStream, list[Context]]]:
        """Each prefetched child stream with the contexts the sync will give it, as the SDK
        derives them: from the post-processed record, and not for records a stream map filters out."""
        children = [cast("JiraStream", child) for child in stream.child_streams if _wanted(child)]
        if not children:
            return []
        contexts: list[Context] = []
        for row in rows:
            record = stream.post_process(dict(row), context)  # a copy: the sync post-processes its own
            if record is not None and stream.stream_maps[0].get_filter_result(record):
                contexts.extend(stream.generate_child_contexts(record, context))
        return [(child, contexts) for child in children]

    def _walk_child(self, child: JiraStream, contexts: list[Context]) -> None:
        """A child stream's first context, across the whole walk, is read before its others
        (on any thread): after a refusal of the first, the sync reads no more of it."""
        if not contexts:
            return
        with self._lock:
            probe = self._probes.get(child.name)
            first = probe is None
            if first:
                probe = self._probes[child.name] = threading.Event()
        assert probe is not None
        rest = contexts
        if first:
            try:
                self._walk(child, contexts[0])
            finally:
                probe.set()
            rest = contexts[1:]
        for context in rest:
            self._tasks.put(partial(self._after, probe, child, context))

    def _after(self, probe: threading.Event, child: JiraStream, context: Context) -> None:
        while not probe.wait(1):
            if self._stopped:
                return
        self._walk(child, context)
