"""Exact phrases: the documents where a phrase's words follow each other.

Whoosh's phrase matcher steps through the intersection of the words' posting lists one
document at a time, and builds a span object per position of every word in each. Here the
documents holding the phrase are found first, from the postings read a block at a time:
the rarest word's documents, then only the blocks of each other word that may hold one of
those still in the running, the phrase's start positions narrowed by set arithmetic word
after word. The matcher then visits those documents only, and scores each from the words'
weights read with the positions, as Whoosh's phrase scores it (each word's BM25F, summed
in the order of its tree of matchers: the same floats).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import accumulate
from typing import TYPE_CHECKING, Any

from whoosh.query import Phrase as WhooshPhrase
from whoosh.query.spans import Span, SpanWrappingMatcher

from . import postings
from .bm25 import Lengths
from .budget import Cost

if TYPE_CHECKING:
    from whoosh.searching import Searcher

Starts = list[tuple[int, list[int]]]  # (document, the phrase's start positions), in order


def phrase_matches(
    reader: Any,
    fieldname: str,
    words: Sequence[str],
    order: Sequence[int],
    cost: Cost | None = None,
) -> tuple[Starts, list[dict[int, float]]]:
    """Each document of ``reader`` (document numbers as the reader numbers them) holding
    ``words`` one after the other, with where the phrase starts; ``order``: the words'
    indexes, rarest first (its short position lists narrow the candidates soonest);
    ``cost``: the search's, whose deadline stops a phrase of very common words. With the
    documents, each word's weight (its frequency) in each of them, word by word."""
    tick = cost.tick if cost is not None else _nothing
    # The documents holding every word first (their ids only), then the positions of those
    # only, rarest word first.
    reads = [postings.read(reader, fieldname, words[order[0]])]
    docs = sorted(reads[0].ids())
    for i in order[1:]:
        tick()
        if not docs:
            return [], [{} for _ in words]
        reads.append(postings.read(reader, fieldname, words[i], docs))
        held = reads[-1].ids()
        docs = [d for d in docs if d in held]
    values = [read.values(docs) for read in reads]
    found: Starts = []
    first, rest = values[0], list(zip(order[1:], values[1:], strict=True))
    for d in docs:
        tick()
        starts = set(_starts(first[d], order[0]))
        for i, later in rest:
            starts.intersection_update(_starts(later[d], i))
            if not starts:
                break
        else:
            found.append((d, sorted(starts)))
    matched = [d for d, _ in found]
    weights: list[dict[int, float]] = [{} for _ in words]
    for n, i in enumerate(order):
        weights[i] = reads[n].weights(matched)
    return found, weights


def _starts(value: bytes, i: int) -> Iterable[int]:
    """Where the phrase starts if its word ``i`` is at the positions of ``value`` (each
    position less ``i``), as an iterable the set operations consume in C. The deltas are
    summed from ``-i``, so ``-i`` comes first: a negative start, never among the first
    word's (``i`` = 0: summed from 0, nothing added), so never among a phrase's starts."""
    gaps = postings.position_gaps(value)
    if gaps is None:  # Whoosh's own format (the fields other than the body)
        return [p - i for p in postings.decode_positions(value)]
    return accumulate(gaps, initial=-i) if i else accumulate(gaps)


def _nothing() -> None:
    pass


