"""How records leave the tap: the SDK's own path, minus work that cannot change them.

A Jira issue is a wide, deep object (every field, ~200 custom fields on a real site),
and the SDK spends most of the tap's CPU on two walks over each record that change
nothing here (benchmarks/cpu.py measures it):
- type conformance: records are decoded JSON, so nested values already have JSON
  types; conforming the root still drops properties the schema lacks;
- dropping deselected properties: when the catalog deselects none, nothing is dropped.

It also holds what the SDK does per run that loaders need done once or bounded:
- ids: Jira's ids are strings, but some deployments and proxies send numbers; each
  root id is written as its schema types it, so loaders and upserts see one type;
- one SCHEMA message per stream per run (the SDK sends one per partition: per batch of
  issues, per board), since SDK targets start a new batch at each one;
- no bookmark past `bookmark_ceiling` (Jira's clock), whatever a record claims.

These override the SDK's private hooks (singer-sdk ~=0.54.9, pinned); no public hook
does any of it.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

import singer_sdk.singerlib as singer
from singer_sdk import Stream
from singer_sdk.helpers._typing import conform_record_data_types
from singer_sdk.helpers._util import utc_now
from singer_sdk.helpers.conform import TypeConformanceLevel

if TYPE_CHECKING:
    from collections.abc import Generator


ID_KEYS = ("id", "issueId", "boardId", "originBoardId", "projectId")


class LeanRecordOutput(Stream):
    """Mixin for streams: root-only conformance, and no selection walk when all is selected."""

    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.ROOT_ONLY
    _schema_written = False

    def bookmark_ceiling(self) -> str | None:
        """The latest value a bookmark may take (UTC, fixed width), or None for no limit."""
        return None

    @cached_property
    def _id_types(self) -> dict[str, type]:
        """Root id keys and the Python type the schema gives them (str or int)."""
        found: dict[str, type] = {}
        for key in ID_KEYS:
            declared = (self.schema.get("properties") or {}).get(key, {}).get("type")
            types = declared if isinstance(declared, list) else [declared]
            if "string" in types:
                found[key] = str
            elif "integer" in types:
                found[key] = int
        return found

    def _coerce_ids(self, record: dict[str, Any]) -> None:
        for key, wanted in self._id_types.items():
            value = record.get(key)
            if value is None or isinstance(value, wanted) and not isinstance(value, bool):
                continue
            if wanted is str and isinstance(value, int):
                record[key] = str(value)
            elif wanted is int and isinstance(value, str) and value.isdigit():
                record[key] = int(value)

    def _write_schema_message(self) -> None:
        if not self._schema_written:
            self._schema_written = True
            super()._write_schema_message()

    def _increment_stream_state(self, latest_record: dict[str, Any], *, context: Any = None) -> None:
        ceiling, key = self.bookmark_ceiling(), self.replication_key
        if ceiling and key and isinstance(latest_record.get(key), str) and latest_record[key] > ceiling:
            latest_record = {**latest_record, key: ceiling}  # the record itself keeps Jira's value
        super()._increment_stream_state(latest_record, context=context)

    @cached_property
    def _selects_every_property(self) -> bool:
        return all(self.mask.values())

    def _generate_record_messages(self, record: dict[str, Any]) -> Generator[singer.RecordMessage, None, None]:
        # Overrides the SDK's private hook (pinned to singer-sdk 0.54): the same steps
        # as its own, without `pop_deselected_record_properties`, which copies and
        # visits every nested dict of every record even when it has nothing to remove.
        self._coerce_ids(record)
        progress = self._tap.jira_progress  # type: ignore[attr-defined]
        if not self._selects_every_property:
            for message in super()._generate_record_messages(record):
                if progress is not None:
                    progress.record(message.stream)  # what is written: after stream maps
                yield message
            return
        record = conform_record_data_types(stream_name=self.name, record=record, schema=self.effective_schema,
                                           level=self.TYPE_CONFORMANCE_LEVEL, logger=self.logger)
        for stream_map in self.stream_maps:
            mapped = stream_map.transform(record)
            if mapped is not None:
                if progress is not None:
                    progress.record(stream_map.stream_alias)  # what is written: after stream maps
                yield singer.RecordMessage(stream=stream_map.stream_alias, record=mapped,
                                           version=self._stream_version, time_extracted=utc_now())
