"""Jira Cloud platform REST v3 routes: request parsing, paging styles and caps.

Each handler takes a `Request` and returns a `Response`.  The paging styles are
Jira's own (see ``shared/docs/jira-api.md`` §0): token (``/search/jql``), page bean
(``/project/search``, ``/resolution/search``) and bare arrays (``/users/search``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from . import jql
from .auth import UNAUTHENTICATED_BODY, Principal
from .data import RESOLUTIONS, Issue, Site

API = "/rest/api/3"
REMOVED_SEARCH = (
    "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. "
    "A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046"
)


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    principal: Principal
    site: Site
    params: dict[str, str] = field(default_factory=dict)

    def arg(self, name: str, default: Any = None) -> Any:
        """A parameter from the JSON body (POST) or the query string (GET)."""
        if isinstance(self.body, dict) and name in self.body:
            return self.body[name]
        values = self.query.get(name)
        return values[0] if values else default

    def arg_list(self, name: str) -> list[str]:
        """Multi-valued parameters: a JSON list, repeated query keys or comma-separated."""
        if isinstance(self.body, dict) and name in self.body:
            value = self.body[name]
            return [str(v) for v in value] if isinstance(value, list) else str(value).split(",")
        return [part for value in self.query.get(name, []) for part in value.split(",") if part]

    def int_arg(self, name: str, default: int) -> int:
        value = self.arg(name, default)
        try:
            return int(value)
        except (TypeError, ValueError):
            raise HttpError(400, f"The {name} parameter must be a number.") from None

    def url(self, **params: Any) -> str:
        query = urlencode({k: v for k, v in params.items() if v is not None})
        return f"{self.site.base_url}{self.path}" + (f"?{query}" if query else "")


@dataclass
class Response:
    status: int
    body: Any  # JSON-serialisable, or str for text/plain
    headers: dict[str, str] = field(default_factory=dict)


class HttpError(Exception):
    """Answered with Jira's ErrorCollection body."""

    def __init__(self, status: int, *messages: str, errors: dict[str, str] | None = None) -> None:
        super().__init__(messages)
        self.status = status
        self.body = {"errorMessages": list(messages), "errors": errors or {}}


def unauthorized() -> Response:
    return Response(401, UNAUTHENTICATED_BODY)


# ---- paging -----------------------------------------------------------------------


def page_bean(request: Request, values: list[Any], default_size: int, cap: int) -> dict[str, Any]:
    """Jira's PageBean: startAt/maxResults/total/isLast, with the cap applied silently."""
    start = max(request.int_arg("startAt", 0), 0)
    size = min(max(request.int_arg("maxResults", default_size), 0), cap)
    page = values[start : start + size]
    is_last = start + size >= len(values)
    bean: dict[str, Any] = {"self": request.url(startAt=start, maxResults=size)}
    if not is_last:
        bean["nextPage"] = request.url(startAt=start + size, maxResults=size)
    bean.update({"maxResults": size, "startAt": start, "total": len(values), "isLast": is_last, "values": page})
    return bean


def bare_array(request: Request, values: list[Any], default_size: int, cap: int) -> list[Any]:
    start = max(request.int_arg("startAt", 0), 0)
    size = min(max(request.int_arg("maxResults", default_size), 0), cap)
    return values[start : start + size]


# ---- platform endpoints -------------------------------------------------------------


def myself(request: Request) -> Response:
    return Response(200, request.site.user_json(request.principal.account.user))


def server_info(request: Request) -> Response:
    site = request.site
    now = datetime.now(timezone.utc)
    return Response(200, {
        "baseUrl": site.base_url,
        "displayUrl": site.base_url,
        "version": "1001.0.0-SNAPSHOT",
        "versionNumbers": [1001, 0, 0],
        "deploymentType": "Cloud",
        "buildNumber": 100282,
        "buildDate": "2026-11-20T00:00:00.000+0000",
        "serverTime": site.timestamp(now),
        "scmInfo": "57a0ca5b4a0bb0ac5f3fee4764acb1c14e4d7e71",
        "serverTitle": "Jira",
        "serverTimeZone": str(site.site_zone),
    })


def fields(request: Request) -> Response:
    return Response(200, request.site.field_definitions())


def project_search(request: Request) -> Response:
    site = request.site
    projects = site.projects if request.principal.authenticated else []
    keys = {k.upper() for k in request.arg_list("keys")}
    if keys:
        projects = [p for p in projects if p.key in keys]
    order = request.arg("orderBy", "key").lstrip("+")
    descending = order.startswith("-")
    sort_field = order.lstrip("-")
    if sort_field in ("key", "name"):
        projects = sorted(projects, key=lambda p: getattr(p, sort_field), reverse=descending)
    expand = set(request.arg_list("expand"))
    values = [site.project_json(p, expand) for p in projects]
    return Response(200, page_bean(request, values, default_size=50, cap=100))


