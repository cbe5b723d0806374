"""The issues stream's side of deletes: what each batch wrote goes into the store, and
what Jira no longer has comes out as tombstones (a row's key and `_sdc_deleted_at`)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import requests
from singer_sdk.exceptions import RetriableAPIError

from .. import timestamps
from ..api.client import JiraClient
from ..children import derived
from ..children.batch import UNREAD_COMMENTS
from ..errors import TapJiraError
from ..settings import Settings
from . import census, store, worklogs

DELETED_AT = "_sdc_deleted_at"
# Children whose complete list comes with every issue re-read: a child written before
# and missing now was deleted (a comment deleted, a link removed, an issue taken out of
# a sprint's history).
TRACKED = ("comments", "issue_links", "sprint_issues")
CENSUS_KEY = "deletes_census_at"  # in the issues stream's state
LINEAGE_KEY = "deletes_store"  # in the issues stream's state: names this STATE's store
WORKLOGS_KEY = "deleted_since"  # in the worklogs stream's state: epoch ms of the next `since`

# What a failed read raises once the client's retries are spent: the part of the
# deletes it was for is skipped, the run goes on.
READ_FAILED = (TapJiraError, RetriableAPIError, requests.RequestException, OSError,
               AttributeError, KeyError, TypeError, ValueError)  # an answer of another shape than documented

logger = logging.getLogger("tap-jira")


def tombstone(keys: dict[str, Any], at: str) -> dict[str, Any]:
    return {**keys, DELETED_AT: at}


@dataclass
class EndOfRun:
    """The tombstones found at the end of a run, and the bookmarks they move."""

    issues: list[dict[str, Any]] = field(default_factory=list)
    children: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    census_at: str | None = None
    worklogs_since: int | None = None


class DeleteTracker:
    def __init__(self, client: JiraClient, settings: Settings, wanted: set[str], lineage: str) -> None:
        """`lineage`: the id the `issues` STATE carries (LINEAGE_KEY), naming the store."""
        self.client = client
        self.settings = settings
        self.wanted = wanted
        directory = Path(settings.deletes_store_dir).expanduser() if settings.deletes_store_dir \
            else store.default_directory()
        self.started = client.clock.now()
        name = store.file_name(settings.base_url, settings.projects, settings.jql, lineage)
        self.store = store.WrittenIds(directory / name)
        if not self.store.existed:
            logger.info("Deletes: new store %s; deletes are reported for rows written from this run on",
                        self.store.path)

    def now(self) -> str:
        return timestamps.format_utc(self.client.clock.now())

    def after_batch(self, issues: list[dict[str, Any]], children: dict[str, list[dict[str, Any]]]) -> None:
        """Remember the batch's issues and children; add tombstones for children gone
        from an issue re-read (its list is complete: the children fetch completed it).
        The previous batch is written by now, so its changes are committed first; this
        batch's wait for the next, so a run killed before they are out finds them again."""
        self.store.commit()
        self.store.add_issues((int(issue["id"]), _project_id(issue), bool((issue.get("fields") or {}).get("security")))
                              for issue in issues)
        unread = {row["issueId"] for row in children.pop(UNREAD_COMMENTS, [])}
        at = self.now()
        for stream in TRACKED:
            if stream not in children:
                continue
            comments_by_issue = _by_issue(children[stream]) if stream == "comments" else {}
            now: dict[int, list[str]] = {}
            for issue in issues:
                issue_id = str(issue["id"])
                if stream == "comments" and issue_id in unread:
                    continue  # not read this time (gone since the search): nothing known
                current = _children_now(stream, issue, comments_by_issue.get(issue_id, []))
                if current is not None:  # None: the issue did not say (its field absent), nothing known
                    now[int(issue_id)] = current
            before = self.store.children_of(list(now), stream)
            for number, current in now.items():
                for child in sorted(before.get(number, set()) - set(current)):
                    children[stream].append(_tombstone(stream, str(number), child, at))
                    if stream == "issue_links":
                        self.store.forget_child(stream, child)  # off its other issue's list too: once
            self.store.set_children(stream, now)

    def at_end(self, query: str, issues_state: dict[str, Any], worklogs_state: dict[str, Any] | None) -> EndOfRun:
        """Deleted worklogs (when the worklogs stream is selected: its state given), and,
        when due, the issue census.  A failing request reports nothing of its part."""
        self.store.commit()  # every batch is written
        found = EndOfRun()
        if not self.store.existed and issues_state.get(CENSUS_KEY):
            logger.warning("Deletes: the store of ids written (%s) is gone, though earlier runs kept one (a fresh "
                           "container?): deletes of rows written before this run are not reported. Keep config key "
                           "`deletes_store_dir` on persistent storage", self.store.path)
        if worklogs_state is not None:
            self._deleted_worklogs(found, worklogs_state)
        last = issues_state.get(CENSUS_KEY)
        if not isinstance(last, str) or not last:
            # The first run with deletes: what it writes is the baseline, nothing to compare yet.
            found.census_at = timestamps.format_utc(self.started)
        elif self._census_due(last):
            self._census(found, query)
        return found

    def finish(self) -> None:
        """Commit what the census took out of the store: after its tombstones are written,
        so that a run killed before them finds the same deletes again."""
        self.store.close()

    def _deleted_worklogs(self, found: EndOfRun, state: dict[str, Any]) -> None:
        since = state.get(WORKLOGS_KEY)
        if not isinstance(since, int):
            written = state.get("replication_key_value")
            if not written:  # the first run: no worklog was written before it started
                found.worklogs_since = int(self.started.timestamp() * 1000)
                return
            # Worklogs were written before deletes were tracked: from the newest of them.
            since = int(timestamps.parse_setting(written).timestamp() * 1000)
        try:
            deleted = worklogs.deleted_since(self.client, since)
        except READ_FAILED as error:
            logger.warning("Deleted worklogs not read this run (%s); the next run reads them", error)
            return
        at_by_id = self.now()
        found.children["worklogs"] = [tombstone({"id": worklog_id, "issueId": None}, at_by_id)
                                      for worklog_id in deleted.ids]
        found.worklogs_since = deleted.next_since

    def _census_due(self, last: str) -> bool:
        try:
            when = timestamps.parse_setting(last)
        except ValueError:
            return True
        return self.client.clock.now() - when >= timedelta(hours=self.settings.deletes_census_hours)

    def _census(self, found: EndOfRun, query: str) -> None:
        started = self.now()
        try:
            result = census.take_census(self.client, self.store, query)
        except READ_FAILED as error:
            self.store.db.rollback()
            logger.warning("Deletes census stopped, so no issue is reported deleted this run: %s. The next run "
                           "takes it again", error)
            return
        at = self.now()
        found.issues = [tombstone({"id": str(issue_id)}, at) for issue_id in result.deleted]
        for stream, rows in result.children.items():
            if stream in self.wanted and stream in TRACKED:
                found.children.setdefault(stream, []).extend(
                    _tombstone(stream, str(issue_id), child, at) for issue_id, child in rows)
        found.census_at = started
        logger.info("Deletes census: %d issue(s) in scope; %d written issue(s) deleted, %d moved out of scope, "
                    "%d held back", result.in_scope, len(result.deleted), result.moved_out, result.held)


