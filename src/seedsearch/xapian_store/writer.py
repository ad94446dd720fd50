"""Indexing into a cluster: each article to the shard of its doc_id, incrementally.

Files are read and analysed by the shared documents and prepare stages (the same terms
and passage tables as a folder index), and the run is planned as a folder's is
(:func:`..sources.plan`: the recorded sources, vanished ones kept, one forgotten). A file
whose content hash is the one recorded for its articles is not analysed again; articles
whose file is gone are deleted. Each shard commits its articles with its records (ids,
hashes, spelling dictionary, statistics, sources); the shards commit one after the other,
so a run stopped midway leaves each shard whole, some updated and some not, and the next
run completes them.

A writable server commits on its own every 10,000 changes or so (Xapian's flush
threshold), records or not: a run marks each shard as being written (``RUN_KEY``) before
its first change, and clears the mark in its own commit. A shard found marked was flushed
midway by a run that then failed: its records are rebuilt from its stored articles.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..errors import ShardUnavailableError
from . import layout
from .connect import Shard, open_writer, parse_spec, reason, shard_of, xapian

if TYPE_CHECKING:
    from ..generation import Committed
    from ..index import IndexReport
    from ..schema import Progress


RUN_KEY = "seedsearch:run"  # set while a run writes the shard, cleared by its commit
_SIZES = ("parts", "body_length", "title_length")


class _ShardState:
    """A shard's write connection and its records, changed in memory until the commit."""

    def __init__(self, db: Any) -> None:
        self.db = db
        stats = layout.read_json(db, layout.STATS_KEY, {})
        self.stats = stats
        if db.get_metadata(RUN_KEY):
            self._recount()
        else:
            self.docs: dict[str, list[str]] = layout.read_json(db, layout.DOCS_KEY, {})
            self.words: Counter[str] = Counter(layout.read_json(db, layout.WORDS_KEY, {}))
            self.passages = int(stats.get("passages", 0))
            self.positions = int(stats.get("positions", 0))
            self.titles: dict[str, list[str]] = layout.read_json(db, layout.TITLES_KEY, {})
            self.parts: Counter[str] = Counter(layout.read_json(db, layout.PARTS_KEY, {}))
            # The shared ranking's statistics (see layout.sizes); None: the shard was
            # written before they were kept, and they stay unknown until a rebuild.
            known = "parts" in stats or not self.docs
            self.sizes: Counter[str] | None = (
                Counter({k: int(stats.get(k, 0)) for k in _SIZES}) if known else None
            )
        # Changes wait for the commit in a transaction, which a failed run cancels: a
        # client that merely disconnects has its pending changes committed by the server.
        db.begin_transaction(False)
        db.set_metadata(RUN_KEY, "1")  # committed only with a run that did not finish

    def _recount(self) -> None:
        """The records of the articles the shard holds, read from them."""
        from ..prepare import _words_of

        self.docs, self.words = {}, Counter()
        self.passages = self.positions = 0
        self.titles, self.parts, self.sizes = {}, Counter(), Counter()
        for posting in self.db.postlist(""):
            record = layout.stored(self.db.get_document(posting.docid))
            parts = layout.parts_of(record)
            self.docs[record["doc_id"]] = [record.get("sha", ""), record.get("path", "")]
            self.words.update(_words_of(parts))
            self.titles[record["doc_id"]] = layout.title_row_of(record)
            self.parts.update(layout.extra_parts(record))
            if self.sizes is not None and "lengths" in record:
                self.sizes.update(layout.sizes(record))
            else:
                self.sizes = None
            for part in parts:
                self.passages += len(part["passages"])
                self.positions += sum(p[6] for p in part["passages"])

    def clear(self) -> None:
        """Delete every article the shard stores, recorded or not (a rebuild)."""
        for docid in [p.docid for p in self.db.postlist("")]:
            self.db.delete_document(docid)
        self.docs, self.words = {}, Counter()
        self.passages = self.positions = 0
        self.titles, self.parts, self.sizes = {}, Counter(), Counter()

    def cancel(self) -> None:
        """Drop the run's changes (a shard committed already keeps its commit)."""
        with contextlib.suppress(Exception):  # the shard may be the one that failed
            self.db.cancel_transaction()
        with contextlib.suppress(Exception):
            self.db.close()

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
    forget: str | None = None,
) -> IndexReport:
    """Bring the cluster ``spec`` in line with its sources plus ``paths`` (the bundled
    articles when it has none), minus ``forget``; every shard must be up. A shard failing
    midway is a ShardUnavailableError (the shards committed before it keep their commit;
    the others their previous one)."""
    x = xapian()
    try:
        return _update(spec, paths, rebuild, progress, follow_symlinks, forget)
    except (x.NetworkError, x.DatabaseError) as err:
        down = [str(s) for s in parse_spec(spec) if not _answers(s)] or [f"a shard of {spec}"]
        raise ShardUnavailableError(
            f"{', '.join(down)} failed while indexing ({reason(err)}); run the same "
            "'seedsearch index' again once it is back: it completes the shards left behind"
        ) from None


