"""Run a generator on a background thread, a bounded number of items ahead.

The issues stream writes a batch (CPU) while Jira prepares the next one (waiting),
and the two overlap only if the next batch is fetched while this one is written.
No maintained library offers a bounded, exception-forwarding, cancellable threaded
prefetch of a plain iterator, so it is written here.
"""

from __future__ import annotations

import queue
import threading
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

T = TypeVar("T")
_END = object()
_POLL_SECONDS = 0.2


def read_ahead(source: Iterable[T], ahead: int = 1, name: str = "read-ahead") -> Iterator[T]:
    """Yield what `source` yields, in order, producing at most `ahead` items (the one
    in the making included) that the consumer has not taken yet.  With 1, the next
    item is made while the consumer works on the current one, and no further.

    An exception in `source` is raised here, at the item where it happened.  When the
    consumer stops early, the producer stops at its next item and `source` is closed."""
    handoff: queue.SimpleQueue[tuple[Any, BaseException | None]] = queue.SimpleQueue()
    slots = threading.Semaphore(ahead)
    stop = threading.Event()

    def produce() -> None:
        iterator = iter(source)
        try:
            while True:
                while not slots.acquire(timeout=_POLL_SECONDS):
                    if stop.is_set():
                        return
                if stop.is_set():
                    return
                item = next(iterator, _END)
                handoff.put((item, None))
                if item is _END:
                    return
        except BaseException as error:  # noqa: BLE001 - raised again in the consumer
            handoff.put((_END, error))
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                close()

    threading.Thread(target=produce, name=name, daemon=True).start()
    try:
        while True:
            item, error = handoff.get()
            slots.release()
            if error is not None:
                raise error
            if item is _END:
                return
            yield item
    finally:
        stop.set()
