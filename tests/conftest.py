"""Shared fixtures: a live emulator on a real socket, and the tap run as a process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from jira_emulator import JiraEmulator

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
# The taps the tests start keep their deletes store (tap_jira/deletes/store.py) here,
# not in the user's ~/.local/state: one folder per test session.
os.environ["XDG_STATE_HOME"] = tempfile.mkdtemp(prefix="tap-jira-test-state-")


def tool(env_var: str, default: Path) -> Path:
    """A command the README's set-up installs; its absence is a failure, never a skip."""
    path = Path(os.environ.get(env_var) or default)
    if not path.exists():
        pytest.fail(f"{path} is missing: run the tests with `make test`, which installs it ({env_var})")
    return path


def loader(name: str) -> Path:
    """A Singer loader `make` installs (tests/warehouse.py LOADERS); missing is a failure."""
    from tests.warehouse import LOADERS

    env_var, default = LOADERS[name]
    return tool(env_var, REPO / default)


@dataclass
class TapRun:
    returncode: int
    stdout: str
    stderr: str

    @property
    def messages(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stdout.splitlines() if line.strip()]

    def records(self, stream: str) -> list[dict[str, Any]]:
        return [m["record"] for m in self.messages if m["type"] == "RECORD" and m["stream"] == stream]

    @property
    def final_state(self) -> dict[str, Any]:
        states = [m["value"] for m in self.messages if m["type"] == "STATE"]
        return states[-1] if states else {}


def summary_rows(stderr: str) -> dict[str, tuple[int, int]]:
    """The tap's summary table (tap_jira/progress.py): stream -> (records, requests)."""
    rows = {}
    for line in stderr[stderr.index("Sync summary"):].splitlines()[2:]:
        cells = line.split("|")[-1].split()
        if len(cells) == 4 and cells[1].replace(",", "").isdigit():
            rows[cells[0]] = (int(cells[1].replace(",", "")), int(cells[2].replace(",", "")))
    return rows


def run_tap(tmp_path: Path, config: dict[str, Any], *args: str, state: dict | None = None,
            catalog: dict | None = None, env: dict[str, str] | None = None) -> TapRun:
    """Run the installed `tap-jira` console script as its own process."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    config_file = tmp_path / "config.json"
    config_file.write_text(json.dumps(config))
    command = [str(BIN / "tap-jira"), "--config", str(config_file), *args]
    if state is not None:
        state_file = tmp_path / "state.json"
        state_file.write_text(json.dumps(state))
        command += ["--state", str(state_file)]
    if catalog is not None:
        catalog_file = tmp_path / "catalog.json"
        catalog_file.write_text(json.dumps(catalog))
        command += ["--catalog", str(catalog_file)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, env=env)
    return TapRun(done.returncode, done.stdout, done.stderr)


@pytest.fixture(scope="module")
def emulator():
    with JiraEmulator(seed=7, issues=240, projects=5, users=230) as running:
        yield running


@pytest.fixture(scope="session")
def postgres():
    """One throwaway PostgreSQL cluster (Debian's server) for the session's loader tests."""
    from tests.warehouse import PostgresServer, postgres_binaries

    bindir = postgres_binaries()
    if bindir is None:
        pytest.fail("PostgreSQL server binaries are missing: run the tests with `make test`, which installs "
                    "Debian's postgresql")
    server = PostgresServer(bindir).start()
    try:
        yield server
    finally:
        server.stop()