def _answers(shard: Shard) -> bool:
    x = xapian()
    try:
        x.remote_open(shard.writer.host, shard.writer.port, 2000, 1000).close()
    except x.Error:
        return False
    return True


def recorded_sources(db: Any) -> Committed:
    """What a shard records of the cluster's sources, as a folder's writer reads its own."""
    from ..generation import Committed

    stats = layout.read_json(db, layout.STATS_KEY, {})
    roots = stats.get("roots")
    return Committed(
        bool(stats), list(roots) if isinstance(roots, list) else None, stats.get("sources") or {}
    )


def _update(
    spec: str,
    paths: Sequence[str | os.PathLike[str]] | None,
    rebuild: bool,
    progress: Progress | None,
    follow_symlinks: bool,
    forget: str | None,
) -> IndexReport:
    report = progress or (lambda stage, done, total: None)
    shards = parse_spec(spec)
    states: dict[int, _ShardState] = {}
    try:
        for shard in shards:
            states[shard.number] = _ShardState(open_writer(shard))
        return _run(spec, shards, states, paths, rebuild, report, follow_symlinks, forget)
    except BaseException:
        for state in states.values():
            state.cancel()
        raise


def _run(
    spec: str,
    shards: tuple[Shard, ...],
    states: dict[int, _ShardState],
    paths: Sequence[str | os.PathLike[str]] | None,
    rebuild: bool,
    report: Progress,
    follow_symlinks: bool,
    forget: str | None,
) -> IndexReport:
    from ..documents import Skipped
    from ..index import IndexReport
    from ..prepare import _prepare, _Prepared, _Unchanged
    from ..schema import now
    from ..sources import plan, scan_plan

    started = time.perf_counter()
    # Shard 1 commits first: its records are the newest.
    current = recorded_sources(states[shards[0].number].db)
    run = plan(current, paths, forget=forget)

    if rebuild:
        for state in states.values():
            state.clear()
    known: dict[str, tuple[str, list[str]]] = {}  # path -> (sha, doc ids)
    for state in states.values():
        for doc_id, (doc_sha, doc_path) in state.docs.items():
            known.setdefault(doc_path, (doc_sha, []))[1].append(doc_id)
    ids = _ids(known)

    report("scan", 0, 0)
    sources, skipped, sizes, _ = scan_plan(run, follow_symlinks=follow_symlinks)
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
                counts["updated" if result.doc_id in ids else "added"] += 1
                seen.add(result.doc_id)
                nbytes += result.nbytes
        report("index", done, len(sources))
    for state in states.values():
        for doc_id, (_sha, path) in list(state.docs.items()):
            if doc_id not in seen and not run.keeps(path):
                state.forget(doc_id)
                counts["removed"] += 1
    report("commit", 0, len(states))
    stamp = now()
    records = {"roots": run.roots, "sources": run.describe(sizes)}
    for done, (number, state) in enumerate(states.items(), start=1):
        _commit(state, records, stamp, number)
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
        vanished=tuple(run.vanished),
    )


def _ids(known: dict[str, tuple[str, list[str]]]) -> set[str]:
    return {doc_id for _, ids in known.values() for doc_id in ids}


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


def _commit(state: _ShardState, records: dict[str, Any], stamp: str, number: int) -> None:
    x = xapian()
    layout.write_json(state.db, layout.DOCS_KEY, state.docs)
    layout.write_json(state.db, layout.WORDS_KEY, {w: n for w, n in state.words.items() if n > 0})
    layout.write_json(state.db, layout.TITLES_KEY, state.titles)
    layout.write_json(state.db, layout.PARTS_KEY, {t: n for t, n in state.parts.items() if n > 0})
    stats: dict[str, Any] = {
        "passages": state.passages,
        "positions": state.positions,
        "updated": stamp,
        **records,
    }
    if state.sizes is not None:
        stats.update({k: state.sizes[k] for k in _SIZES})
    layout.write_json(state.db, layout.STATS_KEY, stats)
    state.db.set_metadata(RUN_KEY, "")
    try:
        state.db.commit_transaction()
        state.db.close()
    except x.Error as err:
        raise ShardUnavailableError(f"shard {number} failed to commit: {err}") from None
