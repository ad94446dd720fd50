"""A compiled query's matches and scores read from postings, not stepped through matchers.

Whoosh's matchers visit a query's matches one Python call per posting per node of the
query's tree, and fetch each document's length for each score. A query built of ANDs and
ORs of terms and exact phrases (a hyphenated word is the phrase of its parts or the joined
word) is worked out here from each leaf's postings, read a block at a time: an AND is the
documents every branch holds, an OR those any branch holds, and a document scores the sum
of its leaves' BM25F, as Whoosh's matchers add them (the sums may differ in the last bit,
from the order of the additions). Any other query (a NOT, a filter, a prefix left
unexpanded, another weighting) is left to the matchers: :func:`scores` returns None.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from . import postings
from .bm25 import Lengths, Scorer
from .budget import Cost
from .compile import Synonymous
from .phrases import ExactPhrase, phrase_scores

if TYPE_CHECKING:
    from whoosh.searching import Searcher

Scores = dict[int, float]

# The fields whose postings hold weights scored by BM25F (the others are filters).
SCORED_FIELDS = frozenset({"body", "title"})


def scores(
    searcher: Searcher,
    q: Any,
    cost: Cost,
    lengths: Lengths | None = None,
    among: Sequence[int] | None = None,
) -> Scores | None:
    """Document → score of every match of ``q`` (of those ``among`` the documents given,
    ascending, when given: only the blocks that may hold them are read), as Whoosh's
    matchers score them; None when ``q`` holds a query this module does not read (the
    caller asks the matchers). ``lengths``: the fields' lengths (read from the index if
    not given)."""
    if not readable(q):
        return None
    scorer = Scorer(searcher, lengths)
    if not scorer.exact:
        return None
    return _scores(searcher, scorer, q, cost, among, lengths)


def and_maybe(
    searcher: Searcher,
    q: Any,
    maybe: Any,
    cost: Cost,
    lengths: Lengths | None = None,
    among: Sequence[int] | None = None,
) -> Scores | None:
    """As :func:`scores` for Whoosh's ``AndMaybe(q, maybe)``: the matches of ``q``, each
    with ``maybe``'s score added where it matches too (``maybe`` None: nothing added)."""
    found = scores(searcher, q, cost, lengths, among)
    if found is None or maybe is None:
        return found
    extra = scores(searcher, maybe, cost, lengths, sorted(found))
    if extra is None:
        return None
    for d, s in extra.items():
        found[d] += s
    return found


def readable(q: Any) -> bool:
    """Whether :func:`scores` reads ``q`` (the searcher's weighting aside)."""
    from whoosh.query import And, Or, Term
    from whoosh.query.compound import DefaultOr, PreloadedOr

    kind = type(q)
    if kind is Term or kind is ExactPhrase:
        return q.fieldname in SCORED_FIELDS
    if kind is And:
        return bool(q.subqueries) and all(readable(s) for s in q.subqueries)
    if kind in (Or, DefaultOr, PreloadedOr, Synonymous):
        return (
            bool(q.subqueries)
            and q.scale is None
            and not q.minmatch
            and all(readable(s) for s in q.subqueries)
        )
    return False


def _scores(
    searcher: Searcher,
    scorer: Scorer,
    q: Any,
    cost: Cost,
    among: Sequence[int] | None,
    lengths: Lengths | None,
) -> Scores:
    from whoosh.query import And, Term

    kind = type(q)
    if kind is Term:
        out = _term(searcher, scorer, q.fieldname, q.text, cost, among)
    elif kind is ExactPhrase:
        out = phrase_scores(searcher, q, among, lengths)  # (the phrase keeps its matches)
    elif kind is And:
        subs = [_scores(searcher, scorer, sub, cost, among, lengths) for sub in q.subqueries]
        smallest: Scores = min(subs, key=len)
        held = set(smallest)
        for branch in subs:
            held.intersection_update(branch)
        out = dict.fromkeys(sorted(held), 0.0)
        for branch in subs:  # (in the query's order, whatever the documents asked for)
            for d in out:
                out[d] += branch[d]
    else:  # an OR
        out = {}
        for sub in q.subqueries:
            for d, s in _scores(searcher, scorer, sub, cost, among, lengths).items():
                out[d] = out.get(d, 0.0) + s
    if q.boost != 1.0:
        out = {d: s * q.boost for d, s in out.items()}
    return out


def _term(
    searcher: Searcher,
    scorer: Scorer,
    fieldname: str,
    text: str,
    cost: Cost,
    among: Sequence[int] | None,
) -> Scores:
    reader = searcher.reader()
    if not postings.doc_frequency(reader, fieldname, text):  # (the search's look-up)
        return {}
    cost.check()
    found = postings.read(reader, fieldname, text, among).weights(among)
    return scorer.scores(fieldname, text, found)
