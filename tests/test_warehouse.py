"""Into real warehouses: the tap's output loaded by target-duckdb and meltanolabs-target-postgres.

Two runs against one emulator: a full load, then edits (a changed summary, a new comment,
an edited comment, a new issue) and an incremental run resumed from the first run's STATE.
Each loader's tables are then read back with SQL.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from jira_emulator import JiraEmulator
from tests.conftest import loader, run_tap
from tests.warehouse import (
    RENAMED,
    SCHEMA,
    duckdb_config,
    duckdb_query,
    edit_between_runs,
    emitted_keys,
    key_columns,
    last_records,
    load,
    readme_queries,
)

LOADERS = ("duckdb", "postgres")


def utc(value: str | None) -> datetime | None:
    """How both loaders store the tap's UTC date-times: naive timestamps in UTC."""
    return None if value is None else datetime.fromisoformat(value).astimezone(timezone.utc).replace(tzinfo=None)


def adf_text(document: dict[str, Any]) -> str:
    return document["content"][0]["content"][0]["text"]


def column(name: str) -> Check:
    """A top-level property that both loaders store as a plain column of its own type."""
    return (name, f'"{name}"', f'"{name}"', lambda r: r.get(name))


# Per stream, values that must come back from the warehouse exactly as the tap emitted them:
# (label, DuckDB expression, PostgreSQL expression, the same value from the record).
Check = tuple[str, str, str, Callable[[dict[str, Any]], Any]]
ROUND_TRIPS: dict[str, list[Check]] = {
    "issues": [
        ("status name", "fields->>'$.status.name'", "fields #>> '{status,name}'",
         lambda r: r["fields"]["status"]["name"]),
        ("summary", "fields->>'$.summary'", "fields #>> '{summary}'", lambda r: r["fields"]["summary"]),
        ("key", "key", "key", lambda r: r["key"]),
        ("updated (UTC)", "updated", "updated", lambda r: utc(r["updated"])),
    ],
    "comments": [
        ("ADF text", "body->>'$.content[0].content[0].text'", "body #>> '{content,0,content,0,text}'",
         lambda r: adf_text(r["body"])),
        ("issueId", '"issueId"', '"issueId"', lambda r: r["issueId"]),
        ("updated (UTC)", "updated", "updated", lambda r: utc(r["updated"])),
    ],
    "worklogs": [
        ("timeSpentSeconds", '"timeSpentSeconds"', '"timeSpentSeconds"', lambda r: r["timeSpentSeconds"]),
        ("started (UTC)", "started", "started", lambda r: utc(r["started"])),
    ],
    "changelogs": [
        ("first item's field", "items->>'$[0].field'", "items[1] ->> 'field'", lambda r: r["items"][0]["field"]),
        ("created (UTC)", "created", "created", lambda r: utc(r["created"])),
    ],
    "projects": [("key", "key", "key", lambda r: r["key"]), ("name", "name", "name", lambda r: r["name"])],
    "users": [("displayName", '"displayName"', '"displayName"', lambda r: r["displayName"])],
    "resolutions": [("name", "name", "name", lambda r: r["name"])],
    "boards": [("name", "name", "name", lambda r: r["name"]), ("type", "type", "type", lambda r: r["type"])],
    "sprints": [("name", "name", "name", lambda r: r["name"]),
                ("startDate (UTC)", '"startDate"', '"startDate"', lambda r: utc(r.get("startDate")))],
    "issue_types": [("name", "name", "name", lambda r: r["name"]),
                    ("hierarchyLevel", '"hierarchyLevel"', '"hierarchyLevel"', lambda r: r["hierarchyLevel"])],
    "statuses": [("name", "name", "name", lambda r: r["name"]),
                 ("category key", """"statusCategory"->>'$.key'""", """"statusCategory" #>> '{key}'""",
                  lambda r: r["statusCategory"]["key"])],
    "status_categories": [("key", "key", "key", lambda r: r["key"]), ("name", "name", "name", lambda r: r["name"])],
    "priorities": [("name", "name", "name", lambda r: r["name"]),
                   ("statusColor", '"statusColor"', '"statusColor"', lambda r: r["statusColor"])],
    "fields": [("name", "name", "name", lambda r: r["name"]),
               ("schema type", """"schema"->>'$.type'""", """"schema" #>> '{type}'""",
                lambda r: (r.get("schema") or {}).get("type"))],
    "issue_field_history": [column("field"), column("fromString"), column("toValue"), column("authorAccountId"),
                            ("created (UTC)", "created", "created", lambda r: utc(r["created"]))],
    "issue_multiselect_history": [column("field"), column("value"), column("valueString"), column("valueIndex"),
                                  ("created (UTC)", "created", "created", lambda r: utc(r["created"]))],
    "issue_links": [column("inwardIssueKey"), column("outwardIssueKey"), column("typeName")],
    "sprint_issues": [column("sprintName"), column("issueKey"),
                      ("issueUpdated (UTC)", '"issueUpdated"', '"issueUpdated"', lambda r: utc(r["issueUpdated"]))],
    "project_versions": [column("name"), column("released"), column("projectId")],
    "project_components": [column("name"), column("issueCount")],
    "groups": [column("name")],
    "group_members": [column("groupName"), column("displayName"), column("active")],
    "board_projects": [column("key"), column("name")],
    "custom_field_contexts": [column("name"), column("isGlobalContext")],
    "custom_field_options": [column("value"), column("optionId")],
    "project_categories": [column("name"), column("description")],
    "project_types": [column("formattedKey"), column("color")],
    "project_roles": [column("name"), column("description")],
    "issue_link_types": [column("inward"), column("outward")],
    "server_info": [column("version"), ("serverTime (UTC)", '"serverTime"', '"serverTime"',
                                         lambda r: utc(r["serverTime"]))],
    "cloud_instances": [column("url"), column("current")],
}
class Warehouse:
    """One loader's tables, read back with its own SQL dialect."""

    def __init__(self, kind: str, query: Callable[[str], list[tuple[Any, ...]]]):
        self.kind, self.query = kind, query

    def count(self, stream: str) -> int:
        return self.query(f"SELECT count(*) FROM {SCHEMA}.{stream}")[0][0]

    def duplicate_keys(self, stream: str) -> list[tuple[Any, ...]]:
        keys = ", ".join(key_columns(stream))
        return self.query(f"SELECT {keys}, count(*) FROM {SCHEMA}.{stream} GROUP BY {keys} HAVING count(*) > 1")

    def values(self, stream: str, check: Check) -> dict[tuple[str, ...], Any]:
        expression = check[1] if self.kind == "duckdb" else check[2]
        rows = self.query(f"SELECT {', '.join(key_columns(stream))}, {expression} FROM {SCHEMA}.{stream}")
        return {tuple(str(v) for v in row[:-1]): row[-1] for row in rows}


