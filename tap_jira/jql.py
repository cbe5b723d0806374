"""The JQL the issues stream sends."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from .timestamps import jql_minute

_ORDER_BY = re.compile(r"\border\s+by\b", re.IGNORECASE)


def quote(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def incremental_issue_query(
    since: datetime,
    zone: ZoneInfo,
    projects: Sequence[str] = (),
    extra: str | None = None,
    until: datetime | None = None,
    future_after: datetime | None = None,
) -> str:
    """``updated >= <since> [AND (updated < <until> OR updated > <future_after>)]
    [AND project in (...)] [AND (extra)] ORDER BY updated ASC``, the instants written
    in the profile zone.

    Ascending `updated` order is what lets the bookmark advance record by record.
    `future_after` (a little after Jira's now) still reads issues dated in the future
    (an import, a skewed clock), which an upper bound alone would hide until that date.
    """
    clauses = [f"updated >= {quote(jql_minute(since, zone))}"]
    if until is not None:
        upper = f"updated < {quote(jql_minute(until, zone))}"
        if future_after is not None:
            upper = f"({upper} OR updated > {quote(jql_minute(future_after, zone))})"
        clauses.append(upper)
    if projects:
        clauses.append("project in (" + ", ".join(quote(key) for key in projects) + ")")
    if extra:
        clauses.append(f"({extra})")
    return " AND ".join(clauses) + ORDER_SUFFIX


ORDER_SUFFIX = " ORDER BY updated ASC"


def id_range(query: str, low: int | None, high: int | None) -> str:
    """`query` (as incremental_issue_query writes it) narrowed to ids in [low, high)."""
    body = query[:-len(ORDER_SUFFIX)] if query.endswith(ORDER_SUFFIX) else query
    bounds = ([f"id >= {low}"] if low is not None else []) + ([f"id < {high}"] if high is not None else [])
    return " AND ".join([body, *bounds]) + ORDER_SUFFIX


def filter_problem(text: str) -> str | None:
    """Why the user's `jql` cannot be ANDed into the window safely, or None.

    The tap sends ``<window> AND (<jql>) ORDER BY updated ASC``.  A bracket closed
    before it opens (``a = b) OR (c = d``) would end the tap's own bracket and let the
    filter OR past the window; an unclosed quote or bracket would swallow what follows;
    an ORDER BY would fight the tap's.  Quoted text is skipped as JQL reads it
    (backslash escapes), so brackets inside strings are fine; outside them a backslash
    escapes the next character too, as Jira's unquoted terms allow (``a\\"b``).
    """
    if not text.strip():
        return "must be a non-empty filter"
    depth, quote_char, escaped = 0, "", False
    outside: list[str] = []
    for char in text:
        if escaped:
            escaped = False
            continue
        if char == "\\":
            escaped = True
            continue
        if quote_char:
            if char == quote_char:
                quote_char = ""
            continue
        if char in "\"'":
            quote_char = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                return "closes a bracket it never opened: the filter must stay inside the incremental window"
        outside.append(char)
    if quote_char:
        return f"has an unclosed {quote_char} quote"
    if depth:
        return "leaves a bracket open"
    if _ORDER_BY.search("".join(outside)):
        return "must not hold ORDER BY (the tap orders by updated)"
    return None
