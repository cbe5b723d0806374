"""The base stream: where Jira lives, how we authenticate, and what its errors mean."""

from __future__ import annotations

import enum
import itertools
import random
import re
from datetime import timedelta
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec
import requests
from singer_sdk import RESTStream, metrics
from singer_sdk.exceptions import RetriableAPIError
from singer_sdk.schema.source import SchemaDirectory, StreamSchema

from . import auth, logs, shapes, timestamps
from . import config as settings
from . import schemas as schema_package
from .auth.scopes import scope_for
from .config import DEFAULT_REQUEST_TIMEOUT, DEFAULT_REQUESTS_PER_SECOND
from .errors import JiraAPIError, endpoint
from .pacing import Pacer, retry_after
from .progress import Progress
from .records import LeanRecordOutput
from .site import JiraSite, resolve_site
from .transport import PacedAdapter

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from requests.auth import AuthBase
    from singer_sdk.helpers.types import Context

SCHEMAS = SchemaDirectory(schema_package)
MAX_TRIES = 8
FIRST_CONTACT_TRIES = 3
FIRST_BACKOFF_SECONDS, MAX_BACKOFF_SECONDS = 2.0, 60.0
# Jira's rich text (ADF) nests one level per mark, list and table cell; a body hundreds
# of levels deep is real.  msgspec and the JSON writers recurse once per level, and
# Python's default limit (1000) would end the run at such an issue, run after run.
# cli.main sets 12000, which reads about 5000 levels in the main thread and the workers.
RECURSION_LIMIT = 12000
# An id in a path, replaced in the endpoint that request metrics name.
_PATH_ID = re.compile(r"/\d+(?=/|$)")


# The progress row for requests no stream owns: finding the site and checking the credentials.
SITE = "(site)"


class JiraMetric(str, enum.Enum):
    """The tap's own metric, beside the SDK's: time a request waited for the pacer
    before it was sent, which `http_request_duration` does not include."""

    PACER_WAIT = "http_request_pacer_wait"


