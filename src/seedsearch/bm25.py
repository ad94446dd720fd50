"""BM25F over plain dicts of postings: Whoosh's scores, without a call chain per posting.

Whoosh's BM25F scorer asks the searcher for a document's field length through several
layers for every posting it scores. Here a field's lengths are read once per index
generation (one byte per document in the W3 codec's length column, decoded as Whoosh
decodes it), and the score is Whoosh's formula, term for term in the same order, so the
floats are the ones ``searcher.search`` gives.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from whoosh.searching import Searcher

Lengths = Callable[[str], Sequence[int]]  # field name → length of every document's field


def field_lengths(reader: Any, fieldname: str) -> array[int]:
    """The length of ``fieldname`` in every document of ``reader`` (by global document
    number), as the searcher's ``doc_field_length(docnum, fieldname, 1)`` gives it."""
    out: array[int] = array("q")
    for segment, offset in reader.leaf_readers():
        if len(out) != offset:  # segments are numbered one after another
            raise ValueError("segments out of order")
        count = segment.doc_count_all()
        raw = _length_bytes(segment, fieldname, count)
        if raw is None:
            out.extend(segment.doc_field_length(d, fieldname, 1) or 0 for d in range(count))
        else:
            out.extend(raw)
    return out


def _length_bytes(segment: Any, fieldname: str, count: int) -> Sequence[int] | None:
    """The decoded lengths of a W3 segment read from its length column at once, or None
    when the segment is not laid out so (another codec: read document by document)."""
    try:
        from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
        from whoosh.util.numeric import byte_to_length

        perdoc = segment._perdoc
        name = _lenfield(fieldname)
        if not perdoc.has_column(name):
            return [1] * count  # no lengths kept: Whoosh's default
        column = perdoc._cached_reader(name, LENGTHS_COLUMN)
        if column._fixedlen != 1:
            return None
        stored = min(column._count, count)
        raw = bytes(column._dbfile.get(column._basepos, stored))
    except (AttributeError, ImportError, TypeError):
        return None
    table = [byte_to_length(b) if b else 0 for b in range(256)]
    decoded = [table[b] for b in raw]
    default = table[column._default] if isinstance(column._default, int) else 0
    return decoded + [default] * (count - stored)


class Scorer:
    """Scores a term's postings in a field as the searcher's weighting would."""

    def __init__(self, searcher: Searcher, lengths: Lengths | None = None) -> None:
        from whoosh.scoring import BM25F

        self.searcher = searcher
        weighting = searcher.weighting
        # A subclass may score otherwise: only Whoosh's own BM25F is reproduced.
        self.exact = type(weighting) is BM25F
        self._weighting = weighting
        self._lengths = lengths or _lengths_of(searcher)

    def scores(self, fieldname: str, text: str, found: dict[int, float]) -> dict[int, float]:
        """Document number → score of the term, for the postings ``found`` (document
        number → weight)."""
        if not found:
            return {}
        s = self.searcher
        if not self.exact:
            return self._stepped(fieldname, text, found)
        if not s.schema[fieldname].scorable:
            return dict(found)  # Whoosh's WeightScorer
        idf, K1, B, k1_plus, one_minus_b, avgfl, lengths = self._parameters(fieldname, text)
        # whoosh.scoring.bm25(idf, tf, fl, avgfl, B, K1), operation for operation
        return {
            d: idf * ((tf * k1_plus) / (tf + K1 * (one_minus_b + B * lengths[d] / avgfl)))
            for d, tf in found.items()
        }

    def add(
        self,
        fieldname: str,
        text: str,
        found: dict[int, float],
        into: dict[int, float],
        weight: float = 1.0,
    ) -> None:
        """Add ``weight`` times the term's score of each posting ``found`` (document
        number → weight) to ``into[document]``: :meth:`scores` and the additions in one
        pass, with the same floats."""
        if not found:
            return
        if not self.exact or not self.searcher.schema[fieldname].scorable:
            for d, score in self.scores(fieldname, text, found).items():
                into[d] += weight * score
            return
        idf, K1, B, k1_plus, one_minus_b, avgfl, lengths = self._parameters(fieldname, text)
        for d, tf in found.items():  # as :meth:`scores`, then times weight
            into[d] += weight * (
                idf * ((tf * k1_plus) / (tf + K1 * (one_minus_b + B * lengths[d] / avgfl)))
            )

    def _parameters(self, fieldname: str, text: str) -> tuple[Any, ...]:
        """(idf, K1, B, K1 + 1, 1 - B, the field's mean length, the documents' lengths)."""
        s, w = self.searcher, self._weighting
        B = w._field_B.get(fieldname, w.B)
        K1 = w.K1
        avgfl = s.avg_field_length(fieldname) or 1
        return s.idf(fieldname, text), K1, B, K1 + 1, 1 - B, avgfl, self._lengths(fieldname)

    def _stepped(self, fieldname: str, text: str, found: dict[int, float]) -> dict[int, float]:
        from .postings import present

        m = self.searcher.postings(fieldname, text)
        ids, points = present(m, sorted(found), _score)
        return dict(zip(ids, points, strict=True))


def _score(m: Any) -> float:
    return float(m.score())


def _lengths_of(searcher: Searcher) -> Lengths:
    cache: dict[str, array[int]] = {}

    def lengths(fieldname: str) -> array[int]:
        if fieldname not in cache:
            cache[fieldname] = field_lengths(searcher.reader(), fieldname)
        return cache[fieldname]

    return lengths
