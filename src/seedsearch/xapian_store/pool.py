"""Ranking a cluster's matches with the folder index's own code.

Xapian finds the exact set of matches (the total, the filters) and a pool of candidates:
every match when there are few, else the best by Xapian's BM25. The candidates' parts are
then made again from their stored records (which keep their terms' positions) into a small Whoosh
index in memory, and the folder's search (:func:`..search._matches`: BM25F per part, the
soft AND, parts folded into articles, duplicates, passages, proximity, title likeness,
snippets, ``--explain``) runs on it unchanged, reading the collection's statistics (the
number of documents, each term's document frequency and occurrences, the fields' total
lengths, the passages, the spelling dictionary, the template titles) from the cluster as
a whole through :class:`GlobalReader`. With every match in the pool, the order is the
folder index's; with a pool of the best, the articles Xapian ranks past it are missed.
"""

from __future__ import annotations

import functools
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from .. import analysis, collapse, filters
from ..outline import OUTLINE, Outlines
from ..schema import ARTICLE, stored_passages
from . import layout

if TYPE_CHECKING:
    from whoosh.searching import Searcher

    from ..collapse import Columns, FoldMap
    from ..spelling import Counts, Words
    from ..synonyms import Synonyms
    from ..titles import Templates

# Every match is a candidate up to this many; past it, the best by Xapian's BM25, this
# many or a few pages past the one asked for. On the bench judgments, 50 already give the
# folder index's MRR@10 and P@1, and the same top 10 for 595 of 700 queries; 200 for 658,
# at four times the cost of a query whose candidates are not cached yet.
POOL = 100
# The folder index counts two documents besides the articles' parts (its spelling words
# and its statistics): the same number of documents gives the same idf.
RECORD_DOCUMENTS = 2
# Articles whose parts are kept made (analysing an article costs more than reading it).
CACHED_ARTICLES = 2000


class GlobalStats:
    """The collection's statistics, summed over the shards that answer (each term's asked
    once: a question to the shards is a round trip)."""

    def __init__(
        self, db: Any, shard_stats: list[dict[str, Any]], extra: dict[str, int] | None = None
    ) -> None:
        """``extra``: what articles in several parts add to terms' document frequencies
        (see :func:`.layout.extra_parts`)."""
        self.db = db
        self.extra = extra or {}
        self._asked: dict[tuple[str, str, bool], int] = {}
        known = all("parts" in s for s in shard_stats)
        parts = sum(int(s.get("parts", 0)) for s in shard_stats)
        if not known:  # a cluster indexed before these were kept: estimates
            parts = int(db.get_doccount())
        self.documents = parts + RECORD_DOCUMENTS
        self.lengths = {
            "body": sum(int(s.get("body_length", s.get("positions", 0))) for s in shard_stats),
            "title": sum(int(s.get("title_length", 0)) for s in shard_stats)
            if known
            else 5 * parts,
        }

    def doc_frequency(self, field: str, text: str) -> int | None:
        return self._ask(field, text, False)

    def frequency(self, field: str, text: str) -> int | None:
        return self._ask(field, text, True)

    def _ask(self, field: str, text: str, occurrences: bool) -> int | None:
        prefix = _PREFIXES.get(field)
        if prefix is None:
            return None
        key = (field, text, occurrences)
        found = self._asked.get(key)
        if found is None:
            term = prefix + text
            db = self.db
            if occurrences:
                found = int(db.get_collection_freq(term))
            else:
                found = int(db.get_termfreq(term)) + self.extra.get(term, 0)
            self._asked[key] = found
        return found


_PREFIXES = {"body": "", "title": layout.TITLE, **layout.FIELD_PREFIXES}


class GlobalReader:
    """A Whoosh reader of the pool answering the collection's statistics for the cluster
    as a whole (the matching, positions and lengths of each candidate stay its own)."""

    def __init__(self, reader: Any, stats: GlobalStats, stored: list[dict[str, Any]]) -> None:
        self._reader = reader
        self._stats = stats
        self._stored = stored

    def stored_fields(self, docnum: int) -> dict[str, Any]:
        return self._stored[docnum]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._reader, name)

    def __contains__(self, key: Any) -> bool:
        return key in self._reader

    def doc_count_all(self) -> int:
        return self._stats.documents

    def doc_frequency(self, field: str, text: Any) -> int:
        found = self._stats.doc_frequency(field, _text(text)) if field in _PREFIXES else None
        return self._reader.doc_frequency(field, text) if found is None else found

    def frequency(self, field: str, text: Any) -> float:
        found = self._stats.frequency(field, _text(text)) if field in _PREFIXES else None
        return self._reader.frequency(field, text) if found is None else found

    def field_length(self, field: str) -> int:
        found = self._stats.lengths.get(field)
        return self._reader.field_length(field) if found is None else found


