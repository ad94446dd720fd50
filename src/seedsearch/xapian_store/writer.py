"""Indexing into a cluster: each article to the shard of its doc_id, incrementally.

Files are read and analysed by the shared documents and prepare stages (the same terms
and passage tables as a folder index). A file whose content hash is the one recorded for
its articles is not analysed again; articles whose file is gone are deleted. Each shard
commits its articles with its records (ids, hashes, spelling dictionary, statistics); the
shards commit one after the other, so a run stopped midway leaves each shard whole, some
updated and some not, and the next run completes them.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ShardUnavailableError
from . import layout
from .connect import open_writer, parse_spec, shard_of, xapian

if TYPE_CHECKING:
    from ..index import IndexReport
    from ..schema import Progress


_SIZES = ("parts", "body_length", "title_length")


class _ShardState:
    """A shard's write connection and its records, changed in memory until the commit."""

    def __init__(self, db: Any) -> None:
        self.db = db
        self.docs: dict[str, list[str]] = layout.read_json(db, layout.DOCS_KEY, {})
        self.words: Counter[str] = Counter(layout.read_json(db, layout.WORDS_KEY, {}))
        stats = layout.read_json(db, layout.STATS_KEY, {})
        self.stats = stats
        self.passages = int(stats.get("passages", 0))
        self.positions = int(stats.get("positions", 0))
        self.titles: dict[str, list[str]] = layout.read_json(db, layout.TITLES_KEY, {})
        self.parts: Counter[str] = Counter(layout.read_json(db, layout.PARTS_KEY, {}))
        # The shared ranking's statistics (see layout.sizes); None: the shard was written
        # before they were kept, and they stay unknown until a rebuild.
        self.sizes: Counter[str] | None = (
            Counter({k: int(stats.get(k, 0)) for k in _SIZES})
            if "parts" in stats or not self.docs
            else None
        )

    def forget(self, doc_id: str) -> None:
        """Delete an article, its words and sizes leaving the shard's records with it."""
        from ..prepare import _words_of

        x = xapian()
        term = layout.ID + doc_id
        for posting in self.db.postlist(term):
            record = layout.stored(self.db.get_document(posting.docid))
            parts = layout.parts_of(record)
            self.words.subtract(_words_of(parts))
            if self.sizes is not None:
                self.sizes.subtract(layout.sizes(record))
            self.parts.subtract(layout.extra_parts(record))
            for part in parts:
                self.passages -= len(part["passages"])
                self.positions -= sum(p[6] for p in part["passages"])
        with contextlib.suppress(x.DocNotFoundError):  # listed but already gone
            self.db.delete_document(term)
        self.docs.pop(doc_id, None)
        self.titles.pop(doc_id, None)


def update_cluster(
    spec: str,
    paths: Sequence[str | os.PathLike[str]] | None = None,
    *,
    rebuild: bool = False,
    progress: Progress | None = None,
    follow_symlinks: bool = False,
) -> IndexReport:
    """Bring the cluster ``spec`` in line with its sources plus ``paths`` (the bundled
    articles when it has none); every shard must be up. A shard failing midway is a
    ShardUnavailableError (the shards committed before it keep their commit; the others
    their previous one)."""
    x = xapian()
    try:
        return _update(spec, paths, rebuild, progress, follow_symlinks)
    except (x.NetworkError, x.DatabaseError) as err:
        raise ShardUnavailableError(
            f"a shard of {spec} failed while indexing: {err.get_msg()}; run the same "
            "'seedsearch index' again once it is back"
        ) from None


