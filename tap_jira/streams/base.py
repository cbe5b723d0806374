"""The base stream: a singer-sdk REST stream whose every request goes through the run's JiraClient."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from singer_sdk import RESTStream
from singer_sdk.pagination import SinglePagePaginator
from singer_sdk.schema.source import SchemaDirectory, StreamSchema
from typing_extensions import override

from .. import logs, schemas
from ..auth.modes import is_datacenter_hint
from ..errors import ConfigError, JiraAPIError
from ..progress import Progress
from ..sdk_private import FullTableVersions, LeanRecordOutput
from ..site import JiraSite

if TYPE_CHECKING:
    from singer_sdk import Tap
    from singer_sdk.helpers.types import Context

    from ..run import RunContext

SCHEMAS = SchemaDirectory(schemas)


class JiraStream(FullTableVersions, LeanRecordOutput, RESTStream[Any]):
    """A Jira stream: Cloud REST v3 or Server/Data Center REST v2, whichever `site` says."""

    schema = StreamSchema(SCHEMAS)
    # Read at the start of the run, beside the issue search (prefetch.py): streams whose
    # `post_process` and `generate_child_contexts` have no side effects.
    prefetchable = False

    def __init__(self, tap: Tap, run: RunContext) -> None:
        self.run = run  # before the SDK's __init__, which may read the schema
        super().__init__(tap)
        self.logger.addFilter(logs.quiet_aborted_syncs)

    @property
    def site(self) -> JiraSite:
        return self.run.site

    @override
    def emits_versions(self) -> bool:
        # meltanolabs-target-postgres soft-deletes older versions with a bind parameter
        # named `version`, which fails on a table with a column of that name (server_info,
        # one row describing the site, where a delete means nothing anyway).
        return self.run.settings.emit_activate_version_messages and "version" not in self.schema["properties"]

    @property
    @override
    def emit_activate_version_messages(self) -> bool:
        return False  # the SDK's own, sent before the first record: FullTableVersions sends it at the end

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
        """The pages read ahead for this context, else the pages read now."""
        read_ahead = self.run.prefetch.take(self, context) if self.prefetchable else None
        if read_ahead is None:
            yield from self.read_pages(context)
        else:
            yield from read_ahead.result().replay()  # the rows, then any error that ended them

    def reads_pages_for(self, context: Context | None) -> bool:
        """Whether syncing this context requests pages (the prefetch asks before reading ahead)."""
        return True

    def read_pages(self, context: Context | None) -> Iterable[dict[str, Any]]:
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


class KeyedByDeployment(JiraStream):
    """A stream keyed differently on Data Center (no account or group ids there).
    Discovery makes no request, so the key comes from what the config says; a sync
    refuses a catalog whose key does not match the site it reads."""

    cloud_keys: tuple[str, ...] = ()
    datacenter_keys: tuple[str, ...] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.primary_keys = self.datacenter_keys if is_datacenter_hint(self.config) else self.cloud_keys

    @property
    def _expected_keys(self) -> tuple[str, ...]:
        return self.cloud_keys if self.site.cloud else self.datacenter_keys

    @property
    def _keyed_for_this_site(self) -> bool:
        return tuple(self.primary_keys or ()) == self._expected_keys

    def check_keys(self) -> None:
        """Refuses a catalog keyed for the other kind of Jira (before the run, and before reading)."""
        if not self._keyed_for_this_site:
            expected = self._expected_keys
            raise ConfigError(
                f"{self.name} are keyed by {' + '.join(f'`{k}`' for k in expected)} on this Jira but the catalog "
                f"keys them by {', '.join(self.primary_keys) or 'nothing'}: set config key `deployment_type` to "
                f"{'cloud' if self.site.cloud else 'datacenter'} and run discovery again")

    @override
    def reads_pages_for(self, context: Context | None) -> bool:
        return self._keyed_for_this_site and super().reads_pages_for(context)

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        self.check_keys()
        yield from super().get_records(context)


def is_refusal(error: BaseException) -> bool:
    """A 403, or the gateway's missing-scope 401: the account may not read this stream."""
    return isinstance(error, JiraAPIError) and (error.status == 403 or bool(error.missing_scope))


class SkippedWhenRefused(JiraStream):
    """A stream that needs a permission an ordinary account lacks (Administer Jira, Browse
    users and groups), or an OAuth 2.0 scope the tap does not ask for by default
    (manage:jira-configuration): a 403, or the gateway's missing-scope 401, skips it with
    one warning instead of failing the run; the stream's remaining parent contexts are
    skipped without asking again."""

    needs = "Administer Jira"
    _refused = False

    @override
    def reads_pages_for(self, context: Context | None) -> bool:
        return not self._refused and super().reads_pages_for(context)

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        if self._refused:
            return
        try:
            yield from super().get_records(context)
        except JiraAPIError as error:
            if not is_refusal(error):
                raise
            self._refused = self.read_incomplete = True
            self.run.prefetch.discard(self)
            below = [child.name for child in self.child_streams if child.selected]
            also = f" (and {', '.join(below)}, read through it)" if below else ""
            self.logger.warning("Skipping stream %s%s (it needs the %s permission): %s. The run goes on.",
                                self.name, also, self.needs, error)


class ItemsMayVanish(JiraStream):
    """A stream read once per parent (a project's versions, a field's contexts, a group's
    members, a board's projects): Jira answers 404 for a parent deleted since it was
    listed, or one this account may list but not open (`vanished`), and some 400s for
    parents the endpoint does not serve (`unserved`).  Such a parent is skipped with a
    warning naming it; the other parents are still read."""

    unserved: tuple[str, ...] = ()  # texts of Jira's 400 messages that mean "not for this parent"

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        try:
            yield from super().get_records(context)
        except JiraAPIError as error:
            gone = error.status == 404 or (error.status == 400 and any(text in str(error) for text in self.unserved))
            if not gone:
                raise
            # A parent the endpoint does not serve has no such items; one that answers 404
            # may be gone or merely closed to this account: no ACTIVATE_VERSION on that doubt.
            self.read_incomplete |= error.status == 404
            where = ", ".join(f"{key} {value}" for key, value in (context or {}).items()
                              if isinstance(value, str | int) and not isinstance(value, bool))
            self.logger.warning("Skipping stream %s%s: %s", self.name, f" for {where}" if where else "", error)


class CloudOnly(JiraStream):
    """A stream Server/Data Center has no endpoint for: skipped there with one info line."""

    _told_cloud_only = False  # once per stream, however many parent contexts it is synced for

    @override
    def reads_pages_for(self, context: Context | None) -> bool:
        return self.site.cloud and super().reads_pages_for(context)

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        if not self.site.cloud:
            self.read_incomplete = True
            if not self._told_cloud_only:
                self._told_cloud_only = True
                self.logger.info("Skipping stream %s: Jira Server/Data Center has no endpoint for it", self.name)
            return
        yield from super().get_records(context)
