"""One paginator per Jira paging style, shared by every stream of that style.

Jira caps page sizes silently and may return short pages anywhere, so none of
these trusts the requested page size: the end is `isLast`, a `total` reached, or
an empty page.  `JiraClient.paginate` drives every one of them, and each caller says
where the token goes in its request.
"""

from __future__ import annotations

from typing import Any

import requests
from singer_sdk.pagination import BaseAPIPaginator


class PageBeanPaginator(BaseAPIPaginator[int]):
    """``startAt`` / ``maxResults`` / ``isLast`` / ``total`` page beans (``values`` array)."""

    def __init__(self) -> None:
        super().__init__(0)

    def has_more(self, response: requests.Response) -> bool:
        body: dict[str, Any] = response.json()
        values = body.get("values") or []
        if not values:
            return False
        if isinstance(body.get("isLast"), bool):
            return not body["isLast"]
        return _next_start(body, values) < body.get("total", 0) if "total" in body else True

    def get_next(self, response: requests.Response) -> int:
        body = response.json()
        return _next_start(body, body.get("values") or [])


class BareArrayPaginator(BaseAPIPaginator[int]):
    """Bare JSON arrays paged by ``startAt`` (``/users/search``): stop only on an empty page."""

    def __init__(self) -> None:
        super().__init__(0)

    def has_more(self, response: requests.Response) -> bool:
        return bool(response.json())

    def get_next(self, response: requests.Response) -> int:
        return self.current_value + len(response.json())


def _next_start(body: dict[str, Any], values: list[Any]) -> int:
    # Advance by what was received, from where the server says this page started.
    return int(body.get("startAt", 0)) + len(values)


class StartAtTotalPaginator(BaseAPIPaginator[int]):
    """``startAt`` / ``total`` without ``isLast``: Data Center's ``/search`` (``issues``)."""

    def __init__(self, items_key: str) -> None:
        super().__init__(0)
        self.items_key = items_key

    def has_more(self, response: requests.Response) -> bool:
        body: dict[str, Any] = response.json()
        items = body.get(self.items_key) or []
        return bool(items) and _next_start(body, items) < int(body.get("total") or 0)

    def get_next(self, response: requests.Response) -> int:
        body = response.json()
        return _next_start(body, body.get(self.items_key) or [])


class NextPageTokenPaginator(BaseAPIPaginator["str | None"]):
    """``nextPageToken`` paging (``/search/jql``, ``/changelog/bulkfetch``).  A token
    without ``isLast`` is followed: stopping there would drop the rest for good.  The
    changelog bulk fetch documents its last page's token as the string "null"."""

    def __init__(self) -> None:
        super().__init__(None)

    def has_more(self, response: requests.Response) -> bool:
        body: dict[str, Any] = response.json()
        token = body.get("nextPageToken")
        return bool(token) and token != "null" and body.get("isLast") is not True

    def get_next(self, response: requests.Response) -> str | None:
        token = response.json().get("nextPageToken")
        return str(token) if token else None
