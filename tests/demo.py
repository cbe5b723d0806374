"""The main job, on an embedded default: the bundled Jira emulator synced into JSONL files.

    make demo            # or: .venv/bin/python -m tests.demo --target <target-jsonl>
    make demo DEMO_ARGS="--auth oauth2"                      # two runs; refresh tokens rotate
    make demo DEMO_ARGS="--flavour datacenter --auth oauth1" # or pat, basic

Starts the emulator on a free loopback port, runs `tap-jira | target-jsonl`,
and prints records per stream (checked against the emulator's own data),
requests per endpoint, and the final STATE.  With --auth oauth2 the
authorization server retires refresh tokens at once and every run starts
with an expired access token, so each run must use the token the last one stored.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

from tests.emulator import JiraEmulator
from tests.pipeline import sync_to_jsonl


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", type=Path, required=True, help="path to the target-jsonl executable")
    parser.add_argument("--issues", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--workdir", type=Path, default=Path(".demo"))
    parser.add_argument("--flavour", choices=("cloud", "datacenter"), default="cloud")
    parser.add_argument("--auth", choices=("basic", "oauth2", "oauth1", "pat"), default="basic")
    parser.add_argument("--runs", type=int, help="consecutive full syncs (default: 2 with oauth2, else 1)")
    args = parser.parse_args(argv)

    shutil.rmtree(args.workdir, ignore_errors=True)
    runs = args.runs or (2 if args.auth == "oauth2" else 1)
    with JiraEmulator(seed=args.seed, issues=args.issues, flavour=args.flavour) as emulator:
        site = emulator.site
        print(f"Jira emulator ({args.flavour}, {args.auth} auth): {emulator.base_url}  ({len(site.issues)} issues, "
              f"{len(site.projects)} projects, {len(site.users)} users; profile zone {site.account.user.time_zone}, "
              f"site zone {site.site_zone})")
        emulator.oauth2.leeway_seconds = 0  # a retired refresh token is dead at once
        config = emulator.config(args.auth, token_store_path=str((args.workdir / "token-store.json").resolve()))
        for number in range(1, runs + 1):
            emulator.reset_log()
            emulator.oauth2.revoke_access_tokens()  # each run starts after the access token expired
            started = time.monotonic()
            run = sync_to_jsonl(args.target, config, args.workdir / f"run{number}" if runs > 1 else args.workdir)
            elapsed = time.monotonic() - started
            if runs > 1:
                print(f"run {number}: tap exit {run.tap_returncode}, {sum(run.counts().values())} records, "
                      f"{elapsed:.1f} s; refresh-token rotations so far: {emulator.oauth2.refreshes}")
        requests = emulator.request_counts()

    counts, expected = run.counts(), emulator.site.record_counts()
    print(f"tap-jira | target-jsonl -> {run.output_dir}/  in {elapsed:.1f} s "
          f"(exit codes: tap {run.tap_returncode}, target {run.target_returncode})\n")
    print(f"{'stream':<12} {'records':>8} {'expected':>9}  complete")
    complete = run.tap_returncode == 0 and run.target_returncode == 0
    for stream in sorted(expected):
        ok = counts.get(stream, 0) == expected[stream]
        complete &= ok
        print(f"{stream:<12} {counts.get(stream, 0):>8} {expected[stream]:>9}  {'yes' if ok else 'NO'}")
    print("\nrequests per endpoint:")
    for endpoint, count in sorted(requests.items()):
        print(f"  {endpoint:<48} {count:>5}")
    print(f"  {'total':<48} {sum(requests.values()):>5}")
    bookmark = run.state.get("bookmarks", {}).get("issues", {}).get("replication_key_value")
    print(f"\nfinal STATE: issues bookmark (UTC) = {bookmark}")
    if not complete:
        print(f"\nINCOMPLETE: see {args.workdir}/tap.log and {args.workdir}/target.log", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
