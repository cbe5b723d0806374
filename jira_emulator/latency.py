"""How long Jira takes, and how fast it lets a client go.

- `LatencyModel`: each response is held `base_ms` plus `per_item_ms` for every
  item it carries (issues, values, comments...), like a real site's server time.
- `BurstLimiter`: Jira Cloud's documented burst limit, a token bucket per endpoint
  and method (100 requests/s steady for GET and POST); a request finding the
  bucket empty gets a 429 `jira-burst-based`.  So concurrency cannot cheat.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

ITEM_KEYS = ("issues", "values", "comments", "worklogs", "histories", "issueChangeLogs")


@dataclass
class LatencyModel:
    base_ms: float = 0.0
    per_item_ms: float = 0.0

    def delay(self, body: Any) -> float:
        if not self.base_ms and not self.per_item_ms:
            return 0.0
        return self.seconds(items(body))

    def seconds(self, item_count: int) -> float:
        return (self.base_ms + self.per_item_ms * item_count) / 1000


def items(body: Any) -> int:
    """The items an answer carries: a bare list's length, else its item lists' lengths."""
    if isinstance(body, list):
        return len(body)
    if isinstance(body, dict):
        return sum(len(body[key]) for key in ITEM_KEYS if isinstance(body.get(key), list))
    return 0


@dataclass
class BurstLimiter:
    per_second: float = 100.0
    capacity: float = 100.0
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    refused: int = 0

    def allow(self, key: str) -> bool:
        with self._lock:
            now = time.monotonic()
            tokens, last = self._buckets.get(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.per_second)
            allowed = tokens >= 1
            self._buckets[key] = (tokens - 1 if allowed else tokens, now)
            self.refused += not allowed
            return allowed
