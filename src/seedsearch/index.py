"""Building and incrementally updating an index (its layout is in :mod:`.schema`).

Everything a run changes lands in one Whoosh commit, the sources it was built from
included (see :mod:`.generation` for the lock, fresh generations and clean-up), so a crash
leaves the previous generation searchable.

With ``jobs`` > 1 the files are shared among processes that each write a segment, and
this process commits them together.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import os
import pickle
import signal
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import analysis, fold_tables
from .errors import OptionError
from .generation import committed, fault, save_sidecar, session
from .manifest import Known, from_articles, identity, stat_key
from .manifest import load as load_manifest
from .manifest import save as save_manifest
from .prepare import _prepare, _Prepared, _Unchanged, _words_of
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
            with _analysers(jobs, index_dir, report) as analyse_all:
                writer = _open_writer(ix, index_dir)
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


def _writer_options() -> dict[str, Any]:
    from .codec import CompactCodec

    # The body's postings in a compact layout, zlib-compressed (see codec). Blocks do not
    # record the shortest and longest document they hold: that costs a look-up per
    # posting and only serves Whoosh's block-quality skipping, which search does not use
    # (it makes Whoosh's match counts inexact).
    codec = CompactCodec()
    codec.length_stats = False
    return {"limitmb": POOL_MB, "compound": False, "codec": codec}


# What a writer's postings may take in memory before they go to a run file (see
# termpool; close to what its arrays really take): a run on the 36 MB bench corpus with
# two processes peaks near 350 MB in all, one on a 100 MB text file near 300 MB.
POOL_MB = 64


@functools.cache
def _writer_class() -> type:
    from whoosh.writing import SegmentWriter

    from .codec import _PerDocWriter
    from .termpool import TermPool, write_terms

    class Writer(SegmentWriter):  # type: ignore[misc]
        """The run's writers (one per process). Postings go to a :class:`TermPool`
        rather than Whoosh's pool; the main writer's commit also lists the segments
        worker processes wrote, between the segments kept from before and its own."""

        extra_segments: Sequence[Any] = ()

        def __init__(self, ix: Any, **kwargs: Any) -> None:
            super().__init__(ix, **kwargs)
            folder = getattr(self._tempstorage, "folder", None)
            self.pool = TermPool(folder, kwargs.get("limitmb", POOL_MB) * 1024 * 1024)

        def add_document(self, **fields: Any) -> None:
            # The body's postings, prepared, go to the pool a document at a time rather
            # than through Whoosh's loop (a tuple and a call per posting); its length is
            # written with the document, as Whoosh would.
            body = fields.get("body")
            if (
                type(body) is not analysis.Prepared
                or not self.schema["body"].scorable
                or not isinstance(self.perdocwriter, _PerDocWriter)
                or any(k.startswith("_") for k in fields)  # boosts, custom stored values
            ):
                super().add_document(**fields)
                return
            del fields["body"]
            docnum = self.docnum
            lengths = {"body": (self.schema["body"], sum(p[1] for p in body.postings))}
            self.perdocwriter.lengths = lengths
            try:
                super().add_document(**fields)
            finally:
                self.perdocwriter.lengths = None
            self.pool.add_field("body", docnum, body.postings)

        def _flush_segment(self) -> None:
            if self.codec.length_stats:  # lengths per posting: Whoosh's own way
                super()._flush_segment()
                return
            self.perdocwriter.close()
            write_terms(self.fieldwriter, self.schema, self.pool.terms())
            self.fieldwriter.close()

        def _commit_toc(self, segments: list[Any]) -> None:
            own = [s for s in segments if s is self.newsegment]
            kept = [s for s in segments if s is not self.newsegment]
            super()._commit_toc([*kept, *self.extra_segments, *own])

    return Writer


def _open_writer(ix: Any, index_dir: Path) -> Any:
    # The run's session holds the index's lock already.
    with reading(index_dir):
        return _writer_class()(ix, _lk=False, **_writer_options())


Task = tuple["SourceFile", "str | None"]

_progress_queue: Any = None
_parent: int | None = None


def _init_worker(queue: Any) -> None:
    global _progress_queue, _parent
    # Ctrl-C reaches the whole process group: the main process alone stops the run.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The process that started this worker is the run's: it exits when the run does.
    _progress_queue, _parent = queue, os.getppid()


@dataclass(frozen=True)
class _Words:
    """The folded words of a worker's articles, each with the number of articles using it
    (sent once rather than one set per article, which the worker would hold until the
    end of its share)."""

    counts: Counter[str]


def _segment_worker(job: tuple[str, str]) -> tuple[list[Any], Any, _Words]:
    """Read, analyse and write a run of files as one new segment (in a worker process).

    Returns what was found for each file (without the postings, which are on disk now,
    nor the words, counted together), the segment, which the main process's commit
    lists, and the words. The segment's files mean nothing until that commit: if the run
    dies first, the next commit deletes them.
    """
    from whoosh import index as windex

    index_dir, share = job
    with open(share, "rb") as fh:  # written by _write_share in the main process
        tasks = pickle.load(fh)
    ix = windex.open_dir(index_dir, indexname=INDEX_NAME)
    # No lock: the main process holds the index's, for the whole run.
    writer = _writer_class()(ix, _lk=False, **_writer_options())
    out = []
    words: Counter[str] = Counter()
    try:
        for task in tasks:
            if os.getppid() != _parent:  # the run was killed: stop
                raise SystemExit(1)
            for result in _prepare(task):
                if isinstance(result, _Prepared):
                    for part in result.parts:
                        writer.add_document(**{**part, "body": analysis.Prepared(part["body"])})
                    words.update(result.words)
                    result = dataclasses.replace(result, parts=[], words=set())
                out.append(result)
            _progress_queue.put(1)
        # Every writer of the index shares one temporary folder, which the main writer
        # removes when it finishes: workers only close their own files.
        if not writer._added:
            writer._close_segment()
            return out, None, _Words(words)
        return out, writer._finalize_segment(), _Words(words)
    except BaseException:
        writer._close_segment()
        raise


def _write_share(tasks: list[Task]) -> str:
    """A worker's share of the files, in a private temporary file. The pool's pipe carries
    only its name: a message bigger than the pipe's buffer would block the pool's task
    thread when the workers stop reading, and Pool.terminate() (on Ctrl-C) waits for it."""
    fd, name = tempfile.mkstemp(prefix="seedsearch-share-", suffix=".pickle")
    with os.fdopen(fd, "wb") as fh:
        pickle.dump(tasks, fh, protocol=pickle.HIGHEST_PROTOCOL)
    return name


def _shares(tasks: list[Task], n: int) -> list[list[Task]]:
    """``tasks`` cut into ``n`` contiguous runs of about the same number of bytes (so the
    documents keep their order, and the workers finish together)."""
    sizes = []
    for source, _ in tasks:
        try:
            sizes.append(source.path.stat().st_size + 1)
        except OSError:
            sizes.append(1)
    goal = sum(sizes) / n
    chunks: list[list[Task]] = [[]]
    done = 0
    for task, size in zip(tasks, sizes, strict=True):
        if done >= goal * len(chunks) and len(chunks) < n:
            chunks.append([])
        chunks[-1].append(task)
        done += size
    return [c for c in chunks if c]


@contextmanager
def _analysers(jobs: int, index_dir: Path, report: Progress) -> Iterator[Any]:
    """A function from tasks to (their results, the segments worker processes wrote).

    The segment list fills once the results have been consumed. With one job everything
    happens here and the main writer adds every document. With N, the files are cut into
    N contiguous shares: N worker processes each read, analyse and write a share as a
    segment of their own, listed in the shares' order before the main writer's segment
    (the dictionary), so documents keep the order a single process gives them. This
    process only waits: a share written here would have its terms written at the commit,
    after the workers' (a segment's terms are written once its last document is in, and
    the dictionary's words are known only once every share is read).
    """
    import queue as queues

    def serial(tasks: list[Task]) -> tuple[Iterator[Any], list[Any]]:
        def results() -> Iterator[Any]:
            for i, task in enumerate(tasks, start=1):
                yield from _prepare(task)
                report("index", i, len(tasks))

        return results(), []

    if jobs <= 1:
        yield serial
        return
    pool: Any = None

    def start_pool() -> Any:
        # Not fork: the caller may run threads (a progress bar), and forked children would
        # share its open files, the index lock among them. Not forkserver: a SIGTERM to the
        # process group kills the fork server, and the pool then waits forever for the exit
        # status of workers it can no longer ask about. Started only when there is work to
        # share: a run with nothing to read starts no process (nor imports the module).
        import multiprocessing

        context = multiprocessing.get_context("spawn")
        # Workers start with Ctrl-C ignored (an ignored signal stays ignored across exec),
        # so none is interrupted before _init_worker runs.
        main_thread = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if main_thread else None
        try:
            return context.Pool(jobs, initializer=_init_worker, initargs=(queue,))
        finally:
            if main_thread:
                signal.signal(signal.SIGINT, previous)

    queue: Any = None
    share_files: list[str] = []

    def run(tasks: list[Task]) -> tuple[Iterator[Any], list[Any]]:
        chunks = _shares(tasks, jobs) if tasks else []
        if len(chunks) <= 1:
            return serial(tasks)
        nonlocal pool, queue
        if pool is None:
            import multiprocessing

            queue = multiprocessing.get_context("spawn").Queue()
            pool = start_pool()
        shares = [_write_share(c) for c in chunks]
        share_files.extend(shares)
        pending = pool.map_async(_segment_worker, [(str(index_dir), f) for f in shares])
        segments: list[Any] = []

        def results() -> Iterator[Any]:
            done = 0
            while done < len(tasks) and not pending.ready():
                try:
                    done += queue.get(timeout=0.1)
                    report("index", done, len(tasks))
                except queues.Empty:
                    pass
            finished = pending.get()
            segments.extend(segment for _, segment, _ in finished if segment is not None)
            report("index", len(tasks), len(tasks))
            for out, _, words in finished:
                yield from out
                yield words

        return results(), segments

    try:
        yield run
        if pool is not None:
            pool.close()
    except BaseException:
        if pool is not None:
            pool.terminate()
        raise
    finally:
        if pool is not None:
            pool.join()
        for name in share_files:
            Path(name).unlink(missing_ok=True)


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
            if isinstance(result, _Words):
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
