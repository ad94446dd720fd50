"""Reading posting lists: at chosen documents only, or a block at a time.

Whoosh's matchers step through a posting list one Python call per posting (and per
layer: the multi-segment matcher, the deleted-documents filter, the leaf). The W3 codec
stores a list as blocks of up to 128 postings, each block a header (its last document
number) and one pickled tuple (ids, weights, values): :func:`weights` and :func:`values`
read the blocks themselves, skipping (from the header alone) those that hold none of the
wanted documents, and return plain dicts. Another codec's matchers are stepped through
as Whoosh exposes them.
"""

from __future__ import annotations

import io
import sys
import zlib
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Container, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from itertools import accumulate, pairwise
from pickle import dumps, load, loads
from typing import Any

_BIG_ENDIAN = sys.byteorder == "big"

# A search's term dictionary entries, by segment, field and term (see :func:`one_search`).
_ENTRIES: ContextVar[dict[tuple[int, str, str], Any] | None] = ContextVar(
    "seedsearch_term_entries", default=None
)
_MISSING = object()


@contextmanager
def one_search() -> Iterator[None]:
    """Within: each term's entry in a segment's term dictionary is looked up once (a
    search asks for a word's document frequency, then its postings, then its collection
    frequency: each a seek and reads in Whoosh's hash file). Per search only: what the
    next one reads is looked up again."""
    token = _ENTRIES.set({})
    try:
        yield
    finally:
        _ENTRIES.reset(token)


def _entry(segment: Any, fieldname: str, text: str) -> Any:
    """The term's W3 entry in ``segment`` (None if absent), from the search's memo when
    one is open; raises AttributeError or TypeError for a segment not laid out so."""
    from whoosh.reading import TermNotFound

    memo = _ENTRIES.get()
    key = (id(segment), fieldname, text)
    found = memo.get(key, _MISSING) if memo is not None else _MISSING
    if found is _MISSING:
        try:
            found = segment._terms.term_info(fieldname, segment._text_to_bytes(fieldname, text))
        except TermNotFound:
            found = None
        if memo is not None:
            memo[key] = found
    return found


def doc_frequency(reader: Any, fieldname: str, text: str) -> int:
    """``reader.doc_frequency``, from the search's memo of entries when one is open."""
    return int(_summed(reader, fieldname, text, "doc_frequency", "doc_frequency"))


def frequency(reader: Any, fieldname: str, text: str) -> float:
    """``reader.frequency`` (the term's occurrences), as :func:`doc_frequency`."""
    return float(_summed(reader, fieldname, text, "frequency", "weight"))


def _summed(reader: Any, fieldname: str, text: str, asked: str, held: str) -> float:
    """The reader's ``asked`` figure of the term: each segment's entry's ``held`` one,
    summed, when a search's memo is open (else, or for another reader, the reader's)."""
    if _ENTRIES.get() is not None:
        try:
            total = 0.0
            for segment, _ in reader.leaf_readers():
                entry = _entry(segment, fieldname, text)
                if entry is not None:
                    total += getattr(entry, held)()
            return total
        except (AttributeError, TypeError, ValueError):  # another reader: asked as it is
            pass
    return float(getattr(reader, asked)(fieldname, text))


def encode_positions(positions: list[int]) -> bytes:
    """A body posting's value: the typecode of the narrowest array that holds the gaps
    between the (ascending) positions, then that array's bytes, little-endian."""
    deltas = [positions[0], *(b - a for a, b in pairwise(positions))]
    top = max(deltas)
    code = "B" if top < 1 << 8 else "H" if top < 1 << 16 else "I"
    packed = array(code, deltas)
    if _BIG_ENDIAN:
        packed.byteswap()
    return code.encode("ascii") + packed.tobytes()


def decode_positions(value: bytes) -> list[int]:
    """The positions :func:`encode_positions` encoded, or Whoosh's ``Positions`` format
    encoded (the other text fields: a 4-byte big-endian count, so a zero byte first, then
    the pickled deltas)."""
    gaps = position_gaps(value)
    return list(accumulate(loads(value[4:]) if gaps is None else gaps))


