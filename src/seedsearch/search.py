"""Search: parse, correct, rank, then the page's passages and snippets.

The stages live in their own modules: :mod:`.query` (parser), :mod:`.compile` (to Whoosh,
spelling), :mod:`.ranking` (articles), :mod:`.passages` (passages and snippets),
:mod:`.highlight` and :mod:`.results`.
"""

from __future__ import annotations

import os
import re
import time
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from .analysis import normalise_word
from .budget import TIME_BUDGET, Cost
from .collapse import Ranked, fold_near
from .compile import Compiler, correct
from .errors import OptionError, QueryError
from .highlight import Highlighter
from .passages import RERANK_DEPTH, hits, rerank
from .query import (
    And,
    Node,
    has_filter,
    has_text_leaf,
    parse,
    relaxed,
    unparse,
    without_stop_words,
)
from .ranking import run
from .refine import NEWEST, RELEVANCE, Gather, Refine
from .results import FACETS, FacetValue, Hit, SearchResult
from .spelling import Spelling
from .title_match import query_words

if TYPE_CHECKING:
    from whoosh.searching import Searcher

    from .store import Index

MAX_QUERY_CHARS = 1000
MAX_LIMIT = 100
MAX_OFFSET = 10_000
EXPORT_BATCH = 100  # articles read at a time by search_all
MAX_COMPLETIONS = 5  # completions of a word being typed reported in the answer
TYPED_EXPANSIONS = 8  # words a word being typed stands for (the most frequent)


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


@dataclass
class _Matches:
    """A query's matching articles, ranked: what a page or an export is cut from."""

    searcher: Searcher
    compiler: Compiler
    ranked: list[Ranked]
    total: int
    text_query: bool
    corrected: str | None = None
    suggestion: str | None = None
    ignored: tuple[str, ...] = ()
    completed: dict[str, list[str]] = field(default_factory=dict)
    also: tuple[str, ...] = ()  # synonyms the query also searched
    typed: Node | None = None  # the query as typed, before corrections (for explain)
    node: Node | None = None  # the query that ran
    facets: dict[str, tuple[FacetValue, ...]] | None = None


def search(
    index: Index,
    query: str,
    limit: int = 10,
    offset: int = 0,
    cost: Cost | None = None,
    prefix_last: bool = False,
    explain: bool = False,
    refine: Refine | None = None,
) -> SearchResult:
    """Run ``query`` against ``index``: a page of ranked articles with their best passages.

    ``limit`` and ``offset`` count results; ``total`` is the exact number of matching
    articles, a group of duplicates counting once (exact duplicates always, near
    duplicates when found among the ranked candidates). Each article brings its best
    passages (up to ``PASSAGES_PER_ARTICLE``).
    ``cost`` holds the search's limits and counts what it spends (by default a new one
    with :func:`time_budget`); a search past its deadline is stopped with
    :class:`~.errors.QueryTooExpensiveError`. ``prefix_last`` is for a query being typed:
    its last word, unless a space follows it, is a prefix (see :func:`last_word`).
    ``explain``: each shown hit says why its article matched (:mod:`.explain`).
    ``refine``: filters given apart from the query, the sort order, and whether to count
    the facets of all the results (:mod:`.refine`, :mod:`.facets`).
    """
    started = time.perf_counter()
    _validate(query, limit, offset)
    refine = refine or Refine()
    found = _matches(index, query, offset + limit, cost, prefix_last, refine, margin=limit)
    if found is None:
        _, ignored = parse(query)
        ignored += refine.ignored
        empty: dict[str, tuple[FacetValue, ...]] = {name: () for name in FACETS}
        return SearchResult(
            query,
            0,
            _ms(started),
            None,
            tuple(ignored),
            (),
            None,
            limit,
            offset,
            filters=refine.params(sort=False),
            sort=refine.sort,
            facets=empty if refine.facets else None,
        )
    page = found.ranked[offset : offset + limit]
    shown = hits(index, found.searcher, found.compiler, page, offset + 1, found.text_query)
    if explain and found.typed is not None and found.node is not None:
        from .explain import explain_page

        shown = explain_page(found.compiler, found.typed, found.node, page, shown)
    return SearchResult(
        query,
        found.total,
        _ms(started),
        found.corrected,
        found.ignored,
        tuple(shown),
        found.suggestion,
        limit,
        offset,
        found.completed,
        found.also,
        filters=refine.params(sort=False),
        sort=refine.sort,
        facets=found.facets,
    )


def search_all(
    index: Index, query: str, prefix_last: bool = False, refine: Refine | None = None
) -> Iterator[Hit]:
    """Every article matching ``query``, in the order of :func:`search`, with its best
    passages: read a batch of ``EXPORT_BATCH`` articles at a time, so memory stays bounded
    by the batch (and the list of matching article numbers). The ranking has the search's
    time budget, and each batch one of its own. ``refine`` as for :func:`search` (facets
    aside)."""
    _validate(query, 1, 0)
    cost = Cost(time_budget())
    found = _matches(index, query, None, cost, prefix_last, refine or Refine())
    if found is None:
        return
    for start in range(0, len(found.ranked), EXPORT_BATCH):
        cost.deadline = time.monotonic() + cost.seconds
        batch = found.ranked[start : start + EXPORT_BATCH]
        yield from hits(index, found.searcher, found.compiler, batch, start + 1, found.text_query)


# A plain list of words finding fewer articles than this (a page) is widened to an OR of
# its words... (measured on the bench judgments: see README, Ranking)
WIDEN_BELOW = 10
# ... when it has this many words or more (not stop words): long queries, index entries
# and titles typed from memory, hold a word the right page lacks; two words found together
# in a few articles are what the user asked for.
WIDEN_FROM_WORDS = 3


