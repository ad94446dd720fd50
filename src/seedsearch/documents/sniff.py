"""Recognising a file's format by its content, the extension being only a hint.

A ``.txt`` that holds an HTML page is read as HTML; a PDF is known by ``%PDF``; a zip
container by its ``mimetype`` entry or ``[Content_Types].xml``; a mailbox by its
``From `` line; a feed by its root element.
"""

from __future__ import annotations

import io
import re
import zipfile

from .scan import SUFFIXES

_HTML_RE = re.compile(
    rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html\b|head\b|body\b)", re.I | re.S
)
_XML_DECL_RE = re.compile(rb"^\s*<\?xml[^>]*\?>", re.I)
_ROOT_RE = re.compile(rb"<([A-Za-z][\w.:-]*)")
_MAIL_HEADER_RE = re.compile(
    rb"^(?:Return-Path|Received|From|To|Subject|Date|Message-ID|MIME-Version|Delivered-To"
    rb"|Content-Type|X-[\w-]+):[ \t]",
    re.I,
)
_MBOX_RE = re.compile(rb"^From \S+.*\r?\n[\w-]+:", re.S)
_ODF_TEXT = b"application/vnd.oasis.opendocument.text"


def _root_element(head: bytes) -> bytes:
    """Name of the first element after the XML declaration, comments and doctype."""
    rest = _XML_DECL_RE.sub(b"", head, count=1)
    rest = re.sub(rb"<!--.*?-->|<!DOCTYPE[^>\[]*(?:\[.*?\])?\s*>|<\?.*?\?>", b"", rest, flags=re.S)
    m = _ROOT_RE.search(rest)
    return m.group(1).lower() if m else b""


def _zip_format(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
            if "mimetype" in names and zf.getinfo("mimetype").file_size < 200:
                mime = zf.read("mimetype").strip()
                if mime == b"application/epub+zip":
                    return "epub"
                if mime == _ODF_TEXT:
                    return "odt"
            if "[Content_Types].xml" in names and "word/document.xml" in names:
                return "docx"
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, RuntimeError):
        return ""
    return ""


def sniff(name: str, data: bytes) -> str:
    """The format to read ``data`` as ("" if unknown): see :data:`model.FORMATS`."""
    head = data[:4096]
    by_name = SUFFIXES.get("." + name.rsplit(".", 1)[-1].lower() if "." in name else "", "")
    if head.lstrip()[:5] == b"%PDF-" or data[:1024].find(b"%PDF-") >= 0:
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return _zip_format(data)
    if by_name in ("docx", "odt", "epub"):
        return by_name  # not a zip: the reader says so
    text_head = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if _MBOX_RE.match(text_head):
        return "mail"
    if text_head.startswith(b"<"):
        if _HTML_RE.match(text_head):
            return "html"
        root = _root_element(text_head)
        if root in (b"rss", b"feed", b"rdf:rdf", b"rdf"):
            return "feed"
        if root == b"html":
            return "html"
        if by_name == "feed" and root:
            return ""  # XML, but no feed
    if by_name in ("text", "markdown", "") and _MAIL_HEADER_RE.match(text_head):
        lines = text_head.split(b"\n", 12)[:10]
        if sum(1 for line in lines if _MAIL_HEADER_RE.match(line)) >= 3:
            return "mail"
    # A file named on its own with an unknown extension is tried as text.
    return by_name or "text"