def position_gaps(value: bytes) -> array[int] | None:
    """The gaps between the positions :func:`encode_positions` encoded (the first: the
    first position), or None for a value of Whoosh's ``Positions`` format."""
    if not value[0]:
        return None
    packed = array(chr(value[0]), value[1:])
    if _BIG_ENDIAN:
        packed.byteswap()
    return packed


def present(m: Any, docnums: list[int], value: Callable[[Any], Any]) -> tuple[list[int], list[Any]]:
    """The documents among ``docnums`` (ascending) that matcher ``m`` holds, and ``value``
    of the matcher on each."""
    found: list[int] = []
    values: list[Any] = []
    for docnum in docnums:
        if not m.is_active():
            break
        if m.id() < docnum:
            m.skip_to(docnum)
            if not m.is_active():
                break
        if m.id() == docnum:
            found.append(docnum)
            values.append(value(m))
    return found, values


class Blocks:
    """The blocks of a term's postings read from the index (all, or those that may hold
    some wanted documents): global ids, weights and raw values, in document order."""

    def __init__(self, blocks: list[Block]) -> None:
        self.blocks = [b for b in blocks if len(b[0])]
        self._lasts = [b[0][-1] for b in self.blocks]

    def weights(
        self, wanted: Sequence[int] | None = None, among: Container[int] | None = None
    ) -> dict[int, float]:
        """Document number → weight (the term's frequency): of every posting read, or of
        the ``wanted`` documents' (ascending) among them (``among``: the same documents,
        as a set or dict, when the caller has one)."""
        if wanted is None:
            out: dict[int, float] = {}
            for ids, ws, _ in self.blocks:
                out.update(zip(ids, ws, strict=True))
            return out
        if sum(len(b[0]) for b in self.blocks) <= len(wanted):  # fewer postings: test each
            keep = set(wanted) if among is None else among
            return {d: w for d, w in self.weights().items() if d in keep}
        return {d: self.blocks[b][1][i] for d, b, i in self._find(wanted)}

    def ids(self) -> set[int]:
        """The documents of every posting read."""
        out: set[int] = set()
        for ids, _, _ in self.blocks:
            out.update(ids)
        return out

    def weights_in(self, among: Iterable[int]) -> dict[int, float]:
        """Document number → weight of the postings read whose document is ``among``
        those given (in no particular order)."""
        out: dict[int, float] = {}
        for ids, ws, _ in self.blocks:
            out.update(zip(ids, ws, strict=True))
        return {d: out[d] for d in out.keys() & among}

    def values(self, wanted: Sequence[int]) -> dict[int, bytes]:
        """Document number → raw value (the encoded positions) of the ``wanted`` documents
        (ascending) among the postings read."""
        blocks = self.blocks
        if all(isinstance(vs, _Values) for _, _, vs in blocks):  # (cut as bytes already)
            return {d: blocks[b][2][i] for d, b, i in self._find(wanted)}
        return {d: bytes(blocks[b][2][i]) for d, b, i in self._find(wanted)}

    def _find(self, wanted: Sequence[int]) -> list[tuple[int, int, int]]:
        """(document, block, index in the block) of the wanted documents held."""
        out: list[tuple[int, int, int]] = []
        w, n = 0, len(wanted)
        for b, last in enumerate(self._lasts):
            if w >= n:
                break
            hi = bisect_right(wanted, last, w)
            if hi == w:
                continue
            # A map of the block's documents (built in C) costs less than a bisection per
            # wanted document once a few are wanted in the block.
            ids = self.blocks[b][0]
            at = dict(zip(ids, range(len(ids)), strict=True))
            for d in wanted[w:hi]:
                i = at.get(d)
                if i is not None:
                    out.append((d, b, i))
            w = hi
        return out


def read(reader: Any, fieldname: str, text: str, wanted: Sequence[int] | None = None) -> Blocks:
    """The blocks of the term's postings: all, or those that may hold one of the
    ``wanted`` documents (ascending)."""
    return Blocks(_blocks(reader, fieldname, text, wanted))


