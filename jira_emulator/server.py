"""A real threaded HTTP server on loopback that serves a `Site` like Jira Cloud
(with Atlassian's OAuth 2.0 server and API gateway) or like Jira Data Center
(REST v2, personal access tokens, OAuth 1.0a application links).

It keeps a request log (endpoint template, auth kind, status) that tests and
the demo read to count what a sync cost.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from . import latency, routes, wire
from .auth import ANONYMOUS, Credentials, authenticate
from .data import Site
from .datacenter import to_v2
from .faults import RATE_LIMITED, Fault, FaultPlan
from .latency import BurstLimiter, LatencyModel
from .oauth1 import CONSUMER_KEY, KEYS, ApplicationLink
from .oauth2 import AuthorizationServer
from .tls import make_context

ADMIN_PREFIX = "/_emulator/"
GATEWAY_PREFIX = "/ex/jira/"
SCOPE_MISMATCH = {"code": 401, "message": "Unauthorized; scope does not match"}
GATEWAY_UNAUTHORIZED = {"code": 401, "message": "Unauthorized"}


# Streams read from endpoints that need manage:jira-configuration (routes.py).
ADMIN_SCOPE_STREAMS = ("project_roles", "group_members", "custom_field_contexts", "custom_field_options")


@dataclass(frozen=True)
class LoggedRequest:
    method: str
    endpoint: str  # documented path template, e.g. /rest/api/3/search/jql
    auth: str
    status: int
    gateway: bool = False  # came through /ex/jira/{cloudId}
    at: float = 0.0  # time.monotonic() when it arrived
    fault: str | None = None  # the fault injected instead of (or into) the answer
    query: str = ""  # the query string as sent
    items: int = 0  # items the answer carried (what the latency model charges for)
    held: float = 0.0  # seconds the latency model held the answer
    agent: str = ""  # the User-Agent header: which client sent it, when several share the emulator
    connection: int = 0  # the client's port: requests on one kept-alive connection share it
    path: str = ""  # the path as sent (the endpoint with its parameters filled in), behind any gateway prefix

    @property
    def name(self) -> str:
        return f"{self.method} {self.endpoint}"


class JiraEmulator:
    """Start with `start()` (or as a context manager); `base_url` is then known."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, flavour: str = "cloud", tls: bool = False,
                 legacy_search: bool = False, **site_options: Any) -> None:
        """`tls`: serve https with a CA made for the purpose; clients trust `ca_file`.
        `legacy_search`: answer Cloud's removed ``/rest/api/{2,3}/search`` as it did before
        its removal (instead of 410), only to run older connectors in benchmarks."""
        # json.dumps recurses once per level: room for the deep documents of payloads.py.
        sys.setrecursionlimit(max(sys.getrecursionlimit(), 20000))
        self._server = ThreadingHTTPServer((host, port), _Handler)
        self._server.daemon_threads = True
        self._server.handle_error = self._handle_error  # type: ignore[method-assign]
        self._server.emulator = self  # type: ignore[attr-defined]
        self.ca_file = None
        if tls:
            context, self.ca_file = make_context()
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        bound_host, bound_port = self._server.server_address[:2]
        self.base_url = f"{'https' if tls else 'http'}://{bound_host}:{bound_port}"
        self.site = Site(self.base_url, flavour=flavour, **site_options)
        self.oauth2 = AuthorizationServer.for_seed(site_options.get("seed", 42))
        self.app_link = ApplicationLink()
        self.faults = FaultPlan()  # replace to inject faults
        # Functions (endpoint template, JSON body) -> body applied to every 2xx JSON
        # answer: payloads of other Jiras (see payloads.py).
        self.rewrites: list[Callable[[str, Any], Any]] = []
        self.latency = LatencyModel()  # set base_ms / per_item_ms to slow responses down
        self.burst = BurstLimiter()  # Jira Cloud's per-endpoint burst limit
        if flavour == "datacenter":
            self.routes = routes.DATACENTER_ROUTES + routes.oauth1_routes(self.app_link)
        else:
            self.routes = routes.cloud_routes(legacy_search) + routes.oauth2_routes(self.oauth2)
        self._lock = threading.Lock()
        self.requests: list[LoggedRequest] = []
        self._thread: threading.Thread | None = None

    def _handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up (a timeout, a stop signal) is no emulator error."""
        if isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            return
        ThreadingHTTPServer.handle_error(self._server, request, client_address)

    # ---- lifecycle ----
    def start(self) -> JiraEmulator:
        self._thread = threading.Thread(target=self._server.serve_forever, name="jira-emulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> JiraEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- request log ----
    def log(self, entry: LoggedRequest) -> None:
        with self._lock:
            self.requests.append(entry)

    def record_counts(self, auth: str = "basic") -> dict[str, int]:
        """What a complete default sync with `auth` delivers: the site's counts, and with the
        emulator's OAuth 2.0 grant every Jira site it reaches, without the streams whose
        endpoints need manage:jira-configuration, a scope the grant does not hold."""
        counts = self.site.record_counts()
        if auth == "oauth2":
            counts["cloud_instances"] = len({r["id"] for r in self.oauth2.resources(self.site)})
            for stream in ADMIN_SCOPE_STREAMS:
                counts.pop(stream, None)
        return counts

    def request_counts(self) -> Counter[str]:
        with self._lock:
            return Counter(entry.name for entry in self.requests)

    def reset_log(self) -> None:
        with self._lock:
            self.requests.clear()

    def config(self, auth: str = "basic", **overrides: Any) -> dict[str, Any]:
        """A tap config that talks to this emulator with valid credentials of one auth mode.
        oauth2 mints a fresh grant (skipping the browser); oauth1 a fresh access token."""
        account = self.site.account
        credentials: dict[str, Any]
        if auth == "basic" and self.site.flavour == "datacenter":
            credentials = {"username": account.username, "password": account.password}
        elif auth == "basic":
            credentials = {"email": account.email, "api_token": account.api_token}
        elif auth == "pat":
            credentials = {"personal_access_token": account.personal_access_token}
        elif auth == "oauth1":
            credentials = {"consumer_key": CONSUMER_KEY, "private_key": (KEYS / "private.pem").read_text(),
                           "access_token": self.app_link.issue_access_token()}
        elif auth == "oauth2":
            credentials = {"client_id": self.oauth2.client_id, "client_secret": self.oauth2.client_secret,
                           "refresh_token": self.oauth2.grant(), "oauth_token_url": f"{self.base_url}/oauth/token",
                           "api_gateway_url": self.base_url}
        else:
            raise ValueError(auth)
        return {"base_url": self.base_url, **credentials, **overrides}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as clients expect from Jira
    server_version = "JiraEmulator"

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def date_time_string(self, timestamp: float | None = None) -> str:
        """The `Date` header from the site's clock, which tests may move."""
        return format_datetime(self.emulator.site.now(), usegmt=True)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Silence the default stderr access log."""

    @property
    def emulator(self) -> JiraEmulator:
        return self.server.emulator  # type: ignore[attr-defined]

    def _dispatch(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if url.path.startswith(ADMIN_PREFIX):
            self._admin(url.path[len(ADMIN_PREFIX):])
            return
        emulator, site = self.emulator, self.emulator.site
        arrived = time.monotonic()
        fault = emulator.faults.pick(url.path)
        # A proxy's or load balancer's failure comes before Jira reads the credentials;
        # Jira's own rate limits are per caller, so a 429 comes after (an OAuth 1.0a nonce
        # is then spent, and the retry must be signed afresh).
        early = fault is not None and fault.kind not in RATE_LIMITED
        if early and fault is not None and self._inject(fault, url.path, arrived):
            return
        path, gateway = url.path, False
        if site.flavour == "cloud" and path.startswith(GATEWAY_PREFIX):
            cloud_id, _, rest = path[len(GATEWAY_PREFIX):].partition("/")
            path, gateway = "/" + rest, True
            if cloud_id != site.cloud_id:
                path = "/unknown-cloud-id"  # the gateway knows no such site: 404
        route, params, path_known = routes.match(self.command, path, emulator.routes)
        headers = dict(self.headers.items())
        sent = Credentials(self.headers.get("Authorization"), self.command, emulator.base_url + self.path, headers, raw)
        bearer_allowed = gateway or path.startswith("/oauth/")
        if route is not None and route.anonymous and route.scope is None:
            principal = ANONYMOUS  # the OAuth dance's own endpoints check what they are sent
        else:
            principal = authenticate(sent, site, gateway=bearer_allowed, oauth2=emulator.oauth2,
                                     app_link=emulator.app_link)
        if fault is not None and not early and self._inject(fault, url.path, arrived):
            return
        endpoint = route.template if route else path
        self._endpoint = endpoint  # what `rewrites` are told
        try:
            if route is None:
                status = 405 if path_known else 404
                raise wire.HttpError(status, "Method not allowed" if path_known else "Not found")
            if gateway and not principal.authenticated:
                # The gateway checks the token itself: no anonymous view behind it.
                response = wire.Response(401, GATEWAY_UNAUTHORIZED)
            elif not principal.authenticated and not route.anonymous:
                response = wire.Response(401, GATEWAY_UNAUTHORIZED) if bearer_allowed else wire.unauthorized()
            elif principal.kind == "oauth2" and route.scope and route.scope not in principal.scopes:
                response = wire.Response(401, SCOPE_MISMATCH)
            elif route.template in site.forbidden and principal.authenticated:
                raise wire.HttpError(403, site.forbidden[route.template])
            else:
                form = "x-www-form-urlencoded" in (self.headers.get("Content-Type") or "")
                body = None if form else _parse_json(raw)  # form bodies: the OAuth routes read `raw`
                request = wire.Request(self.command, path, parse_qs(url.query), body, principal, site, params,
                                       raw=raw, headers=headers, full_url=emulator.base_url + self.path)
                response = route.handler(request)
        except wire.HttpError as error:
            response = wire.Response(error.status, error.body)
        if route is not None and route.scope and not emulator.burst.allow(f"{self.command} {route.template}"):
            response = wire.Response(429, {"errorMessages": ["Rate limit exceeded."], "errors": {}},
                                     {"Retry-After": "1", "RateLimit-Reason": "jira-burst-based",
                                      "X-RateLimit-Limit": f"{emulator.burst.per_second:g}",
                                      "X-RateLimit-Remaining": "0"})
        if site.flavour == "datacenter" and route is not None and route.scope:
            response.body = to_v2(response.body, site)
        held = emulator.latency.delay(response.body)
        time.sleep(held)
        emulator.log(LoggedRequest(self.command, endpoint, principal.kind, response.status, gateway, arrived,
                                   fault.kind if fault else None, url.query, latency.items(response.body), held,
                                   self.headers.get("User-Agent") or "", self.client_address[1], path))
        self._send(response, truncate=fault is not None and fault.kind == "truncate",
                   trickle=fault.delay if fault is not None and fault.kind == "trickle" else 0.0)

    def _inject(self, fault: Fault, path: str, arrived: float) -> bool:
        """Answer with the fault; False when the request is still to be served (slow, truncate)."""
        if fault.kind == "slow":
            time.sleep(fault.delay)
            return False
        if fault.kind in ("truncate", "trickle"):
            return False
        status = {"reset": 0, "unavailable": fault.status, "garbage": 200, "bad_utf8": 200,
                  "bad_gzip": 200, "forbidden": 403}.get(fault.kind, 429)
        self.emulator.log(LoggedRequest(self.command, path, "-", status, False, arrived, fault.kind))
        if fault.kind == "garbage":
            self._send(wire.Response(200, "<html><body>502 Bad Gateway (proxy)</body></html>",
                                     {"Content-Type": "application/json;charset=UTF-8"}))
            return True
        if fault.kind in ("bad_utf8", "bad_gzip"):
            payload = b'{"values": ["\xff\xfe broken"]}' if fault.kind == "bad_utf8" else b"not gzip at all"
            headers = {"Content-Encoding": "gzip"} if fault.kind == "bad_gzip" else {}
            self._send_bytes(200, payload, "application/json;charset=UTF-8", headers)
            return True
        if fault.kind == "reset":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return True
        if fault.kind == "forbidden":
            self._send(wire.Response(403, {"errorMessages": ["You do not have permission to browse this project."],
                                           "errors": {}}))
            return True
        numeric = isinstance(fault.retry_after, (int, float))
        reset = self.emulator.site.now() + timedelta(seconds=fault.retry_after if numeric else 1)
        headers = {} if fault.retry_after is None else {
            "Retry-After": f"{fault.retry_after:g}" if numeric else str(fault.retry_after)}
        if fault.kind in ("burst", "quota"):
            headers.update({
                "X-RateLimit-Limit": "100" if fault.kind == "burst" else "65000",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": reset.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "RateLimit-Reason": "jira-burst-based" if fault.kind == "burst" else "jira-quota-global-based",
            })
            self._send(wire.Response(429, {"errorMessages": ["Rate limit exceeded."], "errors": {}},
                                     {**headers, **fault.headers}))
        else:
            self._send(wire.Response(fault.status, "Service Unavailable", {**headers, **fault.headers}))
        return True

    def _admin(self, command: str) -> None:
        if command == "requests":
            counts = self.emulator.request_counts()
            self._send(wire.Response(200, dict(sorted(counts.items()))))
        else:
            self._send(wire.Response(404, {"errorMessages": ["Unknown emulator command"], "errors": {}}))

    def _send(self, response: wire.Response, truncate: bool = False, trickle: float = 0.0) -> None:
        if isinstance(response.body, str):
            payload, content_type = response.body.encode(), "text/plain;charset=UTF-8"
        else:
            body = response.body
            for rewrite in self.emulator.rewrites if 200 <= response.status < 300 else ():
                body = rewrite(getattr(self, "_endpoint", ""), body)
            payload, content_type = json.dumps(body).encode(), "application/json;charset=UTF-8"
        self._send_bytes(response.status, payload, content_type, response.headers, truncate, trickle)

    def _send_bytes(self, status: int, payload: bytes, content_type: str, extra_headers: dict[str, str],
                    truncate: bool = False, trickle: float = 0.0) -> None:
        headers = {"Content-Type": content_type, **extra_headers, "Content-Length": str(len(payload))}
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if truncate:  # promise the whole body, send half, hang up
            self.wfile.write(payload[: len(payload) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        try:
            if trickle:  # a byte at a time: each read returns in time, the whole never does
                for offset in range(len(payload)):
                    self.wfile.write(payload[offset:offset + 1])
                    self.wfile.flush()
                    time.sleep(trickle)
            else:
                self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError, OSError):
            self.close_connection = True  # the client gave up (a timeout): nothing to tell it


def _parse_json(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        raise wire.HttpError(400, "Unexpected character in the request body.") from None
