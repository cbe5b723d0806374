"""Failures the user can act on: each message is one line and never holds a secret."""

from typing import Any
from urllib.parse import urlsplit

from singer_sdk.exceptions import FatalAPIError


def endpoint(request: Any) -> str:
    """`METHOD /path` of a (prepared) request, as error messages name it."""
    if request is None:
        return "Jira"
    return f"{request.method or ''} {urlsplit(request.url or '').path}".strip()


class TapJiraError(Exception):
    """Ends the run with a one-line message naming what to fix."""


class ConfigError(TapJiraError):
    """A config value is missing or wrong; the message names the key."""


class StateError(TapJiraError):
    """The state file cannot be used as it is; the message names the value at fault and
    the command line adds which file."""


class JiraAPIError(TapJiraError, FatalAPIError):
    """Jira answered with an error that retrying will not fix."""

    def __init__(self, message: str, status: int | None = None, missing_scope: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.missing_scope = missing_scope  # the OAuth 2.0 scope the gateway said the token lacks
