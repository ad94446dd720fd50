"""A huge plain text or Markdown file read as a stream of blocks, never held whole.

Reading a 100 MB text file at once holds its bytes, its decoded text (two bytes a
character as soon as one character is outside Latin-1), every line of it and every
passage's text together: over a gigabyte. Here the bytes are decoded a slice at a time
and cut at blank lines into blocks of about :data:`BLOCK_CHARS`, each split into passages
on its own (offsets stay those of the whole text, sections carry over), and the passages
are grouped into parts of about ``part_chars`` characters, handed over one at a time.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from dataclasses import dataclass

from ..errors import SourceError
from .build import build_documents
from .model import Document, Extracted, Passage, SourceFile
from .text import _CONTROL_RE, split_passages

STREAM_BYTES = 8_000_000  # text files from this size on are read as a stream
BLOCK_CHARS = 1_000_000
_SLICE = 1 << 20  # bytes decoded at a time


@dataclass(frozen=True)
class Share:
    """A part of a streamed article: its first passage's number, where its text starts
    in the whole text, that text, and its passages."""

    first: int
    offset: int
    text: str
    passages: list[Passage]


@dataclass
class StreamedDocument:
    """An article whose text comes part by part: ``document`` has everything but the text
    and the passages (its ``text`` is the first block only, for the title and date)."""

    document: Document
    shares: Iterator[Share]
    passages: int = 0  # counted as the shares are consumed
    chars: int = 0


def _encoding(data: bytes) -> str:
    """The encoding :func:`.text.decode` would pick, found without decoding at once."""
    for encoding in ("utf-8-sig", "cp1252"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            for i in range(0, len(data), _SLICE):
                decoder.decode(data[i : i + _SLICE])
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    return "latin-1"


def _text_slices(data: bytes, encoding: str) -> Iterator[str]:
    decoder = codecs.getincrementaldecoder(encoding)()
    for i in range(0, len(data), _SLICE):
        yield decoder.decode(data[i : i + _SLICE])
    yield decoder.decode(b"", final=True)


def _blocks(data: bytes, encoding: str) -> Iterator[str]:
    """The decoded text, cut just after a blank line (else a line end) near every
    :data:`BLOCK_CHARS` characters; the blocks put together are the whole text."""
    pending = ""
    for piece in _text_slices(data, encoding):
        pending += piece
        while len(pending) > BLOCK_CHARS:
            cut = pending.rfind("\n\n", 0, BLOCK_CHARS)
            if cut < BLOCK_CHARS // 2:
                cut = pending.rfind("\n", 0, BLOCK_CHARS)
            cut = cut + 2 if pending.startswith("\n\n", cut) else cut + 1
            if cut <= 0:
                cut = BLOCK_CHARS
            yield pending[:cut]
            pending = pending[cut:]
    if pending:
        yield pending


def stream_text(
    source: SourceFile, data: bytes, sha: str, fmt: str, mtime: float | None, part_chars: int
) -> StreamedDocument | None:
    """The article of a big text or Markdown file as a stream, or None when it is better
    read whole (small, or opening with front matter)."""
    if fmt not in ("text", "markdown") or len(data) < STREAM_BYTES:
        return None
    head = data[:8192].lstrip(b"\xef\xbb\xbf")
    if head.lstrip().startswith(b"---"):
        return None  # front matter: the ordinary reader knows it
    if b"\x00" in head:
        raise SourceError("binary file")
    encoding = _encoding(data)
    blocks = _blocks(data, encoding)
    first = next(blocks, "")
    sample = first[:8192]
    if len(_CONTROL_RE.findall(sample)) > max(8, len(sample) // 100):
        raise SourceError("binary file")
    # The title, the date and the metadata are those of the opening block.
    opening = Extracted(fmt, [(first, None)], name=source.path.name)
    docs = build_documents(source, sha, [opening], mtime)
    if not docs:
        raise SourceError("no indexable text")
    streamed = StreamedDocument(docs[0], iter(()))
    streamed.shares = _shares(streamed, first, blocks, part_chars)
    return streamed


def _shares(
    streamed: StreamedDocument, first: str, rest: Iterator[str], part_chars: int
) -> Iterator[Share]:
    offset = 0  # of the current block in the whole text
    section = ""
    part_start, part_first = 0, 0
    part_text = ""  # the text from part_start to the end of the current block
    current: list[Passage] = []
    n = 0
    for i, block in enumerate(_chain(first, rest)):
        found, _ = split_passages(block, opening=i == 0)
        part_text += block
        for p in found:
            start, end = p.start + offset, p.end + offset
            if current and end - part_start > part_chars:
                cut = start - part_start  # the part ends where this passage starts
                yield Share(part_first, part_start, part_text[:cut], current)
                part_text, part_start, part_first, current = part_text[cut:], start, n, []
            section = p.section or section
            current.append(Passage(n, p.kind, section, start, end, p.text))
            n += 1
        offset += len(block)
        streamed.chars = offset
    streamed.passages = n
    if current:
        yield Share(part_first, part_start, part_text, current)


def _chain(first: str, rest: Iterator[str]) -> Iterator[str]:
    yield first
    yield from rest
