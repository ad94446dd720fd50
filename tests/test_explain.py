from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import Result
from fastapi.testclient import TestClient

from seedsearch.index import update_index
from seedsearch.results import Reason
from seedsearch.store import Index
from seedsearch.web.app import create_app

ARTICLES = {
    "energie.txt": "Énergie et réseaux\n\nLes énergies renouvelables gagnent du terrain.",
    "calcul.txt": "Calcul\n\nLes supercalculateurs de la société servent l’intelligence "
    "artificielle.",
    "affiche.txt": "Panneaux\n\nL’affichage public change, dit le rapport.",
}


@pytest.fixture
def index_dir(tmp_path: Path, write_files: Callable[[dict[str, str]], Path]) -> Path:
    path = tmp_path / "index"
    update_index(path, [write_files(ARTICLES)])
    return path


def _why(index_dir: Path, query: str) -> dict[str, tuple[Reason, ...]]:
    with Index(index_dir) as ix:
        result = ix.search(query, explain=True)
    return {Path(h.path).name: h.why for h in result.hits}


@pytest.mark.parametrize(
    ("query", "file", "word", "found", "how"),
    [
        ("énergie", "energie.txt", "énergie", "Énergie", "exact"),
        ("energie", "energie.txt", "energie", "Énergie", "accents"),
        ("renouvelable", "energie.txt", "renouvelable", "renouvelables", "stem"),
        ("supercalculatuers", "calcul.txt", "supercalculatuers", "supercalculateurs", "typo"),
        ("IA", "calcul.txt", "IA", "intelligence artificielle", "synonym"),
        ("intel*", "calcul.txt", "intel*", "intelligence", "prefix"),
        ("supercalculatuers~", "calcul.txt", "supercalculatuers~", "supercalculateurs", "fuzzy"),
        ("supercalculateurs~", "calcul.txt", "supercalculateurs~", "supercalculateurs", "exact"),
        ("afficher", "affiche.txt", "afficher", "affichage", "family"),
    ],
)
def test_each_word_says_how_it_was_found(
    index_dir: Path, query: str, file: str, word: str, found: str, how: str
) -> None:
    why = _why(index_dir, query)[file]
    assert why, why
    assert (why[0].word, why[0].found, why[0].how) == (word, found, how)


def test_fields_and_title_weight(index_dir: Path) -> None:
    (in_title,) = _why(index_dir, "énergie")["energie.txt"]
    assert in_title.fields == ("title", "text") and in_title.title_score > 0
    (in_text,) = _why(index_dir, "renouvelables")["energie.txt"]
    assert in_text.fields == ("text",) and in_text.title_score == 0


def test_one_reason_per_query_word_and_none_for_stop_words(index_dir: Path) -> None:
    why = _why(index_dir, "les supercalculateurs de la société")["calcul.txt"]
    assert [r.word for r in why] == ["supercalculateurs", "société"]


def test_nothing_is_explained_unless_asked(index_dir: Path) -> None:
    with Index(index_dir) as ix:
        result = ix.search("énergie")
    assert all(h.why == () for h in result.hits)
    assert "why" not in result.to_dict()["hits"][0]


def test_cli_explain(index_dir: Path, cli: Callable[..., Result]) -> None:
    out = cli("search", "energie", "--explain", index=index_dir)
    assert out.exit_code == 0
    assert "why: energie → Énergie (accent-insensitive; title, text; title +" in out.stdout
    data = json.loads(cli("search", "IA", "--explain", "--json", index=index_dir).stdout)
    assert data["hits"][0]["why"][0] == {
        "word": "IA",
        "found": "intelligence artificielle",
        "how": "synonym",
        "fields": ["text"],
        "title_score": 0.0,
    }
    plain = json.loads(cli("search", "IA", "--json", index=index_dir).stdout)
    assert "why" not in plain["hits"][0]


@pytest.fixture
def client(index_dir: Path) -> Iterator[TestClient]:
    app = create_app(index_dir)
    with TestClient(app, base_url="http://127.0.0.1") as c:
        yield c
    app.state.holder.close()


def test_api_explain_and_the_page_disclosure(client: TestClient) -> None:
    data = client.get("/api/search", params={"q": "energie", "explain": "true"}).json()
    assert data["hits"][0]["why"][0]["how"] == "accents"
    assert "why" not in client.get("/api/search", params={"q": "energie"}).json()["hits"][0]
    page = client.get("/", params={"q": "energie"}).text
    assert '<details class="why">' in page and "<summary>pourquoi ?</summary>" in page
    assert "<strong>energie</strong> → <em>Énergie</em> (sans les accents ; titre, texte" in page
