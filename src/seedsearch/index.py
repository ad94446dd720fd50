"""Building and incrementally updating an index (its layout is in :mod:`.schema`).

Everything a run changes lands in one Whoosh commit, the sources it was built from
included (see :mod:`.generation` for the lock, fresh generations and clean-up), so a crash
leaves the previous generation searchable.

With ``jobs`` > 1 the files are shared among processes that each write a segment, and
this process commits them together (:mod:`.writers`).
"""

from __future__ import annotations

import contextlib
import os
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import analysis, fold_tables
from .errors import OptionError
from .generation import committed, fault, save_sidecar, session
from .manifest import Known, from_articles, identity, stat_key
from .manifest import load as load_manifest
from .manifest import save as save_manifest
from .prepare import _Unchanged, _words_of
from .schema import (
    DICTIONARY,
    INDEX_NAME,
    WORDS,
    Progress,
    article_count,
    dictionary,
    indexed_meta,
    manifest,
    now,
    parts_of,
    reading,
    spelling_words,
    whoosh_errors,
)
from .spelling import words_file_matches, write_words
from .writers import WordCounts, analysers, open_writer

if TYPE_CHECKING:
    # Documents are only read when indexing; searching does not import that stage.
    from .documents import Skipped, SourceFile
    from .sources import Plan


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
    vanished: tuple[str, ...] = ()  # sources gone: not read, their articles kept

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["skipped"] = [asdict(s) for s in self.skipped]
        return d


# --- building and updating -------------------------------------------------------------


def update_index(
    index_dir: str | os.PathLike[str],
    paths: Sequence[str | os.PathLike[str]] | None = None,
    *,
    rebuild: bool = False,
    progress: Progress | None = None,
    jobs: int = 1,
    changed: Sequence[str] | None = None,
    forget: str | None = None,
    follow_symlinks: bool = False,
) -> IndexReport:
    """Bring the index at ``index_dir`` in line with the article files of its sources.

    ``paths`` are added to the sources it was built from (the bundled corpus when there
    are none); sources that vanished are kept as they are (see :mod:`.sources`).
    ``changed`` limits the run to those paths (what a watcher saw change); ``forget``
    drops a source. A file whose size, mtime, ctime and inode are those recorded when it
    was last hashed (see :mod:`.manifest`) is not read; the others are, and only those
    whose content hash changed are re-analysed; files that disappeared are removed.
    ``rebuild`` re-analyses everything. All changes land in one commit. With ``jobs``
    > 1, the files to read are shared among this process and ``jobs`` - 1 worker
    processes, each writing its share as a segment (workers are started with ``spawn``,
    only when there are files to read, so a calling script needs the usual
    ``if __name__ == "__main__":`` guard). Symlinks are followed only while their target
    stays inside the sources, unless ``follow_symlinks``.
    """
    from whoosh import index as windex
    from whoosh.writing import CLEAR

    from .sources import plan, scan_plan

    started = time.perf_counter()
    started_ns = time.time_ns()  # before any file is looked at (see manifest.RACY_NS)
    index_dir = Path(index_dir)
    if jobs < 1:
        raise OptionError(f"--jobs must be at least 1 (got {jobs})")
    current = committed(index_dir, rebuild=rebuild)
    fresh = rebuild or not current.exists
    run_plan = plan(current, paths, changed=None if fresh else changed, forget=forget)
    roots = run_plan.roots
    report = progress or (lambda stage, done, total: None)

    report("scan", 0, 0)
    sources, skipped, sizes, stats = scan_plan(run_plan, follow_symlinks=follow_symlinks)
    report("scan", len(sources), len(sources))

    # The lock is taken before worker processes start; they are started without this
    # process's open files (forkserver or spawn), so none of them holds it.
    with whoosh_errors(index_dir), session(index_dir, fresh=fresh) as run:
        ix = run.ix
        meta: dict[str, Any] = {
            "roots": roots,
            "updated": now(),
            "sources": run_plan.describe(sizes),
        }
        try:
            with analysers(jobs, index_dir, report) as analyse_all:
                writer = open_writer(ix, index_dir)
                try:
                    with reading(index_dir), ix.searcher() as s:
                        # A change of sources is committed even when no article changed.
                        moved = fresh or indexed_meta(s).get("roots") != roots
                    counts, files, words = _apply(
                        ix,
                        writer,
                        _Scanned(sources, skipped, stats, started_ns),
                        fresh,
                        report,
                        analyse_all,
                        meta,
                        moved,
                        run_plan,
                    )
                    if counts["changed"] or fresh or moved:
                        report("commit", 0, 1)
                        fault("before-commit")
                        writer.commit(mergetype=CLEAR) if fresh else writer.commit()
                        report("commit", 1, 1)
                        fault("after-commit")
                    else:
                        writer.cancel()
                except BaseException:
                    if not getattr(writer, "is_closed", False):  # a failed commit closes it
                        with contextlib.suppress(Exception):
                            writer.cancel()
                    raise
        finally:
            ix.close()
        with reading(index_dir):
            # The generation on disk now (a fresh run's writer saw none).
            after = windex.open_dir(str(index_dir), indexname=INDEX_NAME)
            with after.searcher() as s:
                documents = article_count(s)
                passages = int(dictionary(s).get("stats", {}).get("passages", 0))
            # Still under the lock: no other commit meanwhile.
            ident = identity(after)
            if files is not None:
                save_manifest(index_dir, ident, files)
            if words is not None and run.committed:
                write_words(index_dir, ident, *words)
            elif not words_file_matches(index_dir, ident):  # an index older than the file
                with after.searcher() as s:
                    write_words(index_dir, ident, *spelling_words(s))
            # The generation's parts, duplicates and template titles, for the next search
            # to read rather than scan (see fold_tables).
            fold_tables.write_for(index_dir, after)
            after.close()
        if run.committed:
            save_sidecar(index_dir, roots, run.generation, meta["updated"])
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
        vanished=tuple(run_plan.vanished),
    )


