"""Run a connector as its own process and measure it: wall time, peak RSS and CPU."""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Measured:
    exit: int
    wall: float  # seconds
    rss_mib: float  # the process's peak resident set
    cpu: float  # user + system seconds


def measure(argv: list[str], stdout: Path, log: Path, cwd: Path | None = None,
            env: dict[str, str] | None = None) -> Measured:
    """Run `argv` to completion with stdout to a file (so no reader's cost is counted)."""
    started = time.monotonic()
    with stdout.open("w") as out, log.open("w") as err:
        process = subprocess.Popen(argv, stdout=out, stderr=err, cwd=cwd, env=env)
        _, status, usage = os.wait4(process.pid, 0)
    return Measured(os.waitstatus_to_exitcode(status), time.monotonic() - started, usage.ru_maxrss / 1024,
                    usage.ru_utime + usage.ru_stime)
