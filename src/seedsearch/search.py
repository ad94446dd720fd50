"""Search: parse, correct, rank, then the page's passages and snippets.

The stages live in their own modules: :mod:`.query` (parser), :mod:`.compile` (to Whoosh,
spelling), :mod:`.ranking` (articles), :mod:`.passages` (passages and snippets),
:mod:`.highlight` and :mod:`.results`.
"""

from __future__ import annotations

import os
import time
import unicodedata
from typing import TYPE_CHECKING

from .collapse import fold_near
from .compile import TIME_BUDGET, Compiler, Cost, Spelling, correct
from .errors import OptionError, QueryError
from .highlight import Highlighter
from .passages import RERANK_DEPTH, hits, rerank
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
    # Counted again once normalised: one character can stand for many (U+FDFA is 18).
    if (n := len(unicodedata.normalize("NFKC", query))) > MAX_QUERY_CHARS:
        raise QueryError(
            f"query too long ({n} characters once normalised, at most {MAX_QUERY_CHARS})"
        )
    if not 1 <= limit <= MAX_LIMIT:
        raise QueryError(f"limit must be between 1 and {MAX_LIMIT}")
    if not 0 <= offset <= MAX_OFFSET:
        raise QueryError(f"offset must be between 0 and {MAX_OFFSET}")


def time_budget() -> float:
    """Seconds a search may take: ``SEEDSEARCH_QUERY_SECONDS``, else ``TIME_BUDGET``."""
    raw = os.environ.get("SEEDSEARCH_QUERY_SECONDS", "")
    if not raw:
        return TIME_BUDGET
    try:
        seconds = float(raw)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds < float("inf"):
        raise OptionError(f"SEEDSEARCH_QUERY_SECONDS must be a number of seconds, not {raw!r}")
    return seconds


def search(
    index: Index, query: str, limit: int = 10, offset: int = 0, cost: Cost | None = None
) -> SearchResult:
    """Run ``query`` against ``index``: a page of ranked articles with their best passages.

    ``limit`` and ``offset`` count results; ``total`` is the exact number of matching
    articles, a group of duplicates counting once (exact duplicates always, near
    duplicates when found among the ranked candidates). Each article brings its best
    passages (up to ``PASSAGES_PER_ARTICLE``).
    ``cost`` holds the search's limits and counts what it spends (by default a new one
    with :func:`time_budget`); a search past its deadline is stopped with
    :class:`~.errors.QueryTooExpensiveError`.
    """
    started = time.perf_counter()
    _validate(query, limit, offset)
    cost = cost or Cost(time_budget())
    node, ignored = parse(query)
    searcher = index.searcher()
    corrected: str | None = None
    suggestion: str | None = None
    if node is None:
        return SearchResult(query, 0, _ms(started), None, tuple(ignored), (), None, limit, offset)

    spelling = Spelling(index, searcher, cost)
    fixed, changed = correct(node, Compiler(searcher, spelling))
    if changed:
        node = fixed
        corrected = unparse(node)
    # A little more than the page: near duplicates folded below leave room for others.
    window = max(offset + limit, RERANK_DEPTH) + limit
    compiler, ranked, total = run(searcher, spelling, node, window)
    if total == 0 and (loose := relaxed(node)) is not None:
        compiler, ranked, total = run(searcher, spelling, loose, window, loose=True)
        if total:
            node = loose
            corrected = unparse(loose)
    if total == 0:
        better, changed = correct(node, Compiler(searcher, spelling), budget_extra=1)
        if changed and run(searcher, spelling, better, 1)[2]:
            suggestion = unparse(better)

    # Prefix and fuzzy words past the query's expansion budget were left out.
    ignored += [word for word in compiler.dropped if word not in ignored]
    ranked, near = fold_near(index.columns(searcher), ranked)
    total -= near
    if has_text_leaf(node):
        ranked = rerank(index, searcher, compiler, ranked)
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
    if not query.strip() or len(unicodedata.normalize("NFKC", query)) > MAX_QUERY_CHARS:
        return Highlighter()
    node, _ = parse(query)
    if node is None:
        return Highlighter()
    searcher = index.searcher()
    compiler = Compiler(searcher, Spelling(index, searcher, Cost(time_budget())))
    node, _ = correct(node, compiler)
    compiler.compile(node)
    return Highlighter(frozenset(compiler.terms), tuple(compiler.phrases))


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)