@dataclass(frozen=True)
class _Scanned:
    """What the scan found: the files, what was skipped, the state of each file found by a
    whole scan, and the time before any was looked at."""

    sources: list[SourceFile]
    skipped: list[Skipped]
    stats: dict[str, os.stat_result]
    started_ns: int


def _known_files(
    ix: Any, searcher: Any, run_plan: Plan, rebuild: bool
) -> tuple[dict[str, Known], bool, bool]:
    """(the indexed files, whether they are all of them, whether their record beside the
    index must be written anew): the manifest when it describes the committed generation,
    else read from the index (only the changed files' articles for a run limited to them,
    as reading every article's stored fields takes seconds in a large index)."""
    index_dir = Path(ix.storage.folder)
    if rebuild:
        return {}, True, True
    with reading(index_dir):
        loaded = load_manifest(index_dir, identity(ix))
        if loaded is not None:
            return loaded, True, False
        if run_plan.only is not None:
            return from_articles(run_plan.manifest(searcher)), False, False
        return from_articles(manifest(searcher)), True, True


def _apply(
    ix: Any,
    writer: Any,
    scanned: _Scanned,
    rebuild: bool,
    report: Progress,
    analyse_all: Any,
    meta: dict[str, Any],
    moved: bool,
    run_plan: Plan,
) -> tuple[dict[str, int], dict[str, Known] | None, tuple[list[str], list[int]] | None]:
    """Write what changed; returns the counts, the indexed files to record (None when
    the record kept beside the index stays as it is) and the spelling dictionary written
    (None when it is not)."""
    from .documents import Skipped

    index_dir = Path(ix.storage.folder)
    skipped = scanned.skipped
    dictionary_words = None
    with ix.searcher() as s:
        files, whole, learnt = _known_files(ix, s, run_plan, rebuild)
        # The words and sizes that change; the dictionary's own are read only if any do.
        vocabulary: Counter[str] = Counter()
        stats: Counter[str] = Counter()
        doc_paths = {doc_id: path for path, known in files.items() for doc_id in known.docs}

        def forget(doc_id: str) -> None:
            # The words and sizes of an article leave the dictionary with it.
            with reading(index_dir):
                old = parts_of(s, doc_id)
                vocabulary.subtract(_words_of(old))
                for part in old:
                    stats["passages"] -= len(part.get("passages", []))
                    stats["positions"] -= sum(p[6] for p in part.get("passages", []))
                writer.delete_by_term("doc_id", doc_id)

        counts = dict(added=0, updated=0, removed=0, unchanged=0, changed=0, bytes=0)
        seen: set[str] = set()
        tasks = []
        state: dict[str, tuple[int, int, int, int] | None] = {}
        for source in scanned.sources:
            # A file that moved is re-read: its path is part of what is stored.
            path = str(source.path)
            st = scanned.stats.get(path) or _stat(path)
            state[path] = None if st is None else stat_key(st, scanned.started_ns)
            known = files.get(path)
            if known is not None and known.stat is not None and known.stat == state[path]:
                seen.update(known.docs)  # as it was when hashed: not even read
                counts["unchanged"] += len(known.docs)
                continue
            tasks.append((source, known.sha if known is not None else None))
        total = len(tasks)
        report("index", 0, total)
        results, writer.extra_segments = analyse_all(tasks)
        read: dict[str, Known] = {}  # the files whose articles were (re-)analysed
        for result in results:
            if isinstance(result, Skipped):
                skipped.append(result)
                continue
            if isinstance(result, WordCounts):
                vocabulary.update(result.counts)
                continue
            if isinstance(result, _Unchanged):
                known = files[result.path]
                seen.update(known.docs)
                counts["unchanged"] += len(known.docs)
                if known.stat != state.get(result.path):  # touched, not changed
                    known.stat = state.get(result.path)
                    learnt = True
                continue
            entry = read.setdefault(result.path, Known(result.sha, [], state.get(result.path)))
            entry.docs.append(result.doc_id)
            seen.add(result.doc_id)
            if result.doc_id in doc_paths:
                forget(result.doc_id)
                counts["updated"] += 1
            else:
                counts["added"] += 1
            for part in result.parts:  # words and positions are complete after this
                writer.add_document(**{**part, "body": analysis.Prepared(part["body"])})
            counts["bytes"] += result.nbytes
            vocabulary.update(result.words)
            stats["passages"] += result.passages
            stats["positions"] += result.positions
        removed = [d for d in doc_paths.keys() - seen if not run_plan.keeps(doc_paths[d])]
        for doc_id in removed:  # kept: not looked at, or of a vanished source
            forget(doc_id)
            counts["removed"] += 1
        counts["changed"] = counts["added"] + counts["updated"] + counts["removed"]
        if counts["changed"] or rebuild or moved:
            if not rebuild:  # a rebuild's commit drops every old segment: nothing to read
                with reading(index_dir):
                    vocabulary.update(dict(zip(*spelling_words(s), strict=True)))
                    old_stats = dictionary(s).get("stats", {})
                stats.update({k: old_stats.get(k, 0) for k in ("passages", "positions")})
                writer.delete_by_term("kind", DICTIONARY)
                writer.delete_by_term("kind", WORDS)
            # Kept as stored lists, not as an indexed field: a few hundred thousand
            # one-posting terms would cost more to write than the articles' own postings.
            words = sorted(w for w, n in vocabulary.items() if n > 0)
            dictionary_words = (words, [vocabulary[w] for w in words])
            writer.add_document(kind=WORDS, words=words, counts=dictionary_words[1])
            writer.add_document(
                kind=DICTIONARY,
                stats={"passages": stats["passages"], "positions": stats["positions"], **meta},
            )
    if not whole or not (counts["changed"] or rebuild or moved or learnt):
        return counts, None, dictionary_words
    for doc_id in removed:
        known = files.get(doc_paths[doc_id])
        if known is not None and doc_id in known.docs:
            known.docs.remove(doc_id)
    kept = {path: known for path, known in files.items() if known.docs}
    return counts, {**kept, **read}, dictionary_words


def _stat(path: str) -> os.stat_result | None:
    try:
        return os.stat(path)
    except OSError:
        return None
