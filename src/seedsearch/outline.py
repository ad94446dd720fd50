"""An article part's outline: its title, first passage number and where each passage lies
among the body's positions, in a column of its own.

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
from itertools import accumulate
from typing import Any, NamedTuple

OUTLINE = "outline"  # the column's name
# Title bytes, first passage number, typecode of the arrays, and the gap between passages
# when every passage starts where the last one ended plus that gap (255: they do not).
_HEAD = struct.Struct("<IIcB")
_NO_GAP = 255


class Outline(NamedTuple):
    title: str
    first: int  # the number, in its article, of the part's first passage
    starts: Sequence[int]  # each passage's first position in the body
    lengths: Sequence[int]  # each passage's number of positions


def encode(title: str, first: int, table: Sequence[Sequence[Any]]) -> bytes:
    """The column value of a part whose stored passage table is ``table`` (see
    ``schema.StoredPassage``: the first position is entry 5, the number of positions 6).
    The passages are laid out one after another with a gap between them: the starts are
    then worked out from the lengths, and only the lengths are kept, in the narrowest
    integer type."""
    raw_title = title.encode("utf-8", "surrogatepass")
    starts = [p[5] for p in table]
    lengths = [p[6] for p in table]
    gap = _gap(starts, lengths)
    numbers = lengths if gap != _NO_GAP else lengths + starts
    top = max(numbers, default=0)
    code = "B" if top < 1 << 8 else "H" if top < 1 << 16 else "I"
    packed = array(code, numbers)
    if sys.byteorder == "big":
        packed.byteswap()
    head = _HEAD.pack(len(raw_title), first, code.encode("ascii"), gap)
    return head + raw_title + packed.tobytes()


def _gap(starts: list[int], lengths: list[int]) -> int:
    """The gap between passages when the first starts at 0 and each next one at the end
    of the last plus the gap, else _NO_GAP."""
    if not starts or starts[0] != 0:
        return _NO_GAP if starts else 0
    gap = starts[1] - lengths[0] if len(starts) > 1 else 0
    if not 0 <= gap < _NO_GAP:
        return _NO_GAP
    expected = list(accumulate((n + gap for n in lengths[:-1]), initial=0))
    return gap if expected == starts else _NO_GAP


def decode(raw: bytes) -> Outline:
    title_size, first, code, gap = _HEAD.unpack_from(raw)
    at = _HEAD.size
    title = raw[at : at + title_size].decode("utf-8", "surrogatepass")
    numbers = array(code.decode("ascii"))
    numbers.frombytes(raw[at + title_size :])
    if sys.byteorder == "big":
        numbers.byteswap()
    values = numbers.tolist()
    if gap == _NO_GAP:
        half = len(values) // 2
        return Outline(title, first, values[half:], values[:half])
    starts = list(accumulate((n + gap for n in values[:-1]), initial=0)) if values else []
    return Outline(title, first, starts, values)


def from_fields(fields: dict[str, Any]) -> Outline:
    """The outline of a part's stored fields."""
    table = fields.get("passages", [])
    return Outline(
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
