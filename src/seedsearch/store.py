"""Reading an index: the open :class:`Index` that searches, reads articles and reports
stats.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import DocumentNotFoundError, IndexAccessError, IndexNotFoundError
from .generation import preflight
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
    stored_passages,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from whoosh.searching import Searcher

    from .documents import Passage
    from .results import Hit, SearchResult
    from .similar import SimilarResult
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
            self._ix = windex.open_dir(str(self.index_dir), indexname=INDEX_NAME)
            empty = not self._ix._segments()
        if empty:  # what a killed first build leaves
            self._ix.close()
            raise IndexNotFoundError(
                f"no index at {self.index_dir}: run 'seedsearch index' to build it"
            )
        self._searcher: Searcher | None = None
        self._passage_stats: tuple[int, tuple[int, float]] | None = None
        self._spelling: tuple[int, tuple[list[str], list[int]]] | None = None
        self.synonyms_file: str | None = None  # the user's list, besides the folder's own

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
    ) -> SearchResult:
        from .search import search

        with reading(self.index_dir):
            return search(
                self, query, limit=limit, offset=offset, explain=explain, prefix_last=prefix_last
            )

    def similar(self, doc_id: str, limit: int = 10) -> SimilarResult:
        """The articles most like ``doc_id`` (:mod:`.similar`)."""
        from .similar import similar

        with reading(self.index_dir):
            return similar(self, doc_id, limit)

    def search_all(self, query: str, prefix_last: bool = False) -> Iterator[Hit]:
        """Every matching article with its best passages, best first (an export)."""
        from .search import search_all

        with reading(self.index_dir):
            yield from search_all(self, query, prefix_last=prefix_last)

    def document(self, doc_id: str) -> Article:
        with reading(self.index_dir):
            parts = parts_of(self.searcher(), doc_id)
        if not parts:
            raise DocumentNotFoundError(f"no document with id {doc_id!r}")
        return Article(
            doc_id=doc_id,
            title=parts[0].get("title", ""),
            path=parts[0].get("path", ""),
            text="".join(f.get("article", "") for f in parts),
            passages=tuple(p for f in parts for p in stored_passages(f)),
            meta=dict(parts[0].get("meta") or {}),
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

    def spelling(self, searcher: Searcher | None = None) -> tuple[list[str], list[int]]:
        """The spelling dictionary (see :func:`spelling_words`), read once per generation
        (pass the searcher in use, as for :meth:`passage_stats`)."""
        s = searcher or self.searcher()
        key = s.reader().generation()
        if self._spelling is None or self._spelling[0] != key:
            with reading(self.index_dir):
                self._spelling = (key, spelling_words(s))
        return self._spelling[1]

    def last_update(self) -> str:
        """When the index was last committed (ISO 8601, UTC), or ""."""
        with reading(self.index_dir):
            return str(indexed_meta(self.searcher()).get("updated", ""))

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


def open_index(index_dir: str | os.PathLike[str]) -> Index:
    return Index(index_dir)
