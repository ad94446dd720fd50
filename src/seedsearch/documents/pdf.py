"""PDF: text page by page, with the page number on every passage.

pypdfium2 (Apache-2.0 / BSD-3, PDFium's own text layer) reads Debian's French manuals
15× faster than pure-Python pypdf (1.5 s against 24 s for 5 manuals of 8 MB) with the
same accents and ligatures; PyMuPDF is AGPL. PDFium is C code: a PDF is always parsed in
the isolated child process (see isolate.py), so a crash or a runaway file costs one
skipped file, not the run.
"""

from __future__ import annotations

import re

from ..errors import SourceError
from .model import Extracted

# A word cut at a line end: "élec-\ntricité". PDFium reports a hyphen it sees ending a
# line as U+FFFE with the line break dropped, and soft hyphens as \x02 or U+00AD.
_HYPHEN_RE = re.compile(r"(\w)(?:[-\x02\xad][ \t]*\r?\n|\ufffe[ \t]*\r?\n?)[ \t]*(\w)")
_SOFT_RE = re.compile(r"[\x02\xad\ufffe]")
_MIN_CHARS_PER_PAGE = 20  # less than this on every page: no text layer


def repair_hyphens(text: str) -> str:
    """Join words hyphenated at a line end (``élec-\\ntricité`` → ``électricité``).

    Only a lowercase letter after the break is joined: "Jean-\\nPierre" keeps its hyphen.
    """

    def join(m: re.Match[str]) -> str:
        if m[2].islower():
            return m[1] + m[2]
        return m[0].replace("\r", "").replace("\ufffe", "-")

    return _SOFT_RE.sub("", _HYPHEN_RE.sub(join, text))


def extract_pdf(data: bytes, name: str) -> list[Extracted]:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as err:
        message = str(err).lower()
        if "password" in message:
            raise SourceError("encrypted PDF (needs a password)") from None
        raise SourceError(f"unreadable PDF ({_short(err)})") from None
    try:
        pages: list[tuple[str, int | None]] = []
        for number in range(len(pdf)):
            page = pdf[number]
            textpage = page.get_textpage()
            raw = textpage.get_text_range()
            textpage.close()
            page.close()
            text = repair_hyphens(raw.replace("\r\n", "\n").replace("\r", "\n"))
            pages.append((text, number + 1))
        if sum(len(t.strip()) for t, _ in pages) < _MIN_CHARS_PER_PAGE * max(1, len(pages)) / 4:
            raise SourceError("no text layer (scanned?)")
        meta = pdf.get_metadata_dict(skip_empty=True)
    except pdfium.PdfiumError as err:
        raise SourceError(f"unreadable PDF ({_short(err)})") from None
    finally:
        pdf.close()
    return [
        Extracted(
            "pdf",
            pages,
            title=_title(meta.get("Title", "")),
            author=_clean(meta.get("Author", "")),
            date=meta.get("CreationDate", "") or meta.get("ModDate", ""),
            tags=tuple(t.strip() for t in re.split(r"[,;]", meta.get("Keywords", "")) if t.strip()),
            name=name,
        )
    ]


_JUNK_TITLE_RE = re.compile(
    r"^(?:untitled|sans titre|document\d*|microsoft word - .*|.*\.(?:docx?|odt|pdf|tex|rtf))$",
    re.I,
)


def _title(value: str) -> str:
    """A PDF's Title entry, unless it is a word processor's placeholder or a file name."""
    title = _clean(value)
    return "" if _JUNK_TITLE_RE.match(title) else title


def _clean(value: str) -> str:
    return " ".join(value.replace("\x00", "").split())


def _short(err: Exception) -> str:
    return " ".join(str(err).split())[:120] or type(err).__name__
