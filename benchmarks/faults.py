"""The fault matrix: one full sync per fault type, a seeded chaos run, kill -9 and
resume at several points, and issues edited while the search pages.

    .venv/bin/python -m benchmarks.faults [--hardening]

For each row, starts the emulator with the fault injected, runs the installed
`tap-jira` as its own process, and prints the faults injected, records expected
and received (deduplicated by primary key, latest version), records lost, and
for each 429/503 the wait observed against the Retry-After given.

A second table holds the hardening classes: responses that hang (a trickling body,
a Retry-After of hours, bodies no retry can fix, an unusable token store), responses
of an unexpected shape, payloads of other Jiras (numeric ids, future or malformed
timestamps, deep documents), and DEBUG logs searched for every secret of each auth
mode.  Each row says whether the run completed with nothing lost, or how many seconds
it took to end with its one-line error.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from jira_emulator import JiraEmulator, payloads
from jira_emulator.faults import Fault, FaultPlan, retry_waits
from tests.messages import latest_by_key

TAP = Path(sys.executable).parent / "tap-jira"
SITE = {"seed": 21, "issues": 500, "projects": 4, "users": 60, "boards": 6}
ROWS = [
    ("429 burst", FaultPlan([Fault("burst", path="/search/jql", at=frozenset({2, 3}), retry_after=1.5)]), {}),
    ("429 quota", FaultPlan([Fault("quota", path="/changelog/bulkfetch", retry_after=3)]), {}),
    ("503", FaultPlan([Fault("unavailable", path="/users/search", times=2, retry_after=1)]), {}),
    ("reset", FaultPlan([Fault("reset", path="/search/jql", at=frozenset({1, 4}))]), {}),
    ("truncated body", FaultPlan([Fault("truncate", path="/issue/bulkfetch")]), {}),
    ("slow (timeout)", FaultPlan([Fault("slow", path="/project/search", delay=3)]), {"request_timeout": 1}),
    ("200, not JSON", FaultPlan([Fault("garbage", path="/search/jql", at=frozenset({2}))]), {}),
    # Retry-After 1 s: long enough to tell a held client from requests already in flight.
    ("chaos 10%", FaultPlan(chaos_rate=0.10, seed=7, chaos_kinds=("burst", "unavailable", "reset", "truncate",
                                                                  "garbage"), chaos_retry_after=1.0),
     {"page_size": 20}),
]
CRASH_SITE = {"seed": 31, "issues": 2500, "projects": 3, "users": 20, "boards": 2}  # STATE every 1000 issues


def run_tap(config: dict, state: dict | None = None, kill_after: int | None = None) -> tuple[int, list[dict]]:
    """The tap as a process; with `kill_after`, SIGKILLed once that many records are out."""
    with tempfile.TemporaryDirectory() as folder:
        config_file = Path(folder) / "config.json"
        config_file.write_text(json.dumps(config))
        command = [str(TAP), "--config", str(config_file)]
        if state is not None:
            (Path(folder) / "state.json").write_text(json.dumps(state))
            command += ["--state", str(Path(folder) / "state.json")]
        tap = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        messages, records = [], 0
        for line in tap.stdout:
            messages.append(json.loads(line))
            records += messages[-1]["type"] == "RECORD"
            if kill_after is not None and records >= kill_after:
                os.kill(tap.pid, signal.SIGKILL)
                break
        return tap.wait(), messages


def crash_rows() -> bool:
    failed = False
    for fraction in (0.3, 0.8, 0.97):
        with JiraEmulator(**CRASH_SITE) as emulator:
            expected = emulator.site.record_counts()
            total = sum(expected.values())
            _, before = run_tap(emulator.config(), kill_after=int(total * fraction))
            states = [m["value"] for m in before if m["type"] == "STATE"]
            code, after = run_tap(emulator.config(), state=states[-1] if states else None)
        got = latest_by_key(before + after)
        lost = sum(max(count - len(got.get(stream, {})), 0) for stream, count in expected.items())
        failed |= bool(lost) or code != 0
        print(f"{f'kill -9 at {fraction:.0%}':<16} {1:>8} {total:>9} {sum(map(len, got.values())):>9} {lost:>5}  "
              f"-  (resume exit {code}; it re-read "
              f"{sum(m.get('stream') == 'issues' for m in after if m['type'] == 'RECORD')}"
              f" of {expected['issues']} issues)")
    with JiraEmulator(**SITE) as emulator:
        site = emulator.site
        edited = sorted(site.issues, key=lambda issue: (issue.updated, int(issue.id)))[10:15]
        site.on_search_page = lambda page: [site.touch(i.id, site.now()) for i in edited] if page == 2 else None
        _, first = run_tap(emulator.config(page_size=100))
        site.on_search_page, site.clock_offset = None, timedelta(minutes=10)
        state = [m["value"] for m in first if m["type"] == "STATE"][-1]
        code, second = run_tap(emulator.config(page_size=100), state=state)
        expected = site.record_counts()
        got = latest_by_key(first + second)
        stale = sum(got["issues"][(i.id, None, None)]["fields"]["updated"] != site.render.timestamp(i.updated)
                    for i in edited)
        lost = sum(max(count - len(got.get(stream, {})), 0) for stream, count in expected.items()) + stale
        failed |= bool(lost) or code != 0
        print(f"{'5 edits mid-page':<16} {5:>8} {sum(expected.values()):>9} {sum(map(len, got.values())):>9} "
              f"{lost:>5}  -  (two runs; {stale} issues not at their latest version)")
    return failed


# The hardening matrix: (class, case, site setup, config overrides, whether the run must
# complete with every record, or end with one clear line).
def _future_dated(emulator: JiraEmulator) -> None:
    site = emulator.site
    site.touch(site.issues[5].id, site.now() + timedelta(days=3))


def _malformed(emulator: JiraEmulator) -> None:
    site = emulator.site
    site.issues[2].raw_fields["updated"] = "yesterday-ish"
    site.issues[4].raw_fields["description"] = payloads.nested_document(1500)
    emulator.rewrites = [payloads.without_created({history.id for history in site.issues[3].histories})]


def _faults(*faults: Fault) -> Callable[[JiraEmulator], None]:
    def setup(emulator: JiraEmulator) -> None:
        emulator.faults = FaultPlan(list(faults))
    return setup


def _rewrites(*rewrites: Callable) -> Callable[[JiraEmulator], None]:
    def setup(emulator: JiraEmulator) -> None:
        emulator.rewrites = list(rewrites)
    return setup


HARDENING_ROWS: list[tuple[str, str, Callable[[JiraEmulator], None], dict, bool]] = [
    ("hang", "body trickles 1 B/0.5 s", _faults(Fault("trickle", path="/project/search", delay=0.5, times=2)),
     {"request_timeout": 2}, True),
    ("hang", "Retry-After 7200", _faults(Fault("quota", path="/project/search", retry_after=7200, times=50)),
     {}, False),
    ("hang", "Retry-After nan", _faults(Fault("unavailable", path="/project/search", retry_after="nan")), {}, True),
    ("hang", "body not UTF-8", _faults(Fault("bad_utf8", path="/project/search", times=100)), {}, False),
    ("hang", "broken gzip", _faults(Fault("bad_gzip", path="/project/search", times=100)), {}, False),
    ("hang", "token store is a dir", lambda emulator: None, {"auth": "oauth2", "token_store_path": "{folder}"}, False),
    ("shape", "values is an object", _rewrites(payloads.replace_key("/project/search", "values", {})), {}, False),
    ("shape", "issues is a string", _rewrites(payloads.replace_key("/search/jql", "issues", "none")), {}, False),
    ("shape", "array, not object", _rewrites(payloads.replace_body("/myself", lambda body: [body])), {}, False),
    ("payload", "ids as numbers", _rewrites(payloads.numeric_ids), {}, True),
    ("payload", "future updated, lag 0", _future_dated, {"search_lag_minutes": 0}, True),
    ("payload", "bad updated/created/deep", _malformed, {}, True),
]
SECRET_ROWS = [("cloud", "basic"), ("cloud", "oauth2"), ("datacenter", "pat"), ("datacenter", "oauth1")]


def hardening_rows() -> bool:
    """Each row: exit code, records lost against the emulator's truth (rows that must
    complete), seconds to the end or to the one-line error, and the error line."""
    print(f"\n{'class':<8} {'case':<26} {'exit':>4} {'lost':>5} {'seconds':>7}  outcome")
    failed = False
    for kind, label, setup, overrides, completes in HARDENING_ROWS:
        with JiraEmulator(**SITE) as emulator, tempfile.TemporaryDirectory() as folder:
            setup(emulator)
            auth = overrides.get("auth", "basic")
            config = emulator.config(auth, **{key: str(value).format(folder=folder) if isinstance(value, str) else value
                                              for key, value in overrides.items() if key != "auth"})
            code, stdout, stderr, elapsed = _run(config, folder)
            expected = emulator.site.record_counts()
        got = latest_by_key([json.loads(line) for line in stdout.splitlines()])
        lost = sum(max(count - len(got.get(stream, ())), 0) for stream, count in expected.items())
        errors = [line for line in stderr.splitlines() if line.startswith("tap-jira: error: ")]
        clean = "Traceback" not in stderr
        ok = clean and (code == 0 and not lost if completes else code != 0 and len(errors) == 1)
        failed |= not ok
        error_line = errors[0][len("tap-jira: error: "):][:90] if errors else "no error line"
        outcome = "complete" if code == 0 else error_line
        print(f"{kind:<8} {label:<26} {code:>4} {lost if completes else '-':>5} {elapsed:>7.1f}  {outcome}"
              f"{'' if ok else '  << FAILED'}")
    for flavour, auth in SECRET_ROWS:
        with JiraEmulator(flavour=flavour, **SITE) as emulator, tempfile.TemporaryDirectory() as folder:
            config = emulator.config(auth, **({"token_store_path": f"{folder}/t.json"} if auth == "oauth2" else {}))
            code, stdout, stderr, elapsed = _run(config, folder, env={"TAP_JIRA_LOGLEVEL": "DEBUG"})
            secrets = [v for k, v in config.items() if k in ("api_token", "password", "client_secret", "refresh_token",
                                                             "access_token", "personal_access_token")]
            secrets += emulator.oauth2.issued_tokens() if auth == "oauth2" else []
        leaked = sum(secret in stderr + stdout for secret in secrets) + ("oauth_signature" in stderr)
        failed |= bool(leaked) or code != 0
        print(f"{'secret':<8} {f'DEBUG log, {flavour} {auth}':<26} {code:>4} {'-':>5} {elapsed:>7.1f}  "
              f"{leaked} of {len(secrets)} secrets in {len(stderr.splitlines())} log lines")
    return failed


def _run(config: dict, folder: str, env: dict | None = None) -> tuple[int, str, str, float]:
    config_file = Path(folder) / "config.json"
    config_file.write_text(json.dumps(config))
    started = time.monotonic()
    done = subprocess.run([str(TAP), "--config", str(config_file)], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=600)
    return done.returncode, done.stdout, done.stderr, time.monotonic() - started


def main() -> int:
    if "--hardening" in sys.argv[1:]:  # the second table alone
        return 1 if hardening_rows() else 0
    print(f"{'fault':<16} {'injected':>8} {'expected':>9} {'received':>9} {'lost':>5}  "
          "waits (observed s >= Retry-After s)")
    failed = False
    for label, plan, config in ROWS:
        with JiraEmulator(**SITE) as emulator, tempfile.TemporaryDirectory() as folder:
            emulator.faults = plan
            config_file = Path(folder) / "config.json"
            config_file.write_text(json.dumps(emulator.config(**config)))
            started = time.monotonic()
            done = subprocess.run([str(TAP), "--config", str(config_file)], capture_output=True, text=True)
            elapsed = time.monotonic() - started
            expected = emulator.site.record_counts()
            waits = [f"{waited:.2f}>={asked:g}" for _, asked, waited in retry_waits(emulator.requests, plan)]
        got = latest_by_key([json.loads(line) for line in done.stdout.splitlines()])
        received = sum(len(keys) for keys in got.values())
        lost = sum(max(count - len(got.get(stream, ())), 0) for stream, count in expected.items())
        failed |= bool(lost) or done.returncode != 0
        print(f"{label:<16} {len(plan.injected):>8} {sum(expected.values()):>9} {received:>9} {lost:>5}  "
              f"{' '.join(waits) or '-'}  (exit {done.returncode}, {elapsed:.1f} s)")
    failed |= crash_rows()
    failed |= hardening_rows()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
