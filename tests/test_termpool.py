"""The writer's posting pool: postings come back in Whoosh's order whether they stayed in
memory or went through run files, and an index built through run files is the same."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seedsearch import termpool, writers
from seedsearch.index import update_index
from seedsearch.store import Index
from seedsearch.termpool import TermPool

# Postings of one document: (field, term, weight, value) with distinct (field, term).
document = st.dictionaries(
    st.tuples(st.sampled_from(["body", "doc_id", "title"]), st.binary(min_size=1, max_size=4)),
    st.tuples(st.integers(1, 40).map(float), st.one_of(st.none(), st.binary(max_size=6))),
    max_size=12,
)


@settings(max_examples=60, deadline=None)
@given(st.lists(document, max_size=30), st.sampled_from([0, 300, 2_000, 1 << 30]))
def test_postings_come_back_sorted_like_whooshs_pool(
    docs: list[dict[tuple[str, bytes], tuple[float, bytes | None]]], limit: int
) -> None:
    items = [
        (field, term, docnum, weight, value)
        for docnum, postings in enumerate(docs)
        for (field, term), (weight, value) in postings.items()
    ]
    with tempfile.TemporaryDirectory() as tmp:
        pool = TermPool(tmp, limit)
        for item in items:
            pool.add(item)
        got = list(pool.iter_postings())
        pool.cleanup()
        assert list(Path(tmp).iterdir()) == []  # every run file read and removed
    assert got == sorted((f, t, d, w, v or b"") for f, t, d, w, v in items)


def test_many_spills_are_merged_into_fewer_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(termpool, "MAX_RUNS", 3)
    pool = TermPool(str(tmp_path), 0)  # every posting spills
    items = [("body", bytes([97 + n % 5]), n, 1.0, b"v") for n in range(20)]
    for item in items:
        pool.add(item)
        assert len(list(tmp_path.iterdir())) < 3
    assert list(pool.iter_postings()) == sorted(items)


def test_a_postings_list_out_of_document_order_is_sorted(tmp_path: Path) -> None:
    pool = TermPool(str(tmp_path), 1 << 30)
    for docnum in (5, 2, 9):
        pool.add(("body", b"t", docnum, float(docnum), bytes([docnum])))
    assert [p[2:] for p in pool.iter_postings()] == [
        (2, 2.0, b"\x02"),
        (5, 5.0, b"\x05"),
        (9, 9.0, b"\x09"),
    ]


def _segment_files(index_dir: Path) -> dict[str, bytes]:
    """The postings and term files of an index's segments (by extension)."""
    return {
        f.name.split(".", 1)[1]: f.read_bytes()
        for f in sorted(index_dir.iterdir())
        if f.suffix in (".pst", ".trm")
    }


def test_an_index_written_through_run_files_is_the_same(
    tmp_path: Path, write_files: Callable, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_files(
        {
            f"a{n:02d}.md": f"# Article {n}\n\nLe minage numéro {n} et l’énergie "
            + " ".join(f"mot{n * k}" for k in range(60))
            for n in range(30)
        }
    )
    update_index(tmp_path / "memory", [root])
    monkeypatch.setattr(writers, "POOL_MB", 0.01)  # a run file every few documents
    update_index(tmp_path / "runs", [root])
    assert _segment_files(tmp_path / "memory") == _segment_files(tmp_path / "runs")
    with Index(tmp_path / "memory") as a, Index(tmp_path / "runs") as b:
        for q in ("minage 7", "mot120", "energie", '"numéro 3"'):
            assert a.search(q).to_dict() | {"took_ms": 0} == b.search(q).to_dict() | {"took_ms": 0}
