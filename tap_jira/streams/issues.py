"""The issues stream: window -> source -> batches -> emit -> advance.

The search itself is plain code in `tap_jira.search`; the children are completed
in `tap_jira.children` and handed to the child streams through the run's
`ChildHandoff`.
"""

from __future__ import annotations

import copy
import json
import sqlite3
import uuid
from functools import cached_property
from typing import TYPE_CHECKING, Any

from typing_extensions import override

from .. import field_names, field_types, jql, timestamps, validation
from ..children import batches, children_to_read, collect_children
from ..children.batch import BATCHES_AHEAD
from ..children.fetch import ChildFetcher
from ..children.inline import issue_fields, strip_envelopes
from ..deletes.tracker import CENSUS_KEY, LINEAGE_KEY, WORKLOGS_KEY, DeleteTracker
from ..errors import ConfigError
from ..read_ahead import read_ahead
from ..sdk_private import mark_state_changed, sync_children_now
from ..search import window
from ..search.cloud import CloudSearch, updated_utc
from ..search.datacenter import DataCenterSearch
from ..search.recovery import read_one_by_one
from .base import JiraStream

if TYPE_CHECKING:
    from collections.abc import Iterable

    from singer_sdk.helpers.types import Context
    from singer_sdk.singerlib import Catalog

CHILD_WINDOW_KEY = window.CHILD_WINDOW_KEY
COLUMNS_KEY = "custom_field_columns"  # in the stream's STATE: field id -> the column first written


