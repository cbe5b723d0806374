"""Project metadata and site configuration analysts join against: project categories
and types, roles, versions, components, issue link types and links, groups and their
members, custom field contexts and options, and the issues' sprint field.

Made after the issues and boards, from a random stream of its own, so adding it left
every earlier record as it was.  Consistent with the issues by construction: each
version, component, linked issue, sprint and option an issue carries is one of these.
"""

from __future__ import annotations

import base64
import random
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from .model import CUSTOM_FIELDS, DATA_END, SPRINT_FIELD, Issue, Project, User

if TYPE_CHECKING:
    from .boards import Board
    from .data import Site

# (id, name, description)
PROJECT_CATEGORIES = [("10000", "Product", "Customer-facing products"),
                      ("10001", "Internal", "Tools and back office")]
# (key, formatted key, colour); every project is "software", the rest exist on every site.
PROJECT_TYPES = [("software", "Software", "#FFAB00"), ("business", "Business", "#3DB2E6"),
                 ("service_desk", "Service management", "#67AB49"),
                 ("product_discovery", "Product discovery", "#F18D13")]
ROLES = [("10002", "Administrators", "A project role that represents administrators in a project"),
         ("10000", "Developers", "A project role that represents developers in a project"),
         ("10001", "Viewers", "A project role that represents viewers in a project")]
# (id, name, inward, outward)
LINK_TYPES = [("10000", "Blocks", "is blocked by", "blocks"), ("10001", "Cloners", "is cloned by", "clones"),
              ("10002", "Duplicate", "is duplicated by", "duplicates"),
              ("10003", "Relates", "relates to", "relates to")]
COMPONENT_NAMES = ["Backend", "Frontend", "API", "Billing", "Infrastructure", "Docs"]
GROUP_NAMES = ["jira-administrators", "jira-software-users", "site-admins", "engineering", "operations-oncall",
               "Ünïcode group ✓"]
OPTION_TYPES = ("option", "option-with-child")  # schema types whose values are options (arrays: by `items`)

# Endpoints only an administrator may call, with Jira's refusal (Site.revoke_admin).
ADMIN_ONLY = {
    "/role": "You are not authorized to perform this action. Administrator privileges are required.",
    "/field/{fieldId}/context": "Only Jira administrators can access custom field contexts.",
    "/field/{fieldId}/context/{contextId}/option": "Only Jira administrators can access custom field options.",
    "/group/bulk": "Browse users and groups permission is required to view groups.",
    "/group/member": "Browse users and groups permission is required to view groups.",
}


@dataclass
class Version:
    id: str
    project: Project
    name: str
    released: bool
    archived: bool
    start: str | None  # YYYY-MM-DD
    release: str | None


@dataclass
class Component:
    id: str
    project: Project
    name: str
    lead: User | None


@dataclass
class Link:
    id: str
    type: tuple[str, str, str, str]
    outward: Issue  # the issue the link points to from `inward`'s side ("A blocks B": B)
    inward: Issue


@dataclass
class Group:
    id: str
    name: str
    members: list[User]


@dataclass
class FieldContext:
    id: str
    field_id: str
    field_name: str
    options: list[dict[str, Any]] = field(default_factory=list)  # CustomFieldContextOption bodies


@dataclass
class Metadata:
    versions: list[Version] = field(default_factory=list)
    components: list[Component] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)
    contexts: list[FieldContext] = field(default_factory=list)

    def versions_of(self, project: Project) -> list[Version]:
        return [v for v in self.versions if v.project is project]

    def components_of(self, project: Project) -> list[Component]:
        return [c for c in self.components if c.project is project]


def category_of(project: Project) -> tuple[str, str, str] | None:
    """Even project ids are products, every third odd one internal, the rest uncategorised."""
    number = int(project.id)
    if number % 2 == 0:
        return PROJECT_CATEGORIES[0]
    return PROJECT_CATEGORIES[1] if number % 3 == 0 else None


