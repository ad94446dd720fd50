"""Indexing stage: one source file's documents made ready to write.

Each document becomes its stored parts and indexed fields (:class:`_Prepared`), or a
marker that the file is unchanged; it runs in the indexing process or in a worker, and
what it returns is pickled back from workers.
"""

from __future__ import annotations

import functools
import sys
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from operator import sub
from typing import TYPE_CHECKING, Any

from . import analysis, collapse, filters, outline
from .errors import SourceError
from .postings import encode_positions
from .schema import ARTICLE, COLLAPSED, PART_CHARS, PASSAGE_GAP, StoredPassage, stored_passages

if TYPE_CHECKING:
    # Documents are only read when indexing; searching does not import that stage.
    from .documents import Document, Passage, Skipped, SourceFile, StreamedDocument

_BIG_ENDIAN = sys.byteorder == "big"


@dataclass
class _Prepared:
    """An article ready to write: what a worker process sends back.

    Its ``parts`` are analysed one at a time as they are consumed (a huge article never
    holds every part's postings at once); ``words`` and ``positions`` are complete once
    they all have been.
    """

    doc_id: str
    parts: Iterator[dict[str, Any]] | list[dict[str, Any]]
    words: set[str]
    passages: int
    positions: int
    nbytes: int
    path: str = ""  # the file it was read from
    sha: str = ""  # that file's content hash


@dataclass(frozen=True)
class _Unchanged:
    path: str  # every article read from this file is unchanged


def _parts(doc: Document) -> Iterator[tuple[int, int, list[Passage]]]:
    """(first passage number, text offset, passages) of each part of an article.

    Parts are cut between passages; together their text ranges cover the whole text.
    """
    start, first = 0, 0
    current: list[Passage] = []
    for n, p in enumerate(doc.passages):
        if current and p.end - start > PART_CHARS:
            yield first, start, current
            start, first, current = p.start, n, []
        current.append(p)
    yield first, start, current


def _prepare_document(doc: Document) -> _Prepared:
    prepared = _Prepared(
        doc.doc_id, iter(()), set(), len(doc.passages), 0, _utf8_size(doc.text), doc.path, doc.sha
    )
    prepared.parts = _prepared_parts(doc, prepared, _shares_of(doc))
    return prepared


def _prepare_streamed(streamed: StreamedDocument, nbytes: int) -> _Prepared:
    doc = streamed.document  # its text is the opening block only
    prepared = _Prepared(doc.doc_id, iter(()), set(), 0, 0, nbytes, doc.path, doc.sha)

    def parts() -> Iterator[dict[str, Any]]:
        shares = ((s.first, s.offset, s.text, s.passages) for s in streamed.shares)
        yield from _prepared_parts(doc, prepared, shares)
        prepared.passages = streamed.passages

    prepared.parts = parts()
    return prepared


def _shares_of(doc: Document) -> Iterator[tuple[int, int, str, list[Passage]]]:
    shares = list(_parts(doc))
    boundaries = [*[offset for _, offset, _ in shares][1:], len(doc.text)]
    for (first, offset, passages), end_offset in zip(shares, boundaries, strict=True):
        yield first, offset, doc.text[offset:end_offset], passages


def _utf8_size(text: str) -> int:
    """Bytes of ``text`` in UTF-8, without encoding a huge text whole at once."""
    step = 1 << 20
    return sum(
        len(text[i : i + step].encode("utf-8", "surrogatepass")) for i in range(0, len(text), step)
    )


