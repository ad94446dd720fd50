"""The writers of an index run: the segment writer every process uses (its postings in a
:class:`~.termpool.TermPool`, the body's codec), and, with ``jobs`` > 1, the worker
processes that each read, analyse and write a share of the files as a segment of their
own, which the main process's commit lists (see :mod:`.index`).
"""

from __future__ import annotations

import dataclasses
import functools
import os
import pickle
import signal
import tempfile
import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import analysis
from .prepare import _prepare, _Prepared
from .schema import INDEX_NAME, Progress, reading

if TYPE_CHECKING:
    from .documents import SourceFile


def writer_options() -> dict[str, Any]:
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
def writer_class() -> type:
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


def open_writer(ix: Any, index_dir: Path) -> Any:
    # The run's session holds the index's lock already.
    with reading(index_dir):
        return writer_class()(ix, _lk=False, **writer_options())


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
class WordCounts:
    """The folded words of a worker's articles, each with the number of articles using it
    (sent once rather than one set per article, which the worker would hold until the
    end of its share)."""

    counts: Counter[str]


def _segment_worker(job: tuple[str, str]) -> tuple[list[Any], Any, WordCounts]:
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
    writer = writer_class()(ix, _lk=False, **writer_options())
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
            return out, None, WordCounts(words)
        return out, writer._finalize_segment(), WordCounts(words)
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
def analysers(jobs: int, index_dir: Path, report: Progress) -> Iterator[Any]:
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