def _text(text: Any) -> str:
    return text.decode("utf-8") if isinstance(text, bytes) else str(text)


# The fields a pool indexes: those every search reads, and the metadata filters'.
_SEARCHED = frozenset({"kind", "doc_id", "head", "title", "body"})
_FILTERS = frozenset({"author", "source", "date", "format", "folder"})
_POSTINGS = ("body", "title_terms")
TITLE_TERMS = "title_terms"


@functools.lru_cache(maxsize=1)
def _schema() -> Any:
    """The folder index's schema, its title given as postings made beforehand (see
    :class:`Made`), as its body is."""
    from ..schema import PreparedText, schema

    fields = schema()
    fields.remove("title")
    fields.remove(OUTLINE)  # read from the stored fields held in memory
    fields.add("title", PreparedText(analyzer=analysis.FrenchTokenizer()))
    return fields


class _Columns:
    """The candidates' fold keys and sketches (see :class:`..collapse.Columns`), read from
    their documents rather than written to the pool."""

    def __init__(self, stored: list[dict[str, Any]]) -> None:
        self._stored = stored

    def has_column(self, name: str) -> bool:
        return name in (collapse.KEYS, collapse.SKETCH)

    def column_reader(self, name: str) -> list[bytes]:
        return [doc.get(name) or b"" for doc in self._stored]


class PoolIndex:
    """The candidates in a Whoosh index in memory, with what the shared search asks of an
    index (see :class:`..store.Index`) answered for the whole cluster."""

    def __init__(
        self,
        parts: list[dict[str, Any]],
        stats: GlobalStats,
        spelling: Callable[[], tuple[Words, Counts]],
        passage_stats: tuple[int, float],
        templates: Templates,
        synonyms: Synonyms,
        filtering: bool = True,
    ) -> None:
        """``parts``: the candidates' documents (see :meth:`Made.documents`), in the order
        a folder index would hold them; ``filtering``: the query filters on metadata (the
        filter fields are indexed only then)."""
        from whoosh.filedb.filestore import RamStorage
        from whoosh.scoring import BM25F
        from whoosh.searching import Searcher

        ix = RamStorage().create_index(_schema())
        writer = ix.writer()
        searched = _FILTERS | _SEARCHED if filtering else _SEARCHED
        for doc in parts:
            indexed = {k: v for k, v in doc.items() if k in searched}
            writer.add_document(**{**indexed, "title": doc[TITLE_TERMS]})
        writer.commit()
        stored = [{k: v for k, v in doc.items() if k not in _POSTINGS} for doc in parts]
        # (The stored fields are kept here, not written: no text is pickled again.)
        reader = GlobalReader(ix.reader(), stats, stored)
        self._searcher = Searcher(reader, weighting=BM25F())
        self._columns = collapse.Columns(_Columns(stored))
        self._spelling = spelling
        self._passage_stats = passage_stats
        self._templates = templates
        self._synonyms = synonyms
        self.synonyms_file: str | None = None

    def searcher(self) -> Searcher:
        return self._searcher

    def synonyms(self) -> Synonyms:
        return self._synonyms

    def spelling(self, searcher: Searcher | None = None) -> tuple[Words, Counts]:
        return self._spelling()

    def passage_stats(self, searcher: Searcher | None = None) -> tuple[int, float]:
        return self._passage_stats

    def templates(self, searcher: Searcher) -> Templates:
        return self._templates

    def columns(self, searcher: Searcher) -> Columns:
        return self._columns

    def outlines(self, searcher: Searcher) -> Outlines:
        return Outlines(searcher)  # from the stored fields held in memory

    def folds(self, searcher: Searcher, build: bool = True) -> FoldMap | None:
        from ..collapse import FoldMap

        return FoldMap(self._columns) if build else None

    def siblings(self, searcher: Searcher) -> dict[int, tuple[int, ...]]:
        return collapse.siblings(searcher, self.columns(searcher))

    def field_lengths(self, searcher: Searcher, fieldname: str) -> Any:
        from ..bm25 import field_lengths

        return field_lengths(searcher.reader(), fieldname)


