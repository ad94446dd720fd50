"""Reading an index: the open :class:`Index` that searches, reads articles and reports
stats.
"""

from __future__ import annotations

import os
import time
from array import array
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .collapse import Columns, FoldMap
from .errors import DocumentNotFoundError, IndexAccessError, IndexNotFoundError
from .fold_tables import Tables, for_searcher
from .generation import preflight
from .outline import Outlines
from .schema import (
    ARTICLE,
    INDEX_NAME,
    Article,
    IndexStats,
    article_count,
    dictionary,
    indexed_meta,
    live,
    parts_of,
    read_meta,
    reading,
    spelling_words,
    stored_passage,
    stored_passages,
)
from .titles import Templates, shown_title, with_shown_title

# Passages of an article read at a time for a page of it (see Index.window).
WINDOW = 100

if TYPE_CHECKING:
    from collections.abc import Iterator

    from whoosh.searching import Searcher

    from .documents import Passage
    from .refine import Refine
    from .results import Hit, SearchResult
    from .similar import SimilarResult
    from .spelling import Counts, Words
    from .synonyms import Synonyms


class Index:
    """An open index: search it, read articles, report stats.

    A searcher is kept open between calls and replaced (never ``refresh()``-ed, which
    returns stale hits in whoosh3) when another process commits a new generation.
    """

    def __init__(self, index_dir: str | os.PathLike[str]) -> None:
        from whoosh import index as windex

        self.index_dir = Path(index_dir)
        if self.index_dir.exists() and not self.index_dir.is_dir():
            raise IndexAccessError(f"cannot read the index at {self.index_dir}: not a folder")
        # Checked before opening: another version's schema may name classes this one
        # no longer has.
        preflight(self.index_dir, read_meta(self.index_dir))
        with reading(self.index_dir):  # a damaged table of contents: IndexCorruptError
            for attempt in range(5):
                try:
                    self._ix = windex.open_dir(str(self.index_dir), indexname=INDEX_NAME)
                    break
                except FileNotFoundError:
                    # A writer committing meanwhile deletes the generation just listed;
                    # a file missing every time is damage (reported by reading()).
                    if attempt == 4:
                        raise
                    time.sleep(0.01 * (attempt + 1))
            empty = not self._ix._segments()
        if empty:  # what a killed first build leaves
            self._ix.close()
            raise IndexNotFoundError(
                f"no index at {self.index_dir}: run 'seedsearch index' to build it"
            )
        self._searcher: Searcher | None = None
        self._passage_stats: tuple[int, tuple[int, float]] | None = None
        self._spelling: tuple[int, tuple[Words, Counts]] | None = None
        self.synonyms_file: str | None = None  # the user's list, besides the folder's own
        self._columns: tuple[int, Columns] | None = None
        self._tables: tuple[int, Tables] | None = None
        self._lengths: tuple[int, dict[str, array[int]]] | None = None
        self._outlines: tuple[int, Outlines] | None = None

    def synonyms(self) -> Synonyms:
        """The synonyms searches use (reloaded when a file changes)."""
        from .synonyms import for_index

        return for_index(self.index_dir, self.synonyms_file)

    def searcher(self) -> Searcher:
        """The current searcher, reopened if the index has a newer generation on disk."""
        with reading(self.index_dir):
            current = self._searcher
            if current is not None:
                try:
                    if self._ix.latest_generation() == current.reader().generation():
                        return current
                except OSError:  # a writer is swapping files; the open searcher still works
                    return current
            try:
                fresh = self._open_searcher()
            except OSError:
                if current is None:
                    raise
                return current
            self._searcher = fresh
            if current is not None:
                current.close()
            return fresh

    def _open_searcher(self, attempts: int = 5) -> Searcher:
        # A writer in another process may delete the files of the generation we are about
        # to open just after we listed it: retry on the newer one.
        from whoosh.scoring import BM25F

        for attempt in range(attempts):
            try:
                return self._ix.searcher(weighting=BM25F())  # reads the newest generation
            except OSError:
                if attempt == attempts - 1:
                    raise
                time.sleep(0.01 * (attempt + 1))
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self._searcher is not None:
            self._searcher.close()
            self._searcher = None
        self._ix.close()

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def search(
        self,
        query: str,
        limit: int = 10,
        offset: int = 0,
        explain: bool = False,
        prefix_last: bool = False,
        refine: Refine | None = None,
    ) -> SearchResult:
        """``refine``: filter options, sort order, facets (see :mod:`.refine`)."""
        from .postings import one_search
        from .search import search

        with reading(self.index_dir), one_search():
            return search(
                self,
                query,
                limit=limit,
                offset=offset,
                explain=explain,
                prefix_last=prefix_last,
                refine=refine,
            )

    def similar(self, doc_id: str, limit: int = 10) -> SimilarResult:
        """The articles most like ``doc_id`` (:mod:`.similar`)."""
        from .similar import similar

        with reading(self.index_dir):
            return similar(self, doc_id, limit)

    def search_all(
        self, query: str, prefix_last: bool = False, refine: Refine | None = None
    ) -> Iterator[Hit]:
        """Every matching article with its best passages, best first (an export)."""
        from .search import search_all

        with reading(self.index_dir):
            yield from search_all(self, query, prefix_last=prefix_last, refine=refine)

    def document(self, doc_id: str) -> Article:
        with reading(self.index_dir):
            s = self.searcher()
            parts = parts_of(s, doc_id)
        if not parts:
            raise DocumentNotFoundError(f"no document with id {doc_id!r}")
        return Article(
            doc_id=doc_id,
            title=shown_title(parts[0], self.templates(s)),
            path=parts[0].get("path", ""),
            text="".join(f.get("article", "") for f in parts),
            passages=tuple(p for f in parts for p in stored_passages(f)),
            meta=dict(parts[0].get("meta") or {}),
        )

    def document_parts(self, doc_id: str) -> Iterator[dict[str, Any]]:
        """The stored parts of an article, in order, read one at a time (so that showing
        a huge article never holds it whole); :class:`DocumentNotFoundError` if none."""
        with reading(self.index_dir):
            s = self.searcher()
            numbers = list(s.document_numbers(doc_id=doc_id, kind=ARTICLE))
            if not numbers:
                raise DocumentNotFoundError(f"no document with id {doc_id!r}")
            if len(numbers) > 1:  # ordered by their first passage, each read in turn
                numbers = [n for _, n in sorted((self._first(s, n), n) for n in numbers)]
        found = self.templates(s)
        for i, number in enumerate(numbers):
            with reading(self.index_dir):
                fields = s.stored_fields(number)
            yield with_shown_title(fields, found) if i == 0 else fields

    @staticmethod
    def _first(s: Searcher, number: int) -> int:
        return int(s.stored_fields(number).get("first", 0))

    def window(self, doc_id: str, start: int = 0, count: int = WINDOW) -> ArticleWindow:
        """Passages ``start`` to ``start + count`` of an article, reading only the parts
        that hold them (an article of megabytes is many parts)."""
        with reading(self.index_dir):
            s = self.searcher()
            docnums = sorted(s.document_numbers(doc_id=doc_id, kind=ARTICLE))
            if not docnums:
                raise DocumentNotFoundError(f"no document with id {doc_id!r}")
            head = s.stored_fields(docnums[0])
            last = head if len(docnums) == 1 else s.stored_fields(docnums[-1])
            total = last.get("first", 0) + len(last.get("passages", []))
            start = max(0, min(start, total))
            end = min(total, start + max(0, count))
            parts = _covering(s, docnums, start, end, {docnums[0]: head, docnums[-1]: last})
            passages = tuple(
                stored_passage(f, n - f.get("first", 0))
                for n in range(start, end)
                for f in parts
                if f.get("first", 0) <= n < f.get("first", 0) + len(f["passages"])
            )
            a, b = (passages[0].start, passages[-1].end) if passages else (0, 0)
            text = "".join(
                f["article"][max(0, a - f.get("offset", 0)) : max(0, b - f.get("offset", 0))]
                for f in parts
            )
        return ArticleWindow(
            doc_id=doc_id,
            title=shown_title(head, self.templates(s)),
            path=head.get("path", ""),
            passages=passages,
            passage_count=total,
            text=text,
            text_start=a,
            meta=dict(head.get("meta") or {}),
        )

    def passages(self) -> Iterator[tuple[str, Passage]]:
        """(doc_id, passage) for every passage in the index."""
        with reading(self.index_dir):
            s = self.searcher()
            for docnum in live(s, ARTICLE):
                fields = s.stored_fields(docnum)
                for p in stored_passages(fields):
                    yield fields["doc_id"], p

    def passage_stats(self, searcher: Searcher | None = None) -> tuple[int, float]:
        """(number of passages, mean passage length in words), for scoring passages.

        Pass the searcher a search is using: asking for the current one could replace it
        (and close it) under that search when another process has just committed.
        """
        s = searcher or self.searcher()
        key = s.reader().generation()
        cached = self._passage_stats
        if cached is None or cached[0] != key:
            with reading(self.index_dir):
                stats = dictionary(s).get("stats", {})
            n = int(stats.get("passages", 0))
            mean = stats.get("positions", 0) / n if n else 1.0
            cached = self._passage_stats = (key, (n, max(1.0, mean)))
        return cached[1]

    def spelling(self, searcher: Searcher | None = None) -> tuple[Words, Counts]:
        """The spelling dictionary (see :func:`spelling_words`), read once per generation
        (pass the searcher in use, as for :meth:`passage_stats`)."""
        s = searcher or self.searcher()
        key = s.reader().generation()
        if self._spelling is None or self._spelling[0] != key:
            from .spelling import read_words

            with reading(self.index_dir):
                self._spelling = (key, read_words(self.index_dir, s) or spelling_words(s))
        return self._spelling[1]

    def last_update(self) -> str:
        """When the index was last committed (ISO 8601, UTC), or ""."""
        with reading(self.index_dir):
            return str(indexed_meta(self.searcher()).get("updated", ""))

    def folds(self, searcher: Searcher, build: bool = True) -> FoldMap | None:
        """The fold map of the searcher's generation (see :class:`FoldMap`): the one read
        before, else a new one when ``build``, else None."""
        tables = self._tables
        if not build and (tables is None or tables[0] != searcher.reader().generation()):
            return None
        return self._tables_of(searcher).folds

    def siblings(self, searcher: Searcher) -> dict[int, tuple[int, ...]]:
        """The parts of the articles held in several parts (see
        :func:`.collapse.siblings`), read once per generation."""
        return self._tables_of(searcher).siblings

    def _tables_of(self, searcher: Searcher) -> Tables:
        key = searcher.reader().generation()
        if self._tables is None or self._tables[0] != key:
            with reading(self.index_dir):
                cols = self.columns(searcher)
                self._tables = (key, for_searcher(self.index_dir, searcher, cols))
        return self._tables[1]

    def field_lengths(self, searcher: Searcher, fieldname: str) -> array[int]:
        """The length of ``fieldname`` in every document (see :func:`.bm25.field_lengths`),
        read once per generation."""
        from .bm25 import field_lengths

        key = searcher.reader().generation()
        entry = self._lengths
        if entry is None or entry[0] != key:
            # A search on another generation may replace it meanwhile: keep our own.
            entry = self._lengths = (key, {})
        cached = entry[1]
        if fieldname not in cached:
            with reading(self.index_dir):
                cached[fieldname] = field_lengths(searcher.reader(), fieldname)
        return cached[fieldname]

    def templates(self, searcher: Searcher) -> Templates:
        """The template titles of the searcher's generation (see :mod:`.titles`)."""
        return self._tables_of(searcher).templates

    def columns(self, searcher: Searcher) -> Columns:
        """The searcher's column readers (opening one reads its table of offsets)."""
        key = searcher.reader().generation()
        if self._columns is None or self._columns[0] != key:
            with reading(self.index_dir):
                self._columns = (key, Columns(searcher.reader()))
        return self._columns[1]

    def outlines(self, searcher: Searcher) -> Outlines:
        """The outlines of the searcher's parts (see :mod:`.outline`)."""
        key = searcher.reader().generation()
        if self._outlines is None or self._outlines[0] != key:
            with reading(self.index_dir):
                self._outlines = (key, Outlines(searcher))
        return self._outlines[1]

    def stats(self) -> IndexStats:
        with reading(self.index_dir):
            s = self.searcher()
            reader = s.reader()
            size = sum(f.stat().st_size for f in self.index_dir.iterdir() if f.is_file())
            # What was committed with the index; older indexes kept it in the sidecar only.
            meta = indexed_meta(s) or read_meta(self.index_dir)
            return IndexStats(
                index_dir=str(self.index_dir),
                documents=article_count(s),
                passages=self.passage_stats(s)[0],
                terms=sum(1 for _ in reader.lexicon("body")),
                size_bytes=size,
                last_update=str(meta.get("updated", "")),
                roots=tuple(meta.get("roots", ())),
            )


