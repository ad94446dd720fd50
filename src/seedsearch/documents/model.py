"""What the documents stage produces: files found, articles read, passages cut."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

MIB = 1024 * 1024
MAX_FILE_BYTES = 100 * MIB  # 104,857,600 bytes
MAX_PASSAGE_CHARS = 1500
MIN_PASSAGE_CHARS = 200
BUNDLED_KEY_PREFIX = "corpus/"

FORMATS = ("text", "markdown", "html", "pdf", "docx", "odt", "epub", "mail", "feed")


@dataclass(frozen=True, slots=True)
class Passage:
    n: int
    kind: str  # "heading" | "paragraph" | "item" | "row"
    section: str
    start: int
    end: int
    text: str
    page: int | None = None  # 1-based page of a PDF passage


@dataclass(frozen=True, slots=True)
class Metadata:
    """What is known about an article beside its text."""

    title: str = ""
    date: str = ""  # ISO YYYY-MM-DD, or ""
    date_source: str = ""  # "metadata" | "text" | "mtime"
    author: str = ""
    source: str = ""  # site name, feed title, mailbox name
    language: str = ""
    url: str = ""
    format: str = "text"  # one of FORMATS
    folder: str = ""  # the file's parent folder
    tags: tuple[str, ...] = ()
    description: str = ""


@dataclass(frozen=True, slots=True)
class Document:
    doc_id: str
    path: str
    title: str
    text: str
    sha: str
    passages: tuple[Passage, ...]
    meta: Metadata = field(default_factory=Metadata)


@dataclass(frozen=True, slots=True)
class Skipped:
    path: str
    reason: str


@dataclass(slots=True)
class SourceFile:
    """A file found by :func:`scan`: where it is and the key its id derives from."""

    path: Path
    key: str


@dataclass(slots=True)
class Extracted:
    """One article as a format reader hands it over, before passages and ids.

    ``blocks`` are (text, page) pairs: Markdown-like text (``#`` headings, ``-`` items,
    ``|`` rows) that the text splitter cuts into passages, with the PDF page it comes
    from. ``part`` tells apart the articles of one file (a message, a feed item).
    """

    fmt: str
    blocks: list[tuple[str, int | None]]
    title: str = ""
    date: str = ""  # as found: ISO, RFC 2822, PDF date...
    author: str = ""
    source: str = ""
    language: str = ""
    url: str = ""
    tags: tuple[str, ...] = ()
    description: str = ""
    part: str = ""
    name: str = ""  # file name a title falls back to (an attachment's)
    # Files carried inside this article (a message's attachments): (file name, bytes).
    attachments: list[tuple[str, bytes]] = field(default_factory=list)
    # Whether every heading is marked with "#" (else short lines may be headings).
    marked: bool = False
