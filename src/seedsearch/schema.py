"""The index's layout: schema, stored fields, the metadata sidecar, and reading them back.

Shared by the writer (:mod:`.index`) and the reader (:mod:`.store`). One Whoosh document
per article (long articles in parts). Its ``body`` holds the terms of every passage with
positions laid out passage after passage (a gap between two passages keeps phrases from
spanning them), and it stores the article's text and passage table, so search can find
which passages matched from the positions alone. One more document, the *dictionary*,
holds every folded word of the collection with the number of articles using it: the
spelling dictionary behind corrections, ``prefix*`` and ``fuzzy~``, kept out of the
articles' posting lists.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from whoosh.fields import TEXT

from . import analysis
from .errors import SeedsearchError, corrupt, from_os_error, from_whoosh

if TYPE_CHECKING:
    from collections.abc import Sequence

    from whoosh.searching import Searcher

    from .documents import Passage

META_FILE = "seedsearch.json"
# Bump when the schema or what is stored changes; older indexes must be rebuilt.
SCHEMA_VERSION = 8
INDEX_NAME = "MAIN"
ARTICLE = "article"
DICTIONARY = "dictionary"  # collection statistics
WORDS = "words"  # the spelling dictionary: every folded word, with its article count
# Positions left empty between two passages: a phrase never runs across them.
PASSAGE_GAP = 8
# Articles longer than this (in characters) are indexed in parts of about this size, so
# that no index document, and no page of results, carries a huge text.
PART_CHARS = 64_000

Progress = Callable[[str, int, int], None]
"""progress(stage, done, total): stage is "scan", "index" or "commit"."""

# A passage as stored: (kind, section number, start, end, own text (see _own_text), first
# position, number of positions[, page]); the page (of a PDF) is there only when known.
StoredPassage = tuple[Any, ...]
COLLAPSED = 1


class PreparedText(TEXT):  # type: ignore[misc]
    """TEXT that indexes an :class:`analysis.Prepared` value's postings as they are, its
    positions in the compact format of :mod:`.codec`."""

    def __init__(self, **kwargs: Any) -> None:
        from .codec import CompactPositions

        super().__init__(**kwargs)
        positions: Any = getattr(self, "format")  # noqa: B009 (typed in Whoosh's class)
        self.format = CompactPositions(field_boost=positions.field_boost)

    def index(self, value: Any, **kwargs: Any) -> Any:
        if isinstance(value, analysis.Prepared):
            return value.postings
        return super().index(value, **kwargs)


def schema() -> Any:
    from whoosh.fields import COLUMN, ID, NUMERIC, STORED, Schema

    from .collapse import KEYS, SKETCH
    from .outline import OUTLINE

    french = analysis.FrenchTokenizer()
    return Schema(
        kind=ID(stored=True),
        doc_id=ID(stored=True),
        path=STORED(),
        title=TEXT(analyzer=french, stored=True),
        body=PreparedText(analyzer=french, stored=False),
        sha=STORED(),
        article=STORED(),
        sections=STORED(),
        passages=STORED(),
        offset=STORED(),
        first=STORED(),
        head=ID(),
        stats=STORED(),
        meta=STORED(),  # the article's Metadata as a dict
        # The metadata filters of the query language, on every part (a filter picks the
        # parts a word matched in): names folded as words are, the date as YYYYMMDD (a
        # column, for newest first), the format, and every folder the file is in.
        author=TEXT(analyzer=french),
        source=TEXT(analyzer=french),
        date=NUMERIC(int, bits=32, sortable=True),
        format=ID(),
        folder=ID(),
        words=STORED(),
        counts=STORED(),
        # What folds parts into articles and duplicates into one result (see collapse).
        **{KEYS: COLUMN(), SKETCH: COLUMN()},
        # What re-ranking reads of a part instead of its stored fields (see outline).
        **{OUTLINE: COLUMN()},
    )


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
    meta: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "doc_id": self.doc_id,
            "title": self.title,
            "path": self.path,
            "text": self.text,
            "passages": [asdict(p) for p in self.passages],
            "meta": self.meta,
        }


# --- metadata -------------------------------------------------------------------------
#
# What an index was built from (its roots) and when is stored inside the index, in the
# dictionary document, so that it changes in the same commit as the articles. The sidecar
# file ``seedsearch.json`` holds the schema and analysis versions, read before the index
# is opened (another version's table of contents may name classes this one no longer
# has); a first build writes it before any table of contents exists, so a table of
# contents never appears without it. After each commit it also gets a copy of the roots,
# the time and the generation, for a rebuild whose index can no longer be read.


def read_meta(index_dir: Path) -> dict[str, Any]:
    try:
        with open(index_dir / META_FILE, encoding="utf-8") as fh:
            meta = json.load(fh)
        return meta if isinstance(meta, dict) else {}
    except (OSError, ValueError):
        return {}


def write_meta(
    index_dir: Path,
    roots: Sequence[str] | None = None,
    *,
    generation: int | None = None,
    updated: str | None = None,
    files: dict[str, str] | None = None,
) -> None:
    """Write the sidecar; ``files`` maps the generation's file names to their checksums
    (see :func:`fingerprints`), which ``seedsearch check`` compares."""
    meta: dict[str, Any] = {"schema": SCHEMA_VERSION, "analysis": analysis.ANALYSIS_VERSION}
    if roots is not None:
        meta.update(roots=list(roots), updated=updated or now(), generation=generation)
    if files is not None:
        meta["files"] = files
    tmp = index_dir / f".{META_FILE}.{os.getpid()}.tmp"
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(meta, fh, indent=2)
        os.replace(tmp, index_dir / META_FILE)
    finally:
        tmp.unlink(missing_ok=True)


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def compatible(meta: dict[str, Any]) -> bool:
    return (
        meta.get("schema") == SCHEMA_VERSION and meta.get("analysis") == analysis.ANALYSIS_VERSION
    )


def toc_generations(index_dir: Path) -> list[int]:
    """Generation numbers of the index's tables of contents on disk (file names only)."""
    from whoosh.index import TOC

    pattern = TOC._pattern(INDEX_NAME)
    try:
        names = os.listdir(index_dir)
    except OSError:
        return []
    return sorted(int(m.group(1)) for n in names if (m := pattern.match(n)))


