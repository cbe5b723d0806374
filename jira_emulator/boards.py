"""Jira Software data: boards of every type and their sprints, rendered as Agile 1.0 JSON.

Sprint dates are UTC with a `Z`, unlike the platform API's offsets.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .data import Site
    from .model import Project

AGILE = "/rest/agile/1.0"
BOARD_TYPES = ["scrum", "kanban", "scrum", "simple"]


@dataclass
class Sprint:
    id: int
    name: str
    state: str  # closed, active or future
    origin_board_id: int
    start: datetime | None
    end: datetime | None
    complete: datetime | None
    goal: str


@dataclass
class Board:
    id: int
    name: str
    type: str
    project: Project
    sprints: list[Sprint] = field(default_factory=list)  # in Jira's order: closed, active, future
    shared: list[Sprint] = field(default_factory=list)  # other boards' sprints this board's filter shows
    listed_as: str | None = None  # a type the board list shows instead of `type` (tests of the 400 path)


def make_boards(rng: random.Random, projects: list[Project], count: int, data_end: datetime) -> list[Board]:
    """`count` boards over the projects; the second scrum board has 60 sprints (more than a page)."""
    boards: list[Board] = []
    next_sprint = 1
    for index in range(count):
        project = projects[index % len(projects)]
        kind = BOARD_TYPES[index % len(BOARD_TYPES)]
        board = Board(index + 1, f"{project.key} {kind} board {index + 1}", kind, project)
        if kind == "scrum":
            total = 60 if index == 2 else rng.randrange(0, 9)
            start = data_end - timedelta(days=14 * total)
            for number in range(total):
                state = "closed" if number < total - 2 else ("active" if number == total - 2 else "future")
                begins = start + timedelta(days=14 * number, minutes=rng.randrange(600))
                board.sprints.append(Sprint(
                    next_sprint, f"{project.key} Sprint {number + 1}", state, board.id,
                    None if state == "future" else begins,
                    None if state == "future" else begins + timedelta(days=14),
                    begins + timedelta(days=14, hours=2) if state == "closed" else None,
                    rng.choice(["", "Ship the billing page", "Pay down tech debt ✓"]),
                ))
                next_sprint += 1
        boards.append(board)
    scrum = [b for b in boards if b.type == "scrum" and b.sprints]
    if len(scrum) >= 2:  # a sprint shown on a second board whose filter overlaps
        scrum[1].shared.append(scrum[0].sprints[0])
    return boards


def _utc(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%dT%H:%M:%S.") + f"{instant.microsecond // 1000:03d}Z"


def board_json(site: Site, board: Board) -> dict[str, Any]:
    project = board.project
    return {
        "id": board.id,
        "self": f"{site.base_url}{AGILE}/board/{board.id}",
        "name": board.name,
        "type": board.listed_as or board.type,
        "location": {
            "projectId": int(project.id),
            "displayName": f"{project.name} ({project.key})",
            "projectName": project.name,
            "projectKey": project.key,
            "projectTypeKey": "software",
            "avatarURI": site.render.project_avatar_urls(project)["48x48"],
            "name": f"{project.name} ({project.key})",
        },
    }


def sprint_json(site: Site, sprint: Sprint) -> dict[str, Any]:
    body: dict[str, Any] = {"id": sprint.id, "self": f"{site.base_url}{AGILE}/sprint/{sprint.id}",
                            "state": sprint.state, "name": sprint.name}
    if sprint.start:
        body["startDate"] = _utc(sprint.start)
    if sprint.end:
        body["endDate"] = _utc(sprint.end)
    if sprint.complete:
        body["completeDate"] = _utc(sprint.complete)
    body["originBoardId"] = sprint.origin_board_id
    body["goal"] = sprint.goal
    return body
