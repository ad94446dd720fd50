"""Front end: the web app behind ``seedsearch serve`` — search page, article page, JSON API.

A thin layer over the library: every page and endpoint calls :class:`seedsearch.Index` and
renders the same result dicts as ``seedsearch search --json``. Handlers that read the index
are plain functions, which FastAPI runs in worker threads, so a slow query holds up no
other request; each borrows an open :class:`Index` of its own for the request (a Whoosh
searcher is not thread-safe). One ASGI middleware around everything checks the ``Host``
header, adds the security and cache headers to every answer (errors included), answers
``HEAD`` like ``GET`` without the body, and turns any unexpected exception into a JSON 500
on the API or a French error page.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import os
import threading
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import quote, urlencode

from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.exceptions import HTTPException as StarletteHTTPException

from .. import __version__
from ..display import display_path, dumps, json_safe
from ..documents import Passage
from ..errors import IndexNotFoundError, SeedsearchError
from ..export import FORMATS as EXPORT_TYPES
from ..highlight import Highlighter
from ..refine import RELEVANCE, SORT_NAMES
from ..search import MAX_LIMIT, MAX_OFFSET, MAX_QUERY_CHARS, highlighter_for
from ..store import WINDOW, Index
from ..stores import is_cluster, open_store
from .cache import SearchCache
from .edge import EdgeMiddleware, HostPolicy, _error_response, _wants_html_path
from .filtering import (
    SORT_HELP,
    SORT_LABELS,
    FilterParams,
    _active,
    _export_link,
    _facets,
    _link,
    filter_params,
)
from .models import (
    ERRORS,
    ArticleModel,
    ErrorBody,
    HealthModel,
    SearchModel,
    SimilarModel,
    StatsModel,
)

HERE = Path(__file__).resolve().parent
PAGE_SIZE = 10
SIMILAR_ON_PAGE = 5  # "Articles similaires" under an article
# How a query word was found, as the "pourquoi ?" disclosure says it.
HOW = {
    "exact": "exact",
    "stem": "même radical",
    "accents": "sans les accents",
    "typo": "faute de frappe corrigée",
    "fuzzy": "mot approché",
    "prefix": "préfixe",
    "family": "même famille",
    "synonym": "synonyme",
}
MAX_COUNT = 1000  # passages of an article in one API answer
MAX_PASSAGES = 10**9  # the whole article

# --- the app ---------------------------------------------------------------------------


# How long a request waits for its turn at a folder index before it runs anyway.
TURN_WAIT = 0.25  # seconds


class _IndexPool:
    """Open indexes, each lent to one request at a time (a Whoosh searcher is not
    thread-safe). Opened on first use, so the server can start before the first index run;
    there are never more than the requests that ran at once.

    A folder index is searched in pure Python: requests run at once only share the
    interpreter's lock, each answered as late as the slowest (8 clients asking new
    queries: 97 requests/s, p95 188 ms). They take turns instead, first come first served
    (146 requests/s, p95 115 ms), with one index kept warm; one that has waited TURN_WAIT
    runs anyway, so a slow query holds the others up for that long at most. A cluster's
    searches wait on its servers, and run at once."""

    def __init__(self, index_dir: Path, synonyms: str | None = None) -> None:
        self.index_dir = index_dir
        self.synonyms = synonyms
        self._idle: list[Index] = []
        self._open: list[Index] = []
        self._lock = threading.Lock()
        self._turn = None if is_cluster(index_dir) else threading.Lock()

    @contextmanager
    def lend(self, turn: bool = True) -> Iterator[Index]:
        """An open index for the request; ``turn``: whether to wait for its turn (not for
        an answer streamed to a client at its own pace)."""
        took = turn and self._turn is not None and self._turn.acquire(timeout=TURN_WAIT)
        try:
            with self._lend() as index:
                yield index
        finally:
            if took:
                assert self._turn is not None
                self._turn.release()

    @contextmanager
    def _lend(self) -> Iterator[Index]:
        with self._lock:
            index = self._idle.pop() if self._idle else None
        if index is None:
            index = open_store(self.index_dir)  # a folder, or a xapian:// cluster
            index.synonyms_file = self.synonyms
            with self._lock:
                self._open.append(index)
        try:
            yield index
        finally:
            with self._lock:
                self._idle.append(index)

    def close(self) -> None:
        with self._lock:
            for index in self._open:
                index.close()
            self._open.clear()
            self._idle.clear()


def _wants_html(request: Request) -> bool:
    return _wants_html_path(request.url.path)


def _french(err: SeedsearchError, q: str = "") -> str:
    """The French message for an error shown on the web page."""
    if err.code == "bad_query" and len(q) > MAX_QUERY_CHARS:
        return f"Requête trop longue ({len(q)} caractères, {MAX_QUERY_CHARS} au plus)."
    messages = {
        "bad_query": "Cette requête ne peut pas être exécutée.",
        "document_not_found": "Article introuvable.",
        "index_not_found": "Aucun index : lancez « seedsearch index » pour le construire.",
        "index_version": "L’index vient d’une autre version : lancez "
        "« seedsearch index --rebuild ».",
        "index_locked": "L’index est verrouillé par une autre écriture ; réessayez.",
        "index_access": "L’index est inaccessible (droits ou chemin).",
        "index_corrupt": "L’index est endommagé : lancez « seedsearch index --rebuild ».",
        "disk_full": "Disque plein : l’index précédent est intact.",
        "query_too_expensive": "Requête trop coûteuse (temps ou nombre de mots dépassé) : "
        "précisez-la ou réessayez.",
        "bad_option": "Réglage du serveur invalide.",
    }
    return messages.get(err.code, "Erreur interne du serveur.")


def create_app(
    index_dir: str | Path, allowed_hosts: Iterable[str] = (), synonyms: str | None = None
) -> FastAPI:
    """The web app over the index at ``index_dir``. Requests whose ``Host`` is not
    ``localhost``, an IP address or one of ``allowed_hosts`` (``"*"``: any) get a 400.
    ``synonyms``: a synonyms file searches use besides the index folder's own."""
    holder = _IndexPool(Path(index_dir), synonyms)
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

    def error_page(status: int, message: str) -> HTMLResponse:
        return render("error.html", status, message=message, q="")

    # Inside the edge (added first): answers of /api/search kept per index generation.
    app.add_middleware(SearchCache, index_dir=Path(index_dir), synonyms=synonyms)
    app.add_middleware(EdgeMiddleware, hosts=HostPolicy(allowed_hosts), error_page=error_page)

    @app.exception_handler(SeedsearchError)
    async def library_error(request: Request, exc: SeedsearchError) -> Response:
        if _wants_html(request):
            return error_page(exc.http_status, _french(exc))
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
        if _wants_html(request):
            message = {404: "Page introuvable.", 405: "Méthode non autorisée."}.get(
                exc.status_code, f"Erreur {exc.status_code}."
            )
            response: Response = render("error.html", exc.status_code, message=message, q="")
            response.headers.update(exc.headers or {})  # e.g. Allow on a 405
            return response
        code = "not_found" if exc.status_code == 404 else "http_error"
        return _error_response(exc.status_code, code, str(exc.detail).lower(), exc.headers)

    # --- pages -------------------------------------------------------------------

    # Handlers that read the index are plain functions: FastAPI runs them in worker threads.
    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def search_page(
        filters: Annotated[FilterParams, Depends(filter_params)],
        q: str = "",
        page: Annotated[int, Query(ge=1, le=MAX_OFFSET // PAGE_SIZE)] = 1,
        sort: str = RELEVANCE,
    ) -> Response:
        given = {k: v for k, v in filters.params().items() if v.strip()}
        if sort != RELEVANCE:
            given["sort"] = sort
        context: dict[str, Any] = {
            "q": q,
            "result": None,
            "groups": [],
            "error": None,
            "max_chars": MAX_QUERY_CHARS,
            "given": given,  # kept in the form, the links and the URL
            "sorts": SORT_LABELS,
            "sort": sort,
        }
        with contextlib.suppress(SeedsearchError), holder.lend() as index:
            context["updated"] = index.last_update()  # shown at the foot of the page
        if q.strip() or any(k != "sort" for k in given):
            try:
                refine = filters.refine(sort, facets=True)
                with holder.lend() as index:
                    result = index.search(
                        q,
                        limit=PAGE_SIZE,
                        offset=(page - 1) * PAGE_SIZE,
                        explain=True,
                        refine=refine,
                    )
            except SeedsearchError as err:
                context["error"] = _french(err, q)
                return render("search.html", err.http_status, **context)
            shown = json_safe(result.to_dict())
            context.update(
                result=shown,
                groups=_group(shown["hits"]),
                page=page,
                pages=_pages(result.total),
                link=lambda query, n, **change: _link(query, n, {**given, **change}),
                how=HOW,
                export=lambda query, fmt: _export_link(query, fmt, given),
                facets=_facets(q, shown["facets"], given),
                active=_active(q, given),
            )
        return render("search.html", **context)

    @app.get("/doc/{doc_id}", response_class=HTMLResponse, include_in_schema=False)
    def article_page(
        doc_id: str,
        q: str = "",
        p: Annotated[int | None, Query(ge=0)] = None,
        start: Annotated[int, Query(alias="from", ge=0)] = 0,
        whole: Annotated[bool, Query(alias="all")] = False,
    ) -> Response:
        # A window of passages around the linked one (``p``) or from ``from``; ``all``
        # renders the whole article, however long.
        if p is not None:
            start = max(0, p - WINDOW // 2)
        with holder.lend() as index:
            window = index.window(doc_id, 0 if whole else start, MAX_PASSAGES if whole else WINDOW)
            marker = highlighter_for(index, q) if q.strip() else Highlighter()
            similar = json_safe(index.similar(doc_id, limit=SIMILAR_ON_PAGE).to_dict())
        base = f"/doc/{quote(doc_id, safe='')}"

        def page_link(first: int) -> str:
            params = {"q": q} if q.strip() else {}
            return f"{base}?{urlencode({**params, 'from': first})}"

        return render(
            "article.html",
            article=dataclasses.replace(
                window, title=json_safe(window.title), path=display_path(window.path)
            ),
            window=window,
            blocks=_blocks(window.passages, marker),
            q=q,
            back=_link(q, 1, {}) if q.strip() else "/",
            similar=similar["articles"],
            page_link=page_link,
            prev_from=max(0, window.first - WINDOW),
            next_from=window.first + len(window.passages),
            all_link=f"{base}?{urlencode({'q': q, 'all': 1} if q.strip() else {'all': 1})}",
        )

    @app.get("/doc/{doc_id}/passages", response_class=HTMLResponse, include_in_schema=False)
    def article_fragment(
        doc_id: str, q: str = "", start: Annotated[int, Query(alias="from", ge=0)] = 0
    ) -> Response:
        """A window of passages as an HTML fragment, which the page adds as one scrolls."""
        with holder.lend() as index:
            window = index.window(doc_id, start, WINDOW)
            marker = highlighter_for(index, q) if q.strip() else Highlighter()
        response = render("passages.html", blocks=_blocks(window.passages, marker))
        response.headers["X-Next-From"] = str(window.first + len(window.passages))
        response.headers["X-Passage-Count"] = str(window.passage_count)
        return response

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
    def api_search(
        filters: Annotated[FilterParams, Depends(filter_params)],
        q: Annotated[
            str, Query(description="The query (see the query syntax); may be empty with filters.")
        ],
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 10,
        offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
        prefix: Annotated[
            Literal["last"] | None,
            Query(
                description="`last`: the query is being typed; its last word, unless a "
                "space follows it, is a prefix (`completed` says what it stood for)."
            ),
        ] = None,
        explain: Annotated[bool, Query(description="Say why each article matched.")] = False,
        sort: Annotated[
            str, Query(description=SORT_HELP, json_schema_extra={"enum": SORT_NAMES})
        ] = RELEVANCE,
        facets: Annotated[
            bool,
            Query(
                description="Count all the results by source, year, type and author "
                "(`facets`: the 10 most frequent values of each)."
            ),
        ] = False,
    ) -> Response:
        """Search passages: the same object as `seedsearch search --json`."""
        refine = filters.refine(sort, facets=facets)
        with holder.lend() as index:
            result = index.search(
                q,
                limit=limit,
                offset=offset,
                prefix_last=prefix == "last",
                explain=explain,
                refine=refine,
            )
            return _json(result.to_dict())

    @app.get(
        "/api/export",
        response_model=None,
        responses={
            200: {
                "description": "Every matching article, best first: one JSON object per "
                "line (jsonl) or one CSV row (with a header row), with its rank, doc_id, "
                "title, path, score and best passage (section, text).",
                "content": {
                    media: {"schema": {"type": "string"}} for media in EXPORT_TYPES.values()
                },
            },
            **ERRORS,
        },
        tags=["search"],
    )
    def api_export(
        filters: Annotated[FilterParams, Depends(filter_params)],
        q: Annotated[
            str, Query(description="The query (see the query syntax); may be empty with filters.")
        ],
        fmt: Annotated[
            Literal["jsonl", "csv"], Query(alias="format", description="jsonl or csv.")
        ] = "csv",
        prefix: Annotated[Literal["last"] | None, Query(description="As for /api/search.")] = None,
        sort: Annotated[
            str, Query(description=SORT_HELP, json_schema_extra={"enum": SORT_NAMES})
        ] = RELEVANCE,
    ) -> Response:
        """All the articles matching a query, not one page: `seedsearch search --format`."""
        from ..export import export_rows, lines

        refine = filters.refine(sort)
        stack = ExitStack()
        index = stack.enter_context(holder.lend(turn=False))
        try:
            rows = export_rows(index, q, prefix_last=prefix == "last", refine=refine)
            # The first row runs the search: its errors are answered as JSON, not streamed.
            first = next(rows, None)
        except BaseException:
            stack.close()
            raise

        def body() -> Iterator[str]:
            with stack:  # the index goes back to the pool when the answer ends
                yield from lines(itertools.chain([first] if first else [], rows), fmt)

        name = f"seedsearch.{fmt}"
        return StreamingResponse(
            body(),
            media_type=EXPORT_TYPES[fmt],
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    @app.get(
        "/api/docs/{doc_id}",
        response_model=ArticleModel,
        responses={**ERRORS, 404: {"model": ErrorBody, "description": "Unknown document"}},
        tags=["documents"],
    )
    def api_document(
        doc_id: str,
        start: Annotated[
            int | None, Query(alias="from", ge=0, description="First passage to return.")
        ] = None,
        count: Annotated[
            int | None,
            Query(ge=1, le=MAX_COUNT, description=f"Passages to return (at most {MAX_COUNT})."),
        ] = None,
    ) -> Response:
        """An article with its passages: the whole of it, or with `from` and/or `count`
        the passages from `from` (default 0), `count` of them (default 100), with the text
        they span (`text_start` is where it begins in the article)."""
        with holder.lend() as index:
            if start is None and count is None:
                article = index.document(doc_id)
                whole = article.to_dict()
                return _json(
                    {**whole, "first": 0, "passage_count": len(article.passages), "text_start": 0}
                )
            window = index.window(doc_id, start or 0, count or WINDOW)
            return _json(window.to_dict())

    @app.get(
        "/api/docs/{doc_id}/similar",
        response_model=SimilarModel,
        responses={**ERRORS, 404: {"model": ErrorBody, "description": "Unknown document"}},
        tags=["documents"],
    )
    def api_similar(doc_id: str, limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 10) -> Response:
        """The articles most like this one (by its most distinctive terms)."""
        with holder.lend() as index:
            return _json(index.similar(doc_id, limit=limit).to_dict())

    @app.get("/api/stats", response_model=StatsModel, responses=ERRORS, tags=["index"])
    def api_stats() -> Response:
        """Documents, passages, distinct terms, size on disk, last update."""
        with holder.lend() as index:
            return _json(index.stats().to_dict())

    @app.get("/healthz", response_model=HealthModel, tags=["index"])
    def healthz() -> Any:
        """Liveness: the server answers; `index` says whether an index can be opened.
        An index that exists but cannot be read answers 503 with the error."""
        try:
            with holder.lend(turn=False) as index:  # (liveness: no queue)
                index.passage_stats(index.searcher())  # reads the index's statistics
            ok = True
        except IndexNotFoundError:
            ok = False
        except SeedsearchError as err:
            holder.close()  # reopened on the next request, once repaired
            return JSONResponse({"status": "error", "index": False, **err.to_dict()}, 503)
        return {"status": "ok", "index": ok}

    return app


def _json(payload: dict[str, Any]) -> Response:
    # Undecodable bytes of file names are escaped, so any answer encodes as UTF-8.
    body = dumps(payload, compact=True).encode("utf-8")
    return Response(body, media_type="application/json")


def app_from_environment() -> FastAPI:
    """App factory for multi-worker serving: the index folder comes from SEEDSEARCH_INDEX,
    the accepted host names from SEEDSEARCH_ALLOWED_HOSTS (comma-separated)."""
    hosts = os.environ.get("SEEDSEARCH_ALLOWED_HOSTS", "").split(",")
    synonyms = os.environ.get("SEEDSEARCH_SYNONYMS") or None
    index = os.environ.get("SEEDSEARCH_INDEX", "index")
    return create_app(index, allowed_hosts=hosts, synonyms=synonyms)


def _swagger_dir() -> Path:
    import swagger_ui_bundle

    return Path(str(swagger_ui_bundle.swagger_ui_path))


def _pages(total: int) -> int:
    return min(max(1, -(-total // PAGE_SIZE)), MAX_OFFSET // PAGE_SIZE)


def _group(hits: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Hits grouped by article, articles in the order of their best hit."""
    groups: dict[str, dict[str, Any]] = {}
    for hit in hits:
        group = groups.setdefault(
            hit["doc_id"],
            {
                "doc_id": hit["doc_id"],
                "title": hit["title"],
                "path": hit["path"],
                "meta": hit["meta"],
                "hits": [],
            },
        )
        group["hits"].append(hit)
    return list(groups.values())


def _blocks(passages: Iterable[Passage], marker: Highlighter) -> list[dict[str, Any]]:
    """Passages as renderable blocks: consecutive items and rows together."""
    blocks: list[dict[str, Any]] = []
    for p in passages:
        html = marker.html(p.text)
        entry = {"n": p.n, "html": html, "cells": html.split(" · ") if p.kind == "row" else []}
        if blocks and blocks[-1]["kind"] == p.kind and p.kind in ("item", "row"):
            blocks[-1]["entries"].append(entry)
        else:
            blocks.append({"kind": p.kind, "entries": [entry]})
    return blocks
