"""Queries over a file held in parts: the file matches as one article.

The index holds a long article in parts (see ``schema.PART_CHARS``) and Whoosh matches a
query part by part. A file whose words sit in different parts would then miss an AND, and
a part without an excluded word would let its file through a NOT. Here the query's
boolean structure is evaluated again over the parts of such articles only (a few hundred
documents in a large index, each leaf skipping through its postings to them): an article
matches when its parts together match, and its parts score the query words they hold.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import boolean
from .bm25 import Lengths
from .budget import Cost
from .compile import is_filter
from .postings import present

if TYPE_CHECKING:
    from whoosh.searching import Searcher

Siblings = dict[int, tuple[int, ...]]  # a part of a multi-part article → all its parts


def whole_articles(
    searcher: Searcher,
    q: Any,
    scores: dict[int, float],
    siblings: Siblings,
    cost: Cost,
    title: Any = None,
    lengths: Lengths | None = None,
) -> dict[int, float]:
    """``scores`` (part → score of the parts matching ``q`` on their own) with the
    multi-part articles matched as wholes: the parts of an article that does not match
    (an excluded word in another part) are dropped, and every part of one that does
    scores the query's words it holds (plus ``title``, the title's share, when given).
    ``lengths``: the fields' lengths (read from the index if not given)."""
    if not siblings:
        return scores
    parts = sorted(siblings)
    matched = _articles(searcher, q, parts, siblings, cost, lengths)
    out = {d: s for d, s in scores.items() if d not in siblings}
    wanted = [d for d in parts if siblings[d][0] in matched]
    if not wanted:
        return out
    leaves = _positive_leaves(q)
    if not leaves:
        return out
    from whoosh.query import AndMaybe, Or

    scorer: Any = leaves[0] if len(leaves) == 1 else Or(leaves)
    read = boolean.and_maybe(searcher, scorer, title, cost, lengths, wanted)
    if read is not None:  # as AndMaybe(scorer, title) below
        out.update(read)
        return out
    if title is not None:
        scorer = AndMaybe(scorer, title)
    cost.check()
    found, points = present(scorer.matcher(searcher, searcher.context()), wanted, _score)
    out.update(zip(found, points, strict=True))
    return out


def _score(m: Any) -> float:
    return float(m.score() or 0.0)


def _articles(
    searcher: Searcher,
    q: Any,
    parts: list[int],
    siblings: Siblings,
    cost: Cost,
    lengths: Lengths | None = None,
) -> set[int]:
    """The multi-part articles (named by their first part) whose parts together match
    ``q``: an AND holds when each of its branches is held by some part, a NOT when no
    part holds the excluded query."""
    from whoosh.query import And, AndNot, Or

    if isinstance(q, AndNot):
        return _articles(searcher, q.a, parts, siblings, cost, lengths) - _articles(
            searcher, q.b, parts, siblings, cost, lengths
        )
    if type(q) is And:
        each = [_articles(searcher, sub, parts, siblings, cost, lengths) for sub in q.subqueries]
        return set.intersection(*each) if each else set()
    if isinstance(q, Or):
        return set().union(
            *(_articles(searcher, s, parts, siblings, cost, lengths) for s in q.subqueries)
        )
    held = boolean.scores(searcher, q, cost, lengths, parts)
    if held is not None:
        return {siblings[d][0] for d in held}
    cost.check()
    m = q.matcher(searcher, searcher.boolean_context())
    return {siblings[d][0] for d in present(m, parts, _nothing)[0]}


def _nothing(m: Any) -> None:
    return None


def _positive_leaves(q: Any) -> list[Any]:
    """The queries under ``q`` that add to a part's score: not the excluded ones, not the
    metadata filters."""
    from whoosh.query import And, AndNot, Or

    if isinstance(q, AndNot):
        return _positive_leaves(q.a)
    if type(q) is And or isinstance(q, Or):
        return [leaf for sub in q.subqueries for leaf in _positive_leaves(sub)]
    return [] if is_filter(q) else [q]
