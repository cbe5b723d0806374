"""The issue census: which issues the tap wrote that Jira no longer has.

1. Every id in the scope now (`projects`, `jql`; no time window), 5000 a request on
   Cloud (1000 on Data Center), compared with the ids written (`WrittenIds`).
2. Each id written but not found is checked outside the scope: one that Jira still
   serves moved out of it (another project, or the `jql` no longer matches) and is
   not deleted; the tap forgets it.  This also absorbs what paging can skip.
3. The rest are absent.  Jira answers the same for a deleted issue and for one the
   account may no longer see, so an issue counts as deleted only while its project is
   still browsable and it had no security level: a project that vanished (deleted, or
   a permission lost) holds its issues back, with a warning, until it is seen again.
   These are sorted out first, so a project lost on Data Center costs no request per
   issue.

Any error on the way stops the census with nothing reported (`CensusFailed`): on
any doubt, no deletes.
"""

from __future__ import annotations

import logging
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ..api.client import JiraClient
from ..api.pagination import PageBeanPaginator
from ..errors import JiraAPIError
from ..search.recovery import STREAM, window_ids
from .store import WrittenIds

BULKFETCH_ISSUES = 100
logger = logging.getLogger("tap-jira")


class CensusDoubt(JiraAPIError):
    """Jira answered, but not clearly enough to call anything deleted."""


@dataclass
class Census:
    deleted: list[int] = field(default_factory=list)
    # The children written for the deleted issues: by stream, (issue id, child id).
    children: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    moved_out: int = 0
    held: int = 0
    in_scope: int = 0


def take_census(client: JiraClient, store: WrittenIds, query: str) -> Census:
    """Raises JiraAPIError (or a transport error) when any request fails: no deletes then."""
    found = array("q", sorted(int(issue_id) for issue_id in window_ids(client, query)))
    census = Census(in_scope=len(found))
    missing = list(_not_in(store.issue_ids(), found))
    if not missing:
        return census
    # Held back first, before any request about them: issues of projects this account
    # cannot browse now, and issues that had a security level (which can hide an issue
    # from an account whose project rights did not change).
    written = store.projects_of(missing)
    browsable = _browsable_projects(client)
    held = [issue_id for issue_id in missing if written[issue_id][0] not in browsable]
    secured = [issue_id for issue_id in missing if written[issue_id][1] and written[issue_id][0] in browsable]
    if held:
        gone = sorted({str(written[issue_id][0]) for issue_id in held})
        logger.warning("%d issue(s) of project(s) %s are gone, but so are their projects from what this account "
                       "may browse (deleted, or a permission lost): not reported as deleted while that lasts",
                       len(held), ", ".join(gone))
    held_ids = set(held) | set(secured)
    checked = [issue_id for issue_id in missing if issue_id not in held_ids]
    still_served = _served(client, checked)
    moved = [issue_id for issue_id in checked if issue_id in still_served]
    store.forget_issues(moved)
    census.moved_out = len(moved)
    absent = [issue_id for issue_id in checked if issue_id not in still_served]
    if secured:
        logger.warning("%d issue(s) with a security level are gone from what this account sees: not reported as "
                       "deleted (a security level can hide an issue as a delete does)", len(secured))
    census.held = len(held_ids)
    census.deleted = absent
    census.children = store.forget_issues(absent)
    return census


def _not_in(written: Iterable[int], found: array[int]) -> Iterator[int]:
    """The written ids (ascending) that are not in `found` (sorted): a merge, not a set."""
    position, size = 0, len(found)
    for issue_id in written:
        while position < size and found[position] < issue_id:
            position += 1
        if position >= size or found[position] != issue_id:
            yield issue_id


def _served(client: JiraClient, issue_ids: list[int]) -> set[int]:
    """Which of the issues Jira still serves, whatever project they are in now."""
    served: set[int] = set()
    if client.site.cloud:
        for start in range(0, len(issue_ids), BULKFETCH_ISSUES):
            chunk = [str(issue_id) for issue_id in issue_ids[start:start + BULKFETCH_ISSUES]]
            answer = client.request("POST", "/issue/bulkfetch", body={"issueIdsOrKeys": chunk, "fields": ["project"]},
                                    stream=STREAM)
            if answer.get("issueErrors"):  # Jira could not say for some: no delete on that doubt
                raise CensusDoubt(f"issue/bulkfetch answered issueErrors {answer['issueErrors'][:3]}")
            served.update(int(issue["id"]) for issue in answer.get("issues") or [])
        return served
    for issue_id in issue_ids:  # Data Center has no bulk fetch
        try:
            client.request("GET", f"/issue/{issue_id}", params={"fields": "project"}, stream=STREAM)
        except JiraAPIError as error:
            if error.status != 404:
                raise
            continue
        served.add(issue_id)
    return served


def _browsable_projects(client: JiraClient) -> set[str]:
    """Ids of the projects this account may browse now."""
    if not client.site.cloud:
        return {str(project["id"]) for project in client.request("GET", "/project", stream=STREAM) or []}

    def page(start: Any) -> tuple[dict[str, Any], None]:
        return {"action": "browse", "startAt": start or 0, "maxResults": 100}, None

    found: set[str] = set()
    for response in client.paginate("GET", client.site.rest + "/project/search", PageBeanPaginator(), page,
                                    stream=STREAM):
        found.update(str(project["id"]) for project in response.json().get("values") or [])
    return found
