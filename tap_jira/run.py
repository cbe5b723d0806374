"""What one run of the tap shares, built once by the tap and handed to every stream."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .api.client import JiraClient
from .children.handoff import ChildHandoff
from .prefetch import Prefetch
from .progress import Progress
from .settings import Settings
from .site import JiraSite
from .timestamps import JiraClock


@dataclass
class RunContext:
    settings: Settings
    clock: JiraClock  # Jira's clock, read from its `Date` headers
    progress: Progress  # this run's counters and progress lines
    client: JiraClient
    # The batch of issues whose children are being emitted (issues stream -> child streams).
    children: ChildHandoff = field(default_factory=ChildHandoff)
    # The small streams' pages, read while the issues are (prefetch.py).
    prefetch: Prefetch = field(default_factory=Prefetch)

    @classmethod
    def build(cls, config: Mapping[str, Any], metrics_logger: logging.Logger, user_agent: str) -> RunContext:
        settings = Settings.from_config(config)
        clock = JiraClock()
        progress = Progress(settings.progress_interval_seconds)
        return cls(settings, clock, progress, JiraClient(settings, clock, progress, metrics_logger, user_agent))

    @property
    def site(self) -> JiraSite:
        return self.client.site
