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

from bisect import bisect_left
from collections.abc import Callable, Sequence
from typing import Any


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


def weights(
    reader: Any, fieldname: str, text: str, wanted: Sequence[int] | None = None
) -> dict[int, float]:
    """Document number → weight (the term's frequency) of the term's postings, in document
    order: all of them, or only those of the ``wanted`` documents (ascending)."""
    out: dict[int, float] = {}
    for ids, block_weights, _ in _blocks(reader, fieldname, text, wanted, False):
        out.update(zip(ids, block_weights, strict=True))
    return out if wanted is None else _only(out, wanted)


def values(reader: Any, fieldname: str, text: str, wanted: Sequence[int]) -> dict[int, bytes]:
    """Document number → raw value (the encoded positions) of the term's postings in the
    ``wanted`` documents (ascending)."""
    out: dict[int, bytes] = {}
    for ids, _, block_values in _blocks(reader, fieldname, text, wanted, True):
        out.update(zip(ids, block_values, strict=True))
    return {d: bytes(out[d]) for d in wanted if d in out}


def _only(found: dict[int, Any], wanted: Sequence[int]) -> dict[int, Any]:
    if len(found) <= len(wanted):
        keep = set(wanted)
        return {d: v for d, v in found.items() if d in keep}
    return {d: found[d] for d in wanted if d in found}


Block = tuple[Sequence[int], Sequence[float], Sequence[Any]]


def _blocks(
    reader: Any, fieldname: str, text: str, wanted: Sequence[int] | None, with_values: bool
) -> list[Block]:
    """The blocks (global ids, weights, values or ()) of the term's postings in every
    segment, deleted documents left out; with ``wanted``, only blocks that may hold one."""
    from whoosh.reading import TermNotFound

    out: list[Block] = []
    term = (fieldname, text)
    for segment, offset in reader.leaf_readers():
        if term not in segment:
            continue
        try:
            m = segment.postings(fieldname, text)
        except TermNotFound:
            continue
        deleted: Any = None
        if type(m).__name__ == "FilterMatcher" and getattr(m, "_exclude", False):
            deleted, m = m._ids, m.child
        local = None
        if wanted is not None:
            lo = bisect_left(wanted, offset)
            hi = bisect_left(wanted, offset + segment.doc_count_all())
            if lo == hi:
                continue
            local = [d - offset for d in wanted[lo:hi]]
        blocks = _leaf_blocks(m, local, with_values) if _is_w3(m) else _stepped(m, with_values)
        for ids, ws, vs in blocks:
            if deleted:
                keep = [i for i, d in enumerate(ids) if d not in deleted]
                ids, ws = [ids[i] for i in keep], [ws[i] for i in keep]
                vs = [vs[i] for i in keep] if with_values else ()
            if offset:
                ids = [d + offset for d in ids]
            out.append((ids, ws, vs))
    return out


def _is_w3(m: Any) -> bool:
    return all(
        hasattr(m, a) for a in ("_read_ids", "_read_weights", "_next_block", "_maxid", "_atend")
    )


def _leaf_blocks(m: Any, wanted: list[int] | None, with_values: bool) -> list[Block]:
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
        m._read_ids()
        m._read_weights()
        if with_values:
            m._read_values()
        ids = m._ids
        out.append((ids, m._weights, m._values if with_values else ()))
        if wanted is not None:
            w = bisect_left(wanted, m._maxid + 1, lo=w)
        m._next_block()
    return out


def _stepped(m: Any, with_values: bool) -> list[Block]:
    ids: list[int] = []
    ws: list[float] = []
    vs: list[Any] = []
    while m.is_active():
        ids.append(m.id())
        ws.append(m.weight())
        if with_values:
            vs.append(m.value())
        m.next()
    return [(ids, ws, vs if with_values else ())]
