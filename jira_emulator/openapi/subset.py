"""Cut Atlassian's OpenAPI specs down to what the emulator serves.

    python -m jira_emulator.openapi.subset DIR   # DIR holds the two upstream files (see README.md here)

Keeps, for each route in the emulator's Cloud table, its path item, then every
component it reaches through `$ref` (transitively), plus `info` (licence and
version). Keys keep their upstream order and values are not edited, so a
subset path validates exactly as the full spec would.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from jira_emulator.routes import AGILE, ROUTES

HERE = Path(__file__).resolve().parent
UPSTREAM = {"platform": "jira-platform-swagger-v3.v3.json", "software": "jira-software-swagger.v3.json"}
SUBSET = {"platform": HERE / "jira-platform.subset.json", "software": HERE / "jira-software.subset.json"}


def family_of(path: str) -> str:
    return "software" if path.startswith(AGILE) else "platform"


def served_paths(family: str) -> list[str]:
    return sorted({route.template for route in ROUTES if family_of(route.template) == family})


def refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"]} if isinstance(node.get("$ref"), str) else set()
        return found.union(*(refs(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(refs(value) for value in node))
    return set()


def subset(spec: dict[str, Any], paths: list[str]) -> dict[str, Any]:
    kept_paths = {path: spec["paths"][path] for path in paths if path in spec["paths"]}
    wanted, pending = set(), refs(kept_paths)
    while pending:
        ref = pending.pop()
        if ref in wanted or not ref.startswith("#/components/"):
            continue
        wanted.add(ref)
        _, _, section, name = ref.split("/", 3)
        pending |= refs(spec["components"][section][name])
    components: dict[str, dict[str, Any]] = {}
    for section, entries in spec["components"].items():
        kept = {name: value for name, value in entries.items() if f"#/components/{section}/{name}" in wanted}
        if kept:
            components[section] = kept
    return {"openapi": spec["openapi"], "info": spec["info"], "paths": kept_paths, "components": components}


def main(source: Path) -> None:
    for family, name in UPSTREAM.items():
        spec = json.loads((source / name).read_text())
        cut = subset(spec, served_paths(family))
        SUBSET[family].write_text(json.dumps(cut, indent=None, separators=(",", ":"), ensure_ascii=False) + "\n")
        print(f"{SUBSET[family].name}: {len(cut['paths'])} paths, "
              f"{sum(len(v) for v in cut['components'].values())} components")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
