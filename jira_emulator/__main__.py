"""Run the emulator: ``python -m jira_emulator --port 0``.

Prints the base URL on the first line, then the credentials it accepts, and
serves until interrupted.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from .server import JiraEmulator


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jira_emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--issues", type=int, default=200)
    parser.add_argument("--projects", type=int, default=5)
    parser.add_argument("--users", type=int, default=230)
    parser.add_argument("--profile-zone", default="Australia/Sydney", help="the API user's profile time zone")
    parser.add_argument("--site-zone", default="America/Los_Angeles", help="zone timestamps are rendered in")
    parser.add_argument("--flavour", choices=("cloud", "datacenter"), default="cloud")
    parser.add_argument("--latency-ms", type=float, default=0, help="base latency of every response")
    parser.add_argument("--latency-per-item-ms", type=float, default=0, help="added per item a response carries")
    parser.add_argument("--legacy-search", action="store_true",
                        help="serve Cloud's removed /rest/api/{2,3}/search (for older connectors) instead of 410")
    args = parser.parse_args(argv)
    emulator = JiraEmulator(
        args.host, args.port, flavour=args.flavour, legacy_search=args.legacy_search, seed=args.seed,
        issues=args.issues, projects=args.projects,
        users=args.users, profile_zone=args.profile_zone, site_zone=args.site_zone,
    ).start()
    emulator.latency.base_ms, emulator.latency.per_item_ms = args.latency_ms, args.latency_per_item_ms
    print(emulator.base_url, flush=True)
    account = emulator.site.account
    if args.flavour == "datacenter":
        print(f"username={account.username} password={account.password} "
              f"personal_access_token={account.personal_access_token}", flush=True)
    else:
        print(f"email={account.email} api_token={account.api_token} "
              f"oauth2 client_id={emulator.oauth2.client_id} client_secret={emulator.oauth2.client_secret} "
              f"refresh_token={emulator.oauth2.grant()}", flush=True)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    try:
        stopped.wait()
    except KeyboardInterrupt:
        pass
    emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
