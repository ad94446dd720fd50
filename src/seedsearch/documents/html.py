"""HTML and XHTML pages: the main content, as Markdown-like text, and the page's metadata.

trafilatura (Apache-2.0) is made for this: it drops menus, cookie banners, share buttons,
comments and footers, keeps headings, lists and tables, and reads the title, author,
date, site name and canonical URL from <meta>, Open Graph and JSON-LD; it is fast on
lxml and does well on French news pages. Pages where it finds no main content (short
documentation pages) fall back to a plain walk of the body (:func:`body_blocks`).
"""

from __future__ import annotations

import contextlib
import re
from typing import Any

from ..errors import SourceError
from .model import Extracted

# trafilatura refuses larger input itself; say so in a readable reason.
MAX_HTML_BYTES = 20_000_000
# trafilatura's main-content search costs about 0.15 ms per paragraph (12 s for a 2.6 MB
# page of 80,000 paragraphs): larger pages, which are books and manuals rather than news
# pages, get the body walk (0.5 s for the same page) and the metadata of their <head>.
LARGE_HTML_BYTES = 1_000_000
# trafilatura's Markdown marks <em>, <b> and <code>; the article's text keeps the words.
_EMPHASIS_RE = re.compile(
    r"(?<![\w*`])(?:\*{1,2}|`)(?=\S)([^*`\n]+?)(?<=\S)(?:\*{1,2}|`)(?![\w*`])"
)
_ESCAPE_RE = re.compile(r"\\([*_`#\[\]\\])")  # and escapes literal ones: 2 \* 3
_HEAD_END_RE = re.compile(rb"</head\s*>", re.I)
_BLOCK_TAGS = {"p", "div", "section", "article", "main", "blockquote", "pre", "dd", "dt",
               "figcaption", "address", "td", "th", "body", "center"}  # fmt: skip
_SKIP_TAGS = {"script", "style", "noscript", "nav", "header", "footer", "aside", "form",
              "button", "select", "template", "svg", "iframe", "head", "title", "meta"}  # fmt: skip
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}


def _text(value: Any) -> str:
    return " ".join(str(value).split()) if value else ""


def extract_html(data: bytes, name: str) -> list[Extracted]:
    if len(data) > MAX_HTML_BYTES:
        raise SourceError(
            f"HTML too large ({len(data) / 1e6:.0f} MB, limit {MAX_HTML_BYTES / 1e6:.0f} MB)"
        )
    import trafilatura
    from trafilatura.xml import xmltotxt

    if len(data) > LARGE_HTML_BYTES:
        return [_large_page(data, name)]
    doc: Any = trafilatura.bare_extraction(
        data,
        output_format="markdown",
        with_metadata=True,
        include_formatting=True,
        include_tables=True,
        include_comments=False,
        include_images=False,
        include_links=False,
        # Not fast=True: on 300 of Debian's pages it saved 4 % of the time but lost the
        # headings of 41 pages (jusText/readability's second opinion keeps them).
        favor_recall=True,
        # htmldate's extensive search (dates guessed from the whole text, via dateparser)
        # took half the reading time of Debian's pages; the metadata, JSON-LD and URL are
        # searched here, and build.py looks for a French date in the opening lines.
        date_extraction_params={"original_date": True, "extensive_search": False},
    )
    body = xmltotxt(doc.body, True) if doc is not None and doc.body is not None else ""
    body = _ESCAPE_RE.sub(r"\1", _EMPHASIS_RE.sub(r"\1", body))
    if len(body.strip()) < 200:
        # Too little main content found (a short documentation page): read the whole body.
        fallback = "\n\n".join(body_blocks(data))
        if len(fallback.strip()) > len(body.strip()):
            body = fallback
    if doc is None:
        return [Extracted("html", [(body, None)], name=name, marked=True)]
    description = _text(doc.description)
    return [
        Extracted(
            "html",
            [(body, None)],
            title=_title(_text(doc.title), data, body),
            date=_text(doc.date),
            author=_text(doc.author),
            source=_text(doc.sitename),
            language=_text(doc.language) or _lang_attribute(data),
            url=_text(doc.url),
            tags=tuple(t for t in (_text(x) for x in (doc.tags or [])) if t),
            name=name,
            marked=True,
            description=description,
        )
    ]


