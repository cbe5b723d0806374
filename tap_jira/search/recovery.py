"""The window's issue ids, and the issues that paging skipped.

An issue edited during the search leaves the window (it is now newer than its end).
If a page token is an offset, as Data Center's startAt is (Cloud's token is opaque),
every later issue then shifts one place and one is never served.  One id-only pass
over the same window once paging is over (5000 ids a page on Cloud) finds them; it
is usually empty, and skipped when one page held the window: nothing could shift (an
edit Jira indexes late is what the window's lag, `search_lag_minutes`, is there for).
Cloud runs it while its bulk fetches are still in flight, as disjoint id ranges
searched side by side (`sliced_window_ids`): one page each instead of a chain of
pages that would end the run.
"""

from __future__ import annotations

import logging
from collections.abc import Container, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from singer_sdk.pagination import BaseAPIPaginator

from .. import jql
from ..api.client import JiraClient
from ..api.pagination import NextPageTokenPaginator, StartAtTotalPaginator
from ..errors import JiraAPIError

SEARCH_PAGE_CAP = 5000  # ids per /search/jql page
DATACENTER_SEARCH_CAP = 1000  # jira.search.views.default.max, as most sites leave it
JQL_HINT = "check config keys `jql` and `projects`"  # what a 400 from the search points at
STREAM = "issues"

logger = logging.getLogger("tap-jira")


def window_id_pages(client: JiraClient, query: str) -> Iterator[list[str]]:
    """The window's issue ids, in `updated` order, a page at a time (the last may be empty)."""
    paginator: BaseAPIPaginator[Any]
    if client.site.cloud:
        url, paginator = client.site.rest + "/search/jql", NextPageTokenPaginator()

        def page(token: Any) -> tuple[None, dict[str, Any]]:
            return None, {"jql": query, "fields": ["id"], "maxResults": SEARCH_PAGE_CAP,
                          **({"nextPageToken": token} if token else {})}
    else:
        url, paginator = client.site.rest + "/search", StartAtTotalPaginator("issues")

        def page(token: Any) -> tuple[None, dict[str, Any]]:
            return None, {"jql": query, "fields": ["id"], "maxResults": DATACENTER_SEARCH_CAP, "startAt": token or 0}
    for response in client.paginate("POST", url, paginator, page, stream=STREAM, hint=JQL_HINT):
        ids = [str(issue["id"]) for issue in response.json().get("issues") or []]
        yield ids  # an empty last page too: whether a next page was asked for tells if one could be skipped
        if not ids:
            return


def first_id_page(client: JiraClient, query: str, size: int) -> tuple[list[str], bool]:
    """The window's first `size` ids on Cloud (fewer if Jira pages shorter), and whether
    more follow.  A page of its own, not the head of a token chain: whether a token may
    be followed with another `maxResults` is not documented."""
    body = client.request("POST", "/search/jql", body={"jql": query, "fields": ["id"], "maxResults": size},
                          stream=STREAM, hint=JQL_HINT)
    ids = [str(issue["id"]) for issue in body.get("issues") or []]
    last = body.get("isLast") is True or not body.get("nextPageToken")
    return ids, bool(ids) and not last


def window_ids(client: JiraClient, query: str) -> Iterator[str]:
    return (issue_id for page in window_id_pages(client, query) for issue_id in page)


def sliced_window_ids(client: JiraClient, query: str, paged: Sequence[int], workers: int,
                      per_slice: int = SEARCH_PAGE_CAP) -> list[str]:
    """The window's ids again, searched as id ranges side by side (at most `workers`),
    each about `per_slice` of the ids `paged` (sorted) read before.  The ranges cover
    every id, below the first and above the last included, so an issue that paging
    skipped is in one."""
    slices = max(1, min(workers, -(-len(paged) // per_slice)))
    cuts = [paged[len(paged) * part // slices] for part in range(1, slices)]
    edges = [None, *cuts, None]
    ranges = [jql.id_range(query, low, high) for low, high in zip(edges, edges[1:], strict=False)]
    if len(ranges) == 1:
        return list(window_ids(client, query))
    with ThreadPoolExecutor(max_workers=len(ranges), thread_name_prefix="id-slices") as pool:
        return [issue_id for ids in pool.map(lambda narrowed: list(window_ids(client, narrowed)), ranges)
                for issue_id in ids]


def shifted_out(window_ids: Iterable[str], read: Container[int]) -> list[str]:
    """The ids of the window that are not among those `read` while paging."""
    missed = [issue_id for issue_id in window_ids if int(issue_id) not in read]
    if missed:
        logger.warning("%d issue(s) shifted out of the pages while paging (issues edited meanwhile); "
                       "reading them one by one", len(missed))
    return missed


def read_one_by_one(client: JiraClient, issue_ids: list[str], fields: list[str],
                    expand: list[str]) -> list[dict[str, Any]]:
    """The issues by id; one deleted since (404) is left out: there is nothing to emit."""
    found = []
    params = {"fields": ",".join(fields), **({"expand": ",".join(expand)} if expand else {})}
    for issue_id in issue_ids:
        try:
            found.append(client.request("GET", f"/issue/{issue_id}", params=params, stream=STREAM))
        except JiraAPIError as error:
            if error.status != 404:
                raise
    return found
