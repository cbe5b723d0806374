"""Payloads some Jiras (or the proxies in front of them) send that the captured ones do
not: tests install these as `emulator.rewrites`, functions of (endpoint template, JSON
body) that return the body to send.  Each models one class of oddity:

- `numeric_ids`: ids as JSON numbers instead of strings (older versions, proxies);
- `replace_key` / `replace_body`: a response of an unexpected shape;
- `walk`: change every object that matches, wherever it sits (a history without
  `created`, a rich-text body nested hundreds of levels deep).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Rewrite = Callable[[str, Any], Any]
ID_KEYS = ("id", "issueId")


def walk(body: Any, change: Callable[[dict[str, Any]], None]) -> Any:
    """Call `change` on every object in `body`, depth first; returns `body`."""
    stack = [body]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            change(node)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return body


def _number_ids(node: dict[str, Any]) -> None:
    for key in ID_KEYS:
        value = node.get(key)
        if isinstance(value, str) and value.isdigit():
            node[key] = int(value)


def numeric_ids(endpoint: str, body: Any) -> Any:
    return walk(body, _number_ids)


def replace_key(endpoint_part: str, key: str, value: Any) -> Rewrite:
    """On endpoints containing `endpoint_part`, the object body's `key` becomes `value`."""
    def rewrite(endpoint: str, body: Any) -> Any:
        if endpoint_part in endpoint and isinstance(body, dict):
            return {**body, key: value}
        return body
    return rewrite


def replace_body(endpoint_part: str, make: Callable[[Any], Any]) -> Rewrite:
    """On endpoints containing `endpoint_part`, the whole body becomes `make(body)`."""
    def rewrite(endpoint: str, body: Any) -> Any:
        return make(body) if endpoint_part in endpoint else body
    return rewrite


def without_created(history_ids: set[str]) -> Rewrite:
    """Changelog histories with these ids lose their `created`, wherever they are sent."""
    def drop(node: dict[str, Any]) -> None:
        if node.get("id") in history_ids and "items" in node:
            node.pop("created", None)
    return lambda endpoint, body: walk(body, drop)


def nested_document(depth: int) -> dict[str, Any]:
    """An Atlassian document whose content nests `depth` levels deep (two JSON levels
    each).  Beyond about 450, encoding it needs a recursion limit above Python's
    default: the emulator raises it (see `JiraEmulator`)."""
    node: dict[str, Any] = {"type": "text", "text": "deep"}
    for _ in range(depth):
        node = {"type": "paragraph", "content": [node]}
    return {"type": "doc", "version": 1, "content": [node]}
