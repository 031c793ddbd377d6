"""Dependencies shared by the API routers: settings, preconditions, idempotency."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from app.db import SessionDep
from app.errors import PreconditionRequired
from app.policies.guard import Access
from app.services.concurrency import IfMatch
from app.services.idempotency import (
    IdempotencyStore,
    StoredResponse,
    key_owner,
    request_fingerprint,
)
from app.settings import Settings

IDEMPOTENCY_KEY_PATTERN = r"^[\x21-\x7e]{1,255}$"


# The dependencies here are coroutines even where they await nothing: FastAPI runs a plain
# function in a worker thread, a hop that costs more than the function itself.
async def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


async def require_if_match(
    if_match: Annotated[
        str | None,
        Header(
            alias="If-Match",
            description="The ETag from your last read (the `ETag` response header, quotes "
            "included). Required: it stops lost updates; an ETag that is no longer current is "
            "refused with 412.",
            examples=['"5f0c2a9e41d3-1"'],
        ),
    ] = None,
) -> IfMatch:
    if if_match is None or not if_match.strip():
        raise PreconditionRequired(
            "Send If-Match with the ETag from your last read of this resource."
        )
    return IfMatch.parse(if_match)


IfMatchDep = Annotated[IfMatch, Depends(require_if_match)]


@dataclass(slots=True)
class Created:
    """What a create use case hands back to be rendered as 201 + Location."""

    body: BaseModel
    location: str
    etag: str | None = None
    extra_headers: dict[str, str] = field(default_factory=dict)

    def headers(self) -> dict[str, str]:
        headers = {"Location": self.location, **self.extra_headers}
        if self.etag:
            headers["ETag"] = self.etag
        return headers


class Idempotency:
    """Runs a create at most once per caller and ``Idempotency-Key``.

    Each method takes the ``Access`` the route was allowed under: a key belongs to the token's
    issuer and subject, and its response replays only under the same authority (else 409).
    """

    def __init__(self, request: Request, store: IdempotencyStore | None, key: str | None) -> None:
        self.request = request
        self.store = store
        self.key = key

    async def run(
        self, access: Access, body: BaseModel, create: Callable[[], Awaitable[Created]]
    ) -> JSONResponse:
        """A create: 201 with Location, at most once per key."""

        async def respond() -> StoredResponse:
            created = await create()
            return StoredResponse(201, jsonable_encoder(created.body), created.headers())

        return await self._at_most_once(access, body.model_dump(mode="json"), respond)

    async def run_ok(
        self, access: Access, fingerprint_body: Any, apply: Callable[[], Awaitable[Any]]
    ) -> JSONResponse:
        """A change answered 200 with a JSON body (a PUT), at most once per key.
        ``fingerprint_body`` is the request as JSON, to tell a replay from another request."""

        async def respond() -> StoredResponse:
            return StoredResponse(200, jsonable_encoder(await apply()), {})

        return await self._at_most_once(access, fingerprint_body, respond)

    async def run_response(
        self,
        access: Access,
        fingerprint_body: Any,
        respond: Callable[[], Awaitable[StoredResponse]],
    ) -> JSONResponse:
        """Any response ``respond`` builds, at most once per key: for a request whose body is
        known only once read (``fingerprint_body`` then describes it, e.g. by its digest), or
        whose refusal is itself kept and must replay (a rejected import's 422; send its media
        type in the stored headers)."""
        return await self._at_most_once(access, fingerprint_body, respond)

    async def _at_most_once(
        self,
        access: Access,
        fingerprint_body: Any,
        respond: Callable[[], Awaitable[StoredResponse]],
    ) -> JSONResponse:
        if self.store is None or self.key is None:
            first = await respond()
            return JSONResponse(first.body, status_code=first.status_code, headers=first.headers)
        owner = key_owner(access)
        fingerprint = request_fingerprint(
            self.request.method, self.request.url.path, fingerprint_body
        )
        stored = await self.store.lookup(owner=owner, key=self.key, fingerprint=fingerprint)
        if stored is None:
            stored = await self.store.claim(
                owner=owner,
                key=self.key,
                fingerprint=fingerprint,
                method=self.request.method,
                path=self.request.url.path,
            )
        if stored is not None:
            return JSONResponse(
                stored.body,
                status_code=stored.status_code,
                headers={**stored.headers, "Idempotent-Replayed": "true"},
            )
        first = await respond()
        await self.store.remember(response=first)
        return JSONResponse(first.body, status_code=first.status_code, headers=first.headers)


async def idempotency(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            pattern=IDEMPOTENCY_KEY_PATTERN,
            description="Repeat a POST or PUT safely: a replay with the same key returns the first "
            "response; the same key with a different body is refused. Use a new random value "
            "(a UUID, say) for each distinct request.",
            examples=["0b7e6c0a-2f1d-4c8e-9a3b-5d6e7f809112"],
        ),
    ] = None,
) -> Idempotency:
    if idempotency_key is None:
        return Idempotency(request, None, None)
    store = IdempotencyStore(session, ttl=timedelta(hours=settings.idempotency_ttl_hours))
    return Idempotency(request, store, idempotency_key)


IdempotencyDep = Annotated[Idempotency, Depends(idempotency)]
