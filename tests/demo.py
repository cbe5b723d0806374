"""The main job: the bundled Jira emulator synced into a local DuckDB file, then queried.

    make demo                                                # tap-jira | target-duckdb -> .demo/warehouse.duckdb
    make demo DEMO_ARGS="--loader jsonl"                     # tap-jira | target-jsonl  -> .demo/output/*.jsonl
    make demo DEMO_ARGS="--issues 10000"                     # a bigger site
    make demo DEMO_ARGS="--auth oauth2"                      # two runs; refresh tokens rotate
    make demo DEMO_ARGS="--flavour datacenter --auth oauth1" # or pat, basic

Starts the emulator on a free loopback port, runs `tap-jira | <loader>`, and prints
the rows each table holds against the emulator's own data, requests per endpoint,
the final bookmark and, for DuckDB, answers to a few questions an analyst asks, with
their SQL (taken from the README's "Query your Jira" section). With --auth oauth2
the authorization server retires refresh tokens at once and every run starts with
an expired access token, so each run must use the token the last one stored.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

from jira_emulator import JiraEmulator
from tests.pipeline import PipelineRun, sync, sync_to_jsonl
from tests.warehouse import SCHEMA, duckdb_config, duckdb_query, loader_path, readme_queries

LOADERS = {"duckdb": "target-duckdb", "jsonl": "target-jsonl"}
QUESTIONS = ("issues per status", "open issues per assignee", "hours logged per project",
             "story points per sprint", "status at each day's end", "issues per component on a day")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--loader", choices=sorted(LOADERS), default="duckdb")
    parser.add_argument("--target", type=Path, help="the loader's executable (default: the one `make` installs)")
    parser.add_argument("--issues", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--workdir", type=Path, default=Path(".demo"))
    parser.add_argument("--flavour", choices=("cloud", "datacenter"), default="cloud")
    parser.add_argument("--auth", choices=("basic", "oauth2", "oauth1", "pat"), default="basic")
    parser.add_argument("--runs", type=int, help="consecutive syncs (default: 2 with oauth2, else 1)")
    args = parser.parse_args(argv)
    target = args.target or loader_path(LOADERS[args.loader])
    if not target.exists():
        parser.error(f"{target} is missing: run `make demo`, which installs it")

    shutil.rmtree(args.workdir, ignore_errors=True)
    database = (args.workdir / "warehouse.duckdb").resolve()
    runs = args.runs or (2 if args.auth == "oauth2" else 1)
    with JiraEmulator(seed=args.seed, issues=args.issues, flavour=args.flavour) as emulator:
        site = emulator.site
        print(f"Jira emulator ({args.flavour}, {args.auth} auth): {emulator.base_url}  ({len(site.issues)} issues, "
              f"{len(site.projects)} projects, {len(site.users)} users; profile zone {site.account.user.time_zone}, "
              f"site zone {site.site_zone})")
        emulator.oauth2.leeway_seconds = 0  # a retired refresh token is dead at once
        config = emulator.config(args.auth, token_store_path=str((args.workdir / "token-store.json").resolve()),
                                 deletes_store_dir=str((args.workdir / "deletes").resolve()))
        for number in range(1, runs + 1):
            emulator.reset_log()
            emulator.oauth2.revoke_access_tokens()  # each run starts after the access token expired
            workdir = args.workdir / f"run{number}" if runs > 1 else args.workdir
            started = time.monotonic()
            if args.loader == "duckdb":
                run = sync(target, duckdb_config(database), config, workdir)
            else:
                run = sync_to_jsonl(target, config, workdir)
            elapsed = time.monotonic() - started
            if runs > 1:
                print(f"run {number}: tap exit {run.tap_returncode}, {elapsed:.1f} s; "
                      f"refresh-token rotations so far: {emulator.oauth2.refreshes}")
        requests = emulator.request_counts()
        expected = emulator.site.record_counts()

    destination = database if args.loader == "duckdb" else run.output_dir
    print(f"tap-jira | {target.name} -> {destination}  in {elapsed:.1f} s "
          f"(exit codes: tap {run.tap_returncode}, target {run.target_returncode})\n")
    print_tap_summary(run.tap_stderr)
    loaded = table_rows(database) if args.loader == "duckdb" else dict(run.counts())
    complete = report_rows(args.loader, loaded, expected, run)
    print("\nrequests per endpoint:")
    for endpoint, count in sorted(requests.items()):
        print(f"  {endpoint:<48} {count:>5}")
    print(f"  {'total':<48} {sum(requests.values()):>5}")
    bookmark = run.state.get("bookmarks", {}).get("issues", {}).get("replication_key_value")
    print(f"\nfinal STATE: issues bookmark (UTC) = {bookmark}")
    if args.loader == "duckdb" and complete:
        answer_questions(database)
    if not complete:
        print(f"\nINCOMPLETE: see {workdir}/tap.log and {workdir}/target.log", file=sys.stderr)
        return 1
    return 0


def print_tap_summary(stderr: str) -> None:
    """The tap's own summary table, without the log prefix (time | level | logger | text)."""
    lines = [line.split(" | ", 3)[-1] for line in stderr.splitlines() if "| tap-jira.progress " in line]
    start = next((n for n, text in enumerate(lines) if text.startswith("Sync summary")), None)
    if start is not None:
        print("the tap's summary:\n" + "\n".join(f"  {text}" for text in lines[start:]) + "\n")


def table_rows(database: Path) -> dict[str, int]:
    if not database.exists():
        return {}
    tables = duckdb_query(database, "SELECT table_name FROM information_schema.tables "
                                    f"WHERE table_schema = '{SCHEMA}' ORDER BY table_name")
    return {name: duckdb_query(database, f"SELECT count(*) FROM {SCHEMA}.{name}")[0][0] for (name,) in tables}


def report_rows(loader: str, loaded: dict[str, int], expected: dict[str, int], run: PipelineRun) -> bool:
    unit = f"rows in {SCHEMA}.*" if loader == "duckdb" else "records"
    width = max(len("table"), *map(len, expected))
    print(f"{'table':<{width}} {unit:>14} {'in Jira':>8}  complete")
    complete = run.tap_returncode == 0 and run.target_returncode == 0
    for stream in sorted(expected):
        ok = loaded.get(stream, 0) == expected[stream]
        complete &= ok
        print(f"{stream:<{width}} {loaded.get(stream, 0):>14} {expected[stream]:>8}  {'yes' if ok else 'NO'}")
    return complete


def answer_questions(database: Path) -> None:
    queries = readme_queries("duckdb")
    for title in QUESTIONS:
        sql = queries[title]
        print(f"\n{title[0].upper() + title[1:]}:\n" + "\n".join(f"    {line}" for line in sql.splitlines()))
        for row in duckdb_query(database, sql):
            print("    -> " + " | ".join(str(value) for value in row))


if __name__ == "__main__":
    sys.exit(main())