def weights(
    reader: Any, fieldname: str, text: str, wanted: Sequence[int] | None = None
) -> dict[int, float]:
    """Document number → weight (the term's frequency) of the term's postings, in document
    order: all of them, or only those of the ``wanted`` documents (ascending)."""
    return read(reader, fieldname, text, wanted).weights(wanted)


def values(reader: Any, fieldname: str, text: str, wanted: Sequence[int]) -> dict[int, bytes]:
    """Document number → raw value (the encoded positions) of the term's postings in the
    ``wanted`` documents (ascending)."""
    return read(reader, fieldname, text, wanted).values(wanted)


Block = tuple[Sequence[int], Sequence[float], Sequence[Any]]


def _blocks(reader: Any, fieldname: str, text: str, wanted: Sequence[int] | None) -> list[Block]:
    """The blocks (global ids, weights, values) of the term's postings in every
    segment, deleted documents left out; with ``wanted``, only blocks that may hold one."""
    from whoosh.reading import TermNotFound

    out: list[Block] = []
    for segment, offset in reader.leaf_readers():
        here = local = None
        if wanted is not None:
            lo = bisect_left(wanted, offset)
            hi = bisect_left(wanted, offset + segment.doc_count_all())
            if lo == hi:
                continue
            here = wanted[lo:hi]
        read = _extent_blocks(segment, fieldname, text, here, offset)
        if read is not None:
            out.extend(read)
            continue
        if here is not None:
            local = [d - offset for d in here]
        try:  # one look-up of the term, not a test and then another
            m = segment.postings(fieldname, text)
        except TermNotFound:
            continue
        deleted: Any = None
        if type(m).__name__ == "FilterMatcher" and getattr(m, "_exclude", False):
            deleted, m = m._ids, m.child
        blocks = _leaf_blocks(m, local) if _is_w3(m) else _stepped(m)
        for ids, ws, vs in blocks:
            if deleted:
                keep = [i for i, d in enumerate(ids) if d not in deleted]
                ids, ws, vs = [ids[i] for i in keep], [ws[i] for i in keep], [vs[i] for i in keep]
            if offset:
                ids = [d + offset for d in ids]
            out.append((ids, ws, vs))
    return out


_MAGIC = b"W3Bl"
# A term's postings up to this size are read in one piece even when only some of their
# blocks are wanted (one read costs less than a read per block); a longer list, say a
# common word's in a large index, is read a block at a time then.
ONE_PIECE_BYTES = 1 << 18


def _extent_blocks(
    segment: Any, fieldname: str, text: str, wanted: Sequence[int] | None, offset: int
) -> list[Block] | None:
    """The term's blocks in a W3 segment without deletions, read from the postings file
    in one piece (global ids: ``offset`` added), or None when the segment is not laid out
    so (another codec, deleted documents) or only some blocks of a long list are wanted:
    the matcher is stepped through then.

    A block is its length, its header (a pickled tuple: count, last id, max weight,
    compression, lengths) and its data; the blocks holding none of the ``wanted``
    documents (global ids, ascending) are skipped by their header. A body block's values
    (the positions) are cut out of its data only when asked for (see :class:`_Values`).
    """
    try:
        if segment.has_deletions():
            return None
        postfile = segment._terms._postfile
        fmt = segment.schema[fieldname].format
        info = _entry(segment, fieldname, text)
        if info is None:
            return []
        if info.is_inlined():
            ids, ws, vs = info.inlined_postings()
            return [([d + offset for d in ids], ws, vs)]
        start, length = info.extent()
    except (AttributeError, TypeError):
        return None
    length = length[0] if isinstance(length, tuple) else length  # W3 keeps a 1-tuple
    if wanted is not None and length > ONE_PIECE_BYTES:
        return None  # a long list of which a few blocks are wanted: read by its matcher
    raw = postfile.get(start, length)
    if raw[:4] != _MAGIC:
        return None
    if fmt.fixed_value_size() is not None:  # values of a fixed size: cut as W3 cuts them
        return None
    out: list[Block] = []
    view = memoryview(raw)
    at, end, w = 4, len(raw), 0
    while at < end:
        size = abs(int.from_bytes(raw[at : at + 4], "big", signed=True))
        header = at + 4
        at = header + size
        head = loads(view[header:at])  # (the pickle's end is found below)
        count, last, compressed = head[0], head[1], head[3]
        if wanted is not None:
            if w >= len(wanted):
                break
            if wanted[w] > last + offset:  # none in this block: skip it unread
                continue
            w = bisect_left(wanted, last + offset + 1, lo=w)
        data = view[header + _pickled_size(raw, header, head) : at]
        out.append(_block(loads(zlib.decompress(data) if compressed else data), count, offset))
    return out


