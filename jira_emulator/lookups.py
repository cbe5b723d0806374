"""Site-wide lookups analysts join against: issue types, statuses, status categories
and priorities.  Every one an issue carries is in these lists (render.py builds the
issues' embedded copies from the same catalogues in model.py)."""

from __future__ import annotations

from .model import ISSUE_TYPES, PRIORITIES, STATUS_CATEGORIES, STATUSES
from .wire import Request, Response, page_bean


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
