"""Streams, grouped by API family."""

from .agile import BoardIssuesStream, BoardProjectsStream, BoardsStream, SprintsStream
from .children import (
    ChangelogsStream,
    CommentsStream,
    FieldHistoryStream,
    IssueLinksStream,
    MultiselectHistoryStream,
    SprintIssuesStream,
    WorklogsStream,
)
from .custom_fields import CustomFieldContextsStream, CustomFieldOptionsStream, FieldsStream
from .groups import GroupMembersStream, GroupsStream
from .issues import IssuesStream
from .lookups import (
    IssueLinkTypesStream,
    IssueTypesStream,
    PrioritiesStream,
    ProjectCategoriesStream,
    ProjectRolesStream,
    ProjectTypesStream,
    StatusCategoriesStream,
    StatusesStream,
)
from .project_metadata import ProjectComponentsStream, ProjectVersionsStream
from .reference import ProjectsStream, ResolutionsStream, UsersStream
from .site_info import CloudInstancesStream, ServerInfoStream

STREAM_TYPES = (
    IssuesStream, CommentsStream, WorklogsStream, ChangelogsStream, FieldHistoryStream, MultiselectHistoryStream,
    IssueLinksStream, SprintIssuesStream,
    ProjectsStream, ProjectVersionsStream, ProjectComponentsStream, ResolutionsStream, UsersStream,
    GroupsStream, GroupMembersStream,
    BoardsStream, SprintsStream, BoardProjectsStream, BoardIssuesStream,
    IssueTypesStream, StatusesStream, StatusCategoriesStream, PrioritiesStream,
    FieldsStream, CustomFieldContextsStream, CustomFieldOptionsStream,
    ProjectCategoriesStream, ProjectTypesStream, ProjectRolesStream, IssueLinkTypesStream,
    ServerInfoStream, CloudInstancesStream,
)

__all__ = ["STREAM_TYPES", *(stream.__name__ for stream in STREAM_TYPES)]
