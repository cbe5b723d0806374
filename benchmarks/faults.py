"""The fault matrix: one full sync per fault type, plus a seeded chaos run.

    .venv/bin/python -m benchmarks.faults

For each row, starts the emulator with the fault injected, runs the installed
`tap-jira` as its own process, and prints the faults injected, records expected
and received (deduplicated by primary key), records lost, and for each 429/503
the wait observed against the Retry-After given.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.emulator import JiraEmulator
from tests.emulator.faults import Fault, FaultPlan

TAP = Path(sys.executable).parent / "tap-jira"
SITE = {"seed": 21, "issues": 500, "projects": 4, "users": 60, "boards": 6}
ROWS = [
    ("429 burst", FaultPlan([Fault("burst", path="/search/jql", at=frozenset({2, 3}), retry_after=1.5)]), {}),
    ("429 quota", FaultPlan([Fault("quota", path="/changelog/bulkfetch", retry_after=3)]), {}),
    ("503", FaultPlan([Fault("unavailable", path="/users/search", times=2, retry_after=1)]), {}),
    ("reset", FaultPlan([Fault("reset", path="/search/jql", at=frozenset({1, 4}))]), {}),
    ("truncated body", FaultPlan([Fault("truncate", path="/issue/bulkfetch")]), {}),
    ("slow (timeout)", FaultPlan([Fault("slow", path="/project/search", delay=3)]), {"request_timeout": 1}),
    ("200, not JSON", FaultPlan([Fault("garbage", path="/search/jql", at=frozenset({2}))]), {}),
    ("chaos 10%", FaultPlan(chaos_rate=0.10, seed=7, chaos_kinds=("burst", "unavailable", "reset", "truncate",
                                                                  "garbage")),
     {"page_size": 20}),
]
KEYS = {"users": "accountId"}


def main() -> int:
    print(f"{'fault':<16} {'injected':>8} {'expected':>9} {'received':>9} {'lost':>5}  waits (observed s >= Retry-After s)")
    failed = False
    for label, plan, config in ROWS:
        with JiraEmulator(**SITE) as emulator, tempfile.TemporaryDirectory() as folder:
            emulator.faults = plan
            config_file = Path(folder) / "config.json"
            config_file.write_text(json.dumps(emulator.config(**config)))
            started = time.monotonic()
            done = subprocess.run([str(TAP), "--config", str(config_file)], capture_output=True, text=True)
            elapsed = time.monotonic() - started
            expected = emulator.site.record_counts()
            log = sorted(emulator.requests, key=lambda entry: entry.at)
        got: dict[str, set] = {}
        for line in done.stdout.splitlines():
            message = json.loads(line)
            if message["type"] == "RECORD":
                record = message["record"]
                key = (record.get(KEYS.get(message["stream"], "id")), record.get("boardId"), record.get("issueId"))
                got.setdefault(message["stream"], set()).add(key)
        received = sum(len(keys) for keys in got.values())
        lost = sum(max(count - len(got.get(stream, ())), 0) for stream, count in expected.items())
        waits = []
        for index, entry in enumerate(log[:-1]):
            if entry.fault in ("burst", "quota", "unavailable"):
                asked = plan.faults[0].retry_after if plan.faults else plan.chaos_retry_after
                waits.append(f"{log[index + 1].at - entry.at:.2f}>={asked:g}")
        failed |= bool(lost) or done.returncode != 0
        print(f"{label:<16} {len(plan.injected):>8} {sum(expected.values()):>9} {received:>9} {lost:>5}  "
              f"{' '.join(waits) or '-'}  (exit {done.returncode}, {elapsed:.1f} s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
