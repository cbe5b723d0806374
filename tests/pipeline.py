"""tap-jira piped into a real Singer target, each as its own process (tests and demo)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TAP = Path(sys.executable).parent / "tap-jira"


@dataclass
class PipelineRun:
    tap_returncode: int
    target_returncode: int
    tap_stderr: str
    target_stderr: str
    state: dict[str, Any]  # the last STATE the target confirmed
    output_dir: Path

    def records(self, stream: str) -> list[dict[str, Any]]:
        path = self.output_dir / f"{stream}.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]

    def counts(self) -> Counter[str]:
        return Counter({p.stem: len(self.records(p.stem)) for p in self.output_dir.glob("*.jsonl")})


def sync_to_jsonl(target: Path, config: dict[str, Any], workdir: Path, state: dict | None = None) -> PipelineRun:
    """`tap-jira --config ... [--state ...] | target-jsonl --config ...` into a fresh folder."""
    output_dir = workdir / "output"
    output_dir.mkdir(parents=True, exist_ok=False)  # target-jsonl appends: never reuse a folder
    return sync(target, {"destination_path": str(output_dir), "do_timestamp_file": False}, config, workdir,
                state, output_dir)


def sync(target: Path, target_config: dict[str, Any], config: dict[str, Any], workdir: Path,
         state: dict | None = None, output_dir: Path | None = None) -> PipelineRun:
    """`tap-jira --config ... [--state ...] | <target> --config ...`, each its own process."""
    workdir.mkdir(parents=True, exist_ok=True)
    tap_config = workdir / "tap_config.json"
    tap_config.write_text(json.dumps(config))
    target_config_file = workdir / "target_config.json"
    target_config_file.write_text(json.dumps(target_config))
    command = [str(TAP), "--config", str(tap_config)]
    if state is not None:
        state_file = workdir / "state_in.json"
        state_file.write_text(json.dumps(state))
        command += ["--state", str(state_file)]
    with open(workdir / "tap.log", "w+") as tap_log, open(workdir / "target.log", "w+") as target_log:
        tap = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=tap_log)
        loader = subprocess.Popen(
            [str(target), "--config", str(target_config_file)], stdin=tap.stdout, stdout=subprocess.PIPE,
            stderr=target_log
        )
        assert tap.stdout is not None
        tap.stdout.close()  # the target owns the pipe now
        target_stdout, _ = loader.communicate(timeout=1800)
        tap.wait(timeout=60)
        tap_log.seek(0)
        target_log.seek(0)
        tap_stderr, target_stderr = tap_log.read(), target_log.read()
    states = [json.loads(line) for line in target_stdout.decode().splitlines() if line.strip()]
    return PipelineRun(tap.returncode, loader.returncode, tap_stderr, target_stderr,
                       states[-1] if states else {}, output_dir or workdir)
