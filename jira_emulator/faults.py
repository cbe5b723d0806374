"""Fault injection: what Jira and the network do to a sync, on purpose.

A `Fault` hits requests whose path contains `path` (any request when None):
either the request numbers in `at` (1-based, counted over matching requests)
or the first `times` matching ones.  A `FaultPlan` may also inject a random
fault into a seeded `chaos_rate` share of all requests.

Kinds, with the headers Jira Cloud documents (https://developer.atlassian.com/cloud/jira/platform/rate-limiting/):
- ``burst``: 429, `RateLimit-Reason: jira-burst-based`, `Retry-After`;
- ``quota``: 429, `RateLimit-Reason: jira-quota-global-based`, `Retry-After`;
- ``unavailable``: 503 with `Retry-After`;
- ``reset``: the connection is closed before any response;
- ``truncate``: a full `Content-Length`, half the body, then the connection closes;
- ``slow``: the response comes `delay` seconds late;
- ``garbage``: 200 with a complete body that is not JSON (a proxy's error page);
- ``trickle``: the real answer, its body sent one byte every `delay` seconds;
- ``bad_utf8``: 200 with a complete JSON body holding bytes that are not UTF-8;
- ``bad_gzip``: 200 with `Content-Encoding: gzip` and a body that is not gzip;
- ``forbidden``: 403 with Jira's body, as when a permission is lost mid-run.

`retry_after` is sent as given: a number of seconds, or any text (``inf``, ``nan``,
``-5``, an HTTP date) to see what a client makes of it; `headers` are added.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field

KINDS = ("burst", "quota", "unavailable", "reset", "truncate", "slow", "garbage", "trickle", "bad_utf8", "bad_gzip",
         "forbidden")
RATE_LIMITED = ("burst", "quota")  # answered by Jira itself, after it has read the credentials


@dataclass
class Fault:
    kind: str
    path: str | None = None
    at: frozenset[int] | None = None
    times: int = 1
    retry_after: float | str | None = 1.0  # None: no Retry-After header
    status: int = 503  # of ``unavailable``: any 5xx
    headers: dict[str, str] = field(default_factory=dict)  # sent as well (an X-RateLimit-Reset alone)
    delay: float = 0.0
    seen: int = 0
    injected: int = 0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}")

    def hits(self, path: str) -> bool:
        if self.path is not None and self.path not in path:
            return False
        self.seen += 1
        hit = self.seen in self.at if self.at is not None else self.injected < self.times
        self.injected += hit
        return hit


@dataclass
class FaultPlan:
    faults: list[Fault] = field(default_factory=list)
    chaos_rate: float = 0.0
    chaos_kinds: tuple[str, ...] = KINDS
    seed: int = 0
    chaos_retry_after: float = 0.2

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._lock = threading.Lock()
        self.injected: list[tuple[str, str]] = []  # (kind, path), in order

    def pick(self, path: str) -> Fault | None:
        with self._lock:
            chosen = next((fault for fault in self.faults if fault.hits(path)), None)
            if chosen is None and self.chaos_rate and self._rng.random() < self.chaos_rate:
                kind = self._rng.choice(self.chaos_kinds)
                chosen = Fault(kind, retry_after=self.chaos_retry_after, delay=self.chaos_retry_after)
            if chosen is not None:
                self.injected.append((chosen.kind, path))
            return chosen


def retry_waits(requests: list, plan: FaultPlan, in_flight: float = 0.2) -> list[tuple[str, float, float]]:
    """(kind, Retry-After given, seconds until the client's next request) for each
    injected 429/503, from the emulator's request log.  The wait is asked of the client,
    not of one request: a client with several threads must hold all of them.  Requests
    arriving within `in_flight` seconds of the refusal count as sent before the client
    could have read it (other threads' requests already on their way), so they do not."""
    asked = float(plan.faults[0].retry_after or 0) if plan.faults else plan.chaos_retry_after
    log = sorted(requests, key=lambda entry: entry.at)
    found = []
    for index, entry in enumerate(log):
        if entry.fault in ("burst", "quota", "unavailable"):
            later = [e.at for e in log[index + 1:] if e.at - entry.at > in_flight]
            if later:
                found.append((entry.fault, asked, later[0] - entry.at))
    return found

