"""Benchmark: what a full sync of issues and their children costs, per dataset size.

    .venv/bin/python -m benchmarks.children 1000 10000

For each size, starts the bundled emulator (10% of issues over Jira's inline caps),
runs the installed `tap-jira` as its own process with the default selection, and
prints requests per endpoint and per 1,000 issues, records per stream against the
emulator's truth, wall time and the tap's peak RSS.  The tap's output goes to a file
so that no target's cost is counted.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

from benchmarks.process import measure
from jira_emulator import JiraEmulator

TAP = Path(sys.executable).parent / "tap-jira"
ISSUE_FAMILY_ENDPOINTS = ("search/jql", "bulkfetch", "/issue/{issueIdOrKey}/")


def run_once(issues: int, seed: int, workdir: Path) -> bool:
    with JiraEmulator(seed=seed, issues=issues) as emulator:
        config = workdir / "config.json"
        config.write_text(json.dumps(emulator.config()))
        output = workdir / "tap.jsonl"
        measured = measure([str(TAP), "--config", str(config)], output, workdir / "tap.log")
        requests = emulator.request_counts()
        expected = emulator.site.record_counts()

    records: dict[str, set] = defaultdict(set)
    emitted: dict[str, int] = defaultdict(int)
    keys: dict[str, list[str]] = {}
    with output.open() as lines:
        for line in lines:
            message = json.loads(line)
            if message["type"] == "SCHEMA":
                keys[message["stream"]] = message["key_properties"]
            elif message["type"] == "RECORD":
                stream, record = message["stream"], message["record"]
                emitted[stream] += 1
                records[stream].add(tuple(record.get(name) for name in keys[stream]))  # as a target upserts

    print(f"\n== {issues} issues: exit {measured.exit}, wall {measured.wall:.1f} s, "
          f"tap peak RSS {measured.rss_mib:.0f} MiB, tap CPU {measured.cpu:.1f} s")
    print(f"{'stream':<22} {'records':>8} {'unique':>8} {'expected':>9}  complete")
    complete = measured.exit == 0
    for stream in sorted(expected):
        ok = len(records[stream]) == expected[stream]
        complete &= ok
        print(f"{stream:<22} {emitted[stream]:>8} {len(records[stream]):>8} {expected[stream]:>9}  "
              f"{'yes' if ok else 'NO'}")
    print(f"{'endpoint':<48} {'requests':>8} {'per 1k issues':>14}")
    for endpoint, count in sorted(requests.items()):
        print(f"{endpoint:<48} {count:>8} {count * 1000 / issues:>14.2f}")
    family = sum(n for e, n in requests.items() if any(part in e for part in ISSUE_FAMILY_ENDPOINTS))
    total = sum(requests.values())
    print(f"{'the issue path (issues and every child)':<48} {family:>8} {family * 1000 / issues:>14.2f}")
    print(f"{'all streams':<48} {total:>8} {total * 1000 / issues:>14.2f}")
    return complete


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sizes", type=int, nargs="*", default=[1000, 10000], help="issue counts")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    ok = True
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as workdir:
            ok &= run_once(size, args.seed, Path(workdir))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
