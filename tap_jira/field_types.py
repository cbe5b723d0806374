"""JSON Schema for the fields of an issue, from the site's own field list (`GET /field`).

Every site has its own custom fields, under ids that differ between sites, so the
issues schema is completed at discovery: each field gets a property typed from its
Jira `schema`, with its name as `title`.  A type is declared only where Jira keeps
to it; anything else is left open (`{}`), because a loader that validates records
would stop the run on one value of an unexpected type.

Objects are declared without `properties`: with SDK flattening an object then
becomes one JSON column, whatever depth is set, instead of columns for the keys
the schema happens to name and none for the rest.
"""

from __future__ import annotations

from typing import Any

OBJECT = {"type": ["object", "null"]}
ANY: dict[str, Any] = {}  # open: no type, any value validates
# Jira `schema.type`s whose values are JSON objects.
OBJECT_TYPES = {
    "option", "option-with-child", "user", "group", "project", "version", "component", "issuetype", "status",
    "priority", "resolution", "securitylevel", "watches", "votes", "progress", "timetracking", "comments-page",
    "issuerestriction", "team", "sd-servicelevelagreement", "sd-customerrequesttype", "sd-approvals",
    "sd-feedback", "issuelinks", "attachment", "worklog",
}
# Multi-line text: an Atlassian Document Format object on Cloud's REST v3, text on v2.
RICH_TEXT = ("textarea",)
SPRINT = "com.pyxis.greenhopper.jira:gh-sprint"


def field_property(field: dict[str, Any], *, cloud: bool) -> dict[str, Any]:
    """The property for one entry of `/field`."""
    jira: dict[str, Any] = field["schema"] if isinstance(field.get("schema"), dict) else {}
    prop = dict(_typed(jira, cloud=cloud))
    if not prop:
        # Bare on purpose: loaders that flatten by hand (pipelinewise's, target-duckdb) stop on
        # a property with keys but no `type`; the field's named column carries its name.
        return prop
    name = field.get("name") or field.get("id")
    prop["title"] = str(name)
    prop["description"] = f"{name} (Jira field {field.get('id')}, {jira_kind(field)})"
    return prop


def jira_kind(field: dict[str, Any]) -> str:
    """What Jira says the field is: its plug-in type, system name or plain type."""
    jira: dict[str, Any] = field["schema"] if isinstance(field.get("schema"), dict) else {}
    return str(jira.get("custom") or jira.get("system") or jira.get("type") or "untyped")


def _typed(jira: dict[str, Any], *, cloud: bool) -> dict[str, Any]:
    kind, custom = jira.get("type"), str(jira.get("custom") or "")
    if kind == "number":
        return {"type": ["number", "null"]}
    if kind == "string":
        if custom.rsplit(":", 1)[-1] in RICH_TEXT:
            return {"type": ["object", "string", "null"]}
        return {"type": ["string", "null"]}
    if kind == "date":
        return {"type": ["string", "null"], "format": "date"}
    if kind == "datetime":
        return {"type": ["string", "null"], "format": "date-time"}
    if kind in OBJECT_TYPES:
        return OBJECT
    if kind == "array":
        items = jira.get("items")
        if custom == SPRINT:  # Server's Jira Software may still send sprints as text
            return {"type": ["array", "null"], "items": OBJECT if cloud else ANY}
        if items == "string":
            return {"type": ["array", "null"], "items": {"type": ["string", "null"]}}
        if items in OBJECT_TYPES:
            return {"type": ["array", "null"], "items": OBJECT}
        return {"type": ["array", "null"], "items": ANY}
    return ANY


def complete_schema(schema: dict[str, Any], fields: list[dict[str, Any]], *, cloud: bool) -> dict[str, Any]:
    """`schema` (the issues schema, changed in place) with a property under `fields` for
    each field not declared there already: the declared ones keep their hand-made types."""
    declared = schema["properties"]["fields"].setdefault("properties", {})
    for field in fields:
        if isinstance(field, dict) and field.get("id") and field["id"] not in declared:
            declared[str(field["id"])] = field_property(field, cloud=cloud)
    return schema


# The Python types decoded JSON has for each JSON Schema type.
PYTHON_TYPES: dict[str, tuple[type, ...]] = {"number": (int, float), "integer": (int,), "string": (str,),
                                             "object": (dict,), "array": (list,), "boolean": (bool,)}


def python_types(prop: dict[str, Any]) -> tuple[type, ...]:
    """The Python types of decoded JSON that `prop` declares (empty: an open property)."""
    types = prop.get("type") or []
    return tuple(kind for name in (types if isinstance(types, list) else [types])
                 for kind in PYTHON_TYPES.get(name, ()))


def fits(value: Any, accepted: tuple[type, ...]) -> bool:
    """Whether a decoded JSON `value` has one of the `accepted` types (`python_types`; none: anything)."""
    if value is None or not accepted:
        return True
    if isinstance(value, bool):  # a bool is an int to isinstance, but no JSON number
        return bool in accepted
    return isinstance(value, accepted)
