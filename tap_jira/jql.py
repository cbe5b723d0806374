"""The JQL the issues stream sends."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from .timestamps import jql_minute


def quote(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def incremental_issue_query(
    since: datetime,
    zone: ZoneInfo,
    projects: Sequence[str] = (),
    extra: str | None = None,
    until: datetime | None = None,
) -> str:
    """``updated >= <since> [AND updated < <until>] [AND project in (...)] [AND (extra)]
    ORDER BY updated ASC``, the instants written in the profile zone.

    Ascending `updated` order is what lets the bookmark advance record by record.
    """
    clauses = [f"updated >= {quote(jql_minute(since, zone))}"]
    if until is not None:
        clauses.append(f"updated < {quote(jql_minute(until, zone))}")
    if projects:
        clauses.append("project in (" + ", ".join(quote(key) for key in projects) + ")")
    if extra:
        clauses.append(f"({extra})")
    return " AND ".join(clauses) + " ORDER BY updated ASC"