def make_metadata(site: Site, seed: int) -> Metadata:
    rng = random.Random(seed * 7919 + 17)
    meta = Metadata()
    next_id = iter(range(10000, 10**9))
    for project in site.projects:
        for number in range(rng.randrange(2, 7)):
            start = DATA_END - timedelta(days=60 * (6 - number))
            released = number < 3
            meta.versions.append(Version(str(next(next_id)), project, f"{project.key} {number + 1}.0", released,
                                         archived=number == 0 and released, start=start.strftime("%Y-%m-%d"),
                                         release=(start + timedelta(days=45)).strftime("%Y-%m-%d")))
        for name in rng.sample(COMPONENT_NAMES, rng.randrange(1, 5)):
            meta.components.append(Component(str(next(next_id)), project, name,
                                              rng.choice(site.users) if rng.random() < 0.6 else None))
    _decorate_issues(site, meta, rng, next_id)
    _value_histories(site, meta, random.Random(seed * 7919 + 23))  # its own draws: the data above stays
    if site.projects:  # renamed once: `projectKeys` lists the old key too, and the API still answers to it
        site.projects[0].former_keys = [site.projects[0].key + "OLD"]
    for name in GROUP_NAMES:
        members = rng.sample(site.users, min(len(site.users), rng.randrange(1, 70)))
        meta.groups.append(Group(str(uuid.UUID(int=rng.getrandbits(128), version=4)), name, members))
    meta.groups[1].members = list(site.users)  # jira-software-users: everyone, over several pages
    meta.contexts = _contexts(site)
    return meta


def _decorate_issues(site: Site, meta: Metadata, rng: random.Random, next_id: Any) -> None:
    sprints_by_project: dict[str, list[Any]] = {}
    for board in site.boards:
        if board.type == "scrum":
            sprints_by_project.setdefault(board.project.key, []).extend((board, s) for s in board.sprints)
    linked: set[frozenset[str]] = set()
    for index, issue in enumerate(site.issues):
        fields = issue.static_fields
        versions, components = meta.versions_of(issue.project), meta.components_of(issue.project)
        fixed = rng.sample(versions, rng.randrange(0, 2))
        fields["fixVersions"] = [version_json(site, v, embedded=True) for v in fixed]
        fields["versions"] = [version_json(site, v, embedded=True) for v in versions[:1] if rng.random() < 0.2]
        shown_components = rng.sample(components, rng.randrange(0, 3) if len(components) > 1 else 0)
        fields["components"] = [component_ref(site, c) for c in shown_components]
        shown = sprints_by_project.get(issue.project.key, [])
        in_sprints = rng.sample(shown, min(len(shown), rng.randrange(0, 3))) if shown and index % 3 else []
        fields[SPRINT_FIELD] = [sprint_value(board, sprint) for board, sprint in in_sprints] or None
        if index % 4 == 1 and len(site.issues) > 1:  # links go both ways: each side shows it
            other = site.issues[rng.randrange(len(site.issues))]
            pair = frozenset((issue.id, other.id))
            if len(pair) == 2 and pair not in linked:
                linked.add(pair)
                meta.links.append(Link(str(next(next_id)), rng.choice(LINK_TYPES), outward=other, inward=issue))
    for issue in site.issues:
        issue.static_fields["issuelinks"] = []
    for link in meta.links:
        link.inward.static_fields["issuelinks"].append(issue_link_json(site, link, seen_from=link.inward))
        link.outward.static_fields["issuelinks"].append(issue_link_json(site, link, seen_from=link.outward))


PLATFORMS = "customfield_10040"  # the multi-select custom field
# (field name in the changelog, field id, the project's values) for the per-value fields.
VALUE_FIELDS = (("Component", "components", "components_of"), ("Fix Version", "fixVersions", "versions_of"))


