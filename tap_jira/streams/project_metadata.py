"""Each project's versions and components: children of the projects stream, so the
`projects` setting limits them too.

Cloud pages them (``/project/{id}/version``, ``/component``: one request per project
per 50); Server/Data Center returns each list whole (``/versions``, ``/components``).
Jira sends `projectId` as a number; it is emitted as text, like `projects.id`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from typing_extensions import override

from .base import ItemsMayVanish
from .reference import PlatformListStream, ProjectsStream

if TYPE_CHECKING:
    from singer_sdk.helpers.types import Context


class ProjectChildStream(ItemsMayVanish, PlatformListStream):
    """A project listed but not browsable (only Administer Projects), or gone since: 404, skipped."""

    parent_stream_type = ProjectsStream
    primary_keys = ("id",)
    state_partitioning_keys = ()  # full table: nothing to keep per project

    @override
    def post_process(self, row: dict[str, Any], context: Context | None = None) -> dict[str, Any] | None:
        assert context is not None
        row["projectId"] = context["projectId"]
        return row


class ProjectVersionsStream(ProjectChildStream):
    name = "project_versions"
    cloud_path, datacenter_path = "/project/{projectId}/version", "/project/{projectId}/versions"


class ProjectComponentsStream(ProjectChildStream):
    name = "project_components"
    cloud_path, datacenter_path = "/project/{projectId}/component", "/project/{projectId}/components"
