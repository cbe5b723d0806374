"""The emulated Jira Cloud site: a deterministic data model built from a seed.

Everything the routes serve comes from a `Site`.  Instants are kept as aware UTC
datetimes and only rendered at response time, the way Jira does: in the site's
default user time zone with a colon-less offset (``2022-12-08T02:22:18.889-0800``).
Shapes follow the captured payloads in ``tests/fixtures/jira-cloud-captured/``.
"""

from __future__ import annotations

import hashlib
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from .boards import Board, make_boards

UTC = timezone.utc

# The newest instant the generator produces; fixed so data never depends on "now".
DATA_END = datetime(2026, 10, 31, 12, 0, tzinfo=UTC)
DATA_SPAN = timedelta(days=700)  # crosses several DST changes in both zones


def render_timestamp(instant: datetime, zone: ZoneInfo) -> str:
    """Jira's wire format: milliseconds and an offset without a colon."""
    local = instant.astimezone(zone)
    return local.strftime("%Y-%m-%dT%H:%M:%S.") + f"{local.microsecond // 1000:03d}" + local.strftime("%z")


def to_millis(instant: datetime) -> datetime:
    """Jira keeps instants at millisecond precision."""
    return instant.replace(microsecond=instant.microsecond // 1000 * 1000)


def adf(*paragraphs: str) -> dict[str, Any]:
    """An Atlassian Document Format document with one paragraph per string."""
    return {
        "type": "doc",
        "version": 1,
        "content": [
            {"type": "paragraph", "content": [{"type": "text", "text": text}]} for text in paragraphs
        ],
    }


@dataclass
class User:
    account_id: str
    display_name: str
    email: str | None
    account_type: str = "atlassian"
    active: bool = True
    time_zone: str | None = "America/Los_Angeles"
    locale: str = "en_US"


@dataclass
class Account:
    """Credentials accepted by the site, and the profile behind them."""

    email: str
    api_token: str
    user: User
    # Server/Data Center credentials of the same person.
    username: str = "ada"
    password: str = ""
    personal_access_token: str = ""


@dataclass
class Project:
    id: str
    key: str
    name: str
    lead: User


@dataclass
class Comment:
    id: str
    author: User
    body: dict[str, Any]
    created: datetime
    updated: datetime


@dataclass
class Worklog:
    id: str
    author: User
    comment: dict[str, Any]
    started: datetime
    created: datetime
    updated: datetime
    seconds: int


# What one changelog entry changed: (field, fieldtype, fieldId or None, from, fromString, to, toString).
HISTORY_ITEMS = [
    ("status", "jira", "status", "10000", "To Do", "3", "In Progress"),
    ("status", "jira", "status", "3", "In Progress", "10001", "Done"),
    ("assignee", "jira", "assignee", None, None, "5b10a2844c20165700ede21g", "Mia Krystof"),
    ("labels", "jira", "labels", None, "", None, "backend urgent"),
    ("summary", "jira", "summary", None, "Old summary", None, "Fix login redirect loop"),
    ("Sprint", "custom", "customfield_10020", "", "", "3, 5", "Sprint 3, Sprint 5"),
    ("IssueParentAssociation", "jira", None, None, None, "10042", "ENG-7"),
    ("Story point estimate", "custom", "customfield_10016", None, "3", None, "5"),
]


@dataclass(slots=True)
class History:
    id: str
    author: User
    created: datetime
    kind: int  # index into HISTORY_ITEMS; a second item is added for even kinds


@dataclass
class Issue:
    id: str
    key: str
    project: Project
    created: datetime
    updated: datetime
    # Fields whose values need no rendering (everything but instants and children).
    static_fields: dict[str, Any]
    resolved: datetime | None = None
    comments: list[Comment] = field(default_factory=list)
    worklogs: list[Worklog] = field(default_factory=list)
    histories: list[History] = field(default_factory=list)  # oldest first
    # Field values sent as they are, over the generated ones: what a broken import or
    # another Jira sends (an unparseable `updated`, a document nested too deep).
    raw_fields: dict[str, Any] = field(default_factory=dict)


STATUSES = {
    "todo": ("10000", "To Do", 2, "new", "blue-gray"),
    "progress": ("3", "In Progress", 4, "indeterminate", "yellow"),
    "done": ("10001", "Done", 3, "done", "green"),
}
PRIORITIES = [("1", "Highest"), ("2", "High"), ("3", "Medium"), ("4", "Low"), ("5", "Lowest")]
ISSUE_TYPES = [
    ("10000", "Epic", 1, "A big user story that needs to be broken down."),
    ("10001", "Story", 0, "A user story."),
    ("10002", "Task", 0, "A small, distinct piece of work."),
    ("10004", "Bug", 0, "A problem or error."),
]
RESOLUTIONS = [
    ("10000", "Done", "Work has been completed on this issue.", True),
    ("10001", "Won't Do", "This issue won't be actioned.", False),
    ("10002", "Duplicate", "The problem is a duplicate of an existing issue.", False),
    ("10003", "Cannot Reproduce", "All attempts at reproducing this issue failed.", False),
    ("10004", "Declined", "This issue was not approved.", False),
]
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

# (id, name, schema) of the custom fields every generated issue carries.
CUSTOM_FIELDS = [
    ("customfield_10003", "Approvers", {"type": "array", "items": "user", "custom": "com.atlassian.jira.plugin.system.customfieldtypes:multiuserpicker", "customId": 10003}),
    ("customfield_10009", "Target start", {"type": "datetime", "custom": "com.atlassian.jira.plugin.system.customfieldtypes:datetime", "customId": 10009}),
    ("customfield_10011", "Epic Name", {"type": "string", "custom": "com.pyxis.greenhopper.jira:gh-epic-label", "customId": 10011}),
    ("customfield_10012", "Severity", {"type": "option", "custom": "com.atlassian.jira.plugin.system.customfieldtypes:select", "customId": 10012}),
    ("customfield_10016", "Story point estimate", {"type": "number", "custom": "com.pyxis.greenhopper.jira:jsw-story-points", "customId": 10016}),
    ("customfield_10018", "Parent Link", {"type": "any", "custom": "com.atlassian.jpo:jpo-custom-field-parent", "customId": 10018}),
    ("customfield_10019", "Rank", {"type": "any", "custom": "com.pyxis.greenhopper.jira:gh-lexo-rank", "customId": 10019}),
    ("customfield_10040", "Platforms", {"type": "array", "items": "option", "custom": "com.atlassian.jira.plugin.system.customfieldtypes:multiselect", "customId": 10040}),
    ("customfield_10050", "Due window", {"type": "date", "custom": "com.atlassian.jira.plugin.system.customfieldtypes:datepicker", "customId": 10050}),
    ("customfield_10060", "Teams", {"type": "array", "items": "string", "custom": "com.atlassian.jira.plugin.system.customfieldtypes:labels", "customId": 10060}),
    ("customfield_10070", "Region", {"type": "option-with-child", "custom": "com.atlassian.jira.plugin.system.customfieldtypes:cascadingselect", "customId": 10070}),
    ("customfield_10080", "Design doc", {"type": "string", "custom": "com.atlassian.jira.plugin.system.customfieldtypes:url", "customId": 10080}),
    ("customfield_10090", "Acceptance criteria", {"type": "string", "custom": "com.atlassian.jira.plugin.system.customfieldtypes:textarea", "customId": 10090}),
]
SYSTEM_FIELDS = [
    ("summary", "Summary", {"type": "string", "system": "summary"}),
    ("description", "Description", {"type": "string", "system": "description"}),
    ("issuetype", "Issue Type", {"type": "issuetype", "system": "issuetype"}),
    ("project", "Project", {"type": "project", "system": "project"}),
    ("status", "Status", {"type": "status", "system": "status"}),
    ("priority", "Priority", {"type": "priority", "system": "priority"}),
    ("resolution", "Resolution", {"type": "resolution", "system": "resolution"}),
    ("resolutiondate", "Resolved", {"type": "datetime", "system": "resolutiondate"}),
    ("assignee", "Assignee", {"type": "user", "system": "assignee"}),
    ("reporter", "Reporter", {"type": "user", "system": "reporter"}),
    ("creator", "Creator", {"type": "user", "system": "creator"}),
    ("created", "Created", {"type": "datetime", "system": "created"}),
    ("updated", "Updated", {"type": "datetime", "system": "updated"}),
    ("labels", "Labels", {"type": "array", "items": "string", "system": "labels"}),
    ("duedate", "Due date", {"type": "date", "system": "duedate"}),
    ("comment", "Comment", {"type": "comments-page", "system": "comment"}),
    ("worklog", "Log Work", {"type": "array", "items": "worklog", "system": "worklog"}),
]


class Site:
    """One Jira Cloud site: its users, projects, issues and the credentials it accepts."""

    def __init__(
        self,
        base_url: str,
        *,
        seed: int = 42,
        issues: int = 200,
        projects: int = 5,
        users: int = 230,
        site_zone: str = "America/Los_Angeles",
        profile_zone: str = "Australia/Sydney",
        busy_every: int = 10,
        boards: int = 12,
        flavour: str = "cloud",
        custom_fields: int = 0,
    ) -> None:
        """`custom_fields`: that many more custom fields on every issue, of the common
        types in turn (text, number, select, multi-select, date-time, user, rich text,
        labels), as a site with years of configuration has.  Like the captured issue
        (28 of its 36 custom fields null), each is set on one issue in four.

        `busy_every`: one issue in that many has more children than Jira sends inline
        (always more histories; every 4th of those more comments, every 50th more
        worklogs; the first one 150 histories, 60 comments and 35 worklogs)."""
        self.base_url = base_url.rstrip("/")
        self.flavour = flavour  # "cloud" or "datacenter"
        # Jira's clock (`now()`): real time moved by `clock_offset`, so tests can let time pass.
        self.clock_offset = timedelta(0)
        # Search is eventually consistent: an issue updated less than `index_lag` before
        # now() is not found by JQL search yet (Jira's "search index lag").
        self.index_lag = timedelta(0)
        # Tests that move the clock back into the generated history set this: edits after
        # the moved now() have not happened yet, so search cannot see them (by default an
        # issue dated after now is one imported with a future date, and search finds it).
        self.future_unborn = False
        self.ambiguous_fold = 0  # which instant a JQL wall time in a repeated hour means (see jql.py)
        # Called with the page number after each search page is served: tests edit
        # issues here, as users do while a sync pages.  Page tokens are offsets, so
        # an edited issue leaving the result set shifts later ones (the worst case).
        self.on_search_page: Callable[[int], None] | None = None
        # `/users/search` leaves every n-th user out of the page it serves (after paging,
        # as Jira's visibility filters do), so pages come short before the last one.
        self.hidden_user_every = 0
        # Endpoints (path templates) the account lacks a permission for, with Jira's message.
        self.forbidden: dict[str, str] = {}
        self.site_zone = ZoneInfo(site_zone)
        self.rng = random.Random(seed)
        self.cloud_id = str(_uuid(self.rng))
        self.users = self._make_users(users)
        secret = hashlib.sha1(str(seed).encode()).hexdigest()
        self.account = Account(
            email="ada@example.com",
            api_token="emulator-api-token-" + secret[:16],
            password="emulator-password-" + secret[16:28],
            personal_access_token="emulator-pat-" + secret[28:40] + secret[:12],
            user=User(
                account_id=_hex_id(self.rng),
                display_name="Ada Lovelace (sync bot)",
                email="ada@example.com",
                time_zone=profile_zone,
            ),
        )
        self.users.insert(0, self.account.user)
        self.projects = self._make_projects(projects)
        self.issues: list[Issue] = []
        self._next_comment_id = 10000
        self._next_worklog_id = 10000
        self._next_history_id = 10000
        self.busy_every = busy_every
        for index in range(issues):
            self.issues.append(self._make_issue(index))
        self.issues_by_id = {issue.id: issue for issue in self.issues}
        self.boards: list[Board] = make_boards(self.rng, self.projects, boards, DATA_END)
        self.extra_fields = [self._extra_field(number) for number in range(custom_fields)]

    # ---- generation -------------------------------------------------------------

    def _make_users(self, count: int) -> list[User]:
        users = []
        for index in range(count):
            name = f"{self.rng.choice(FIRST)} {self.rng.choice(LAST)}"
            if index % 25 == 24:  # Automation-style app accounts: no e-mail, no zone
                users.append(User(f"557058:{_uuid(self.rng)}", f"Automation {index}", None, "app", True, None))
                continue
            email = None if index % 7 == 3 else f"user{index}@example.com"  # privacy-hidden e-mail
            users.append(User(_hex_id(self.rng), name, email, active=index % 11 != 5))
        return users

    def _make_projects(self, count: int) -> list[Project]:
        projects = []
        for index in range(count):
            key = PROJECT_KEYS[index] if index < len(PROJECT_KEYS) else f"PRJ{index}"
            name = PROJECT_NAMES[index] if index < len(PROJECT_NAMES) else f"Project {index}"
            projects.append(Project(str(10000 + index), key, name, self.rng.choice(self.users)))
        return projects

    def _random_instant(self) -> datetime:
        offset_ms = self.rng.randrange(int(DATA_SPAN.total_seconds() * 1000))
        return DATA_END - DATA_SPAN + timedelta(milliseconds=offset_ms)

    def _make_issue(self, index: int) -> Issue:
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
            static_fields=self._static_fields(index, project, status_key, created),
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

    def _static_fields(self, index: int, project: Project, status_key: str, created: datetime) -> dict[str, Any]:
        rng = self.rng
        type_id, type_name, level, type_description = ISSUE_TYPES[index % len(ISSUE_TYPES)]
        priority_id, priority_name = rng.choice(PRIORITIES)
        status_id, status_name, category_id, category_key, color = STATUSES[status_key]
        resolution = RESOLUTIONS[rng.randrange(len(RESOLUTIONS))] if status_key == "done" else None
        assignee = rng.choice(self.users) if rng.random() < 0.8 else None
        reporter = rng.choice(self.users)
        return {
            "issuetype": {
                "self": f"{self.base_url}/rest/api/3/issuetype/{type_id}",
                "id": type_id,
                "description": type_description,
                "iconUrl": f"{self.base_url}/images/icons/issuetypes/{type_name.lower()}.svg",
                "name": type_name,
                "subtask": False,
                "hierarchyLevel": level,
            },
            "project": self.project_ref(project),
            "status": {
                "self": f"{self.base_url}/rest/api/3/status/{status_id}",
                "description": "",
                "iconUrl": f"{self.base_url}/",
                "name": status_name,
                "id": status_id,
                "statusCategory": {
                    "self": f"{self.base_url}/rest/api/3/statuscategory/{category_id}",
                    "id": category_id,
                    "key": category_key,
                    "colorName": color,
                    "name": status_name,
                },
            },
            "priority": {
                "self": f"{self.base_url}/rest/api/3/priority/{priority_id}",
                "iconUrl": f"{self.base_url}/images/icons/priorities/{priority_name.lower()}.svg",
                "name": priority_name,
                "id": priority_id,
            },
            "resolution": None if resolution is None else self.resolution_json(resolution),
            "summary": f"{rng.choice(SUMMARIES)} #{index}",
            "description": adf(rng.choice(SUMMARIES), "Steps: 1) open 2) click ✓") if index % 4 else None,
            "labels": sorted(rng.sample(["backend", "frontend", "urgent", "tech-debt", "ux"], rng.randrange(3))),
            "assignee": None if assignee is None else self.user_json(assignee),
            "reporter": self.user_json(reporter),
            "creator": self.user_json(reporter),
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
            "customfield_10003": [self.user_json(u) for u in rng.sample(self.users, rng.randrange(3))],
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

    def _extra_field(self, number: int) -> tuple[str, str, dict[str, Any], list[Any]]:
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
             [self.user_json(self.users[(number + i) % len(self.users)]) for i in range(3)]),
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

    # ---- JSON renderings ----------------------------------------------------------

    def timestamp(self, instant: datetime) -> str:
        return render_timestamp(instant, self.site_zone)

    def avatar_urls(self, seed: str) -> dict[str, str]:
        digest = hashlib.md5(seed.encode()).hexdigest()
        url = f"https://secure.gravatar.com/avatar/{digest}?d=https%3A%2F%2Favatar-management--avatars.us-west-2.prod.public.atl-paas.net%2Finitials%2FXX-5.png"
        return {size: url for size in ("48x48", "24x24", "16x16", "32x32")}

    def user_json(self, user: User) -> dict[str, Any]:
        body: dict[str, Any] = {
            "self": f"{self.base_url}/rest/api/3/user?accountId={user.account_id}",
            "accountId": user.account_id,
            "accountType": user.account_type,
        }
        if user.email:
            body["emailAddress"] = user.email
        body["avatarUrls"] = self.avatar_urls(user.account_id)
        body["displayName"] = user.display_name
        body["active"] = user.active
        if user.time_zone:
            body["timeZone"] = user.time_zone
        if user.account_type == "atlassian":
            body["locale"] = user.locale
        return body

    def user_details_json(self, user: User) -> dict[str, Any]:
        """UserDetails, the shape children carry for authors: a user without `locale`."""
        body = self.user_json(user)
        body.pop("locale", None)
        return body

    def project_avatar_urls(self, project: Project) -> dict[str, str]:
        url = f"{self.base_url}/rest/api/3/universal_avatar/view/type/project/avatar/{10400 + int(project.id) % 50}"
        return {"48x48": url, "24x24": url + "?size=small", "16x16": url + "?size=xsmall", "32x32": url + "?size=medium"}

    def project_ref(self, project: Project) -> dict[str, Any]:
        return {
            "self": f"{self.base_url}/rest/api/3/project/{project.id}",
            "id": project.id,
            "key": project.key,
            "name": project.name,
            "projectTypeKey": "software",
            "simplified": False,
            "avatarUrls": self.project_avatar_urls(project),
        }

    def project_json(self, project: Project, expand: set[str]) -> dict[str, Any]:
        body = {
            "expand": "description,lead,issueTypes,url,projectKeys,permissions,insight",
            **self.project_ref(project),
            "style": "classic",
            "isPrivate": False,
            "properties": {},
            "uuid": str(_uuid(random.Random(project.key))),
        }
        if int(project.id) % 2 == 0:
            body["projectCategory"] = {"self": f"{self.base_url}/rest/api/3/projectCategory/10000", "id": "10000",
                                       "name": "Product", "description": "Customer-facing products"}
        if "description" in expand:
            body["description"] = f"All work of the {project.name} team."
        if "lead" in expand:
            body["lead"] = self.user_json(project.lead)
        if "url" in expand:
            body["url"] = f"https://{project.key.lower()}.example.com"
        if "insight" in expand:
            issues = [i for i in self.issues if i.project is project]
            body["insight"] = {"totalIssueCount": len(issues)}
            if issues:
                body["insight"]["lastIssueUpdateTime"] = self.timestamp(max(i.updated for i in issues))
        return body

    def resolution_json(self, resolution: tuple[str, str, str, bool]) -> dict[str, Any]:
        resolution_id, name, description, _default = resolution
        return {"self": f"{self.base_url}/rest/api/3/resolution/{resolution_id}", "id": resolution_id,
                "description": description, "name": name}

    def comment_json(self, issue: Issue, comment: Comment) -> dict[str, Any]:
        return {
            "self": f"{self.base_url}/rest/api/3/issue/{issue.id}/comment/{comment.id}",
            "id": comment.id,
            "author": self.user_details_json(comment.author),
            "body": comment.body,
            "updateAuthor": self.user_details_json(comment.author),
            "created": self.timestamp(comment.created),
            "updated": self.timestamp(comment.updated),
            "jsdPublic": True,
        }

    def worklog_json(self, issue: Issue, worklog: Worklog) -> dict[str, Any]:
        return {
            "self": f"{self.base_url}/rest/api/3/issue/{issue.id}/worklog/{worklog.id}",
            "author": self.user_details_json(worklog.author),
            "updateAuthor": self.user_details_json(worklog.author),
            "comment": worklog.comment,
            "created": self.timestamp(worklog.created),
            "updated": self.timestamp(worklog.updated),
            "started": self.timestamp(worklog.started),
            "timeSpent": f"{worklog.seconds // 3600}h {worklog.seconds % 3600 // 60}m",
            "timeSpentSeconds": worklog.seconds,
            "id": worklog.id,
            "issueId": issue.id,
        }

    def history_json(self, history: History) -> dict[str, Any]:
        kinds = [history.kind] + ([(history.kind + 3) % len(HISTORY_ITEMS)] if history.kind % 2 == 0 else [])
        items = []
        for kind in kinds:
            field_name, field_type, field_id, from_id, from_text, to_id, to_text = HISTORY_ITEMS[kind]
            item = {"field": field_name, "fieldtype": field_type}
            if field_id:  # Jira leaves fieldId out of some items
                item["fieldId"] = field_id
            item.update({"from": from_id, "fromString": from_text, "to": to_id, "toString": to_text})
            items.append(item)
        return {"id": history.id, "author": self.user_details_json(history.author),
                "created": self.timestamp(history.created), "items": items}

    def changelog_envelope(self, issue: Issue, cap: int) -> dict[str, Any]:
        """The `changelog` expand: the newest `cap` histories, newest first, and the true total."""
        newest = [self.history_json(h) for h in reversed(issue.histories[-cap:])] if cap else []
        return {"startAt": 0, "maxResults": len(newest), "total": len(issue.histories), "histories": newest}

    def issue_bean(self, issue: Issue, wanted: list[str], expand: set[str] = frozenset(),
                   comment_cap: int = 20, changelog_cap: int = 40) -> dict[str, Any]:
        """An IssueBean with the `wanted` fields.  The default caps are search's."""
        if set(wanted) <= {"id"} and "changelog" not in expand:
            return {"id": issue.id}
        body: dict[str, Any] = {
            "expand": "operations,versionedRepresentations,editmeta,changelog,renderedFields",
            "id": issue.id,
            "self": f"{self.base_url}/rest/api/3/issue/{issue.id}",
            "key": issue.key,
        }
        all_fields = self.issue_fields(issue, comment_cap)
        excluded = {name[1:] for name in wanted if name.startswith("-")}
        if "*all" in wanted or "*navigable" in wanted:
            chosen = {k: v for k, v in all_fields.items() if k not in excluded}
        else:
            chosen = {k: all_fields[k] for k in wanted if k in all_fields and k not in excluded}
        body["fields"] = chosen
        if "changelog" in expand:
            body["changelog"] = self.changelog_envelope(issue, changelog_cap)
        if "transitions" in expand:
            body["transitions"] = self.transitions_json(issue)
        return body

    def transitions_json(self, issue: Issue) -> list[dict[str, Any]]:
        """The `transitions` expand: one global transition to each other status."""
        current = issue.static_fields["status"]
        transitions = []
        for number, (status_id, name, category_id, category_key, color) in enumerate(STATUSES.values(), 1):
            if status_id == current["id"]:
                continue
            to = {**current, "self": f"{self.base_url}/rest/api/3/status/{status_id}", "name": name, "id": status_id,
                  "statusCategory": {"self": f"{self.base_url}/rest/api/3/statuscategory/{category_id}",
                                     "id": category_id, "key": category_key, "colorName": color, "name": name}}
            transitions.append({"id": str(number * 10 + 1), "name": name, "to": to, "hasScreen": False,
                                "isGlobal": True, "isInitial": False, "isAvailable": True, "isConditional": False,
                                "isLooped": False})
        return transitions

    def issue_fields(self, issue: Issue, comment_cap: int = 20) -> dict[str, Any]:
        """Every field of the issue, as search with ``fields=*all`` returns them.

        Inline children are capped like Jira's: the newest `comment_cap` comments
        (20 on search, 100 on GET issue and bulk fetch) and the oldest 20 worklogs,
        each envelope with the true `total`."""
        fields = dict(issue.static_fields)
        fields["watches"] = {**fields["watches"], "self": f"{self.base_url}/rest/api/3/issue/{issue.key}/watchers"}
        fields["votes"] = {**fields["votes"], "self": f"{self.base_url}/rest/api/3/issue/{issue.key}/votes"}
        fields["created"] = self.timestamp(issue.created)
        fields["updated"] = self.timestamp(issue.updated)
        fields["statuscategorychangedate"] = self.timestamp(issue.updated)
        fields["resolutiondate"] = None if issue.resolved is None else self.timestamp(issue.resolved)
        comments = [self.comment_json(issue, c) for c in issue.comments[-comment_cap:]]
        fields["comment"] = {
            "comments": comments,
            "self": f"{self.base_url}/rest/api/3/issue/{issue.id}/comment",
            "maxResults": len(comments),
            "total": len(issue.comments),
            "startAt": 0,
        }
        worklogs = [self.worklog_json(issue, w) for w in issue.worklogs[:20]]
        fields["worklog"] = {"startAt": 0, "maxResults": 20, "total": len(issue.worklogs), "worklogs": worklogs}
        index = int(issue.id)
        for number, (field_id, _, _, values) in enumerate(self.extra_fields):
            turn = index + number
            fields[field_id] = values[turn // 4 % len(values)] if turn % 4 == 0 else None
        fields.update(issue.raw_fields)
        return fields

    def field_definitions(self) -> list[dict[str, Any]]:
        definitions = []
        extra = [(field_id, name, schema) for field_id, name, schema, _ in self.extra_fields]
        for field_id, name, schema in SYSTEM_FIELDS + CUSTOM_FIELDS + extra:
            custom = field_id.startswith("customfield_")
            clause_names = [f"cf[{field_id.split('_')[1]}]", name] if custom else [field_id]
            entry = {
                "id": field_id,
                "key": field_id,
                "name": name,
                "custom": custom,
                "orderable": field_id not in ("created", "updated", "creator", "resolutiondate"),
                "navigable": True,
                "searchable": True,
                "clauseNames": clause_names,
                "schema": schema,
            }
            definitions.append(entry)
        return definitions

    def record_counts(self) -> dict[str, int]:
        """How many records a complete sync of each stream must deliver."""
        return {"issues": len(self.issues), "projects": len(self.projects), "users": len(self.users),
                "resolutions": len(RESOLUTIONS),
                "comments": sum(len(i.comments) for i in self.issues),
                "worklogs": sum(len(i.worklogs) for i in self.issues),
                "changelogs": sum(len(i.histories) for i in self.issues),
                "boards": len(self.boards),
                # Per board that lists it: a sprint shown on two boards comes twice.
                "sprints": sum(len(b.sprints) + len(b.shared) for b in self.boards)}

    # ---- mutations tests use ---------------------------------------------------------

    def after_search_page(self, page: int) -> None:
        if self.on_search_page is not None:
            self.on_search_page(page)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.clock_offset

    def searchable(self, issues: list[Issue]) -> list[Issue]:
        """The issues search can see now: not those edited within `index_lag`, nor, when
        `future_unborn` is set, those edited after now()."""
        if self.future_unborn:
            issues = [issue for issue in issues if issue.updated <= self.now()]
        if not self.index_lag:
            return issues
        horizon = self.now() - self.index_lag
        return [issue for issue in issues if issue.updated <= horizon]

    def touch(self, issue_id: str, when: datetime) -> None:
        """Record an edit of an issue at `when` (an aware datetime)."""
        self.issues_by_id[issue_id].updated = to_millis(when.astimezone(UTC))

    def datacenter_identity(self, account_id: str) -> tuple[str, str]:
        """A user's Data Center `key` and `name` (user names: the e-mail's local part)."""
        if not hasattr(self, "_dc_identities"):
            self._dc_identities: dict[str, tuple[str, str]] = {}
            taken: set[str] = set()
            for index, user in enumerate(self.users):
                name = (user.email or user.display_name).split("@")[0].lower().replace(" ", ".")
                if name in taken:
                    name = f"{name}{index}"
                taken.add(name)
                self._dc_identities[user.account_id] = (f"JIRAUSER{10000 + index}", name)
        return self._dc_identities.get(account_id, ("JIRAUSER0", "unknown"))

    def find_issue(self, id_or_key: str) -> Issue | None:
        found = self.issues_by_id.get(id_or_key)
        return found or next((i for i in self.issues if i.key == id_or_key), None)

    def add_comment(self, issue_id: str, when: datetime) -> Comment:
        """A new comment; like Jira, commenting also moves the issue's `updated`."""
        issue = self.issues_by_id[issue_id]
        when = to_millis(when.astimezone(UTC))
        self._next_comment_id += 1
        comment = Comment(str(self._next_comment_id), self.account.user, adf("Added later"), when, when)
        issue.comments.append(comment)
        issue.updated = max(issue.updated, when)
        return comment

    def add_issue(self, project_key: str, created: datetime) -> Issue:
        project = next(p for p in self.projects if p.key == project_key)
        index = len(self.issues)
        issue = Issue(
            id=str(10000 + index),
            key=f"{project.key}-{sum(1 for i in self.issues if i.project is project) + 1}",
            project=project,
            created=to_millis(created.astimezone(UTC)),
            updated=to_millis(created.astimezone(UTC)),
            static_fields=self._static_fields(index, project, "todo", created),
        )
        self.issues.append(issue)
        self.issues_by_id[issue.id] = issue
        return issue


def _hex_id(rng: random.Random) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(24))


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))
