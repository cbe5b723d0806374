"""Jira Cloud's JSON for the site's records (REST v3 shapes), in the site's time zone.

Data Center's REST v2 shapes are made from these by datacenter.py, so both flavours
always describe the same data.
"""

from __future__ import annotations

import hashlib
import random
from datetime import datetime
from typing import TYPE_CHECKING, Any

from . import metadata
from .generate import uuid_from
from .model import (
    DEFAULT_PRIORITY,
    PRIORITY_COLOURS,
    STATUS_CATEGORIES,
    STATUSES,
    SYSTEM_FIELDS,
    Comment,
    History,
    Issue,
    Project,
    User,
    Worklog,
    render_timestamp,
)

if TYPE_CHECKING:
    from .data import Site


class CloudRendering:
    def __init__(self, site: Site) -> None:
        self.site = site
        self.base_url = site.base_url
        self.site_zone = site.site_zone


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
        return {"48x48": url, "24x24": url + "?size=small", "16x16": url + "?size=xsmall",
                "32x32": url + "?size=medium"}

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
            "uuid": str(uuid_from(random.Random(project.key))),
        }
        category = metadata.category_of(project)
        if category is not None:
            body["projectCategory"] = metadata.category_json(self.site, category)
        if "projectKeys" in expand:
            body["projectKeys"] = [project.key, *project.former_keys]
        if "description" in expand:
            body["description"] = f"All work of the {project.name} team."
        if "lead" in expand:
            body["lead"] = self.user_json(project.lead)
        if "url" in expand:
            body["url"] = f"https://{project.key.lower()}.example.com"
        if "insight" in expand:
            issues = [i for i in self.site.issues if i.project is project]
            body["insight"] = {"totalIssueCount": len(issues)}
            if issues:
                body["insight"]["lastIssueUpdateTime"] = self.timestamp(max(i.updated for i in issues))
        return body

    def issuetype_json(self, issue_type: tuple[str, str, int, str]) -> dict[str, Any]:
        type_id, name, level, description = issue_type
        return {
            "self": f"{self.base_url}/rest/api/3/issuetype/{type_id}",
            "id": type_id,
            "description": description,
            "iconUrl": f"{self.base_url}/images/icons/issuetypes/{name.lower()}.svg",
            "name": name,
            "subtask": False,
            "hierarchyLevel": level,
        }

    def status_category_json(self, category: tuple[int, str, str, str]) -> dict[str, Any]:
        category_id, key, name, colour = category
        return {"self": f"{self.base_url}/rest/api/3/statuscategory/{category_id}", "id": category_id, "key": key,
                "colorName": colour, "name": name}

    def status_json(self, status: tuple[str, str, int, str, str]) -> dict[str, Any]:
        status_id, name, category_id = status[:3]
        category = next(c for c in STATUS_CATEGORIES if c[0] == category_id)
        return {
            "self": f"{self.base_url}/rest/api/3/status/{status_id}",
            "description": "",
            "iconUrl": f"{self.base_url}/",
            "name": name,
            "id": status_id,
            "statusCategory": self.status_category_json(category),
        }

    def priority_json(self, priority: tuple[str, str], full: bool = False) -> dict[str, Any]:
        """As issues embed it; `full`: as the priority lists serve it."""
        priority_id, name = priority
        body: dict[str, Any] = {
            "self": f"{self.base_url}/rest/api/3/priority/{priority_id}",
            "iconUrl": f"{self.base_url}/images/icons/priorities/{name.lower()}.svg",
            "name": name,
            "id": priority_id,
        }
        if full:
            body.update(statusColor=PRIORITY_COLOURS[priority_id], description=f"{name} priority.",
                        isDefault=priority_id == DEFAULT_PRIORITY)
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
        items = []
        for field_name, field_type, field_id, from_id, from_text, to_id, to_text in [*history.kind_items(),
                                                                                    *history.value_items]:
            item = {"field": field_name, "fieldtype": field_type}
            if field_id:  # Jira leaves fieldId out of some items
                item["fieldId"] = self.site.field_id(field_id)
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
        for number, (field_id, _, _, values) in enumerate(self.site.extra_fields):
            turn = index + number
            fields[field_id] = values[turn // 4 % len(values)] if turn % 4 == 0 else None
        fields.update(issue.raw_fields)
        return fields

    def field_definitions(self) -> list[dict[str, Any]]:
        definitions = []
        extra = [(field_id, name, schema) for field_id, name, schema, _ in self.site.extra_fields]
        for field_id, name, schema in SYSTEM_FIELDS + self.site.custom_fields + extra:
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
