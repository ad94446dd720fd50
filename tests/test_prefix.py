"""Search as you type: the last word being typed is a prefix, and is never corrected."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from seedsearch.index import update_index
from seedsearch.search import last_word, search
from seedsearch.store import Index
from seedsearch.web.app import create_app

ARTICLES = {
    "sauvegarde.txt": "La sauvegarde des serveurs\n\nUne sauvegarde chaque nuit, "
    "et les sauvegardes sont gardées un mois.",
    "sauver.txt": "Sauver les données\n\nIl faut sauver le disque avant la panne.",
    "ia.txt": "L'intelligence des machines\n\nUne intelligence artificielle sur un serveur.",
}


@pytest.fixture(scope="module")
def typed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("typed")
    for name, text in ARTICLES.items():
        (root / name).write_text(text, encoding="utf-8")
    update_index(root / "index", [str(root)])
    return root / "index"


@pytest.mark.parametrize(
    ("query", "word"),
    [
        ("sauveg", "sauveg"),
        ("serveur sauv", "sauv"),
        ("(GPU OR sauv", "sauv"),
        ("title:sauv", "sauv"),
        ("minage -bitc", "bitc"),
        ("sauveg ", None),  # a space: the word is finished
        ('"une phrase"', None),
        ("bitcoin OR", None),
        ("serveur 12", None),
        ("sauv*", None),
        ("sauv~", None),
        ("serveur s", None),  # one letter: not yet a prefix
        ("", None),
    ],
)
def test_the_word_being_typed(query: str, word: str | None) -> None:
    assert last_word(query) == word


@given(st.text(max_size=40))
def test_the_word_being_typed_ends_the_query(query: str) -> None:
    word = last_word(query)
    assert word is None or ((query.endswith(word) and word.isalnum()) or "_" in word)


def test_the_last_word_completes_and_says_to_what(typed: Path) -> None:
    with Index(typed) as index:
        typing = search(index, "sauveg", prefix_last=True)
        assert typing.total == 1 and typing.hits[0].title == "La sauvegarde des serveurs"
        assert typing.completed == {"sauveg": ["sauvegarde", "sauvegardes"]}
        assert typing.corrected_query is None and typing.suggestion is None
        assert typing.query == "sauveg"
        plain = search(index, "sauveg")  # without it, a word like any other: corrected
        assert plain.corrected_query == "sauver" and plain.completed == {}


def test_no_correction_and_no_did_you_mean_for_the_word_being_typed(typed: Path) -> None:
    with Index(typed) as index:
        plain = search(index, "sauvega")
        assert plain.corrected_query or plain.suggestion  # what the page used to flicker
        for partial in ("sa", "sau", "sauv", "sauve", "sauveg", "sauvega", "sauvegar"):
            r = search(index, partial, prefix_last=True)
            assert r.corrected_query is None and r.suggestion is None, partial
            assert r.total >= 1 and "La sauvegarde des serveurs" in {h.title for h in r.hits}


def test_finished_words_are_still_corrected(typed: Path) -> None:
    with Index(typed) as index:
        r = search(index, "machnes intel", prefix_last=True)
        assert r.corrected_query == "machines intel*"
        assert r.completed == {"intel": ["intelligence"]}
        assert r.hits[0].title == "L'intelligence des machines"
        done = search(index, "sauvegarde intelligence ", prefix_last=True)
        assert done.completed == {}


def test_a_word_that_begins_no_indexed_word_is_taken_as_typed(typed: Path) -> None:
    with Index(typed) as index:
        r = search(index, "zzqq", prefix_last=True)
        assert r.total == 0 and r.completed == {} and r.ignored == ()
        typo = search(index, "sauvgarde", prefix_last=True)  # no indexed word begins so
        assert typo.corrected_query == "sauvegarde" and typo.completed == {}


def test_the_api_takes_prefix_last(typed: Path) -> None:
    with TestClient(create_app(typed), base_url="http://127.0.0.1") as client:
        r = client.get("/api/search", params={"q": "sauveg", "prefix": "last"})
        assert r.status_code == 200
        body = r.json()
        assert body["total"] == 1 and body["completed"] == {"sauveg": ["sauvegarde", "sauvegardes"]}
        plain = client.get("/api/search", params={"q": "sauveg"}).json()
        assert plain["corrected_query"] == "sauver" and plain["completed"] == {}
        bad = client.get("/api/search", params={"q": "sauveg", "prefix": "first"})
        assert bad.status_code == 422 and bad.json()["error"]["code"] == "bad_request"