def _value_histories(site: Site, meta: Metadata, rng: random.Random) -> None:
    """How each issue got its components and fix versions, as Jira logs it: one item per
    value added or removed.  At one history every value the issue has now is added, with
    one more that a later history removes again; before that, the field was empty.  Its
    Platforms (a multi-select) are set whole at one history."""
    for issue in site.issues:
        if len(issue.histories) < 2:
            continue
        for name, field_id, values_of in VALUE_FIELDS:
            now = [(str(v["id"]), str(v["name"])) for v in issue.static_fields.get(field_id) or []]
            others = [(v.id, v.name) for v in getattr(meta, values_of)(issue.project) if (v.id, v.name) not in now]
            if not now and not others:
                continue
            added, removed = sorted(rng.sample(range(len(issue.histories)), 2))
            extra = rng.choice(others) if others else None
            for value_id, text in now + ([extra] if extra else []):
                issue.histories[added].value_items.append((name, "jira", field_id, None, None, value_id, text))
            if extra:
                issue.histories[removed].value_items.append((name, "jira", field_id, extra[0], extra[1], None, None))
        platforms = issue.static_fields.get(PLATFORMS) or []
        if platforms:  # a multi-select logs whole sets: ids in brackets, values comma-joined
            ids, texts = [o["id"] for o in platforms], [o["value"] for o in platforms]
            issue.histories[rng.randrange(len(issue.histories))].value_items.append(
                ("Platforms", "custom", PLATFORMS, f"[{ids[0]}]", texts[0], f"[{', '.join(ids)}]", ",".join(texts)))


def sprint_value(board: Board, sprint: Any) -> dict[str, Any]:
    """A sprint as the issues' sprint field holds it (Agile's shape, UTC with `Z`)."""
    value: dict[str, Any] = {"id": sprint.id, "name": sprint.name, "state": sprint.state, "boardId": board.id,
                             "goal": sprint.goal}
    for key, instant in (("startDate", sprint.start), ("endDate", sprint.end), ("completeDate", sprint.complete)):
        if instant is not None:
            value[key] = instant.strftime("%Y-%m-%dT%H:%M:%S.") + f"{instant.microsecond // 1000:03d}Z"
    return value


def _contexts(site: Site) -> list[FieldContext]:
    """One global context per custom field, holding every option an issue uses."""
    definitions = [(field_id, name, schema, [issue.static_fields.get(field_id) for issue in site.issues])
                   for field_id, name, schema in CUSTOM_FIELDS]
    definitions += site.extra_fields  # (id, name, schema, the values issues cycle through)
    contexts = []
    for number, (field_id, name, schema, values) in enumerate(definitions):
        context = FieldContext(str(10100 + number), field_id, name)
        if takes_options(schema):
            seen: dict[str, dict[str, Any]] = {}
            for option in _options_in(values):
                seen.setdefault(option["id"], option)
            context.options = sorted(seen.values(), key=lambda o: int(o["id"]))
        contexts.append(context)
    return contexts


def takes_options(schema: dict[str, Any]) -> bool:
    return schema.get("type") in OPTION_TYPES or (schema.get("type") == "array" and schema.get("items") == "option")


def _options_in(value: Any, parent: str | None = None) -> list[dict[str, Any]]:
    if isinstance(value, list):
        return [option for item in value for option in _options_in(item)]
    if not isinstance(value, dict) or "id" not in value:
        return []
    option = {"id": str(value["id"]), "value": value.get("value", ""), "disabled": False}
    if parent:
        option["optionId"] = parent
    return [option, *_options_in(value.get("child"), parent=option["id"])]


# ---- Cloud JSON (REST v3) -------------------------------------------------------------


def category_json(site: Site, category: tuple[str, str, str]) -> dict[str, Any]:
    category_id, name, description = category
    return {"self": f"{site.base_url}/rest/api/3/projectCategory/{category_id}", "id": category_id,
            "name": name, "description": description}


