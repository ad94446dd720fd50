"""A word's derivational family: the dictionary's words with the same family key."""

from __future__ import annotations

import pytest

from seedsearch.analysis import term_for
from seedsearch.budget import Cost
from seedsearch.spelling import Spelling
from seedsearch.store import Index


@pytest.mark.parametrize(
    ("word", "relative"), [("appliquee", "application"), ("accelerer", "acceleration")]
)
def test_a_family_reaches_across_suffixes(seed_index: Index, word: str, relative: str) -> None:
    s = seed_index.searcher()
    assert relative in list(Spelling(seed_index, s).lists[0])
    assert term_for(relative) in Spelling(seed_index, s, Cost()).family(word)
