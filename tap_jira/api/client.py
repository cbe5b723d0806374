"""JiraClient: the one place that sends requests to Jira.

Every request of a run goes through one client: it owns the authenticator (an
OAuth 2.0 refresh rotates the refresh token, so two copies would fight over it), the
pacer that bounds the whole run's rate, the retries, the reading of answers
(answers.py) and the per-request metrics.  `request` sends one call; `paginate`
drives any of the paginators in pagination.py.

Threads: the issues stream sends from up to `max_workers` bulk-fetch threads, two
children threads and one id-page reader besides the main thread.  requests does not
promise a `Session` is safe across threads, so each thread gets its own session
(and connection pool), all mounted on the same pacer and clock.
"""

from __future__ import annotations

import enum
import itertools
import logging
import random
import threading
from collections.abc import Callable, Iterator, Mapping
from datetime import timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import backoff
import requests
from requests.auth import AuthBase
from singer_sdk import metrics
from singer_sdk.exceptions import RetriableAPIError
from singer_sdk.pagination import BaseAPIPaginator

from .. import auth, timestamps
from ..errors import JiraAPIError, endpoint
from ..progress import Progress
from ..settings import Settings
from ..site import JiraSite, resolve_site
from . import answers
from .pacing import Pacer, retry_after
from .transport import PacedAdapter

MAX_TRIES = 8
FIRST_CONTACT_TRIES = 3
FIRST_BACKOFF_SECONDS, MAX_BACKOFF_SECONDS = 2.0, 60.0
# What a retry may cure (the SDK's own list for REST streams).
RETRIED = (ConnectionResetError, RetriableAPIError, requests.exceptions.Timeout, requests.exceptions.ConnectionError,
           requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError)
# The progress row for requests no stream owns: finding the site and checking the credentials.
SITE = "(site)"
# Stable English error texts, whatever the account's language.
HEADERS = {"Accept": "application/json", "Accept-Language": "en", "X-Force-Accept-Language": "true"}


class JiraMetric(str, enum.Enum):
    """The tap's own metric, beside the SDK's: time a request waited for the pacer
    before it was sent, which `http_request_duration` does not include."""

    PACER_WAIT = "http_request_pacer_wait"


# (query parameters, JSON body) of the request for a page token.
PageRequest = Callable[[Any], tuple[Mapping[str, Any] | str | None, Any]]
logger = logging.getLogger("tap-jira")


