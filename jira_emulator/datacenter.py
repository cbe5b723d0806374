"""The Jira Server / Data Center flavour: REST v2 only, offset search, v2 shapes.

What differs from Cloud, as Atlassian documents it
(https://docs.atlassian.com/software/jira/docs/api/REST/latest/):
- no ``/rest/api/3``, no ``/search/jql`` and no bulk endpoints; ``/rest/api/2/search``
  pages by startAt/maxResults/total (maxResults capped at 1000);
- rich text is plain (wiki markup) text, not ADF;
- users carry `key` and `name` instead of `accountId`;
- projects and resolutions come as one bare array; users from ``/user/search``;
- search embeds every comment and the whole changelog, but only 20 worklogs.

Responses are built by the Cloud renderers and then converted by `to_v2`, so
both flavours always describe the same data.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from . import agile, children, jql, lookups
from .boards import AGILE
from .data import Site
from .model import RESOLUTIONS
from .wire import HttpError, Request, Response, bare_array

API2 = "/rest/api/2"
EVERYTHING = 10**9  # no inline cap


def to_v2(body: Any, site: Site, datacenter_users: bool = True) -> Any:
    """A Cloud (v3) response body as REST v2 renders it: plain-text bodies, v2 links and,
    on Data Center (`datacenter_users`), users by key and name instead of accountId."""
    if isinstance(body, list):
        return [to_v2(item, site, datacenter_users) for item in body]
    if isinstance(body, str):
        return body.replace("/rest/api/3/", f"{API2}/")
    if not isinstance(body, dict):
        return body
    if body.get("type") == "doc" and "content" in body:
        return _plain_text(body)
    converted = {key: to_v2(value, site, datacenter_users) for key, value in body.items()}
    if "accountId" in converted and datacenter_users:
        key, name = site.datacenter_identity(converted.pop("accountId"))
        converted.pop("accountType", None)
        converted = {"self": f"{site.base_url}{API2}/user?username={name}", "key": key, "name": name,
                     **{k: v for k, v in converted.items() if k != "self"}}
    return converted


def _plain_text(document: dict[str, Any]) -> str:
    paragraphs = []
    for block in document.get("content") or []:
        paragraphs.append("".join(node.get("text", "") for node in block.get("content") or []))
    return "\n".join(paragraphs)


# ---- routes -------------------------------------------------------------------------


def server_info(request: Request) -> Response:
    site = request.site
    return Response(200, {
        "baseUrl": site.base_url, "version": "9.12.15", "versionNumbers": [9, 12, 15],
        "deploymentType": "DataCenter", "buildNumber": 9120015, "buildDate": "2024-10-01T00:00:00.000+0000",
        "serverTime": site.render.timestamp(site.now()), "scmInfo": "2f4c1e9d", "serverTitle": "Jira",
    })


def fields(request: Request) -> Response:
    return Response(200, request.site.render.field_definitions())


def myself(request: Request) -> Response:
    return Response(200, request.site.render.user_json(request.principal.account.user))


def search(request: Request) -> Response:
    return offset_search(request, size_cap=1000, comment_cap=EVERYTHING, changelog_cap=EVERYTHING)


def offset_search(request: Request, size_cap: int, comment_cap: int, changelog_cap: int) -> Response:
    """Search paged by startAt/maxResults/total, embedding children up to the caps given."""
    site = request.site
    zone = ZoneInfo(request.principal.account.user.time_zone or str(site.site_zone))
    try:
        query = jql.parse(request.arg("jql", "") or "", site, zone, site.now())
    except jql.JqlError as error:
        raise HttpError(400, str(error)) from None
    if query.predicate is None:  # Data Center allows unbounded searches
        query = jql.Query(lambda issue: True, query.order)
    matched = query.run(site.searchable(site.issues))
    start = max(request.int_arg("startAt", 0), 0)
    size = min(max(request.int_arg("maxResults", 50), 0), size_cap)
    wanted = request.arg_list("fields") or ["*navigable"]
    expand = set(request.arg_list("expand"))
    page = [site.render.issue_bean(issue, wanted, expand, comment_cap=comment_cap, changelog_cap=changelog_cap)
            for issue in matched[start:start + size]]
    site.after_search_page(start // max(size, 1) + 1)
    return Response(200, {"expand": "names,schema", "startAt": start, "maxResults": size,
                          "total": len(matched), "issues": page})


def issue(request: Request) -> Response:
    found = request.site.find_issue(request.params["issueIdOrKey"])
    if found is None:
        raise HttpError(404, "Issue Does Not Exist")
    wanted = request.arg_list("fields") or ["*all"]
    bean = request.site.render.issue_bean(found, wanted, set(request.arg_list("expand")),
                                   comment_cap=EVERYTHING, changelog_cap=EVERYTHING)
    return Response(200, bean)


def projects(request: Request) -> Response:
    site = request.site
    expand = set(request.arg_list("expand"))
    shown = [p for p in site.projects if p.key not in site.browse_revoked and p.status == "live"
             or (p.key not in site.browse_revoked and p.status == "archived"
                 and str(request.arg("includeArchived", "false")).lower() == "true")]
    return Response(200, [site.render.project_json(p, expand) for p in sorted(shown, key=lambda p: p.key)])


def resolutions(request: Request) -> Response:
    return Response(200, [request.site.render.resolution_json(resolution) for resolution in RESOLUTIONS])


def user_search(request: Request) -> Response:
    site = request.site
    if not request.arg("username"):
        raise HttpError(400, "The username query parameter was not provided")
    users = site.users
    if str(request.arg("includeInactive", "false")).lower() != "true":
        users = [u for u in users if u.active]
    return Response(200, [site.render.user_json(u) for u in bare_array(request, users, default_size=50, cap=1000)])


def group_picker(request: Request) -> Response:
    """Server/Data Center lists groups through the picker: at most `maxResults` (default
    20, and the server's cap, 1000 by default), with the total matched in `header`."""
    site = request.site
    size = min(max(request.int_arg("maxResults", 20), 0), 1000)
    query = (request.arg("query", "") or "").lower()
    matched = [g for g in site.metadata.groups if query in g.name.lower()]
    return Response(200, {"header": f"Showing {min(size, len(matched))} of {len(matched)} matching groups",
                          "total": len(matched),
                          "groups": [{"name": g.name, "html": g.name, "labels": []} for g in matched[:size]]})


# (method(s), template, handler, anonymous)
ROUTE_SPECS = [
    (("GET",), f"{API2}/serverInfo", server_info, True),
    (("GET",), f"{API2}/myself", myself, False),
    (("GET", "POST"), f"{API2}/search", search, False),
    (("GET",), f"{API2}/issue/{{issueIdOrKey}}", issue, False),
    (("GET",), f"{API2}/issue/{{issueIdOrKey}}/comment", children.issue_comments, False),
    (("GET",), f"{API2}/issue/{{issueIdOrKey}}/worklog", children.issue_worklogs, False),
    (("GET",), f"{API2}/worklog/deleted", children.worklog_deleted, False),
    (("GET",), f"{API2}/project", projects, False),
    (("GET",), f"{API2}/resolution", resolutions, False),
    (("GET",), f"{API2}/issuetype", lookups.issue_types, False),
    (("GET",), f"{API2}/status", lookups.statuses, False),
    (("GET",), f"{API2}/statuscategory", lookups.status_categories, False),
    (("GET",), f"{API2}/priority", lookups.priorities, False),
    (("GET",), f"{API2}/field", fields, False),
    (("GET",), f"{API2}/user/search", user_search, False),
    (("GET",), f"{AGILE}/board", agile.boards, False),
    (("GET",), f"{AGILE}/board/{{boardId}}/sprint", agile.board_sprints, False),
    (("GET",), f"{AGILE}/board/{{boardId}}/issue", agile.board_issues, False),
    (("GET",), f"{AGILE}/board/{{boardId}}/project", agile.board_projects, False),
    (("GET",), f"{API2}/projectCategory", lookups.project_categories, False),
    (("GET",), f"{API2}/project/type", lookups.project_types, True),
    (("GET",), f"{API2}/role", lookups.roles, False),
    (("GET",), f"{API2}/project/{{projectIdOrKey}}/versions", lookups.project_version_list, False),
    (("GET",), f"{API2}/project/{{projectIdOrKey}}/components", lookups.project_component_list, False),
    (("GET",), f"{API2}/issueLinkType", lookups.link_types, False),
    (("GET",), f"{API2}/groups/picker", group_picker, False),
    (("GET",), f"{API2}/group/member", lookups.group_members, False),
]
