"""One site split across jobs: two partitions by project, each with its own state, run at
the same time against one Jira whose rate limit is shared by the whole tenant."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from jira_emulator import JiraEmulator
from tests.conftest import run_tap
from tests.test_children import catalog_selecting

PARTITIONED = ("issues", "comments", "worklogs", "changelogs")


def ids(run, stream):
    return [str(record["id"]) for record in run.records(stream)]


def test_two_partitions_at_once_read_the_site_once_between_them_and_honour_the_shared_rate_limit(tmp_path):
    with JiraEmulator(seed=21, issues=240, projects=3, users=10, boards=1) as emulator:
        site = emulator.site
        catalog = catalog_selecting(tmp_path, emulator, *PARTITIONED)
        keys = sorted(project.key for project in site.projects)
        partitions = {"first": keys[:1], "rest": keys[1:]}
        # The tenant's bucket is shared by every token and job: each partition gets half of
        # a budget the two together still exceed here, so that Jira answers 429.
        emulator.burst.per_second = emulator.burst.capacity = 3
        refused_before = emulator.burst.refused
        emulator.reset_log()

        def run(name, state=None):
            config = emulator.config(projects=partitions[name], max_requests_per_second=5, max_workers=4,
                                     user_agent=f"partition-{name}")
            return run_tap(tmp_path / name / str(bool(state)), config, state=state, catalog=catalog)

        with ThreadPoolExecutor(max_workers=2) as pool:
            runs = dict(zip(partitions, pool.map(run, partitions), strict=True))
        log = list(emulator.requests)
        for name, done in runs.items():
            assert done.returncode == 0, (name, done.stderr[-2000:])

        truth = site.record_counts()
        for stream in PARTITIONED:
            union = Counter(ids(runs["first"], stream)) + Counter(ids(runs["rest"], stream))
            assert len(union) == truth[stream], stream  # complete
            assert max(union.values()) == 1, stream  # and no record in both partitions
        assert {issue["fields"]["project"]["key"] for issue in runs["first"].records("issues")} == set(keys[:1])

        # 429s came, and each partition held back for the Retry-After it was given.
        refused = [entry for entry in log if entry.status == 429]
        assert refused and emulator.burst.refused > refused_before
        for entry in refused:
            later = [other.at - entry.at for other in log if other.agent == entry.agent and other.at > entry.at]
            # Requests already on the wire when the 429 arrived may land just after it.
            assert not [gap for gap in later if 0.1 < gap < 0.9], (entry.agent, sorted(later)[:5])

        # Each partition resumes from its own state: an edit in one is read by that one only.
        edited = next(issue for issue in site.issues if issue.project.key == keys[0])
        site.touch(edited.id, site.now() + timedelta(seconds=1))
        site.clock_offset += timedelta(minutes=10)  # past the search lag (5 minutes by default)
        again = {name: run(name, state=runs[name].final_state) for name in partitions}
    assert all(done.returncode == 0 for done in again.values())
    assert ids(again["first"], "issues") == [edited.id]
    assert ids(again["rest"], "issues") == []
