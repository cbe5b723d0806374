"""The ids the tap has written, kept on disk: which issues (and their projects), and
which children of each issue (comments, links, sprint memberships).

Jira keeps no tombstones an ordinary account can read, so finding what it deleted
means comparing with what was there before; the target holds that, but a tap cannot
read its target.  STATE must stay small whatever the site's size, so the ids live in
a SQLite file of their own (tens of bytes an id; a million issues with five comments
each is a few hundred MB, read a page at a time, never all in memory).
SQLite because it is in the standard library and gives sets on disk, indexes and
atomic commits with no server.

One file per site and scope (`projects`, `jql`): two jobs that split a site between
them never see each other's ids as deleted.  A missing file is an empty one: deletes
are then reported only for rows written from that run on, never guessed.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS issues (id INTEGER PRIMARY KEY, project TEXT, secured INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS children (issue INTEGER NOT NULL, stream TEXT NOT NULL, child TEXT NOT NULL,
                                     PRIMARY KEY (issue, stream, child)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS children_by_child ON children (stream, child);
"""


def default_directory() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(base) / "tap-jira"


def file_name(base_url: str, projects: Iterable[str], jql: str | None, lineage: str) -> str:
    """One file per site, scope and lineage (the id an `issues` STATE carries from its first
    run on): two targets, or a dev and a prod job, each find their own deletes."""
    scope = json.dumps([base_url.rstrip("/"), sorted(projects), jql or "", lineage])
    return f"written-{hashlib.sha256(scope.encode()).hexdigest()[:16]}.sqlite3"


class WrittenIds:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.existed = path.exists()
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path)
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.commit()
        self.db.close()

    def commit(self) -> None:
        self.db.commit()

    def add_issues(self, rows: Iterable[tuple[int, str | None, bool]]) -> None:
        """(issue id, project id, has a security level) of issues written: a moved issue
        takes its new project."""
        self.db.executemany("INSERT OR REPLACE INTO issues (id, project, secured) VALUES (?, ?, ?)", rows)

    def issue_ids(self) -> Iterator[int]:
        """Every issue written and not yet reported deleted, in id order."""
        for (issue_id,) in self.db.execute("SELECT id FROM issues ORDER BY id"):
            yield issue_id

    def projects_of(self, issue_ids: list[int]) -> dict[int, tuple[str | None, bool]]:
        """Issue id -> (its project, whether it had a security level when written)."""
        found: dict[int, tuple[str | None, bool]] = {}
        for chunk, marks in _chunks(issue_ids):
            found.update((issue_id, (project, bool(secured))) for issue_id, project, secured in self.db.execute(
                f"SELECT id, project, secured FROM issues WHERE id IN ({marks})", chunk))
        return found

    def forget_issues(self, issue_ids: list[int]) -> dict[str, list[tuple[int, str]]]:
        """Drop issues (deleted, or out of scope now); their children, by stream, as
        (issue id, child id)."""
        children: dict[str, list[tuple[int, str]]] = {}
        for chunk, marks in _chunks(issue_ids):
            for issue_id, stream, child in self.db.execute(
                    f"SELECT issue, stream, child FROM children WHERE issue IN ({marks})", chunk):
                children.setdefault(stream, []).append((issue_id, child))
            self.db.execute(f"DELETE FROM issues WHERE id IN ({marks})", chunk)
            self.db.execute(f"DELETE FROM children WHERE issue IN ({marks})", chunk)
        for _, link in children.get("issue_links", []):
            self.forget_child("issue_links", link)  # a link is on its other issue's list too: reported once
        return children

    def children_of(self, issue_ids: list[int], stream: str) -> dict[int, set[str]]:
        """Issue id -> its `stream` children as last written (issues with none left out)."""
        found: dict[int, set[str]] = {}
        for chunk, marks in _chunks(issue_ids):
            for issue_id, child in self.db.execute(
                    f"SELECT issue, child FROM children WHERE stream = ? AND issue IN ({marks})", [stream, *chunk]):
                found.setdefault(issue_id, set()).add(child)
        return found

    def forget_child(self, stream: str, child: str) -> None:
        """A child reported deleted: off every issue's list (a link is on both of its issues)."""
        self.db.execute("DELETE FROM children WHERE stream = ? AND child = ?", (stream, child))

    def set_children(self, stream: str, children: dict[int, list[str]]) -> None:
        """Each issue's `stream` children now (its complete list, just read)."""
        issue_ids = list(children)
        for chunk, marks in _chunks(issue_ids):
            self.db.execute(f"DELETE FROM children WHERE stream = ? AND issue IN ({marks})", [stream, *chunk])
        self.db.executemany("INSERT OR IGNORE INTO children (issue, stream, child) VALUES (?, ?, ?)",
                            ((issue_id, stream, child) for issue_id, now in children.items() for child in now))


def _chunks(ids: list[int], size: int = 500) -> Iterator[tuple[list[int], str]]:
    """SQLite takes a bounded number of parameters per statement."""
    for start in range(0, len(ids), size):
        chunk = ids[start:start + size]
        yield chunk, ",".join("?" * len(chunk))
