"""Fields, and the contexts and options of custom fields.

`fields` is one request.  Contexts cost one request per custom field (per 50
contexts), options one per context of a field that takes options (select, multi-select,
cascading select; per 100 options).  Both need Administer Jira: without it the first
403 skips the stream with one warning.  Server/Data Center has no REST endpoint for
them: skipped there with one info line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from typing_extensions import override

from .base import CloudOnly, ItemsMayVanish, SkippedWhenRefused
from .lookups import LookupStream
from .reference import PageBeanStream

if TYPE_CHECKING:
    from collections.abc import Iterable

    from singer_sdk.helpers.types import Context

OPTION_TYPES = ("option", "option-with-child")


def takes_options(schema: Any) -> bool:
    """Whether a field's values are options of a list its contexts define."""
    if not isinstance(schema, dict):
        return False
    kind = schema.get("type")
    return kind in OPTION_TYPES or (kind == "array" and schema.get("items") == "option")


class FieldsStream(LookupStream):
    """System and custom fields with their `schema` (type, items, custom plugin key)."""

    name = "fields"
    path = "/field"

    @override
    def generate_child_contexts(self, record: dict[str, Any], context: Context | None) -> Iterable[Context]:
        if record.get("custom") and record.get("id"):
            yield {"fieldId": str(record["id"]), "takesOptions": takes_options(record.get("schema"))}


class CustomFieldContextsStream(SkippedWhenRefused, ItemsMayVanish, CloudOnly, PageBeanStream):
    name = "custom_field_contexts"
    path = "/field/{fieldId}/context"
    primary_keys = ("id", "fieldId")  # context ids are unique per field only
    parent_stream_type = FieldsStream
    state_partitioning_keys = ()  # full table: nothing to keep per field

    @override
    def post_process(self, row: dict[str, Any], context: Context | None = None) -> dict[str, Any] | None:
        assert context is not None
        row["fieldId"] = context["fieldId"]
        return row

    @override
    def generate_child_contexts(self, record: dict[str, Any], context: Context | None) -> Iterable[Context]:
        assert context is not None
        if context["takesOptions"] and record.get("id") is not None:
            yield {"fieldId": context["fieldId"], "contextId": str(record["id"])}


class CustomFieldOptionsStream(SkippedWhenRefused, ItemsMayVanish, CloudOnly, PageBeanStream):
    name = "custom_field_options"
    path = "/field/{fieldId}/context/{contextId}/option"
    primary_keys = ("id", "fieldId", "contextId")
    parent_stream_type = CustomFieldContextsStream
    state_partitioning_keys = ()
    page_cap = 100
    # A select field of a Connect or Forge app keeps its options elsewhere.
    unserved = ("support options",)

    @override
    def post_process(self, row: dict[str, Any], context: Context | None = None) -> dict[str, Any] | None:
        assert context is not None
        row.update(fieldId=context["fieldId"], contextId=context["contextId"])
        return row
