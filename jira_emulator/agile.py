"""Jira Software (Agile 1.0) routes: boards, sprints, board projects and board issues.

Board and sprint paging is capped at 50.  Sprint lists carry `isLast` but no
`total`, and kanban and simple boards refuse sprint listing with a 400, as Jira does.
"""

from __future__ import annotations

from . import metadata
from .boards import Board, board_json, sprint_json
from .wire import HttpError, Request, Response, page_bean

NO_SPRINTS = "The board does not support sprints"


def boards(request: Request) -> Response:
    site = request.site
    found = site.boards if request.principal.authenticated else []
    types = set(request.arg_list("type"))
    if types:
        found = [b for b in found if b.type in types]
    project = request.arg("projectKeyOrId")
    if project:
        found = [b for b in found if project in (b.project.key, b.project.id)]
    return Response(200, page_bean(request, [board_json(site, b) for b in found], default_size=50, cap=50, links=False))


def board_sprints(request: Request) -> Response:
    board = _board(request)
    if board.type != "scrum":
        raise HttpError(400, NO_SPRINTS)
    order = {"closed": 0, "active": 1, "future": 2}
    shown = sorted(board.shared + board.sprints, key=lambda s: order[s.state])
    states = set(request.arg_list("state"))
    if states:
        shown = [s for s in shown if s.state in states]
    bean = page_bean(request, [sprint_json(request.site, s) for s in shown], default_size=50, cap=50, links=False)
    del bean["total"]  # Jira often leaves it out here: only isLast tells the end
    return Response(200, bean)


def board_issues(request: Request) -> Response:
    board = _board(request)
    site = request.site
    matched = [i for i in site.issues if i.project is board.project]
    start = max(request.int_arg("startAt", 0), 0)
    size = min(max(request.int_arg("maxResults", 50), 0), 50)
    wanted = request.arg_list("fields") or ["*navigable"]
    page = [site.render.issue_bean(issue, wanted) for issue in matched[start:start + size]]
    return Response(200, {"expand": "schema,names", "startAt": start, "maxResults": size, "total": len(matched),
                          "issues": page})


def board_projects(request: Request) -> Response:
    """The projects a board's filter shows: the emulator's boards show one project each."""
    board, site = _board(request), request.site
    project = board.project
    values = [{"self": f"{site.base_url}/rest/api/3/project/{project.key}", "id": project.id, "key": project.key,
               "name": project.name, "avatarUrls": site.render.project_avatar_urls(project), "simplified": False,
               "style": "classic"}]
    category = metadata.category_of(project)
    if category is not None:
        values[0]["projectCategory"] = metadata.category_json(site, category)
    return Response(200, page_bean(request, values, default_size=50, cap=50, links=False))


def _board(request: Request) -> Board:
    board_id = request.params["boardId"]
    for board in request.site.boards if request.principal.authenticated else []:
        if str(board.id) == board_id:
            return board
    raise HttpError(404, "Board does not exist or you do not have permission to see it.")
