"""Jira Cloud platform REST v3 routes: request parsing, paging styles and caps.

Each handler takes a `Request` and returns a `Response`.  The paging styles are
Jira's own (https://developer.atlassian.com/cloud/jira/platform/rest/v3/intro/#pagination):
token (``/search/jql``), page bean (``/project/search``, ``/resolution/search``) and
bare arrays (``/users/search``).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from . import agile, children, datacenter, jql, lookups
from .boards import AGILE
from .model import RESOLUTIONS
from .oauth1 import SERVLET, ApplicationLink
from .oauth2 import AuthorizationServer
from .wire import HttpError, Request, Response, bare_array, decode_token, encode_token, page_bean

API = "/rest/api/3"
API2 = "/rest/api/2"
REMOVED_SEARCH = (
    "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. "
    "A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046"
)



# ---- platform endpoints -------------------------------------------------------------


def myself(request: Request) -> Response:
    return Response(200, request.site.render.user_json(request.principal.account.user))


def server_info(request: Request) -> Response:
    site = request.site
    now = site.now()
    return Response(200, {
        "baseUrl": site.base_url,
        "displayUrl": site.base_url,
        "version": "1001.0.0-SNAPSHOT",
        "versionNumbers": [1001, 0, 0],
        "deploymentType": "Cloud",
        "buildNumber": 100282,
        "buildDate": "2026-11-20T00:00:00.000+0000",
        "serverTime": site.render.timestamp(now),
        "scmInfo": "57a0ca5b4a0bb0ac5f3fee4764acb1c14e4d7e71",
        "serverTitle": "Jira",
        "serverTimeZone": str(site.site_zone),
    })


def fields(request: Request) -> Response:
    return Response(200, request.site.render.field_definitions())


def project_search(request: Request) -> Response:
    site = request.site
    projects = site.projects if request.principal.authenticated else []
    statuses = set(request.arg_list("status")) or {"live"}
    projects = [p for p in projects if p.status in statuses]
    # Browse lost: gone from `action=browse`, and from the default `view` for an account
    # with no other right on the project, as here.
    projects = [p for p in projects if p.key not in site.browse_revoked]
    keys = {k.upper() for k in request.arg_list("keys")}
    if keys:
        projects = [p for p in projects if p.key in keys]
        if not projects:  # as the spec says, rather than an empty page
            raise HttpError(404, "No projects matching the search criteria were found.")
    order = request.arg("orderBy", "key").lstrip("+")
    descending = order.startswith("-")
    sort_field = order.lstrip("-")
    if sort_field in ("key", "name"):
        projects = sorted(projects, key=lambda p: getattr(p, sort_field), reverse=descending)
    expand = set(request.arg_list("expand"))
    values = [site.render.project_json(p, expand) for p in projects]
    return Response(200, page_bean(request, values, default_size=50, cap=100))


def users_search(request: Request) -> Response:
    site = request.site
    users = site.users if request.principal.authenticated else []
    start = max(request.int_arg("startAt", 0), 0)
    page = bare_array(request, users, default_size=50, cap=1000)
    if site.hidden_user_every:  # left out after paging: a short page that is not the last
        every = site.hidden_user_every
        page = [u for index, u in enumerate(page, start) if index % every != every - 1]
    return Response(200, [site.render.user_json(u) for u in page])


def resolution_search(request: Request) -> Response:
    site = request.site
    values = [{**site.render.resolution_json(resolution), "isDefault": resolution[3]} for resolution in RESOLUTIONS]
    return Response(200, page_bean(request, values, default_size=50, cap=50))


def removed_search(request: Request) -> Response:
    raise HttpError(410, REMOVED_SEARCH)


def legacy_search(request: Request) -> Response:
    """The search Atlassian removed from Cloud (CHANGE-2046), as it answered before:
    startAt/total paging, at most 100 issues a page, the changelog expand capped at 100.
    Served only when the emulator is started with `legacy_search`, to run older connectors."""
    return datacenter.offset_search(request, size_cap=100, comment_cap=20, changelog_cap=100)


def search_jql(request: Request) -> Response:
    site = request.site
    text = request.arg("jql", "") or ""
    if not request.principal.authenticated:
        return Response(200, {"issues": [], "isLast": True})  # anonymous: no browsable projects
    zone = ZoneInfo(request.principal.account.user.time_zone or str(site.site_zone))
    try:
        matched = jql.parse(text, site, zone, site.now()).run(site.searchable(site.issues))
    except jql.JqlError as error:
        raise HttpError(400, str(error)) from None
    wanted = request.arg_list("fields") or ["id"]
    expand = set(request.arg_list("expand"))
    # Jira returns smaller pages when many fields are requested.
    id_only = set(wanted) <= {"id", "key"}
    size = min(max(request.int_arg("maxResults", 50), 1), 5000 if id_only else 100)
    fingerprint = hashlib.sha256(json.dumps([text, sorted(wanted)]).encode()).hexdigest()[:16]
    start = decode_token(request.arg("nextPageToken"), fingerprint)
    page = matched[start : start + size]
    body: dict[str, Any] = {"issues": [site.render.issue_bean(issue, wanted, expand) for issue in page]}
    site.after_search_page(start // max(size, 1) + 1)
    if start + size < len(matched):
        body["nextPageToken"] = encode_token(fingerprint, start + size)
    body["isLast"] = start + size >= len(matched)
    if "names" in expand:
        body["names"] = {f["id"]: f["name"] for f in site.render.field_definitions()}
    return Response(200, body)


# ---- routing ------------------------------------------------------------------------

Handler = Callable[[Request], Response]


@dataclass
class Route:
    methods: tuple[str, ...]
    template: str  # the documented path, used as the request-log key
    handler: Handler
    anonymous: bool  # answers anonymous (and wrongly authenticated) callers
    # Jira API routes need an OAuth 2.0 scope (the spec's x-atlassian-oauth2-scopes);
    # the authorization server's own routes need none (None).
    scope: str | None = "read:jira-work"

    def __post_init__(self) -> None:
        self.pattern = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", self.template) + "$")


ROUTES = [
    Route(("GET",), f"{API}/myself", myself, anonymous=False, scope="read:jira-user"),
    Route(("GET",), f"{API}/serverInfo", server_info, anonymous=True),
    Route(("GET",), f"{API}/field", fields, anonymous=False),
    Route(("GET",), f"{API}/project/search", project_search, anonymous=True),
    Route(("GET",), f"{API}/users/search", users_search, anonymous=True, scope="read:jira-user"),
    Route(("GET",), f"{API}/users", users_search, anonymous=True, scope="read:jira-user"),
    Route(("GET",), f"{API}/resolution/search", resolution_search, anonymous=True),
    Route(("GET",), f"{API}/issuetype", lookups.issue_types, anonymous=False),
    Route(("GET",), f"{API}/status", lookups.statuses, anonymous=True),
    Route(("GET",), f"{API}/statuscategory", lookups.status_categories, anonymous=True),
    Route(("GET",), f"{API}/priority/search", lookups.priority_search, anonymous=True),
    Route(("GET",), f"{API}/projectCategory", lookups.project_categories, anonymous=False),
    Route(("GET",), f"{API}/project/type", lookups.project_types, anonymous=True),
    Route(("GET",), f"{API}/role", lookups.roles, anonymous=False, scope="manage:jira-configuration"),
    Route(("GET",), f"{API}/project/{{projectIdOrKey}}/version", lookups.project_versions, anonymous=True),
    Route(("GET",), f"{API}/project/{{projectIdOrKey}}/component", lookups.project_components, anonymous=True),
    Route(("GET",), f"{API}/issueLinkType", lookups.link_types, anonymous=False),
    Route(("GET",), f"{API}/group/bulk", lookups.groups, anonymous=False, scope="read:jira-user"),
    Route(("GET",), f"{API}/group/member", lookups.group_members, anonymous=False,
          scope="manage:jira-configuration"),
    Route(("GET",), f"{API}/field/{{fieldId}}/context", lookups.field_contexts, anonymous=False,
          scope="manage:jira-configuration"),
    Route(("GET",), f"{API}/field/{{fieldId}}/context/{{contextId}}/option", lookups.field_context_options,
          anonymous=False, scope="manage:jira-configuration"),
    Route(("GET", "POST"), f"{API}/search/jql", search_jql, anonymous=True),
    Route(("GET", "POST"), f"{API}/search", removed_search, anonymous=True),
    Route(("POST",), f"{API}/issue/bulkfetch", children.issue_bulkfetch, anonymous=False),
    Route(("GET",), f"{API}/issue/{{issueIdOrKey}}", children.get_issue, anonymous=False),
    Route(("GET",), f"{API}/issue/{{issueIdOrKey}}/comment", children.issue_comments, anonymous=False),
    Route(("GET",), f"{API}/issue/{{issueIdOrKey}}/worklog", children.issue_worklogs, anonymous=False),
    Route(("GET",), f"{API}/issue/{{issueIdOrKey}}/changelog", children.issue_changelogs, anonymous=False),
    Route(("POST",), f"{API}/changelog/bulkfetch", children.changelog_bulkfetch, anonymous=False),
    Route(("POST",), f"{API}/comment/list", children.comment_list, anonymous=False),
    Route(("GET",), f"{API}/worklog/updated", children.worklog_updated, anonymous=False),
    Route(("GET",), f"{API}/worklog/deleted", children.worklog_deleted, anonymous=False),
    Route(("POST",), f"{API}/worklog/list", children.worklog_list, anonymous=False),
    Route(("GET",), f"{AGILE}/board", agile.boards, anonymous=False, scope="read:board-scope:jira-software"),
    Route(("GET",), f"{AGILE}/board/{{boardId}}/sprint", agile.board_sprints, anonymous=False,
          scope="read:sprint:jira-software"),
    Route(("GET",), f"{AGILE}/board/{{boardId}}/issue", agile.board_issues, anonymous=False,
          scope="read:board-scope:jira-software"),
    Route(("GET",), f"{AGILE}/board/{{boardId}}/project", agile.board_projects, anonymous=False,
          scope="read:board-scope.admin:jira-software"),
]
DATACENTER_ROUTES = [Route(*spec) for spec in datacenter.ROUTE_SPECS]


def tenant_info(request: Request) -> Response:
    """Every Cloud site's own page naming its cloud id (no OpenAPI spec: not part of the REST API)."""
    return Response(200, {"cloudId": request.site.cloud_id})


