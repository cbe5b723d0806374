"""How fast to call Jira, and how long to wait after it says "too many".

One `Pacer` per run, shared by every stream and every worker thread:
- a token bucket keeps the steady rate at `max_requests_per_second` (default 10,
  the steady state Atlassian's rate-limit page designs apps around) with bursts
  of up to ten seconds' worth;
- a 429 or 503 that says how long to wait (`Retry-After`, `X-RateLimit-Reset`)
  holds *every* request, on every thread, for that long: the wait is asked of the
  client, not of one request, and the other threads would only collect more 429s;
- a burst 429 also halves the steady rate for a minute (again on each further one).

`retry_after` reads the wait Jira asked for, which retries then honour as a minimum.
A wait beyond an hour (Atlassian's longest quota window) is no rate limit a retry can
sit out: the run ends at once with one line.  Values that are no wait at all (`inf`,
`nan`, negative, unparseable) count as not said.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

import requests

from ..errors import TapJiraError, endpoint

MAX_WAIT_SECONDS = 3600.0
BURST_SECONDS = 10.0  # bucket size, in seconds of steady rate
SLOW_DOWN_SECONDS = 60.0

logger = logging.getLogger("tap-jira")


class Pacer:
    def __init__(self, requests_per_second: float) -> None:
        self.rate = requests_per_second
        self._lock = threading.Lock()
        self._tokens = requests_per_second * BURST_SECONDS
        self._last = time.monotonic()
        self._held_until = 0.0
        self._slow_factor = 1
        self._slow_until = 0.0

    def wait_turn(self) -> float:
        """Block until a request may start; returns the seconds waited."""
        waited = 0.0
        while True:
            with self._lock:
                now = time.monotonic()
                delay = self._held_until - now
                if delay <= 0:
                    rate = self._current_rate(now)
                    self._tokens = min(self._tokens + (now - self._last) * rate, self.rate * BURST_SECONDS)
                    self._last = now
                    if self._tokens >= 1:
                        self._tokens -= 1
                        return waited
                    delay = (1 - self._tokens) / rate
            time.sleep(delay)
            waited += delay

    def observe(self, response: requests.Response) -> None:
        """Adjust to a 429 or 503: hold everything for the wait asked, and slow down
        after a burst 429."""
        if response.status_code not in (429, 503):
            return
        reason = response.headers.get("RateLimit-Reason", "")
        wait = retry_after(response)
        with self._lock:
            now = time.monotonic()
            if wait:
                self._held_until = max(self._held_until, now + wait)
                if reason.startswith("jira-quota"):
                    logger.warning("Jira's hourly quota is spent (%s): pausing every request for %.0f s", reason, wait)
            if response.status_code == 429 and not (reason.startswith("jira-quota") and wait):
                self._slow_factor = min(self._slow_factor * 2, 64) if now < self._slow_until else 2
                self._slow_until = now + SLOW_DOWN_SECONDS
                logger.warning("Jira's burst limit was hit (%s): steady rate down to %.2f requests/s for %.0f s",
                               reason or "no reason given", self.rate / self._slow_factor, SLOW_DOWN_SECONDS)

    def _current_rate(self, now: float) -> float:
        return self.rate / self._slow_factor if now < self._slow_until else self.rate


def retry_after(response: requests.Response) -> float | None:
    """Seconds Jira asked us to wait: `Retry-After` (seconds or an HTTP date), else
    `X-RateLimit-Reset` (an ISO 8601 instant); None when it did not say.  Raises a
    one-line TapJiraError for a wait beyond MAX_WAIT_SECONDS, whatever the status."""
    wait = _asked(response)
    if wait is not None and wait > MAX_WAIT_SECONDS:
        raise TapJiraError(f"Jira asked to wait {wait:.0f} s (Retry-After / X-RateLimit-Reset of HTTP "
                           f"{response.status_code} from {endpoint(response.request)}), more than the hour its "
                           "rate limits last: run again later, or check what answers for Jira")
    return wait


def _asked(response: requests.Response) -> float | None:
    header = response.headers.get("Retry-After")
    if header:
        try:
            return _a_wait(float(header))
        except ValueError:
            try:
                return _a_wait((parsedate_to_datetime(header) - datetime.now(timezone.utc)).total_seconds())
            except (TypeError, ValueError, OverflowError):
                pass
    reset = response.headers.get("X-RateLimit-Reset")
    if reset:
        try:
            instant = datetime.fromisoformat(reset.replace("Z", "+00:00"))
            if instant.tzinfo is None:
                instant = instant.replace(tzinfo=timezone.utc)
            return _a_wait((instant - datetime.now(timezone.utc)).total_seconds())
        except (TypeError, ValueError, OverflowError):
            pass
    return None


def _a_wait(seconds: float) -> float | None:
    """Seconds to wait, or None when the value is no wait at all.  A past instant
    (negative) means "now"; NaN and infinity mean nothing."""
    if not math.isfinite(seconds):
        return None
    return max(seconds, 0.0)
