"""Children that arrive inside a search result, and whether Jira sent all of them.

Search caps what it embeds (worklogs at 20, comments at about 20, changelog
histories at 40) but keeps the true count in the envelope's `total`; a list as
long as its `total` is complete.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger("tap-jira")

# stream -> (where the envelope sits in the issue, the list's key inside it)
ENVELOPES = {
    "comments": (("fields", "comment"), "comments"),
    "worklogs": (("fields", "worklog"), "worklogs"),
    "changelogs": (("changelog",), "histories"),
}


@dataclass(frozen=True)
class Inline:
    records: list[dict[str, Any]]
    complete: bool
    total: int  # what Jira says exists (0 when it does not say)


def inline_children(issue: dict[str, Any], stream: str) -> Inline:
    """The `stream` children embedded in `issue`; a missing envelope counts as incomplete."""
    path, key = ENVELOPES[stream]
    envelope: Any = issue
    for step in path:
        envelope = envelope.get(step) if isinstance(envelope, dict) else None
    if not isinstance(envelope, dict) or not isinstance(envelope.get(key), list):
        return Inline([], complete=False, total=0)
    records = [record for record in envelope[key] if isinstance(record, dict)]
    if len(records) < len(envelope[key]):
        # Not records at all (a string, a null): the bulk calls fetch the issue's children instead.
        logger.warning("Issue %s: its embedded %s hold %d entries that are not objects; fetching them apart",
                       issue.get("key"), stream, len(envelope[key]) - len(records))
        return Inline(records, complete=False, total=len(envelope[key]))
    total = envelope.get("total")
    if not isinstance(total, int):
        return Inline(records, complete=False, total=0)
    return Inline(records, complete=len(records) >= total, total=total)


def issue_fields(wanted_children: set[str]) -> list[str]:
    """The `fields` to ask Jira for: all, minus the embedded children that no selected
    stream takes (`strip_envelopes` drops them from the issue record anyway)."""
    unwanted = [path[-1] for stream, (path, _) in ENVELOPES.items()
                if path[0] == "fields" and stream not in wanted_children]
    return ["*all", *(f"-{field}" for field in unwanted)]


def strip_envelopes(issue: dict[str, Any]) -> None:
    """Drop the embedded children from an issue record: they have streams of their own,
    and a truncated copy inside the issue would look complete to a warehouse user."""
    fields = issue.get("fields")
    if isinstance(fields, dict):
        fields.pop("comment", None)
        fields.pop("worklog", None)
    issue.pop("changelog", None)
