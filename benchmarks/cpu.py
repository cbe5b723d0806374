"""Benchmark: the tap's own CPU per issue record, on wide issues, with Jira out of the way.

    .venv/bin/python -m benchmarks.cpu 5000 --custom-fields 200

Serves that many issues, each with that many more custom fields, with no latency,
and syncs only the `issues` stream as its own process, output to a file.  Prints the
tap's CPU seconds (user + system, from the kernel) and issue records per CPU second,
for tap-jira as shipped and for the same tap with singer-sdk's default record output
(`benchmarks.plain_sdk_tap`: simplejson writer, record generation, selection walk),
and checks that both wrote the same records.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.process import measure
from jira_emulator import JiraEmulator

TAP = Path(sys.executable).parent / "tap-jira"
VARIANTS = {
    "tap-jira (msgspec, root-only)": [str(TAP)],
    "singer-sdk defaults": [sys.executable, "-m", "benchmarks.plain_sdk_tap"],
}


def records(output: Path, base_url: str) -> list[str]:
    """The RECORD lines, as canonical JSON without the extraction time."""
    lines = []
    with output.open() as messages:
        for line in messages:
            message = json.loads(line)
            if message["type"] == "RECORD":
                message.pop("time_extracted", None)
                lines.append(json.dumps(message, sort_keys=True).replace(base_url, "BASE"))
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("issues", type=int, nargs="?", default=5000)
    parser.add_argument("--custom-fields", type=int, default=200)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    with JiraEmulator(seed=args.seed, issues=args.issues, custom_fields=args.custom_fields) as emulator, \
            tempfile.TemporaryDirectory() as work:
        folder = Path(work)
        config = folder / "config.json"
        config.write_text(json.dumps(emulator.config(start_date="2000-01-01T00:00:00Z", max_requests_per_second=1000)))
        discovered = json.loads(subprocess.run([str(TAP), "--config", str(config), "--discover"], capture_output=True,
                                               text=True, check=True).stdout)
        for entry in discovered["streams"]:
            for item in entry["metadata"]:
                if item["breadcrumb"] == []:
                    item["metadata"]["selected"] = entry["tap_stream_id"] == "issues"
        catalog = folder / "catalog.json"
        catalog.write_text(json.dumps(discovered))
        width = len(emulator.site.render.issue_fields(emulator.site.issues[0]))
        print(f"cores: {os.cpu_count()}; {args.issues} issues, {width} fields each "
              f"({args.custom_fields} generated custom fields); no latency")
        print(f"{'output path':<31} {'exit':>4} {'CPU s':>6} {'records/CPU s':>13} {'wall s':>6} {'RSS MiB':>7}")
        written = {}
        ok = True
        for name, command in VARIANTS.items():
            output = folder / "out.jsonl"
            result = measure([*command, "--config", str(config), "--catalog", str(catalog)], output, folder / "log",
                             env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)})
            written[name] = records(output, emulator.base_url)
            ok &= result.exit == 0 and len(written[name]) == args.issues
            print(f"{name:<31} {result.exit:>4} {result.cpu:>6.2f} {len(written[name]) / result.cpu:>13.0f} "
                  f"{result.wall:>6.1f} {result.rss_mib:>7.0f}", flush=True)
        same = len(set(map(tuple, written.values()))) == 1
        print("records identical across output paths:", "yes" if same else "NO")
    return 0 if ok and same else 1


if __name__ == "__main__":
    sys.exit(main())
