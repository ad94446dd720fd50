"""Words a few edits from a typed word: the dictionary scanned in C (two edits or more)
finds exactly the words Whoosh's Levenshtein automaton finds, in dictionary order."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seedsearch.budget import Cost
from seedsearch.errors import QueryTooExpensiveError
from seedsearch.index import update_index
from seedsearch.spelling import SCAN_CHUNK, Spelling, _scan, _walk
from seedsearch.store import Index

LETTERS = "abcdeéœ"
WORD = st.text(LETTERS, min_size=1, max_size=9)


@settings(max_examples=80, deadline=None)
@given(st.lists(WORD, min_size=1, max_size=300, unique=True), WORD, st.integers(1, 3))
def test_a_scan_finds_the_words_the_automaton_finds(
    dictionary: list[str], word: str, edits: int
) -> None:
    words = sorted(dictionary)
    scanned = _scan(word, edits, words, Cost())
    assert scanned == _walk(word, edits, words, Cost())
    assert scanned == sorted(scanned)


def test_a_scan_of_several_chunks_keeps_dictionary_order() -> None:
    words = sorted(f"mot{n:06d}" for n in range(SCAN_CHUNK * 2 + 10))
    found = _scan("mot000100", 2, words, Cost())
    assert found == _walk("mot000100", 2, words, Cost())
    assert len(found) > 1 and found == sorted(found)


def test_a_scan_past_the_search_s_deadline_stops_it() -> None:
    with pytest.raises(QueryTooExpensiveError):
        _scan("mot", 2, ["mot", "mots"], Cost(0.0))


@pytest.mark.parametrize(
    ("typed", "edits", "expected"),
    [
        ("fenetre", 1, ["fenetre", "fenetres"]),
        ("fenetrre", 2, ["fenetre", "fenetres"]),  # scanned: two edits
        ("fentres", 2, ["fenetre", "fenetres"]),
    ],
)
def test_words_within_edits_of_an_index_s_dictionary(
    tmp_path: Path, typed: str, edits: int, expected: list[str]
) -> None:
    src = tmp_path / "articles"
    src.mkdir()
    (src / "a.txt").write_text("Fenêtres\n\nUne fenêtre, des fenêtres.\n", encoding="utf-8")
    update_index(tmp_path / "index", [str(src)])
    with Index(tmp_path / "index") as ix:
        searcher = ix.searcher()
        spelling = Spelling(ix, searcher, Cost())
        assert spelling.within(typed, edits) == expected
        assert spelling.cost.automata == 1
        # Asked again in the same search: the same words, nothing counted again.
        assert spelling.within(typed, edits) == expected
        assert spelling.cost.automata == 1
