"""The README's first command: the demo syncs into DuckDB (or JSONL) and reports what it loaded."""

from __future__ import annotations

import re
import subprocess
import sys

from jira_emulator.data import Site
from tap_jira.streams import STREAM_TYPES
from tests.conftest import REPO, loader
from tests.warehouse import readme_queries


def demo(tmp_path, *args: str, issues: int = 150) -> subprocess.CompletedProcess:
    loader("target-duckdb")
    loader("target-jsonl")
    return subprocess.run([sys.executable, "-m", "tests.demo", "--issues", str(issues), "--workdir",
                           str(tmp_path / "demo"), *args], cwd=REPO, capture_output=True, text=True, timeout=600)


def readme_demo_outputs() -> dict[str, list[str]]:
    """The README's "-- demo output: <title>" blocks: the rows `make demo` prints for that query."""
    blocks = re.findall(r"```text\n-- demo output: (.*?) \(.*?\n(.*?)```", (REPO / "README.md").read_text(),
                        flags=re.DOTALL)
    return {title: rows.strip().splitlines() for title, rows in blocks}


def default_streams(flavour: str) -> set[str]:
    """The streams selected by default that the deployment serves (Data Center has no
    cloud instances or custom field contexts)."""
    served = set(Site("http://localhost", issues=1, projects=1, users=1, boards=1, flavour=flavour).record_counts())
    selected = {stream.name for stream in STREAM_TYPES if stream.selected_by_default}
    assert served <= selected
    return served


def table(stdout: str) -> dict[str, tuple[int, int, str]]:
    rows = re.findall(r"^(\w+) +(\d+) +(\d+)  (yes|NO)$", stdout, flags=re.MULTILINE)
    return {name: (int(loaded), int(truth), ok) for name, loaded, truth, ok in rows}


def test_the_demo_loads_duckdb_and_answers_with_the_sql_shown(tmp_path):
    done = demo(tmp_path, issues=1000)  # make demo's size: the README shows its answers
    assert done.returncode == 0, done.stdout + done.stderr
    rows = table(done.stdout)
    assert set(rows) == default_streams("cloud")
    assert all(loaded == truth > 0 and ok == "yes" for loaded, truth, ok in rows.values())
    assert (tmp_path / "demo" / "warehouse.duckdb").exists()
    for title in ("issues per status", "hours logged per project", "story points per sprint",
                  "status at each day's end", "issues per component on a day"):
        sql = readme_queries("duckdb")[title]
        shown = "\n".join(f"    {line}" for line in sql.splitlines())
        assert shown + "\n    -> " in done.stdout  # the SQL as printed in the README, then its answer
    outputs = readme_demo_outputs()
    assert set(outputs) == {"story points per sprint", "status at each day's end", "issues per component on a day"}
    for title, printed in outputs.items():
        answer = done.stdout.split(f"\n{title[0].upper() + title[1:]}:\n", 1)[1]
        assert all(f"\n    -> {row}\n" in answer for row in printed), title  # the README shows what the demo answers
    # The README's one-liner for opening the file works as printed.
    snippet = re.search(r'`\.venv/bin/python -c "(import duckdb[^"]+)"`', (REPO / "README.md").read_text()).group(1)
    database = str(tmp_path / "demo" / "warehouse.duckdb")
    shown = subprocess.run([sys.executable, "-c", snippet.replace(".demo/warehouse.duckdb", database)],
                           capture_output=True, text=True, timeout=60)
    assert shown.returncode == 0 and "issues" in shown.stdout and "sprints" in shown.stdout, shown.stderr
    statuses = re.findall(r"^    -> (To Do|In Progress|Done) \| (\d+)$", done.stdout, flags=re.MULTILINE)
    assert sum(int(count) for _, count in statuses) == rows["issues"][0]


def test_the_demo_keeps_a_jsonl_option(tmp_path):
    done = demo(tmp_path, "--loader", "jsonl")
    assert done.returncode == 0, done.stdout + done.stderr
    assert all(ok == "yes" for *_, ok in table(done.stdout).values())
    assert set(table(done.stdout)) == default_streams("cloud")
    assert (tmp_path / "demo" / "output" / "issues.jsonl").exists()


def test_the_demo_loads_data_center_text_into_duckdb(tmp_path):
    done = demo(tmp_path, "--flavour", "datacenter", "--auth", "pat")
    assert done.returncode == 0, done.stdout + done.stderr
    rows = table(done.stdout)
    assert set(rows) == default_streams("datacenter")
    assert all(loaded == truth > 0 and ok == "yes" for loaded, truth, ok in rows.values())
