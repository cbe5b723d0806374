"""Streams, grouped by API family."""

from .agile import BoardsStream, SprintsStream
from .children import ChangelogsStream, CommentsStream, WorklogsStream
from .issues import IssuesStream
from .lookups import FieldsStream, IssueTypesStream, PrioritiesStream, StatusCategoriesStream, StatusesStream
from .reference import ProjectsStream, ResolutionsStream, UsersStream

STREAM_TYPES = (
    IssuesStream, CommentsStream, WorklogsStream, ChangelogsStream,
    ProjectsStream, ResolutionsStream, UsersStream, BoardsStream, SprintsStream,
    IssueTypesStream, StatusesStream, StatusCategoriesStream, PrioritiesStream, FieldsStream,
)

__all__ = [
    "STREAM_TYPES", "BoardsStream", "ChangelogsStream", "CommentsStream", "FieldsStream", "IssueTypesStream",
    "IssuesStream", "PrioritiesStream", "ProjectsStream", "ResolutionsStream", "SprintsStream",
    "StatusCategoriesStream", "StatusesStream", "UsersStream", "WorklogsStream",
]
