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
) -> str:
    """``updated >= <since in the profile zone> [AND project in (...)] [AND (extra)] ORDER BY updated ASC``.

    Ascending `updated` order is what lets the bookmark advance record by record.
    """
    clauses = [f"updated >= {quote(jql_minute(since, zone))}"]
    if projects:
        clauses.append("project in (" + ", ".join(quote(key) for key in projects) + ")")
    if extra:
        clauses.append(f"({extra})")
    return " AND ".join(clauses) + " ORDER BY updated ASC"
