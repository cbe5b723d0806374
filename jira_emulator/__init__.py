"""A local Jira emulator: a real HTTP server that behaves like Jira Cloud or Data Center as documented."""

from .server import JiraEmulator, LoggedRequest

__all__ = ["JiraEmulator", "LoggedRequest"]
