"""Custom fields typed and named at discovery, through flattening into PostgreSQL, and
every field's history read out of the changelogs."""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest

from jira_emulator.model import OTHER_SITE_IDS
from jira_emulator.server import JiraEmulator
from tests.conftest import loader, run_tap
from tests.test_children import catalog_selecting
from tests.warehouse import duckdb_config, duckdb_query, load


@pytest.fixture(scope="module")
def catalog(tmp_path_factory, emulator):
    discovered = run_tap(tmp_path_factory.mktemp("discover"), emulator.config(), "--discover")
    assert discovered.returncode == 0, discovered.stderr[-2000:]
    return json.loads(discovered.stdout)


def issue_fields(catalog):
    entry = next(e for e in catalog["streams"] if e["tap_stream_id"] == "issues")
    return entry["schema"]["properties"]["fields"]["properties"]


def test_discovery_types_and_names_every_field_of_the_site(catalog, emulator):
    declared = issue_fields(catalog)
    definitions = emulator.site.render.field_definitions()
    assert {f["id"] for f in definitions} <= declared.keys()
    custom = {f["id"]: f for f in definitions if f["custom"]}
    for field_id, field in custom.items():
        if declared[field_id]:  # open fields are bare: see below
            assert declared[field_id]["title"] == field["name"]
            assert field_id in declared[field_id]["description"]
    kinds = {field_id: (declared[field_id].get("type"), declared[field_id].get("format")) for field_id in custom}
    assert kinds["customfield_10016"] == (["number", "null"], None)  # Story point estimate
    assert kinds["customfield_10011"] == (["string", "null"], None)  # Epic Name
    assert kinds["customfield_10050"] == (["string", "null"], "date")
    assert kinds["customfield_10009"] == (["string", "null"], "date-time")
    assert kinds["customfield_10012"] == (["object", "null"], None)  # select
    assert kinds["customfield_10070"] == (["object", "null"], None)  # cascading select
    assert kinds["customfield_10090"] == (["object", "string", "null"], None)  # text area: ADF on Cloud
    assert declared["customfield_10003"]["items"] == {"type": ["object", "null"]}  # multi-user picker
    assert declared["customfield_10060"]["items"] == {"type": ["string", "null"]}  # labels
    assert declared["customfield_10020"]["items"] == {"type": ["object", "null"]}  # sprint
    # Rank and Parent Link ("any"): open, never refused, and bare, since pipelinewise's loaders
    # stop on a property with keys but no type.
    assert declared["customfield_10019"] == declared["customfield_10018"] == {}
    # Declared objects name no properties, so flattening makes one JSON column of them.
    assert not [k for k, v in declared.items() if "object" in (v.get("type") or []) and "properties" in v]


def test_discovery_gives_every_custom_field_a_column_named_after_it(catalog, emulator):
    properties = next(e for e in catalog["streams"] if e["tap_stream_id"] == "issues")["schema"]["properties"]
    declared = properties["fields"]["properties"]
    named = {re.search(r"a copy of fields\.(customfield_\d+)", prop["description"]).group(1): column
             for column, prop in properties.items() if "a copy of fields." in (prop.get("description") or "")}
    custom = [f for f in emulator.site.render.field_definitions() if f["custom"]]
    assert set(named) == {f["id"] for f in custom}
    assert named["customfield_10016"] == "story_point_estimate" and named["customfield_10020"] == "sprint"
    assert named["customfield_10090"] == "acceptance_criteria"
    for field in custom:
        column = properties[named[field["id"]]]
        assert column["title"] == field["name"]
        nested = declared[field["id"]]
        if nested and nested["type"] != ["object", "string", "null"]:
            assert {k: v for k, v in column.items() if k != "description"} == {
                k: v for k, v in nested.items() if k != "description"}
        else:  # open, or text-or-ADF: a text column, which every loader takes (JSON text for non-strings)
            assert column["type"] == ["string", "null"] and "anything else as JSON" in column["description"]