def _by_issue(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        grouped.setdefault(str(row.get("issueId")), []).append(row)
    return grouped


def _children_now(stream: str, issue: dict[str, Any], comments: list[dict[str, Any]]) -> list[str] | None:
    """The ids of the issue's `stream` children as just read (None: the issue did not say);
    `comments`: the comment rows of this issue."""
    if stream == "comments":
        return [str(row["id"]) for row in comments if row.get("id") is not None and DELETED_AT not in row]
    if stream == "issue_links":
        # Absent when an admin turned issue linking off: that deletes no link.
        if not isinstance((issue.get("fields") or {}).get("issuelinks"), list):
            return None
        return [str(row["id"]) for row in derived.issue_links(issue)]
    # No sprint at all now: the field may be hidden or out of the issue's context, which
    # Jira does not tell apart from an issue taken out of its last sprint.
    return [str(row["sprintId"]) for row in derived.sprint_issues(issue)] or None


def _tombstone(stream: str, issue_id: str, child: str, at: str) -> dict[str, Any]:
    """A child's tombstone, keyed as its stream is."""
    if stream == "issue_links":
        return tombstone({"id": child}, at)
    if stream == "sprint_issues":
        return tombstone({"sprintId": int(child) if child.isdigit() else child, "issueId": issue_id}, at)
    return tombstone({"id": child, "issueId": issue_id}, at)


def _project_id(issue: dict[str, Any]) -> str | None:
    project = (issue.get("fields") or {}).get("project")
    return str(project["id"]) if isinstance(project, dict) and project.get("id") is not None else None


