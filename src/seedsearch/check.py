"""Verifying an index: ``seedsearch check``.

Reads everything an index holds: the sidecar, the table of contents, every segment (every
term's postings, every stored document, every length), the checksums recorded when each
file was written, and the articles' own consistency (one first part each, the same hash on
every part, parts that follow each other, the collection statistics adding up). Whoosh's
files carry no checksum of their own, so a flipped bit inside a posting may read back
without error: the recorded checksums catch it.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .errors import IndexNotFoundError
from .schema import (
    ARTICLE,
    DICTIONARY,
    INDEX_NAME,
    META_FILE,
    WORDS,
    compatible,
    indexed_meta,
    read_meta,
    toc_generations,
)

_SHA = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True)
class CheckReport:
    """What ``check_index`` found: ``problems`` make the index unhealthy, ``notes`` do not."""

    index_dir: str
    generation: int | None
    segments: int = 0
    articles: int = 0
    terms: int = 0
    postings: int = 0
    problems: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())
    # A cluster's figures per shard (shard, addresses, answering, articles, terms,
    # postings); a folder has none.
    shards: tuple[dict[str, Any], ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}


def check_index(index_dir: str | os.PathLike[str]) -> CheckReport:
    """Verify the index at ``index_dir``; raises :class:`IndexNotFoundError` when there is
    no index there at all."""
    from whoosh.filedb.filestore import FileStorage
    from whoosh.index import TOC

    index_dir = Path(index_dir)
    missing = IndexNotFoundError(f"no index at {index_dir}: run 'seedsearch index' to build it")
    if not index_dir.is_dir():
        raise missing
    problems: list[str] = []
    notes: list[str] = []
    meta = read_meta(index_dir)
    if not meta:
        problems.append(f"{META_FILE} is missing or unreadable")
    elif not compatible(meta):
        problems.append(
            f"built by another seedsearch version (schema {meta.get('schema')}, "
            f"analysis {meta.get('analysis')})"
        )
    generations = toc_generations(index_dir)
    if not generations:
        if meta.get("generation") is None:
            raise missing
        problems.append("the table of contents is missing")
        return CheckReport(str(index_dir), None, problems=tuple(problems))
    generation = generations[-1]
    problems += _checksums(index_dir, meta, generation, notes)
    storage = FileStorage(str(index_dir))
    try:
        toc = TOC.read(storage, INDEX_NAME, generation)
    except Exception as exc:
        problems.append(f"the table of contents _{INDEX_NAME}_{generation}.toc: {_say(exc)}")
        return CheckReport(str(index_dir), generation, problems=tuple(problems), notes=tuple(notes))
    if not toc.segments:
        problems.append("the table of contents lists no segment (a build that did not finish)")
    terms = postings = 0
    readable = True
    for segment in toc.segments:
        found, n_terms, n_postings = _check_segment(storage, toc.schema, segment)
        problems += found
        readable = readable and not found
        terms += n_terms
        postings += n_postings
    articles = 0
    if readable and toc.segments:
        articles = _check_articles(storage, meta, problems, notes)
    return CheckReport(
        str(index_dir),
        generation,
        segments=len(toc.segments),
        articles=articles,
        terms=terms,
        postings=postings,
        problems=tuple(problems),
        notes=tuple(notes),
    )


def _say(exc: BaseException) -> str:
    if isinstance(exc, FileNotFoundError) and exc.filename:
        return f"{Path(exc.filename).name} is missing"
    return f"{type(exc).__name__}: {exc}"[:200]


def _checksums(
    index_dir: Path, meta: dict[str, Any], generation: int, notes: list[str]
) -> list[str]:
    files = meta.get("files")
    if meta.get("generation") != generation or not isinstance(files, dict):
        notes.append(f"no checksums recorded for generation {generation}")
        return []
    out = []
    for name, digest in sorted(files.items()):
        path = index_dir / name
        try:
            with open(path, "rb") as fh:
                actual = hashlib.blake2b(fh.read(), digest_size=16).hexdigest()
        except FileNotFoundError:
            out.append(f"{name} is missing")
            continue
        except OSError as exc:
            out.append(f"{name} cannot be read: {exc.strerror}")
            continue
        if actual != digest:
            out.append(f"{name} has changed since it was written (checksum mismatch)")
    return out


def _check_segment(storage: Any, schema: Any, segment: Any) -> tuple[list[str], int, int]:
    """(problems, terms, postings) of one segment, read through."""
    from whoosh.reading import SegmentReader

    name = segment.segment_id()
    terms = postings = 0
    try:
        reader = SegmentReader(storage, schema, segment)
    except Exception as exc:
        return [f"segment {name} cannot be opened: {_say(exc)}"], 0, 0
    try:
        total = reader.doc_count_all()
        for fieldname, text in reader.all_terms():
            terms += 1
            matcher = reader.postings(fieldname, text)
            has_positions = matcher.supports("positions")
            last, count = -1, 0
            while matcher.is_active():
                docnum = matcher.id()
                if not last < docnum < total:
                    raise ValueError(f"posting out of order in {fieldname}:{text!r}")
                matcher.value_as("positions") if has_positions else matcher.value()
                last, count = docnum, count + 1
                matcher.next()
            recorded = reader.doc_frequency(fieldname, text)  # deleted documents included
            if count > recorded or (count < recorded and not reader.has_deletions()):
                raise ValueError(f"{fieldname}:{text!r} lists {count} documents, not its count")
            postings += count
        for docnum in range(total):
            if reader.is_deleted(docnum):
                continue
            reader.stored_fields(docnum)
            for fieldname in ("title", "body"):
                reader.doc_field_length(docnum, fieldname)
    except Exception as exc:
        return [f"segment {name}: {_say(exc)}"], terms, postings
    finally:
        reader.close()
    return [], terms, postings


def _check_articles(
    storage: Any, meta: dict[str, Any], problems: list[str], notes: list[str]
) -> int:
    """Check the articles as a whole; returns how many there are."""
    from whoosh.index import FileIndex

    ix = FileIndex(storage, indexname=INDEX_NAME)
    try:
        with ix.searcher() as s:
            reader = s.reader()
            parts: dict[str, list[dict[str, Any]]] = defaultdict(list)
            kinds: Counter[str] = Counter()
            for _, fields in reader.iter_docs():
                kinds[fields.get("kind", "")] += 1
                if fields.get("kind") == ARTICLE:
                    parts[fields.get("doc_id", "")].append(fields)
            for kind in (DICTIONARY, WORDS):
                if kinds[kind] != 1:
                    problems.append(f"{kinds[kind]} {kind} documents instead of one")
            passages = positions = 0
            for doc_id, found in parts.items():
                passages += sum(len(f.get("passages", [])) for f in found)
                positions += sum(p[6] for f in found for p in f.get("passages", []))
                problems += _article_problems(doc_id, found)
            stats = {}
            if kinds[DICTIONARY] == 1:
                stats = next(f for _, f in reader.iter_docs() if f.get("kind") == DICTIONARY)
                stats = stats.get("stats", {})
                if (stats.get("passages"), stats.get("positions")) != (passages, positions):
                    problems.append(
                        "the collection statistics do not add up: "
                        f"{stats.get('passages')} passages recorded, {passages} stored"
                    )
            committed = indexed_meta(s).get("roots")
            if committed is not None and meta.get("roots") not in (None, committed):
                notes.append(
                    f"{META_FILE} names other sources than the index (the index's are used)"
                )
            return len(parts)
    finally:
        ix.close()


def _article_problems(doc_id: str, parts: list[dict[str, Any]]) -> list[str]:
    parts = sorted(parts, key=lambda f: f.get("first", 0))
    out = []
    heads = [f for f in parts if f.get("offset", 0) == 0]
    if len(heads) != 1:
        out.append(f"article {doc_id}: {len(heads)} first parts")
    shas = {f.get("sha") for f in parts}
    if len(shas) != 1 or not _SHA.match(str(next(iter(shas)))):
        out.append(f"article {doc_id}: inconsistent stored hash {sorted(map(str, shas))}")
    offset = first = 0
    for f in parts:
        if f.get("offset", 0) != offset or f.get("first", 0) != first:
            out.append(f"article {doc_id}: parts do not follow each other")
            break
        text = f.get("article", "")
        for p in f.get("passages", []):
            if not (offset <= p[2] <= p[3] <= offset + len(text)):
                out.append(f"article {doc_id}: a passage lies outside its text")
                break
        offset += len(text)
        first += len(f.get("passages", []))
    return out
