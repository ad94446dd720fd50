"""The index writer's posting pool: postings gathered term by term, in compact arrays.

Whoosh's pool keeps every posting as a tuple and, past its memory limit, sorts them all
and pickles them one by one to a run file, which the segment's flush reads back through
a heap merge: three passes of Python per posting. Here a posting is appended to its
term's arrays (document numbers, weights) and list of values, so nothing needs sorting
but the terms themselves, and the flush hands each term's postings to the postings
writer at once (see :meth:`.codec._PostingsWriter.add_postings`). Documents are added in
increasing number, so a term's postings are in order as they come; a term whose are not
(never seen from Whoosh's writer, checked all the same) is sorted by document number.

Past ``limit`` bytes (an estimate that is close to what the arrays take) the terms are
written to a run file in term order, one record per term; the flush merges the runs
and what is still in memory term by term, the earlier run's documents first.
"""

from __future__ import annotations

import contextlib
import heapq
import operator
import os
import pickle
import tempfile
from array import array
from collections.abc import Iterator
from itertools import groupby, islice
from typing import Any

# Run files merged into one when there are this many (a flush opens them all at once).
MAX_RUNS = 32
# A term's postings: document numbers, weights and values.
Postings = tuple["array[int]", "array[float]", list[bytes]]
# What a new term costs in memory (its dictionary slot, key and three containers), and
# what one more posting does (4 + 8 bytes in the arrays, a list slot, a share of their
# spare room); a value's bytes object adds its own size (often shared between postings,
# counted all the same).
_TERM_COST = 400
_POSTING_COST = 32
_BYTES_COST = 33


class TermPool:
    """A drop-in for Whoosh's ``PostingPool``: ``add`` takes the same
    ``(fieldname, term bytes, docnum, weight, value bytes)`` postings."""

    def __init__(self, tempdir: str | None, limit: int) -> None:
        self._fields: dict[str, dict[bytes, Postings]] = {}
        self._size = 0
        self._limit = limit
        self._tempdir = tempdir
        self._runs: list[str] = []
        self.fieldnames: set[str] = set()

    def add(self, item: tuple[str, bytes, int, float, bytes | None]) -> None:
        fieldname, tbytes, docnum, weight, vbytes = item
        if docnum < 0:
            return  # Whoosh's spelling-word marker: never written as a posting
        terms = self._fields.get(fieldname)
        if terms is None:
            terms = self._fields[fieldname] = {}
            self.fieldnames.add(fieldname)
        postings = terms.get(tbytes)
        if postings is None:
            postings = terms[tbytes] = (array("I"), array("d"), [])
            self._size += _TERM_COST + len(tbytes)
        postings[0].append(docnum)
        postings[1].append(weight)
        value = vbytes or b""
        postings[2].append(value)
        self._size += _POSTING_COST + _BYTES_COST + len(value)
        if self._size > self._limit:
            self._spill()

    def add_field(
        self, fieldname: str, docnum: int, postings: list[tuple[bytes, int, float, bytes]]
    ) -> None:
        """One document's postings in a field, as ``(term bytes, frequency, weight, value
        bytes)``: what ``add`` would take one at a time."""
        terms = self._fields.get(fieldname)
        if terms is None:
            terms = self._fields[fieldname] = {}
            self.fieldnames.add(fieldname)
        get = terms.get
        size = len(postings) * (_POSTING_COST + _BYTES_COST)
        for tbytes, _, weight, value in postings:
            entry = get(tbytes)
            if entry is None:
                entry = terms[tbytes] = (array("I"), array("d"), [])
                size += _TERM_COST + len(tbytes)
            entry[0].append(docnum)
            entry[1].append(weight)
            entry[2].append(value)
            size += len(value)
        self._size += size
        if self._size > self._limit:
            self._spill()

    def _sorted_terms(self) -> Iterator[tuple[str, bytes, Postings]]:
        fields, self._fields, self._size = self._fields, {}, 0
        for fieldname in sorted(fields):
            terms = fields.pop(fieldname)
            for tbytes in sorted(terms):
                yield fieldname, tbytes, _in_order(terms.pop(tbytes))

    def _spill(self) -> None:
        self._runs.append(_write_run(self._tempdir, self._sorted_terms()))
        if len(self._runs) >= MAX_RUNS:  # the flush keeps every run open at once
            runs, self._runs = self._runs, []
            self._runs.append(_write_run(self._tempdir, _merged(runs, iter(()))))

    def terms(self) -> Iterator[tuple[str, bytes, Postings]]:
        """Every term's postings, in (field name, term) order; empties the pool."""
        runs, self._runs = self._runs, []
        if not runs:
            return self._sorted_terms()
        return _merged(runs, self._sorted_terms())

    def iter_postings(self) -> Iterator[tuple[str, bytes, int, float, bytes]]:
        """The pool as Whoosh's pool gives it: one sorted tuple per posting."""
        for fieldname, tbytes, (docs, weights, values) in self.terms():
            for docnum, weight, value in zip(docs, weights, values, strict=True):
                yield fieldname, tbytes, docnum, weight, value

    def cleanup(self) -> None:
        for path in self._runs:
            with contextlib.suppress(OSError):
                os.remove(path)
        self._runs = []
        self._fields = {}


