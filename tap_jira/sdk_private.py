"""Every override of a private or internal singer-sdk hook, in one module, each saying why.

The SDK is pinned (~=0.54.9), and tests/test_sdk_private.py fails loudly if an
upgrade renames, removes or re-signs any hook named in `PRIVATE_HOOKS`.  Everything
else in the tap uses public hooks only.

How records leave the tap: the SDK's own path, minus work that cannot change them.

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

No public hook does any of it.  The tap's own private overrides (`PrivateTapHooks`)
follow at the end.
"""

from __future__ import annotations

from datetime import datetime, timezone
from functools import cached_property
from typing import TYPE_CHECKING, Any

import singer_sdk.singerlib as singer
from singer_sdk import RESTStream, Stream, Tap
from singer_sdk.helpers import _typing
from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.streams import _state

if TYPE_CHECKING:
    from collections.abc import Generator

    from .progress import Progress

# (owner, name, its parameters) as this module relies on them; () for an attribute the
# owner sets (in its __init__, for a class).  Checked against the installed SDK by a test.
PRIVATE_HOOKS: tuple[tuple[Any, str, tuple[str, ...]], ...] = (
    (Stream, "_generate_record_messages", ("self", "record")),
    (Stream, "_write_schema_message", ("self",)),
    (Stream, "_increment_stream_state", ("self", "latest_record", "context")),
    (Stream, "_stream_version", ()),  # the RECORD messages' version; set for ACTIVATE_VERSION (FullTableVersions)
    (Stream, "_write_activate_version_message", ("self", "full_table_version")),
    # Syncs the child streams for a context; called directly when a parent has children
    # to hand on but no record of its own left to trigger it (deletes at a run's end).
    (Stream, "_sync_children", ("self", "child_context")),
    (_typing, "conform_record_data_types", ("stream_name", "record", "schema", "level", "logger")),
    (_state, "is_flushed", ()),  # StreamStateManager's flag: STATE changed since last written
    (Tap, "_validate_config", ("self", "raise_errors")),
    (Tap, "_setup_signal_handlers", ("self",)),
    (Tap, "sync_all", ("self",)),  # public, but final: overridden to run checks before and a summary after
    # Public, but final: sorts the streams by name, which is the order sync_all syncs them in.
    (Tap, "load_streams", ("self",)),
    # Public, but documented as internal ("should not need to be overridden"): called on
    # each selected child once its parent stream is done (FinalStateHook).
    (Stream, "finalize_state_progress_markers", ("self", "state")),
    # Public, replaced whole by streams/base.py (the SDK's paging loop, sent by JiraClient):
    # it must still be what get_records reads records from.
    (RESTStream, "request_records", ("self", "context")),
)


ID_KEYS = ("id", "issueId", "boardId", "originBoardId", "projectId")


class LeanRecordOutput(Stream):
    """Mixin for streams: root-only conformance, and no selection walk when all is selected."""

    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.ROOT_ONLY
    # Records made of decoded JSON and text the tap sets (no datetime, bytes or Decimal):
    # root conformance then only drops unknown properties and turns numbers in boolean
    # properties into booleans, which `_conform_json_root` does at a fraction of the cost.
    JSON_RECORDS = False
    _schema_written = False

    @property
    def records_progress(self) -> Progress | None:
        """The run's counters, which count each record written (streams set it)."""
        return None

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
        if latest_record.get("_sdc_deleted_at"):
            return  # a tombstone carries no replication value
        ceiling, key = self.bookmark_ceiling(), self.replication_key
        if ceiling and key and isinstance(latest_record.get(key), str) and latest_record[key] > ceiling:
            latest_record = {**latest_record, key: ceiling}  # the record itself keeps Jira's value
        super()._increment_stream_state(latest_record, context=context)

    @cached_property
    def _selects_every_property(self) -> bool:
        return all(self.mask.values())

    def add_unconformed(self, record: dict[str, Any]) -> None:
        """Add the root properties the stream copies from values already conformed (decoded
        JSON): conforming them again would change nothing and, on wide issues, cost a
        fifth of the CPU.  Runs after conformance when nothing is deselected, before the
        SDK's own path (which must see them to prune them) otherwise."""

    def _generate_record_messages(self, record: dict[str, Any]) -> Generator[singer.RecordMessage, None, None]:
        # Overrides the SDK's private hook (pinned to singer-sdk 0.54): the same steps
        # as its own, without `pop_deselected_record_properties`, which copies and
        # visits every nested dict of every record even when it has nothing to remove.
        self._coerce_ids(record)
        progress = self.records_progress
        if not self._selects_every_property:
            self.add_unconformed(record)
            for message in super()._generate_record_messages(record):
                if progress is not None:
                    progress.record(message.stream)  # what is written: after stream maps
                yield message
            return
        record = self._conform_json_root(record) if self.JSON_RECORDS else self._conform(record)
        self.add_unconformed(record)
        for stream_map in self.stream_maps:
            mapped = stream_map.transform(record)
            if mapped is not None:
                if progress is not None:
                    progress.record(stream_map.stream_alias)  # what is written: after stream maps
                yield singer.RecordMessage(stream=stream_map.stream_alias, record=mapped,
                                           version=self._stream_version,
                                           time_extracted=datetime.now(timezone.utc))


    def _conform(self, record: dict[str, Any]) -> dict[str, Any]:
        return _typing.conform_record_data_types(stream_name=self.name, record=record, schema=self.effective_schema,
                                                 level=self.TYPE_CONFORMANCE_LEVEL, logger=self.logger)

    @cached_property
    def _root_properties(self) -> tuple[frozenset[str], tuple[str, ...]]:
        """The schema's root properties, and those that may only hold a boolean (or null)."""
        properties = self.effective_schema.get("properties") or {}
        booleans = []
        for name, prop in properties.items():
            declared = prop.get("type") if isinstance(prop, dict) else None
            types = set(declared) if isinstance(declared, list) else {declared}
            if "boolean" in types and types <= {"boolean", "null"}:
                booleans.append(name)
        return frozenset(properties), tuple(booleans)

    def _conform_json_root(self, record: dict[str, Any]) -> dict[str, Any]:
        known, booleans = self._root_properties
        if not record.keys() <= known:
            return self._conform(record)  # the SDK drops them, and says so once
        for name in booleans:
            value = record.get(name)
            if value is not None and not isinstance(value, bool):
                record[name] = value != 0
        return record


