"""What a target would hold after upserting a tap's RECORD messages."""

from __future__ import annotations

from typing import Any


def latest_by_key(messages: list[dict[str, Any]]) -> dict[str, dict[tuple, dict[str, Any]]]:
    """The latest version of every record, per stream and the primary key its SCHEMA
    message declares (as an upserting target keys it)."""
    latest: dict[str, dict[tuple, dict[str, Any]]] = {}
    keys: dict[str, list[str]] = {}
    for message in messages:
        if message["type"] == "SCHEMA":
            keys[message["stream"]] = message["key_properties"]
        elif message["type"] == "RECORD":
            record = message["record"]
            key = tuple(record.get(name) for name in keys[message["stream"]])
            latest.setdefault(message["stream"], {})[key] = record
    return latest


def counts_by_key(messages: list[dict[str, Any]]) -> dict[str, int]:
    return {stream: len(records) for stream, records in latest_by_key(messages).items()}
