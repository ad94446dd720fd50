"""From what a format reader extracted to :class:`Document`: passages, title, date, id."""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from .model import Document, Extracted, Metadata, Passage, SourceFile
from .text import split_passages

_MONTHS = {
    "janvier": 1, "février": 2, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6,
    "juillet": 7, "août": 8, "aout": 8, "septembre": 9, "octobre": 10, "novembre": 11,
    "décembre": 12, "decembre": 12,
}  # fmt: skip
_MONTH = "|".join(_MONTHS)
_DAY_NAMES = "lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche"
_FR_LONG_RE = re.compile(rf"\b(\d{{1,2}})(?:er)?\s+({_MONTH})\s+(\d{{4}})\b", re.I)
_FR_SHORT_RE = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b")
_FR_NO_YEAR_RE = re.compile(rf"\b(?:{_DAY_NAMES})\s+(\d{{1,2}})(?:er)?\s+({_MONTH})\b", re.I)
_ISO_RE = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})")
_PDF_DATE_RE = re.compile(r"^\s*(?:D:)?(\d{4})(\d{2})(\d{2})")
_DATE_LOOKAHEAD = 1500  # characters of the opening lines searched for a date


def _iso(year: int, month: int, day: int) -> str:
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return ""


def parse_date(value: Any) -> str:
    """ISO ``YYYY-MM-DD`` of a metadata date (ISO, RFC 2822, PDF, French), else ""."""
    if isinstance(value, datetime | date):
        return _iso(value.year, value.month, value.day)
    if not isinstance(value, str) or not value.strip():
        return ""
    for pattern in (_ISO_RE, _PDF_DATE_RE):
        if (m := pattern.match(value)) is not None:
            return _iso(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    from email.utils import parsedate_to_datetime

    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return date_in_text(value, 0)
    return _iso(parsed.year, parsed.month, parsed.day)


def date_in_text(text: str, year: int) -> str:
    """A French date written in ``text`` ("24 novembre 2026", "24/11/2026", or "lundi 3
    mars" in ``year`` when ``year`` is not 0), else ""."""
    head = text[:_DATE_LOOKAHEAD]
    found = []
    if (m := _FR_LONG_RE.search(head)) is not None:
        found.append((m.start(), _iso(int(m[3]), _MONTHS[m[2].lower()], int(m[1]))))
    if "/" in head and (m := _FR_SHORT_RE.search(head)) is not None:
        found.append((m.start(), _iso(int(m[3]), int(m[2]), int(m[1]))))
    if year and (m := _FR_NO_YEAR_RE.search(head)) is not None:
        found.append((m.start(), _iso(year, _MONTHS[m[2].lower()], int(m[1]))))
    found = [f for f in found if f[1]]
    return min(found)[1] if found else ""


def readable_name(name: str) -> str:
    """A file name as a title: ``rapport-annuel_2025.pdf`` → "rapport annuel 2025"."""
    stem = name.rsplit(".", 1)[0] if "." in name.lstrip(".") else name
    return " ".join(re.sub(r"[-_.+]+", " ", stem).split()) or name


def _slug(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.casefold())
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return re.sub(r"[^a-z0-9]+", "-", folded).strip("-")[:40].strip("-") or "doc"


def doc_id_for(key: str) -> str:
    """Stable, readable id: the file name's slug plus a short hash of where it lives."""
    name = key.rsplit("/", 1)[-1].rsplit(os.sep, 1)[-1]
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return f"{_slug(stem)}-{hashlib.sha1(key.encode('utf-8', 'surrogateescape')).hexdigest()[:6]}"


def _short_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8", "surrogateescape")).hexdigest()[:6]


def passages_of(
    blocks: list[tuple[str, int | None]], marked: bool = False
) -> tuple[str, list[Passage], str]:
    """The text of ``blocks`` joined, its passages (offsets into that text, with their
    page), and the title the splitter found (the first heading, else first sentence)."""
    text_parts: list[str] = []
    passages: list[Passage] = []
    title = ""
    offset = 0
    section = ""
    for block, page in blocks:
        if not block.strip():
            continue
        if text_parts:
            text_parts.append("\n\n")
            offset += 2
        found, block_title = split_passages(block, plain_headings=not marked)
        title = title or block_title
        for p in found:
            # A page without a heading of its own stays in the previous page's section.
            section = p.section or section
            passages.append(
                Passage(len(passages), p.kind, section, p.start + offset, p.end + offset,
                        p.text, page)
            )  # fmt: skip
        text_parts.append(block)
        offset += len(block)
    return "".join(text_parts), passages, title


def build_documents(
    source: SourceFile, sha: str, articles: list[Extracted], mtime: float | None
) -> list[Document]:
    """One :class:`Document` per extracted article that has text to index.

    The first article of a file has the file's own id; the others (messages of a mailbox,
    items of a feed, attachments) add a short hash of what tells them apart.
    """
    when = datetime.fromtimestamp(mtime, UTC) if mtime is not None else datetime.now(UTC)
    base_id = doc_id_for(source.key)
    docs: list[Document] = []
    used: set[str] = set()
    for i, ex in enumerate(articles):
        text, passages, split_title = passages_of(ex.blocks, ex.marked)
        if not passages:
            continue
        if ex.fmt in ("text", "markdown"):
            found_title = split_title  # the opening heading, else the first sentence
        else:
            found_title = next((p.text for p in passages if p.kind == "heading"), "")
        title = (
            " ".join(ex.title.split()) or found_title or readable_name(ex.name or source.path.name)
        )
        day = parse_date(ex.date)
        day_source = "metadata"
        if not day:
            day, day_source = date_in_text(text, when.year), "text"
        if not day:
            day, day_source = when.date().isoformat(), "mtime"
        doc_id = base_id if not docs else f"{base_id}-{_short_hash(ex.part or str(i))}"
        if doc_id in used:  # two messages with one Message-ID
            doc_id = f"{base_id}-{_short_hash(f'{ex.part}#{i}')}"
        used.add(doc_id)
        meta = Metadata(
            title=title,
            date=day,
            date_source=day_source,
            author=" ".join(ex.author.split()),
            source=" ".join(ex.source.split()),
            language=ex.language,
            url=ex.url,
            format=ex.fmt,
            folder=str(Path(source.path).parent),
            tags=ex.tags,
            description=ex.description,
        )
        docs.append(Document(doc_id, str(source.path), title, text, sha, tuple(passages), meta))
    return docs