def _prepared_parts(
    doc: Document, prepared: _Prepared, shares: Iterable[tuple[int, int, str, list[Passage]]]
) -> Iterator[dict[str, Any]]:
    """The fields of each part, analysed as they are asked for; ``shares`` gives each
    part's first passage number, text offset, text and passages."""
    words = prepared.words
    meta = {**asdict(doc.meta), "tags": list(doc.meta.tags)}
    # Every part carries the filter fields (a filter must hold where the words matched)
    # and the metadata its hits show.
    filter_fields = filters.index_fields(meta, doc.path)
    folding = collapse.columns(doc.doc_id, doc.path, doc.text, doc.meta.url, doc.title)
    for first, offset, text, passages in shares:
        positions: dict[str, list[int]] = {}
        sections: dict[str, int] = {}
        table: list[StoredPassage] = []
        pos = 0
        for p in passages:
            nxt = analysis.add_positions(p.text, pos, positions, words)
            section = sections.setdefault(p.section, len(sections))
            own = _own_text(text[p.start - offset : p.end - offset], p.text)
            entry: StoredPassage = (p.kind, section, p.start, p.end, own, pos, nxt - pos)
            table.append(entry if p.page is None else (*entry, p.page))
            prepared.positions += nxt - pos
            pos = nxt + PASSAGE_GAP
        single, several = _single_position, _encode_positions
        postings = [
            # Most terms occur once in an article.
            (term.encode("utf-8"), n, float(n), single(found[0]) if n == 1 else several(found))
            for term, found in positions.items()
            if (n := len(found))
        ]
        fields = {
            "kind": ARTICLE,
            "doc_id": doc.doc_id,
            "path": doc.path,
            "title": doc.title,
            "body": postings,
            "sha": doc.sha,
            "article": text,
            "offset": offset,
            "first": first,
            "sections": list(sections),
            "passages": table,
            "meta": meta,
            **filter_fields,
            **folding,
            outline.OUTLINE: outline.encode(doc.title, first, table),
        }
        if offset == 0:
            fields["head"] = "1"
        yield fields


def _own_text(source: str, text: str) -> str | int | None:
    """What to store of a passage's text: None when it is its source text as is, 1 when it
    is that text with runs of white space collapsed (soft-wrapped lines), else the text."""
    if source == text:
        return None
    if " ".join(source.split()) == text:
        return COLLAPSED
    return text


@functools.lru_cache(maxsize=65536)
def _single_position(pos: int) -> bytes:
    return encode_positions([pos])


def _encode_positions(positions: list[int]) -> bytes:
    """What :func:`postings.encode_positions` gives for two or more positions, with the
    gaps taken in C and the one-byte case (the common one) packed without an array."""
    deltas = [positions[0], *map(sub, positions[1:], positions)]
    top = max(deltas)
    if top < 1 << 8:
        return b"B" + bytes(deltas)
    code = "H" if top < 1 << 16 else "I"
    packed = array(code, deltas)
    if _BIG_ENDIAN:
        packed.byteswap()
    return code.encode("ascii") + packed.tobytes()


def _prepare(task: tuple[SourceFile, str | None]) -> list[_Prepared | _Unchanged | Skipped]:
    """Read, parse and analyse one file (in a worker process for large runs).

    ``task`` is the file and the content hash the index holds for it, if any: an
    unchanged file is reported as such without being parsed. A file gives one result
    per article (a mailbox or a feed holds several), plus what inside it was skipped.
    """
    from .documents import Skipped, content_hash, parse_file, read_bytes, stream_file

    source, known_sha = task
    try:
        data = read_bytes(source)
        sha = content_hash(data)
        if known_sha is not None and known_sha == sha:
            return [_Unchanged(str(source.path))]
        # A huge text file is read as a stream: never its whole text, lines and passages.
        streamed = stream_file(source, data, sha, PART_CHARS)
        if streamed is not None:
            return [_prepare_streamed(streamed, len(data))]
        docs, inner_skipped = parse_file(source, data)
    except SourceError as err:
        return [Skipped(str(source.path), err.message)]
    del data  # the articles hold what is needed of it: a huge file is not kept twice
    return [*(_prepare_document(doc) for doc in docs), *inner_skipped]


def _words_of(parts: Iterable[dict[str, Any]]) -> set[str]:
    words: set[str] = set()
    positions: dict[str, list[int]] = {}
    for fields in parts:
        for p in stored_passages(fields):
            analysis.add_positions(p.text, 0, positions, words)
    return words
