"""Jira timestamps to UTC, and UTC instants to JQL literals.

Jira renders instants in the site's default user zone with colon-less offsets
(``2022-12-08T02:22:18.889-0800``) while JQL literals are read in the caller's
profile zone.  Bookmarks are kept as UTC ISO 8601 strings with a fixed width,
because singer-sdk compares bookmark strings lexically.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

UTC = timezone.utc


def parse(value: str) -> datetime:
    """Parse a Jira timestamp (``-0700``, ``-07:00`` or ``Z`` offsets) to an aware datetime."""
    parsed = datetime.fromisoformat(_offset_colon(value.strip().replace("Z", "+00:00")))
    if parsed.tzinfo is None:
        raise ValueError(f"timestamp without offset: {value!r}")
    return parsed


def rfc3339(value: str) -> str | None:
    """A Jira timestamp in RFC 3339, the same instant and wall time (``-0700`` ->
    ``-07:00``); None if it is no timestamp."""
    try:
        parse(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return _offset_colon(value.strip())


def _offset_colon(text: str) -> str:
    """-0700 -> -07:00 (RFC 3339, and Python 3.10's fromisoformat, need the colon)."""
    if len(text) > 5 and text[-5] in "+-" and text[-4:].isdigit():
        return f"{text[:-2]}:{text[-2:]}"
    return text


def parse_setting(value: str) -> datetime:
    """A user's instant (a `start_date`, a bookmark in a state file): ISO 8601, where a
    bare date means midnight and a date-time without an offset means UTC, as Meltano's
    `date_iso8601` settings and other taps' state files write them."""
    parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def to_utc_iso(value: str | int | float) -> str:
    """``2022-12-08T02:22:18.889-0800`` -> ``2022-12-08T10:22:18.889000+00:00``.

    Numbers are epoch seconds or milliseconds: the changelog bulk fetch documents
    `created` as a date-time but its example shows epoch seconds.
    """
    if isinstance(value, (int, float)):
        seconds = value / 1000 if abs(value) >= 1e11 else value
        return format_utc(datetime.fromtimestamp(seconds, UTC))
    return format_utc(parse(value))


def format_utc(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat(timespec="microseconds")


def jql_bound(instant: datetime, zone: ZoneInfo) -> datetime:
    """The latest instant at or before `instant` that a JQL literal in `zone` names
    exactly: floored to the minute, and out of any repeated (autumn) hour.

    In the repeated hour a wall time names two instants and Jira does not document
    which it reads, so the bound steps back until the wall time is unique.  A bound
    that moves earlier costs an overlap, never a gap.  (Spring's missing hour needs
    nothing: an instant never converts to a wall time that does not exist.)
    """
    local = instant.astimezone(zone).replace(second=0, microsecond=0)
    while local.replace(fold=1 - local.fold).astimezone(UTC) != local.astimezone(UTC):
        local = (local.astimezone(UTC) - timedelta(minutes=15)).astimezone(zone).replace(second=0, microsecond=0)
    return local.astimezone(UTC)


def jql_minute(instant: datetime, zone: ZoneInfo) -> str:
    """`jql_bound` as a JQL literal in `zone` (``yyyy/MM/dd HH:mm``).

    Flooring plus ``>=`` re-reads the bookmark's own minute: an overlap, never a gap.
    """
    return jql_bound(instant, zone).astimezone(zone).strftime("%Y/%m/%d %H:%M")


class JiraClock:
    """Jira's "now", from the `Date` header of its first response.

    The search window's upper bound is compared with Jira's `updated` values, which
    come from Jira's clock; a skewed local clock would otherwise open a gap.
    """

    def __init__(self) -> None:
        self._anchor: tuple[datetime, float] | None = None

    def observe(self, date_header: str | None) -> None:
        if self._anchor is None and date_header:
            try:
                self._anchor = (parsedate_to_datetime(date_header).astimezone(UTC), time.monotonic())
            except (TypeError, ValueError):
                pass

    @property
    def answered(self) -> bool:
        """Whether Jira has answered at all yet."""
        return self._anchor is not None

    def now(self) -> datetime:
        if self._anchor is None:
            return datetime.now(UTC)
        seen, at = self._anchor
        return seen + timedelta(seconds=time.monotonic() - at)
