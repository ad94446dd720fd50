"""The index's posting codec: Whoosh's W3 codec with the body's postings stored compactly.

Whoosh's W3 codec writes a block of up to 128 postings as one protocol-2 pickle of
(document id deltas, weights, values), and its ``Positions`` format encodes each value as
a count and a pickled list. Protocol 2 pickles every ``bytes`` value through a
``codecs.encode`` call (about 15 bytes each, and every byte above 127 doubled), which made
the body's postings three times the size of what they hold. Here, for the body's
:class:`CompactPositions`, a block is one string (:func:`pack_block`: the id deltas,
weights and value lengths as arrays of the narrowest integer type, then the values one
after another) pickled with protocol 3, which stores bytes as they are. Blocks are
zlib-compressed (level 1). Every other field is written as W3 writes it (compressed
too), and the stored fields are pickled with protocol 4. The codec is pickled into the
index's table of contents, so reading uses it too; a block's layout is told by the
field's format alone.
"""

from __future__ import annotations

import pickle
import struct
import sys
import zlib
from array import array
from itertools import accumulate
from typing import Any

from whoosh import columns
from whoosh.codec import whoosh3
from whoosh.formats import Positions
from whoosh.util.numeric import length_to_byte

from .postings import decode_positions, encode_positions

# Level 1: nearly all of level 3's gain on these blocks, at a fraction of the time.
COMPRESSION = 1
# Stored fields: level 6 takes a twentieth off level 3's size; levels above add nothing.
STORED_COMPRESSION = 6
# Below this many bytes zlib's header and checksum outweigh what it saves.
_COMPRESS_MIN = 80
_BIG_ENDIAN = sys.byteorder == "big"
# A block's count, and the typecodes of its arrays of id deltas, weights and value lengths.
_HEAD = struct.Struct("<Hccc")


class CompactPositions(Positions):  # type: ignore[misc]
    """Positions as a typecode byte and an array of deltas (see
    :func:`.postings.encode_positions`)."""

    def encode(self, poslist: Any) -> bytes:
        return encode_positions(list(poslist))

    def decode_positions(self, valuestring: bytes) -> list[int]:
        return decode_positions(valuestring)

    def decode_frequency(self, valuestring: bytes) -> int:
        return len(decode_positions(valuestring))


def _narrowest(values: list[int]) -> array[int]:
    """``values`` (non-negative ints) as the narrowest unsigned array that holds them."""
    top = max(values, default=0)
    return array("B" if top < 1 << 8 else "H" if top < 1 << 16 else "I", values)


def _le(packed: array[Any]) -> bytes:
    if _BIG_ENDIAN:
        packed = array(packed.typecode, packed)
        packed.byteswap()
    return packed.tobytes()


def _from_le(code: str, data: bytes) -> array[Any]:
    packed = array(code, data)
    if _BIG_ENDIAN:
        packed.byteswap()
    return packed


def pack_block(ids: list[int], weights: list[float], values: list[bytes]) -> bytes:
    """A block's postings as one string: the count, the typecodes of the three arrays
    that follow (id deltas, weights, value lengths), the arrays, then the values."""
    deltas = _narrowest([b - a for a, b in zip([0, *ids], ids, strict=False)])
    if all(w.is_integer() for w in weights):  # frequencies: whole numbers
        packed_weights: array[Any] = _narrowest([int(w) for w in weights])
    else:
        packed_weights = array("f", weights)
    lengths = _narrowest([len(v) for v in values])
    head = _HEAD.pack(
        len(ids), *(a.typecode.encode("ascii") for a in (deltas, packed_weights, lengths))
    )
    return b"".join((head, _le(deltas), _le(packed_weights), _le(lengths), *values))


def unpack_block(block: bytes) -> tuple[array[int], array[float], tuple[bytes, array[int]]]:
    """(id deltas, weights, (joined values, their lengths)) of a :func:`pack_block` string."""
    count, *codes = _HEAD.unpack_from(block)
    at = _HEAD.size
    arrays = []
    for code in codes:
        size = array(code.decode("ascii")).itemsize * count
        arrays.append(_from_le(code.decode("ascii"), block[at : at + size]))
        at += size
    deltas, weights, lengths = arrays
    if weights.typecode != "f":
        weights = array("f", weights)
    return deltas, weights, (block[at:], lengths)