class FinalStateHook(Stream):
    """`before_final_state` runs when the SDK finalizes the stream's state at the end of
    the sync (for a child stream: once its parent is done), before that STATE is written."""

    def finalize_state_progress_markers(self, state: dict | None = None) -> None:
        if state is None:
            self.before_final_state()
        super().finalize_state_progress_markers(state)

    def before_final_state(self) -> None:
        """A stream's last change to its own state."""


class FullTableVersions(FinalStateHook):
    """ACTIVATE_VERSION for a full-table stream, sent once its whole read is done and
    only then: loaders drop (or soft-delete) the rows of older versions when it comes.
    The SDK sends it before the first record instead, so a run that fails half-way
    would have removed every row not yet re-read; and it repeats it per partition.
    A stream that skipped a partition (`read_incomplete`) sends none: on doubt, no deletes;
    nor does one that never synced this run (its parent gave it nothing to read): a
    loader has no table open for it, and target-postgres stops on such a message."""

    read_incomplete = False

    def emits_versions(self) -> bool:
        return False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.replication_key and self.emits_versions():
            # Milliseconds: two runs in one second still get increasing versions.
            self._stream_version = int(datetime.now(timezone.utc).timestamp() * 1000)

    def before_final_state(self) -> None:
        super().before_final_state()
        for child in self.child_streams:  # finalized after this: a parent left out, so were its children
            if isinstance(child, FullTableVersions):
                child.read_incomplete |= self.read_incomplete
        synced = getattr(self, "_schema_written", False)  # LeanRecordOutput: SCHEMA went out this run
        if self._stream_version is not None and self.selected and synced and not self.read_incomplete:
            self._write_activate_version_message(self._stream_version)


def sync_children_now(stream: Stream, context: dict[str, Any]) -> None:
    stream._sync_children(context)


def mark_state_changed(stream: Stream) -> None:
    """Have the SDK write a STATE message at its next chance: a stream that changes its
    own state outside `_increment_stream_state` must say so (the SDK's flag is internal)."""
    stream.state_manager.is_flushed = False


class PrivateTapHooks(Tap):
    """The tap's private overrides: a one-line config error, the tap's own signal
    handling, the order streams are synced in, and a run framed by checks before it
    and a summary after it."""

    def sync_all(self) -> None:  # type: ignore[misc]  # final in the SDK, which has no hook before or after
        self.before_sync()
        failed = True
        try:
            self.sync_starting()
            super().sync_all()
            failed = False
        finally:
            self.after_sync(failed=failed)

    def load_streams(self) -> list[Stream]:  # type: ignore[misc]  # final in the SDK, which has no ordering hook
        return self.order_streams(super().load_streams())

    def order_streams(self, streams: list[Stream]) -> list[Stream]:
        """The order the streams are synced in (the SDK's: by name)."""
        return streams

    def before_sync(self) -> None:
        """Checks that must pass before any stream emits."""

    def sync_starting(self) -> None:
        """Runs just before the first stream, inside the run: a failure here is summed up by `after_sync`."""

    def after_sync(self, *, failed: bool) -> None:
        """Runs after the last stream, whether the run failed or not."""

    def _validate_config(self, *, raise_errors: bool = True) -> list[str]:
        # One line naming the key instead of the SDK's multi-line schema dump.
        # Discovery and --about pass raise_errors=False: they need no config.
        if raise_errors:
            self.check_config()
        return super()._validate_config(raise_errors=raise_errors)

    def _setup_signal_handlers(self) -> None:
        # The SDK's handler exits 0 and waits for workers; see signals.py.
        self.install_signal_handlers()

    def check_config(self) -> None:
        raise NotImplementedError

    def install_signal_handlers(self) -> None:
        raise NotImplementedError
