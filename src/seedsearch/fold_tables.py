"""What an index generation's fold column says of all its documents, read once: which parts
make one article (see :func:`.collapse.siblings`), which articles are exact duplicates (see
:class:`.collapse.FoldMap`) and which titles are templates (see :mod:`.titles`).

Reading them takes a scan of every document (tens of milliseconds on ten thousand
articles), which a new process would pay at its first search: they are kept in a file
beside the index, written when the index is committed (or by the first search that scans
them), whose header names the generation and segments it was read from. A file of another
generation, another version of this format, or that cannot be read is ignored: the scan is
made again, so the file never gives another answer than the index does.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .collapse import Columns, FoldMap, fold_of, rows, siblings_of
from .titles import Templates, templates

if TYPE_CHECKING:
    from whoosh.searching import Searcher

    from .manifest import Identity

TABLES_FILE = "seedsearch-folds.json"
TABLES_VERSION = 1


@dataclass(frozen=True)
class Tables:
    """An index generation's articles in parts, duplicates and template titles."""

    siblings: dict[int, tuple[int, ...]]
    folds: FoldMap
    templates: Templates


def scan(searcher: Searcher, cols: Columns) -> Tables:
    """The tables, read from the index (its deleted documents left out)."""
    reader = searcher.reader()
    values = list(cols.values())
    if reader.has_deletions():
        live = [(d, v) for d, v in enumerate(values) if not reader.is_deleted(d)]
    else:
        live = list(enumerate(values))
    return Tables(
        siblings=siblings_of(live),
        folds=fold_of(live),
        templates=templates(rows(v for _, v in live)),
    )


def for_searcher(index_dir: Path, searcher: Searcher, cols: Columns) -> Tables:
    """The tables of the searcher's generation: from the file when it is of that generation,
    else scanned (and the file written for the next process, when the folder allows)."""
    from .manifest import reader_identity

    ident = reader_identity(searcher.reader())
    found = read(index_dir, ident, searcher.doc_count_all())
    if found is not None:
        return found
    tables = scan(searcher, cols)
    if os.access(index_dir, os.W_OK):
        write(index_dir, ident, tables)
    return tables


def write_for(index_dir: Path, ix: Any) -> None:
    """Write the file for the generation a Whoosh index has on disk (at commit time)."""
    from .manifest import reader_identity

    with ix.searcher() as searcher:
        ident = reader_identity(searcher.reader())
        if read(index_dir, ident, searcher.doc_count_all()) is None:
            write(index_dir, ident, scan(searcher, Columns(searcher.reader())))


def write(index_dir: Path, ident: Identity, tables: Tables) -> None:
    """Replace the file atomically. Failing loses nothing: searches scan the index."""
    parts = sorted({group for group in tables.siblings.values()})
    body = {
        "version": TABLES_VERSION,
        "generation": ident[0],
        "segments": ident[1],
        "siblings": [list(group) for group in parts],
        "article": sorted(tables.folds.article.items()),
        "group": sorted(tables.folds.group.items()),
        "templates": sorted(tables.templates),
    }
    tmp = index_dir / f".{TABLES_FILE}.{os.getpid()}.tmp"
    try:
        # ASCII: a path's lone surrogates (undecodable file names) are escaped, not lost.
        tmp.write_bytes(json.dumps(body, separators=(",", ":")).encode("ascii"))
        os.replace(tmp, index_dir / TABLES_FILE)
    except OSError:
        pass
    finally:
        tmp.unlink(missing_ok=True)


def read(index_dir: Path, ident: Identity, documents: int) -> Tables | None:
    """The tables in the file, or None when it is missing, damaged, or of another
    generation or version (``documents``: how many the generation numbers)."""
    try:
        body = json.loads((index_dir / TABLES_FILE).read_bytes())
        if (
            body["version"] != TABLES_VERSION
            or body["generation"] != ident[0]
            or body["segments"] != ident[1]
        ):
            return None
        return _tables(body, documents)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _tables(body: dict[str, Any], documents: int) -> Tables | None:
    def docnum(x: Any) -> int:
        if type(x) is not int or not 0 <= x < documents:
            raise ValueError(x)
        return x

    def text(x: Any) -> str:
        if type(x) is not str:
            raise ValueError(x)
        return x

    found: dict[int, tuple[int, ...]] = {}
    for group in body["siblings"]:
        parts = tuple(docnum(d) for d in group)
        for d in parts:
            found[d] = parts
    article = {docnum(d): docnum(a) for d, a in body["article"]}
    grouped = {docnum(a): docnum(g) for a, g in body["group"]}
    kept = frozenset((text(folder), text(key)) for folder, key in body["templates"])
    return Tables(siblings=found, folds=FoldMap(article=article, group=grouped), templates=kept)
