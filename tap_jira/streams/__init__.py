"""Streams, grouped by API family."""

from .issues import IssuesStream
from .reference import ProjectsStream, ResolutionsStream, UsersStream

STREAM_TYPES = (IssuesStream, ProjectsStream, ResolutionsStream, UsersStream)

__all__ = ["STREAM_TYPES", "IssuesStream", "ProjectsStream", "ResolutionsStream", "UsersStream"]
