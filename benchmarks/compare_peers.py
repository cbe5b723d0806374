"""Benchmark: tap-jira side by side with other Jira connectors on one emulator.

    .venv/bin/python -m benchmarks.compare_peers 1000 --latency-ms 100 --per-item-ms 0.2

Each connector does a full initial load of issues + comments + worklogs + changelogs
from the same emulator, under the same latency model and Jira's burst limit, as its
own process with its output going to a file.  Peers:

- singer-io tap-jira 2.6.0 (PyPI ``tap-jira==2.6.0``, Stitch's tap);
- Airbyte source-jira 4.0.0 (PyPI ``airbyte-source-jira==4.0.0``, the newest on PyPI),
  with ``num_workers`` 3, the default its spec offers.

Each is installed once into its own virtual environment (``.venv-peer-*`` beside this
repository).  Both force https and verify with their own certifi bundle (they call
``Session.send``, which ignores ``REQUESTS_CA_BUNDLE``), so the emulator serves TLS
and its throwaway CA is appended to each peer's bundle (a pristine copy is kept beside it).
Airbyte 4.0.0 still calls the search Atlassian removed from Cloud, so the emulator
answers it here (``legacy_search``); tap-jira never calls it.

Prints one table: wall time (and its ratio to tap-jira's), requests, distinct
records per stream against the emulator's truth, and each process's peak RSS and CPU.
Airbyte 4.0.0 has no changelog stream: its changelogs are those embedded in its issue
records.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from benchmarks.bound import in_flight_profile, lower_bound, timeline
from benchmarks.process import Measured, measure
from jira_emulator import JiraEmulator

REPO = Path(__file__).resolve().parent.parent
TAP = Path(sys.executable).parent / "tap-jira"
FAMILIES = ("issues", "comments", "worklogs", "changelogs")
START = "2000-01-01T00:00:00Z"

IdsByFamily = dict[str, set[str]]


@dataclass
class Peer:
    name: str
    venv: Path | None  # None: tap-jira itself, from this environment
    requirement: str | None
    run: Callable[[Peer, JiraEmulator, Path], tuple[Measured, IdsByFamily]]

    def executable(self, name: str) -> Path:
        return (self.venv / "bin" / name) if self.venv else Path(sys.executable).parent / name

    def install(self) -> None:
        if self.venv is None or (self.venv / ".installed").exists():
            return
        print(f"installing {self.requirement} into {self.venv.name} (once) ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(self.venv)], check=True)
        subprocess.run([str(self.venv / "bin" / "pip"), "install", "--quiet", self.requirement], check=True)
        (self.venv / ".installed").touch()

    def trust(self, ca_file: Path) -> None:
        """Make the peer's certifi bundle trust the emulator's CA (its pristine copy is kept)."""
        if self.venv is None:
            return
        certifi_where = "import certifi; print(certifi.where())"
        bundle = Path(subprocess.run([str(self.venv / "bin" / "python"), "-c", certifi_where],
                                     capture_output=True, text=True, check=True).stdout.strip())
        pristine = bundle.with_name(bundle.name + ".pristine")
        if not pristine.exists():
            shutil.copyfile(bundle, pristine)
        bundle.write_text(pristine.read_text() + "\n" + ca_file.read_text())


def peer_env() -> dict[str, str]:
    """The environment for a peer: nothing that would put this repository's `tap_jira` on its path."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}


def singer_messages(output: Path) -> Iterator[dict]:
    with output.open() as lines:
        for line in lines:
            if line.startswith("{"):
                yield json.loads(line)


def select(catalog: dict, wanted: set[str], key: str = "tap_stream_id") -> dict:
    for entry in catalog["streams"]:
        for item in entry["metadata"]:
            if item["breadcrumb"] == []:
                item["metadata"]["selected"] = entry[key] in wanted
    return catalog


# ---- the connectors ---------------------------------------------------------------


