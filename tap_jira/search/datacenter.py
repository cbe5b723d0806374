"""Server/Data Center: full issues from ``POST /search``, paged by startAt/total
(it has neither the id-only token search nor bulk fetch)."""

from __future__ import annotations

from array import array
from collections.abc import Iterator
from typing import Any

from ..api.client import JiraClient
from ..api.pagination import StartAtTotalPaginator
from .recovery import DATACENTER_SEARCH_CAP, JQL_HINT, STREAM, shifted_out, window_ids


class DataCenterSearch:
    def __init__(self, client: JiraClient, query: str, fields: list[str], expand: list[str]) -> None:
        self.client = client
        self.query = query
        self.fields = fields
        self.expand = expand
        # The recovery pass compares against the issues read: ids as machine integers
        # in one buffer, 8 bytes each.
        self._read = array("q")
        self._pages = 0

    def issues(self) -> Iterator[dict[str, Any]]:
        size = self.client.settings.page_size_for(DATACENTER_SEARCH_CAP)

        def page(start: Any) -> tuple[None, dict[str, Any]]:
            body: dict[str, Any] = {"jql": self.query, "fields": self.fields, "maxResults": size,
                                    "startAt": start or 0}
            if self.expand:
                body["expand"] = self.expand  # an array in POST /search; Data Center sends it whole
            return None, body

        url = self.client.site.rest + "/search"
        for response in self.client.paginate("POST", url, StartAtTotalPaginator("issues"), page, stream=STREAM,
                                             hint=JQL_HINT):
            body = response.json()
            total = body.get("total")
            if isinstance(total, int) and not isinstance(total, bool):
                self.client.progress.expect(STREAM, total)  # the progress lines' expected count
            self._pages += 1  # an empty page counts: the edit that emptied it may have skipped an issue
            issues = body.get("issues") or []
            if not issues:
                return
            for issue in issues:
                self._read.append(int(issue["id"]))
                yield issue

    def missed(self) -> list[str]:
        """Issues of the window that paging skipped: one id pass, once paging is over
        (none if one page was read: only moving on to a next page can skip an issue)."""
        if self._pages <= 1:
            return []
        read = set(self._read)
        return shifted_out(window_ids(self.client, self.query), read)
