"""RSS 2.0, RSS 1.0 (RDF) and Atom feeds: one article per item, the feed title as source.

defusedxml (PSF licence) parses the feed: a DTD entity ("billion laughs") or an external
reference is refused, never expanded. feedparser would add a dependency for the same
fields and expands nothing safer. An item's HTML content goes through the HTML reader's
body walk.
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import SourceError
from .html import body_blocks
from .model import Extracted
from .office import parse_xml

MAX_ITEMS = 50_000
_MARKUP_RE = re.compile(r"<[a-zA-Z/!][^>]*>")


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def _child(el: Any, *names: str) -> Any:
    for name in names:
        for child in el:
            if _local(child.tag) == name:
                return child
    return None


def _text_of(el: Any) -> str:
    return " ".join("".join(el.itertext()).split()) if el is not None else ""


def _content(el: Any) -> str:
    """An item's body as Markdown-like text (HTML content walked, plain text kept)."""
    if el is None:
        return ""
    if len(el) and el.get("type") == "xhtml":  # Atom inline XHTML
        from xml.etree.ElementTree import tostring

        raw = "".join(tostring(c, encoding="unicode") for c in el)
    else:
        raw = "".join(el.itertext())
    if _MARKUP_RE.search(raw):
        return "\n\n".join(body_blocks(f"<html><body>{raw}</body></html>"))
    return raw.strip()


def _link(item: Any) -> str:
    for child in item:
        if _local(child.tag) != "link":
            continue
        if child.get("href"):  # Atom
            if child.get("rel", "alternate") == "alternate":
                return str(child.get("href", ""))
        elif child.text:
            return str(child.text).strip()
    return ""


def extract_feed(data: bytes, name: str) -> list[Extracted]:
    root = parse_xml(data, "feed")
    kind = _local(root.tag)
    if kind == "rss":
        channel = _child(root, "channel")
        if channel is None:
            raise SourceError("not a feed (RSS without channel)")
        items = [c for c in channel if _local(c.tag) == "item"]
        feed_title = _text_of(_child(channel, "title"))
        language = _text_of(_child(channel, "language"))
    elif kind == "feed":
        channel = root
        items = [c for c in root if _local(c.tag) == "entry"]
        feed_title = _text_of(_child(root, "title"))
        language = root.get("{http://www.w3.org/XML/1998/namespace}lang", "")
    elif kind == "rdf":
        channel = _child(root, "channel")
        items = [c for c in root if _local(c.tag) == "item"]
        feed_title = _text_of(_child(channel, "title")) if channel is not None else ""
        language = ""
    else:
        raise SourceError(f"not a feed (XML root <{kind}>)")
    feed_author = _text_of(_child(channel, "author")) if channel is not None else ""
    out = []
    for i, item in enumerate(items[:MAX_ITEMS]):
        author_el = _child(item, "author", "creator")
        author = (
            _text_of(_child(author_el, "name"))
            if author_el is not None and len(author_el)
            else _text_of(author_el)
        )
        body = _content(_child(item, "encoded", "content")) or _content(
            _child(item, "description", "summary")
        )
        link = _link(item)
        ident = _text_of(_child(item, "guid", "id")) or link or f"#{i}"
        tags = tuple(
            t
            for t in (
                c.get("term") or _text_of(c)
                for c in item
                if _local(c.tag) in ("category", "subject")
            )
            if t
        )
        out.append(
            Extracted(
                "feed",
                [(body, None)],
                title=_text_of(_child(item, "title")),
                date=_text_of(_child(item, "pubdate", "published", "date", "updated")),
                author=author or feed_author,
                source=feed_title,
                language=language,
                url=link,
                tags=tags,
                part=ident,
                name=name,
                marked=True,
            )
        )
    if not out:
        raise SourceError("empty feed (no items)")
    return out