def test_the_same_sql_reads_story_points_on_two_sites_that_number_fields_differently(tmp_path):
    """The other site keeps Story point estimate under the id this one gives Epic Name."""
    for name, field_ids in (("this", {}), ("other", OTHER_SITE_IDS)):
        with JiraEmulator(seed=9, issues=60, projects=2, users=8, boards=2, field_ids=field_ids) as site:
            run = run_tap(tmp_path / name, site.config(), catalog=catalog_selecting(tmp_path / name, site, "issues"))
            assert run.returncode == 0, run.stderr[-2000:]
            (tmp_path / name / "messages.jsonl").write_text(run.stdout)
            database = tmp_path / name / "warehouse.duckdb"
            load(loader("target-duckdb"), duckdb_config(database), tmp_path / name / "messages.jsonl",
                 tmp_path / name / "duckdb")
            got = dict((key, (points, epic)) for key, points, epic in duckdb_query(
                database, "SELECT key, story_point_estimate, epic_name FROM jira.issues"))
            points_id, epic_id = site.site.field_id("customfield_10016"), site.site.field_id("customfield_10011")
            assert got == {i.key: (i.static_fields[points_id], i.static_fields[epic_id]) for i in site.site.issues}
            assert any(points is not None for points, _ in got.values())
            assert any(epic is not None for _, epic in got.values())
    assert points_id == "customfield_10011"  # the ids really differ between the two sites


def test_a_field_renamed_in_jira_warns_until_a_pin_settles_its_column(tmp_path):
    with JiraEmulator(seed=9, issues=30, projects=2, users=8, boards=1) as emulator:
        first = run_tap(tmp_path / "1", emulator.config())
        assert first.returncode == 0, first.stderr[-2000:]
        assert first.final_state["bookmarks"]["issues"]["custom_field_columns"]["customfield_10016"] == \
            "story_point_estimate"
        emulator.site.rename_field("customfield_10016", "Story Points")
        state = first.final_state
        del state["bookmarks"]["issues"]["replication_key_value"]  # read every issue again
        second = run_tap(tmp_path / "2", emulator.config(), state=state)
        assert second.returncode == 0, second.stderr[-2000:]
        assert "customfield_10016 moved from column story_point_estimate to story_points" in second.stderr
        assert 'custom_field_columns {"customfield_10016": "story_point_estimate"}' in second.stderr  # JSON to paste
        records = second.records("issues")
        assert records and all("story_points" in r and "story_point_estimate" not in r for r in records)
        pinned = emulator.config(custom_field_columns={"customfield_10016": "story_point_estimate"})
        state = second.final_state
        assert state["bookmarks"]["issues"]["custom_field_columns"]["customfield_10016"] == "story_point_estimate"
        del state["bookmarks"]["issues"]["replication_key_value"]
        third = run_tap(tmp_path / "3", pinned, state=state)
        assert third.returncode == 0, third.stderr[-2000:]
        assert "moved from column" not in third.stderr
        records = third.records("issues")
        assert len(records) == 30 and all("story_point_estimate" in r and "story_points" not in r for r in records)
        schema = next(m["schema"] for m in third.messages if m["type"] == "SCHEMA" and m["stream"] == "issues")
        assert "story_point_estimate" in schema["properties"] and "story_points" not in schema["properties"]


def test_a_column_never_changes_field_behind_the_users_back(tmp_path):
    """Story point estimate renamed "Sprint": being older, it takes the name `sprint` at the next
    discovery; the column stays empty rather than switch from sprints to numbers."""
    with JiraEmulator(seed=9, issues=30, projects=2, users=8, boards=2) as emulator:
        first = run_tap(tmp_path / "1", emulator.config())
        assert first.returncode == 0, first.stderr[-2000:]
        emulator.site.rename_field("customfield_10016", "Sprint")
        state = first.final_state
        del state["bookmarks"]["issues"]["replication_key_value"]
        second = run_tap(tmp_path / "2", emulator.config(), state=state)
        truth = {i.key: i.static_fields for i in emulator.site.issues}
    assert second.returncode == 0, second.stderr[-2000:]
    assert "Column sprint was first written for custom field customfield_10020; the catalog now fills it from " \
           "customfield_10016" in second.stderr
    records = second.records("issues")
    assert len(records) == 30 and all(r["sprint"] is None for r in records)
    assert [r["sprint_10020"] for r in records] == [truth[r["key"]]["customfield_10020"] for r in records]
    assert any(r["sprint_10020"] for r in records)


