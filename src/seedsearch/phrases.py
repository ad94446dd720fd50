"""Exact phrases: the documents where a phrase's words follow each other.

Whoosh's phrase matcher steps through the intersection of the words' posting lists one
document at a time, and builds a span object per position of every word in each. Here the
documents holding the phrase are found first, from the postings read a block at a time:
the rarest word's documents, then only the blocks of each other word that may hold one of
those still in the running, the phrase's start positions narrowed by set arithmetic word
after word. The matcher then visits those documents only, and scores each with the words'
matchers as Whoosh's phrase would (the same sum, in the same order: the same score).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from whoosh.query import Phrase as WhooshPhrase
from whoosh.query.spans import Span, SpanWrappingMatcher

from . import postings
from .budget import Cost

if TYPE_CHECKING:
    from whoosh.searching import Searcher

Starts = list[tuple[int, list[int]]]  # (document, the phrase's start positions), in order


def phrase_starts(
    reader: Any,
    fieldname: str,
    words: Sequence[str],
    order: Sequence[int],
    cost: Cost | None = None,
) -> Starts:
    """Each document of ``reader`` (document numbers as the reader numbers them) holding
    ``words`` one after the other, with where the phrase starts; ``order``: the words'
    indexes, rarest first (its short position lists narrow the candidates soonest);
    ``cost``: the search's, whose deadline stops a phrase of very common words."""
    tick = cost.tick if cost is not None else _nothing
    # The documents holding every word first (their ids only), then the positions of those
    # only, rarest word first.
    reads = [postings.read(reader, fieldname, words[order[0]])]
    docs = sorted(reads[0].ids())
    for i in order[1:]:
        tick()
        if not docs:
            return []
        reads.append(postings.read(reader, fieldname, words[i], docs))
        held = reads[-1].ids()
        docs = [d for d in docs if d in held]
    values = [read.values(docs) for read in reads]
    found: Starts = []
    for d in docs:
        tick()
        starts: set[int] = set()
        for n, i in enumerate(order):
            shifted = [p - i for p in postings.decode_positions(values[n][d])]
            starts = set(shifted) if n == 0 else starts.intersection(shifted)
            if not starts:
                break
        else:
            found.append((d, sorted(starts)))
    return found


def _nothing() -> None:
    pass


class ExactPhrase(WhooshPhrase):  # type: ignore[misc]
    """Whoosh's phrase query (its words next to each other, in order), matched from the
    documents :func:`phrase_starts` finds, segment by segment (kept for the query: a
    search asks again for the parts of long articles, over the whole index)."""

    def __init__(self, *args: Any, cost: Cost | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cost = cost
        self._found: dict[int, tuple[Any, Starts]] = {}

    def _starts(self, reader: Any) -> Starts:
        out: Starts = []
        for leaf, offset in reader.leaf_readers():
            kept = self._found.get(id(leaf))
            if kept is None or kept[0] is not leaf:
                order = sorted(
                    range(len(self.words)),
                    key=lambda i: leaf.doc_frequency(self.fieldname, self.words[i]),
                )
                kept = self._found[id(leaf)] = (
                    leaf,
                    phrase_starts(leaf, self.fieldname, self.words, order, self.cost),
                )
            out += [(d + offset, starts) for d, starts in kept[1]] if offset else kept[1]
        return out

    def matcher(self, searcher: Searcher, context: Any = None) -> Any:
        from whoosh import matching
        from whoosh.query import Term

        reader = searcher.reader()
        if any((self.fieldname, word) not in reader for word in self.words):
            return matching.NullMatcher()
        found = self._starts(reader)
        if not found:
            return matching.NullMatcher()
        ms = [Term(self.fieldname, word).matcher(searcher, context) for word in self.words]
        m = _PhraseMatcher(ms, found, len(self.words) - 1)
        return matching.WrappingMatcher(m, boost=self.boost) if self.boost != 1.0 else m


class _PhraseMatcher(SpanWrappingMatcher):  # type: ignore[misc]
    """The documents of ``found``, in order, each scored by the intersection of the words'
    matchers ``ms`` (which holds every one of them) moved to it."""

    def __init__(self, ms: list[Any], found: Starts, width: int, at: int = 0) -> None:
        from whoosh.matching import IntersectionMatcher
        from whoosh.util import make_binary_tree

        self.ms, self.found, self.width, self.at = ms, found, width, at
        super().__init__(make_binary_tree(IntersectionMatcher, ms))

    def _find_next(self) -> None:
        # Where Whoosh's stepped through the child's documents, the child goes to ours.
        if self.at < len(self.found):
            docnum = self.found[self.at][0]
            if self.child.id() != docnum:
                self.child.skip_to(docnum)
            self._spans = [Span(p, p + self.width) for p in self.found[self.at][1]]

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
        return _PhraseMatcher([m.copy() for m in self.ms], self.found, self.width, self.at)

    def replace(self, minquality: float = 0) -> Any:
        from whoosh.matching import NullMatcher

        return self if self.is_active() else NullMatcher()

    def _get_spans(self) -> list[Any]:
        return list(self._spans or [])
