"""The tap: its settings and its streams."""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from singer_sdk import Stream, Tap
from singer_sdk.helpers.capabilities import CapabilitiesEnum, PluginCapabilities, TapCapabilities

from . import config as settings
from . import logs, signals
from .errors import ConfigError
from .progress import Progress
from .streams import STREAM_TYPES
from .streams.issues import IssuesStream


class TapJira(Tap):
    """Singer tap for Jira."""

    name = "tap-jira"
    package_name = "tap-jira"
    config_jsonschema = settings.CONFIG_SCHEMA
    # The SDK's msgspec writer encodes a wide issue several times faster than its
    # default simplejson writer; the lines are the same JSON (benchmarks/cpu.py).
    message_writer_class = signals.GuardedWriter
    # What the tap does and the tests show, no more: the SDK's default list also claims
    # activate-version, batch and structured-logging, which this tap neither emits nor tests.
    capabilities: ClassVar[list[CapabilitiesEnum]] = [
        TapCapabilities.CATALOG,
        TapCapabilities.STATE,
        TapCapabilities.DISCOVER,
        PluginCapabilities.ABOUT,
        PluginCapabilities.STREAM_MAPS,
        PluginCapabilities.FLATTENING,
    ]
    # `/myself` of the token owner, read once per run by the first stream that syncs.
    jira_myself: dict[str, Any] | None = None
    # Built by the first stream that needs them; see JiraStream.authenticator and .site.
    jira_auth: Any = None
    jira_site: Any = None
    jira_pacer: Any = None
    jira_clock: Any = None
    jira_progress: Progress | None = None  # this run's counters, set by sync_all

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for key in settings.SECRET_KEYS:  # never logged, whatever logs them
            logs.redact_value(self.config.get(key))
        # A line per request and per partition buries what a person wants to follow
        # (435 lines for 10,000 issues); the progress lines and summary say it instead.
        if not self.config.get("log_metrics") and self.metrics_logger.getEffectiveLevel() > logging.DEBUG:
            self.metrics_logger.setLevel(logging.WARNING)

    def _setup_signal_handlers(self) -> None:
        # The SDK's handler exits 0 and waits for workers; see signals.py.
        signals.install()

    def discover_streams(self) -> list[Stream]:
        streams: list[Stream] = [stream_type(self) for stream_type in STREAM_TYPES]
        for stream in streams:  # the SDK repeats these per board and per batch of issues
            stream.logger.addFilter(logs.FirstPartitionOnly())
        return streams

    def _validate_config(self, *, raise_errors: bool = True) -> list[str]:
        # One line naming the key instead of the SDK's multi-line schema dump.
        # Discovery and --about pass raise_errors=False: they need no config.
        if raise_errors:
            settings.check(self.config)
        return super()._validate_config(raise_errors=raise_errors)

    def sync_all(self) -> None:  # type: ignore[misc]  # final in the SDK; the checks must run first
        # The SDK ignores catalog entries it has no stream for: say so instead of
        # succeeding without the data that was asked for.
        if self.input_catalog is not None:
            unknown = sorted(entry.tap_stream_id for entry in self.input_catalog.streams
                             if entry.metadata.root.selected and entry.tap_stream_id not in self.streams)
            if unknown:
                raise ConfigError(f"the catalog selects {', '.join(repr(name) for name in unknown)}, which tap-jira "
                                  f"does not have (its streams: {', '.join(sorted(self.streams))}); "
                                  "run discovery again")
        interval = self.config.get("progress_interval_seconds", settings.DEFAULT_PROGRESS_INTERVAL)
        self.jira_progress = progress = Progress(float(interval))  # before the first request
        # A state bookmark ahead of Jira's clock is refused before any stream emits.
        issues = self.streams.get("issues")
        if isinstance(issues, IssuesStream) and (issues.selected or any(c.selected for c in issues.child_streams)):
            issues.check_bookmarks()
        progress.start()
        failed = True
        try:
            super().sync_all()
            failed = False
        finally:
            progress.stop()
            # A failed run needs it most: what was written, and where the next run starts.
            progress.log_summary(self.state.get("bookmarks") or {}, failed=failed)
