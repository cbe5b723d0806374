"""Jira timestamps to UTC, and UTC instants to JQL literals.

Jira renders instants in the site's default user zone with colon-less offsets
(``2022-12-08T02:22:18.889-0800``) while JQL literals are read in the caller's
profile zone.  Bookmarks are kept as UTC ISO 8601 strings with a fixed width,
because singer-sdk compares bookmark strings lexically.
"""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

UTC = timezone.utc


def parse(value: str) -> datetime:
    """Parse a Jira timestamp (``-0700``, ``-07:00`` or ``Z`` offsets) to an aware datetime."""
    text = value.strip().replace("Z", "+00:00")
    if len(text) > 5 and text[-5] in "+-" and text[-4:].isdigit():
        text = f"{text[:-2]}:{text[-2:]}"  # -0700 -> -07:00 (Python 3.10 needs the colon)
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        raise ValueError(f"timestamp without offset: {value!r}")
    return parsed


def to_utc_iso(value: str | int | float) -> str:
    """``2022-12-08T02:22:18.889-0800`` -> ``2022-12-08T10:22:18.889000+00:00``.

    Numbers are epoch seconds or milliseconds: the changelog bulk fetch documents
    `created` as a date-time but its example shows epoch seconds.
    """
    if isinstance(value, (int, float)):
        seconds = value / 1000 if abs(value) >= 1e11 else value
        return format_utc(datetime.fromtimestamp(seconds, UTC))
    return format_utc(parse(value))


def minute_floor(instant: datetime) -> datetime:
    return instant.replace(second=0, microsecond=0)


def format_utc(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat(timespec="microseconds")


def jql_minute(instant: datetime, zone: ZoneInfo) -> str:
    """The instant as a JQL literal in `zone`, floored to the minute (``yyyy/MM/dd HH:mm``).

    Flooring plus ``>=`` re-reads the bookmark's own minute: an overlap, never a gap.
    """
    return instant.astimezone(zone).strftime("%Y/%m/%d %H:%M")
