"""A word's derivational family: the dictionary's words with the same family key."""

from __future__ import annotations

import pytest

from seedsearch.analysis import family_key, term_for
from seedsearch.budget import MAX_FAMILY_SCAN, Cost
from seedsearch.spelling import Spelling
from seedsearch.store import Index


def _by_scanning(spelling: Spelling, folded: str) -> set[str]:
    """The definition: of the first MAX_FAMILY_SCAN words sharing the first letters the
    word has in common with its key (four at least), the terms of those keyed alike."""
    key = family_key(folded)
    shared = next(
        (i for i, (a, b) in enumerate(zip(folded, key, strict=False)) if a != b), len(key)
    )
    if not key or shared < 4:
        return set()
    scanned = spelling.starting_with(folded[:shared], MAX_FAMILY_SCAN)
    return {term_for(w) for w in scanned if family_key(w) == key}


def test_every_dictionary_words_family_is_the_words_keyed_alike(seed_index: Index) -> None:
    s = seed_index.searcher()
    words, _ = Spelling(seed_index, s).lists
    checked = 0
    for word in [*words, "appliquer", "affichages", "gouvernementale"]:
        got = Spelling(seed_index, s, Cost()).family(word)
        assert got == _by_scanning(Spelling(seed_index, s, Cost()), word), word
        checked += bool(got)
    assert checked > 50


@pytest.mark.parametrize(
    ("word", "relative"), [("appliquee", "application"), ("accelerer", "acceleration")]
)
def test_a_family_reaches_across_suffixes(seed_index: Index, word: str, relative: str) -> None:
    s = seed_index.searcher()
    assert relative in list(Spelling(seed_index, s).lists[0])
    assert term_for(relative) in Spelling(seed_index, s, Cost()).family(word)
