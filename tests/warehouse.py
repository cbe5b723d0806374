"""Real warehouses for the tests and the demo: a local DuckDB file, a throwaway PostgreSQL.

The loaders are the published Singer targets pinned in requirements/ (target-duckdb,
meltanolabs-target-postgres), each run as its own process reading a file of the tap's
messages, exactly as a pipe would feed them.
"""

from __future__ import annotations

import glob
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

SCHEMA = "jira"  # the warehouse schema every loader writes the tap's tables into
REPO = Path(__file__).resolve().parent.parent
# Each Singer loader: the environment variable `make` sets, and where `make` installs it.
LOADERS = {"target-duckdb": ("TARGET_DUCKDB", ".venv-target-duckdb/bin/target-duckdb"),
           "target-postgres": ("TARGET_POSTGRES", ".venv-target-postgres/bin/target-postgres"),
           "target-jsonl": ("TARGET_JSONL", ".venv-target-jsonl/bin/target-jsonl")}
# Primary-key columns as SQL, where not "id" (Cloud's keys: the tap's discovery contract).
KEY_COLUMNS = {"sprints": ('"id"', '"boardId"'), "users": ('"accountId"',),
               "sprint_issues": ('"sprintId"', '"issueId"'), "groups": ('"groupId"',),
               "group_members": ('"groupId"', '"accountId"'), "board_projects": ('"boardId"', '"projectId"'),
               "board_issues": ('"boardId"', '"issueId"'), "custom_field_contexts": ('"id"', '"fieldId"'),
               "custom_field_options": ('"id"', '"fieldId"', '"contextId"'), "project_types": ('"key"',),
               "server_info": ('"baseUrl"',),
               "issue_field_history": ('"issueId"', '"historyId"', '"fieldId"', '"itemIndex"'),
               "issue_multiselect_history": ('"issueId"', '"historyId"', '"fieldId"', '"valueIndex"')}


def loader_path(name: str) -> Path:
    env_var, default = LOADERS[name]
    return Path(os.environ.get(env_var) or REPO / default)


def key_columns(stream: str) -> tuple[str, ...]:
    return KEY_COLUMNS.get(stream, ('"id"',))


def readme_queries(dialect: str) -> dict[str, str]:
    """The README's "Query your Jira" examples for one warehouse, as printed, by title."""
    blocks = re.findall(r"```sql\n-- (\w+): (.*?)\n(.*?)```", (REPO / "README.md").read_text(), flags=re.DOTALL)
    return {title: sql.strip() for kind, title, sql in blocks if kind == dialect}


def edit_between_runs(site: Any) -> None:
    """What happens on a real site between two runs: a renamed issue, a new comment, an
    edited comment and a new issue (the emulator's `Site`), dated in the half hour before
    its now; move its clock past the last run's window first."""
    from jira_emulator.model import adf

    now = site.now()
    renamed = site.issues[5]
    renamed.static_fields["summary"] = RENAMED
    site.touch(renamed.id, now - timedelta(minutes=30))
    site.add_comment(site.issues[6].id, now - timedelta(minutes=29))
    commented = next(i for i in site.issues if i.comments and i is not site.issues[6])
    commented.comments[0].body = adf("Edited between runs")
    commented.comments[0].updated = now - timedelta(minutes=28)
    site.touch(commented.id, now - timedelta(minutes=28))
    site.add_issue(site.projects[0].key, now - timedelta(minutes=27))


RENAMED = "Renamed between runs — ünïcode"


def keyed_records(messages: Path) -> Iterator[tuple[str, tuple[str, ...], dict[str, Any]]]:
    """(stream, primary key as text, record) for each RECORD of a message file, in order."""
    key_properties: dict[str, list[str]] = {}
    with messages.open() as lines:
        for line in lines:
            message = json.loads(line)
            if message["type"] == "SCHEMA":
                key_properties[message["stream"]] = message["key_properties"]
            elif message["type"] == "RECORD":
                record = message["record"]
                yield message["stream"], tuple(str(record[k]) for k in key_properties[message["stream"]]), record


def emitted_keys(messages: Path) -> dict[str, set[tuple[str, ...]]]:
    """Per stream, the distinct primary keys of the RECORDs in a message file."""
    keys: dict[str, set[tuple[str, ...]]] = defaultdict(set)
    for stream, key, _ in keyed_records(messages):
        keys[stream].add(key)
    return dict(keys)


