"""The SDK capabilities tap-jira declares (stream maps, schema flattening) work on its streams."""

from __future__ import annotations

import pytest

from tests.conftest import run_tap, summary_rows


@pytest.fixture(scope="module")
def mapped(tmp_path_factory, emulator):
    config = emulator.config(stream_maps={
        "users": {"emailAddress": "__NULL__"},                        # drop a property
        "issues": {"project_key": "fields['project']['key']"},        # add a computed one
        "resolutions": "__NULL__",                                    # drop a stream
    })
    run = run_tap(tmp_path_factory.mktemp("maps"), config)
    assert run.returncode == 0, run.stderr[-2000:]
    return run


def schema_of(run, stream):
    return next(m["schema"] for m in run.messages if m["type"] == "SCHEMA" and m["stream"] == stream)


def test_stream_maps_add_drop_and_remove(mapped, emulator):
    issues = mapped.records("issues")
    assert len(issues) == len(emulator.site.issues)
    assert all(r["project_key"] == r["fields"]["project"]["key"] for r in issues)
    assert "project_key" in schema_of(mapped, "issues")["properties"]
    users = mapped.records("users")
    assert users and all("emailAddress" not in r for r in users)
    assert "emailAddress" not in schema_of(mapped, "users")["properties"]
    assert mapped.records("resolutions") == []
    # The summary counts what was written, after the maps.
    assert summary_rows(mapped.stderr)["resolutions"][0] == 0
    assert summary_rows(mapped.stderr)["users"][0] == len(users)
    assert len(mapped.records("comments")) == sum(len(i.comments) for i in emulator.site.issues)


@pytest.fixture(scope="module")
def flattened(tmp_path_factory, emulator):
    run = run_tap(tmp_path_factory.mktemp("flat"), emulator.config(flattening_enabled=True, flattening_max_depth=1))
    assert run.returncode == 0, run.stderr[-2000:]
    return run


def test_flattening_turns_nested_objects_into_columns(flattened, emulator):
    issues = flattened.records("issues")
    assert len(issues) == len(emulator.site.issues)
    properties = schema_of(flattened, "issues")["properties"]
    assert {"fields__status", "fields__summary", "fields__updated"} <= set(properties)
    assert all("fields" not in r and "fields__summary" in r for r in issues)
    users = flattened.records("users")
    assert all("avatarUrls__48x48" in r for r in users)


@pytest.mark.parametrize("depth", [1, 2, 5])
def test_flattening_gives_every_record_key_a_schema_column(tmp_path, emulator, depth):
    """Custom fields included (discovery types them from /field), at any depth: no key a
    loader would drop for want of a column."""
    run = run_tap(tmp_path, emulator.config(flattening_enabled=True, flattening_max_depth=depth))
    assert run.returncode == 0, run.stderr[-2000:]
    for stream in {m["stream"] for m in run.messages if m["type"] == "RECORD"}:
        properties = set(schema_of(run, stream)["properties"])
        keys = set().union(*(record.keys() for record in run.records(stream)))
        assert keys <= properties, (stream, sorted(keys - properties)[:5])
    custom = {f"fields__{field['id']}" for field in emulator.site.render.field_definitions() if field["custom"]}
    assert custom <= set(schema_of(run, "issues")["properties"])
