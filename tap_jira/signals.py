"""SIGTERM and SIGINT (an orchestrator's timeout, Ctrl-C) end the run within seconds.

The SDK's own handler exits with status 0, as if the run had finished, and then waits
for worker threads that may sleep in a retry wait for a minute.  This one says which
signal stopped the run, exits with 128 + its number, and does not wait: every message
already written stays whole, and the last STATE names only records written before
it, so the next run resumes from it.  Messages are written under a lock the signal
waits for, so the last line on stdout is always whole.
"""

from __future__ import annotations

import atexit
import os
import signal
import sys
import threading
from types import FrameType

from singer_sdk.contrib.msgspec import MsgSpecWriter
from singer_sdk.singerlib import Message, SingerMessageType

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
# Held while a message is written to stdout (see `GuardedWriter`): the run ends between
# two messages, never inside one.
OUTPUT_LOCK = threading.Lock()
# A reader that stopped reading (a dead target) must not keep the tap from ending.
FLUSH_SECONDS = 3.0
# RECORD messages wait here, whole, until this much is pending or any other message
# (STATE, SCHEMA, ...) comes: one write a few hundred records instead of one each.
# A STATE is never written before the records it follows.  Guarded by OUTPUT_LOCK.
PENDING_BYTES = 1 << 16
_pending = bytearray()


def install() -> None:
    if threading.current_thread() is threading.main_thread():
        for stop_signal in STOP_SIGNALS:
            signal.signal(stop_signal, _stop)


def _stop(number: int, frame: FrameType | None) -> None:
    # This runs on the main thread, maybe in the middle of writing a message: end from
    # another thread once that message is whole (the main thread then finishes it, and
    # blocks before the next one).
    threading.Thread(target=_exit, args=(number,), name="stop", daemon=True).start()


def _exit(number: int) -> None:
    OUTPUT_LOCK.acquire(timeout=FLUSH_SECONDS)
    try:
        _drain()
        sys.stdout.flush()
    except (ValueError, OSError):
        pass  # stdout closed: what reached it stands
    print(f"tap-jira: error: stopped by {signal.Signals(number).name}; the records and STATE written so far "
          "stand, and the next run resumes from that STATE", file=sys.stderr, flush=True)
    os._exit(128 + number)


def _drain() -> None:
    """Write what is pending (under OUTPUT_LOCK), looping over partial writes."""
    if not _pending:
        return
    try:
        descriptor = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return
    data = memoryview(_pending)
    sys.stdout.flush()  # anything printed before, in order
    try:
        while data:
            data = data[os.write(descriptor, data):]
    finally:
        data.release()
        _pending.clear()


def _drain_at_exit() -> None:
    if OUTPUT_LOCK.acquire(timeout=FLUSH_SECONDS):
        try:
            _drain()
        except OSError:
            pass  # stdout closed: what reached it stands
        finally:
            OUTPUT_LOCK.release()


atexit.register(_drain_at_exit)  # a run that ends on an error still writes the records before it


class GuardedWriter(MsgSpecWriter):
    """The SDK's msgspec writer, each message written whole under `OUTPUT_LOCK`.

    The bytes go to the file descriptor directly, looping over partial writes: a
    signal that lands while a long line waits on a full pipe made Python's buffered
    stdout drop the rest of the line (measured: lines cut at 4 KiB boundaries).
    RECORDs are gathered into one write (see PENDING_BYTES): the SDK flushes after
    every message, a system call per record."""

    def write_message(self, message: Message) -> None:
        with OUTPUT_LOCK:
            try:
                sys.stdout.fileno()
            except (AttributeError, OSError, ValueError):
                super().write_message(message)  # stdout redirected in-process (the SDK's test suite)
                return
            _pending.extend(self.format_message(message))
            if message.type != SingerMessageType.RECORD or len(_pending) >= PENDING_BYTES:
                _drain()
