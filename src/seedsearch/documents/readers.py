"""Which reader reads which format (each imported only when a file of its format comes)."""

from __future__ import annotations

import importlib
from typing import Any

from ..errors import SourceError
from .model import Extracted

_READERS = {
    "html": ("html", "extract_html"),
    "pdf": ("pdf", "extract_pdf"),
    "docx": ("office", "extract_docx"),
    "odt": ("office", "extract_odt"),
    "epub": ("epub", "extract_epub"),
    "mail": ("mail", "extract_mail"),
    "feed": ("feed", "extract_feed"),
    "text": ("readers", "extract_text"),
    "markdown": ("readers", "extract_text"),
}


def extract_text(data: bytes, name: str, fmt: str = "text") -> list[Extracted]:
    """A plain text or Markdown file; a leading YAML front matter block is metadata."""
    from .text import decode, front_matter, meta_tags, meta_text

    text = decode(data)
    meta: dict[str, Any] = {}
    if text.lstrip("\ufeff").startswith("---"):
        meta, body = front_matter(text)
        # In a .txt, a block between two rules is front matter only if it names a field.
        if fmt == "markdown" or meta.keys() & {"title", "date", "author", "tags"}:
            text = body
            fmt = "markdown"
        else:
            meta = {}
    date = meta.get("date", "")
    return [
        Extracted(
            fmt,
            [(text, None)],
            title=meta_text(meta.get("title")),
            date=date if not isinstance(date, str) else meta_text(date),
            author=meta_text(meta.get("author") or meta.get("authors")),
            source=meta_text(meta.get("source") or meta.get("site")),
            language=meta_text(meta.get("lang") or meta.get("language")),
            url=meta_text(meta.get("url") or meta.get("link")),
            tags=meta_tags(meta.get("tags") or meta.get("keywords")),
            description=meta_text(meta.get("description")),
            name=name,
        )
    ]


def extract(fmt: str, data: bytes, name: str) -> list[Extracted]:
    """The articles of ``data`` read as ``fmt``; :class:`SourceError` if unreadable."""
    module, function = _READERS[fmt]
    reader = getattr(importlib.import_module(f"{__package__}.{module}"), function)
    if fmt in ("text", "markdown"):
        return reader(data, name, fmt)  # type: ignore[no-any-return]
    return reader(data, name)  # type: ignore[no-any-return]


def extract_or_reason(fmt: str, data: bytes, name: str) -> tuple[str, Any]:
    """("ok", articles) or ("error", one-line reason): every failure of a reader on a
    hostile or broken file becomes a reason, so that it costs that file only."""
    try:
        return "ok", extract(fmt, data, name)
    except SourceError as err:
        return "error", err.message
    except MemoryError:
        return "error", f"{fmt} reader ran out of memory"
    except RecursionError:
        return "error", f"{fmt} nested too deeply to read"
    # Third-party parsers raise their own exception types on malformed input (lxml,
    # pdfium, python-docx, email): any of them means "this file is unreadable".
    except Exception as err:
        detail = " ".join(str(err).split())[:100]
        return "error", f"unreadable {fmt} ({type(err).__name__}{': ' + detail if detail else ''})"