def cloud_routes(legacy: bool = False) -> list[Route]:
    """Cloud's table: every v3 resource, the same under v2 (plain-text bodies, v2 links;
    Cloud's v2 still names users by accountId), and with `legacy` the removed search."""
    v3 = [Route(r.methods, r.template, legacy_search, False, r.scope) if legacy and r.handler is removed_search else r
          for r in ROUTES]
    v2 = [Route(r.methods, API2 + r.template[len(API):], _rendered_as_v2(r.handler), r.anonymous, r.scope)
          for r in v3 if r.template.startswith(API + "/")]
    return [*v3, *v2, Route(("GET",), "/_edge/tenant_info", tenant_info, anonymous=True, scope=None)]


def _rendered_as_v2(handler: Handler) -> Handler:
    def v2_handler(request: Request) -> Response:
        response = handler(request)
        response.body = datacenter.to_v2(response.body, request.site, datacenter_users=False)
        return response
    return v2_handler


def oauth2_routes(server: AuthorizationServer) -> list[Route]:
    """Atlassian's authorization server; the gateway's accessible-resources needs a Bearer token."""
    return [
        Route(("GET",), "/authorize", server.authorize, anonymous=True, scope=None),
        Route(("POST",), "/oauth/token", server.token, anonymous=True, scope=None),
        Route(("GET",), "/oauth/token/accessible-resources", server.accessible_resources, anonymous=False, scope=None),
    ]


def oauth1_routes(link: ApplicationLink) -> list[Route]:
    return [
        Route(("POST",), f"{SERVLET}/request-token", link.request_token, anonymous=True, scope=None),
        Route(("GET",), f"{SERVLET}/authorize", link.authorize, anonymous=True, scope=None),
        Route(("POST",), f"{SERVLET}/access-token", link.access_token, anonymous=True, scope=None),
    ]


def match(method: str, path: str, table: list[Route]) -> tuple[Route | None, dict[str, str], bool]:
    """The route for a request, its path parameters, and whether the path exists at all."""
    path_known = False
    for route in table:
        found = route.pattern.match(path)
        if found:
            path_known = True
            if method in route.methods:
                return route, found.groupdict(), True
    return None, {}, path_known