def test_a_column_whose_description_was_replaced_is_still_filled(tmp_path, emulator, catalog):
    """Meltano's `schema` extra replaces a property whole, description included."""
    changed = selecting(catalog, "issues")
    entry = next(e for e in changed["streams"] if e["tap_stream_id"] == "issues")
    entry["schema"]["properties"]["story_point_estimate"] = {"type": ["number", "null"]}
    emulator.reset_log()
    run = run_tap(tmp_path, emulator.config(), catalog=changed)
    assert run.returncode == 0, run.stderr[-2000:]
    assert {r["key"]: r["story_point_estimate"] for r in run.records("issues")} == {
        i.key: i.static_fields["customfield_10016"] for i in emulator.site.issues}
    assert emulator.request_counts()["GET /rest/api/3/field"] == 1  # to find the field by its column's name
    assert "Column story_point_estimate: its catalog description names no field" in run.stderr


def test_a_sync_given_a_catalog_does_not_read_the_field_list(tmp_path, catalog):
    with JiraEmulator(seed=8, issues=30, projects=2, users=5, boards=1) as other:
        run = run_tap(tmp_path, other.config(), catalog=selecting(catalog, "issues"))
        assert run.returncode == 0, run.stderr[-2000:]
        assert "GET /rest/api/3/field" not in other.request_counts()
        assert len(run.records("issues")) == 30


def selecting(catalog, *streams):
    chosen = json.loads(json.dumps(catalog))
    for entry in chosen["streams"]:
        for metadata in entry["metadata"]:
            if metadata["breadcrumb"] == []:
                metadata["metadata"]["selected"] = entry["tap_stream_id"] in streams
    return chosen


def test_a_value_of_another_type_than_discovered_is_nulled_with_a_warning(tmp_path, catalog):
    with JiraEmulator(seed=8, issues=30, projects=2, users=5, boards=1) as other:
        odd = other.site.issues[3]
        odd.raw_fields = {"customfield_10016": "five", "customfield_10009": "soon"}
        run = run_tap(tmp_path, other.config(), catalog=selecting(catalog, "issues"))
    assert run.returncode == 0, run.stderr[-2000:]
    by_key = {r["key"]: r for r in run.records("issues")}
    assert by_key[odd.key]["fields"]["customfield_10016"] is None
    assert by_key[odd.key]["fields"]["customfield_10009"] is None
    assert "holds 'five'" in run.stderr and "holds 'soon'" in run.stderr
    stamps = [r["fields"]["customfield_10009"] for k, r in by_key.items() if k != odd.key]
    assert stamps and all(s[-3] == ":" for s in stamps)  # RFC 3339 offsets: -07:00, not -0700


def test_flattened_custom_fields_all_get_postgres_columns(tmp_path, emulator, postgres):
    schema = "jira_flat"
    run = run_tap(tmp_path / "tap", emulator.config(flattening_enabled=True, flattening_max_depth=3))
    assert run.returncode == 0, run.stderr[-2000:]
    messages = tmp_path / "messages.jsonl"
    messages.write_text(run.stdout)
    load(loader("target-postgres"), postgres.target_config(schema), messages, tmp_path / "pg")
    log = (tmp_path / "pg" / "target-postgres.log").read_text()
    assert "No schema for record field" not in log
    columns = {name for (name,) in postgres.query(
        f"SELECT column_name FROM information_schema.columns WHERE table_schema = '{schema}' "
        "AND table_name = 'issues'")}
    custom = {f"fields__{f['id']}" for f in emulator.site.render.field_definitions() if f["custom"]}
    assert custom <= columns, sorted(custom - columns)
    named = {"story_point_estimate", "sprint", "epic_name", "rank", "parent_link", "acceptance_criteria"}
    assert named <= columns, sorted(named - columns)
    truth = {i.id: i.static_fields["customfield_10016"] for i in emulator.site.issues}
    for column in ("fields__customfield_10016", "story_point_estimate"):
        points = dict(postgres.query(f"SELECT id, {column} FROM {schema}.issues"))
        assert {str(k): v for k, v in points.items()} == truth
    ranks = dict(postgres.query(f"SELECT id, rank FROM {schema}.issues"))  # an open field: text
    assert {str(k): v for k, v in ranks.items()} == {i.id: i.static_fields["customfield_10019"]
                                                      for i in emulator.site.issues}


def history_truth(site):
    rows = Counter()
    for issue in site.issues:
        for history in issue.histories:
            for index, item in enumerate(site.render.history_json(history)["items"]):
                rows[(issue.id, history.id, item.get("fieldId") or item["field"], index,
                      item["field"], item["to"] or None, item["toString"] or None)] += 1
    return rows


