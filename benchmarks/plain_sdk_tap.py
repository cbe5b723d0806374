"""tap-jira with singer-sdk's default record output, for comparison in benchmarks/cpu.py:
its simplejson writer, recursive type conformance, and the deselected-property walk.

    python -m benchmarks.plain_sdk_tap --config config.json --catalog catalog.json
"""

from singer_sdk import Stream
from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.io_base import SingerWriter

from tap_jira.cli import main
from tap_jira.sdk_private import LeanRecordOutput
from tap_jira.tap import TapJira

TapJira.message_writer_class = SingerWriter
LeanRecordOutput.TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.RECURSIVE
LeanRecordOutput._generate_record_messages = Stream._generate_record_messages  # type: ignore[method-assign]

if __name__ == "__main__":
    main()
