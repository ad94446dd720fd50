"""An index's sources: the folders and files it is built from, kept from run to run.

``seedsearch index PATH`` adds PATH to the sources and keeps the others; a bare run
updates them all. The list is committed with the articles (in the dictionary document,
see :mod:`.schema`), with what is known of each source: its resolved path, the device it
lay on, its size and when it was last read. A source that has vanished (a deleted
folder, an unmounted disk) is not read and its articles are kept, until it comes back or
is forgotten. The bundled articles are a source like any other, named ``(bundled)``.

An article belongs to the sources whose folder holds its file; sources may overlap, and
an article stays while any source holding it does.
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .documents.scan import unsupported
from .errors import IndexNotFoundError, SourceError
from .schema import indexed_meta, manifest, now, reading

if TYPE_CHECKING:
    from whoosh.searching import Searcher

    from .documents import Skipped, SourceFile
    from .generation import Committed
    from .index import IndexReport

BUNDLED = "(bundled)"


def bundled_root() -> str:
    from .documents import bundled_corpus

    return str(bundled_corpus())


def normalise(path: str | os.PathLike[str]) -> str:
    """A source as recorded: an absolute path (not resolved: a symlinked folder is kept
    under the name it was given), or the bundled corpus's folder for ``(bundled)``."""
    if str(path) == BUNDLED:
        return bundled_root()
    return str(Path(path).expanduser().absolute())


def display_name(root: str) -> str:
    return BUNDLED if root == bundled_root() else root


def under(path: str, prefixes: Sequence[str]) -> bool:
    return any(path == p or path.startswith(p.rstrip(os.sep) + os.sep) for p in prefixes)


def _prefixes(root: str, info: dict[str, Any]) -> list[str]:
    """The paths an article of ``root`` may be stored under (its files are stored
    resolved: the resolved folder, and the one resolved when it was last read)."""
    out = [root, os.path.realpath(root)]
    resolved = info.get("resolved")
    if isinstance(resolved, str):
        out.append(resolved)
    return list(dict.fromkeys(out))


def vanished(root: str, info: dict[str, Any]) -> bool:
    """Whether a recorded source is gone: nothing at its path, or an empty folder on
    another device than it was read from (the mount point of an unmounted disk)."""
    try:
        st = os.stat(root)
    except OSError:
        return True
    device = info.get("device")
    if device is None or st.st_dev == device or not os.path.isdir(root):
        return False
    try:
        return not os.listdir(root)
    except OSError:
        return True


@dataclass(frozen=True)
class Plan:
    """What one index run reads, and what it leaves alone."""

    roots: list[str]  # the sources recorded after the run
    present: list[str]  # the sources read
    vanished: list[str]  # gone: their articles are kept
    only: list[str] | None  # read and remove only under these paths (None: everything)
    known: dict[str, dict[str, Any]]  # what was recorded of each source

    @functools.cached_property
    def _kept_prefixes(self) -> tuple[list[str] | None, list[str]]:
        only = None if self.only is None else [os.path.realpath(p) for p in self.only]
        return only, [x for r in self.vanished for x in _prefixes(r, self.known.get(r, {}))]

    def keeps(self, path: str) -> bool:
        """Whether an article stored under ``path`` stays although no source gave it."""
        only, gone = self._kept_prefixes
        return (only is not None and not under(path, only)) or under(path, gone)

    def manifest(self, searcher: Searcher) -> dict[str, tuple[int, str, str]]:
        """The articles the run may change (see :func:`.schema.manifest`): all of them, or
        for a run limited to changed files, theirs, found by the ids their paths give
        (reading every article's stored fields takes seconds in a large index)."""
        if self.only is None:
            return manifest(searcher)
        found: dict[str, tuple[int, str, str]] = {}
        for path in self.only:
            # A folder (or a deleted path that may have been one): every article is read.
            if os.path.isdir(path) or (not os.path.lexists(path) and unsupported(path)):
                return manifest(searcher)
            found.update(_articles_of_file(searcher, os.path.realpath(path)))
        return found

    def describe(self, sizes: dict[str, int]) -> dict[str, dict[str, Any]]:
        """The sources' records to commit: a source read now gets a fresh record, the
        others keep theirs. ``sizes`` maps the roots fully read to their bytes."""
        stamp = now()
        out: dict[str, dict[str, Any]] = {}
        touched = self.present if self.only is None else self._touched()
        for root in self.roots:
            record = dict(self.known.get(root, {}))
            if root in touched:
                record.update(resolved=os.path.realpath(root), updated=stamp)
                with contextlib.suppress(OSError):
                    record["device"] = os.stat(root).st_dev
            if root in sizes:
                record["bytes"] = sizes[root]
            out[root] = record
        return out

    def _touched(self) -> list[str]:
        only = self.only or []
        return [r for r in self.present if any(under(p, [r]) or under(r, [p]) for p in only)]