@pytest.fixture(scope="module")
def synced(tmp_path_factory, postgres):
    """Both loads into both warehouses; returns what each held after each run."""
    work = tmp_path_factory.mktemp("warehouse")
    targets = {"duckdb": loader("target-duckdb"), "postgres": loader("target-postgres")}
    database = work / "warehouse.duckdb"
    configs = {"duckdb": duckdb_config(database), "postgres": postgres.target_config()}
    warehouses = {"duckdb": Warehouse("duckdb", lambda sql: duckdb_query(database, sql)),
                  "postgres": Warehouse("postgres", postgres.query)}
    runs: list[dict[str, Any]] = []
    with JiraEmulator(seed=13, issues=300, projects=4, users=60) as emulator:
        site = emulator.site
        config = emulator.config("basic")
        state = None
        for number in (1, 2):
            if number == 2:
                edit_between_runs(site)
            tap = run_tap(work / f"tap{number}", config, state=state)
            assert tap.returncode == 0, tap.stderr[-3000:]
            messages = work / f"messages{number}.jsonl"
            messages.write_text(tap.stdout)
            for kind in LOADERS:
                load(targets[kind], configs[kind], messages, work / f"{kind}{number}")
            runs.append({"messages": messages, "truth": site.record_counts(),
                         "counts": {kind: {s: warehouses[kind].count(s) for s in ROUND_TRIPS} for kind in LOADERS}})
            state = tap.final_state
            site.clock_offset = timedelta(hours=1)  # time passes before the next run
        yield {"runs": runs, "warehouses": warehouses, "site": site}


@pytest.mark.parametrize("kind", LOADERS)
def test_every_stream_holds_one_row_per_key_the_tap_emitted(synced, kind):
    first = synced["runs"][0]
    keys = emitted_keys(first["messages"])
    assert set(keys) == set(ROUND_TRIPS)
    loaded = first["counts"][kind]
    assert loaded == {stream: len(keys[stream]) for stream in ROUND_TRIPS}
    assert loaded == {stream: first["truth"][stream] for stream in ROUND_TRIPS}  # and that is every record


