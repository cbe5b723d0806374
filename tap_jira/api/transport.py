"""The HTTP transport under every request: pacing, one deadline per response, and
bodies read in large chunks.

A requests timeout bounds each socket read, not the response: a body that trickles a
byte a second never times out.  Here each request gets a deadline of
`request_timeout` seconds for connect, headers and body together; when it passes,
the connection's socket is shut down, which ends whatever read is blocked, and the
request fails as a timeout (and is retried like one).  Neither requests nor urllib3
offers a total deadline, so it is written here, through urllib3's documented
extension points (connection classes of a pool manager).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from .. import timestamps
from ..errors import JiraAPIError, endpoint
from .pacing import Pacer

# requests' own argument types for HTTPAdapter.send.
Timeout = float | tuple[float, float] | tuple[float, None] | None
Cert = bytes | str | tuple[bytes | str, bytes | str] | None

BODY_CHUNK_BYTES = 1 << 20
_current = threading.local()  # the deadline of the request this thread is sending


class Deadline:
    """Shuts the connection down `seconds` after the request starts, unless cancelled."""

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self.started = time.monotonic()
        self.expired = False
        self._timer: threading.Timer | None = None

    def watch(self, connection: HTTPConnection) -> None:
        self.cancel()
        if self.seconds is None:
            return
        remaining = max(self.started + self.seconds - time.monotonic(), 0.0)
        self._timer = threading.Timer(remaining, self._expire, args=(connection,))
        self._timer.daemon = True
        self._timer.start()

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _expire(self, connection: HTTPConnection) -> None:
        self.expired = True
        sock = connection.sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already closed


class _Watched:
    """Mixed into urllib3's connections: arm the sending thread's deadline."""

    def request(self, *args: Any, **kwargs: Any) -> None:
        deadline = getattr(_current, "deadline", None)
        if deadline is not None:
            deadline.watch(self)  # type: ignore[arg-type]
        super().request(*args, **kwargs)  # type: ignore[misc]


class WatchedHTTPConnection(_Watched, HTTPConnection):
    pass


class WatchedHTTPSConnection(_Watched, HTTPSConnection):
    pass


class WatchedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = WatchedHTTPConnection


class WatchedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = WatchedHTTPSConnection


class DeadlineAdapter(HTTPAdapter):
    """Bounds each response by its deadline (the request's timeout, for the whole of it)
    and reads its body in large chunks."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": WatchedHTTPConnectionPool,
                                                   "https": WatchedHTTPSConnectionPool}

    def received(self, response: requests.Response) -> None:
        """Called with each answer as soon as its headers are in."""

    def send(self, request: requests.PreparedRequest, stream: bool = False, timeout: Timeout = None,
             verify: bool | str = True, cert: Cert = None,
             proxies: Mapping[str, str] | None = None) -> requests.Response:
        deadline = Deadline(_total_seconds(timeout))
        _current.deadline = deadline
        try:
            response = super().send(request, stream=True, timeout=timeout, verify=verify, cert=cert, proxies=proxies)
            self.received(response)
            if not stream:
                # requests reads a body in 10 KiB chunks, a Python call each: a page of
                # wide issues is megabytes.  Read it in large chunks through the same
                # iterator (so a body cut short still raises requests' own errors).
                response._content = b"".join(response.iter_content(BODY_CHUNK_BYTES))
                response._content_consumed = True  # type: ignore[attr-defined]  # requests' own flag
        except requests.exceptions.ContentDecodingError:
            # A broken gzip stream comes out the same on every try.
            raise JiraAPIError(f"the body from {endpoint(request)} does not decode as its "
                               "Content-Encoding says: a proxy between the tap and Jira may be altering it") from None
        except (requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError) as error:
            if deadline.expired:
                raise requests.exceptions.ReadTimeout(
                    f"{endpoint(request)} took more than {deadline.seconds:g} s in all "
                    "(config key `request_timeout`)", request=request) from None
            raise error
        finally:
            deadline.cancel()
            _current.deadline = None
        return response


class PacedAdapter(DeadlineAdapter):
    """Also waits for the pacer before each send, and shows every answer to the pacer
    (a 429 or 503 holds all threads) and to Jira's clock."""

    def __init__(self, pacer: Pacer, clock: timestamps.JiraClock,
                 on_send: Callable[[requests.PreparedRequest], None] | None = None) -> None:
        super().__init__()
        self.pacer = pacer
        self.clock = clock
        self.on_send = on_send  # told of every attempt, failed ones included (the progress counts)

    def received(self, response: requests.Response) -> None:
        self.pacer.observe(response)
        self.clock.observe(response.headers.get("Date"))

    def send(self, request: requests.PreparedRequest, stream: bool = False, timeout: Timeout = None,
             verify: bool | str = True, cert: Cert = None,
             proxies: Mapping[str, str] | None = None) -> requests.Response:
        waited = self.pacer.wait_turn()
        if self.on_send is not None:
            self.on_send(request)
        response = super().send(request, stream=stream, timeout=timeout, verify=verify, cert=cert, proxies=proxies)
        response.tap_jira_pacer_wait = waited  # type: ignore[attr-defined]
        return response


def _total_seconds(timeout: Any) -> float | None:
    if isinstance(timeout, tuple):
        timeout = max((part for part in timeout if part is not None), default=None)
    return float(timeout) if isinstance(timeout, (int, float)) else None