def last_records(messages: Path) -> dict[str, dict[tuple[str, ...], dict[str, Any]]]:
    """Per stream and primary key, the last record emitted: what an upserting table must hold."""
    latest: dict[str, dict[tuple[str, ...], dict[str, Any]]] = defaultdict(dict)
    for stream, key, record in keyed_records(messages):
        latest[stream][key] = record
    return dict(latest)


def load(target: Path, config: dict[str, Any], messages: Path, workdir: Path) -> list[dict[str, Any]]:
    """Feed a message file to a Singer target; returns the STATE values it confirmed."""
    workdir.mkdir(parents=True, exist_ok=True)
    config_file = workdir / f"{target.name}.json"
    config_file.write_text(json.dumps(config))
    with messages.open("rb") as stdin, open(workdir / f"{target.name}.log", "w") as log:
        done = subprocess.run([str(target), "--config", str(config_file)], stdin=stdin,
                              stdout=subprocess.PIPE, stderr=log, timeout=1800)
    if done.returncode != 0:
        tail = (workdir / f"{target.name}.log").read_text()[-3000:]
        raise AssertionError(f"{target.name} exited {done.returncode}:\n{tail}")
    return [json.loads(line) for line in done.stdout.decode().splitlines() if line.strip()]


# ---- DuckDB -----------------------------------------------------------------------------


def duckdb_config(path: Path, schema: str = SCHEMA) -> dict[str, Any]:
    # add_metadata_columns: with a timestamp column in every batch file, DuckDB's COPY never
    # takes a table's first row for a CSV header (requirements/target-duckdb.txt).
    return {"filepath": str(path), "default_target_schema": schema, "add_metadata_columns": True}


def duckdb_query(path: Path, sql: str) -> list[tuple[Any, ...]]:
    import duckdb  # the tests' and demo's reader; the loader has its own environment

    with duckdb.connect(str(path), read_only=True) as connection:
        return connection.execute(sql).fetchall()


# ---- PostgreSQL ---------------------------------------------------------------------------


def postgres_binaries() -> Path | None:
    """Debian's server binaries (package postgresql), newest major version first."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]), reverse=True)
    if found:
        return Path(found[0]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class PostgresServer:
    """A throwaway cluster on a loopback port: trust auth, no fsync, removed on stop.

    PostgreSQL refuses to run as root, so as root the server runs as the `postgres`
    account Debian's package creates."""

    bindir: Path
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="tap-jira-pg-")))
    port: int = field(default_factory=_free_port)
    user: str = "tap"
    database: str = "jira"

    def _as_owner(self, *command: str) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else list(command)

    def start(self) -> PostgresServer:
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")
        data = self.root / "data"
        subprocess.run(self._as_owner(str(self.bindir / "initdb"), "-D", str(data), "-U", self.user,
                                      "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"),
                       check=True, capture_output=True, timeout=120)
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        subprocess.run(self._as_owner(str(self.bindir / "pg_ctl"), "-D", str(data), "-o", options,
                                      "-l", str(self.root / "server.log"), "-w", "-t", "60", "start"),
                       check=True, capture_output=True, timeout=120)
        with self.connect("postgres") as connection:
            connection.autocommit = True
            connection.execute(f'CREATE DATABASE "{self.database}"')
        return self

    def stop(self) -> None:
        subprocess.run(self._as_owner(str(self.bindir / "pg_ctl"), "-D", str(self.root / "data"), "-m", "immediate",
                                      "-w", "stop"), capture_output=True, timeout=60)
        shutil.rmtree(self.root, ignore_errors=True)

    def connect(self, database: str | None = None):
        import psycopg

        deadline = time.monotonic() + 30
        while True:
            try:
                return psycopg.connect(host="127.0.0.1", port=self.port, user=self.user,
                                       dbname=database or self.database)
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def target_config(self, schema: str = SCHEMA) -> dict[str, Any]:
        """meltanolabs-target-postgres settings for this server (trust auth: any password)."""
        return {"host": "127.0.0.1", "port": self.port, "user": self.user, "password": "unused",
                "database": self.database, "default_target_schema": schema}

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        with self.connect() as connection:
            return connection.execute(sql).fetchall()
