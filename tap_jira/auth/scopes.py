"""The OAuth 2.0 scopes this tap needs, and which one an endpoint needs (from the
platform spec's `x-atlassian-oauth2-scopes`; the Agile ones from Jira Software's docs)."""

from __future__ import annotations

REQUESTED_SCOPES = (
    "read:jira-work",
    "read:jira-user",
    "read:board-scope:jira-software",
    "read:sprint:jira-software",
    "read:board-scope.admin:jira-software",  # with read:project:jira: board_projects
    "read:project:jira",
    "read:issue-details:jira",  # board_issues
    "offline_access",  # without it Atlassian issues no refresh token
)


# Endpoints of streams that skip themselves without it (streams.base.SkippedWhenRefused):
# an administrator's scope, not requested by default.
ADMIN_SCOPE = "manage:jira-configuration"


def scope_for(path: str) -> str:
    if path.endswith(("/role", "/group/member")) or "/context" in path:
        return ADMIN_SCOPE
    if path.endswith("/group/bulk"):
        return "read:jira-user"
    if "/rest/agile/" in path and path.endswith("/project"):
        return "read:board-scope.admin:jira-software"
    if "/rest/agile/" in path and path.endswith("/issue"):
        return "read:issue-details:jira"
    if "/rest/agile/" in path:
        return "read:sprint:jira-software" if "/sprint" in path else "read:board-scope:jira-software"
    if path.endswith(("/myself", "/users/search", "/users", "/user")):
        return "read:jira-user"
    return "read:jira-work"