def users_search(request: Request) -> Response:
    site = request.site
    users = site.users if request.principal.authenticated else []
    values = [site.user_json(u) for u in bare_array(request, users, default_size=50, cap=1000)]
    return Response(200, values)


def resolution_search(request: Request) -> Response:
    site = request.site
    values = [{**site.resolution_json(resolution), "isDefault": resolution[3]} for resolution in RESOLUTIONS]
    return Response(200, page_bean(request, values, default_size=50, cap=50))


def removed_search(request: Request) -> Response:
    raise HttpError(410, REMOVED_SEARCH)


def search_jql(request: Request) -> Response:
    site = request.site
    text = request.arg("jql", "") or ""
    if not request.principal.authenticated:
        return Response(200, {"issues": [], "isLast": True})  # anonymous: no browsable projects
    zone = ZoneInfo(request.principal.account.user.time_zone or str(site.site_zone))
    try:
        matched = jql.parse(text, site, zone).run(site.issues)
    except jql.JqlError as error:
        raise HttpError(400, str(error)) from None
    wanted = request.arg_list("fields") or ["id"]
    expand = set(request.arg_list("expand"))
    # Jira returns smaller pages when many fields are requested.
    id_only = set(wanted) <= {"id", "key"}
    size = min(max(request.int_arg("maxResults", 50), 1), 5000 if id_only else 100)
    fingerprint = hashlib.sha256(json.dumps([text, sorted(wanted)]).encode()).hexdigest()[:16]
    start = _decode_token(request.arg("nextPageToken"), fingerprint)
    page = matched[start : start + size]
    body: dict[str, Any] = {"issues": [_issue_json(site, issue, wanted, expand) for issue in page]}
    if start + size < len(matched):
        body["nextPageToken"] = _encode_token(fingerprint, start + size)
    body["isLast"] = start + size >= len(matched)
    if "names" in expand:
        body["names"] = {f["id"]: f["name"] for f in site.field_definitions()}
    return Response(200, body)


def _issue_json(site: Site, issue: Issue, wanted: list[str], expand: set[str]) -> dict[str, Any]:
    if set(wanted) <= {"id"}:
        return {"id": issue.id}
    body: dict[str, Any] = {
        "expand": "operations,versionedRepresentations,editmeta,changelog,renderedFields",
        "id": issue.id,
        "self": f"{site.base_url}{API}/issue/{issue.id}",
        "key": issue.key,
    }
    all_fields = site.issue_fields(issue)
    excluded = {name[1:] for name in wanted if name.startswith("-")}
    if "*all" in wanted or "*navigable" in wanted:
        chosen = {k: v for k, v in all_fields.items() if k not in excluded}
    else:
        chosen = {k: all_fields[k] for k in wanted if k in all_fields and k not in excluded}
    body["fields"] = chosen
    return body


def _encode_token(fingerprint: str, offset: int) -> str:
    return base64.urlsafe_b64encode(f"{fingerprint}:{offset}".encode()).decode().rstrip("=")


def _decode_token(token: str | None, fingerprint: str) -> int:
    if not token:
        return 0
    try:
        padded = token + "=" * (-len(token) % 4)
        token_fingerprint, _, offset = base64.urlsafe_b64decode(padded).decode().partition(":")
        if token_fingerprint == fingerprint:
            return int(offset)
    except (ValueError, UnicodeDecodeError):
        pass
    raise HttpError(400, "The provided next page token is invalid or expired.")


# ---- routing ------------------------------------------------------------------------

Handler = Callable[[Request], Response]


@dataclass
class Route:
    methods: tuple[str, ...]
    template: str  # the documented path, used as the request-log key
    handler: Handler
    anonymous: bool  # answers anonymous (and wrongly authenticated) callers

    def __post_init__(self) -> None:
        self.pattern = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", self.template) + "$")


ROUTES = [
    Route(("GET",), f"{API}/myself", myself, anonymous=False),
    Route(("GET",), f"{API}/serverInfo", server_info, anonymous=True),
    Route(("GET",), f"{API}/field", fields, anonymous=False),
    Route(("GET",), f"{API}/project/search", project_search, anonymous=True),
    Route(("GET",), f"{API}/users/search", users_search, anonymous=True),
    Route(("GET",), f"{API}/users", users_search, anonymous=True),
    Route(("GET",), f"{API}/resolution/search", resolution_search, anonymous=True),
    Route(("GET", "POST"), f"{API}/search/jql", search_jql, anonymous=True),
    Route(("GET", "POST"), f"{API}/search", removed_search, anonymous=True),
    Route(("GET", "POST"), "/rest/api/2/search", removed_search, anonymous=True),
]


def match(method: str, path: str) -> tuple[Route | None, dict[str, str], bool]:
    """The route for a request, its path parameters, and whether the path exists at all."""
    path_known = False
    for route in ROUTES:
        found = route.pattern.match(path)
        if found:
            path_known = True
            if method in route.methods:
                return route, found.groupdict(), True
    return None, {}, path_known
