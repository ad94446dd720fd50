"""Front end: the web app behind ``seedsearch serve`` — search page, article page, JSON API.

A thin layer over the library: every page and endpoint calls :class:`seedsearch.Index` and
renders the same result dicts as ``seedsearch search --json``. Handlers are ``async`` so
they all run on the event loop's thread, one at a time, sharing one Whoosh searcher (which
is not thread-safe) that the library replaces when a re-index commits a new generation.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from .. import __version__
from ..errors import SeedsearchError
from ..highlight import Highlighter
from ..schema import Article
from ..search import MAX_LIMIT, MAX_OFFSET, MAX_QUERY_CHARS, highlighter_for
from ..store import Index

HERE = Path(__file__).resolve().parent
PAGE_SIZE = 10

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


# --- response models (the OpenAPI schema of the JSON API) ------------------------------


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorBody(BaseModel):
    error: ErrorDetail


class HitModel(BaseModel):
    rank: int
    doc_id: str
    title: str
    path: str
    section: str
    passage: int
    start: int
    end: int
    text: str
    snippet: str
    score: float


class SearchModel(BaseModel):
    query: str
    total: int
    took_ms: float
    corrected_query: str | None
    ignored: list[str]
    suggestion: str | None
    limit: int
    offset: int
    hits: list[HitModel]


class PassageModel(BaseModel):
    n: int
    kind: str
    section: str
    start: int
    end: int
    text: str


class ArticleModel(BaseModel):
    doc_id: str
    title: str
    path: str
    text: str
    passages: list[PassageModel]


class StatsModel(BaseModel):
    index_dir: str
    documents: int
    passages: int
    terms: int
    size_bytes: int
    last_update: str
    roots: list[str]


class HealthModel(BaseModel):
    status: str
    index: bool


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "Bad query or parameters"},
    422: {"model": ErrorBody, "description": "Invalid parameters"},
    503: {"model": ErrorBody, "description": "No usable index"},
}


# --- the app ---------------------------------------------------------------------------


class _IndexHolder:
    """Opens the index on first use, so the server can start before the first index run."""

    def __init__(self, index_dir: Path) -> None:
        self.index_dir = index_dir
        self._index: Index | None = None

    def get(self) -> Index:
        if self._index is None:
            self._index = Index(self.index_dir)
        return self._index

    def close(self) -> None:
        if self._index is not None:
            self._index.close()
            self._index = None


def _error_response(
    status: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code, "message": message}}, status_code=status, headers=headers
    )


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith(("/api/", "/healthz", "/openapi"))


def create_app(index_dir: str | Path) -> FastAPI:
    holder = _IndexHolder(Path(index_dir))
    templates = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    app = FastAPI(
        title="seedsearch",
        version=__version__,
        description="Full-text keyword search over French news articles.",
        docs_url=None,  # served below from local files, without inline script
        redoc_url=None,
    )
    app.state.holder = holder
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.mount("/docs/assets", StaticFiles(directory=_swagger_dir()), name="swagger")

    def render(name: str, status: int = 200, **context: Any) -> HTMLResponse:
        html = templates.get_template(name).render(**context)
        return HTMLResponse(html, status_code=status)

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        return response

    @app.exception_handler(SeedsearchError)
    async def library_error(request: Request, exc: SeedsearchError) -> Response:
        if _wants_html(request):
            return render("error.html", exc.http_status, message=exc.message, q="")
        return _error_response(exc.http_status, exc.code, exc.message)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()) if p != 'query')}: {e.get('msg', '')}"
            for e in exc.errors()
        )
        if _wants_html(request):
            return render("error.html", 422, message=f"Paramètre invalide — {problems}", q="")
        return _error_response(422, "bad_request", f"invalid parameters: {problems}")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = "page introuvable" if exc.status_code == 404 else str(exc.detail)
        if _wants_html(request):
            response: Response = render("error.html", exc.status_code, message=message, q="")
            response.headers.update(exc.headers or {})  # e.g. Allow on a 405
            return response
        code = "not_found" if exc.status_code == 404 else "http_error"
        return _error_response(exc.status_code, code, str(exc.detail).lower(), exc.headers)

    # --- pages -------------------------------------------------------------------

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def search_page(
        q: str = "", page: Annotated[int, Query(ge=1, le=MAX_OFFSET // PAGE_SIZE)] = 1
    ) -> Response:
        context: dict[str, Any] = {
            "q": q,
            "result": None,
            "groups": [],
            "error": None,
            "max_chars": MAX_QUERY_CHARS,
        }
        if q.strip():
            try:
                result = holder.get().search(q, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
            except SeedsearchError as err:
                context["error"] = err.message
                return render("search.html", err.http_status, **context)
            context.update(
                result=result.to_dict(),
                groups=_group(result.to_dict()["hits"]),
                page=page,
                pages=_pages(result.total),
                link=_link,
            )
        return render("search.html", **context)

    @app.get("/doc/{doc_id}", response_class=HTMLResponse, include_in_schema=False)
    async def article_page(doc_id: str, q: str = "") -> Response:
        index = holder.get()
        article = index.document(doc_id)
        marker = highlighter_for(index, q) if q.strip() else Highlighter()
        return render(
            "article.html",
            article=article,
            blocks=_blocks(article, marker),
            q=q,
            back=_link(q, 1) if q.strip() else "/",
        )

    @app.get("/docs", response_class=HTMLResponse, include_in_schema=False)
    async def api_docs() -> Response:
        return render("docs.html")

    # --- JSON API ----------------------------------------------------------------

    # The documented models describe the answers; the dicts come from the library's
    # dataclasses and are sent as they are, without a second validation pass.
    @app.get(
        "/api/search",
        response_model=None,
        responses={200: {"model": SearchModel, "description": "Ranked passages"}, **ERRORS},
        tags=["search"],
    )
    async def api_search(
        q: Annotated[str, Query(description="The query (see the query syntax).")],
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 10,
        offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    ) -> Response:
        """Search passages: the same object as `seedsearch search --json`."""
        return _json(holder.get().search(q, limit=limit, offset=offset).to_dict())

    @app.get(
        "/api/docs/{doc_id}",
        response_model=ArticleModel,
        responses={**ERRORS, 404: {"model": ErrorBody, "description": "Unknown document"}},
        tags=["documents"],
    )
    async def api_document(doc_id: str) -> dict[str, Any]:
        """A whole article with its passages."""
        return holder.get().document(doc_id).to_dict()

    @app.get("/api/stats", response_model=StatsModel, responses=ERRORS, tags=["index"])
    async def api_stats() -> dict[str, Any]:
        """Documents, passages, distinct terms, size on disk, last update."""
        return holder.get().stats().to_dict()

    @app.get("/healthz", response_model=HealthModel, tags=["index"])
    async def healthz() -> dict[str, Any]:
        """Liveness: the server answers; `index` says whether an index can be opened."""
        try:
            holder.get().searcher()
            ok = True
        except SeedsearchError:
            ok = False
        return {"status": "ok", "index": ok}

    return app


def _json(payload: dict[str, Any]) -> Response:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Response(body, media_type="application/json")


def app_from_environment() -> FastAPI:
    """App factory for multi-worker serving: the index folder comes from SEEDSEARCH_INDEX."""
    return create_app(os.environ.get("SEEDSEARCH_INDEX", "index"))


def _swagger_dir() -> Path:
    import swagger_ui_bundle

    return Path(str(swagger_ui_bundle.swagger_ui_path))


def _link(q: str, page: int) -> str:
    params: dict[str, Any] = {"q": q}
    if page > 1:
        params["page"] = page
    return "/?" + urlencode(params)


def _pages(total: int) -> int:
    return min(max(1, -(-total // PAGE_SIZE)), MAX_OFFSET // PAGE_SIZE)


def _group(hits: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Hits grouped by article, articles in the order of their best hit."""
    groups: dict[str, dict[str, Any]] = {}
    for hit in hits:
        group = groups.setdefault(
            hit["doc_id"],
            {"doc_id": hit["doc_id"], "title": hit["title"], "path": hit["path"], "hits": []},
        )
        group["hits"].append(hit)
    return list(groups.values())


def _blocks(article: Article, marker: Highlighter) -> list[dict[str, Any]]:
    """The article's passages as renderable blocks: consecutive items and rows together."""
    blocks: list[dict[str, Any]] = []
    for p in article.passages:
        html = marker.html(p.text)
        entry = {"n": p.n, "html": html, "cells": html.split(" · ") if p.kind == "row" else []}
        if blocks and blocks[-1]["kind"] == p.kind and p.kind in ("item", "row"):
            blocks[-1]["entries"].append(entry)
        else:
            blocks.append({"kind": p.kind, "entries": [entry]})
    return blocks