def run_tap_jira(peer: Peer, emulator: JiraEmulator, folder: Path) -> tuple[Measured, IdsByFamily]:
    config = folder / "config.json"
    config.write_text(json.dumps(emulator.config(start_date=START, ca_bundle=str(emulator.ca_file))))
    discovered = subprocess.run([str(TAP), "--config", str(config), "--discover"], capture_output=True, text=True,
                                check=True).stdout
    catalog = folder / "catalog.json"
    catalog.write_text(json.dumps(select(json.loads(discovered), set(FAMILIES))))
    emulator.reset_log()
    output = folder / "out.jsonl"
    measured = measure([str(TAP), "--config", str(config), "--catalog", str(catalog)], output, folder / "log")
    ids: IdsByFamily = defaultdict(set)
    for message in singer_messages(output):
        if message["type"] == "RECORD" and message["stream"] in FAMILIES:
            ids[message["stream"]].add(str(message["record"]["id"]))
    return measured, ids


SINGER_IO_STREAMS = {"issues": "issues", "issue_comments": "comments", "worklogs": "worklogs",
                     "changelogs": "changelogs"}


def run_singer_io(peer: Peer, emulator: JiraEmulator, folder: Path) -> tuple[Measured, IdsByFamily]:
    account = emulator.site.account
    config = folder / "config.json"
    config.write_text(json.dumps({"start_date": START, "username": account.email, "password": account.api_token,
                                  "base_url": emulator.base_url, "user_agent": "benchmark", "request_timeout": 60}))
    tap = str(peer.executable("tap-jira"))
    discovered = subprocess.run([tap, "-c", str(config), "-d"], capture_output=True, text=True, check=True,
                                cwd=folder, env=peer_env()).stdout
    catalog = folder / "properties.json"  # 2.6.0 reads the selection only from -p/--properties
    catalog.write_text(json.dumps(select(json.loads(discovered), set(SINGER_IO_STREAMS))))
    emulator.reset_log()
    output = folder / "out.jsonl"
    measured = measure([tap, "-c", str(config), "-p", str(catalog)], output, folder / "log", folder, peer_env())
    ids: IdsByFamily = defaultdict(set)
    for message in singer_messages(output):
        if message["type"] == "RECORD" and message["stream"] in SINGER_IO_STREAMS:
            ids[SINGER_IO_STREAMS[message["stream"]]].add(str(message["record"]["id"]))
    return measured, ids


AIRBYTE_STREAMS = {"issues": "issues", "issue_comments": "comments", "issue_worklogs": "worklogs"}


def run_airbyte(peer: Peer, emulator: JiraEmulator, folder: Path) -> tuple[Measured, IdsByFamily]:
    account = emulator.site.account
    config = folder / "config.json"
    config.write_text(json.dumps({"domain": emulator.base_url.split("://", 1)[1], "email": account.email,
                                  "api_token": account.api_token, "start_date": START, "num_workers": 3}))
    source = str(peer.executable("source-jira"))
    discovered = subprocess.run([source, "discover", "--config", str(config)], capture_output=True, text=True,
                                check=True, cwd=folder, env=peer_env()).stdout
    streams = next(json.loads(line)["catalog"]["streams"] for line in discovered.splitlines()
                   if line.startswith('{"type":"CATALOG"'))
    configured = [{"stream": s, "sync_mode": "incremental", "cursor_field": s["default_cursor_field"],
                   "destination_sync_mode": "append"} for s in streams if s["name"] in AIRBYTE_STREAMS]
    catalog = folder / "configured_catalog.json"
    catalog.write_text(json.dumps({"streams": configured}))
    emulator.reset_log()
    output = folder / "out.jsonl"
    measured = measure([source, "read", "--config", str(config), "--catalog", str(catalog)], output,
                       folder / "log", folder, peer_env())
    ids: IdsByFamily = defaultdict(set)
    for message in singer_messages(output):
        if message["type"] != "RECORD" or message["record"]["stream"] not in AIRBYTE_STREAMS:
            continue
        stream, data = message["record"]["stream"], message["record"]["data"]
        ids[AIRBYTE_STREAMS[stream]].add(str(data["id"]))
        if stream == "issues":  # no changelog stream in 4.0.0: the search's embedded histories
            ids["changelogs"].update(str(h["id"]) for h in (data.get("changelog") or {}).get("histories", []))
    return measured, ids


