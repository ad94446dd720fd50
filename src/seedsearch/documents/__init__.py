"""Stage 1: documents — finding article files, reading each format, cutting passages.

``scan`` finds the files; ``parse_file`` recognises a file's format by its content
(sniff.py), hands it to that format's reader (one module per format, each importing its
library only when needed, risky ones in a child process: isolate.py), and builds one
:class:`Document` per article (a mailbox or a feed holds several), with its passages
and :class:`Metadata`.
"""

from __future__ import annotations

import os

from ..errors import SourceError
from . import stream
from .build import build_documents, doc_id_for, readable_name
from .html import MAX_HTML_BYTES
from .isolate import ISOLATE_BYTES
from .isolate import run as run_isolated
from .model import (
    BUNDLED_KEY_PREFIX,
    FORMATS,
    MAX_FILE_BYTES,
    MAX_PASSAGE_CHARS,
    MIN_PASSAGE_CHARS,
    Document,
    Extracted,
    Metadata,
    Passage,
    Skipped,
    SourceFile,
)
from .readers import extract_or_reason
from .scan import SUFFIXES, bundled_corpus, content_hash, read_bytes, scan
from .sniff import sniff
from .stream import STREAM_BYTES, Share, StreamedDocument, stream_text
from .text import decode, is_boilerplate, split_passages

__all__ = [
    "BUNDLED_KEY_PREFIX",
    "FORMATS",
    "MAX_FILE_BYTES",
    "MAX_PASSAGE_CHARS",
    "MIN_PASSAGE_CHARS",
    "STREAM_BYTES",
    "SUFFIXES",
    "Document",
    "Metadata",
    "Passage",
    "Share",
    "Skipped",
    "SourceFile",
    "StreamedDocument",
    "bundled_corpus",
    "content_hash",
    "decode",
    "doc_id_for",
    "is_boilerplate",
    "parse_document",
    "parse_file",
    "read_bytes",
    "scan",
    "sniff",
    "split_passages",
    "stream_file",
]


def _read(fmt: str, data: bytes, name: str) -> list[Extracted]:
    # An HTML file over its limit is refused by its reader before any parsing: here, so
    # that it is not first copied to a child process.
    refused = fmt == "html" and len(data) > MAX_HTML_BYTES
    if not refused and (
        fmt == "pdf" or (fmt not in ("text", "markdown") and len(data) > ISOLATE_BYTES)
    ):
        return run_isolated(fmt, data, name)
    status, value = extract_or_reason(fmt, data, name)
    if status != "ok":
        raise SourceError(value)
    return value  # type: ignore[no-any-return]


def _format_of(name: str, data: bytes) -> str:
    fmt = sniff(name, data)
    if not fmt:
        suffix = os.path.splitext(name)[1].lower()
        what = "zip archive" if data[:4] == b"PK\x03\x04" else f"{suffix or 'file'}"
        raise SourceError(f"unsupported format ({what} of no known kind)")
    return fmt


def parse_file(source: SourceFile, data: bytes) -> tuple[list[Document], list[Skipped]]:
    """The articles of a file, and what inside it could not be read (attachments).

    Raises :class:`SourceError` with a one-line reason when the file yields no article.
    """
    name = source.path.name
    articles = _read(_format_of(name, data), data, name)
    skipped: list[Skipped] = []
    for article in list(articles):
        for attached_name, attached in article.attachments:
            where = f"{source.path}#{attached_name}"
            try:
                found = _read(_format_of(attached_name, attached), attached, attached_name)
            except SourceError as err:
                skipped.append(Skipped(where, err.message))
                continue
            for sub in found:
                sub.source = article.source or readable_name(name)
                sub.part = f"{article.part}/{attached_name}/{sub.part}"
                sub.name = sub.name or attached_name
                sub.attachments = []
                articles.append(sub)
        article.attachments = []
    try:
        mtime: float | None = source.path.stat().st_mtime
    except OSError:  # gone since it was read: the read bytes still make the article
        mtime = None
    docs = build_documents(source, content_hash(data), articles, mtime)
    if not docs:
        raise SourceError("no indexable text")
    return docs, skipped


def stream_file(
    source: SourceFile, data: bytes, sha: str, part_chars: int
) -> StreamedDocument | None:
    """The article of a big plain text or Markdown file as a stream of parts of about
    ``part_chars`` characters (see stream.py), or None: read it with :func:`parse_file`."""
    if len(data) < stream.STREAM_BYTES:
        return None
    try:
        mtime: float | None = source.path.stat().st_mtime
    except OSError:
        mtime = None
    return stream_text(source, data, sha, _format_of(source.path.name, data), mtime, part_chars)


def parse_document(source: SourceFile, data: bytes) -> Document:
    """The (first) article of a file; raises :class:`SourceError` if there is none."""
    return parse_file(source, data)[0][0]
