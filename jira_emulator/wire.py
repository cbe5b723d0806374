"""What every route shares: the parsed request, the response, Jira's error body and paging styles."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from .auth import UNAUTHENTICATED_BODY, Principal
from .data import Site


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    principal: Principal
    site: Site
    params: dict[str, str] = field(default_factory=dict)
    raw: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    full_url: str = ""  # as the client addressed it (OAuth 1.0a signs it)

    def arg(self, name: str, default: Any = None) -> Any:
        """A parameter from the JSON body (POST) or the query string (GET)."""
        if isinstance(self.body, dict) and name in self.body:
            return self.body[name]
        values = self.query.get(name)
        return values[0] if values else default

    def arg_list(self, name: str) -> list[str]:
        """Multi-valued parameters: a JSON list, repeated query keys or comma-separated."""
        if isinstance(self.body, dict) and name in self.body:
            value = self.body[name]
            return [str(v) for v in value] if isinstance(value, list) else str(value).split(",")
        return [part for value in self.query.get(name, []) for part in value.split(",") if part]

    def int_arg(self, name: str, default: int) -> int:
        value = self.arg(name, default)
        try:
            return int(value)
        except (TypeError, ValueError):
            raise HttpError(400, f"The {name} parameter must be a number.") from None

    def url(self, **params: Any) -> str:
        query = urlencode({k: v for k, v in params.items() if v is not None})
        return f"{self.site.base_url}{self.path}" + (f"?{query}" if query else "")


@dataclass
class Response:
    status: int
    body: Any  # JSON-serialisable, or str for text/plain
    headers: dict[str, str] = field(default_factory=dict)


class HttpError(Exception):
    """Answered with Jira's ErrorCollection body."""

    def __init__(self, status: int, *messages: str, errors: dict[str, str] | None = None) -> None:
        super().__init__(messages)
        self.status = status
        self.body = {"errorMessages": list(messages), "errors": errors or {}}


def unauthorized() -> Response:
    return Response(401, UNAUTHENTICATED_BODY)


# ---- paging -----------------------------------------------------------------------


def page_bean(request: Request, values: list[Any], default_size: int, cap: int,
              links: bool = True) -> dict[str, Any]:
    """Jira's PageBean: startAt/maxResults/total/isLast, with the cap applied silently.
    The Agile API's page beans carry no `self`/`nextPage` links (`links=False`)."""
    start = max(request.int_arg("startAt", 0), 0)
    size = min(max(request.int_arg("maxResults", default_size), 0), cap)
    page = values[start : start + size]
    is_last = start + size >= len(values)
    bean: dict[str, Any] = {"self": request.url(startAt=start, maxResults=size)} if links else {}
    if not is_last and links:
        bean["nextPage"] = request.url(startAt=start + size, maxResults=size)
    bean.update({"maxResults": size, "startAt": start, "total": len(values), "isLast": is_last, "values": page})
    return bean


def bare_array(request: Request, values: list[Any], default_size: int, cap: int) -> list[Any]:
    start = max(request.int_arg("startAt", 0), 0)
    size = min(max(request.int_arg("maxResults", default_size), 0), cap)
    return values[start : start + size]


# ---- token paging: a token is only good for the request it came from, as on Jira ----


def encode_token(fingerprint: str, offset: int) -> str:
    return base64.urlsafe_b64encode(f"{fingerprint}:{offset}".encode()).decode().rstrip("=")


def decode_token(token: str | None, fingerprint: str) -> int:
    """A page token is only good for the request it came from, as on Jira."""
    if not token:
        return 0
    try:
        padded = token + "=" * (-len(token) % 4)
        token_fingerprint, _, offset = base64.urlsafe_b64decode(padded).decode().partition(":")
        if token_fingerprint == fingerprint:
            return int(offset)
    except (ValueError, UnicodeDecodeError):
        pass
    raise HttpError(400, "The provided next page token is invalid or expired.")
