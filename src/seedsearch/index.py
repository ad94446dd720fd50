"""Stage 3: the index — schema, building and incremental updating, reading articles back.

One Whoosh document per passage. The first passage of each article (``head``) also
stores the article's full text and content hash, so the index alone can show an article
and knows which files changed. Everything a run changes lands in one Whoosh commit, so a
crash leaves the previous generation searchable.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import analysis
from .errors import (
    DocumentNotFoundError,
    IndexNotFoundError,
    IndexVersionError,
    SeedsearchError,
    SourceError,
    from_whoosh,
)

if TYPE_CHECKING:
    from whoosh.searching import Searcher

    # Documents are only read when indexing; searching does not import that stage.
    from .documents import Document, Passage, Skipped, SourceFile
    from .search import SearchResult

META_FILE = "seedsearch.json"
# Bump when the schema or what is stored changes; older indexes must be rebuilt.
SCHEMA_VERSION = 2
INDEX_NAME = "MAIN"

Progress = Callable[[str, int, int], None]
"""progress(stage, done, total): stage is "scan", "index" or "commit"."""


def _schema() -> Any:
    from whoosh.fields import ID, STORED, TEXT, FieldType, Schema
    from whoosh.formats import Existence

    french = analysis.FrenchTokenizer()
    return Schema(
        doc_id=ID(stored=True),
        head=ID(),
        path=STORED(),
        section=STORED(),
        kind=STORED(),
        n=STORED(),
        start=STORED(),
        end=STORED(),
        # The title is indexed once, on the article's head passage; every passage keeps a
        # stored copy to show. Search adds the title's weight when it ranks passages.
        title=TEXT(analyzer=french, stored=False),
        doc_title=STORED(),
        body=TEXT(analyzer=french, stored=True),
        # Folded, unstemmed words of each article, for corrections, prefixes and fuzzy terms.
        spell=FieldType(
            format=Existence(), analyzer=analysis.FoldedTokenizer(), scorable=False, stored=False
        ),
        sha=STORED(),
        article=STORED(),
        passages=STORED(),
    )


@dataclass(frozen=True)
class IndexReport:
    """What one ``update_index`` run did."""

    index_dir: str
    added: int
    updated: int
    removed: int
    unchanged: int
    skipped: tuple[Skipped, ...]
    documents: int
    passages: int
    seconds: float
    megabytes: float

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["skipped"] = [asdict(s) for s in self.skipped]
        return d


@dataclass(frozen=True)
class IndexStats:
    index_dir: str
    documents: int
    passages: int
    terms: int
    size_bytes: int
    last_update: str
    roots: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Article:
    """A whole indexed article with its passages, as ``show`` and the web page read it."""

    doc_id: str
    title: str
    path: str
    text: str
    passages: tuple[Passage, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {
            "doc_id": self.doc_id,
            "title": self.title,
            "path": self.path,
            "text": self.text,
            "passages": [asdict(p) for p in self.passages],
        }


# --- metadata sidecar ------------------------------------------------------------------


def _read_meta(index_dir: Path) -> dict[str, Any]:
    try:
        with open(index_dir / META_FILE, encoding="utf-8") as fh:
            meta = json.load(fh)
        return meta if isinstance(meta, dict) else {}
    except (OSError, ValueError):
        return {}


def _write_meta(index_dir: Path, roots: Sequence[str]) -> None:
    meta = {
        "schema": SCHEMA_VERSION,
        "analysis": analysis.ANALYSIS_VERSION,
        "roots": list(roots),
        "updated": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    tmp = index_dir / f".{META_FILE}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(meta, fh, indent=2)
    os.replace(tmp, index_dir / META_FILE)


def _compatible(meta: dict[str, Any]) -> bool:
    return (
        meta.get("schema") == SCHEMA_VERSION and meta.get("analysis") == analysis.ANALYSIS_VERSION
    )


@contextmanager
def _whoosh_errors(index_dir: Path) -> Iterator[None]:
    try:
        yield
    except SeedsearchError:
        raise
    except Exception as exc:
        mapped = from_whoosh(exc, str(index_dir))
        if mapped is None:
            raise
        raise mapped from None


# --- building and updating -------------------------------------------------------------


def _documents_of(doc: Document) -> Iterator[dict[str, Any]]:
    title = analysis.Analysed(doc.title)
    words: set[str] = {t.folded for t in title.tokens if not t.joined}
    for p in doc.passages:
        body = analysis.Analysed(p.text)
        words.update(t.folded for t in body.tokens if not t.joined)
        fields: dict[str, Any] = {
            "doc_id": doc.doc_id,
            "path": doc.path,
            "section": p.section,
            "kind": p.kind,
            "n": p.n,
            "start": p.start,
            "end": p.end,
            "doc_title": doc.title,
            "body": body,
            "_stored_body": p.text,
        }
        if p.n == 0:
            fields.update(
                head="1", title=title, sha=doc.sha, article=doc.text, passages=len(doc.passages)
            )
            head = fields
        else:
            yield fields
    # The head goes last, once every passage has added its words to the spelling list.
    head["spell"] = sorted(words)
    yield head


def _article_count(searcher: Searcher) -> int:
    # Term statistics still count deleted documents until a merge; matching does not.
    from whoosh.query import Term

    return sum(1 for _ in Term("head", "1").docs(searcher))


def _manifest(searcher: Searcher) -> dict[str, tuple[str, str]]:
    """doc_id → (content hash, path) for every article in the index."""
    out = {}
    for fields in searcher.documents(head="1"):
        out[fields["doc_id"]] = (fields.get("sha", ""), fields.get("path", ""))
    return out


def update_index(
    index_dir: str | os.PathLike[str],
    paths: Sequence[str | os.PathLike[str]] | None = None,
    *,
    rebuild: bool = False,
    progress: Progress | None = None,
) -> IndexReport:
    """Bring the index at ``index_dir`` in line with the article files under ``paths``.

    Without ``paths`` the index keeps the sources it was last built from, or starts with
    the bundled corpus. Only files whose content hash changed are re-analysed; files
    that disappeared are removed. ``rebuild`` re-analyses everything. All changes land in
    one commit.
    """
    from whoosh import index as windex
    from whoosh.writing import CLEAR

    from .documents import bundled_corpus, scan

    started = time.perf_counter()
    index_dir = Path(index_dir)
    meta = _read_meta(index_dir)
    if paths:
        roots = [str(Path(p).expanduser().absolute()) for p in paths]
    else:
        roots = list(meta.get("roots") or [str(bundled_corpus())])
    report = progress or (lambda stage, done, total: None)

    report("scan", 0, 0)
    sources, skipped = scan(roots)
    report("scan", len(sources), len(sources))

    with _whoosh_errors(index_dir):
        exists = index_dir.is_dir() and windex.exists_in(str(index_dir), INDEX_NAME)
        if exists and not _compatible(meta) and not rebuild:
            raise IndexVersionError(
                f"the index at {index_dir} was built by another seedsearch version: "
                "run 'seedsearch index --rebuild'"
            )
        if exists and _compatible(meta):
            ix = windex.open_dir(str(index_dir), indexname=INDEX_NAME)
        else:
            index_dir.mkdir(parents=True, exist_ok=True)
            ix = windex.create_in(str(index_dir), _schema(), indexname=INDEX_NAME)
            rebuild = True
        try:
            writer = ix.writer(limitmb=256, compound=False)
        except Exception as exc:
            ix.close()
            mapped = from_whoosh(exc, str(index_dir))
            raise (mapped or exc) from None
        try:
            counts = _apply(ix, writer, sources, skipped, rebuild, report)
            if counts["changed"] or rebuild:
                report("commit", 0, 1)
                writer.commit(mergetype=CLEAR) if rebuild else writer.commit()
                report("commit", 1, 1)
            else:
                writer.cancel()
        except BaseException:
            if not getattr(writer, "is_closed", False):  # a failed commit closes the writer
                writer.cancel()
            ix.close()
            raise
        _write_meta(index_dir, roots)
        with ix.searcher() as s:
            documents = _article_count(s)
            passages = s.doc_count()
        ix.close()
    return IndexReport(
        index_dir=str(index_dir),
        added=counts["added"],
        updated=counts["updated"],
        removed=counts["removed"],
        unchanged=counts["unchanged"],
        skipped=tuple(skipped),
        documents=documents,
        passages=passages,
        seconds=time.perf_counter() - started,
        megabytes=counts["bytes"] / 1e6,
    )


def _apply(
    ix: Any,
    writer: Any,
    sources: list[SourceFile],
    skipped: list[Skipped],
    rebuild: bool,
    report: Progress,
) -> dict[str, int]:
    from .documents import Skipped, content_hash, doc_id_for, parse_document, read_bytes

    with ix.searcher() as s:
        manifest = {} if rebuild else _manifest(s)
    counts = dict(added=0, updated=0, removed=0, unchanged=0, changed=0, bytes=0)
    seen: set[str] = set()
    total = len(sources)
    for i, source in enumerate(sources):
        report("index", i, total)
        doc_id = doc_id_for(source.key)
        try:
            data = read_bytes(source)
        except SourceError as err:
            skipped.append(Skipped(str(source.path), err.message))
            continue
        known = manifest.get(doc_id)
        if known is not None and known[0] == content_hash(data) and known[1] == str(source.path):
            seen.add(doc_id)
            counts["unchanged"] += 1
            continue
        try:
            doc = parse_document(source, data)
        except SourceError as err:
            skipped.append(Skipped(str(source.path), err.message))
            continue
        seen.add(doc_id)
        if known is not None:
            writer.delete_by_term("doc_id", doc_id)
            counts["updated"] += 1
        else:
            counts["added"] += 1
        counts["bytes"] += len(data)
        for fields in _documents_of(doc):
            writer.add_document(**fields)
    report("index", total, total)
    for doc_id in manifest.keys() - seen:
        writer.delete_by_term("doc_id", doc_id)
        counts["removed"] += 1
    counts["changed"] = counts["added"] + counts["updated"] + counts["removed"]
    return counts


# --- reading ---------------------------------------------------------------------------


class Index:
    """An open index: search it, read articles, report stats.

    A searcher is kept open between calls and replaced (never ``refresh()``-ed, which
    returns stale hits in whoosh3) when another process commits a new generation.
    """

    def __init__(self, index_dir: str | os.PathLike[str]) -> None:
        from whoosh import index as windex

        self.index_dir = Path(index_dir)
        if not self.index_dir.is_dir():
            raise IndexNotFoundError(
                f"no index at {self.index_dir}: run 'seedsearch index' to build it"
            )
        with _whoosh_errors(self.index_dir):  # no table of contents: IndexNotFoundError
            self._ix = windex.open_dir(str(self.index_dir), indexname=INDEX_NAME)
        if not _compatible(_read_meta(self.index_dir)):
            self._ix.close()
            raise IndexVersionError(
                f"the index at {self.index_dir} was built by another seedsearch version: "
                "run 'seedsearch index --rebuild'"
            )
        self._searcher: Searcher | None = None

    def searcher(self) -> Searcher:
        """The current searcher, reopened if the index has a newer generation on disk."""
        with _whoosh_errors(self.index_dir):
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

    def search(self, query: str, limit: int = 10, offset: int = 0) -> SearchResult:
        from .search import search

        return search(self, query, limit=limit, offset=offset)

    def document(self, doc_id: str) -> Article:
        from .documents import Passage

        stored = list(self.searcher().documents(doc_id=doc_id))
        if not stored:
            raise DocumentNotFoundError(f"no document with id {doc_id!r}")
        stored.sort(key=lambda f: f["n"])
        head = stored[0]
        return Article(
            doc_id=doc_id,
            title=head["doc_title"],
            path=head["path"],
            text=head.get("article", ""),
            passages=tuple(
                Passage(f["n"], f["kind"], f["section"], f["start"], f["end"], f["body"])
                for f in stored
            ),
        )

    def passages(self) -> Iterator[tuple[str, Passage]]:
        """(doc_id, passage) for every passage in the index."""
        from .documents import Passage

        for fields in self.searcher().all_stored_fields():
            yield (
                fields["doc_id"],
                Passage(
                    fields["n"],
                    fields["kind"],
                    fields["section"],
                    fields["start"],
                    fields["end"],
                    fields["body"],
                ),
            )

    def stats(self) -> IndexStats:
        s = self.searcher()
        reader = s.reader()
        size = sum(f.stat().st_size for f in self.index_dir.iterdir() if f.is_file())
        meta = _read_meta(self.index_dir)
        return IndexStats(
            index_dir=str(self.index_dir),
            documents=_article_count(s),
            passages=s.doc_count(),
            terms=sum(1 for _ in reader.lexicon("body")),
            size_bytes=size,
            last_update=str(meta.get("updated", "")),
            roots=tuple(meta.get("roots", ())),
        )


def open_index(index_dir: str | os.PathLike[str]) -> Index:
    return Index(index_dir)