_TITLE_RE = re.compile(rb"<title[^>]*>(.*?)</title", re.I | re.S)
_FIRST_HEADING_RE = re.compile(r"^#{1,6} +(.+)$", re.M)


def _title(found: str, data: bytes, body: str) -> str:
    """trafilatura's title, unless it kept the site's part of a "Site – Section: Page"
    <title> (as GNU LilyPond's manuals have it) whose page part is the first heading."""
    import html

    raw = _TITLE_RE.search(data[:200_000])
    heading = _FIRST_HEADING_RE.search(body)
    if raw is None or heading is None:
        return found
    page_title = _norm(html.unescape(raw.group(1).decode("utf-8", "replace")))
    first = " ".join(heading.group(1).split())
    if found and first != found and _norm(found) in page_title and _norm(first) in page_title:
        return first
    return found


def _norm(text: str) -> str:
    return " ".join(text.replace("’", "'").casefold().split())


def _large_page(data: bytes, name: str) -> Extracted:
    from trafilatura.metadata import extract_metadata

    head_end = _HEAD_END_RE.search(data, 0, 512_000)
    head = data[: head_end.end()] + b"<body></body></html>" if head_end else b""
    doc: Any = (
        extract_metadata(
            head.decode("utf-8", "replace"),
            date_config={"original_date": True, "extensive_search": False},
        )
        if head
        else None
    )
    body = "\n\n".join(body_blocks(data))
    if doc is None:
        return Extracted(
            "html", [(body, None)], language=_lang_attribute(data), name=name, marked=True
        )
    return Extracted(
        "html",
        [(body, None)],
        title=_text(doc.title),
        date=_text(doc.date),
        author=_text(doc.author),
        source=_text(doc.sitename),
        language=_text(doc.language) or _lang_attribute(data),
        url=_text(doc.url),
        description=_text(doc.description),
        name=name,
        marked=True,
    )


_XML_DECL_RE = re.compile(r"^\s*<\?xml[^>]*\?>")
_LANG_RE = re.compile(rb"<html[^>]*\blang=[\"']?([A-Za-z-]{2,10})", re.I)


def _lang_attribute(data: bytes) -> str:
    m = _LANG_RE.search(data[:4096])
    return m.group(1).decode("ascii").lower() if m else ""


def body_blocks(data: bytes | str) -> list[str]:
    """The text of an HTML body as Markdown-like blocks: ``#`` headings, ``-`` list
    items, ``|`` table rows and paragraphs; scripts, menus, headers and footers left out."""
    import lxml.html
    from lxml import etree

    if isinstance(data, bytes):
        # Without a <meta charset>, lxml takes bytes for Latin-1: UTF-8 is tried first.
        with contextlib.suppress(UnicodeDecodeError):
            data = data.decode("utf-8")
    if isinstance(data, str):  # lxml refuses text that declares its encoding
        data = _XML_DECL_RE.sub("", data, count=1)
    try:
        root = lxml.html.document_fromstring(data)
    except (etree.ParserError, ValueError):
        return []
    blocks: list[str] = []
    current: list[str] = []

    def flush() -> None:
        text = " ".join("".join(current).split())
        if text:
            blocks.append(text)
        current.clear()

    def walk(el: Any) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        tag = tag.rsplit("}", 1)[-1].lower()
        if tag in _SKIP_TAGS or not tag:
            if el.tail:
                current.append(el.tail)
            return
        if tag in _HEADINGS:
            flush()
            blocks.append("#" * _HEADINGS[tag] + " " + " ".join(el.text_content().split()))
        elif tag == "li":
            flush()
            blocks.append("- " + " ".join(el.text_content().split()))
        elif tag == "tr":
            flush()
            cells = [" ".join(c.text_content().split()) for c in el if isinstance(c.tag, str)]
            blocks.append("| " + " | ".join(cells) + " |")
        else:
            block = tag in _BLOCK_TAGS or tag == "br"
            if block:
                flush()
            if el.text:
                current.append(el.text)
            for child in el:
                walk(child)
            if block:
                flush()
        if el.tail:
            current.append(el.tail)

    body = root.find("body")
    # Nesting deeper than Python's stack (lxml caps it at 256 levels anyway): keep what
    # was read.
    with contextlib.suppress(RecursionError):
        walk(body if body is not None else root)
    flush()
    return [b for b in blocks if b.strip("-|# ")]
