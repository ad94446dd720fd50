"""An article part's outline: its path, title, first passage number and where each passage
lies among the body's positions, in a column of its own.

Re-ranking scores the passages of some thirty articles per query from their terms'
positions, and needs no text for it: only each passage's range of positions, and the
title (for title likeness). Reading those from the stored fields would decompress and
unpickle each article's whole text; the outline column is a few bytes read with one seek.
The page then reads the stored fields of the ten articles shown, and only those.
"""

from __future__ import annotations

import struct
import sys
from array import array
from collections.abc import Sequence
from typing import Any, NamedTuple

OUTLINE = "outline"  # the column's name
_HEAD = struct.Struct("<III")  # path bytes, title bytes, first passage number


class Outline(NamedTuple):
    path: str
    title: str
    first: int  # the number, in its article, of the part's first passage
    starts: Sequence[int]  # each passage's first position in the body
    lengths: Sequence[int]  # each passage's number of positions

    def fields(self) -> dict[str, Any]:
        """The stored fields that say whether the title is a template (see :mod:`.titles`)."""
        return {"path": self.path, "title": self.title}


def encode(path: str, title: str, first: int, table: Sequence[Sequence[Any]]) -> bytes:
    """The column value of a part whose stored passage table is ``table`` (see
    ``schema.StoredPassage``: the first position is entry 5, the number of positions 6)."""
    raw_path = path.encode("utf-8", "surrogatepass")
    raw_title = title.encode("utf-8", "surrogatepass")
    numbers = array("I", [n for p in table for n in (p[5], p[6])])
    if sys.byteorder == "big":
        numbers.byteswap()
    return _HEAD.pack(len(raw_path), len(raw_title), first) + raw_path + raw_title + bytes(numbers)


def decode(raw: bytes) -> Outline:
    path_size, title_size, first = _HEAD.unpack_from(raw)
    at = _HEAD.size
    path = raw[at : at + path_size].decode("utf-8", "surrogatepass")
    at += path_size
    title = raw[at : at + title_size].decode("utf-8", "surrogatepass")
    numbers = array("I")
    numbers.frombytes(raw[at + title_size :])
    if sys.byteorder == "big":
        numbers.byteswap()
    values = numbers.tolist()
    return Outline(path, title, first, values[0::2], values[1::2])


def from_fields(fields: dict[str, Any]) -> Outline:
    """The outline of a part's stored fields."""
    table = fields.get("passages", [])
    return Outline(
        str(fields.get("path", "")),
        str(fields.get("title", "")),
        int(fields.get("first", 0)),
        [p[5] for p in table],
        [p[6] for p in table],
    )


class Outlines:
    """The outlines of a searcher's parts: from the column, or (a reader without it, such
    as a cluster's candidates held in memory) from the stored fields."""

    def __init__(self, searcher: Any) -> None:
        reader = searcher.reader()
        self._reader = reader
        held = OUTLINE in reader.schema and reader.has_column(OUTLINE)
        self._column = reader.column_reader(OUTLINE) if held else None

    def __getitem__(self, docnum: int) -> Outline:
        if self._column is not None:
            raw = self._column[docnum]
            if raw:
                return decode(bytes(raw))
        return from_fields(self._reader.stored_fields(docnum))