def project_type_json(project_type: tuple[str, str, str]) -> dict[str, Any]:
    key, formatted, colour = project_type
    icon = f"<svg xmlns='http://www.w3.org/2000/svg'><title>{formatted}</title></svg>"
    return {"key": key, "formattedKey": formatted, "descriptionI18nKey": f"jira.project.type.{key}.description",
            "icon": base64.b64encode(icon.encode()).decode(), "color": colour}


def role_json(site: Site, role: tuple[str, str, str]) -> dict[str, Any]:
    role_id, name, description = role
    actors = [{"id": int(role_id) + 10000, "displayName": "jira-administrators", "type": "atlassian-group-role-actor",
               "name": "jira-administrators", "actorGroup": {"name": "jira-administrators",
                                                             "displayName": "jira-administrators",
                                                             "groupId": site.metadata.groups[0].id}}]
    return {"self": f"{site.base_url}/rest/api/3/role/{role_id}", "name": name, "id": int(role_id),
            "description": description, "actors": actors}


def version_json(site: Site, version: Version, embedded: bool = False) -> dict[str, Any]:
    """As the version list serves it; `embedded`: as issues carry it in fixVersions."""
    body: dict[str, Any] = {"self": f"{site.base_url}/rest/api/3/version/{version.id}", "id": version.id,
                            "description": f"Release {version.name}", "name": version.name,
                            "archived": version.archived, "released": version.released}
    if version.release:
        body["releaseDate"] = version.release
    if not embedded:
        if version.start:
            body["startDate"] = version.start
        body["overdue"] = not version.released and bool(version.release) and version.release < site.now().strftime(
            "%Y-%m-%d")
        body["projectId"] = int(version.project.id)
    return body


def component_ref(site: Site, component: Component) -> dict[str, Any]:
    return {"self": f"{site.base_url}/rest/api/3/component/{component.id}", "id": component.id,
            "name": component.name, "description": f"The {component.name.lower()} of {component.project.name}"}


def component_json(site: Site, component: Component) -> dict[str, Any]:
    body = component_ref(site, component)
    if component.lead is not None:
        body["lead"] = site.render.user_json(component.lead)
    body.update(assigneeType="PROJECT_LEAD" if component.lead else "UNASSIGNED", isAssigneeTypeValid=True,
                realAssigneeType="PROJECT_LEAD" if component.lead else "UNASSIGNED",
                project=component.project.key, projectId=int(component.project.id),
                issueCount=sum(1 for issue in site.issues
                               if any(c["id"] == component.id for c in issue.static_fields.get("components") or [])))
    return body


def link_type_json(site: Site, link_type: tuple[str, str, str, str]) -> dict[str, Any]:
    type_id, name, inward, outward = link_type
    return {"id": type_id, "name": name, "inward": inward, "outward": outward,
            "self": f"{site.base_url}/rest/api/3/issueLinkType/{type_id}"}


def issue_link_json(site: Site, link: Link, seen_from: Issue) -> dict[str, Any]:
    """One link as an issue's `issuelinks` shows it: the other issue, on the side it sits."""
    other, side = (link.outward, "outwardIssue") if seen_from is link.inward else (link.inward, "inwardIssue")
    fields = other.static_fields
    return {"id": link.id, "self": f"{site.base_url}/rest/api/3/issueLink/{link.id}",
            "type": link_type_json(site, link.type),
            side: {"id": other.id, "key": other.key, "self": f"{site.base_url}/rest/api/3/issue/{other.id}",
                   "fields": {name: fields[name] for name in ("summary", "status", "priority", "issuetype")}}}


def group_json(group: Group) -> dict[str, Any]:
    return {"name": group.name, "groupId": group.id}


def context_json(context: FieldContext) -> dict[str, Any]:
    return {"id": context.id, "name": f"Default Configuration Scheme for {context.field_name}",
            "description": "Default configuration scheme generated by Jira", "isGlobalContext": True,
            "isAnyIssueType": True}
