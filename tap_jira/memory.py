"""Keep the tap's resident memory close to what it uses.

The tap decodes megabytes of JSON a second on several threads and frees them as
records are written.  glibc's defaults then hold on to freed memory: one heap arena
per thread, and a mmap threshold that grows after each large free, so later large
bodies land in the heap and fragment it.  `mallopt` fixes both; no library wraps it,
and it is only a tuning: on other C libraries this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD, M_ARENA_MAX = -1, -3, -8
ARENAS = 2
LARGE_BLOCK_BYTES = 256 * 1024  # served by mmap, so freeing it returns it at once
TRIM_BYTES = 1024 * 1024


def tune_allocator() -> bool:
    """Called before any thread starts.  True when glibc accepted the settings."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        mallopt = libc.mallopt if libc is not None else None
    except (OSError, AttributeError):
        return False
    if mallopt is None:
        return False
    settings = ((M_ARENA_MAX, ARENAS), (M_MMAP_THRESHOLD, LARGE_BLOCK_BYTES), (M_TRIM_THRESHOLD, TRIM_BYTES))
    return all(mallopt(option, value) == 1 for option, value in settings)