@pytest.mark.parametrize("kind", LOADERS)
def test_an_incremental_run_with_edits_upserts_without_duplicates(synced, kind):
    first, second = synced["runs"]
    warehouse = synced["warehouses"][kind]
    keys_first, keys_second = emitted_keys(first["messages"]), emitted_keys(second["messages"])
    assert 0 < len(keys_second["issues"]) < len(keys_first["issues"])  # the second run was incremental
    for stream in ROUND_TRIPS:
        assert warehouse.duplicate_keys(stream) == [], stream
        union = keys_first.get(stream, set()) | keys_second.get(stream, set())
        assert second["counts"][kind][stream] == len(union), stream
    assert second["counts"][kind]["issues"] == first["counts"][kind]["issues"] + 1  # the new issue
    assert second["counts"][kind]["comments"] == first["counts"][kind]["comments"] + 1


@pytest.mark.parametrize("kind", LOADERS)
@pytest.mark.parametrize("stream", list(ROUND_TRIPS))
def test_values_round_trip_exactly(synced, kind, stream):
    """Every row holds its last emitted record's values: edits included, nothing altered."""
    first, second = synced["runs"]
    expected = last_records(first["messages"]).get(stream, {})
    expected.update(last_records(second["messages"]).get(stream, {}))
    for check in ROUND_TRIPS[stream]:
        loaded = synced["warehouses"][kind].values(stream, check)
        assert loaded == {key: check[3](record) for key, record in expected.items()}, check[0]


@pytest.mark.parametrize("kind", LOADERS)
def test_edits_and_relations_survive_the_upserts(synced, kind):
    query, site = synced["warehouses"][kind].query, synced["site"]
    summary = ("fields->>'$.summary'" if kind == "duckdb" else "fields #>> '{summary}'")
    assert query(f"SELECT {summary} FROM {SCHEMA}.issues WHERE id = '{site.issues[5].id}'") == [
        (RENAMED,)]
    # A sprint shown on two boards keeps one row per board: the key is (id, boardId).
    pairs = {(str(s.id), str(b.id)) for b in site.boards for s in b.sprints + b.shared}
    assert {(str(i), str(b)) for i, b in query(f'SELECT id, "boardId" FROM {SCHEMA}.sprints')} == pairs
    assert len({sprint for sprint, _ in pairs}) < len(pairs)
    # Every child row joins its issue.
    for child in ("comments", "worklogs", "changelogs"):
        orphans = query(f'SELECT count(*) FROM {SCHEMA}.{child} c LEFT JOIN {SCHEMA}.issues i '
                        f'ON c."issueId" = i.id WHERE i.id IS NULL')
        assert orphans == [(0,)], child


@pytest.mark.parametrize("kind", LOADERS)
def test_the_readme_queries_work_as_printed(synced, kind):
    queries = readme_queries(kind)
    assert len(queries) >= 4
    for title, sql in queries.items():
        rows = synced["warehouses"][kind].query(sql)
        assert rows and all(any(value is not None for value in row) for row in rows), title


def test_the_readme_queries_agree_between_warehouses(synced):
    duckdb, postgres = readme_queries("duckdb"), readme_queries("postgres")
    assert duckdb.keys() == postgres.keys()  # every example is given for both
    for title in duckdb:
        rows = [[tuple(map(_comparable, row)) for row in synced["warehouses"][kind].query(queries[title])]
                for kind, queries in (("duckdb", duckdb), ("postgres", postgres))]
        assert rows[0] == rows[1], title


def _comparable(value: Any) -> Any:
    return round(float(value), 6) if isinstance(value, (int, float, Decimal)) else value



def test_data_center_text_bodies_load_into_both_warehouses(tmp_path, postgres):
    """Server/Data Center sends wiki-markup strings where Cloud sends ADF documents."""
    schema = "jira_dc"
    with JiraEmulator(seed=17, issues=120, projects=3, users=20, flavour="datacenter") as emulator:
        tap = run_tap(tmp_path / "tap", emulator.config("pat"))
        truth = emulator.site.record_counts()
    assert tap.returncode == 0, tap.stderr[-2000:]
    messages = tmp_path / "messages.jsonl"
    messages.write_text(tap.stdout)
    database = tmp_path / "dc.duckdb"
    load(loader("target-duckdb"), duckdb_config(database, schema), messages, tmp_path / "duck")
    load(loader("target-postgres"),
         postgres.target_config(schema), messages, tmp_path / "pg")
    bodies = {(key[0],): record["body"] for key, record in last_records(messages)["comments"].items()}
    assert bodies and all(isinstance(body, str) for body in bodies.values())
    for query in (lambda sql: duckdb_query(database, sql), postgres.query):
        assert {stream: query(f"SELECT count(*) FROM {schema}.{stream}")[0][0] for stream in truth} == truth
        assert {(str(i),): body for i, body in query(f"SELECT id, body FROM {schema}.comments")} == bodies
