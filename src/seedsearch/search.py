"""Search: parse, correct, rank, then the page's passages and snippets.

The stages live in their own modules: :mod:`.query` (parser), :mod:`.compile` (to Whoosh,
spelling), :mod:`.ranking` (articles), :mod:`.passages` (passages and snippets),
:mod:`.highlight` and :mod:`.results`.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from .compile import Compiler, Spelling, correct
from .errors import QueryError
from .highlight import Highlighter
from .passages import hits
from .query import has_text_leaf, parse, relaxed, unparse
from .ranking import run
from .results import SearchResult

if TYPE_CHECKING:
    from .store import Index

MAX_QUERY_CHARS = 1000
MAX_LIMIT = 100
MAX_OFFSET = 10_000


def _validate(query: str, limit: int, offset: int) -> None:
    if not isinstance(query, str):
        raise QueryError("the query must be text")
    if len(query) > MAX_QUERY_CHARS:
        raise QueryError(f"query too long ({len(query)} characters, at most {MAX_QUERY_CHARS})")
    if not 1 <= limit <= MAX_LIMIT:
        raise QueryError(f"limit must be between 1 and {MAX_LIMIT}")
    if not 0 <= offset <= MAX_OFFSET:
        raise QueryError(f"offset must be between 0 and {MAX_OFFSET}")


def search(index: Index, query: str, limit: int = 10, offset: int = 0) -> SearchResult:
    """Run ``query`` against ``index``: a page of ranked articles with their best passages.

    ``limit`` and ``offset`` count articles; ``total`` is the exact number of matching
    articles. Each article brings its best passages (up to ``PASSAGES_PER_ARTICLE``).
    """
    started = time.perf_counter()
    _validate(query, limit, offset)
    node, ignored = parse(query)
    searcher = index.searcher()
    corrected: str | None = None
    suggestion: str | None = None
    if node is None:
        return SearchResult(query, 0, _ms(started), None, tuple(ignored), (), None, limit, offset)

    spelling = Spelling(index, searcher)
    fixed, changed = correct(node, Compiler(searcher, spelling))
    if changed:
        node = fixed
        corrected = unparse(node)
    compiler, ranked, total = run(searcher, spelling, node, offset + limit)
    if total == 0 and (loose := relaxed(node)) is not None:
        compiler, ranked, total = run(searcher, spelling, loose, offset + limit)
        if total:
            node = loose
            corrected = unparse(loose)
    if total == 0:
        better, changed = correct(node, Compiler(searcher, spelling), budget_extra=1)
        if changed and run(searcher, spelling, better, 1)[2]:
            suggestion = unparse(better)

    page = ranked[offset : offset + limit]
    shown = hits(index, searcher, compiler, page, offset + 1, has_text_leaf(node))
    return SearchResult(
        query,
        total,
        _ms(started),
        corrected,
        tuple(ignored),
        tuple(shown),
        suggestion,
        limit,
        offset,
    )


def highlighter_for(index: Index, query: str) -> Highlighter:
    """What ``query`` would highlight in a text (for showing a whole article)."""
    if not query.strip() or len(query) > MAX_QUERY_CHARS:
        return Highlighter()
    node, _ = parse(query)
    if node is None:
        return Highlighter()
    searcher = index.searcher()
    compiler = Compiler(searcher, Spelling(index, searcher))
    node, _ = correct(node, compiler)
    compiler.compile(node)
    return Highlighter(frozenset(compiler.terms), tuple(compiler.phrases))


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)
