"""How records leave the tap: the SDK's own path, minus work that cannot change them.

A Jira issue is a wide, deep object (every field, ~200 custom fields on a real site),
and the SDK spends most of the tap's CPU on two walks over each record that change
nothing here (benchmarks/cpu.py measures it):
- type conformance: records are decoded JSON, so nested values already have JSON
  types; conforming the root still drops properties the schema lacks;
- dropping deselected properties: when the catalog deselects none, nothing is dropped.
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
    from collections.abc import Iterator


class LeanRecordOutput(Stream):
    """Mixin for streams: root-only conformance, and no selection walk when all is selected."""

    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.ROOT_ONLY

    @cached_property
    def _selects_every_property(self) -> bool:
        return all(self.mask.values())

    def _generate_record_messages(self, record: dict[str, Any]) -> Iterator[singer.RecordMessage]:
        # Overrides the SDK's private hook (pinned to singer-sdk 0.54): the same steps
        # as its own, without `pop_deselected_record_properties`, which copies and
        # visits every nested dict of every record even when it has nothing to remove.
        if not self._selects_every_property:
            yield from super()._generate_record_messages(record)
            return
        record = conform_record_data_types(stream_name=self.name, record=record, schema=self.effective_schema,
                                           level=self.TYPE_CONFORMANCE_LEVEL, logger=self.logger)
        for stream_map in self.stream_maps:
            mapped = stream_map.transform(record)
            if mapped is not None:
                yield singer.RecordMessage(stream=stream_map.stream_alias, record=mapped,
                                           version=self._stream_version, time_extracted=utc_now())