def plan(
    current: Committed,
    paths: Sequence[str | os.PathLike[str]] | None,
    *,
    changed: Sequence[str] | None = None,
    forget: str | None = None,
) -> Plan:
    """The run's plan: the recorded sources plus ``paths`` (the bundled articles when
    there is neither), minus ``forget``; ``changed`` restricts a run to those paths (what
    a watcher saw change). A path given that does not exist is an error."""
    given = [normalise(p) for p in paths or ()]
    for g in given:
        if not os.path.lexists(g):
            raise SourceError(f"{g}: no such file or directory")
    base = current.roots if current.roots is not None else ([] if given else [bundled_root()])
    roots = list(dict.fromkeys([*base, *given]))
    only = list(changed) if changed is not None else None
    if forget is not None:
        roots = [r for r in roots if r != forget]
        only = [forget]
    known = current.sources
    gone = [r for r in roots if r not in given and vanished(r, known.get(r, {}))]
    present = [r for r in roots if r not in gone]
    return Plan(roots, present, gone, only, known)


def _articles_of_file(searcher: Searcher, path: str) -> dict[str, tuple[int, str, str]]:
    """The articles read from the file at (resolved) ``path``: their ids are the id its
    key gives, or that id and a suffix (the messages of a mailbox, the items of a feed)."""
    from whoosh.query import Or, Prefix, Term

    from .documents import bundled_corpus, doc_id_for
    from .documents.model import BUNDLED_KEY_PREFIX

    file = Path(path)
    key = BUNDLED_KEY_PREFIX + file.name if file.parent == bundled_corpus() else path
    base = doc_id_for(key)
    out = {}
    for docnum in Or([Term("doc_id", base), Prefix("doc_id", base + "-")]).docs(searcher):
        fields = searcher.stored_fields(docnum)
        # An article's first part (its head) is the one at offset 0.
        if fields.get("path") == path and fields.get("offset", 0) == 0:
            out[fields["doc_id"]] = (docnum, fields.get("sha", ""), path)
    return out


