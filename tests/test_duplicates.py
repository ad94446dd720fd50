"""The same article saved twice is one result that says where else it is: same text, same
canonical URL, or the same text with another footer."""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.testclient import TestClient

from conftest import json_out
from seedsearch.collapse import NEAR, similarity, sketch, text_key, url_key
from seedsearch.index import update_index
from seedsearch.store import Index
from seedsearch.web.app import create_app

WORDS = [
    "centrale",
    "nucléaire",
    "réacteur",
    "chantier",
    "ouvriers",
    "béton",
    "acier",
    "turbine",
    "vapeur",
    "réseau",
    "électricité",
    "tarif",
    "hiver",
    "consommation",
    "région",
    "commune",
    "maire",
    "préfet",
    "enquête",
    "public",
    "rivière",
    "refroidissement",
    "débit",
    "été",
    "sécheresse",
    "poisson",
    "pêcheurs",
    "association",
    "recours",
    "tribunal",
    "décision",
    "calendrier",
    "retard",
    "coût",
    "milliard",
    "budget",
    "État",
    "financement",
    "emprunt",
]


def article(seed: int, words: int = 400) -> str:
    rng = random.Random(seed)
    sentences = ["La centrale et le réseau."]
    while sum(len(s.split()) for s in sentences) < words:
        sentences.append(" ".join(rng.choice(WORDS) for _ in range(12)).capitalize() + ".")
    return "\n\n".join(" ".join(sentences[i : i + 4]) for i in range(0, len(sentences), 4))


BODY = article(1)
OTHER = article(2)
FOOTER_A = (
    "Publié par la rédaction du Courrier normand. Tous droits réservés, reproduction interdite."
)
FOOTER_B = (
    "Lire aussi nos autres articles sur l'énergie et abonnez-vous à la lettre du matin gratuite."
)
HTML = """<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>{title}</title>
<link rel="canonical" href="{url}"></head><body><article><h1>{title}</h1>{body}</article>
</body></html>"""


def html(title: str, url: str, text: str) -> str:
    paras = "".join(f"<p>{p}</p>" for p in text.split("\n\n"))
    return HTML.format(title=title, url=url, body=paras)


@pytest.fixture
def corpus(write_files: Callable, tmp_path: Path) -> Path:
    root = write_files(
        {
            "a/penly.txt": f"Penly\n\n{BODY}",
            # The same text, saved again elsewhere with other line breaks and case.
            "b/penly-copie.txt": f"PENLY\n\n{BODY.replace(' ', chr(10), 5)}",
            "c/penly-bis.txt": f"Penly\n\n{BODY.upper()}",
            # The same article with two different footers.
            "d/flamanville.txt": f"Flamanville\n\n{OTHER}\n\n{FOOTER_A}",
            "e/flamanville-2.txt": f"Flamanville\n\n{OTHER}\n\n{FOOTER_B}",
            # Another article on the same subject, from the same words.
            "f/autre.txt": f"Autre\n\n{article(3)}",
            # One page under two addresses of one canonical URL, with different texts.
            "g/page.html": html("Gravelines", "https://journal.example.fr/gravelines/", BODY[:900]),
            "h/page.html": html("Gravelines", "http://Journal.example.fr/gravelines", OTHER[:900]),
        }
    )
    update_index(tmp_path / "ix", [root])
    return tmp_path / "ix"


def groups(result: dict) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for hit in result["hits"]:
        out.setdefault(Path(hit["path"]).parent.name, hit)
    return out


def test_exact_and_near_duplicates_are_one_result_each(corpus: Path, cli) -> None:
    data = json_out(cli("search", "--json", "centrale", index=corpus))
    found = {
        frozenset(Path(p).parent.name for p in (hit["path"], *hit["also_in"])): hit["folded"]
        for hit in data["hits"]
    }
    # Penly three times (same text), Flamanville with two footers, the other article,
    # and the page under two forms of one canonical URL.
    assert found == {
        frozenset("abc"): 2,
        frozenset("de"): 1,
        frozenset("f"): 0,
        frozenset("gh"): 1,
    }
    assert data["total"] == 4
    assert len({hit["rank"] for hit in data["hits"]}) == 4


def test_exact_duplicates_fold_on_the_normalised_text(corpus: Path) -> None:
    with Index(corpus) as ix:
        hits = ix.search("title:penly").hits
    assert len({h.rank for h in hits}) == 1
    head = hits[0]
    assert head.folded == 2
    assert sorted(Path(p).parent.name for p in head.also_in) == sorted(
        {"a", "b", "c"} - {Path(head.path).parent.name}
    )


def test_near_duplicates_with_another_footer_fold(corpus: Path) -> None:
    with Index(corpus) as ix:
        result = ix.search("title:flamanville")
    assert result.total == 1
    head = result.hits[0]
    assert {Path(p).parent.name for p in (head.path, *head.also_in)} == {"d", "e"}
    assert head.folded == 1


