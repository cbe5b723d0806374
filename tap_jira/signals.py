"""SIGTERM and SIGINT (an orchestrator's timeout, Ctrl-C) end the run within seconds.

The SDK's own handler exits with status 0, as if the run had finished, and then waits
for worker threads that may sleep in a retry wait for a minute.  This one says which
signal stopped the run, exits with 128 + its number, and does not wait: every message
already written stays whole, and the last STATE names only records written before
it, so the next run resumes from it.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from types import FrameType

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
# A reader that stopped reading (a dead target) must not keep the tap waiting to flush.
FLUSH_SECONDS = 2.0


def install() -> None:
    if threading.current_thread() is threading.main_thread():
        for stop_signal in STOP_SIGNALS:
            signal.signal(stop_signal, _stop)


def _stop(number: int, frame: FrameType | None) -> None:
    code = 128 + number
    name = signal.Signals(number).name
    threading.Timer(FLUSH_SECONDS, os._exit, (code,)).start()
    try:
        sys.stdout.flush()
    except (RuntimeError, ValueError, OSError):
        pass  # stdout was mid-write on this thread, or closed: what reached it stands
    print(f"tap-jira: error: stopped by {name}; the records and STATE written so far stand, "
          "and the next run resumes from that STATE", file=sys.stderr, flush=True)
    os._exit(code)
