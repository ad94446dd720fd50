"""Parts' outlines (passage ranges and title, in a column): what re-ranking reads instead
of the stored fields."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from seedsearch import outline
from seedsearch.index import update_index
from seedsearch.outline import Outline, Outlines, decode, encode, from_fields
from seedsearch.store import Index


@pytest.mark.parametrize(
    "query",
    [
        "énergie",
        "data center",
        "EDF filiale",
        "réglementation européenne",
        '"intelligence artificielle"',
        "IA",
    ],
)
def test_the_page_is_the_same_whether_outlines_come_from_their_column_or_the_stored_fields(
    seed_index: Index, monkeypatch: pytest.MonkeyPatch, query: str
) -> None:
    from_column = seed_index.search(query)
    monkeypatch.setattr(outline, "OUTLINE", "no such column")
    seed_index._outlines = None  # opened again, without the column
    try:
        from_stored = seed_index.search(query)
    finally:
        seed_index._outlines = None
    assert from_column.total == from_stored.total > 0
    assert from_column.hits == from_stored.hits


def _paragraph(i: int) -> str:
    return f"Paragraphe {i} sur l’énergie des centres de données et le cœur du réseau. " * 30


def test_every_part_s_outline_column_says_what_its_stored_fields_say(tmp_path: Path) -> None:
    src, index = tmp_path / "articles", tmp_path / "index"
    src.mkdir()
    (src / "court.txt").write_text("Un titre\n\nUn court article sur l’IA.\n", encoding="utf-8")
    # Long enough to be indexed in several parts, each with its own first passage number.
    body = "\n\n".join(_paragraph(i) for i in range(60))
    (src / "long.md").write_text(f"# Un très long article\n\n{body}\n", encoding="utf-8")
    update_index(index, [str(src)])
    with Index(index) as ix:
        searcher = ix.searcher()
        outlines = Outlines(searcher)
        parts = [(d, f) for d, f in searcher.iter_docs() if f.get("kind") == "article"]
        assert len(parts) > 2 and any(f["first"] > 0 for _, f in parts)
        for docnum, fields in parts:
            assert outlines[docnum] == from_fields(fields)
            assert outlines[docnum].title == fields["title"]
            # A part's path is read from the fold column (see collapse.Columns).
            assert ix.columns(searcher).path(docnum) == fields["path"]


_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)


@given(
    title=_TEXT,
    first=st.integers(0, 2**32 - 1),
    table=st.lists(st.tuples(st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1)), max_size=20),
)
def test_an_outline_reads_back_as_written(
    title: str, first: int, table: list[tuple[int, int]]
) -> None:
    stored = [("paragraph", 0, 0, 0, None, start, length) for start, length in table]
    got = decode(encode(title, first, stored))
    assert got == Outline(title, first, [s for s, _ in table], [n for _, n in table])


@given(
    lengths=st.lists(st.integers(0, 70_000), max_size=30),
    gap=st.integers(0, 300),
)
def test_passages_laid_out_one_after_another_read_back_from_their_lengths(
    lengths: list[int], gap: int
) -> None:
    starts = [sum(lengths[:i]) + gap * i for i in range(len(lengths))]
    stored = [("paragraph", 0, 0, 0, None, s, n) for s, n in zip(starts, lengths, strict=True)]
    raw = encode("Titre", 3, stored)
    assert decode(raw) == Outline("Titre", 3, starts, lengths)
    if gap < 255 and lengths and max(lengths) < 256:
        assert len(raw) <= 10 + len("Titre") + len(lengths)  # one byte per passage
