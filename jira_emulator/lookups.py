"""Site-wide lookups analysts join against: issue types, statuses, status categories,
priorities, and the project metadata and configuration of metadata.py.  Every one an
issue carries is in these lists (render.py and metadata.py build the issues' embedded
copies from the same catalogues)."""

from __future__ import annotations

from typing import Any

from . import metadata
from .model import ISSUE_TYPES, PRIORITIES, STATUS_CATEGORIES, STATUSES, Project
from .wire import HttpError, Request, Response, page_bean


def issue_types(request: Request) -> Response:
    render = request.site.render
    return Response(200, [render.issuetype_json(issue_type) for issue_type in ISSUE_TYPES])


def statuses(request: Request) -> Response:
    render = request.site.render
    return Response(200, [render.status_json(status) for status in STATUSES.values()])


def status_categories(request: Request) -> Response:
    render = request.site.render
    return Response(200, [render.status_category_json(category) for category in STATUS_CATEGORIES])


def priority_search(request: Request) -> Response:
    """Cloud: a page bean (50 a page at most)."""
    render = request.site.render
    values = [render.priority_json(priority, full=True) for priority in PRIORITIES]
    return Response(200, page_bean(request, values, default_size=50, cap=50))


def priorities(request: Request) -> Response:
    """Server/Data Center: one bare array."""
    render = request.site.render
    return Response(200, [render.priority_json(priority, full=True) for priority in PRIORITIES])


# ---- project metadata and site configuration (metadata.py) ---------------------------


def project_categories(request: Request) -> Response:
    return Response(200, [metadata.category_json(request.site, c) for c in metadata.PROJECT_CATEGORIES])


def project_types(request: Request) -> Response:
    return Response(200, [metadata.project_type_json(t) for t in metadata.PROJECT_TYPES])


def roles(request: Request) -> Response:
    return Response(200, [metadata.role_json(request.site, role) for role in metadata.ROLES])


def link_types(request: Request) -> Response:
    if not request.site.issue_linking:
        raise HttpError(404, "Issue linking is disabled.")
    return Response(200, {"issueLinkTypes": [metadata.link_type_json(request.site, t) for t in metadata.LINK_TYPES]})


def project_versions(request: Request) -> Response:
    """Cloud: a page bean (50 a page by default, at most 50)."""
    return Response(200, page_bean(request, _versions(request), default_size=50, cap=50))


def project_version_list(request: Request) -> Response:
    """Server/Data Center (and Cloud's older form): every version, one bare array."""
    return Response(200, _versions(request))


def project_components(request: Request) -> Response:
    return Response(200, page_bean(request, _components(request), default_size=50, cap=50))


def project_component_list(request: Request) -> Response:
    return Response(200, _components(request))


def _versions(request: Request) -> list[dict[str, Any]]:
    site, project = request.site, _project(request)
    return [metadata.version_json(site, v) for v in site.metadata.versions_of(project)]


def _components(request: Request) -> list[dict[str, Any]]:
    site, project = request.site, _project(request)
    return [metadata.component_json(site, c) for c in site.metadata.components_of(project)]


def groups(request: Request) -> Response:
    values = [metadata.group_json(g) for g in request.site.metadata.groups]
    return Response(200, page_bean(request, values, default_size=50, cap=50))


def group_members(request: Request) -> Response:
    site = request.site
    wanted_id, wanted_name = request.arg("groupId"), request.arg("groupname")
    if not wanted_id and not wanted_name:
        raise HttpError(400, "You must specify groupname or groupId.")
    group = next((g for g in site.metadata.groups if g.id == wanted_id or (not wanted_id and g.name == wanted_name)),
                 None)
    if group is None:
        raise HttpError(404, "The group does not exist.")
    members = group.members
    if str(request.arg("includeInactiveUsers", "false")).lower() != "true":
        members = [u for u in members if u.active]
    values = [site.render.user_details_json(u) for u in members]
    return Response(200, page_bean(request, values, default_size=50, cap=50))


def field_contexts(request: Request) -> Response:
    context = [c for c in request.site.metadata.contexts if c.field_id == request.params["fieldId"]]
    if not context:
        raise HttpError(404, f"The custom field was not found: {request.params['fieldId']}")
    return Response(200, page_bean(request, [metadata.context_json(c) for c in context], default_size=50, cap=100))


def field_context_options(request: Request) -> Response:
    found = next((c for c in request.site.metadata.contexts if c.field_id == request.params["fieldId"]
                  and c.id == request.params["contextId"]), None)
    if found is None:
        raise HttpError(404, "The context was not found.")
    definitions = request.site.render.field_definitions()
    schema: dict[str, Any] = next((f["schema"] for f in definitions if f["id"] == found.field_id), {})
    if not metadata.takes_options(schema):
        raise HttpError(400, "The custom field doesn't support options.")
    return Response(200, page_bean(request, found.options, default_size=100, cap=100))


def _project(request: Request) -> Project:
    wanted = request.params["projectIdOrKey"]
    for project in request.site.projects:
        if wanted in (project.id, project.key) or wanted in project.former_keys:
            if project.key in request.site.unbrowsable:
                break  # listed (Administer Projects) but not browsable: Jira's 404
            return project
    raise HttpError(404, f"No project could be found with key '{wanted}'.")