PEERS = [
    Peer("tap-jira (this)", None, None, run_tap_jira),
    Peer("singer-io tap-jira 2.6.0", REPO / ".venv-peer-singer-io", "tap-jira==2.6.0", run_singer_io),
    Peer("airbyte source-jira 4.0.0", REPO / ".venv-peer-airbyte", "airbyte-source-jira==4.0.0", run_airbyte),
]


# ---- the table -----------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("issues", type=int, nargs="?", default=1000)
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--per-item-ms", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--only", nargs="*", help="run only the connectors whose names contain these words")
    parser.add_argument("--timeline", action="store_true", help="print tap-jira's requests, one a line")
    args = parser.parse_args(argv)
    peers = [p for p in PEERS if not args.only or any(word in p.name for word in args.only)]
    for peer in peers:
        peer.install()

    with JiraEmulator(tls=True, legacy_search=True, seed=args.seed, issues=args.issues) as emulator:
        emulator.latency.base_ms, emulator.latency.per_item_ms = args.latency_ms, args.per_item_ms
        truth = {family: emulator.site.record_counts()[family] for family in FAMILIES}
        print(f"cores: {os.cpu_count()}; {args.issues} issues; latency {args.latency_ms:g} ms + "
              f"{args.per_item_ms:g} ms per item; burst limit {emulator.burst.per_second:g}/s per endpoint; "
              f"truth: " + ", ".join(f"{f} {n}" for f, n in truth.items()))
        header = (f"{'connector':<27} {'exit':>4} {'wall s':>7} {'x ours':>6} {'requests':>8} {'per 1k':>7} "
                  + " ".join(f"{f:>11}" for f in FAMILIES)
                  + f" {'complete':>8} {'RSS MiB':>7} {'CPU s':>6} {'429s':>5}")
        print(header)
        ours_wall = None
        bound = None
        log: list = []
        ok = True
        for peer in peers:
            with tempfile.TemporaryDirectory() as folder:
                peer.trust(emulator.ca_file)
                refused_before = emulator.burst.refused
                measured, ids = peer.run(peer, emulator, Path(folder))
                requests = sum(emulator.request_counts().values())
            complete = measured.exit == 0 and all(len(ids[f]) == truth[f] for f in FAMILIES)
            if peer.venv is None:
                ours_wall, ok = measured.wall, complete
                log = list(emulator.requests)
                bound = lower_bound(log, args.issues, emulator.latency)
            ratio = f"{measured.wall / ours_wall:.1f}" if ours_wall else "-"
            print(f"{peer.name:<27} {measured.exit:>4} {measured.wall:>7.1f} {ratio:>6} {requests:>8} "
                  f"{requests * 1000 / args.issues:>7.1f} "
                  + " ".join(f"{len(ids[f]):>5}/{truth[f]:<5}" for f in FAMILIES)
                  + f" {'yes' if complete else 'NO':>8} {measured.rss_mib:>7.0f} {measured.cpu:>6.1f} "
                  f"{emulator.burst.refused - refused_before:>5}", flush=True)
        if bound is not None:
            print(f"\nlower bound {bound.seconds:.2f} s (myself {bound.myself:.2f} + id pages {bound.id_pages:.2f} + "
                  f"bulk fetch {bound.bulk_fetch:.2f} + children {bound.children:.2f}); tap-jira at "
                  f"{ours_wall / bound.seconds:.2f}x of it" if ours_wall else "")
            print("tap-jira's requests in flight, share of its run: " + ", ".join(
                f"{level}: {share:.0%}" for level, share in in_flight_profile(log).items()))
            if args.timeline:
                print("\n".join(timeline(log)))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