class JiraStream(LeanRecordOutput, RESTStream[Any]):
    """A Jira stream: Cloud REST v3 or Server/Data Center REST v2, whichever `site` says."""

    schema = StreamSchema(SCHEMAS)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.logger.addFilter(logs.quiet_aborted_syncs)

    @property
    def api_base(self) -> str:
        """The platform REST API, whatever API family the stream itself pages."""
        return self.site.rest

    @property
    def url_base(self) -> str:
        return self.api_base

    # One authenticator, site, clock and pacer per run, shared by every stream: an
    # OAuth 2.0 refresh rotates the refresh token, so two copies would fight over it,
    # and the pacer bounds the whole run's rate.
    def _run_shared(self, name: str, build: Callable[[], Any]) -> Any:
        """The tap's `name` attribute, built on first use."""
        if getattr(self._tap, name) is None:
            setattr(self._tap, name, build())
        return getattr(self._tap, name)

    @property
    def authenticator(self) -> AuthBase:
        return self._run_shared("jira_auth", lambda: auth.build_authenticator(self.config, timeout=self.timeout))

    @property
    def site(self) -> JiraSite:
        def resolve() -> JiraSite:
            site = resolve_site(self.config, self.fetch)
            self.logger.info("Reading %s", site.describe())
            return site
        return self._run_shared("jira_site", resolve)

    @property
    def jira_clock(self) -> timestamps.JiraClock:
        return self._run_shared("jira_clock", timestamps.JiraClock)

    @property
    def pacer(self) -> Pacer:
        rate = float(self.config.get("max_requests_per_second") or DEFAULT_REQUESTS_PER_SECOND)
        return self._run_shared("jira_pacer", lambda: Pacer(rate))

    @property
    def requests_session(self) -> requests.Session:
        """The SDK's session, with every request (retries included) paced by the run's pacer."""
        session = super().requests_session
        if not getattr(session, "tap_jira_paced", False):
            adapter = PacedAdapter(self.pacer, self.jira_clock, on_send=self._count_request)
            session.mount("https://", adapter)
            session.mount("http://", adapter)
            session.verify = settings.tls_verify(self.config)
            session.hooks["response"].append(self._report_pacer_wait)
            session.tap_jira_paced = True  # type: ignore[attr-defined]
        return session

    @property
    def progress(self) -> Progress:
        """The run's counters (a silent one when a stream runs outside sync_all, as in --test)."""
        return self._run_shared("jira_progress", lambda: Progress(0))

    def _count_request(self, request: requests.PreparedRequest) -> None:
        """Each attempt (retries and failed connections included), for the stream whose
        records it reads (see `call_api`)."""
        self.progress.request(getattr(request, "tap_jira_stream", None) or self.name)

    def _report_pacer_wait(self, response: requests.Response, **_: Any) -> requests.Response:
        """requests times a request from before the adapter's pacer wait: take the wait
        out of `elapsed` (what the SDK reports as request time) and report it on its own."""
        waited = getattr(response, "tap_jira_pacer_wait", 0.0)
        if waited:
            response.elapsed -= min(response.elapsed, timedelta(seconds=waited))
            metrics.log(self.metrics_logger, metrics.Point(
                "timer", metric=cast(metrics.Metric, JiraMetric.PACER_WAIT), value=round(waited, 4),
                tags={metrics.Tag.STREAM: self.name, metrics.Tag.ENDPOINT: _endpoint_template(response)}))
        return response

    @property
    def http_headers(self) -> dict[str, str]:
        # Stable English error texts, whatever the account's language.
        return {"Accept": "application/json", "Accept-Language": "en", "X-Force-Accept-Language": "true"}

    @property
    def timeout(self) -> float:  # type: ignore[override]  # the SDK says int; requests takes any number
        return float(self.config.get("request_timeout", DEFAULT_REQUEST_TIMEOUT))

    # ---- the token owner ----------------------------------------------------------

    @property
    def myself(self) -> dict[str, Any]:
        """``/myself``, read once per run and shared by all streams.

        Reading it first also verifies the credentials: with wrong ones Jira Cloud
        answers several endpoints as an anonymous user (empty results, no 401).
        """
        tap = self._tap
        if tap.jira_myself is None:  # type: ignore[attr-defined]
            tap.jira_myself = self.call_api("GET", "/myself", for_stream=SITE)  # type: ignore[attr-defined]
        return tap.jira_myself  # type: ignore[attr-defined,no-any-return]

    @property
    def profile_zone(self) -> ZoneInfo:
        """The zone Jira reads JQL date literals in: the token owner's profile zone."""
        name = self.myself.get("timeZone") or "UTC"
        try:
            return ZoneInfo(str(name))
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            self.logger.warning("Unknown profile time zone %r; reading JQL dates as UTC", name)
            return ZoneInfo("UTC")

    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        _ = self.myself  # fail fast on bad credentials, before any stream emits
        yield from super().get_records(context)

    def call_api(self, method: str, path: str, *, params: dict[str, Any] | None = None,
                 body: dict[str, Any] | None = None, for_stream: str | None = None) -> Any:
        """One call outside the stream's own paging, with the same auth, retries and errors.

        `path` is relative to the platform REST API; `for_stream` names the stream whose
        records it reads, when not this one (the issues stream fetches children).  This goes
        through the SDK's (private) `_request`, so that such calls get exactly the backoff and
        validation of paged ones; no public SDK hook sends an arbitrary request that way.
        """
        prepared = self.build_prepared_request(
            method=method, url=self.api_base + path, params=params or {}, headers=self.http_headers, json=body
        )
        prepared.tap_jira_stream = for_stream  # type: ignore[attr-defined]  # read by _count_request

        def send(request: requests.PreparedRequest, context: Any) -> requests.Response:
            response = self.requests_session.send(request, timeout=self.timeout)
            self._report_request(response)
            self.validate_response(response)
            return response

        return self.request_decorator(send)(prepared, None).json()

    def _report_request(self, response: requests.Response) -> None:
        """The SDK's request metric, naming the endpoint really called (the SDK's own
        names the stream's `path`, whatever `call_api` sent)."""
        metrics.log(self.metrics_logger, metrics.Point(
            "timer", metric=metrics.Metric.HTTP_REQUEST_DURATION, value=response.elapsed.total_seconds(),
            tags={metrics.Tag.STREAM: self.name, metrics.Tag.ENDPOINT: _endpoint_template(response, self.api_base),
                  metrics.Tag.HTTP_STATUS_CODE: response.status_code,
                  metrics.Tag.STATUS: metrics.Status.SUCCEEDED if response.ok else metrics.Status.FAILED}))

    def fetch(self, url: str) -> requests.Response:
        """GET an absolute URL outside the REST API (finding the site): paced and retried
        like every call on 429, 5xx and network failures; other answers are returned as
        they are, for the caller to explain."""
        prepared = self.build_prepared_request(method="GET", url=url, headers=self.http_headers)
        prepared.tap_jira_stream = SITE  # type: ignore[attr-defined]

        def send(request: requests.PreparedRequest, context: Any) -> requests.Response:
            response = self.requests_session.send(request, timeout=self.timeout)
            if response.status_code == HTTPStatus.TOO_MANY_REQUESTS or response.status_code >= 500:
                raise RetriableAPIError(self.response_error_message(response), response)
            if response.ok:
                _parse_once(response)
            return response

        return self.request_decorator(send)(prepared, None)

    # ---- retries: Jira's Retry-After as a minimum, else exponential backoff with jitter ----

    def backoff_wait_generator(self) -> Any:
        def waits() -> Any:
            error = yield
            for attempt in itertools.count():
                asked = _asked_wait(error)
                fallback = min(FIRST_BACKOFF_SECONDS * 2**attempt, MAX_BACKOFF_SECONDS)
                error = yield asked if asked is not None else fallback
        return waits()

    def backoff_jitter(self, value: float) -> float:
        return value * random.uniform(1.0, 1.3)  # only ever longer: Retry-After is a minimum

    def backoff_max_tries(self) -> int:
        # Until Jira has answered once, a failure is more likely a wrong `base_url`
        # than a blip: give up after a few seconds instead of minutes.
        return MAX_TRIES if self.jira_clock.answered else FIRST_CONTACT_TRIES

    def backoff_handler(self, details: Any) -> None:
        error = details.get("exception")
        response = getattr(error, "response", None)
        if response is not None:
            reason = f"HTTP {response.status_code} from {_endpoint(response)}"
            if response.headers.get("RateLimit-Reason"):
                reason += f" ({response.headers['RateLimit-Reason']})"
            if response.headers.get("Retry-After"):
                reason += f", Retry-After {response.headers['Retry-After']} s"
        else:
            reason = type(error).__name__ if error is not None else "unknown failure"
        self.logger.warning("Waiting %.1f s before try %d of %d: %s", details.get("wait", 0.0),
                            details.get("tries", 0) + 1, self.backoff_max_tries(), reason)

    # ---- errors --------------------------------------------------------------------

    def validate_response(self, response: requests.Response) -> None:
        status = response.status_code
        if status == HTTPStatus.UNAUTHORIZED and b"scope does not match" in response.content:
            raise JiraAPIError(
                f"the {_mode_name(self.config)} lacks the scope {scope_for(_endpoint(response))} that "
                f"{_endpoint(response)} needs: grant it and run `tap-jira-auth oauth2` again", status)
        if status == HTTPStatus.UNAUTHORIZED:
            raise JiraAPIError(
                f"Jira refused the credentials (HTTP 401) at {self.config['base_url']}: {auth.describe(self.config)}",
                status,
            )
        if status == HTTPStatus.FORBIDDEN:
            raise JiraAPIError(
                f"Jira denied access (HTTP 403) to {_endpoint(response)}: {_jira_message(response)}; "
                f"check the account's permissions{_scope_hint(self.config, response)}",
                status,
            )
        if 400 <= status < 500 and status != HTTPStatus.TOO_MANY_REQUESTS:
            raise JiraAPIError(self.client_error_message(response), status)
        super().validate_response(response)
        _parse_once(response)
        request = response.request
        shapes.check(request.method or "", urlsplit(request.url or "").path,
                     response.json() if response.content else None)

    def client_error_message(self, response: requests.Response) -> str:
        """One line for a 4xx that retrying cannot fix; streams add what config to check."""
        return f"Jira answered HTTP {response.status_code} to {_endpoint(response)}: {_jira_message(response)}"

    def response_error_message(self, response: requests.Response) -> str:
        # The SDK default embeds the whole body; keep logs to Jira's own message.
        return f"HTTP {response.status_code} from {_endpoint(response)}: {_jira_message(response)}"