class _PostingsWriter(whoosh3.W3PostingsWriter):  # type: ignore[misc]
    def add_postings(self, ids: array[int], weights: array[float], values: list[bytes]) -> None:
        """A whole term's postings (just after ``start_postings``), in the blocks
        ``add_posting`` would fill one posting at a time, without document lengths."""
        limit = self._blocklimit
        for start in range(0, len(ids), limit):
            if start:
                self._write_block()  # the previous block is full, and more follow
            end = start + limit
            chunk = weights[start:end]
            self._ids = ids[start:end]
            self._weights = array("f", chunk)
            top = max(chunk)
            self._maxweight = top if top > 0 else 0
            kept = values[start:end]
            self._values = kept if all(kept) else [v for v in kept if v]

    def _write_block(self, last: bool = False) -> None:
        if not isinstance(self._format, CompactPositions):
            super()._write_block(last)
            return
        if not self._blockcount:
            self._postfile.write(whoosh3.WHOOSH3_HEADER_MAGIC)
        self._terminfo.add_block(self)
        ids = self._ids
        databytes = pickle.dumps(pack_block(list(ids), list(self._weights), self._values), 3)
        comp = COMPRESSION if len(databytes) >= _COMPRESS_MIN else 0
        if comp:
            databytes = zlib.compress(databytes, comp)
        # The block's header, as W3 writes it (the reader skips blocks by it).
        infobytes = pickle.dumps(
            (
                len(ids),
                ids[-1],
                self._maxweight,
                comp,
                length_to_byte(self._minlength),
                length_to_byte(self._maxlength),
            ),
            2,
        )
        length = len(infobytes) + len(databytes)
        self._postfile.write_int(-length if last else length)
        self._postfile.write(infobytes)
        self._postfile.write(databytes)
        self._blockcount += 1
        self._new_block()


class _LeafMatcher(whoosh3.W3LeafMatcher):  # type: ignore[misc]
    def _read_data(self) -> None:
        super()._read_data()
        if isinstance(self.format, CompactPositions):
            block: Any = getattr(self, "_data")  # noqa: B009 (the string pack_block made)
            self._data = unpack_block(block)

    def _read_ids(self) -> None:
        if not isinstance(self.format, CompactPositions):
            super()._read_ids()
            return
        if self._data is None:
            self._read_data()
        self._ids = tuple(accumulate(self._data[0]))

    def _read_values(self) -> None:
        if not isinstance(self.format, CompactPositions):
            super()._read_values()
            return
        if self._data is None:
            self._read_data()
        joined, lengths = self._data[2]
        ends = list(accumulate(lengths))
        self._values = [joined[a:b] for a, b in zip([0, *ends], ends, strict=False)]


class _StoredColumn(columns.PickleColumn):  # type: ignore[misc]
    """Whoosh's stored-fields column, pickled with protocol 4 (Whoosh's uses 2: short
    strings take a 4-byte length) and compressed at level 6. What it writes is what
    Whoosh's own reader reads (any protocol unpickles, any level decompresses)."""

    class Writer(columns.PickleColumn.Writer):  # type: ignore[misc]
        def add(self, docnum: int, v: Any) -> None:
            self._child.add(docnum, b"" if v is None else pickle.dumps(v, 4))


_STORED = _StoredColumn(columns.CompressedBytesColumn(level=STORED_COMPRESSION))


class _PerDocWriter(whoosh3.W3PerDocWriter):  # type: ignore[misc]
    # Lengths of fields whose postings the index writer added itself (see
    # index._writer_class), written with the document they belong to.
    lengths: dict[str, tuple[Any, int]] | None = None

    def finish_doc(self) -> None:
        if self.lengths:
            for fieldname, (fieldobj, length) in self.lengths.items():
                self.add_field(fieldname, fieldobj, None, length)
        self.lengths = None
        super().finish_doc()

    def cancel_doc(self) -> None:
        self.lengths = None
        super().cancel_doc()

    def _create_column(self, fieldname: str, column: Any) -> None:
        super()._create_column(fieldname, _STORED if fieldname == "_stored" else column)


class CompactCodec(whoosh3.W3Codec):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__(compression=COMPRESSION)

    def per_document_writer(self, storage: Any, segment: Any) -> Any:
        return _PerDocWriter(self, storage, segment)

    def postings_writer(self, dbfile: Any, byteids: bool = False) -> Any:
        return _PostingsWriter(
            dbfile,
            blocklimit=self._blocklimit,
            byteids=byteids,
            compression=self._compression,
            inlinelimit=self._inlinelimit,
        )

    def postings_reader(
        self, dbfile: Any, terminfo: Any, format_: Any, term: Any = None, scorer: Any = None
    ) -> Any:
        if terminfo.is_inlined():
            return super().postings_reader(dbfile, terminfo, format_, term, scorer)
        offset, length = terminfo.extent()
        return _LeafMatcher(dbfile, offset, length, format_, term=term, scorer=scorer)
