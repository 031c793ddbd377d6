"""A list route's page: its size, its cursor, and what the cursor is bound to.

Every list route takes ``PagingDep`` and hands its repository ``paging.page(access, filters)``.
The binding is built here from the request and the decision, never chosen by the route, so no
list can issue a cursor another list, another caller or other filters would accept.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Protocol

from fastapi import Depends, Request

from app.crypto.cursors import CursorSeal, cursor_key_of
from app.policies.guard import Access
from app.repositories.pagination import PageRequest

#: Query parameters that move through a list rather than choose it.
PAGING_PARAMETERS = frozenset({"limit", "cursor"})


class ListFilters(Protocol):
    """A list route's query parameters: its filters, ``limit`` and ``cursor``."""

    @property
    def limit(self) -> int: ...

    @property
    def cursor(self) -> str | None: ...

    def model_dump(self, *, mode: str, exclude: set[str]) -> dict[str, Any]: ...


class Paging:
    """Dependency behind ``PagingDep``: the request a list route is answering."""

    def __init__(self, request: Request) -> None:
        self._request = request

    def page(self, access: Access, filters: ListFilters) -> PageRequest:
        """The page ``filters`` ask for; ``bad_cursor()`` (422) for a cursor that was not
        issued for this list, caller and filters, or has expired or been altered.

        A cursor is bound to the route and the policy it was served under, the caller (token
        issuer and subject), the purpose, and every filter and path parameter.
        """
        request = self._request
        route = request.scope.get("route")
        binding = {
            "list": {
                "method": request.method,
                "route": getattr(route, "path", request.url.path),
                "resource": access.decision.resource,
                "action": access.decision.action,
            },
            "caller": {"issuer": access.principal.issuer, "subject": access.principal.subject},
            "purpose": access.purpose.value if access.purpose else None,
            "path": dict(request.path_params),
            "filters": filters.model_dump(mode="json", exclude=set(PAGING_PARAMETERS)),
        }
        canonical = json.dumps(binding, sort_keys=True, separators=(",", ":"), default=str)
        seal = CursorSeal(cursor_key_of(request.app), canonical.encode("utf-8"), now=access.now)
        return PageRequest.start(limit=filters.limit, cursor=filters.cursor, seal=seal)


async def paging_of(request: Request) -> Paging:
    # A coroutine: FastAPI would run the class itself, as a plain callable, in a worker thread.
    return Paging(request)


PagingDep = Annotated[Paging, Depends(paging_of)]
