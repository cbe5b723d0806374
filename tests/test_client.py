"""JiraClient on its own, against the emulator: a session per thread, every attempt
counted for the stream whose records it reads, every page through one `paginate`."""

from __future__ import annotations

import logging
import threading

from jira_emulator import JiraEmulator
from jira_emulator.faults import Fault, FaultPlan
from tap_jira.api.client import SITE, JiraClient
from tap_jira.api.pagination import NextPageTokenPaginator
from tap_jira.progress import Progress
from tap_jira.settings import Settings
from tap_jira.timestamps import JiraClock


def client_for(emulator: JiraEmulator) -> JiraClient:
    return JiraClient(Settings.from_config(emulator.config()), JiraClock(), Progress(0),
                      logging.getLogger("test-client"), user_agent="tests")


def test_each_thread_gets_its_own_session_on_the_one_pacer():
    with JiraEmulator(seed=1, issues=5, projects=1, users=3, boards=1) as emulator:
        client = client_for(emulator)
        sessions: list[object] = []
        threads = [threading.Thread(target=lambda: sessions.extend([client.session(), client.session()]))
                   for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert len(sessions) == 6 and len({id(s) for s in sessions}) == 3  # the same within a thread
    assert {id(s.get_adapter("http://x").pacer) for s in sessions} == {id(client.pacer)}


def test_every_attempt_is_counted_for_the_stream_it_reads():
    with JiraEmulator(seed=1, issues=5, projects=1, users=3, boards=1) as emulator:
        client = client_for(emulator)
        _ = client.myself
        emulator.faults = FaultPlan([Fault("unavailable", path="/comment", times=1, retry_after=0.01)])
        client.request("GET", "/issue/10000/comment", stream="issues", for_stream="comments")
    counts = {name: entry.requests for name, entry in client.progress.streams.items()}
    assert counts == {SITE: 2, "comments": 2}  # serverInfo and /myself; then the 503 and its retry


def test_paginate_follows_tokens_until_the_last_page():
    with JiraEmulator(seed=2, issues=12_000, projects=2, users=3, boards=1) as emulator:
        client = client_for(emulator)
        url = client.site.rest + "/search/jql"
        pages = list(client.paginate(
            "POST", url, NextPageTokenPaginator(),
            lambda token: (None, {"jql": 'updated >= "1970/01/01 00:00" ORDER BY updated ASC', "fields": ["id"],
                                  "maxResults": 5000, **({"nextPageToken": token} if token else {})}),
            stream="issues"))
    ids = [issue["id"] for page in pages for issue in page.json()["issues"]]
    assert len(pages) == 3 and len(ids) == len(set(ids)) == 12_000


def test_an_oauth2_resend_after_a_refused_token_is_counted_and_timed_for_its_stream(tmp_path):
    with JiraEmulator(seed=1, issues=5, projects=1, users=3, boards=1) as emulator:
        config = emulator.config("oauth2", token_store_path=str(tmp_path / "tokens.json"))
        points: list[dict] = []
        metrics_logger = logging.getLogger("test-client-oauth2")
        metrics_logger.addHandler(_Collect(points))
        metrics_logger.setLevel(logging.INFO)
        client = JiraClient(Settings.from_config(config), JiraClock(), Progress(0), metrics_logger, user_agent="t")
        _ = client.myself
        emulator.oauth2.revoke_access_tokens()  # the next try gets a 401; the auth hook refreshes and resends
        client.request("GET", "/issue/10000/comment", stream="issues", for_stream="comments")
    assert client.progress.streams["comments"].requests == 2  # the refused try and its resend
    durations = [p["value"] for p in points if p["metric"] == "http_request_duration"
                 and p["tags"]["endpoint"] == "/issue/{id}/comment"]
    assert len(durations) == 1 and durations[0] > 0


class _Collect(logging.Handler):
    def __init__(self, into: list[dict]) -> None:
        super().__init__()
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        point = record.args[0] if isinstance(record.args, tuple) and record.args else None
        if point is not None and hasattr(point, "to_dict"):
            self.into.append(point.to_dict())