@dataclass(frozen=True)
class ArticleWindow:
    """Some consecutive passages of an article, with what is needed to page through it."""

    doc_id: str
    title: str
    path: str
    passages: tuple[Passage, ...]
    passage_count: int  # in the whole article
    text: str = ""  # the article's text from the window's first passage to its last
    text_start: int = 0  # where that text begins in the article
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def first(self) -> int:
        return self.passages[0].n if self.passages else self.passage_count

    def to_dict(self) -> dict[str, Any]:
        """The article's JSON form, with the window's passages and the text they span
        (``text_start`` is where that text begins in the article)."""
        from dataclasses import asdict

        return {
            "doc_id": self.doc_id,
            "title": self.title,
            "path": self.path,
            "text": self.text,
            "text_start": self.text_start,
            "passages": [asdict(p) for p in self.passages],
            "meta": self.meta,
            "first": self.first,
            "passage_count": self.passage_count,
        }


def _covering(
    s: Searcher, docnums: list[int], start: int, end: int, known: dict[int, dict[str, Any]]
) -> list[dict[str, Any]]:
    """The stored fields of the parts holding passages ``start`` to ``end``. Parts are
    written in order, so their document numbers are in passage order: a binary search
    reads a few; should that ever not hold, every part is read."""

    def fields(docnum: int) -> dict[str, Any]:
        if docnum not in known:
            known[docnum] = s.stored_fields(docnum)
        return known[docnum]

    lo, hi = 0, len(docnums) - 1
    while lo < hi:  # the last part whose first passage is at or before start
        mid = (lo + hi + 1) // 2
        if fields(docnums[mid]).get("first", 0) <= start:
            lo = mid
        else:
            hi = mid - 1
    out = []
    for docnum in docnums[lo:]:
        f = fields(docnum)
        if f.get("first", 0) >= max(end, start + 1):
            break
        out.append(f)
    firsts = [f.get("first", 0) for f in out]
    covered = bool(out) and firsts[0] <= start and firsts == sorted(firsts)
    if not covered and end > start:
        out = sorted((fields(d) for d in docnums), key=lambda f: f.get("first", 0))
    return out


def open_index(index_dir: str | os.PathLike[str]) -> Index:
    return Index(index_dir)
