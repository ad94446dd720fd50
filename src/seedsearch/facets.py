"""Facets: how many of a search's results have each source, year, type and author.

Counted over every matching result, not the page shown, the way the total counts them:
the parts of an article count once, and so does a group of exact duplicates (under the
values of its best-scoring article). Nothing is read per match but numbers: a map of
the index, built once per searcher (per generation of the index), gives each document
its year (from the ``date`` column), its format, and its source and author (from the
indexed terms of those fields: the names, folded as words are, make a key); only the
names shown are read from the stored metadata, one document per name.
"""

from __future__ import annotations

import threading
import weakref
from array import array
from collections import Counter
from typing import TYPE_CHECKING, Any

from .results import FACETS, FacetValue

if TYPE_CHECKING:
    from whoosh.searching import Searcher

    from .store import Index

VALUES_SHOWN = 10  # values listed per facet, the most frequent first (years: newest first)
_NONE = -1


class FacetMap:
    """Per document of one reader: year, and the key of its format, source and author."""

    def __init__(self, searcher: Searcher) -> None:
        reader = searcher.reader()
        n = reader.doc_count_all()
        days: Any = reader.column_reader("date") if reader.has_column("date") else None
        self.year = array("i", ((d or 0) // 10000 for d in days) if days is not None else [])
        if len(self.year) < n:  # no date column: no year
            self.year = array("i", [0]) * n
        self.keys: dict[str, list[str]] = {}  # facet → its keys' names (as indexed)
        self.codes: dict[str, array[int]] = {}
        self.shown: dict[tuple[str, int], str] = {}  # (facet, key) → the name as written
        self.first: dict[tuple[str, int], int] = {}  # (facet, key) → a document holding it
        self._lock = threading.Lock()
        for facet, field in (("type", "format"), ("source", "source"), ("author", "author")):
            self._terms(reader, n, facet, field)

    def _terms(self, reader: Any, n: int, facet: str, field: str) -> None:
        """Each document's key for ``field``: its terms in that field, in term order."""
        held: dict[int, list[str]] = {}
        if field in reader.schema.names():
            for raw in reader.lexicon(field):
                term = raw.decode("utf-8") if isinstance(raw, bytes) else str(raw)
                for docnum in reader.postings(field, term).all_ids():
                    held.setdefault(docnum, []).append(term)
        codes = array("i", [_NONE]) * n
        ids: dict[str, int] = {}
        for docnum, terms in held.items():
            key = " ".join(terms)
            code = ids.setdefault(key, len(ids))
            codes[docnum] = code
            self.first.setdefault((facet, code), docnum)
        self.codes[facet] = codes
        self.keys[facet] = list(ids)

    def key(self, facet: str, code: int) -> str:
        return str(code) if facet == "year" else self.keys[facet][code]

    def name(self, searcher: Searcher, facet: str, code: int) -> str:
        """What a value is called: the year, the format, or the name as one of the
        documents holding it writes it (read once)."""
        if facet == "year":
            return str(code)
        if facet == "type":
            return self.keys[facet][code]
        known = self.shown.get((facet, code))
        if known is None:
            meta = searcher.stored_fields(self.first[(facet, code)]).get("meta") or {}
            known = " ".join(str(meta.get(facet, "")).split()) or self.keys[facet][code]
            with self._lock:
                self.shown[(facet, code)] = known
        return known


_MAPS: weakref.WeakKeyDictionary[Any, FacetMap] = weakref.WeakKeyDictionary()
_MAPS_LOCK = threading.Lock()


def facet_map(searcher: Searcher) -> FacetMap:
    """The facet map of the searcher's reader, built on first use."""
    reader = searcher.reader()
    with _MAPS_LOCK:
        found = _MAPS.get(reader)
    if found is None:
        found = FacetMap(searcher)
        with _MAPS_LOCK:
            _MAPS[reader] = found
    return found


def representatives(index: Index, searcher: Searcher, scores: dict[int, float]) -> list[int]:
    """One document per result among the matched parts ``scores``: the first part of the
    best-scoring article of each group of exact duplicates."""
    folds = index.folds(searcher, build=True)
    assert folds is not None  # built on demand
    article, group = folds.article, folds.group
    best: dict[int, tuple[float, int]] = {}
    for docnum, score in scores.items():
        a = article.get(docnum, docnum)
        g = group.get(a, a)
        here = (score, -a)
        if (seen := best.get(g)) is None or here > seen:
            best[g] = here
    return [-neg for _, neg in best.values()]


def count(
    index: Index, searcher: Searcher, scores: dict[int, float], shown: int = VALUES_SHOWN
) -> dict[str, tuple[FacetValue, ...]]:
    """The facets of a search whose matched parts are ``scores``: for each facet its
    ``shown`` most frequent values with the number of results holding each."""
    fmap = facet_map(searcher)
    docs = representatives(index, searcher, scores)
    out: dict[str, tuple[FacetValue, ...]] = {}
    for facet in FACETS:
        codes = fmap.year if facet == "year" else fmap.codes[facet]
        counts = Counter(map(codes.__getitem__, docs))  # one pass in C, no call per result
        counts.pop(0 if facet == "year" else _NONE, None)  # no date, no name
        # Ties in the order of the keys (only the names shown are read).
        top = sorted(counts.items(), key=lambda kv: (-kv[1], fmap.key(facet, kv[0])))[:shown]
        if facet == "year":
            top.sort(key=lambda kv: -kv[0])
        out[facet] = tuple(FacetValue(fmap.name(searcher, facet, code), n) for code, n in top)
    return out
