"""Run a connector as its own process and measure it: wall time, peak RSS and CPU."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

LAUNCHER = Path(__file__).with_name("launch.py")


@dataclass
class Measured:
    exit: int
    wall: float  # seconds
    rss_mib: float  # the process's peak resident set
    cpu: float  # user + system seconds


def measure(argv: list[str], stdout: Path, log: Path, cwd: Path | None = None,
            env: dict[str, str] | None = None) -> Measured:
    """Run `argv` to completion with stdout to a file (so no reader's cost is counted),
    through `benchmarks.launch`, which reports the command's own peak RSS and CPU."""
    started = time.monotonic()
    with stdout.open("w") as out, log.open("w") as err:
        subprocess.run([sys.executable, str(LAUNCHER), *argv], stdout=out, stderr=err, cwd=cwd, env=env,
                       check=False)
    wall = time.monotonic() - started
    usage = json.loads(log.read_text().splitlines()[-1])
    return Measured(usage["exit"], wall, usage["rss_kib"] / 1024, usage["cpu"])