def own_file(name: str) -> bool:
    """Whether a file name in an index folder belongs to the index (never anything else
    a user keeps there): tables of contents and their temporary files, segment files,
    the lock and the sidecar."""
    from whoosh.index import TOC

    return bool(
        name.startswith(f"_{INDEX_NAME}_")
        or TOC._segment_pattern(INDEX_NAME).match(name)
        or name in (f"{INDEX_NAME}_WRITELOCK", META_FILE, f"{INDEX_NAME}.tmp")
    )


def fingerprints(index_dir: Path, generation: int, known: dict[str, str]) -> dict[str, str]:
    """Checksums of the files of ``generation`` (its table of contents and segment files).
    Segment files never change once written, so those in ``known`` are not read again."""
    import hashlib

    from whoosh.index import TOC

    pattern = TOC._segment_pattern(INDEX_NAME)
    toc = f"_{INDEX_NAME}_{generation}.toc"
    out = {}
    for name in sorted(os.listdir(index_dir)):
        if name != toc and not pattern.match(name):
            continue
        if name in known and name != toc:
            out[name] = known[name]
            continue
        digest = hashlib.blake2b(digest_size=16)
        with open(index_dir / name, "rb") as fh:
            while chunk := fh.read(1 << 20):
                digest.update(chunk)
        out[name] = digest.hexdigest()
    return out


def indexed_meta(searcher: Searcher) -> dict[str, Any]:
    """The roots, update time and what is known of each source (see :mod:`.sources`)
    committed with the index ({} for older indexes)."""
    stats = dictionary(searcher).get("stats", {})
    return {k: stats[k] for k in ("roots", "updated", "sources") if k in stats}


