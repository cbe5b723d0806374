"""Streams, grouped by API family."""

from .agile import BoardsStream, SprintsStream
from .children import ChangelogsStream, CommentsStream, WorklogsStream
from .issues import IssuesStream
from .reference import ProjectsStream, ResolutionsStream, UsersStream

STREAM_TYPES = (
    IssuesStream, CommentsStream, WorklogsStream, ChangelogsStream,
    ProjectsStream, ResolutionsStream, UsersStream, BoardsStream, SprintsStream,
)

__all__ = [
    "STREAM_TYPES", "BoardsStream", "ChangelogsStream", "CommentsStream", "IssuesStream", "ProjectsStream",
    "ResolutionsStream", "SprintsStream", "UsersStream", "WorklogsStream",
]