def _in_order(postings: Postings) -> Postings:
    docs, weights, values = postings
    if len(docs) < 2 or all(map(operator.lt, docs, islice(docs, 1, None))):
        return postings
    order = sorted(range(len(docs)), key=docs.__getitem__)
    return (
        array("I", (docs[i] for i in order)),
        array("d", (weights[i] for i in order)),
        [values[i] for i in order],
    )


def _write_run(tempdir: str | None, records: Iterator[tuple[str, bytes, Postings]]) -> str:
    fd, path = tempfile.mkstemp(suffix=".terms", dir=tempdir)
    with os.fdopen(fd, "wb") as fh:
        dump = pickle.Pickler(fh, pickle.HIGHEST_PROTOCOL).dump
        for record in records:
            dump(record)
    return path


def _read_run(path: str) -> Iterator[tuple[str, bytes, Postings]]:
    with open(path, "rb") as fh:
        load = pickle.Unpickler(fh).load
        while True:
            try:
                yield load()
            except EOFError:
                break
    os.remove(path)


def _merged(
    runs: list[str], last: Iterator[tuple[str, bytes, Postings]]
) -> Iterator[tuple[str, bytes, Postings]]:
    """The records of ``runs`` then ``last`` merged term by term, each term's postings
    joined in that order (which is increasing document order)."""
    sources = [*(_read_run(path) for path in runs), last]
    # heapq.merge is stable: a term's records come in the order of their sources.
    key = operator.itemgetter(0, 1)
    for (fieldname, tbytes), records in groupby(heapq.merge(*sources, key=key), key=key):
        (_, _, (docs, weights, values)), *more = records
        for _, _, postings in more:
            docs.extend(postings[0])
            weights.extend(postings[1])
            values.extend(postings[2])
        yield fieldname, tbytes, _in_order((docs, weights, values))


def write_terms(
    fieldwriter: Any, schema: Any, terms: Iterator[tuple[str, bytes, Postings]]
) -> None:
    """Write the postings of ``terms`` (in order) with a Whoosh field writer, as its
    ``add_postings`` would without document lengths, a term's postings at once when the
    postings writer can take them so."""
    from .codec import _PostingsWriter

    current = None
    for fieldname, tbytes, (docs, weights, values) in terms:
        if fieldname != current:
            if current is not None:
                fieldwriter.finish_field()
            fieldwriter.start_field(fieldname, schema[fieldname])
            current = fieldname
        fieldwriter.start_term(tbytes)
        writer = getattr(fieldwriter, "_postwriter", None)
        if isinstance(writer, _PostingsWriter):
            writer.add_postings(docs, weights, values)
        else:
            add = fieldwriter.add
            for docnum, weight, value in zip(docs, weights, values, strict=True):
                add(docnum, weight, value, 0)
        fieldwriter.finish_term()
    if current is not None:
        fieldwriter.finish_field()