@contextmanager
def whoosh_errors(index_dir: Path) -> Iterator[None]:
    try:
        yield
    except SeedsearchError:
        raise
    except Exception as exc:
        mapped = from_whoosh(exc, str(index_dir))
        if mapped is None:
            raise
        raise mapped from None


@contextmanager
def reading(index_dir: Path) -> Iterator[None]:
    """Reads of an index's files: what fails there, other than a seedsearch error, is a
    damaged index (a truncated, altered or missing file) or a folder that cannot be read."""
    try:
        yield
    except SeedsearchError:
        raise
    except FileNotFoundError as exc:
        name = Path(exc.filename).name if exc.filename else "a file"
        raise corrupt(str(index_dir), f"{name} is missing") from None
    except OSError as exc:
        raise from_os_error(exc, str(index_dir), "read") from None
    except Exception as exc:
        mapped = from_whoosh(exc, str(index_dir))
        if mapped is not None:
            raise mapped from None
        raise corrupt(str(index_dir), f"{type(exc).__name__}: {exc}"[:200]) from None


# --- reading stored articles ----------------------------------------------------------


def stored_passage_fields(fields: dict[str, Any], n: int) -> tuple[int, str, str, int, int, str]:
    """(number, kind, section, start, end, text) of passage ``n`` (counted within this
    part) of an article part's stored fields."""
    kind, section, start, end, own = fields["passages"][n][:5]
    if not isinstance(own, str):
        offset = fields.get("offset", 0)
        source = fields["article"][start - offset : end - offset]
        own = " ".join(source.split()) if own == COLLAPSED else source
    return fields.get("first", 0) + n, kind, fields["sections"][section], start, end, own


def stored_passage(fields: dict[str, Any], n: int) -> Passage:
    from .documents import Passage

    entry = fields["passages"][n]
    return Passage(*stored_passage_fields(fields, n), page=entry[7] if len(entry) > 7 else None)


def stored_passages(fields: dict[str, Any]) -> list[Passage]:
    return [stored_passage(fields, n) for n in range(len(fields.get("passages", [])))]


def parts_of(searcher: Searcher, doc_id: str) -> list[dict[str, Any]]:
    parts = list(searcher.documents(doc_id=doc_id, kind=ARTICLE))
    parts.sort(key=lambda f: f.get("first", 0))
    return parts


def live(searcher: Searcher, kind: str) -> Iterator[int]:
    from whoosh.query import Term

    # Term statistics still count deleted documents until a merge; matching does not.
    return Term("kind", kind).docs(searcher)  # type: ignore[no-any-return]


def heads(searcher: Searcher) -> Iterator[int]:
    """Document numbers of every article's first part."""
    from whoosh.query import Term

    return Term("head", "1").docs(searcher)  # type: ignore[no-any-return]


def article_count(searcher: Searcher) -> int:
    return sum(1 for _ in heads(searcher))


def dictionary(searcher: Searcher, kind: str = DICTIONARY) -> dict[str, Any]:
    """Stored fields of the live dictionary (or ``WORDS``) document."""
    for docnum in live(searcher, kind):
        return searcher.stored_fields(docnum)  # type: ignore[no-any-return]
    return {}


def spelling_words(searcher: Searcher) -> tuple[list[str], list[int]]:
    """The spelling dictionary: sorted folded words and how many articles use each."""
    fields = dictionary(searcher, WORDS)
    return fields.get("words", []), fields.get("counts", [])


def manifest(searcher: Searcher) -> dict[str, tuple[int, str, str]]:
    """doc_id → (document number, content hash, path) for every article in the index."""
    out = {}
    for docnum in heads(searcher):
        fields = searcher.stored_fields(docnum)
        out[fields["doc_id"]] = (docnum, fields.get("sha", ""), fields.get("path", ""))
    return out
