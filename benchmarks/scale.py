"""Benchmark: a full load of issues + comments + worklogs + changelogs against an
emulator with a latency model, per dataset size and number of workers.

    .venv/bin/python -m benchmarks.scale 10000 --workers 1 4 --latency-ms 100 --per-item-ms 0.2

`--every-stream` syncs every stream discovery selects (lookups, projects, boards,
users, ...) instead, as `make demo` does.

For each size and `max_workers`, runs the installed `tap-jira` as its own process
(output to a file, so no target's cost is counted) and prints wall time, issues
per second, requests, records against the emulator's truth, and the tap's peak
RSS and CPU.  The emulator enforces Jira's burst limit (100 requests/s per
endpoint), so concurrency cannot cheat.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from benchmarks.bound import lower_bound
from benchmarks.process import measure
from jira_emulator import JiraEmulator
from tap_jira.api.pacing import BURST_SECONDS
from tap_jira.settings import default

DEFAULT_RATE = float(default("max_requests_per_second"))  # these runs keep the default pacing

TAP = Path(sys.executable).parent / "tap-jira"
STREAMS = {"issues", "comments", "worklogs", "changelogs"}


def catalog(config_file: Path, every_stream: bool) -> dict:
    discovered = json.loads(subprocess.run([str(TAP), "--config", str(config_file), "--discover"],
                                           capture_output=True, text=True, check=True).stdout)
    if every_stream:
        return discovered
    for entry in discovered["streams"]:
        for item in entry["metadata"]:
            if item["breadcrumb"] == []:
                item["metadata"]["selected"] = entry["tap_stream_id"] in STREAMS
    return discovered


def run_once(emulator: JiraEmulator, workers: int, folder: Path, every_stream: bool) -> dict:
    config_file = folder / "config.json"
    config_file.write_text(json.dumps(emulator.config(max_workers=workers)))  # default pacing: 10 requests/s
    catalog_file = folder / "catalog.json"
    catalog_file.write_text(json.dumps(catalog(config_file, every_stream)))
    emulator.reset_log()
    output = folder / f"tap-{workers}.jsonl"
    measured = measure([str(TAP), "--config", str(config_file), "--catalog", str(catalog_file)], output,
                       folder / "tap.log")
    records: Counter[str] = Counter()
    with output.open() as lines:
        for line in lines:
            if line.startswith('{"type":"RECORD"'):  # the msgspec writer's compact form
                records[json.loads(line)["stream"]] += 1
    output.unlink()
    return {"exit": measured.exit, "wall": measured.wall, "rss": measured.rss_mib, "cpu": measured.cpu,
            "requests": sum(emulator.request_counts().values()),
            "records": records, "refused": emulator.burst.refused,
            "bound": lower_bound(list(emulator.requests), len(emulator.site.issues), emulator.latency).seconds}


def pacer_floor(requests: int, rate: float = DEFAULT_RATE) -> float:
    """The least wall time the pacer allows for `requests`: a full bucket of
    BURST_SECONDS' worth first, then `rate` a second."""
    return max(0.0, requests - rate * BURST_SECONDS) / rate


def ratio(wall: float, floor: float) -> str:
    return f"{wall / floor:.2f}" if floor > 0 else "-"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sizes", type=int, nargs="*", default=[10000])
    parser.add_argument("--workers", type=int, nargs="*", default=[1, 4])
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--per-item-ms", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--every-stream", action="store_true", help="every stream discovery selects, not only "
                        "issues and their children")
    args = parser.parse_args(argv)
    print(f"cores: {os.cpu_count()}; latency {args.latency_ms:g} ms + {args.per_item_ms:g} ms per item; "
          f"{'every stream' if args.every_stream else ', '.join(sorted(STREAMS))}")
    print(f"{'issues':>7} {'workers':>7} {'wall s':>7} {'issues/s':>8} {'requests':>8} {'per 1k':>6} "
          f"{'RSS MiB':>7} {'CPU s':>6} {'429s':>5} {'bound s':>7} {'x bound':>7} {'pacer s':>7} {'x pacer':>7}"
          "  complete")
    ok = True
    for size in args.sizes:
        with JiraEmulator(seed=args.seed, issues=size) as emulator, tempfile.TemporaryDirectory() as folder:
            emulator.latency.base_ms, emulator.latency.per_item_ms = args.latency_ms, args.per_item_ms
            truth = {s: n for s, n in emulator.site.record_counts().items() if args.every_stream or s in STREAMS}
            for workers in args.workers:
                result = run_once(emulator, workers, Path(folder), args.every_stream)
                complete = result["exit"] == 0 and all(result["records"][s] >= n for s, n in truth.items())
                pacer = pacer_floor(result["requests"])
                ok &= complete
                print(f"{size:>7} {workers:>7} {result['wall']:>7.1f} {size / result['wall']:>8.0f} "
                      f"{result['requests']:>8} {result['requests'] * 1000 / size:>6.1f} {result['rss']:>7.0f} "
                      f"{result['cpu']:>6.1f} {result['refused']:>5} {result['bound']:>7.2f} "
                      f"{ratio(result['wall'], result['bound']):>7} {pacer:>7.1f} {ratio(result['wall'], pacer):>7}  "
                      f"{'yes' if complete else 'NO'}", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
