"""What a target would hold after upserting a tap's RECORD messages."""

from __future__ import annotations

from typing import Any

# Users are keyed by accountId; sprints repeat per board and children per issue, so
# boardId and issueId join the key (a sprint on two boards is two rows, as documented).
ID_KEYS = {"users": "accountId"}


def latest_by_key(messages: list[dict[str, Any]]) -> dict[str, dict[tuple, dict[str, Any]]]:
    """The latest version of every record, per stream and primary key."""
    latest: dict[str, dict[tuple, dict[str, Any]]] = {}
    for message in messages:
        if message["type"] == "RECORD":
            record = message["record"]
            key = (record.get(ID_KEYS.get(message["stream"], "id")), record.get("boardId"), record.get("issueId"))
            latest.setdefault(message["stream"], {})[key] = record
    return latest


def counts_by_key(messages: list[dict[str, Any]]) -> dict[str, int]:
    return {stream: len(records) for stream, records in latest_by_key(messages).items()}