def _parse_once(response: requests.Response) -> None:
    """Parse the body here, inside the retries: a 200 whose body is not JSON (a proxy's
    error page, a body cut short) is retried like a 5xx.  The paginator and the record
    extractor then share this one parse instead of each parsing the body again."""
    if not response.content:
        return
    try:
        # Decoding is the largest share of the tap's CPU on wide issues, and msgspec
        # does it in about 0.7 of the time of the JSON module requests uses.
        parsed = msgspec.json.decode(response.content)
    except RecursionError:
        raise JiraAPIError(f"the body from {_endpoint(response)} nests deeper than the tap can read "
                           f"(over {RECURSION_LIMIT // 2} levels)", response.status_code) from None
    except ValueError:
        try:
            response.content.decode("utf-8")
        except UnicodeDecodeError as error:
            # The same bytes come back on every try: no use waiting minutes for them.
            raise JiraAPIError(f"the body from {_endpoint(response)} is not valid UTF-8 (byte {error.start}): a "
                               "proxy between the tap and Jira may be re-encoding it", response.status_code) from None
        raise RetriableAPIError(f"the body from {_endpoint(response)} is not valid JSON", response) from None
    response.json = lambda **_: parsed  # type: ignore[method-assign]


def _asked_wait(error: BaseException | None) -> float | None:
    response = getattr(error, "response", None) if isinstance(error, RetriableAPIError) else None
    return retry_after(response) if response is not None else None


