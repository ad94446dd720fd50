from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import Result
from fastapi.testclient import TestClient

from seedsearch.errors import DocumentNotFoundError, OptionError
from seedsearch.index import update_index
from seedsearch.similar import distinctive_terms
from seedsearch.store import Index
from seedsearch.web.app import create_app


def _ids(index: Index) -> list[str]:
    return sorted({doc_id for doc_id, _ in index.passages()})


def test_each_seeds_first_similar_article_is_the_other_seed(seed_index: Index) -> None:
    ids = _ids(seed_index)
    assert len(ids) == 2
    for doc_id in ids:
        result = seed_index.similar(doc_id)
        assert result.articles, doc_id
        other = result.articles[0]
        assert other.doc_id != doc_id and other.doc_id in ids
        assert doc_id not in [a.doc_id for a in result.articles]
        assert result.terms


TOPICS = {
    "bitcoin": "bitcoin minage blockchain portefeuille halving hashrate mineurs",
    "jardin": "jardin tomates arrosage potager semis compost courgettes",
    "fusee": "fusée lanceur orbite satellite propulseur ergols décollage",
}


@pytest.fixture
def topics_index(tmp_path: Path, write_files: Callable[[dict[str, str]], Path]) -> Path:
    """Twenty articles on three topics, each article a different mix of its topic's words."""
    files = {}
    for i in range(20):
        topic = list(TOPICS)[i % 3]
        words = TOPICS[topic].split()
        mix = " ".join(words[(i + k) % len(words)] for k in range(5))
        files[f"{topic}-{i:02d}.txt"] = f"Article {i}\n\nUn texte sur {mix}. Encore {mix}."
    index_dir = tmp_path / "index"
    update_index(index_dir, [write_files(files)])
    return index_dir


def test_similar_articles_share_the_topic(topics_index: Path) -> None:
    with Index(topics_index) as ix:
        for doc_id in _ids(ix):
            topic = doc_id.split("-")[0]
            result = ix.similar(doc_id, limit=5)
            assert len(result.articles) == 5
            assert all(a.doc_id.startswith(topic) for a in result.articles), (doc_id, result)
            scores = [a.score for a in result.articles]
            assert scores == sorted(scores, reverse=True)


def test_distinctive_terms_leave_out_unique_and_ubiquitous_terms() -> None:
    df = {"bitcoin": 3, "minag": 5, "text": 100, "rare": 1}
    terms = distinctive_terms("Bitcoin", "bitcoin minage texte rare", lambda t: df.get(t, 0), 100)
    names = [t for t, _ in terms]
    assert names[0] == "bitcoin"  # in the title and the rarest shared term
    assert "minag" in names
    assert "rare" not in names and "text" not in names


def test_unknown_document_and_bad_limit(seed_index: Index) -> None:
    with pytest.raises(DocumentNotFoundError):
        seed_index.similar("nope")
    with pytest.raises(OptionError):
        seed_index.similar(_ids(seed_index)[0], limit=0)


def test_cli_similar(seed_index_dir: Path, cli: Callable[..., Result]) -> None:
    with Index(seed_index_dir) as ix:
        first, second = _ids(ix)
    out = cli("similar", first, "--limit", "3", index=seed_index_dir)
    assert out.exit_code == 0 and "1. " in out.stdout and second in out.stdout
    data = json.loads(cli("similar", first, "--json", index=seed_index_dir).stdout)
    assert data["doc_id"] == first and data["articles"][0]["doc_id"] == second
    bad = cli("similar", "nope", index=seed_index_dir)
    assert bad.exit_code == 1 and bad.stderr.startswith("seedsearch: error: no document")


@pytest.fixture
def client(seed_index_dir: Path) -> Iterator[TestClient]:
    app = create_app(seed_index_dir)
    with TestClient(app, base_url="http://127.0.0.1") as c:
        yield c
    app.state.holder.close()


def test_api_similar_and_the_article_page(client: TestClient, seed_index_dir: Path) -> None:
    with Index(seed_index_dir) as ix:
        first, second = _ids(ix)
    data = client.get(f"/api/docs/{first}/similar", params={"limit": 5}).json()
    assert data["articles"][0]["doc_id"] == second
    assert client.get("/api/docs/nope/similar").status_code == 404
    assert client.get(f"/api/docs/{first}/similar", params={"limit": 0}).status_code == 422
    page = client.get(f"/doc/{first}").text
    block = page[page.index("Articles similaires") :]
    assert f'href="/doc/{second}"' in block
