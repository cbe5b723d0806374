"""Custom fields typed and named at discovery, through flattening into PostgreSQL, and
every field's history read out of the changelogs."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from jira_emulator.server import JiraEmulator
from tests.conftest import loader, run_tap
from tests.test_children import catalog_selecting
from tests.warehouse import load


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
    assert kinds["customfield_10019"] == (None, None)  # Rank ("any"): open, never refused
    # Declared objects name no properties, so flattening makes one JSON column of them.
    assert not [k for k, v in declared.items() if "object" in (v.get("type") or []) and "properties" in v]


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
    points = dict(postgres.query(f"SELECT id, fields__customfield_10016 FROM {schema}.issues"))
    assert {str(k): v for k, v in points.items()} == {
        i.id: i.static_fields["customfield_10016"] for i in emulator.site.issues}


def history_truth(site):
    rows = Counter()
    for issue in site.issues:
        for history in issue.histories:
            for index, item in enumerate(site.render.history_json(history)["items"]):
                rows[(issue.id, history.id, item.get("fieldId") or item["field"], index,
                      item["field"], item["to"] or None, item["toString"] or None)] += 1
    return rows


def test_field_history_alone_is_every_changelog_item_beyond_the_inline_caps(tmp_path):
    with JiraEmulator(seed=12, issues=300, projects=3, users=10, boards=1) as emulator:
        run = run_tap(tmp_path, emulator.config(),
                      catalog=catalog_selecting(tmp_path, emulator, "issue_field_history"))
        site = emulator.site
        assert run.returncode == 0, run.stderr[-2000:]
        assert any(len(i.histories) > 40 for i in site.issues)  # some overflow what search embeds
        rows = run.records("issue_field_history")
        got = Counter((r["issueId"], r["historyId"], r["fieldId"], r["itemIndex"], r["field"], r["toValue"],
                       r["toString"]) for r in rows)
        assert got == history_truth(site)
        created = {h.id: h.created for i in site.issues for h in i.histories}
        assert all(r["created"] == created[r["historyId"]].strftime("%Y-%m-%dT%H:%M:%S.%f+00:00") for r in rows)
        assert {m["stream"] for m in run.messages if m["type"] == "RECORD"} == {"issue_field_history"}
        bookmark = run.final_state["bookmarks"]["issue_field_history"]
        assert bookmark["replication_key"] == "created"
