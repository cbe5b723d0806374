"""tap-jira with singer-sdk's default record output, for comparison in benchmarks/cpu.py:
its simplejson writer, its record generation and the deselected-property walk.

Type conformance stays root-only, as the tap ships it: the SDK's recursive level stops
with KeyError 'properties' on an array of objects declared without `properties`
(singer-sdk 0.54.9, `_conform_uniform_list`), which is how the issues schema declares
them so that flattening keeps every key.

    python -m benchmarks.plain_sdk_tap --config config.json --catalog catalog.json
"""

from singer_sdk import Stream
from singer_sdk.io_base import SingerWriter

from tap_jira.cli import main
from tap_jira.sdk_private import LeanRecordOutput
from tap_jira.tap import TapJira

TapJira.message_writer_class = SingerWriter


def _sdk_record_messages(self, record):  # type: ignore[no-untyped-def]
    self.add_unconformed(record)  # the same records: the named custom-field columns are the tap's
    return Stream._generate_record_messages(self, record)


LeanRecordOutput._generate_record_messages = _sdk_record_messages  # type: ignore[method-assign]

if __name__ == "__main__":
    main()
