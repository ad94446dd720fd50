"""An index's generations: what is committed, and writing the next one safely.

A run that writes takes the index's lock first, and holds it until the end: two runs never
write at once, and the second gets :class:`IndexLockedError` (a first build included).
A fresh generation (a first build or ``--rebuild``) never reads the index it replaces, so
a damaged index can always be rebuilt; the old files stay until the new generation is
committed, and that commit deletes them. A table of contents with no segment is no index
(what a killed first build leaves). A run that fails before its commit deletes the files
it wrote (so a full disk gets its space back), and the previous index stays as it was.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import (
    IndexLockedError,
    IndexNotFoundError,
    IndexVersionError,
    corrupt,
    from_os_error,
)
from .schema import (
    INDEX_NAME,
    META_FILE,
    compatible,
    fingerprints,
    indexed_meta,
    own_file,
    read_meta,
    reading,
    schema,
    toc_generations,
    write_meta,
)

LOCK_FILE = f"{INDEX_NAME}_WRITELOCK"
TOC_SEGMENT = re.compile(rf"({INDEX_NAME}_[0-9a-z]+)[.][A-Za-z0-9_.]+")  # as Whoosh names them


@dataclass(frozen=True)
class Committed:
    """What the index on disk holds, as far as a writer needs to know."""

    exists: bool  # a committed generation with articles
    roots: list[str] | None  # the sources it was built from, if known
    sources: dict[str, Any] = field(default_factory=dict)  # what is known of each source


def committed(index_dir: Path, *, rebuild: bool) -> Committed:
    """The committed state of the index at ``index_dir``.

    Without ``rebuild`` an index that cannot be read is an error (damaged, or built by
    another version). With it, nothing that fails to read matters: only the roots are
    looked for, in the index, else in the sidecar.
    """
    meta = read_meta(index_dir)
    saved = meta.get("roots")
    saved = saved if isinstance(saved, list) and (saved or "generation" in meta) else None
    if not toc_generations(index_dir):
        return Committed(False, saved)
    if rebuild:
        try:
            indexed = _read_indexed(index_dir)
        except Exception:  # a damaged index: a rebuild reads nothing of it
            return Committed(True, saved)
    else:
        preflight(index_dir, meta)
        with reading(index_dir):
            indexed = _read_indexed(index_dir)
        if indexed is None:
            return Committed(False, saved)
    if indexed is None:
        return Committed(True, saved)
    # An index that records its sources may have none left (all forgotten).
    if "sources" in indexed:
        return Committed(True, list(indexed.get("roots") or []), dict(indexed["sources"]))
    return Committed(True, list(indexed.get("roots") or []) or saved)


def preflight(index_dir: Path, meta: dict[str, Any]) -> None:
    """Raise the error for an index that cannot be opened by this version, judging by
    its files alone: none at all, a missing table of contents, or the sidecar."""
    try:
        names = os.listdir(index_dir)
    except FileNotFoundError:
        raise IndexNotFoundError(
            f"no index at {index_dir}: run 'seedsearch index' to build it"
        ) from None
    except OSError as exc:
        raise from_os_error(exc, str(index_dir), "read") from None
    if not toc_generations(index_dir):
        if meta.get("generation") is not None:  # it was committed once
            raise corrupt(str(index_dir), "its table of contents is missing")
        raise IndexNotFoundError(f"no index at {index_dir}: run 'seedsearch index' to build it")
    if not compatible(meta):
        pattern = TOC_SEGMENT
        if not meta and not any(pattern.match(n) for n in names):
            # A first build killed by an older version.
            raise IndexNotFoundError(f"no index at {index_dir}: run 'seedsearch index' to build it")
        if not meta:
            raise corrupt(str(index_dir), f"{META_FILE} is missing or unreadable")
        raise IndexVersionError(
            f"the index at {index_dir} was built by another seedsearch version: "
            "run 'seedsearch index --rebuild'"
        )


def _read_indexed(index_dir: Path) -> dict[str, Any] | None:
    """The committed roots and sources (see :func:`indexed_meta`), or None when the
    index has no segment (no index)."""
    from whoosh import index as windex

    ix = windex.open_dir(str(index_dir), indexname=INDEX_NAME)
    try:
        if not ix._segments():
            return None
        with ix.searcher() as s:
            return indexed_meta(s)
    finally:
        ix.close()


@dataclass
class Session:
    """A run's hold on the index: the Whoosh index to write through, and the generation
    its commit will create."""

    index_dir: Path
    ix: Any
    generation: int

    @property
    def committed(self) -> bool:
        return (self.index_dir / f"_{INDEX_NAME}_{self.generation}.toc").exists()


@contextmanager
def session(index_dir: Path, *, fresh: bool) -> Iterator[Session]:
    """Hold the index's lock for a run that writes the next generation.

    ``fresh`` starts it from nothing, without reading the current one. If the run fails
    before its commit, the files it wrote are deleted; an ``OSError`` (disk full, a
    read-only folder) becomes an :class:`IndexAccessError`.
    """
    from whoosh.filedb.filestore import FileStorage

    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        storage = FileStorage(str(index_dir))
        lock = storage.lock(LOCK_FILE)
        locked = lock.acquire(blocking=False)
    except OSError as exc:
        raise from_os_error(exc, str(index_dir), "write") from None
    if not locked:
        raise IndexLockedError(
            f"the index at {index_dir} is locked by another writer "
            "(is another 'seedsearch index' running?)"
        )
    before = set(os.listdir(index_dir))
    current: Session | None = None
    try:
        current = Session(index_dir, *_start(storage, index_dir, fresh))
        yield current
    except BaseException as exc:
        if current is None or not current.committed:
            _remove_new_files(index_dir, before)
        if isinstance(exc, OSError) and not isinstance(exc, FileNotFoundError):
            raise from_os_error(exc, str(index_dir), "write") from None
        raise
    finally:
        with contextlib.suppress(OSError):
            lock.release()


def _start(storage: Any, index_dir: Path, fresh: bool) -> tuple[Any, int]:
    """(the Whoosh index a run writes through, the generation it will commit)."""
    from whoosh.index import TOC, FileIndex

    if not fresh:
        with reading(index_dir):
            ix = FileIndex(storage, indexname=INDEX_NAME)
            return ix, ix.latest_generation() + 1
    if not _usable_toc(storage, index_dir):
        # Worker processes open the index to learn its schema: give them an empty
        # generation to open (which is no index to readers), after the sidecar saying
        # which version wrote it, keeping the roots of the index it replaces.
        from .schema import write_meta

        meta = read_meta(index_dir)
        write_meta(index_dir, meta.get("roots"), generation=meta.get("generation"))
        latest = max(toc_generations(index_dir), default=-1)
        TOC(schema(), [], latest + 1).write(storage, INDEX_NAME)
    latest = max(toc_generations(index_dir))
    return _fresh_index_class()(storage, latest), latest + 1


def _usable_toc(storage: Any, index_dir: Path) -> bool:
    from whoosh.index import TOC

    if not toc_generations(index_dir) or not compatible(read_meta(index_dir)):
        return False
    try:
        TOC.read(storage, INDEX_NAME)
        return True
    except Exception:
        return False


@functools.cache
def _fresh_index_class() -> type:
    from whoosh.index import TOC, FileIndex

    class FreshIndex(FileIndex):  # type: ignore[misc]
        """The index as if it had no segment yet: a fresh generation's writer and
        searcher read nothing of the current one."""

        def __init__(self, storage: Any, generation: int) -> None:
            # FileIndex.__init__ would read the current table of contents.
            self.storage = storage
            self._schema = schema()
            self.indexname = INDEX_NAME
            self._generation = generation

        def _read_toc(self) -> Any:
            return TOC(self._schema, [], self._generation)

        def latest_generation(self) -> int:
            return self._generation

    return FreshIndex


def _remove_new_files(index_dir: Path, before: set[str]) -> None:
    """Delete the index files a failed run created (never the lock, the sidecar, or a
    file that is not the index's)."""
    try:
        names = os.listdir(index_dir)
    except OSError:
        return
    for name in names:
        if name in before or not own_file(name) or name in (LOCK_FILE, META_FILE):
            continue
        path = index_dir / name
        with contextlib.suppress(OSError):
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()


def save_sidecar(index_dir: Path, roots: list[str], generation: int, updated: str) -> None:
    """Copy the committed roots into the sidecar, for a rebuild of an index that can no
    longer be read. The index holds them already: failing here loses nothing, unless the
    sidecar still names another version (a rebuild of an older index)."""
    try:
        known = read_meta(index_dir).get("files") or {}
        files = fingerprints(index_dir, generation, known if isinstance(known, dict) else {})
        write_meta(index_dir, roots, generation=generation, updated=updated, files=files)
    except OSError as exc:
        if not compatible(read_meta(index_dir)):
            raise from_os_error(exc, str(index_dir), "write") from None


def fault(point: str) -> None:
    """Fault injection for tests: ``SEEDSEARCH_FAULT=before-commit`` (or
    ``after-commit``) makes the process SIGKILL itself right before the commit (or right
    after it, before the sidecar is written)."""
    if os.environ.get("SEEDSEARCH_FAULT") == point:
        import signal

        os.kill(os.getpid(), signal.SIGKILL)