def scan_plan(
    p: Plan, *, follow_symlinks: bool = False
) -> tuple[list[SourceFile], list[Skipped], dict[str, int], dict[str, os.stat_result]]:
    """The files of the run, what was skipped, the bytes of each source read whole, and
    the state of each file found by a whole scan (one ``stat`` each, which an update
    compares with what it recorded)."""
    from .documents import scan

    if p.only is None:
        files, skipped = scan(p.present, follow_symlinks=follow_symlinks)
        sizes = {root: 0 for root in p.present}
        prefixes = {root: _prefixes(root, {}) for root in p.present}
        stats: dict[str, os.stat_result] = {}
        for f in files:
            path = str(f.path)
            try:
                st = os.stat(path)
            except OSError:
                continue
            stats[path] = st
            for root in p.present:
                if under(path, prefixes[root]):
                    sizes[root] += st.st_size
        return files, skipped, sizes, stats
    return (*_scan_changed(p.present, p.only, follow_symlinks), {}, {})


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _scan_changed(
    roots: Sequence[str], changed: Sequence[str], follow_symlinks: bool = False
) -> tuple[list[SourceFile], list[Skipped]]:
    """The files among ``changed`` (and in the folders among them) that a whole scan of
    ``roots`` would find: under a source, not hidden, of a supported format."""
    from .documents import scan

    found: dict[str, SourceFile] = {}
    skipped: list[Skipped] = []
    # A changed folder that holds sources (one forgotten) is read as those sources.
    inner = [r for r in roots for path in changed if r != path and under(r, [path])]
    for path in [*changed, *inner]:
        holders = [r for r in roots if under(path, [r])]
        if not holders or not os.path.lexists(path):
            continue
        inside = [Path(os.path.relpath(path, r)).parts for r in holders if path != r]
        if inside and all(any(part.startswith(".") for part in parts) for parts in inside):
            continue
        if path not in holders and not os.path.isdir(path) and unsupported(path):
            continue
        try:
            files, skips = scan([path], follow_symlinks=follow_symlinks, within=roots)
        except SourceError:  # gone again since the watcher saw it
            continue
        for f in files:
            found.setdefault(f.key, f)
        skipped += skips
    return sorted(found.values(), key=lambda s: s.key), skipped


# --- listing and forgetting ------------------------------------------------------------


@dataclass(frozen=True)
class SourceInfo:
    """One source of an index, as ``seedsearch sources`` lists it."""

    path: str  # as recorded
    name: str  # as shown: the path, or "(bundled)"
    articles: int
    bytes: int  # the size of its files (when last read, for a vanished source)
    updated: str  # when it was last read
    vanished: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def list_sources(index_dir: str | os.PathLike[str]) -> list[SourceInfo]:
    """The index's sources, with their article counts, size and last update."""
    from .store import Index

    with Index(index_dir) as index:
        s = index.searcher()
        with reading(index.index_dir):
            meta = indexed_meta(s)
            paths = [path for _, _, path in manifest(s).values()]
    return describe_sources(meta, paths)


def describe_sources(meta: dict[str, Any], paths: Sequence[str]) -> list[SourceInfo]:
    """The sources recorded in ``meta`` (roots, sources, updated) and what they hold of
    the articles stored under ``paths``; shared by both kinds of index."""
    roots: list[str] = list(meta.get("roots") or [])
    known: dict[str, dict[str, Any]] = meta.get("sources") or {}
    out = []
    for root in roots:
        info = known.get(root, {})
        prefixes = _prefixes(root, info)
        mine = [p for p in paths if under(p, prefixes)]
        gone = vanished(root, info)
        size = int(info.get("bytes", 0)) if gone else sum(_size(Path(p)) for p in set(mine))
        out.append(
            SourceInfo(
                root,
                display_name(root),
                len(mine),
                size,
                str(info.get("updated") or meta.get("updated", "")),
                gone,
            )
        )
    return out


def forget_source(
    index_dir: str | os.PathLike[str],
    path: str,
    progress: Callable[[str, int, int], None] | None = None,
) -> IndexReport:
    """Remove the source ``path`` (as listed, or ``(bundled)``) and the articles no other
    source holds, in one commit."""
    from .generation import committed
    from .index import update_index

    current = committed(Path(index_dir), rebuild=False)
    if not current.exists:
        raise IndexNotFoundError(f"no index at {index_dir}: run 'seedsearch index' to build it")
    target = forget_target(current.roots or [], path)
    return update_index(index_dir, forget=target, progress=progress)


def forget_target(roots: Sequence[str], path: str) -> str:
    """The recorded source ``path`` names (as listed, or another path to the same
    folder), or a SourceError listing the sources."""
    target = normalise(path)
    if target in roots:
        return target
    matches = [r for r in roots if os.path.realpath(r) == os.path.realpath(target)]
    if not matches:
        listed = ", ".join(display_name(r) for r in roots) or "none"
        raise SourceError(f"{path} is not a source of this index (its sources: {listed})")
    return matches[0]