def _mode_name(config: Any) -> str:
    return "OAuth 2.0 token" if settings.auth_type(config) == "oauth2" else "scoped API token"


def _scope_hint(config: Any, response: requests.Response) -> str:
    if settings.auth_type(config) == "oauth2" or config.get("cloud_id"):
        return f" and that the {_mode_name(config)} has the scope {scope_for(_endpoint(response))}"
    return ""


def _endpoint_template(response: requests.Response, base: str = "") -> str:
    """The path called, relative to `base` when under it, with ids as `{id}`."""
    url = response.request.url or "" if response.request is not None else ""
    path = url[len(base):] if base and url.startswith(base) else urlsplit(url).path
    return _PATH_ID.sub("/{id}", path.split("?", 1)[0])


def _endpoint(response: requests.Response) -> str:
    return endpoint(response.request)


def _jira_message(response: requests.Response) -> str:
    """Jira's ErrorCollection messages (or a short plain-text body), on one line."""
    try:
        body = response.json()
    except ValueError:
        text = " ".join(response.text.split())
        return text[:300] or response.reason or "no message"
    if isinstance(body, dict):
        messages = list(body.get("errorMessages") or [])
        messages += [f"{key}: {value}" for key, value in (body.get("errors") or {}).items()]
        if body.get("message"):
            messages.append(str(body["message"]))
        if messages:
            return " ".join(" ".join(str(m).split()) for m in messages)[:500]
    return response.reason or "no message"
