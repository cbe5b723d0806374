"""Benchmark: what finding deletes costs, per dataset size.

    .venv/bin/python -m benchmarks.deletes 1000 20000

For each size: a first run (the baseline: it writes every issue and comment into the
deletes store), then 1% of the issues, one comment in a hundred issues and one
worklog in a hundred are deleted and an hour passes, then a second run with the
census due.  Prints the requests of the second run that only deletes cost (the census
pages, the check of the ids not found, the browsable projects, `worklog/deleted`),
per 1,000 issues, the tombstones against the truth, the store's size, and the second
run's wall time and peak RSS.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

from benchmarks.process import measure
from jira_emulator import JiraEmulator

TAP = Path(sys.executable).parent / "tap-jira"


def tombstones(output: Path) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    with output.open() as lines:
        for line in lines:
            message = json.loads(line)
            if message["type"] == "RECORD" and message["record"].get("_sdc_deleted_at"):
                record = message["record"]
                found.setdefault(message["stream"], set()).add(str(record.get("id") or record.get("sprintId")))
    return found


def final_state(output: Path) -> dict:
    state: dict = {}
    with output.open() as lines:
        for line in lines:
            message = json.loads(line)
            if message["type"] == "STATE":
                state = message["value"]
    return state


def run_once(issues: int, seed: int, workdir: Path) -> None:
    with JiraEmulator(seed=seed, issues=issues) as emulator:
        site = emulator.site
        config = workdir / "config.json"
        config.write_text(json.dumps(emulator.config(deletes_census_hours=0,
                                                     deletes_store_dir=str(workdir / "store"))))
        first = workdir / "tap1.jsonl"
        done = measure([str(TAP), "--config", str(config)], first, workdir / "tap1.log")
        assert done.exit == 0, (workdir / "tap1.log").read_text()[-2000:]
        doomed = site.issues[::100][: max(1, issues // 100)]
        doomed_ids = {issue.id for issue in doomed}
        commented = [i for i in site.issues[50::100] if i.comments and i.id not in doomed_ids]
        logged = [i for i in site.issues[25::100] if i.worklogs and i.id not in doomed_ids]
        truth = {"issues": doomed_ids, "comments": {i.comments[0].id for i in commented},
                 "worklogs": {i.worklogs[0].id for i in logged}}
        for issue in doomed:
            site.delete_issue(issue.id)
        for issue in commented:
            site.delete_comment(issue.id, issue.comments[0].id)
        for issue in logged:
            site.delete_worklog(issue.id, issue.worklogs[0].id)
        site.clock_offset = timedelta(hours=1)
        state = workdir / "state.json"
        state.write_text(json.dumps(final_state(first)))
        emulator.reset_log()
        second = workdir / "tap2.jsonl"
        measured = measure([str(TAP), "--config", str(config), "--state", str(state)], second, workdir / "tap2.log")
        log = emulator.requests
    found = tombstones(second)
    census_pages = sum(1 for r in log if r.endpoint.endswith("/search/jql")) - 2  # less the window's 2 id passes
    bulk_fetches = sum(1 for r in log if r.endpoint.endswith("/issue/bulkfetch"))
    deletes_only = {
        "census id pages (/search/jql)": census_pages,
        "browsable projects (/project/search)": sum(1 for r in log if "action=browse" in r.query),
        "worklog/deleted": sum(1 for r in log if r.endpoint.endswith("/worklog/deleted")),
    }
    store_bytes = sum(p.stat().st_size for p in (workdir / "store").glob("*"))
    print(f"\n== {issues} issues: second run exit {measured.exit}, wall {measured.wall:.1f} s, "
          f"peak RSS {measured.rss_mib:.0f} MiB; store {store_bytes / 1e6:.1f} MB")
    print(f"{'requests only deletes cost':<34} {'count':>6} {'per 1k issues':>14}")
    for name, count in deletes_only.items():
        print(f"{name:<34} {count:>6} {count * 1000 / issues:>14.2f}")
    print(f"{'bulk fetches (window and check)':<34} {bulk_fetches:>6}")
    # Tombstones include the comments and worklogs of the deleted issues.
    print(f"{'stream':<10} {'tombstones':>10} {'deleted':>8}  all found")
    for stream, ids in truth.items():
        got = found.get(stream, set())
        print(f"{stream:<10} {len(got):>10} {len(ids):>8}  {'yes' if ids <= got else 'NO'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sizes", type=int, nargs="*", default=[1000, 20000])
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    for size in args.sizes:
        with tempfile.TemporaryDirectory(prefix="tap-jira-deletes-") as workdir:
            run_once(size, args.seed, Path(workdir))


if __name__ == "__main__":
    main()