class ExactPhrase(WhooshPhrase):  # type: ignore[misc]
    """Whoosh's phrase query (its words next to each other, in order), matched from the
    documents :func:`phrase_matches` finds, segment by segment (kept for the query: a
    search asks again for the parts of long articles, over the whole index)."""

    def __init__(self, *args: Any, cost: Cost | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cost = cost
        self._found: dict[int, tuple[Any, Starts, list[dict[int, float]]]] = {}

    def _matches(self, reader: Any) -> tuple[Starts, list[dict[int, float]]]:
        out: Starts = []
        weights: list[dict[int, float]] = [{} for _ in self.words]
        for leaf, offset in reader.leaf_readers():
            kept = self._found.get(id(leaf))
            if kept is None or kept[0] is not leaf:
                order = sorted(
                    range(len(self.words)),
                    key=lambda i: leaf.doc_frequency(self.fieldname, self.words[i]),
                )
                kept = self._found[id(leaf)] = (
                    leaf,
                    *phrase_matches(leaf, self.fieldname, self.words, order, self.cost),
                )
            out += [(d + offset, starts) for d, starts in kept[1]] if offset else kept[1]
            for mine, theirs in zip(weights, kept[2], strict=True):
                mine.update((d + offset, w) for d, w in theirs.items())
        return out, weights

    def matcher(self, searcher: Searcher, context: Any = None) -> Any:
        from whoosh import matching
        from whoosh.query import Term

        reader = searcher.reader()
        if any((self.fieldname, word) not in reader for word in self.words):
            return matching.NullMatcher()
        found, weights = self._matches(reader)
        if not found:
            return matching.NullMatcher()
        ms = [Term(self.fieldname, word).matcher(searcher, context) for word in self.words]
        scores = None  # none asked (a boolean context), or asked of the words' matchers
        weighting = searcher.get_parent().weighting
        if context is None or context.weighting is weighting:
            scores = _scores(searcher, self.fieldname, self.words, found, weights)
        m = _PhraseMatcher(ms, found, len(self.words) - 1, scores=scores)
        return matching.WrappingMatcher(m, boost=self.boost) if self.boost != 1.0 else m


def phrase_scores(
    searcher: Searcher,
    q: ExactPhrase,
    among: Sequence[int] | None = None,
    lengths: Lengths | None = None,
) -> dict[int, float]:
    """Document → the score ``q``'s matcher gives it, of every document ``searcher``
    (of the whole index, scoring with Whoosh's BM25F) finds it in (of those ``among``
    the documents given, when given), boost aside; ``lengths``: the index's field
    lengths, when the caller holds them (else each document's is asked of Whoosh)."""
    reader = searcher.reader()
    if any((q.fieldname, word) not in reader for word in q.words):
        return {}
    found, weights = q._matches(reader)
    if among is not None:
        keep = set(among)
        found = [(d, starts) for d, starts in found if d in keep]
        weights = [{d: w[d] for d, _ in found} for w in weights]
    if not found:
        return {}
    scores = _scores(searcher, q.fieldname, q.words, found, weights, lengths)
    assert scores is not None  # (BM25F)
    return scores


def _scores(
    searcher: Searcher,
    fieldname: str,
    words: Sequence[str],
    found: Starts,
    weights: list[dict[int, float]],
    lengths: Lengths | None = None,
) -> dict[int, float] | None:
    """Document → the score Whoosh's phrase query gives it (the sum, over the tree of
    intersections of the words' matchers, of each word's BM25F score), from the words'
    weights; None when the searcher scores otherwise (the matchers are asked then).
    ``lengths``: the field lengths of ``searcher``'s documents, when the caller has them."""
    from .bm25 import Scorer

    # Whoosh's scorer takes the collection's statistics from the searcher of the whole index
    # (a segment's searcher has it for parent), and each document's length from its own.
    parent = searcher.get_parent()
    if lengths is not None and parent is searcher:
        scorer = Scorer(parent, lengths)
    else:
        held = {d: searcher.doc_field_length(d, fieldname, 1) for d, _ in found}
        scorer = Scorer(parent, lambda _: held)  # type: ignore[arg-type,return-value]
    if not scorer.exact:
        return None
    each = [scorer.scores(fieldname, word, w) for word, w in zip(words, weights, strict=True)]
    return {d: _tree_sum([s[d] for s in each]) for d, _ in found}


def _tree_sum(values: list[float]) -> float:
    """The sum in the order Whoosh's binary tree of intersection matchers adds scores."""
    if len(values) == 1:
        return values[0]
    half = len(values) // 2
    return _tree_sum(values[:half]) + _tree_sum(values[half:])


class _PhraseMatcher(SpanWrappingMatcher):  # type: ignore[misc]
    """The documents of ``found``, in order, each scored from ``scores``, or else by the
    intersection of the words' matchers ``ms`` (which holds every one of them) moved to it."""

    def __init__(
        self,
        ms: list[Any],
        found: Starts,
        width: int,
        at: int = 0,
        scores: dict[int, float] | None = None,
    ) -> None:
        from whoosh.matching import IntersectionMatcher
        from whoosh.util import make_binary_tree

        self.ms, self.found, self.width, self.at, self.scores = ms, found, width, at, scores
        super().__init__(make_binary_tree(IntersectionMatcher, ms))

    def _find_next(self) -> None:
        if self.at < len(self.found):
            if self.scores is None:
                self._move_child()
            self._spans = [Span(p, p + self.width) for p in self.found[self.at][1]]

    def _move_child(self) -> None:
        # Where Whoosh's stepped through the child's documents, the child goes to ours.
        docnum = self.found[self.at][0]
        if self.child.id() != docnum:
            self.child.skip_to(docnum)

    def score(self) -> float:
        if self.scores is not None:
            return self.scores[self.found[self.at][0]]
        return float(self.child.score())

    def weight(self) -> float:
        self._move_child()
        return float(self.child.weight())

    def value(self) -> Any:
        self._move_child()
        return self.child.value()

    def is_active(self) -> bool:
        return self.at < len(self.found)

    def id(self) -> int:
        return self.found[self.at][0]

    def next(self) -> None:
        self.at += 1
        self._find_next()

    def skip_to(self, docnum: int) -> None:
        while self.at < len(self.found) and self.found[self.at][0] < docnum:
            self.at += 1
        self._find_next()

    def all_ids(self) -> Any:
        return iter([d for d, _ in self.found[self.at :]])

    def supports_block_quality(self) -> bool:
        return False  # the child's blocks are not this matcher's documents

    def copy(self) -> _PhraseMatcher:
        ms = [m.copy() for m in self.ms]
        return _PhraseMatcher(ms, self.found, self.width, self.at, self.scores)

    def replace(self, minquality: float = 0) -> Any:
        from whoosh.matching import NullMatcher

        return self if self.is_active() else NullMatcher()

    def _get_spans(self) -> list[Any]:
        return list(self._spans or [])