def _update(
    spec: str,
    paths: Sequence[str | os.PathLike[str]] | None,
    rebuild: bool,
    progress: Progress | None,
    follow_symlinks: bool,
) -> IndexReport:
    from ..documents import Skipped, scan
    from ..index import IndexReport
    from ..prepare import _prepare, _Prepared, _Unchanged
    from ..schema import now
    from ..sources import normalise

    started = time.perf_counter()
    report = progress or (lambda stage, done, total: None)
    shards = parse_spec(spec)
    states = {s.number: _ShardState(open_writer(s)) for s in shards}
    first = states[shards[0].number]
    roots: list[str] = [] if rebuild else list(first.stats.get("roots", []))
    for p in paths or ():
        root = normalise(p)
        if root not in roots:
            roots.append(root)
    if not roots:
        from ..sources import bundled_root

        roots = [bundled_root()]
    present = [r for r in roots if Path(r).exists()]
    vanished = [r for r in roots if r not in present]

    if rebuild:
        for state in states.values():
            for doc_id in list(state.docs):
                state.forget(doc_id)
            state.sizes = Counter()  # every article is written again: counted afresh
            state.parts = Counter()
    known: dict[str, tuple[str, list[str]]] = {}  # path -> (sha, doc ids)
    for state in states.values():
        for doc_id, (doc_sha, doc_path) in state.docs.items():
            known.setdefault(doc_path, (doc_sha, []))[1].append(doc_id)

    report("scan", 0, 0)
    sources, skipped = scan(present, follow_symlinks=follow_symlinks)
    report("scan", len(sources), len(sources))
    counts = Counter[str]()
    seen: set[str] = set()
    nbytes = 0
    report("index", 0, len(sources))
    for done, source in enumerate(sources, start=1):
        path = str(source.path)
        sha: str | None = known[path][0] if path in known else None
        for result in _prepare((source, sha)):
            if isinstance(result, Skipped):
                skipped.append(result)
            elif isinstance(result, _Unchanged):
                seen.update(known[result.path][1])
                counts["unchanged"] += len(known[result.path][1])
            elif isinstance(result, _Prepared):
                state = states[shard_of(result.doc_id, shards).number]
                _write(state, states, result)
                counts["updated" if result.doc_id in _ids(known) else "added"] += 1
                seen.add(result.doc_id)
                nbytes += result.nbytes
        report("index", done, len(sources))
    for state in states.values():
        for doc_id, (_sha, path) in list(state.docs.items()):
            if doc_id not in seen and not any(_under(path, r) for r in vanished):
                state.forget(doc_id)
                counts["removed"] += 1
    report("commit", 0, len(states))
    stamp = now()
    for done, (number, state) in enumerate(states.items(), start=1):
        _commit(state, roots, stamp, number)
        report("commit", done, len(states))
    return IndexReport(
        index_dir=spec,
        added=counts["added"],
        updated=counts["updated"],
        removed=counts["removed"],
        unchanged=counts["unchanged"],
        skipped=tuple(skipped),
        documents=sum(len(s.docs) for s in states.values()),
        passages=sum(s.passages for s in states.values()),
        seconds=time.perf_counter() - started,
        megabytes=nbytes / 1e6,
        vanished=tuple(vanished),
    )


def _ids(known: dict[str, tuple[str, list[str]]]) -> set[str]:
    return {doc_id for _, ids in known.values() for doc_id in ids}


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _write(state: _ShardState, states: dict[int, _ShardState], prepared: Any) -> None:
    for other in states.values():  # the article as it was, wherever it was
        if prepared.doc_id in other.docs:
            other.forget(prepared.doc_id)
    parts = list(prepared.parts)  # words and positions are complete after this
    doc = layout.build(xapian(), prepared.doc_id, parts)
    state.db.replace_document(layout.ID + prepared.doc_id, doc)
    state.docs[prepared.doc_id] = [prepared.sha, prepared.path]
    state.words.update(prepared.words)
    state.passages += prepared.passages
    state.positions += prepared.positions
    state.titles[prepared.doc_id] = layout.title_row(prepared.doc_id, parts)
    record = layout.stored(doc)
    if state.sizes is not None:
        state.sizes.update(layout.sizes(record))
    state.parts.update(layout.extra_parts(record))


def _commit(state: _ShardState, roots: list[str], stamp: str, number: int) -> None:
    x = xapian()
    layout.write_json(state.db, layout.DOCS_KEY, state.docs)
    layout.write_json(state.db, layout.WORDS_KEY, {w: n for w, n in state.words.items() if n > 0})
    layout.write_json(state.db, layout.TITLES_KEY, state.titles)
    layout.write_json(state.db, layout.PARTS_KEY, {t: n for t, n in state.parts.items() if n > 0})
    stats: dict[str, Any] = {
        "passages": state.passages,
        "positions": state.positions,
        "updated": stamp,
        "roots": roots,
    }
    if state.sizes is not None:
        stats.update({k: state.sizes[k] for k in _SIZES})
    layout.write_json(state.db, layout.STATS_KEY, stats)
    try:
        state.db.commit()
        state.db.close()
    except x.Error as err:
        raise ShardUnavailableError(f"shard {number} failed to commit: {err}") from None
