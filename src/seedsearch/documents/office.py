"""Word processor files: DOCX (python-docx, MIT, the reference reader of the format; its
XML parser resolves no entities) and ODT (zipfile + defusedxml, no dependency beyond the
XML guard: odfpy is GPL-compatible but slow and unmaintained for reading).

Headings become ``#`` lines, list paragraphs ``-`` items, table rows ``|`` rows, so the
text splitter gives them their passage kinds.
"""

from __future__ import annotations

import io
import re
from typing import Any

from ..errors import SourceError
from .model import Extracted
from .zipsafe import open_zip, read_member

_HEADING_STYLE_RE = re.compile(r"^(?:heading|titre|überschrift|título)\s*(\d)$", re.I)


def _line(text: str) -> str:
    return " ".join(text.split())


def extract_docx(data: bytes, name: str) -> list[Extracted]:
    open_zip(data, "DOCX").close()  # bomb check before python-docx inflates the parts
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table

    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, KeyError, ValueError) as err:
        raise SourceError(f"not a valid DOCX ({_line(str(err))[:100]})") from None
    except Exception as err:  # lxml.etree.XMLSyntaxError and friends: a broken part
        raise SourceError(f"broken DOCX ({type(err).__name__})") from None
    lines: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            for row in block.rows:
                cells = [_line(c.text) for c in row.cells]
                # Merged cells come back once per grid column: keep one of each run.
                kept = [c for i, c in enumerate(cells) if i == 0 or c != cells[i - 1]]
                lines.append("| " + " | ".join(kept) + " |")
            lines.append("")
            continue
        text = _line(block.text)
        if not text:
            lines.append("")
            continue
        style = (block.style.name if block.style is not None else "") or ""
        if (m := _HEADING_STYLE_RE.match(style)) is not None:
            lines += ["", "#" * min(6, int(m[1]) or 1) + " " + text, ""]
        elif style.lower() in ("title", "titre"):
            lines += ["", "# " + text, ""]
        elif "list" in style.lower() or "liste" in style.lower() or _numbered(block):
            lines.append("- " + text)
        else:
            lines += [text, ""]
    core = document.core_properties
    return [
        Extracted(
            "docx",
            [("\n".join(lines), None)],
            title=_line(core.title or ""),
            author=_line(core.author or ""),
            date=core.created.isoformat() if core.created else "",
            language=_line(core.language or ""),
            tags=tuple(t.strip() for t in re.split(r"[,;]", core.keywords or "") if t.strip()),
            name=name,
            marked=True,
        )
    ]


def _numbered(paragraph: Any) -> bool:
    ppr = paragraph._p.pPr
    return ppr is not None and ppr.numPr is not None


# --- ODT -------------------------------------------------------------------------------

_NS = {
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "dc": "http://purl.org/dc/elements/1.1/",
    "meta": "urn:oasis:names:tc:opendocument:xmlns:meta:1.0",
}


def _q(prefix: str, local: str) -> str:
    return f"{{{_NS[prefix]}}}{local}"


def parse_xml(data: bytes, what: str) -> Any:
    """An element tree of untrusted XML: no entities, no DTD, no external references."""
    from xml.etree.ElementTree import ParseError

    import defusedxml.ElementTree as safe_et
    from defusedxml import DefusedXmlException

    try:
        return safe_et.fromstring(data, forbid_dtd=False)
    except DefusedXmlException as err:
        raise SourceError(f"{what} rejected: {type(err).__name__} (XML entities)") from None
    except ParseError as err:
        raise SourceError(f"broken {what} (XML: {err})") from None


def _odf_text(el: Any) -> str:
    parts: list[str] = []

    def walk(node: Any) -> None:
        if node.text:
            parts.append(node.text)
        for child in node:
            if child.tag == _q("text", "s"):
                parts.append(" " * int(child.get(_q("text", "c"), "1") or 1))
            elif child.tag in (_q("text", "tab"), _q("text", "line-break")):
                parts.append(" ")
            elif child.tag != _q("text", "note"):  # footnotes would cut the sentence
                walk(child)
            if child.tail:
                parts.append(child.tail)

    walk(el)
    return _line("".join(parts))


def extract_odt(data: bytes, name: str) -> list[Extracted]:
    zf = open_zip(data, "ODT")
    with zf:
        content = parse_xml(read_member(zf, "content.xml", "ODT"), "ODT")
        meta_root = None
        if "meta.xml" in zf.namelist():
            meta_root = parse_xml(read_member(zf, "meta.xml", "ODT"), "ODT")
    lines: list[str] = []

    def walk(node: Any, depth: int) -> None:
        for child in node:
            tag = child.tag
            if tag == _q("text", "h"):
                level = int(child.get(_q("text", "outline-level"), "1") or 1)
                lines.extend(["", "#" * max(1, min(6, level)) + " " + _odf_text(child), ""])
            elif tag == _q("text", "p"):
                text = _odf_text(child)
                if depth:  # a paragraph inside a list
                    lines.append(f"- {text}")
                else:
                    lines.extend([text, ""])
            elif tag == _q("table", "table-row"):
                cells = [_odf_text(c) for c in child if c.tag == _q("table", "table-cell")]
                lines.append("| " + " | ".join(cells) + " |")
            elif tag in (_q("text", "list"), _q("text", "list-item")):
                walk(child, depth + (tag == _q("text", "list")))
            elif tag in (_q("table", "table"), _q("table", "table-rows"), _q("text", "section"),
                         _q("table", "table-header-rows"), _q("office", "text")):  # fmt: skip
                walk(child, depth)
                lines.append("")

    body = content.find(f"{_q('office', 'body')}/{_q('office', 'text')}")
    if body is None:
        raise SourceError("not a text document (ODT without office:text)")
    walk(body, 0)
    fields: dict[str, str] = {}
    if meta_root is not None:
        info = meta_root.find(_q("office", "meta"))
        for key, tag in [("title", _q("dc", "title")), ("creator", _q("dc", "creator")),
                         ("initial", _q("meta", "initial-creator")),
                         ("created", _q("meta", "creation-date")), ("date", _q("dc", "date")),
                         ("language", _q("dc", "language"))]:  # fmt: skip
            found = info.find(tag) if info is not None else None
            if found is not None and found.text:
                fields[key] = _line(found.text)
        keywords = info.findall(_q("meta", "keyword")) if info is not None else []
        fields["tags"] = "\x00".join(_line(k.text or "") for k in keywords)
    return [
        Extracted(
            "odt",
            [("\n".join(lines), None)],
            title=fields.get("title", ""),
            author=fields.get("initial") or fields.get("creator", ""),
            date=fields.get("created") or fields.get("date", ""),
            language=fields.get("language", ""),
            tags=tuple(t for t in fields.get("tags", "").split("\x00") if t),
            name=name,
            marked=True,
        )
    ]