def _pickled_size(raw: bytes, at: int, head: tuple[Any, ...]) -> int:
    """The length of the block header pickled at ``raw[at:]``: W3 and the body's codec
    write it with protocol 2 (checked byte for byte); another protocol is walked."""
    again = dumps(head, 2)
    if raw[at : at + len(again)] == again:
        return len(again)
    stream = io.BytesIO(raw)
    stream.seek(at)
    load(stream)
    return stream.tell() - at


def _block(data: Any, count: int, offset: int) -> Block:
    """A block's unpickled data as global ids, weights and values: one string for the
    body's codec (:func:`.codec.pack_block`), else as Whoosh's W3 codec writes it, a tuple
    (id deltas, weights, values) with weights None when all are 1 and one float when all
    are equal."""
    if isinstance(data, bytes):
        from .codec import unpack_block

        deltas, weights, (joined, lengths) = unpack_block(data)
        ids = list(accumulate(deltas, initial=offset))[1:]
        return ids, weights, _Values(joined, lengths)
    deltas, weights, values = data
    ids = list(accumulate(deltas, initial=offset))[1:]
    if weights is None or isinstance(weights, float):
        weights = array("f", [1.0 if weights is None else weights]) * count
    return ids, weights, values


class _Values(Sequence[bytes]):
    """A body block's values, cut out of the block's data when one is asked for."""

    __slots__ = ("_ends", "_joined", "_lengths")

    def __init__(self, joined: bytes, lengths: Sequence[int]) -> None:
        self._joined = joined
        self._lengths = lengths
        self._ends: list[int] | None = None

    def __len__(self) -> int:
        return len(self._lengths)

    def __getitem__(self, i: Any) -> Any:  # (an index: slices are not asked for)
        if self._ends is None:
            self._ends = list(accumulate(self._lengths, initial=0))
        return self._joined[self._ends[i] : self._ends[i + 1]]


def _is_w3(m: Any) -> bool:
    return all(
        hasattr(m, a) for a in ("_read_ids", "_read_weights", "_next_block", "_maxid", "_atend")
    )


def _leaf_blocks(m: Any, wanted: list[int] | None) -> list[Block]:
    """The blocks of a W3 codec leaf matcher, read whole (a block's data is one pickle);
    with ``wanted`` (local ids, ascending), only those whose range holds one of them."""
    out: list[Block] = []
    w = 0
    while m.is_active():
        if wanted is not None:
            # wanted[w]: the first wanted id past the blocks before (ids only grow)
            if w >= len(wanted):
                break
            if wanted[w] > m._maxid:  # none in this block: skip it unread
                m._next_block()
                continue
        m._read_ids()  # unpickles the block's data: its weights and values come with it
        m._read_weights()
        m._read_values()
        out.append((m._ids, m._weights, m._values))
        if wanted is not None:
            w = bisect_left(wanted, m._maxid + 1, lo=w)
        m._next_block()
    return out


def _stepped(m: Any) -> list[Block]:
    ids: list[int] = []
    ws: list[float] = []
    vs: list[Any] = []
    while m.is_active():
        ids.append(m.id())
        ws.append(m.weight())
        vs.append(m.value())
        m.next()
    return [(ids, ws, vs)]
