"""A state file's shape, checked before the SDK reads it.

The SDK takes whatever JSON it is given: a bookmark written as a plain string, a
`bookmarks` list or a number ends the run with a traceback, or is silently ignored
and the whole history is read again.  Here each one gets a line naming the state file
and the value at fault.  Bookmarks may be dates (midnight UTC) or date-times without
an offset (UTC), as other taps and hand-edited files write them.
"""

from __future__ import annotations

from typing import Any

from . import timestamps
from .errors import StateError
from .shapes import kind

# Bookmarks that must be instants: the replication key values of the incremental streams,
# and how far the issue search has gone for each child stream.
INSTANT_KEYS = ("replication_key_value", "issues_searched_until")


def check(state: Any) -> None:
    """Raise StateError for the first thing the tap could not read as its own state."""
    if not isinstance(state, dict):
        raise StateError(f"must hold a JSON object, not {kind(state)}")
    bookmarks = state.get("bookmarks", {})
    if not isinstance(bookmarks, dict):
        raise StateError(f"`bookmarks` must be an object of streams, not {kind(bookmarks)}")
    for stream, bookmark in bookmarks.items():
        _check_bookmark(f"bookmarks.{stream}", bookmark)
        partitions = bookmark.get("partitions", [])
        if not isinstance(partitions, list):
            raise StateError(f"`bookmarks.{stream}.partitions` must be a list, not {kind(partitions)}")
        for number, partition in enumerate(partitions):
            _check_bookmark(f"bookmarks.{stream}.partitions[{number}]", partition)


# Other keys the SDK reads from a bookmark, and the JSON type each must have.
OBJECT_KEYS = ("context", "progress_markers")


def _check_bookmark(where: str, bookmark: Any) -> None:
    if not isinstance(bookmark, dict):
        raise StateError(f"`{where}` must be an object such as {{\"replication_key_value\": "
                         f"\"2024-01-31T00:00:00+00:00\"}}, not {kind(bookmark)}")
    for key in OBJECT_KEYS:
        if key in bookmark and not isinstance(bookmark[key], dict):
            raise StateError(f"`{where}.{key}` must be an object, not {kind(bookmark[key])}")
    if "replication_key" in bookmark and not isinstance(bookmark["replication_key"], str):
        raise StateError(f"`{where}.replication_key` must be a string, not {kind(bookmark['replication_key'])}")
    for key in INSTANT_KEYS:
        value = bookmark.get(key)
        if value is None:
            continue
        if not isinstance(value, str):
            raise StateError(f"`{where}.{key}` must be an ISO 8601 date-time string, not {kind(value)}")
        try:
            timestamps.parse_setting(value)
        except ValueError:
            raise StateError(f"`{where}.{key}` is not an ISO 8601 date-time: {value!r}") from None