def _words_in(node: Node) -> int:
    """How many words (not stop words) a plain list of words has, as typed: a slash-joined
    word (a menu path) is one."""
    return len(without_stop_words(node.children if isinstance(node, And) else [node]))


def last_word(query: str) -> str | None:
    """The word being typed at the end of ``query``: a plain word of two letters or more
    (after an optional ``-``, ``(`` or ``field:``) with no space after it; None if the
    query ends otherwise (a space, a quote, ``*``, ``~``, a parenthesis, an operator)."""
    m = _LAST_WORD_RE.search(query)
    if m is None or m.group(1) in ("AND", "OR", "NOT") or m.group(1).isdigit():
        return None
    return m.group(1)


_LAST_WORD_RE = re.compile(r"(?:^|[\s(:!+-])(\w{2,})$")


def _matches(
    index: Index,
    query: str,
    window: int | None,
    cost: Cost | None,
    prefix_last: bool,
    refine: Refine,
    margin: int = 0,
) -> _Matches | None:
    """The ranked matches of ``query`` narrowed by ``refine``'s filters (the top
    ``window``, or all with None); None for a query with nothing searchable."""
    cost = cost or Cost(time_budget())
    node, ignored = parse(query)
    ignored += refine.ignored
    if node is None and not refine.filtered:
        return None
    searcher = index.searcher()
    spelling = Spelling(index, searcher, cost)
    # A word being typed ends in "*": correct() leaves prefix words alone, so only the
    # finished words are corrected, and no "did you mean" is made of a half-typed word.
    # One that begins no indexed word cannot be completed: it is taken as typed (and
    # corrected, as a finished word would be).
    typed = last_word(query) if prefix_last and node is not None else None
    if typed is not None and spelling.narrow_prefix(normalise_word(typed), TYPED_EXPANSIONS):
        node, ignored = parse(query + "*")
        assert node is not None  # the same query, its last word a prefix
    else:
        typed = None
    corrected: str | None = None
    suggestion: str | None = None
    as_typed = node
    if node is not None:
        fixed, changed = correct(node, Compiler(searcher, spelling))
        if changed:
            node = fixed
            corrected = unparse(node)
    everything = window is None
    # A little more than asked: near duplicates folded below leave room for others.
    window = searcher.doc_count_all() if window is None else max(window, RERANK_DEPTH) + margin
    both = refine.apply(node)
    assert both is not None  # a query, or filters
    # A query of filters only lists the newest first: "relevance" is that order there.
    sort = refine.sort
    if sort == RELEVANCE and has_filter(both) and not has_text_leaf(both):
        sort = NEWEST
    gather = Gather(searcher, sort) if refine.facets or sort != RELEVANCE else None
    compiler, ranked, total = run(searcher, spelling, both, max(window, 1), order=gather)
    loose = relaxed(node) if node is not None and total < WIDEN_BELOW else None
    if (
        loose is not None
        and node is not None
        and (total == 0 or _words_in(node) >= WIDEN_FROM_WORDS)
    ):
        # Too few articles hold (nearly) every word: any of them will do, ranked by the
        # same score, so that those holding more of the words still come first when they
        # are as good.
        loose_both = refine.apply(loose)
        assert loose_both is not None
        wide = run(searcher, spelling, loose_both, max(window, 1), loose=True, order=gather)
        if wide[2] > total:
            compiler, ranked, total = wide
            node = loose
            corrected = unparse(loose)
    if total == 0 and not everything and node is not None:
        better, changed = correct(node, Compiler(searcher, spelling), budget_extra=1)
        if changed and run(searcher, spelling, refine.apply(better) or better, 1)[2]:
            suggestion = unparse(better)
    if gather is not None and sort != RELEVANCE:  # the keys ranked by: back to scores
        ranked = [replace(r, score=gather.scores.get(r.docnum, 0.0)) for r in ranked]

    # Prefix and fuzzy words past the query's expansion budget were left out.
    ignored += [word for word in compiler.dropped if word not in ignored]
    completed: dict[str, list[str]] = {}
    if typed and f"{typed}*" not in compiler.dropped:
        words = spelling.prefix(normalise_word(typed))[:MAX_COMPLETIONS]  # narrowed above
        if words:
            completed[typed] = words
    ranked, near = fold_near(index.columns(searcher), ranked)
    total -= near
    text_query = has_text_leaf(both)
    if text_query and sort == RELEVANCE:
        words = query_words(node) if node is not None else []
        ranked = rerank(index, searcher, compiler, ranked, words=words)
    facets = None
    if refine.facets:
        from .facets import count

        facets = count(index, searcher, gather.scores if gather is not None else {})
    return _Matches(
        searcher,
        compiler,
        ranked,
        total,
        text_query,
        corrected,
        suggestion,
        tuple(ignored),
        completed,
        tuple(compiler.also),
        as_typed,
        node,
        facets,
    )


def highlighter_for(index: Index, query: str) -> Highlighter:
    """What ``query`` would highlight in a text (for showing a whole article)."""
    if not query.strip() or len(unicodedata.normalize("NFKC", query)) > MAX_QUERY_CHARS:
        return Highlighter()
    try:
        node, _ = parse(query)
    except QueryError:  # a bad filter value: the article is shown unmarked
        return Highlighter()
    if node is None:
        return Highlighter()
    searcher = index.searcher()
    compiler = Compiler(searcher, Spelling(index, searcher, Cost(time_budget())))
    node, _ = correct(node, compiler)
    compiler.compile(node)
    return Highlighter(frozenset(compiler.terms), tuple(compiler.phrases))


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)
