"""A real threaded HTTP server on loopback that serves a `Site` like Jira Cloud.

It keeps a request log (endpoint template, auth kind, status) that tests and
the demo read to count what a sync cost.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from . import routes, wire
from .auth import authenticate
from .data import Site

ADMIN_PREFIX = "/_emulator/"


@dataclass(frozen=True)
class LoggedRequest:
    method: str
    endpoint: str  # documented path template, e.g. /rest/api/3/search/jql
    auth: str
    status: int

    @property
    def name(self) -> str:
        return f"{self.method} {self.endpoint}"


class JiraEmulator:
    """Start with `start()` (or as a context manager); `base_url` is then known."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, **site_options: Any) -> None:
        self._server = ThreadingHTTPServer((host, port), _Handler)
        self._server.daemon_threads = True
        self._server.emulator = self  # type: ignore[attr-defined]
        bound_host, bound_port = self._server.server_address[:2]
        self.base_url = f"http://{bound_host}:{bound_port}"
        self.site = Site(self.base_url, **site_options)
        self._lock = threading.Lock()
        self.requests: list[LoggedRequest] = []
        self._thread: threading.Thread | None = None

    # ---- lifecycle ----
    def start(self) -> "JiraEmulator":
        self._thread = threading.Thread(target=self._server.serve_forever, name="jira-emulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> "JiraEmulator":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- request log ----
    def log(self, entry: LoggedRequest) -> None:
        with self._lock:
            self.requests.append(entry)

    def request_counts(self) -> Counter[str]:
        with self._lock:
            return Counter(entry.name for entry in self.requests)

    def reset_log(self) -> None:
        with self._lock:
            self.requests.clear()

    def config(self, **overrides: Any) -> dict[str, Any]:
        """A tap config that talks to this emulator with valid credentials."""
        return {
            "base_url": self.base_url,
            "email": self.site.account.email,
            "api_token": self.site.account.api_token,
            **overrides,
        }


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
        route, params, path_known = routes.match(self.command, url.path)
        principal = authenticate(self.headers.get("Authorization"), self.emulator.site)
        endpoint = route.template if route else url.path
        try:
            if route is None:
                status = 405 if path_known else 404
                raise wire.HttpError(status, "Method not allowed" if path_known else "Not found")
            if not principal.authenticated and not route.anonymous:
                response = wire.unauthorized()
            else:
                body = _parse_json(raw)
                request = wire.Request(
                    self.command, url.path, parse_qs(url.query), body, principal, self.emulator.site, params
                )
                response = route.handler(request)
        except wire.HttpError as error:
            response = wire.Response(error.status, error.body)
        self.emulator.log(LoggedRequest(self.command, endpoint, principal.kind, response.status))
        self._send(response)

    def _admin(self, command: str) -> None:
        if command == "requests":
            counts = self.emulator.request_counts()
            self._send(wire.Response(200, dict(sorted(counts.items()))))
        else:
            self._send(wire.Response(404, {"errorMessages": ["Unknown emulator command"], "errors": {}}))

    def _send(self, response: wire.Response) -> None:
        if isinstance(response.body, str):
            payload, content_type = response.body.encode(), "text/plain;charset=UTF-8"
        else:
            payload, content_type = json.dumps(response.body).encode(), "application/json;charset=UTF-8"
        self.send_response(response.status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)


def _parse_json(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        raise wire.HttpError(400, "Unexpected character in the request body.") from None
