"""The private singer-sdk hooks the tap overrides are still there, shaped as relied on.

An SDK upgrade that renames, removes or re-signs one of them fails here, by name,
instead of silently bypassing the override (tap_jira/sdk_private.py says why each is needed).
"""

from __future__ import annotations

import inspect
import pathlib
import re
from importlib.metadata import version

import pytest

import tap_jira
from tap_jira.sdk_private import PRIVATE_HOOKS

PACKAGE = pathlib.Path(tap_jira.__file__).parent
SDK = version("singer-sdk")


@pytest.mark.parametrize(("owner", "name", "parameters"), PRIVATE_HOOKS, ids=lambda v: getattr(v, "__name__", v))
def test_each_private_hook_exists_with_the_parameters_relied_on(owner, name, parameters):
    where = f"singer-sdk {SDK}, {owner.__name__}.{name}"
    if not parameters:  # an attribute the owner sets
        source = inspect.getsource(owner.__init__ if inspect.isclass(owner) else owner)
        assert re.search(rf"self\.{name}\b(: [^=]+)? =", source), f"{where} is no longer set"
        return
    hook = getattr(owner, name, None)
    assert callable(hook), f"{where} is gone"
    assert tuple(inspect.signature(hook).parameters) == parameters, f"{where} takes other parameters"


def test_only_sdk_private_touches_private_sdk_names():
    """Everything else stays on public hooks: no `_tap`, no `singer_sdk.helpers._*`,
    no private Stream/Tap method outside tap_jira/sdk_private.py."""
    private = {name for _, name, _ in PRIVATE_HOOKS if name.startswith("_")} | {"_tap", "_request", "_requests_session",
                                                                               "is_flushed"}
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if path.name == "sdk_private.py":
            continue
        text = path.read_text()
        offenders += [f"{path.name}: {name}" for name in private if f".{name}" in text or f" {name}(" in text]
        if "helpers._" in text:
            offenders.append(f"{path.name}: singer_sdk.helpers._*")
    assert not offenders, offenders


def test_the_sdk_still_calls_the_public_hooks_the_tap_replaces():
    """`request_records` is where get_records reads from, and the tap finalizes each
    stream's state (a parent its selected children) after the stream's sync."""
    from singer_sdk import RESTStream, Stream, Tap

    assert "self.request_records(" in inspect.getsource(RESTStream.get_records)
    assert "stream.finalize_state_progress_markers()" in inspect.getsource(Tap.sync_all)
    assert "child_stream.finalize_state_progress_markers()" in inspect.getsource(Stream.finalize_state_progress_markers)
