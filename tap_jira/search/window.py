"""The incremental window of the issue search: where it starts and ends, from the
bookmarks, the settings and Jira's clock.  Plain functions: no SDK, no requests."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from .. import jql, timestamps
from ..errors import ConfigError, StateError

# With no bookmark and no start_date, still send a bounded query (/search/jql
# refuses unbounded JQL) that matches every issue.
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
# Issues dated later than this after Jira's now are read as well (see jql.incremental_issue_query).
FUTURE_MARGIN = timedelta(minutes=2)
# Kept in each child stream's state: the newest issue `updated` whose children it has
# emitted.  Its own bookmark (newest child) can lag far behind on a site where, say,
# worklogs are rare, and starting the search there would re-read that whole gap.
CHILD_WINDOW_KEY = "issues_searched_until"


@dataclass(frozen=True)
class Bookmark:
    """Where one stream fed by the search left off (`value` None: it has not run yet)."""

    stream: str
    key: str  # its name in the stream's state, for messages
    value: str | None


@dataclass(frozen=True)
class SearchWindow:
    start: datetime  # on a whole minute in `zone`, as JQL dates are
    end: datetime | None  # None: up to Jira's now
    zone: ZoneInfo  # the token owner's profile zone, which JQL dates are read in

    def ceiling(self, now: datetime) -> str:
        """No bookmark passes the window's end (Jira's now without one): an issue dated in
        the future is emitted, but must not make later runs skip every edit until then."""
        return timestamps.format_utc(self.end or now)

    def query(self, projects: Sequence[str], extra_jql: str | None, now: datetime) -> str:
        return jql.incremental_issue_query(self.start, self.zone, projects, extra_jql, until=self.end,
                                           future_after=now + FUTURE_MARGIN)


def plan(bookmarks: Iterable[Bookmark], *, start_date: str | None, lookback_minutes: int, lag_minutes: float,
         now: datetime, zone: ZoneInfo) -> SearchWindow:
    """The window: from the oldest bookmark among the streams the search feeds (so a child
    stream selected later still gets its whole history) less the lookback, to
    `lag_minutes` before Jira's now (the newest edits may not be searchable yet)."""
    return SearchWindow(start(bookmarks, start_date, lookback_minutes, now, zone), end(now, lag_minutes, zone), zone)


def end(now: datetime, lag_minutes: float, zone: ZoneInfo) -> datetime | None:
    return timestamps.jql_bound(now - timedelta(minutes=lag_minutes), zone) if lag_minutes else None


def start(bookmarks: Iterable[Bookmark], start_date: str | None, lookback_minutes: int, now: datetime,
          zone: ZoneInfo) -> datetime:
    starts = [stream_start(bookmark, start_date, now) for bookmark in bookmarks]
    lookback = timedelta(minutes=lookback_minutes)
    earliest = min(starts, default=EPOCH)
    # Nothing is older than 1970 in Jira; and year 1 minus a lookback would overflow.
    earliest = earliest - lookback if earliest - EPOCH > lookback else EPOCH
    return timestamps.jql_bound(earliest, zone)


def stream_start(bookmark: Bookmark, start_date: str | None, now: datetime) -> datetime:
    """A stream's bookmark (else `start_date`, else 1970), refused when it lies ahead of
    Jira's clock: such a search would silently return nothing, run after run.  A later
    start_date than the bookmark wins, as in the SDK's own start value."""
    starts = []
    for value, is_bookmark in ((bookmark.value, True), (start_date, False)):
        if not value:
            continue
        at = timestamps.parse_setting(value)
        if at > now:
            where = (f"`bookmarks.{bookmark.stream}.{bookmark.key}` {value}" if is_bookmark
                     else f"config key `start_date` {value}")
            message = (f"{where} is ahead of Jira's clock ({timestamps.format_utc(now)}): nothing would be read, "
                       "run after run (a future-dated issue, or another site's state?); set it to when the last "
                       "good run ended, or remove it to read everything again")
            raise StateError(message) if is_bookmark else ConfigError(message)
        starts.append(at)
    return max(starts, default=EPOCH)