def test_the_same_canonical_url_folds_pages_of_different_text(corpus: Path) -> None:
    with Index(corpus) as ix:
        result = ix.search("title:gravelines")
    assert result.total == 1
    head = result.hits[0]
    assert {Path(p).parent.name for p in (head.path, *head.also_in)} == {"g", "h"}
    assert head.folded == 1


def test_pages_and_cli_text_say_where_else_the_article_is(corpus: Path, cli) -> None:
    text = cli("search", "title:penly", index=corpus).stdout
    assert re.search(r"aussi dans : .*penly", text)
    client = TestClient(create_app(corpus), base_url="http://127.0.0.1")
    page = client.get("/", params={"q": "title:penly"}).text
    assert "aussi dans : " in page and "(2 doublons repliés)" in page
    api = client.get("/api/search", params={"q": "title:penly"}).json()
    assert api["hits"][0]["folded"] == 2 and len(api["hits"][0]["also_in"]) == 2


def test_distinct_articles_are_not_folded(write_files: Callable, tmp_path: Path) -> None:
    root = write_files({f"n{n}.txt": f"Article {n}\n\n{article(10 + n)}" for n in range(6)})
    update_index(tmp_path / "ix", [root])
    with Index(tmp_path / "ix") as ix:
        result = ix.search("centrale", limit=10)
    assert result.total == 6 and all(h.folded == 0 for h in result.hits)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("https://journal.example.fr/a/", "http://JOURNAL.example.fr/a"),
        ("https://journal.example.fr:443/a#haut", "https://journal.example.fr/a"),
        ("https://journal.example.fr/a?id=2", "https://journal.example.fr/a?id=2#x"),
    ],
)
def test_url_keys_are_canonical(a: str, b: str) -> None:
    assert url_key(a) == url_key(b) != ""


def test_url_keys_keep_what_names_another_page() -> None:
    assert url_key("https://journal.example.fr/a?id=2") != url_key(
        "https://journal.example.fr/a?id=3"
    )
    assert url_key("https://journal.example.fr/a") != url_key("https://journal.example.fr/b")
    assert url_key("  ") == ""


def test_the_sketch_tells_a_footer_from_another_article() -> None:
    def sk(text: str) -> tuple[int, ...]:
        from array import array

        return tuple(array("I", sketch(text)))

    assert similarity(sk(f"{OTHER}\n{FOOTER_A}"), sk(f"{OTHER}\n{FOOTER_B}")) >= NEAR
    assert similarity(sk(OTHER), sk(article(3))) < 0.2
    assert text_key(BODY) == text_key(BODY.upper().replace(" ", "\n")) != text_key(OTHER)


@given(st.text(max_size=300))
def test_a_text_is_its_own_duplicate(text: str) -> None:
    from array import array

    s = tuple(array("I", sketch(text)))
    assert similarity(s, s) == (1.0 if s else 0.0)
    assert text_key(text) == text_key(f"  {text.upper()}\n")


@pytest.mark.parametrize("query", ["centrale", "title:penly", "réseau OR tarif", "centrale -penly"])
def test_the_index_wide_fold_map_folds_as_reading_each_match_does(
    corpus: Path, query: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import seedsearch.ranking as ranking

    with Index(corpus) as ix:
        per_match = ix.search(query).to_dict()
    monkeypatch.setattr(ranking, "FOLD_MAP_FROM", 0)  # large result sets use the map
    with Index(corpus) as ix:
        mapped = ix.search(query).to_dict()
        assert ix.folds(ix.searcher(), build=False) is not None
    assert per_match["total"] > 0
    assert per_match | {"took_ms": 0} == mapped | {"took_ms": 0}


@pytest.mark.parametrize(("first", "second"), [("a", "b"), ("b", "a")])
def test_the_duplicate_shown_does_not_depend_on_the_order_of_indexing(
    tmp_path: Path, first: str, second: str
) -> None:
    root = tmp_path / "articles"
    root.mkdir()
    texts = {
        "a": f"Article a\n\n{OTHER}",  # near duplicates: another title line
        "b": f"Article b\n\n{OTHER}",
        "c": f"Copie\n\n{BODY}",  # exact duplicates
        "d": f"Copie\n\n{BODY}",
    }
    shown = []
    for order in ((first, "c"), (second, "d")):
        for name in order:
            (root / f"{name}.txt").write_text(texts[name], encoding="utf-8")
        update_index(tmp_path / "ix", [root])  # one file of each pair, then the other
    update_index(tmp_path / "fresh", [root])
    for ix_dir in (tmp_path / "ix", tmp_path / "fresh"):
        with Index(ix_dir) as ix:
            result = ix.search("centrale")
        shown.append(sorted((Path(h.path).name, h.folded) for h in result.hits))
    assert shown[0] == shown[1] == [("a.txt", 1)] * 3 + [("c.txt", 1)] * 3
