"""The base stream: a singer-sdk REST stream whose every request goes through the run's JiraClient."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from singer_sdk import RESTStream
from singer_sdk.pagination import SinglePagePaginator
from singer_sdk.schema.source import SchemaDirectory, StreamSchema
from typing_extensions import override

from .. import logs, schemas
from ..progress import Progress
from ..sdk_private import LeanRecordOutput
from ..site import JiraSite

if TYPE_CHECKING:
    from singer_sdk import Tap
    from singer_sdk.helpers.types import Context

    from ..run import RunContext

SCHEMAS = SchemaDirectory(schemas)


class JiraStream(LeanRecordOutput, RESTStream[Any]):
    """A Jira stream: Cloud REST v3 or Server/Data Center REST v2, whichever `site` says."""

    schema = StreamSchema(SCHEMAS)

    def __init__(self, tap: Tap, run: RunContext) -> None:
        self.run = run  # before the SDK's __init__, which may read the schema
        super().__init__(tap)
        self.logger.addFilter(logs.quiet_aborted_syncs)

    @property
    def site(self) -> JiraSite:
        return self.run.site

    @property
    @override
    def url_base(self) -> str:
        """The platform REST API, whatever API family the stream itself pages."""
        return self.site.rest

    @property
    @override
    def records_progress(self) -> Progress:
        return self.run.progress

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        _ = self.run.client.myself  # fail fast on bad credentials, before any stream emits
        yield from super().get_records(context)

    @override
    def request_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        """The SDK's paging loop, sent by the run's client (its retries, errors, pacing
        and metrics) instead of the stream's own session."""
        paginator = self.get_new_paginator() or SinglePagePaginator()

        def page(token: Any) -> tuple[Any, Any]:
            return self.get_url_params(context, token), self.prepare_request_payload(context, token)

        with self.get_http_request_counter() as pages:  # the SDK's `http_request_count` metric
            pages.with_context(context)
            for response in self.run.client.paginate(self.http_method, self.get_url(context), paginator, page,
                                                     stream=self.name):
                pages.increment()
                yield from self.parse_response(response)
