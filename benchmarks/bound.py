"""The least wall time any connector could take for a full load, from the emulator's log.

Some requests must wait for others: `/myself` (the profile zone the JQL is written
in) before the first id page; each id page before the next (its token); an issue's
bulk fetch before its overflow children (comment and worklog pages, changelog bulk
fetch), which need to know there is more.  Everything else could run in parallel.
Under the latency model (`base + per_item x items` per answer) the shortest possible
run is therefore

    myself + the id pages of one pass, one after another (5000 ids each)
           + the slowest bulk fetch + the slowest overflow child

with no CPU, no rate limit and unlimited connections: a bound, not a target.  The
bulk fetch and child terms are taken from the run's own log (what Jira answered),
the id pages from the number of issues.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from jira_emulator.latency import LatencyModel
from jira_emulator.server import LoggedRequest

SEARCH_PAGE_CAP = 5000
START_UP = ("/rest/api/3/myself",)
ID_PAGES = ("/rest/api/3/search/jql",)
BULK_FETCH = ("/rest/api/3/issue/bulkfetch",)
CHILDREN = ("/rest/api/3/issue/{issueIdOrKey}/comment", "/rest/api/3/issue/{issueIdOrKey}/worklog",
            "/rest/api/3/changelog/bulkfetch", "/rest/api/3/issue/{issueIdOrKey}/changelog",
            "/rest/api/3/comment/list", "/rest/api/3/worklog/list")


@dataclass(frozen=True)
class Bound:
    myself: float
    id_pages: float
    bulk_fetch: float
    children: float

    @property
    def seconds(self) -> float:
        return self.myself + self.id_pages + self.bulk_fetch + self.children


def lower_bound(log: Sequence[LoggedRequest], issues: int, latency: LatencyModel) -> Bound:
    def slowest(endpoints: tuple[str, ...]) -> float:
        return max((entry.held for entry in log if entry.endpoint in endpoints), default=0.0)

    full_pages, rest = divmod(issues, SEARCH_PAGE_CAP)
    pages = full_pages * latency.seconds(SEARCH_PAGE_CAP) + (latency.seconds(rest) if rest or not issues else 0.0)
    return Bound(slowest(START_UP) or latency.seconds(1), pages, slowest(BULK_FETCH), slowest(CHILDREN))


def in_flight_profile(log: Sequence[LoggedRequest]) -> dict[int, float]:
    """Share of the run's span (first arrival to last answer) with k requests held at once."""
    events = sorted([(entry.at, 1) for entry in log] + [(entry.at + entry.held, -1) for entry in log])
    if not events:
        return {}
    span = events[-1][0] - events[0][0] or 1.0
    shares: dict[int, float] = {}
    level, last = 0, events[0][0]
    for at, change in events:
        shares[level] = shares.get(level, 0.0) + (at - last) / span
        level, last = level + change, at
    return dict(sorted(shares.items()))


def timeline(log: Sequence[LoggedRequest]) -> list[str]:
    """One line per request: start offset, time held, endpoint, items."""
    if not log:
        return []
    first = min(entry.at for entry in log)
    return [f"{entry.at - first:8.3f} {entry.held:6.3f} {entry.status} {entry.method:<4} {entry.endpoint} "
            f"({entry.items} items)" for entry in sorted(log, key=lambda entry: entry.at)]
