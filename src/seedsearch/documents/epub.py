"""EPUB: chapters in reading order (the OPF spine), Dublin Core metadata.

zipfile + defusedxml for the container and the package document, and the HTML reader's
body walk for each chapter (a chapter is all content: no main-content guessing). EbookLib
is AGPL, hence no dependency.
"""

from __future__ import annotations

import posixpath
from typing import Any
from urllib.parse import unquote

from ..errors import SourceError
from .html import body_blocks
from .model import Extracted
from .office import parse_xml
from .zipsafe import open_zip, read_member

_OPF = "http://www.idpf.org/2007/opf"
_DC = "http://purl.org/dc/elements/1.1/"
_CONTAINER = "urn:oasis:names:tc:opendocument:xmlns:container"
MAX_CHAPTERS = 2000


def _first(root: Any, tag: str) -> str:
    el = root.find(f".//{{{_DC}}}{tag}")
    return " ".join((el.text or "").split()) if el is not None else ""


def extract_epub(data: bytes, name: str) -> list[Extracted]:
    zf = open_zip(data, "EPUB")
    with zf:
        container = parse_xml(read_member(zf, "META-INF/container.xml", "EPUB"), "EPUB")
        rootfile = container.find(f".//{{{_CONTAINER}}}rootfile")
        opf_path = rootfile.get("full-path", "") if rootfile is not None else ""
        if not opf_path:
            raise SourceError("not a valid EPUB (no package document)")
        opf = parse_xml(read_member(zf, opf_path, "EPUB"), "EPUB")
        base = posixpath.dirname(opf_path)
        manifest = {
            item.get("id"): item.get("href", "")
            for item in opf.iter(f"{{{_OPF}}}item")
            if "html" in (item.get("media-type") or "")
        }
        spine = [ref.get("idref") for ref in opf.iter(f"{{{_OPF}}}itemref")]
        blocks: list[tuple[str, int | None]] = []
        names = set(zf.namelist())
        for idref in spine[:MAX_CHAPTERS]:
            href = manifest.get(idref)
            if not href:
                continue
            path = posixpath.normpath(posixpath.join(base, unquote(href.split("#", 1)[0])))
            if path not in names:
                continue
            chapter = body_blocks(read_member(zf, path, "EPUB"))
            if chapter:
                blocks.append(("\n\n".join(chapter), None))
    if not blocks:
        raise SourceError("no indexable text (EPUB without readable chapters)")
    return [
        Extracted(
            "epub",
            blocks,
            title=_first(opf, "title"),
            author=_first(opf, "creator"),
            date=_first(opf, "date"),
            language=_first(opf, "language"),
            source=_first(opf, "publisher"),
            tags=tuple(
                t
                for t in (" ".join((s.text or "").split()) for s in opf.iter(f"{{{_DC}}}subject"))
                if t
            ),
            description=_first(opf, "description"),
            name=name,
            marked=True,
        )
    ]