class Made:
    """An article's parts made into the folder index's documents, but for their body
    postings: each part's terms' positions, from which :meth:`documents` writes those of
    the terms a query asks for."""

    def __init__(self, record: dict[str, Any]) -> None:
        self.path = str(record.get("path", ""))
        self.parts: list[tuple[dict[str, Any], str | dict[str, list[int]], int]] = []
        # Each part's body length; a record written before lengths were kept holds no
        # positions either, so they are the ones analysed again (a dict).
        lengths = record.get("lengths") or []
        for n, (fields, positions) in enumerate(_made(record)):
            if n < len(lengths):
                length = int(lengths[n])
            else:
                assert isinstance(positions, dict)
                length = sum(len(found) for found in positions.values())
            self.parts.append((fields, positions, length))
        title = str(record.get("title", ""))
        self.title = [
            (raw.decode("utf-8"), freq, weight, value)
            for raw, freq, weight, value in (layout.title_field().index(title) if title else ())
        ]
        self.title_length = sum(freq for _, freq, _, _ in self.title)

    def documents(self, terms: set[str]) -> Iterator[dict[str, Any]]:
        """The article's documents, with the postings of ``terms`` only in their body (an
        index of a search's candidates holds no other): one more term holds the rest of
        the body's length, so that the field lengths are the folder index's."""
        from ..postings import encode_positions

        for fields, positions, length in self.parts:
            postings = []
            kept = 0
            for term in sorted(terms):
                if isinstance(positions, str):
                    found = layout.held_positions(positions, term)
                else:
                    found = positions.get(term)
                if not found:
                    continue
                value = encode_positions(found)
                postings.append((term.encode("utf-8"), len(found), float(len(found)), value))
                kept += len(found)
            if length > kept:
                postings.append((REST, length - kept, float(length - kept), b""))
            title = [(t.encode("utf-8"), f, w, v) for t, f, w, v in self.title if t in terms]
            kept = sum(f for _, f, _, _ in title)
            if self.title_length > kept:
                rest = self.title_length - kept
                title.append((REST, rest, float(rest), b""))
            yield {
                **fields,
                "body": analysis.Prepared(postings),
                TITLE_TERMS: analysis.Prepared(title),  # indexed as the title
            }


# The term standing for the body's terms that no query of the pool asks for.
REST = b"\x00"


class PartCache:
    """Articles made (see :class:`Made`), the most recently used kept, by what names them
    in the cluster's current state (which changes with each indexing run)."""

    def __init__(self, size: int = CACHED_ARTICLES) -> None:
        self.size = size
        self._made: OrderedDict[Any, Made] = OrderedDict()

    def get(self, key: Any) -> Made | None:
        made = self._made.get(key)
        if made is not None:
            self._made.move_to_end(key)
        return made

    def put(self, key: Any, made: Made) -> None:
        self._made[key] = made
        while len(self._made) > self.size:
            self._made.popitem(last=False)


def _made(record: dict[str, Any]) -> Iterator[tuple[dict[str, Any], str | dict[str, list[int]]]]:
    """The folder index's documents of an article (one per part, see :mod:`..prepare`)
    without their body, and the positions of each term of the body, made again from the
    stored record: each passage analysed from its first position."""
    parts = layout.parts_of(record)
    meta = record.get("meta") or {}
    doc_id, path, title = record["doc_id"], record.get("path", ""), record.get("title", "")
    text = "".join(p.get("article") or "" for p in parts)
    filter_fields = filters.index_fields(meta, path)
    folding = layout.folding(record) or collapse.columns(
        doc_id, path, text, str(meta.get("url") or ""), title
    )
    words: set[str] = set()
    held = record.get("held")
    kept = record.get("positions")  # as records kept them before held_text
    for n, part in enumerate(parts):
        positions: str | dict[str, list[int]] = {}
        if held is not None:
            positions = held[n]
        elif kept is not None:
            positions = kept[n]
        else:  # a record written before positions were kept: analysed again
            made: dict[str, list[int]] = {}
            for p, entry in zip(stored_passages(part), part["passages"], strict=True):
                analysis.add_positions(p.text, entry[5], made, words)
            positions = made
        fields = {
            "kind": ARTICLE,
            "doc_id": doc_id,
            "path": path,
            "title": title,
            "sha": record.get("sha", ""),
            "article": part.get("article"),
            "offset": part.get("offset", 0),
            "first": part.get("first", 0),
            "sections": part.get("sections"),
            "passages": [tuple(p) for p in part["passages"]],
            "meta": meta,
            **filter_fields,
            **folding,
        }
        if not part.get("offset"):
            fields["head"] = "1"
        yield fields, positions
