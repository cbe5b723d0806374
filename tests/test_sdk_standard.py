"""singer-sdk's standard tap tests, run against the emulator on a real socket."""

from __future__ import annotations

import atexit

from singer_sdk.testing import SuiteConfig, get_tap_test_class

from jira_emulator import JiraEmulator
from tap_jira.tap import TapJira

# get_tap_test_class needs its config when the module is imported.
EMULATOR = JiraEmulator(seed=21, issues=80, projects=3, users=60).start()
atexit.register(EMULATOR.stop)

CONFIG = EMULATOR.config(start_date="2020-01-01T00:00:00Z")


def every_stream_selected() -> dict:
    """The SDK's dry run syncs every stream, so the catalog selects every one, the one
    not selected by default (board_issues) included, and each of its properties."""
    catalog = TapJira(config=CONFIG, validate_config=False).catalog_dict
    for stream in catalog["streams"]:
        for entry in stream["metadata"]:
            entry["metadata"]["selected"] = True
    return catalog


TestTapJira = get_tap_test_class(
    tap_class=TapJira,
    config=CONFIG,
    suite_config=SuiteConfig(),
    catalog=every_stream_selected(),
)
