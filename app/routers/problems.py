"""``/problems``: the pages a problem's ``type`` URI names, for people (HTML) and programs
(JSON), chosen by ``Accept``. Public: they describe the API and hold no personal data."""

from __future__ import annotations

import html
import re
from functools import cache
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from app.errors import PROBLEM_BASE, NotAcceptable, NotFound
from app.problems import ERROR_CODES, PROBLEM_TYPES, ProblemType
from app.routers.route import KpasRoute, problem_response
from app.schemas.problems import ErrorCodeEntry, ProblemCatalogue, ProblemTypeRead

router = APIRouter(prefix="/problems", tags=["problems"], route_class=KpasRoute)

JSON = "application/json"
HTML = "text/html"
#: The pages change only with a release; ``Vary`` keeps a cache from mixing the two forms.
CACHE_HEADERS = {"Cache-Control": "public, max-age=3600", "Vary": "Accept"}


def _content(schema: str) -> dict[str, Any]:
    return {
        "content": {
            JSON: {"schema": {"$ref": f"#/components/schemas/{schema}"}},
            HTML: {"schema": {"type": "string"}},
        }
    }


def preferred(accept: str | None, offered: tuple[str, ...] = (JSON, HTML)) -> str | None:
    """The offered media type the ``Accept`` header ranks highest (the first offered on a
    tie; the first when there is no header), or None when it accepts none of them."""
    if not accept:
        return offered[0]
    ranks: dict[str, float] = {}
    for offer in offered:
        kind = offer.split("/")[0]
        best: tuple[int, float] | None = None  # (specificity, q)
        for item in accept.split(","):
            media, *params = (part.strip() for part in item.split(";"))
            media = media.lower()
            q = 1.0
            for param in params:
                name, _, value = param.partition("=")
                if name.strip().lower() == "q":
                    try:
                        q = float(value)
                    except ValueError:
                        q = 0.0
            specificity = {offer: 3, f"{kind}/*": 2, "*/*": 1}.get(media)
            if specificity is not None and (best is None or specificity > best[0]):
                best = (specificity, q)
        if best is not None and best[1] > 0:
            ranks[offer] = best[1]
    if not ranks:
        return None
    top = max(ranks.values())
    return next(offer for offer in offered if ranks.get(offer) == top)


def _negotiate(request: Request) -> str:
    chosen = preferred(request.headers.get("accept"))
    if chosen is None:
        raise NotAcceptable(f"The problem pages are served as {JSON} or {HTML}.")
    return chosen


def _text(value: str) -> str:
    """Escaped text, with `code` spans and links as HTML."""
    escaped = html.escape(value)
    escaped = re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped)
    return re.sub(r"(https://[^\s<]+[^\s<.,)])", r'<a href="\1">\1</a>', escaped)


_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;"
    "line-height:1.5;color:#0b0c0c}code{background:#f3f2f1;padding:0 .2em}"
    "dt{font-weight:bold;margin-top:.6rem}td,th{text-align:left;padding:.2rem .6rem .2rem 0;"
    "vertical-align:top}"
)


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)} - KPAS problems</title>"
        f'<meta name="viewport" content="width=device-width"><style>{_STYLE}</style></head>'
        f"<body>{body}</body></html>"
    )


#: Every ``errors[].code``, alphabetically, as both pages list them.
_CODES_IN_ORDER = tuple(sorted(ERROR_CODES.values(), key=lambda e: e.code))


@cache  # the catalogue is fixed when the code is: each page is built once
def _problem_html(problem: ProblemType) -> str:
    parts = [
        '<p><a href="/problems">All problem types</a></p>',
        f"<h1>{html.escape(problem.title)}</h1>",
        f"<p><code>{html.escape(problem.uri)}</code> &middot; HTTP {problem.status}</p>",
        f"<h2>What it means</h2><p>{_text(problem.meaning)}</p>",
        f"<h2>How to fix it</h2><p>{_text(problem.fix)}</p>",
    ]
    if problem.codes:
        rows = "".join(
            f"<dt><code>{html.escape(entry.code)}</code></dt><dd>{_text(entry.meaning)}</dd>"
            for entry in problem.codes
        )
        parts.append(f"<h2>Codes in <code>errors[]</code></h2><dl>{rows}</dl>")
    return _page(problem.title, "".join(parts))


def _type_links(slugs: tuple[str, ...]) -> str:
    return ", ".join(f'<a href="/problems/{slug}">{slug}</a>' for slug in slugs)


@cache
def _catalogue_html() -> str:
    rows = "".join(
        f'<tr><td><a href="/problems/{p.slug}"><code>{p.slug}</code></a></td>'
        f"<td>{p.status}</td><td>{html.escape(p.title)}</td></tr>"
        for p in PROBLEM_TYPES.values()
    )
    codes = "".join(
        f"<dt><code>{html.escape(entry.code)}</code> ({_type_links(entry.types)})</dt>"
        f"<dd>{_text(entry.meaning)}</dd>"
        for entry in _CODES_IN_ORDER
    )
    body = (
        "<h1>KPAS problem types</h1>"
        "<p>Every error from the KPAS platform API is an RFC 9457 problem document "
        "(<code>application/problem+json</code>). Its <code>type</code> is one of the URIs "
        f"below, under <code>{html.escape(PROBLEM_BASE)}</code>; its <code>errors[]</code> "
        "entries carry the codes listed after them.</p>"
        f"<table><tr><th>Type</th><th>Status</th><th>Title</th></tr>{rows}</table>"
        f"<h2>Codes in <code>errors[]</code></h2><dl>{codes}</dl>"
    )
    return _page("Problem types", body)


@router.get(
    "",
    name="problems_list",
    summary="List the problem types and error codes",
    response_model=ProblemCatalogue,
    responses={
        200: _content("ProblemCatalogue"),
        406: problem_response("Neither JSON nor HTML is acceptable."),
    },
)
async def list_problems(request: Request) -> Response:
    """Every problem type the API answers with, and every `errors[].code`: JSON, or an HTML
    page for a person following a problem's `type` link (by `Accept`)."""
    if _negotiate(request) == HTML:
        return HTMLResponse(_catalogue_html(), headers=CACHE_HEADERS)
    catalogue = ProblemCatalogue(
        problems=[ProblemTypeRead.of(p) for p in PROBLEM_TYPES.values()],
        codes=[ErrorCodeEntry.of_entry(e) for e in _CODES_IN_ORDER],
    )
    return JSONResponse(catalogue.model_dump(), headers=CACHE_HEADERS)


@router.get(
    "/{slug}",
    name="problems_get",
    summary="Get a problem type",
    response_model=ProblemTypeRead,
    responses={
        200: _content("ProblemTypeRead"),
        404: problem_response("No problem type has this slug."),
        406: problem_response("Neither JSON nor HTML is acceptable."),
    },
)
async def get_problem(
    slug: Annotated[
        str,
        Path(
            description="The problem type's name: the last part of its `type` URI.",
            examples=["validation-failed"],
        ),
    ],
    request: Request,
) -> Response:
    """What one problem type means, how to fix it, and the `errors[].code` values it can
    carry: the page its `type` URI names."""
    problem = PROBLEM_TYPES.get(slug)
    if problem is None:
        raise NotFound("No such problem type; `/problems` lists them.")
    if _negotiate(request) == HTML:
        return HTMLResponse(_problem_html(problem), headers=CACHE_HEADERS)
    return JSONResponse(ProblemTypeRead.of(problem).model_dump(), headers=CACHE_HEADERS)
