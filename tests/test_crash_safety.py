"""Whatever happens mid-sync, nothing is lost: kill -9 and resume, and issues edited
while the search pages (emulator on a real socket -> tap process)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from datetime import timedelta

import pytest

from jira_emulator import JiraEmulator
from tests.conftest import BIN, run_tap
from tests.messages import latest_by_key

SITE = {"seed": 31, "issues": 2500, "projects": 3, "users": 20, "boards": 2}


def killed_after(tmp_path, config: dict, records: int) -> list[dict]:
    """Run the tap and kill -9 it once `records` records are out; the complete lines it wrote."""
    config_file = tmp_path / "config.json"
    config_file.write_text(json.dumps(config))
    tap = subprocess.Popen([str(BIN / "tap-jira"), "--config", str(config_file)], stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, text=True)
    messages, seen = [], 0
    for line in tap.stdout:
        messages.append(json.loads(line))
        seen += messages[-1]["type"] == "RECORD"
        if seen >= records:
            os.kill(tap.pid, signal.SIGKILL)
            break
    tap.wait()
    return messages


@pytest.fixture(scope="module")
def site():
    with JiraEmulator(**SITE) as emulator:
        yield emulator


@pytest.mark.parametrize("fraction", [0.02, 0.3, 0.55, 0.8, 0.97])
def test_kill_9_then_resume_loses_nothing(site, tmp_path, fraction):
    truth = site.site.record_counts()
    before = killed_after(tmp_path, site.config(), int(sum(truth.values()) * fraction))
    states = [m["value"] for m in before if m["type"] == "STATE"]
    resumed = run_tap(tmp_path / "resume", site.config(), state=states[-1] if states else None)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    union = latest_by_key(before + resumed.messages)
    assert {stream: len(records) for stream, records in union.items()} == {k: v for k, v in truth.items() if v}
    if fraction >= 0.8:  # STATE came regularly: the resumed run did not start over
        assert states and len(resumed.records("issues")) < len(site.site.issues)


@pytest.mark.parametrize(("flavour", "edit_after_page"), [("cloud", 1), ("datacenter", 2)])
def test_issues_edited_while_paging_end_up_at_their_latest_version(tmp_path, flavour, edit_after_page):
    """Cloud: edits land between an id page and the bulk fetch of those ids; the edited
    issues are left to the next window.  Data Center: edits shift the startAt pages;
    the id-only check after paging finds the issue each edit pushed past the pages."""
    with JiraEmulator(seed=33, issues=600, projects=3, users=10, boards=2, flavour=flavour) as emulator:
        site = emulator.site
        order = sorted(site.issues, key=lambda issue: (issue.updated, int(issue.id)))
        edited = order[10:15]  # on the first page

        def edit_during_paging(page: int) -> None:
            if page == edit_after_page:
                for issue in edited:
                    site.touch(issue.id, site.now())

        site.on_search_page = edit_during_paging
        config = emulator.config("pat" if flavour == "datacenter" else "basic", page_size=100)
        first = run_tap(tmp_path / "first", config)
        assert first.returncode == 0, first.stderr[-2000:]
        site.on_search_page = None
        unedited = {issue.id for issue in site.issues} - {issue.id for issue in edited}
        assert unedited <= {r["id"] for r in first.records("issues")}
        if flavour == "datacenter":
            assert "shifted out of the pages" in first.stderr
        else:  # in `updated` order, edited ones not jumping ahead: STATE never passes an unwritten issue
            stamps = [record["updated"] for record in first.records("issues")]
            assert stamps == sorted(stamps) and not {issue.id for issue in edited} & {
                record["id"] for record in first.records("issues")}

        site.clock_offset = timedelta(minutes=10)  # time passes: the edits are inside the next window
        second = run_tap(tmp_path / "second", config, state=first.final_state)
        assert second.returncode == 0, second.stderr[-2000:]
        latest = latest_by_key(first.messages + second.messages)["issues"]
        assert {key for (key,) in latest} == {issue.id for issue in site.issues}
        for issue in edited:
            assert latest[(issue.id,)]["fields"]["updated"] == site.render.timestamp(issue.updated)
