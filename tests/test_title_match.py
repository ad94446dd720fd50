"""An article whose title says the query word for word comes first among articles that
match it as well otherwise."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from seedsearch.index import update_index
from seedsearch.query import Node, parse
from seedsearch.store import Index
from seedsearch.title_match import likeness, query_words

BODY = (
    "\n\nCette page décrit comment créer un répertoire ou des répertoires sur le disque, "
    "avec les droits voulus, et ce qui se passe quand le répertoire existe déjà.\n"
)


def words_of(query: str) -> list[str]:
    node: Node | None = parse(query)[0]
    return query_words(node) if node is not None else []


@pytest.mark.parametrize(
    ("query", "title", "expected"),
    [
        ("Créer un répertoire", "mkdir(2) — Créer un répertoire", 1.0),
        ("creer un repertoire", "mkdir(2) — Créer un répertoire", 1.0),  # accents, case
        ("Retournement", "4.12. Retournement", 1.0),  # numbering set aside
        ("Filtres", "Chapitre 17. Filtres", 1.0),
        ("Créer un répertoire", "mkdir(1) — Créer des répertoires", 1 / 3),
        ("Couper", "Exclure de la coupure des mots certains mots", 0.0),
    ],
)
def test_likeness_of_a_query_and_a_title(query: str, title: str, expected: float) -> None:
    assert likeness(words_of(query), title) == pytest.approx(expected)


def test_excluded_words_and_filters_are_not_what_the_query_says() -> None:
    assert words_of("Créer -répertoire date:2024 type:pdf") == ["creer"]


@given(st.text(max_size=40), st.text(max_size=60))
def test_likeness_is_between_0_and_1(query: str, title: str) -> None:
    assert 0.0 <= likeness(words_of(query), title) <= 1.0


@pytest.mark.parametrize(
    ("query", "first"),
    [("Créer un répertoire", "mkdir.2.txt"), ("Créer des répertoires", "mkdir.1.txt")],
)
def test_the_title_that_says_the_query_comes_first(
    write_files: Callable[[dict[str, str | bytes]], Path], tmp_path: Path, query: str, first: str
) -> None:
    root = write_files(
        {
            "mkdir.1.txt": "mkdir(1) — Créer des répertoires" + BODY,
            "mkdir.2.txt": "mkdir(2) — Créer un répertoire" + BODY,
        }
    )
    update_index(tmp_path / "ix", [root])
    with Index(tmp_path / "ix") as ix:
        hits = ix.search(query).hits
    assert hits[0].path.endswith(first)
