"""The tap: its settings, its streams, and the run they share."""

from __future__ import annotations

import logging
from functools import cached_property
from importlib.metadata import version
from typing import ClassVar

from singer_sdk import Stream
from singer_sdk.helpers.capabilities import CapabilitiesEnum, PluginCapabilities, TapCapabilities
from typing_extensions import override

from . import logs, prefetch, signals, validation
from .errors import ConfigError
from .run import RunContext
from .sdk_private import PrivateTapHooks
from .settings import CONFIG_SCHEMA, SECRET_KEYS
from .streams import STREAM_TYPES
from .streams.base import JiraStream, KeyedByDeployment
from .streams.issues import IssuesStream


class TapJira(PrivateTapHooks):
    """Singer tap for Jira."""

    name = "tap-jira"
    package_name = "tap-jira"
    config_jsonschema = CONFIG_SCHEMA
    # The SDK's msgspec writer encodes a wide issue several times faster than its
    # default simplejson writer; the lines are the same JSON (benchmarks/cpu.py).
    message_writer_class = signals.GuardedWriter
    # What the tap does and the tests show, no more: the SDK's default list also claims
    # batch and structured-logging, which this tap neither emits nor tests.
    capabilities: ClassVar[list[CapabilitiesEnum]] = [
        TapCapabilities.CATALOG,
        TapCapabilities.ACTIVATE_VERSION,  # full-table streams, at the end of each complete read
        TapCapabilities.STATE,
        TapCapabilities.DISCOVER,
        PluginCapabilities.ABOUT,
        PluginCapabilities.STREAM_MAPS,
        PluginCapabilities.FLATTENING,
    ]

    @cached_property
    def run(self) -> RunContext:
        """Built on first use: the SDK discovers streams inside its own __init__."""
        # The SDK's default User-Agent, which RESTStream sent before the client took over.
        return RunContext.build(self.config, self.metrics_logger, user_agent=f"singer-sdk/{version('singer-sdk')}")

    @override
    def check_config(self) -> None:
        validation.check(self.config)

    @override
    def install_signal_handlers(self) -> None:
        signals.install()

    @override
    def discover_streams(self) -> list[Stream]:
        # Both set here, at the SDK's first use of the config: discovery may call `/field`.
        for key in SECRET_KEYS:  # never logged, whatever logs them
            logs.redact_value(self.config.get(key))
        # A line per request and per partition buries what a person wants to follow
        # (435 lines for 10,000 issues); the progress lines and summary say it instead.
        if not self.run.settings.log_metrics and self.metrics_logger.getEffectiveLevel() > logging.DEBUG:
            self.metrics_logger.setLevel(logging.WARNING)
        streams: list[Stream] = [stream_type(self, self.run) for stream_type in STREAM_TYPES]
        for stream in streams:  # the SDK repeats these per board and per batch of issues
            stream.logger.addFilter(logs.FirstPartitionOnly())
        return streams

    @override
    def order_streams(self, streams: list[Stream]) -> list[Stream]:
        # Issues first: the small streams' pages are read beside the issue search
        # (prefetch.py), and a tree synced before it would hold the search back.
        return sorted(streams, key=lambda stream: stream.name != IssuesStream.name)

    @override
    def before_sync(self) -> None:
        # The SDK ignores catalog entries it has no stream for: say so instead of
        # succeeding without the data that was asked for.
        if self.input_catalog is not None:
            unknown = sorted(entry.tap_stream_id for entry in self.input_catalog.streams
                             if entry.metadata.root.selected and entry.tap_stream_id not in self.streams)
            if unknown:
                raise ConfigError(f"the catalog selects {', '.join(repr(name) for name in unknown)}, which tap-jira "
                                  f"does not have (its streams: {', '.join(sorted(self.streams))}); "
                                  "run discovery again")
        # A state bookmark ahead of Jira's clock is refused before any stream emits.
        issues = self.streams.get("issues")
        if isinstance(issues, IssuesStream) and (issues.selected or any(c.selected for c in issues.child_streams)):
            issues.search_window()
        # A catalog keyed for the other kind of Jira, refused before any stream emits.
        for stream in self.streams.values():
            if isinstance(stream, KeyedByDeployment) and (stream.selected or stream.has_selected_descendents):
                stream.check_keys()
        self.run.progress.start()

    @override
    def sync_starting(self) -> None:
        roots = prefetch.roots(stream for stream in self.streams.values() if isinstance(stream, JiraStream))
        if roots and self.run.settings.prefetch_small_streams:
            _ = self.run.client.myself  # the credentials, checked before the prefetch's threads use them
            self.run.prefetch.start(roots)

    @override
    def after_sync(self, *, failed: bool) -> None:
        self.run.prefetch.stop()
        self.run.progress.stop()
        # A failed run needs it most: what was written, and where the next run starts.
        self.run.progress.log_summary(self.state.get("bookmarks") or {}, failed=failed)