class JiraClient:
    def __init__(self, settings: Settings, clock: timestamps.JiraClock, progress: Progress,
                 metrics_logger: logging.Logger, user_agent: str) -> None:
        self.settings = settings
        self.clock = clock
        self.progress = progress
        self.metrics_logger = metrics_logger
        self.pacer = Pacer(settings.max_requests_per_second)
        self.headers = {**HEADERS, "User-Agent": user_agent if settings.user_agent is None else settings.user_agent}
        self._local = threading.local()  # this thread's session
        self._lock = threading.RLock()  # the authenticator and site are built once (finding the site authenticates)
        self._auth: AuthBase | None = None
        self._site: JiraSite | None = None
        self._myself: dict[str, Any] | None = None
        self._send = backoff.on_exception(_retry_waits, RETRIED, max_tries=self._max_tries,
                                          on_backoff=self._log_retry, jitter=_jitter, logger=logger)(self._send_once)

    # ---- what every stream shares ---------------------------------------------------

    @property
    def auth(self) -> AuthBase:
        if self._auth is None:  # built once; every try afterwards reads it without the lock
            with self._lock:
                if self._auth is None:
                    self._auth = auth.build_authenticator(self.settings.config, timeout=self.settings.request_timeout)
        return self._auth

    @property
    def site(self) -> JiraSite:
        """Where the REST API is and which kind of Jira it is: found on first use
        (discovery never asks), with at most a request or two."""
        if self._site is None:
            with self._lock:
                if self._site is None:
                    site = resolve_site(self.settings, self.fetch)
                    logger.info("Reading %s", site.describe())
                    self._site = site
        return self._site

    @property
    def myself(self) -> dict[str, Any]:
        """``/myself``, read once per run.  Reading it first also verifies the credentials:
        with wrong ones Jira Cloud answers several endpoints as an anonymous user
        (empty results, no 401)."""
        if self._myself is None:
            self._myself = self.request("GET", "/myself", stream=SITE)
        return self._myself

    @property
    def profile_zone(self) -> ZoneInfo:
        """The zone Jira reads JQL date literals in: the token owner's profile zone."""
        name = self.myself.get("timeZone") or "UTC"
        try:
            return ZoneInfo(str(name))
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            logger.warning("Unknown profile time zone %r; reading JQL dates as UTC", name)
            return ZoneInfo("UTC")

    # ---- requests ------------------------------------------------------------------

    def request(self, method: str, path: str, *, params: Mapping[str, Any] | None = None, body: Any = None,
                stream: str, for_stream: str | None = None, hint: str = "") -> Any:
        """One call to the platform REST API (`path` relative to it); its parsed body.
        `stream` is the stream sending it (metrics), `for_stream` the one whose records
        it reads when not the same (progress), `hint` the config keys a 400 points at."""
        prepared = self._prepare(method, self.site.rest + path, params, body, for_stream or stream)
        return self._send(prepared, stream, lambda response: answers.check(response, self.settings.config, hint)).json()

    def paginate(self, method: str, url: str, paginator: BaseAPIPaginator[Any], page_request: PageRequest, *,
                 stream: str, for_stream: str | None = None, hint: str = "") -> Iterator[requests.Response]:
        """Every page of `url` (absolute), in order, until `paginator` says the last one
        came; `page_request(token)` gives each page's query parameters and body."""
        while not paginator.finished:
            params, body = page_request(paginator.current_value)
            prepared = self._prepare(method, url, params, body, for_stream or stream)
            response = self._send(prepared, stream, lambda answer: answers.check(answer, self.settings.config, hint))
            yield response
            try:
                paginator.advance(response)
            except RuntimeError as error:  # the SDK's paginators refuse a token that does not move
                raise JiraAPIError(f"{endpoint(prepared)} answered the same page twice ({error}); the tap stops "
                                   "rather than loop or skip records: check any proxy between it and Jira") from None

    def fetch(self, url: str) -> requests.Response:
        """GET an absolute URL outside the REST API (finding the site): paced and retried
        on 429, 5xx and network failures; other answers come back as they are."""
        return self._send(self._prepare("GET", url, None, None, SITE), SITE, answers.check_retriable_only)

    def session(self) -> requests.Session:
        """This thread's session: paced, counted and bounded by the run's deadline rules."""
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            adapter = PacedAdapter(self.pacer, self.clock, on_send=self._count_attempt)
            session.mount("https://", adapter)
            session.mount("http://", adapter)
            session.verify = self.settings.tls_verify()
            self._local.session = session
        return session

    def _prepare(self, method: str, url: str, params: Mapping[str, Any] | str | None, body: Any,
                 counted_for: str) -> requests.PreparedRequest:
        # Signed per try in _send_once; an explicit no-op here keeps requests from reading ~/.netrc.
        request = requests.Request(method, url, params=params or {}, json=body, headers=self.headers, auth=_unsigned)
        prepared = self.session().prepare_request(request)
        prepared.tap_jira_stream = counted_for  # type: ignore[attr-defined]  # read by _count_attempt
        return prepared

    def _send_once(self, prepared: requests.PreparedRequest, stream: str,
                   check: Callable[[requests.Response], None]) -> requests.Response:
        # Signed afresh on every try: OAuth 1.0a refuses a nonce it has seen, and an OAuth
        # 2.0 token may have been refreshed while this request waited to be retried.
        attempt = self.auth(prepared.copy())
        attempt.tap_jira_stream = getattr(prepared, "tap_jira_stream", None)  # type: ignore[attr-defined]
        response = self.session().send(attempt, timeout=self.settings.request_timeout, allow_redirects=True)
        self._report(response, stream)
        check(response)
        return response

    def _count_attempt(self, prepared: requests.PreparedRequest) -> None:
        """Each attempt (retries and failed connections included), for the stream whose records it reads."""
        self.progress.request(getattr(prepared, "tap_jira_stream", None) or SITE)

    def _report(self, response: requests.Response, stream: str) -> None:
        """The request metric, naming the endpoint really called; the pacer's wait apart
        (requests times a request from before the adapter waits for the pacer)."""
        site = self._site
        endpoint = answers.endpoint_template(response, (site.rest, site.agile) if site else ())
        waited = getattr(response, "tap_jira_pacer_wait", 0.0)
        if waited:
            response.elapsed -= min(response.elapsed, timedelta(seconds=waited))
            metrics.log(self.metrics_logger, metrics.Point(
                "timer", metric=cast(metrics.Metric, JiraMetric.PACER_WAIT), value=round(waited, 4),
                tags={metrics.Tag.STREAM: stream, metrics.Tag.ENDPOINT: endpoint}))
        metrics.log(self.metrics_logger, metrics.Point(
            "timer", metric=metrics.Metric.HTTP_REQUEST_DURATION, value=response.elapsed.total_seconds(),
            tags={metrics.Tag.STREAM: stream, metrics.Tag.ENDPOINT: endpoint,
                  metrics.Tag.HTTP_STATUS_CODE: response.status_code,
                  metrics.Tag.STATUS: metrics.Status.SUCCEEDED if response.ok else metrics.Status.FAILED}))

    # ---- retries: Jira's Retry-After as a minimum, else exponential backoff with jitter ----

    def _max_tries(self) -> int:
        # Until Jira has answered once, a failure is more likely a wrong `base_url`
        # than a blip: give up after a few seconds instead of minutes.
        return MAX_TRIES if self.clock.answered else FIRST_CONTACT_TRIES

    def _log_retry(self, details: Any) -> None:
        error = details.get("exception")
        response = getattr(error, "response", None)
        if response is not None:
            reason = f"HTTP {response.status_code} from {endpoint(response.request)}"
            if response.headers.get("RateLimit-Reason"):
                reason += f" ({response.headers['RateLimit-Reason']})"
            if response.headers.get("Retry-After"):
                reason += f", Retry-After {response.headers['Retry-After']} s"
        else:
            reason = type(error).__name__ if error is not None else "unknown failure"
        logger.warning("Waiting %.1f s before try %d of %d: %s", details.get("wait", 0.0),
                       details.get("tries", 0) + 1, self._max_tries(), reason)


def _retry_waits() -> Any:
    """backoff's wait generator: it is sent each failure, and waits what Jira asked for
    (Retry-After) or else doubles, up to a minute."""
    error = yield
    for attempt in itertools.count():
        response = getattr(error, "response", None) if isinstance(error, RetriableAPIError) else None
        asked = retry_after(response) if response is not None else None
        fallback = min(FIRST_BACKOFF_SECONDS * 2**attempt, MAX_BACKOFF_SECONDS)
        error = yield asked if asked is not None else fallback


def _unsigned(request: requests.PreparedRequest) -> requests.PreparedRequest:
    return request


def _jitter(value: float) -> float:
    return value * random.uniform(1.0, 1.3)  # only ever longer: Retry-After is a minimum
