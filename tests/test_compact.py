"""The compact index layout: body positions and posting blocks packed tightly, stored
fields compressed, with every search answer what it was."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from whoosh import index as windex
from whoosh.formats import Positions

from seedsearch.check import check_index
from seedsearch.codec import pack_block, unpack_block
from seedsearch.index import update_index
from seedsearch.postings import decode_positions, encode_positions
from seedsearch.schema import INDEX_NAME
from seedsearch.store import Index

ascending = st.lists(st.integers(0, 1 << 31), min_size=1, max_size=60, unique=True).map(sorted)


@given(ascending)
def test_positions_read_back_as_written(positions: list[int]) -> None:
    assert decode_positions(encode_positions(positions)) == positions


@given(ascending)
def test_positions_in_whooshs_own_format_read_back(positions: list[int]) -> None:
    # The other text fields (the title) keep Whoosh's format.
    assert decode_positions(Positions().encode(positions)) == positions


@pytest.mark.parametrize(
    ("positions", "size"), [([7], 2), ([3, 200], 3), ([0, 70_000], 9), ([5, 300, 900], 7)]
)
def test_positions_take_the_narrowest_integers(positions: list[int], size: int) -> None:
    assert len(encode_positions(positions)) == size


@given(
    st.lists(
        st.tuples(
            st.integers(1, 1 << 20),
            st.one_of(st.integers(1, 70_000).map(float), st.floats(0.5, 9.5, width=32)),
            st.lists(st.integers(0, 1 << 20), min_size=1, max_size=5, unique=True).map(sorted),
        ),
        min_size=1,
        max_size=128,
    )
)
def test_blocks_read_back_as_written(
    postings: list[tuple[int, float, list[int]]],
) -> None:
    ids = [0]
    for gap, _, _ in postings:
        ids.append(ids[-1] + gap)
    ids = ids[1:]
    weights = [w for _, w, _ in postings]
    values = [encode_positions(p) for _, _, p in postings]
    deltas, read_weights, (joined, lengths) = unpack_block(pack_block(ids, weights, values))
    assert [sum(deltas[: i + 1]) for i in range(len(deltas))] == ids
    assert list(read_weights) == weights
    ends = [sum(lengths[: i + 1]) for i in range(len(lengths))]
    assert [joined[a:b] for a, b in zip([0, *ends], ends, strict=False)] == values


def test_stop_word_phrases_stay_exact_across_many_blocks(
    tmp_path: Path, write_files: Callable[[dict[str, str]], Path]
) -> None:
    # 300 articles: the posting lists of "son" and "coeur" run over several blocks.
    files = {}
    for i in range(300):
        if i % 3 == 0:
            body = f"Il garde son cœur pur, dit le récit {i}."
        elif i % 3 == 1:
            body = f"Le cœur de son ami bat encore, dit le récit {i}."
        else:
            body = f"Son grand cœur, dit le récit {i}."
        files[f"r{i:03}.txt"] = f"Récit {i}\n\n{body}\n"
    update_index(tmp_path / "ix", [write_files(files)])
    with Index(tmp_path / "ix") as ix:
        exact = ix.search('"son cœur"', limit=100)
        assert exact.total == 100
        assert all(int(h.title.split()[1]) % 3 == 0 for h in exact.hits)
        assert ix.search('"de son ami"', limit=100).total == 100
        assert ix.search('"cœur de son"', limit=100).total == 100
        assert ix.search('"son ami"', limit=100).total == 100
        assert ix.search('"cœur son"').total == 0
        assert ix.search("cœur", limit=100).total == 300
    report = check_index(tmp_path / "ix")
    assert report.ok, report.problems
    assert report.postings > 0


TEXT = (
    "Œuvres complètes — l’été à Noël\n\n"
    "Déjà « ça » : naïveté, cœur, Ærø, 東京, emoji 🎉, et un très long paragraphe. " * 40 + "\n"
)


def test_stored_text_reads_back_through_seedsearch_and_whoosh(
    tmp_path: Path, write_files: Callable[[dict[str, str]], Path]
) -> None:
    root = write_files({"a.txt": TEXT})
    update_index(tmp_path / "ix", [root])
    with Index(tmp_path / "ix") as ix:
        hit = ix.search("naïveté").hits[0]
        assert ix.document(hit.doc_id).text == TEXT
    # Whoosh's own readers read the stored fields and the body's positions.
    wix = windex.open_dir(str(tmp_path / "ix"), indexname=INDEX_NAME)
    with wix.searcher() as s:
        fields = s.document(doc_id=hit.doc_id)
        assert fields["article"] == TEXT
        matcher = s.postings("body", "naivet")
        assert matcher.supports("positions")
        positions = matcher.value_as("positions")
        assert len(positions) == 40
        assert positions == sorted(positions)
    wix.close()
