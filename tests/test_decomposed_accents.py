"""Accents stored or typed decomposed (NFD) find and highlight like composed ones."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from pathlib import Path

import pytest

from seedsearch.index import update_index
from seedsearch.search import highlighter_for
from seedsearch.store import Index

COMPOSED = "Le coût de l’énergie\n\nLa société paie l’électricité du réseau très cher.\n"
DECOMPOSED = unicodedata.normalize("NFD", COMPOSED)


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


@pytest.fixture
def both_forms(tmp_path: Path, write_files: Callable) -> Index:
    assert DECOMPOSED != COMPOSED
    root = write_files({"composed.txt": COMPOSED, "decomposed.txt": DECOMPOSED})
    update_index(tmp_path / "ix", [root])
    ix = Index(tmp_path / "ix")
    yield ix
    ix.close()


@pytest.mark.parametrize(
    "query", ["électricité", "réseau", "société très", '"l’électricité du réseau"']
)
@pytest.mark.parametrize("form", ["NFC", "NFD"])
def test_a_query_in_either_form_finds_both_documents(
    both_forms: Index, query: str, form: str
) -> None:
    result = both_forms.search(unicodedata.normalize(form, query))
    assert {hit.path.rsplit("/", 1)[-1] for hit in result.hits} == {
        "composed.txt",
        "decomposed.txt",
    }


@pytest.mark.parametrize("form", ["NFC", "NFD"])
def test_title_of_a_decomposed_document_is_searchable(both_forms: Index, form: str) -> None:
    result = both_forms.search("title:" + unicodedata.normalize(form, "énergie"))
    assert result.total == 2


def test_highlights_on_a_decomposed_text_cover_the_whole_words(both_forms: Index) -> None:
    result = both_forms.search("électricité réseau")
    hit = next(h for h in result.hits if h.path.endswith("decomposed.txt"))
    marked = [hit.text[s:e] for s, e in hit.spans]
    assert marked == [nfd("électricité"), nfd("réseau")]
    marker = highlighter_for(both_forms, nfd("électricité"))
    text = nfd("Payer l’électricité.")
    assert [text[s:e] for s, e in marker.spans(text)] == [nfd("électricité")]
    assert marker.html(text) == nfd("Payer l’<mark>électricité</mark>.")