def synced_alone(tmp_path, stream):
    """A sync of `stream` alone, on a site where some issues overflow the inline changelog."""
    with JiraEmulator(seed=12, issues=300, projects=3, users=10, boards=2) as emulator:
        run = run_tap(tmp_path, emulator.config(), catalog=catalog_selecting(tmp_path, emulator, stream))
    assert run.returncode == 0, run.stderr[-2000:]
    assert any(len(i.histories) > 40 for i in emulator.site.issues)  # some overflow what search embeds
    assert {m["stream"] for m in run.messages if m["type"] == "RECORD"} == {stream}
    return run, emulator.site


def utc_text(instant):
    return instant.strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


def test_field_history_alone_is_every_changelog_item_beyond_the_inline_caps(tmp_path):
    run, site = synced_alone(tmp_path, "issue_field_history")
    rows = run.records("issue_field_history")
    got = Counter((r["issueId"], r["historyId"], r["fieldId"], r["itemIndex"], r["field"], r["toValue"],
                   r["toString"]) for r in rows)
    assert got == history_truth(site)
    created = {h.id: h.created for i in site.issues for h in i.histories}
    assert all(r["created"] == utc_text(created[r["historyId"]]) for r in rows)
    assert run.final_state["bookmarks"]["issue_field_history"]["replication_key"] == "created"


def test_multiselect_history_alone_is_every_value_after_every_change(tmp_path):
    run, site = synced_alone(tmp_path, "issue_multiselect_history")
    rows = run.records("issue_multiselect_history")
    truth = site.multiselect_truth()
    assert Counter((r["issueId"], r["historyId"], r["fieldId"], r["value"]) for r in rows) == Counter(
        (issue, history, field, value) for issue, history, field, _, value in truth)
    # Every kind Jira logs: whole sets (labels, sprints, a multi-select) and per-value items.
    assert {r["fieldId"] for r in rows} == {"labels", "customfield_10020", "customfield_10040", "components",
                                            "fixVersions"}
    assert any(r["value"] is None for r in rows if r["fieldId"] == "components")  # emptied by a removal
    positions: dict[tuple[str, str, str], list[int]] = {}
    for r in rows:
        positions.setdefault((r["issueId"], r["historyId"], r["fieldId"]), []).append(r["valueIndex"])
    assert all(sorted(p) == list(range(len(p))) for p in positions.values())
    names = {c.id: c.name for c in site.metadata.components}
    assert all(r["valueString"] == names[r["value"]] for r in rows if r["fieldId"] == "components" and r["value"])
    created = {h.id: h.created for i in site.issues for h in i.histories}
    assert all(r["created"] == utc_text(created[r["historyId"]]) for r in rows)


def untyped_properties(schema, path=""):
    """Properties that have keys but no `type` (or anyOf): pipelinewise's loaders stop on them."""
    found = []
    for name, prop in (schema.get("properties") or {}).items():
        if prop and "type" not in prop and "anyOf" not in prop:
            found.append(path + name)
        found += untyped_properties(prop, path + name + ".")
        if isinstance(prop.get("items"), dict):
            found += untyped_properties(prop["items"], path + name + "[].")
    return found


def test_every_declared_property_is_typed_or_bare(catalog):
    assert {e["tap_stream_id"]: untyped_properties(e["schema"]) for e in catalog["streams"]
            if untyped_properties(e["schema"])} == {}


def test_target_duckdb_flattening_nested_fields_loads_every_custom_field(tmp_path, emulator, catalog):
    run = run_tap(tmp_path / "tap", emulator.config(), catalog=selecting(catalog, "issues"))
    assert run.returncode == 0, run.stderr[-2000:]
    (tmp_path / "messages.jsonl").write_text(run.stdout)
    database = tmp_path / "warehouse.duckdb"
    load(loader("target-duckdb"), {**duckdb_config(database), "data_flattening_max_level": 3},
         tmp_path / "messages.jsonl", tmp_path / "duckdb")
    columns = {name for (name,) in duckdb_query(
        database, "SELECT column_name FROM information_schema.columns WHERE table_name = 'issues'")}
    assert {"fields__customfield_10016", "story_point_estimate", "rank"} <= columns
    points = dict(duckdb_query(database, "SELECT key, story_point_estimate FROM jira.issues"))
    assert points == {i.key: i.static_fields["customfield_10016"] for i in emulator.site.issues}
