"""What an answer from Jira means: data, an error to explain in one line, or a blip to retry.

Parsing happens here, inside the retries: a 200 whose body is not JSON (a proxy's
error page, a body cut short) is retried like a 5xx, and the paginators and record
extractors then share this one parse.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

import msgspec
import requests
from singer_sdk.exceptions import RetriableAPIError

from .. import auth, shapes
from ..auth.modes import auth_type
from ..auth.scopes import scope_for
from ..errors import JiraAPIError, endpoint

# Jira's rich text (ADF) nests one level per mark, list and table cell; a body hundreds
# of levels deep is real.  msgspec and the JSON writers recurse once per level, and
# Python's default limit (1000) would end the run at such an issue, run after run.
# cli.main sets 12000, which reads about 5000 levels in the main thread and the workers.
RECURSION_LIMIT = 12000
_PATH_ID = re.compile(r"/\d+(?=/|$)")  # an id in a path, `{id}` in the endpoint that metrics name


def check(response: requests.Response, config: Mapping[str, Any], hint: str = "") -> None:
    """Raise JiraAPIError (one line, saying what to fix) for answers retrying cannot fix,
    RetriableAPIError for 429, 5xx and unreadable bodies; else parse the body once.
    `hint` names the config keys a 400 points at."""
    status = response.status_code
    if status == HTTPStatus.UNAUTHORIZED and b"scope does not match" in response.content:
        scope = scope_for(_endpoint(response))
        raise JiraAPIError(
            f"the {_mode_name(config)} lacks the scope {scope} that "
            f"{_endpoint(response)} needs: grant it and run `tap-jira-auth oauth2` again", status, missing_scope=scope)
    if status == HTTPStatus.UNAUTHORIZED:
        raise JiraAPIError(
            f"Jira refused the credentials (HTTP 401) at {config['base_url']}: {auth.describe(config)}", status)
    if status == HTTPStatus.FORBIDDEN:
        raise JiraAPIError(
            f"Jira denied access (HTTP 403) to {_endpoint(response)}: {jira_message(response)}; "
            f"check the account's permissions{_scope_hint(config, response)}", status)
    if status == HTTPStatus.TOO_MANY_REQUESTS or status >= HTTPStatus.INTERNAL_SERVER_ERROR:
        raise RetriableAPIError(error_message(response), response)
    if 400 <= status < 500:
        message = f"Jira answered HTTP {status} to {_endpoint(response)}: {jira_message(response)}"
        raise JiraAPIError(f"{message} ({hint})" if hint and status == HTTPStatus.BAD_REQUEST else message, status)
    parse_once(response)
    request = response.request
    shapes.check(request.method or "", urlsplit(request.url or "").path, response.json() if response.content else None)


def check_retriable_only(response: requests.Response) -> None:
    """For finding the site: retry 429 and 5xx, return every other answer for the caller to explain."""
    if response.status_code == HTTPStatus.TOO_MANY_REQUESTS or response.status_code >= 500:
        raise RetriableAPIError(error_message(response), response)
    if response.ok:
        parse_once(response)


def parse_once(response: requests.Response) -> None:
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
    response.json = lambda **_: parsed  # type: ignore[method-assign]  # the one parse, shared


def error_message(response: requests.Response) -> str:
    """A retried answer, for the log: Jira's own message, never the whole body."""
    return f"HTTP {response.status_code} from {_endpoint(response)}: {jira_message(response)}"


def jira_message(response: requests.Response) -> str:
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


def endpoint_template(response: requests.Response, bases: tuple[str, ...] = ()) -> str:
    """The path called, relative to the first of `bases` it is under, with ids as `{id}`."""
    url = response.request.url or "" if response.request is not None else ""
    base = next((base for base in bases if base and url.startswith(base)), "")
    path = url[len(base):] if base else urlsplit(url).path
    return _PATH_ID.sub("/{id}", path.split("?", 1)[0])


def _endpoint(response: requests.Response) -> str:
    return endpoint(response.request)


def _mode_name(config: Mapping[str, Any]) -> str:
    return "OAuth 2.0 token" if auth_type(config) == "oauth2" else "scoped API token"


def _scope_hint(config: Mapping[str, Any], response: requests.Response) -> str:
    if auth_type(config) == "oauth2" or config.get("cloud_id"):
        return f" and that the {_mode_name(config)} has the scope {scope_for(_endpoint(response))}"
    return ""
