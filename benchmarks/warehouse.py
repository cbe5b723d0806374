"""Rows per table in real warehouses: the tap's output through target-duckdb and target-postgres.

    .venv/bin/python -m benchmarks.warehouse 2000     # after `make test` built the loaders

Syncs the emulator (N issues), loads the messages into a DuckDB file and a throwaway
PostgreSQL cluster, edits the site (a renamed issue, a new and an edited comment, a new
issue), runs an incremental sync from the first run's STATE and loads that too. Prints,
per loader and table: distinct primary keys the tap emitted, rows after each run, the
emulator's truth, duplicate keys, and each load's seconds.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from jira_emulator import JiraEmulator
from tests.conftest import run_tap
from tests.warehouse import (
    SCHEMA,
    PostgresServer,
    duckdb_config,
    duckdb_query,
    edit_between_runs,
    emitted_keys,
    key_columns,
    load,
    loader_path,
    postgres_binaries,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("issues", type=int, nargs="?", default=2000)
    args = parser.parse_args()
    targets = {name: loader_path(name) for name in ("target-duckdb", "target-postgres")}
    bindir = postgres_binaries()
    if bindir is None or not all(t.exists() for t in targets.values()):
        raise SystemExit("run `make test` first: it installs the loaders and Debian's postgresql")
    work = Path(tempfile.mkdtemp(prefix="tap-jira-warehouse-"))
    database = work / "warehouse.duckdb"
    postgres = PostgresServer(bindir).start()
    try:
        configs = {"target-duckdb": duckdb_config(database), "target-postgres": postgres.target_config()}
        queries = {"target-duckdb": lambda sql: duckdb_query(database, sql), "target-postgres": postgres.query}
        rows: dict[str, list[dict[str, int]]] = {name: [] for name in targets}
        seconds: dict[str, list[float]] = {name: [] for name in targets}
        keys: list[dict[str, set]] = []
        with JiraEmulator(seed=42, issues=args.issues) as emulator:
            state = None
            for number in (1, 2):
                if number == 2:
                    emulator.site.clock_offset = timedelta(hours=1)  # an hour later, the site changed
                    edit_between_runs(emulator.site)
                tap = run_tap(work / f"tap{number}", emulator.config(), state=state)
                assert tap.returncode == 0, tap.stderr[-2000:]
                messages = work / f"messages{number}.jsonl"
                messages.write_text(tap.stdout)
                keys.append(emitted_keys(messages))
                state = tap.final_state
                for name, target in targets.items():
                    started = time.monotonic()
                    load(target, configs[name], messages, work / f"{name}{number}")
                    seconds[name].append(time.monotonic() - started)
                    rows[name].append({s: queries[name](f"SELECT count(*) FROM {SCHEMA}.{s}")[0][0] for s in keys[0]})
            truth = emulator.site.record_counts()
        for name in targets:
            print(f"\n{name} (load: {seconds[name][0]:.1f} s full, {seconds[name][1]:.1f} s incremental)")
            print("| table | keys emitted (run 1) | rows after run 1 | keys emitted (run 2) | rows after run 2 "
                  "| in Jira after edits | duplicate keys |")
            print("|---|---|---|---|---|---|---|")
            for stream in sorted(keys[0]):
                key = ", ".join(key_columns(stream))
                duplicates = len(queries[name](f"SELECT {key} FROM {SCHEMA}.{stream} GROUP BY {key} "
                                               f"HAVING count(*) > 1"))
                print(f"| {stream} | {len(keys[0][stream])} | {rows[name][0][stream]} | "
                      f"{len(keys[1].get(stream, ()))} | {rows[name][1][stream]} | {truth[stream]} | {duplicates} |")
    finally:
        postgres.stop()


if __name__ == "__main__":
    main()
