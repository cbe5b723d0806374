"""Generating a site's data from a seed: users, projects, issues and their children.

Deterministic: the same seed gives the same site, byte for byte.
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from .model import (
    DATA_END,
    DATA_SPAN,
    HISTORY_ITEMS,
    ISSUE_TYPES,
    PRIORITIES,
    RESOLUTIONS,
    STATUSES,
    Comment,
    History,
    Issue,
    Project,
    User,
    Worklog,
    adf,
    render_timestamp,
    to_millis,
)

if TYPE_CHECKING:
    from .render import CloudRendering

SUMMARIES = [
    "Fix login redirect loop",
    "Überprüfung der Zugänge für Q3",
    "修复同步任务中的时区错误",
    "Ошибка синхронизации отчётов",
    "Rollout 🚀 of the new billing page",
    "naïve café façade — résumé parsing",
    'He said "ship it" \\ then left',
    "Add <script> escaping to comments",
    "Dashboard widget shows NaN%",
    "Migrate cron jobs to the scheduler",
]
PROJECT_NAMES = ["Engineering", "Operations", "Data Platform", "Web", "Mobile", "Security", "Finance"]
PROJECT_KEYS = ["ENG", "OPS", "DATA", "WEB", "MOB", "SEC", "FIN"]
FIRST = ["Ada", "Grace", "Linus", "Zoë", "Émile", "Søren", "Mia", "Kenji", "Priya", "Ngozi", "Luis", "Anaïs"]
LAST = ["Lovelace", "Hopper", "Ng", "Müller", "Brontë", "Okafor", "Tanaka", "Łukasz", "García", "Østergaard"]


class Generator:
    """Makes records with one random stream; `render` gives embedded objects (users,
    projects) the shapes Jira embeds them in."""

    def __init__(self, rng: random.Random, render: CloudRendering, busy_every: int) -> None:
        self.rng = rng
        self.render = render
        self.base_url = render.base_url
        self.site_zone = render.site_zone
        self.busy_every = busy_every
        self.users: list[User] = []
        self.projects: list[Project] = []
        self.issues: list[Issue] = []  # made so far: ties copy the previous issue's `updated`
        self._next_comment_id = 10000
        self._next_worklog_id = 10000
        self._next_history_id = 10000


    def make_users(self, count: int) -> list[User]:
        users = []
        for index in range(count):
            name = f"{self.rng.choice(FIRST)} {self.rng.choice(LAST)}"
            if index % 25 == 24:  # Automation-style app accounts: no e-mail, no zone
                users.append(User(f"557058:{uuid_from(self.rng)}", f"Automation {index}", None, "app", True, None))
                continue
            email = None if index % 7 == 3 else f"user{index}@example.com"  # privacy-hidden e-mail
            users.append(User(hex_id(self.rng), name, email, active=index % 11 != 5))
        return users

    def make_projects(self, count: int) -> list[Project]:
        projects = []
        for index in range(count):
            key = PROJECT_KEYS[index] if index < len(PROJECT_KEYS) else f"PRJ{index}"
            name = PROJECT_NAMES[index] if index < len(PROJECT_NAMES) else f"Project {index}"
            projects.append(Project(str(10000 + index), key, name, self.rng.choice(self.users)))
        return projects

    def _random_instant(self) -> datetime:
        offset_ms = self.rng.randrange(int(DATA_SPAN.total_seconds() * 1000))
        return DATA_END - DATA_SPAN + timedelta(milliseconds=offset_ms)

    def make_issue(self, index: int) -> Issue:
        rng = self.rng
        project = self.projects[index % len(self.projects)]
        number = index // len(self.projects) + 1
        created = self._random_instant()
        updated = to_millis(created + (DATA_END - created) * rng.random() ** 3)  # most edits come soon
        if index % 10 == 9 and self.issues:  # ties: same instant as an earlier issue
            updated = max(self.issues[-1].updated, created)
        status_key = rng.choice(list(STATUSES))
        resolved = updated if status_key == "done" else None
        issue = Issue(
            id=str(10000 + index),
            key=f"{project.key}-{number}",
            project=project,
            created=created,
            updated=updated,
            resolved=resolved,
            static_fields=self.static_fields(index, project, status_key, created),
        )
        comments, worklogs, histories = self._child_counts(index)
        for _ in range(comments):
            issue.comments.append(self._make_comment(created, updated))
        for _ in range(worklogs):
            issue.worklogs.append(self._make_worklog(created, updated))
        for _ in range(histories):
            issue.histories.append(self._make_history(created, updated))
        issue.comments.sort(key=lambda c: c.created)
        issue.worklogs.sort(key=lambda w: w.created)
        issue.histories.sort(key=lambda h: h.created)
        return issue

    def _child_counts(self, index: int) -> tuple[int, int, int]:
        """(comments, worklogs, histories): a few, a couple and about ten, unless busy."""
        rng = self.rng
        comments, worklogs, histories = rng.randrange(5), rng.randrange(4), rng.randrange(3, 11)
        if self.busy_every and index % self.busy_every == 3:
            busy = index // self.busy_every
            if busy == 0:
                return 60, 35, 150
            histories = rng.randrange(41, 71)
            if busy % 4 == 0:
                comments = rng.randrange(21, 61)
            if busy % 50 == 0:
                worklogs = rng.randrange(21, 36)
        return comments, worklogs, histories

    def _between(self, start: datetime, end: datetime) -> datetime:
        span_ms = max(int((end - start).total_seconds() * 1000), 1)
        return start + timedelta(milliseconds=self.rng.randrange(span_ms))

    def _make_comment(self, start: datetime, end: datetime) -> Comment:
        self._next_comment_id += 1
        created = self._between(start, end)
        return Comment(str(self._next_comment_id), self.rng.choice(self.users),
                       adf(self.rng.choice(SUMMARIES)), created, self._between(created, end))

    def _make_worklog(self, start: datetime, end: datetime) -> Worklog:
        self._next_worklog_id += 1
        created = self._between(start, end)
        return Worklog(str(self._next_worklog_id), self.rng.choice(self.users), adf("Worked on it"),
                       created, created, self._between(created, end), 60 * self.rng.randrange(15, 480))

    def _make_history(self, start: datetime, end: datetime) -> History:
        self._next_history_id += 1
        return History(str(self._next_history_id), self.rng.choice(self.users), to_millis(self._between(start, end)),
                       self.rng.randrange(len(HISTORY_ITEMS)))

    def static_fields(self, index: int, project: Project, status_key: str, created: datetime) -> dict[str, Any]:
        rng = self.rng
        type_name = ISSUE_TYPES[index % len(ISSUE_TYPES)][1]
        priority = rng.choice(PRIORITIES)
        resolution = RESOLUTIONS[rng.randrange(len(RESOLUTIONS))] if status_key == "done" else None
        assignee = rng.choice(self.users) if rng.random() < 0.8 else None
        reporter = rng.choice(self.users)
        return {
            "issuetype": self.render.issuetype_json(ISSUE_TYPES[index % len(ISSUE_TYPES)]),
            "project": self.render.project_ref(project),
            "status": self.render.status_json(STATUSES[status_key]),
            "priority": self.render.priority_json(priority),
            "resolution": None if resolution is None else self.render.resolution_json(resolution),
            "summary": f"{rng.choice(SUMMARIES)} #{index}",
            "description": adf(rng.choice(SUMMARIES), "Steps: 1) open 2) click ✓") if index % 4 else None,
            "labels": sorted(rng.sample(["backend", "frontend", "urgent", "tech-debt", "ux"], rng.randrange(3))),
            "assignee": None if assignee is None else self.render.user_json(assignee),
            "reporter": self.render.user_json(reporter),
            "creator": self.render.user_json(reporter),
            "duedate": (created + timedelta(days=30)).strftime("%Y-%m-%d") if index % 3 == 0 else None,
            "fixVersions": [],
            "versions": [],
            "components": [],
            "issuelinks": [],
            "subtasks": [],
            "attachment": [],
            "environment": None,
            "security": None,
            "lastViewed": None,
            "workratio": -1,
            "timespent": None,
            "timeestimate": None,
            "timeoriginalestimate": None,
            "aggregatetimespent": None,
            "aggregatetimeestimate": None,
            "aggregatetimeoriginalestimate": None,
            "timetracking": {},
            "progress": {"progress": 0, "total": 0},
            "aggregateprogress": {"progress": 0, "total": 0},
            "issuerestriction": {"issuerestrictions": {}, "shouldDisplay": False},
            "development": "",
            "watches": {"self": "", "watchCount": rng.randrange(4), "isWatching": False},
            "votes": {"self": "", "votes": rng.randrange(3), "hasVoted": False},
            "customfield_10003": [self.render.user_json(u) for u in rng.sample(self.users, rng.randrange(3))],
            "customfield_10009": render_timestamp(created + timedelta(days=7), self.site_zone),
            "customfield_10011": f"Epic {index}" if type_name == "Epic" else None,
            "customfield_10012": self._option(10100 + rng.randrange(3), ["Minor", "Major", "Critical"]),
            "customfield_10016": rng.choice([None, 0.5, 1.0, 2.0, 3.0, 5.0, 8.0, 13.0]),
            "customfield_10018": {
                "hasEpicLinkFieldDependency": False,
                "showField": False,
                "nonEditableReason": {
                    "reason": "PLUGIN_LICENSE_ERROR",
                    "message": "The Parent Link is only available to Jira Premium users.",
                },
            },
            "customfield_10019": f"0|i{index:05x}:",
            "customfield_10040": [self._option(10200 + i, ["iOS", "Android", "Web"]) for i in range(rng.randrange(3))],
            "customfield_10050": (created + timedelta(days=14)).strftime("%Y-%m-%d"),
            "customfield_10060": sorted(rng.sample(["alpha", "beta", "gamma", "δέλτα"], rng.randrange(3))),
            "customfield_10070": {**self._option(10300, ["EMEA"]), "child": self._option(10301, ["", "DACH"])},
            "customfield_10080": f"https://docs.example.com/design/{index}" if index % 5 == 0 else None,
            "customfield_10090": adf("Given a user", "When they log in", "Then it works") if index % 6 == 0 else None,
            "customfield_10030": None,
        }

    def extra_field(self, number: int) -> tuple[str, str, dict[str, Any], list[Any]]:
        """A generated custom field: id, name, schema, and the values issues cycle through."""
        field_id, custom_id = f"customfield_{20000 + number}", 20000 + number
        plugin = "com.atlassian.jira.plugin.system.customfieldtypes:"
        options = [self._option(custom_id * 10 + i, ["Low", "Medium", "High", "Blocker"]) for i in range(4)]
        kinds: list[tuple[dict[str, Any], list[Any]]] = [
            ({"type": "string", "custom": plugin + "textfield"}, [f"Value {i} of field {number}" for i in range(5)]),
            ({"type": "number", "custom": plugin + "float"}, [0.5, 3.0, 42.0, None]),
            ({"type": "option", "custom": plugin + "select"}, [*options, None]),
            ({"type": "array", "items": "option", "custom": plugin + "multiselect"}, [options[:2], options[1:], []]),
            ({"type": "datetime", "custom": plugin + "datetime"},
             [render_timestamp(DATA_END - timedelta(days=d, minutes=number), self.site_zone) for d in range(3)]),
            ({"type": "user", "custom": plugin + "userpicker"},
             [self.render.user_json(self.users[(number + i) % len(self.users)]) for i in range(3)]),
            ({"type": "string", "custom": plugin + "textarea"}, [adf("Notes", f"Field {number} says {i}") for i in range(2)]),
            ({"type": "array", "items": "string", "custom": plugin + "labels"}, [["alpha"], ["beta", "gamma"], []]),
        ]
        schema, values = kinds[number % len(kinds)]
        return field_id, f"Custom field {number}", {**schema, "customId": custom_id}, values

    def _option(self, option_id: int, values: list[str]) -> dict[str, Any]:
        return {
            "self": f"{self.base_url}/rest/api/3/customFieldOption/{option_id}",
            "value": values[option_id % len(values)],
            "id": str(option_id),
        }

    def next_comment_id(self) -> str:
        self._next_comment_id += 1
        return str(self._next_comment_id)


def hex_id(rng: random.Random) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(24))


def uuid_from(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))
