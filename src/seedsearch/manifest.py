"""What an index knows of its files, kept beside it so that an update reads only what changed.

``seedsearch-files.json`` maps each indexed file (its path as stored) to its content hash,
the ids of the articles read from it, and the size, mtime, ctime and inode it had when the
hash was taken. An update that finds a file with the same four takes it as unchanged
without opening it; any other file is read and hashed, and re-analysed only if its hash
changed (a touched file is read, never re-indexed).

The index is always right: the file names the generation and the segments it describes,
and one that does not match the committed index (missing, damaged, left by a crash
between a commit and its writing, or by an older version) is ignored and rebuilt from the
articles' stored fields. It is replaced atomically after each commit, and after a run that
learnt the state of files it had to read.

A write in the same clock tick as a read keeps the file's mtime: a file modified less than
:data:`RACY_NS` before it was looked at gets no recorded state, so the next run hashes
it again. Its ctime is compared too, so a file rewritten and given back its old mtime
(``touch -d``, ``cp -p`` over it) is read.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MANIFEST_FILE = "seedsearch-files.json"
VERSION = 1
RACY_NS = 2_000_000_000  # above the coarsest timestamps (FAT's 2 s)

Stat = tuple[int, int, int, int]  # size, mtime_ns, ctime_ns, inode
Identity = tuple[int, list[str]]  # the generation and its segments


@dataclass
class Known:
    """One indexed file: its content hash, its articles, its state when hashed."""

    sha: str
    docs: list[str]
    stat: Stat | None = None


def stat_key(st: os.stat_result, now_ns: int) -> Stat | None:
    """The state to compare, or None when the file was modified too recently to trust it
    (a later write in the same tick would keep its mtime; any write moves an older one)."""
    if st.st_mtime_ns > now_ns - RACY_NS:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def identity(ix: Any) -> Identity:
    """The committed generation of a Whoosh index and its segments' ids."""
    toc = ix._read_toc()
    return int(toc.generation), sorted(str(s.segment_id()) for s in toc.segments)


def from_articles(articles: dict[str, tuple[int, str, str]]) -> dict[str, Known]:
    """The files of ``articles`` (doc_id → (docnum, hash, path), as the index gives them),
    with no recorded state."""
    out: dict[str, Known] = {}
    for doc_id, (_, sha, path) in articles.items():
        out.setdefault(path, Known(sha, [])).docs.append(doc_id)
    return out


def load(index_dir: Path, ident: Identity) -> dict[str, Known] | None:
    """The files as recorded for the generation ``ident``, or None (no file, another
    generation, or anything unreadable)."""
    try:
        with open(index_dir / MANIFEST_FILE, encoding="utf-8") as fh:
            data = json.load(fh)
        if data.get("version") != VERSION or [data["generation"], data["segments"]] != [
            ident[0],
            ident[1],
        ]:
            return None
        out = {}
        for path, (sha, docs, st) in data["files"].items():
            if not isinstance(sha, str) or not isinstance(docs, list):
                return None
            out[path] = Known(sha, [str(d) for d in docs], _stat(st))
        return out
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None


def _stat(value: Any) -> Stat | None:
    if isinstance(value, list) and len(value) == 4 and all(type(v) is int for v in value):
        return (value[0], value[1], value[2], value[3])
    return None


def save(index_dir: Path, ident: Identity, files: dict[str, Known]) -> None:
    """Replace the file atomically (a reader sees the old one or the new one). Failing
    loses nothing: the next run rebuilds it from the index."""
    data = {
        "version": VERSION,
        "generation": ident[0],
        "segments": ident[1],
        "files": {p: [k.sha, k.docs, k.stat] for p, k in sorted(files.items())},
    }
    tmp = index_dir / f".{MANIFEST_FILE}.{os.getpid()}.tmp"
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            # dumps, not dump: the C encoder writes one string, ten times faster.
            # ASCII: any file name survives (a lone surrogate too).
            fh.write(json.dumps(data, separators=(",", ":")))
        os.replace(tmp, index_dir / MANIFEST_FILE)
    except (OSError, ValueError):
        pass
    finally:
        tmp.unlink(missing_ok=True)


def reader_identity(reader: Any) -> Identity:
    """The generation a Whoosh reader reads and its segments' ids (as :func:`identity`)."""
    segments = []
    for leaf, _ in reader.leaf_readers():
        segment = leaf.segment()
        if segment is not None:
            segments.append(str(segment.segment_id()))
    return int(reader.generation()), sorted(segments)