class IssuesStream(JiraStream):
    """Cloud: issue ids from ``/search/jql``, full issues by bulk fetch on a few
    threads.  Server/Data Center: ``/search`` with startAt/total."""

    name = "issues"
    JSON_RECORDS = True  # decoded JSON and text (see LeanRecordOutput)
    path = "/search/jql"  # never paged by the SDK: the search sources (tap_jira.search) choose the endpoint
    primary_keys = ("id",)
    replication_key = "updated"
    is_sorted = True  # the JQL orders by updated ASC, so STATE can advance per record
    # The window starts before the bookmark on purpose (the bookmark's own minute, and
    # child streams' older windows), so early records may sit below it; ascending
    # order still moves the bookmark only past written records.
    check_sorted = False
    STATE_MSG_FREQUENCY = 1000  # resumable every 1000 issues, not the SDK's 10000
    _children_synced = 0  # the last batch number the child streams were synced for

    _catalog_schema: dict[str, Any] | None = None  # the schema of a catalog given to the sync

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._withheld: set[str] = set()  # named columns not filled this run (see _check_renames)
        self._deletes: DeleteTracker | None = None

    @override
    def apply_catalog(self, catalog: Catalog) -> None:
        super().apply_catalog(catalog)
        if entry := catalog.get_stream(self.name):
            self._catalog_schema = entry.schema.to_dict()

    @property
    def schema(self) -> dict[str, Any]:  # type: ignore[override]
        """A given catalog's schema (the SDK prunes records by this property too), else what
        discovery finds."""
        return self._catalog_schema if self._catalog_schema is not None else self.discovered_schema

    @cached_property
    def discovered_schema(self) -> dict[str, Any]:
        """The shipped schema with every field of this site typed (one `/field` call)."""
        schema = copy.deepcopy(self.shipped_schema)
        try:
            validation.check(self.config)
        except ConfigError as error:  # discovery does not validate (the SDK's rule): it needs no config
            self.logger.warning("Custom fields are not typed in this catalog: %s (discovery reads them from "
                                "Jira's /field once the config is valid)", error)
            return schema
        fields = self.site_fields
        field_types.complete_schema(schema, fields, cloud=self.site.cloud)
        declared = schema["properties"]["fields"]["properties"]
        pinned = self.run.settings.custom_field_columns
        columns = field_names.choose_columns(fields, pinned)
        by_id = {str(field["id"]): field for field in fields}
        for field_id, column in columns.items():
            schema["properties"][column] = field_names.named_property(by_id[field_id], declared[field_id])
        self._log_shared_names(fields, columns)
        for field_id in sorted(set(pinned) - set(columns)):
            self.logger.warning("custom_field_columns names %s, which is no custom field of this site: ignored",
                                field_id)
        return schema

    @cached_property
    def site_fields(self) -> list[dict[str, Any]]:
        """The site's fields (`GET /field`, read once however many uses need it)."""
        answer = self.run.client.request("GET", "/field", stream=self.name)
        return [f for f in answer if isinstance(f, dict) and f.get("id")] if isinstance(answer, list) else []

    @cached_property
    def shipped_schema(self) -> dict[str, Any]:
        """issues.json as shipped, before discovery adds the site's fields."""
        return super().schema

    def _log_shared_names(self, fields: list[dict[str, Any]], columns: dict[str, str]) -> None:
        names: dict[str, list[str]] = {}
        for field in fields:
            if field["id"] in columns:
                names.setdefault(str(field.get("name")), []).append(str(field["id"]))
        for name, ids in names.items():
            if len(ids) > 1:
                self.logger.info("%d custom fields are named %r: %s (pin other names with custom_field_columns)",
                                 len(ids), name, ", ".join(f"{i} -> {columns[i]}" for i in ids))

    @cached_property
    def named_columns(self) -> dict[str, tuple[str, bool]]:
        """Column -> (field id, as JSON text): the custom fields the catalog names, each filled
        from the field its description ends with.  A column whose description was replaced
        (Meltano's `schema` extra does that) is looked up by name instead, at one `/field` call."""
        schema = self.effective_schema
        found = field_names.columns_in(schema)
        unknown = [column for column in schema.get("properties") or {}
                   if column not in self.shipped_schema["properties"] and column not in found]
        if unknown:
            found.update(self._columns_by_name(unknown))
        return found

    def _columns_by_name(self, unknown: list[str]) -> dict[str, tuple[str, bool]]:
        fields = self.site_fields
        by_column = {column: field_id for field_id, column in
                     field_names.choose_columns(fields, self.run.settings.custom_field_columns).items()}
        by_id = {str(f["id"]): f for f in fields}
        found = {}
        for column in unknown:
            if column in by_column:
                field = by_id[by_column[column]]
                prop = field_types.field_property(field, cloud=self.site.cloud)
                found[column] = (str(field["id"]), field_names.as_text(prop))
                self.logger.info("Column %s: its catalog description names no field (a schema override?); "
                                 "filled from %s, the field discovery names so", column, field["id"])
            else:
                self.logger.warning("Column %s of the issues catalog is no custom field of this site: it stays "
                                    "empty", column)
        return found

    @cached_property
    def typed_custom_fields(self) -> list[tuple[str, dict[str, Any], tuple[type, ...], bool]]:
        """(id, property, its Python types, whether a date-time) of each custom field the
        catalog types: their values are checked against it."""
        declared = (self.effective_schema["properties"].get("fields") or {}).get("properties") or {}
        return [(field_id, prop, field_types.python_types(prop), prop.get("format") == "date-time")
                for field_id, prop in declared.items() if field_id.startswith("customfield_") and prop.get("type")]

    @cached_property
    def _named_copies(self) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        """(column, field id) of the named columns copied as they are, and of the open
        fields' text columns."""
        filled = {column: found for column, found in self.named_columns.items() if column not in self._withheld}
        plain = [(column, field_id) for column, (field_id, text) in filled.items() if not text]
        as_text = [(column, field_id) for column, (field_id, text) in filled.items() if text]
        return plain, as_text

    @property
    def wanted_children(self) -> set[str]:
        return {child.name for child in self.child_streams if child.selected}

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        run, client = self.run, self.run.client
        self._check_renames(context)
        # Fixed for the whole run: the bookmark moves while records flow, but a page
        # token is only valid with the query that produced it.
        searched = self.search_window()
        now = run.clock.now()
        query = searched.query(run.settings.projects, run.settings.jql, now)
        self.logger.info("Issues JQL: %s", query)
        run.children.ceiling = lambda: searched.ceiling(run.clock.now())
        wanted = children_to_read(self.wanted_children)
        fields = issue_fields(wanted)
        expand = ["changelog"] if "changelogs" in wanted else []
        source: CloudSearch | DataCenterSearch
        if self.site.cloud:
            full_load = any(bookmark.value is None for bookmark in self.bookmarks())
            source = CloudSearch(client, query, fields, expand, run.settings.max_workers, searched.end or now,
                                 full_load=full_load)
        else:
            source = DataCenterSearch(client, query, fields, expand)
        fetcher = ChildFetcher(client)
        self._deletes = self._delete_tracker(context)

        def children_of(issues: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
            return collect_children(issues, wanted, fetcher) if issues else {}

        # The next batches (issues and children) are fetched while this one is written.
        for issues, children in read_ahead(batches(source.issues(), wanted, children_of), ahead=BATCHES_AHEAD,
                                           name="issue-batches"):
            yield from self._emit_batch(issues, children.result())
        missed = read_one_by_one(client, source.missed(), fields, expand)
        yield from self._emit_batch(missed, children_of(missed))
        fetcher.close()
        if self._deletes is not None:
            scope = jql.incremental_issue_query(window.EPOCH, searched.zone, run.settings.projects, run.settings.jql)
            yield from self._emit_deletes(self._deletes, scope, context)
        self._advance_to_window_end(searched, context)

    def _delete_tracker(self, context: Context | None) -> DeleteTracker | None:
        state = self.get_context_state(context)
        if not isinstance(state.get(LINEAGE_KEY), str):
            state[LINEAGE_KEY] = uuid.uuid4().hex
        try:
            return DeleteTracker(self.run.client, self.run.settings, self.wanted_children, state[LINEAGE_KEY])
        except (OSError, RuntimeError, sqlite3.Error) as error:  # RuntimeError: an unknown ~user
            self.logger.warning("Deletes of issues, comments, links and sprint memberships are not tracked this run: "
                                "the store cannot be opened (%s); set config key `deletes_store_dir` to a writable "
                                "directory", error)
            return None

    def _stop_tracking(self, error: sqlite3.Error) -> None:
        """A store that fails mid-run (a full disk, a locked file): deletes wait, the run goes on."""
        self.logger.warning("Deletes are not tracked for the rest of this run: the store failed (%s); set config key "
                            "`deletes_store_dir` to a writable directory with room", error)
        self._deletes = None

    def _emit_deletes(self, deletes: DeleteTracker, scope: str, context: Context | None) -> Iterable[dict[str, Any]]:
        """The run's tombstones: children's first (handed to the child streams as one last
        batch), then the issues'.  Bookmarks move only once they are out."""
        worklogs = next((child for child in self.child_streams if child.name == "worklogs" and child.selected), None)
        state = self.get_context_state(context)
        try:
            found = deletes.at_end(scope, state, worklogs.stream_state if worklogs else None)
        except sqlite3.Error as error:
            self._stop_tracking(error)
            return
        moves = {"worklogs": {WORKLOGS_KEY: found.worklogs_since}} if found.worklogs_since is not None else {}
        if any(found.children.values()) or moves:
            self.run.children.publish(found.children, {}, "", moves)
            self._children_synced = self.run.children.batch.number
            sync_children_now(self, {"batch": self._children_synced})
        yield from found.issues
        try:
            deletes.finish()
        except sqlite3.Error as error:
            self._stop_tracking(error)
            return
        if found.census_at:
            state[CENSUS_KEY] = found.census_at
            mark_state_changed(self)

    def _check_renames(self, context: Context | None) -> None:
        """STATE keeps the column each field was first written to: a field renamed in Jira
        moves to a new column at rediscovery, and that is said every run until a pin in
        `custom_field_columns` settles it."""
        if not self.named_columns:
            return
        state = self.get_context_state(context)
        saved = state.get(COLUMNS_KEY)
        # The tap's own memory, not a bookmark: a value of another shape is started afresh.
        first_written = {str(k): v for k, v in saved.items() if isinstance(v, str)} if isinstance(saved, dict) else {}
        pinned = self.run.settings.custom_field_columns
        for field_id, before, now in field_names.renames(self.named_columns, first_written):
            if field_id in pinned:
                first_written[field_id] = now
                continue
            self.logger.warning(
                "Custom field %s moved from column %s to %s (renamed in Jira, or an older field took its name, "
                "since %s was first written): %s gets no new values from it. Keep the old column with "
                "custom_field_columns %s, or take the new one with %s, and discover again", field_id, before, now,
                before, before, json.dumps({field_id: before}), json.dumps({field_id: now}))
        owners = {column: field_id for field_id, column in first_written.items()}
        for column, (field_id, _) in self.named_columns.items():
            owner = owners.get(column, field_id)
            if owner != field_id and field_id not in pinned:
                self._withheld.add(column)  # a column never changes meaning behind the user's back
                self.logger.warning(
                    "Column %s was first written for custom field %s; the catalog now fills it from %s (a rename "
                    "gave it that name): it is left empty so that it keeps its meaning. Pin the columns with "
                    "custom_field_columns, e.g. %s, and discover again", column, owner, field_id,
                    json.dumps({owner: column, field_id: f"{column}_{field_id.rsplit('_', 1)[-1]}"}))
        for column, (field_id, _) in self.named_columns.items():
            first_written.setdefault(field_id, column)
        state[COLUMNS_KEY] = first_written

    def search_window(self) -> window.SearchWindow:
        """Raises StateError (or ConfigError) if a bookmark the search starts from lies
        ahead of Jira's clock; costs the `/myself` call every run makes anyway."""
        client, settings = self.run.client, self.run.settings
        zone = client.profile_zone  # first: reading it is the run's first request, which sets Jira's clock
        return window.plan(self.bookmarks(), start_date=settings.start_date, lookback_minutes=settings.lookback_minutes,
                           lag_minutes=settings.search_lag_minutes, now=self.run.clock.now(), zone=zone)

    def bookmarks(self) -> list[window.Bookmark]:
        """The bookmarks of the selected streams this search feeds.  The SDK computes a
        child's starting value only when the child's own sync begins, which is after
        this search; so its state is read here (read only)."""
        found = [window.Bookmark(self.name, "replication_key_value", self.stream_state.get("replication_key_value"))
                 ] if self.selected else []
        for child in self.child_streams:
            if child.selected:
                key = CHILD_WINDOW_KEY if child.stream_state.get(CHILD_WINDOW_KEY) else "replication_key_value"
                found.append(window.Bookmark(child.name, key, child.stream_state.get(key)))
        return found

    def _emit_batch(self, issues: list[dict[str, Any]],
                    children: dict[str, list[dict[str, Any]]]) -> Iterable[dict[str, Any]]:
        """The batch's children are published before any of its issues is emitted: the
        SDK syncs the child streams at the batch's first issue, before that issue is
        written, so STATE never passes an issue whose children are not out yet."""
        if not issues:
            return
        high_water = min(max(updated_utc(issue) for issue in issues), self.bookmark_ceiling() or "")
        if self._deletes is not None:
            try:
                self._deletes.after_batch(issues, children)
            except sqlite3.Error as error:
                self._stop_tracking(error)
        self.run.children.publish(children, {str(issue["id"]): str(issue.get("key")) for issue in issues},
                                  high_water)
        issues.reverse()  # hand issues over from the end, so each is freed once written
        while issues:
            yield issues.pop()

    @override
    def generate_child_contexts(self, record: dict[str, Any], context: Context | None) -> Iterable[Context]:
        batch = self.run.children.batch.number
        if self._children_synced != batch:
            self._children_synced = batch
            yield {"batch": batch}

    @override
    def bookmark_ceiling(self) -> str | None:
        return self.run.children.bookmark_ceiling()

    def _advance_to_window_end(self, searched: window.SearchWindow, context: Context | None) -> None:
        """Everything before the window's end has been read (and written: this runs after
        the last record), so the next run starts there even if nothing changed.  The
        child streams advance their own state from the hand-off."""
        if searched.end is None:
            return
        end = timestamps.format_utc(searched.end)
        self.run.children.searched_until = end
        if self.selected:
            state = self.get_context_state(context)
            if not state.get("replication_key_value") or timestamps.parse_setting(
                    state["replication_key_value"]) < searched.end:
                state["replication_key_value"] = end
                state["replication_key"] = self.replication_key
            mark_state_changed(self)

    @override
    def post_process(self, row: dict[str, Any], context: Context | None = None) -> dict[str, Any] | None:
        # Jira occasionally omits `updated`; fall back to `created` so the row still lands.
        # Jira sent neither, or something that is no timestamp: the issue is still emitted,
        # `fields` as Jira sent it and the top-level `updated` null, and moves no bookmark.
        row["updated"] = updated_utc(row) or None
        fields = row.get("fields") or {}
        stamp = fields.get("updated") or fields.get("created")
        if row["updated"] is None and stamp:
            self.logger.warning("Issue %s: `updated` %r is not a timestamp; it is emitted as Jira sent it "
                                "(fields.updated), with the top-level `updated` null", row.get("key"), stamp)
        strip_envelopes(row)
        self._conform_custom_fields(row)
        return row

    @override
    def add_unconformed(self, record: dict[str, Any]) -> None:
        """The named columns: copies of custom fields, conformed in `fields` already."""
        fields: dict[str, Any] = record["fields"] if isinstance(record.get("fields"), dict) else {}
        plain, as_text = self._named_copies
        for column, field_id in plain:
            record[column] = fields.get(field_id)
        for column, field_id in as_text:
            record[column] = field_names.column_value(fields.get(field_id), open_field=True)
        for column in self._withheld:
            record[column] = None

    def _conform_custom_fields(self, row: dict[str, Any]) -> None:
        """Values a loader can take for the types the catalog declares.  Date-times get the
        colon RFC 3339 wants in their offset; a value of another type than declared (a
        field whose type changed on the site since discovery) becomes null with a warning
        carrying the value, rather than stop a validating loader."""
        fields = row.get("fields")
        if not isinstance(fields, dict):
            return
        for field_id, prop, accepted, date_time in self.typed_custom_fields:
            value = original = fields.get(field_id)
            if value is None:
                continue
            if date_time and isinstance(value, str):
                fields[field_id] = value = timestamps.rfc3339(value)
            if value is None or not field_types.fits(value, accepted):
                self.logger.warning("Issue %s: field %s (%s) holds %r, not the %s the catalog declares; it is "
                                    "emitted as null. Run discovery again if the field's type changed",
                                    row.get("key"), field_id, prop.get("title"), original,
                                    prop.get("format") or prop.get("type"))
                fields[field_id] = None

