"""The emulated site's records and catalogues: plain data, no behaviour.

Instants are aware UTC datetimes, rendered only at response time (render.py), the
way Jira does.  Shapes follow the captured payloads in
``jira_emulator/fixtures/jira-cloud-captured/``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

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
    former_keys: list[str] = field(default_factory=list)  # keys it had before a rename (`projectKeys`)
    status: str = "live"  # live, archived or deleted (in the trash)


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
    # Items after those, shaped like HISTORY_ITEMS: how the issue's multi-value fields got
    # their values (one item per component or version added or removed, whole sets for
    # multi-selects).
    value_items: list[tuple[str, str, str | None, str | None, str | None, str | None, str | None]] = field(
        default_factory=list)

    def kind_items(self) -> list[tuple[str, str, str | None, str | None, str | None, str | None, str | None]]:
        """The HISTORY_ITEMS this history changed (before its `value_items`)."""
        kinds = [self.kind] + ([(self.kind + 3) % len(HISTORY_ITEMS)] if self.kind % 2 == 0 else [])
        return [HISTORY_ITEMS[kind] for kind in kinds]


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
# (id, key, name, colour): Jira's four fixed categories, "No Category" included.
STATUS_CATEGORIES = [(1, "undefined", "No Category", "medium-gray"), (2, "new", "To Do", "blue-gray"),
                     (4, "indeterminate", "In Progress", "yellow"), (3, "done", "Done", "green")]
PRIORITIES = [("1", "Highest"), ("2", "High"), ("3", "Medium"), ("4", "Low"), ("5", "Lowest")]
DEFAULT_PRIORITY = "3"
PRIORITY_COLOURS = {"1": "#d04437", "2": "#f15C75", "3": "#f79232", "4": "#707070", "5": "#999999"}
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

SPRINT_FIELD = "customfield_10020"
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
    (SPRINT_FIELD, "Sprint", {"type": "array", "items": "json", "custom": "com.pyxis.greenhopper.jira:gh-sprint", "customId": 10020}),
    ("customfield_10030", "Team", {"type": "team", "custom": "com.atlassian.jira.plugin.system.customfieldtypes:atlassian-team", "customId": 10030}),
    ("customfield_10090", "Acceptance criteria", {"type": "string", "custom": "com.atlassian.jira.plugin.system.customfieldtypes:textarea", "customId": 10090}),
]
# Another site's ids for two of them (`Site(field_ids=...)`): nothing may hard-code an id.
OTHER_SITE_IDS = {"customfield_10016": "customfield_10011", "customfield_10011": "customfield_10016"}
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
    ("statuscategorychangedate", "Status Category Changed", {"type": "datetime", "system": "statuscategorychangedate"}),
    ("fixVersions", "Fix versions", {"type": "array", "items": "version", "system": "fixVersions"}),
    ("versions", "Affects versions", {"type": "array", "items": "version", "system": "versions"}),
    ("components", "Components", {"type": "array", "items": "component", "system": "components"}),
    ("issuelinks", "Linked Issues", {"type": "array", "items": "issuelinks", "system": "issuelinks"}),
    ("subtasks", "Sub-tasks", {"type": "array", "items": "issuelinks", "system": "subtasks"}),
    ("attachment", "Attachment", {"type": "array", "items": "attachment", "system": "attachment"}),
    ("environment", "Environment", {"type": "string", "system": "environment"}),
    ("security", "Security Level", {"type": "securitylevel", "system": "security"}),
    ("lastViewed", "Last Viewed", {"type": "datetime", "system": "lastViewed"}),
    ("workratio", "Work Ratio", {"type": "number", "system": "workratio"}),
    ("timespent", "Time Spent", {"type": "number", "system": "timespent"}),
    ("timeestimate", "Remaining Estimate", {"type": "number", "system": "timeestimate"}),
    ("timeoriginalestimate", "Original estimate", {"type": "number", "system": "timeoriginalestimate"}),
    ("aggregatetimespent", "Σ Time Spent", {"type": "number", "system": "aggregatetimespent"}),
    ("aggregatetimeestimate", "Σ Remaining Estimate", {"type": "number", "system": "aggregatetimeestimate"}),
    ("aggregatetimeoriginalestimate", "Σ Original Estimate", {"type": "number", "system": "aggregatetimeoriginalestimate"}),
    ("timetracking", "Time tracking", {"type": "timetracking", "system": "timetracking"}),
    ("progress", "Progress", {"type": "progress", "system": "progress"}),
    ("aggregateprogress", "Σ Progress", {"type": "progress", "system": "aggregateprogress"}),
    ("issuerestriction", "Restrict to", {"type": "issuerestriction", "system": "issuerestriction"}),
    ("development", "Development", {"type": "any", "system": "development"}),
    ("watches", "Watchers", {"type": "watches", "system": "watches"}),
    ("votes", "Votes", {"type": "votes", "system": "votes"}),
]
