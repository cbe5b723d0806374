"""The emulated Jira site: its data, Jira's clock, and the edits tests make between runs.

Generating the data is generate.py's job, rendering it as JSON render.py's; the
records themselves are plain dataclasses in model.py.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from .boards import Board, make_boards
from .generate import Generator, hex_id, uuid_from
from .metadata import ADMIN_ONLY, LINK_TYPES, PROJECT_CATEGORIES, PROJECT_TYPES, ROLES, make_metadata
from .model import (
    CUSTOM_FIELDS,
    DATA_END,
    ISSUE_TYPES,
    PRIORITIES,
    RESOLUTIONS,
    SPRINT_FIELD,
    STATUS_CATEGORIES,
    STATUSES,
    UTC,
    Account,
    Comment,
    Issue,
    User,
    adf,
    to_millis,
)
from .render import CloudRendering


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
        field_ids: dict[str, str] | None = None,
    ) -> None:
        """`custom_fields`: that many more custom fields on every issue, of the common
        types in turn (text, number, select, multi-select, date-time, user, rich text,
        labels), as a site with years of configuration has.  Like the captured issue
        (28 of its 36 custom fields null), each is set on one issue in four.

        `field_ids`: the same custom fields under other ids (old id -> new id), as on
        another site, where Jira numbered them in another order: `OTHER_SITE_IDS`
        puts Story point estimate and Epic Name under each other's id.

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
        # Projects the account may list (Administer Projects) but not browse: their
        # versions and components answer 404.
        self.unbrowsable: set[str] = set()
        self.issue_linking = True  # off: /issueLinkType answers 404, as when an admin disables linking
        self.site_zone = ZoneInfo(site_zone)
        self.rng = random.Random(seed)
        self.render = CloudRendering(self)
        make = self.generator = Generator(self.rng, self.render, busy_every)
        self.cloud_id = str(uuid_from(self.rng))
        self.users = make.users = make.make_users(users)
        secret = hashlib.sha1(str(seed).encode()).hexdigest()
        self.account = Account(
            email="ada@example.com",
            api_token="emulator-api-token-" + secret[:16],
            password="emulator-password-" + secret[16:28],
            personal_access_token="emulator-pat-" + secret[28:40] + secret[:12],
            user=User(
                account_id=hex_id(self.rng),
                display_name="Ada Lovelace (sync bot)",
                email="ada@example.com",
                time_zone=profile_zone,
            ),
        )
        self.users.insert(0, self.account.user)
        self.projects = make.projects = make.make_projects(projects)
        self.issues: list[Issue] = make.issues
        for index in range(issues):
            self.issues.append(make.make_issue(index))
        self.issues_by_id = {issue.id: issue for issue in self.issues}
        # Hard deletes, as Jira does them: (worklog id, when) for `/worklog/deleted`, and
        # the keys an issue had before a move (GET issue by an old key still finds it).
        self.deleted_worklogs: list[tuple[int, datetime]] = []
        self.former_keys: dict[str, str] = {}
        # Projects the account lost Browse on: their issues are hidden everywhere (search
        # skips them, GET issue answers 404 as for a deleted one), and they leave the
        # browsable-project list (`/project/search?action=browse`, Data Center's `/project`).
        self.browse_revoked: set[str] = set()
        self.boards: list[Board] = make_boards(self.rng, self.projects, boards, DATA_END)
        self.extra_fields = [make.extra_field(number) for number in range(custom_fields)]
        self.metadata = make_metadata(self, seed)
        # (id, name, schema) of this site's custom fields: `field_ids` moves them after
        # generation, so both sites hold the same data under different ids.
        self.field_ids = dict(field_ids or {})
        self.custom_fields = [(self.field_id(i), name, {**schema, "customId": int(self.field_id(i).split("_")[1])})
                              for i, name, schema in CUSTOM_FIELDS]
        for issue in self.issues:
            issue.static_fields = {self.field_id(key): value for key, value in issue.static_fields.items()}
        for context in self.metadata.contexts:
            context.field_id = self.field_id(context.field_id)

    def field_id(self, generated_id: str) -> str:
        """The id this site gives the field generated as `generated_id`."""
        return self.field_ids.get(generated_id, generated_id)

    def set_project_status(self, key: str, status: str) -> None:
        """Archive a project ("archived"), move it to the trash ("deleted") or restore it ("live")."""
        next(p for p in self.projects if p.key == key).status = status

    def revoke_admin(self) -> None:
        """The account loses Administer Jira (and Browse users and groups): the admin-only
        endpoints refuse it with 403, as Jira does a non-admin."""
        for template, message in ADMIN_ONLY.items():
            for api in ("/rest/api/3", "/rest/api/2"):
                self.forbidden[api + template] = message

    def record_counts(self) -> dict[str, int]:
        """How many records a complete sync of each default-selected stream must deliver
        (with an API token; an OAuth 2.0 grant reaches more `cloud_instances`)."""
        counts = {
            "issues": len(self.issues), "projects": sum(1 for p in self.projects if p.status == "live"),
            "users": len(self.users), "resolutions": len(RESOLUTIONS),
            "issue_types": len(ISSUE_TYPES), "statuses": len(STATUSES),
            "status_categories": len(STATUS_CATEGORIES), "priorities": len(PRIORITIES),
            "fields": len(self.render.field_definitions()),
            "comments": sum(len(i.comments) for i in self.issues),
            "worklogs": sum(len(i.worklogs) for i in self.issues),
            "changelogs": sum(len(i.histories) for i in self.issues),
            "issue_field_history": sum(len(self.render.history_json(h)["items"]) for i in self.issues
                                       for h in i.histories),
            "issue_multiselect_history": len(self.multiselect_truth()),
            "boards": len(self.boards),
            # Per board that lists it: a sprint shown on two boards comes twice.
            "sprints": sum(len(b.sprints) + len(b.shared) for b in self.boards),
            **self.metadata_counts(),
        }
        if self.flavour == "datacenter":  # no endpoint there: the tap skips them
            for stream in ("cloud_instances", "custom_field_contexts", "custom_field_options"):
                del counts[stream]
        return counts

    def multiselect_truth(self) -> list[tuple[str, str, str, int, str | None]]:
        """(issue id, history id, field id, position, value): after each change of a
        multi-value field, each value it then held (None: emptied), from the model."""
        rows: list[tuple[str, str, str, int, str | None]] = []
        for issue in self.issues:
            held: dict[str, dict[str, None]] = {}  # per-value fields, replayed forwards from empty
            for history in issue.histories:
                changed: dict[str, list[str | None]] = {}
                for name, field_type, field_id, from_id, _, to_id, to_text in [*history.kind_items(),
                                                                                *history.value_items]:
                    if field_id == "labels":
                        changed[field_id] = list((to_text or "").split())
                    elif field_type == "custom" and name in ("Sprint", "Platforms"):  # whole sets of ids
                        changed[self.field_id(str(field_id))] = [
                            part.strip() for part in (to_id or "").strip("[]").split(",") if part.strip()]
                    elif field_id in ("components", "fixVersions"):  # one value added or removed
                        values = held.setdefault(field_id, {})
                        values.pop(from_id or "", None)
                        if to_id:
                            values[to_id] = None
                        changed[field_id] = list(values)
                for field_id, values in changed.items():
                    rows += [(issue.id, history.id, field_id, index, value)
                             for index, value in enumerate(values or [None])]
        return rows

    def metadata_counts(self) -> dict[str, int]:
        meta = self.metadata
        return {"project_categories": len(PROJECT_CATEGORIES), "project_types": len(PROJECT_TYPES),
                "project_roles": len(ROLES), "project_versions": len(meta.versions),
                "project_components": len(meta.components), "issue_link_types": len(LINK_TYPES),
                "issue_links": len(meta.links), "groups": len(meta.groups),
                "group_members": sum(len(g.members) for g in meta.groups),
                "server_info": 1, "cloud_instances": 1,
                "custom_field_contexts": len(meta.contexts),
                "custom_field_options": sum(len(c.options) for c in meta.contexts),
                "board_projects": len(self.boards),
                "sprint_issues": sum(len(i.static_fields.get(self.field_id(SPRINT_FIELD)) or [])
                                     for i in self.issues)}

    def board_issue_count(self) -> int:
        """Rows of `board_issues` (not selected by default): each board shows its project's issues."""
        return sum(1 for board in self.boards for issue in self.issues if issue.project is board.project)

    # ---- mutations tests use ---------------------------------------------------------

    def rename_field(self, field_id: str, name: str) -> None:
        """An admin renames a custom field: `/field` and its context show the new name."""
        self.custom_fields = [(i, name if i == field_id else old, schema) for i, old, schema in self.custom_fields]
        self.extra_fields = [(i, name if i == field_id else old, schema, values)
                             for i, old, schema, values in self.extra_fields]
        for context in self.metadata.contexts:
            if context.field_id == field_id:
                context.field_name = name

    def after_search_page(self, page: int) -> None:
        if self.on_search_page is not None:
            self.on_search_page(page)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.clock_offset

    def searchable(self, issues: list[Issue]) -> list[Issue]:
        """The issues search can see now: not those edited within `index_lag`, nor, when
        `future_unborn` is set, those edited after now()."""
        if any(project.status != "live" for project in self.projects):  # archived and trashed: unsearchable
            issues = [issue for issue in issues if issue.project.status == "live"]
        if self.browse_revoked:
            issues = [issue for issue in issues if issue.project.key not in self.browse_revoked]
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
        if found is None and id_or_key in self.former_keys:
            found = self.issues_by_id.get(self.former_keys[id_or_key])
        found = found or next((i for i in self.issues if i.key == id_or_key), None)
        return None if found is not None and found.project.key in self.browse_revoked else found

    # Deletes and moves between runs.  Jira deletes hard: a deleted issue vanishes from
    # search and answers 404, its comments and worklogs with it; deleting a comment or a
    # worklog moves the issue's `updated` (the issue changed), and a deleted worklog is
    # listed on `/worklog/deleted`.  A moved issue keeps its id under a new key.

    def delete_issue(self, id_or_key: str) -> Issue:
        issue = self.find_issue(id_or_key)
        assert issue is not None, id_or_key
        self.issues.remove(issue)
        del self.issues_by_id[issue.id]
        when = to_millis(self.now())
        self.deleted_worklogs.extend((int(w.id), when) for w in issue.worklogs)
        for link in [link for link in self.metadata.links if issue in (link.inward, link.outward)]:
            self._unlink(link)  # its links die with it; the other issue is not edited
        return issue

    def remove_link(self, link_id: str) -> None:
        """A user removes a link: both issues change."""
        link = next(link for link in self.metadata.links if link.id == link_id)
        self._unlink(link)
        for issue in (link.inward, link.outward):
            issue.updated = max(issue.updated, to_millis(self.now()))

    def _unlink(self, link: Any) -> None:
        self.metadata.links.remove(link)
        for issue in (link.inward, link.outward):
            issue.static_fields["issuelinks"] = [shown for shown in issue.static_fields.get("issuelinks") or []
                                                 if shown.get("id") != link.id]

    def delete_comment(self, issue_id: str, comment_id: str) -> None:
        issue = self.issues_by_id[issue_id]
        issue.comments = [c for c in issue.comments if c.id != comment_id]
        issue.updated = max(issue.updated, to_millis(self.now()))

    def delete_worklog(self, issue_id: str, worklog_id: str) -> None:
        issue = self.issues_by_id[issue_id]
        issue.worklogs = [w for w in issue.worklogs if w.id != worklog_id]
        when = to_millis(self.now())
        self.deleted_worklogs.append((int(worklog_id), when))
        issue.updated = max(issue.updated, when)

    def move_issue(self, id_or_key: str, project_key: str) -> Issue:
        issue = self.find_issue(id_or_key)
        assert issue is not None, id_or_key
        project = next(p for p in self.projects if p.key == project_key)
        self.former_keys[issue.key] = issue.id
        number = 1 + max((int(i.key.rsplit("-", 1)[1]) for i in self.issues if i.project is project), default=0)
        issue.key, issue.project = f"{project.key}-{number}", project
        issue.static_fields["project"] = self.render.project_ref(project)
        issue.updated = max(issue.updated, to_millis(self.now()))
        return issue

    def delete_version(self, version_id: str) -> None:
        """Jira asks where the version's issues go; here they simply lose it."""
        self.metadata.versions = [v for v in self.metadata.versions if v.id != version_id]
        for issue in self.issues:
            for key in ("fixVersions", "versions"):
                values = issue.static_fields.get(key)
                if isinstance(values, list):
                    issue.static_fields[key] = [v for v in values if v.get("id") != version_id]

    def delete_board(self, board_id: int) -> None:
        self.boards = [b for b in self.boards if b.id != board_id]

    def delete_sprint(self, sprint_id: int) -> None:
        for board in self.boards:
            board.sprints = [s for s in board.sprints if s.id != sprint_id]
            board.shared = [s for s in board.shared if s.id != sprint_id]

    def add_comment(self, issue_id: str, when: datetime) -> Comment:
        """A new comment; like Jira, commenting also moves the issue's `updated`."""
        issue = self.issues_by_id[issue_id]
        when = to_millis(when.astimezone(UTC))
        comment = Comment(self.generator.next_comment_id(), self.account.user, adf("Added later"), when, when)
        issue.comments.append(comment)
        issue.updated = max(issue.updated, when)
        return comment

    def add_issue(self, project_key: str, created: datetime) -> Issue:
        project = next(p for p in self.projects if p.key == project_key)
        index = len(self.issues)
        issue = Issue(
            id=str(max(map(int, self.issues_by_id), default=9999) + 1),  # ids are never reused
            key=f"{project.key}-{sum(1 for i in self.issues if i.project is project) + 1}",
            project=project,
            created=to_millis(created.astimezone(UTC)),
            updated=to_millis(created.astimezone(UTC)),
            static_fields=self.generator.static_fields(index, project, "todo", created),
        )
        self.issues.append(issue)
        self.issues_by_id[issue.id] = issue
        return issue
