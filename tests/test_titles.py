"""A title shared by many pages of one folder is a template: each page is shown with its own
heading, or its file name, everywhere a title is shown."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from conftest import json_out
from seedsearch.index import update_index
from seedsearch.store import Index
from seedsearch.titles import TEMPLATE_MIN, templates, title_key
from seedsearch.web.app import create_app

SITE = "Le Journal du Cormoran"


def page(n: int, heading: bool = True) -> str:
    head = f"<h2>Chronique numéro {n} du littoral</h2>" if heading else ""
    return (
        f'<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>{SITE}</title>'
        f'<meta property="og:title" content="{SITE}"></head><body><nav><a href="/">Accueil'
        f"</a></nav><main><article>{head}<p>Le cormoran numéro {n} plonge dans le port et "
        f"pêche des poissons argentés pendant la marée haute, raconte l'article {n}.</p>"
        f"<p>Les pêcheurs du quai observent l'oiseau chaque matin depuis des années, texte "
        f"propre à la page {n}.</p></article></main></body></html>"
    )


def chronicle(n: int) -> str:
    return f"Chronique numéro {n} du littoral"


def titles(index_dir: Path, query: str = "cormoran") -> dict[str, str]:
    with Index(index_dir) as ix:
        return {h.path.rsplit("/", 1)[-1]: h.title for h in ix.search(query, limit=50).hits}


@pytest.fixture
def site(write_files: Callable[[dict[str, str | bytes]], Path], tmp_path: Path) -> Path:
    write_files({f"journal/page-{n}.html": page(n) for n in range(1, TEMPLATE_MIN + 2)})
    update_index(tmp_path / "ix", [tmp_path / "articles"])
    return tmp_path / "ix"


def test_a_template_title_is_replaced_by_each_pages_own_heading(site: Path) -> None:
    shown = titles(site)
    assert len(shown) == TEMPLATE_MIN + 1
    assert shown == {f"page-{n}.html": chronicle(n) for n in range(1, TEMPLATE_MIN + 2)}


def test_the_template_title_is_still_searched(site: Path) -> None:
    # The index keeps the title as read: a search for the site's name finds its pages.
    assert len(titles(site, "titre:journal")) == TEMPLATE_MIN + 1


def test_every_front_end_shows_the_pages_own_title(site: Path, cli: Callable) -> None:
    result = json_out(cli("search", "pêche numéro 3", "--json", index=site))
    hit = result["hits"][0]
    assert hit["title"] == chronicle(3)
    doc_id = hit["doc_id"]
    assert json_out(cli("show", doc_id, "--json", index=site))["title"] == chronicle(3)
    assert chronicle(3) in cli("show", doc_id, index=site).stdout
    with Index(site) as ix:
        assert ix.document(doc_id).title == chronicle(3)
        assert ix.window(doc_id).title == chronicle(3)
        similar = ix.similar(doc_id, limit=3)
        assert similar.title == chronicle(3)
        assert similar.articles
        assert all(a.title.startswith("Chronique numéro") for a in similar.articles)
    client = TestClient(create_app(site), base_url="http://127.0.0.1")
    assert client.get("/api/search", params={"q": "pêche numéro 3"}).json()["hits"][0][
        "title"
    ] == chronicle(3)
    assert client.get(f"/api/docs/{doc_id}").json()["title"] == chronicle(3)
    assert chronicle(3) in client.get(f"/doc/{doc_id}").text
    results_page = client.get("/", params={"q": "pêche numéro 3"}).text
    assert chronicle(3) in results_page and SITE not in results_page


def test_a_title_shared_by_a_few_pages_is_kept(
    write_files: Callable[[dict[str, str | bytes]], Path], tmp_path: Path
) -> None:
    write_files({f"journal/page-{n}.html": page(n) for n in range(1, TEMPLATE_MIN)})
    update_index(tmp_path / "ix", [tmp_path / "articles"])
    assert set(titles(tmp_path / "ix").values()) == {SITE}


def test_the_page_that_makes_a_title_a_template_changes_every_pages_title(
    write_files: Callable[[dict[str, str | bytes]], Path], tmp_path: Path
) -> None:
    root = write_files({f"journal/page-{n}.html": page(n) for n in range(1, TEMPLATE_MIN)})
    update_index(tmp_path / "ix", [root])
    assert set(titles(tmp_path / "ix").values()) == {SITE}
    write_files({f"journal/page-{TEMPLATE_MIN}.html": page(TEMPLATE_MIN)})
    update_index(tmp_path / "ix", [root])
    assert set(titles(tmp_path / "ix").values()) == {
        chronicle(n) for n in range(1, TEMPLATE_MIN + 1)
    }


def test_a_template_page_without_a_heading_is_shown_by_its_file_name(
    write_files: Callable[[dict[str, str | bytes]], Path], tmp_path: Path
) -> None:
    files = {f"journal/page-{n}.html": page(n) for n in range(1, TEMPLATE_MIN + 1)}
    files["journal/le-cormoran_du-port.html"] = page(99, heading=False)
    update_index(tmp_path / "ix", [write_files(files)])
    assert titles(tmp_path / "ix")["le-cormoran_du-port.html"] == "le cormoran du port"


def test_pages_of_different_folders_do_not_make_a_template(
    write_files: Callable[[dict[str, str | bytes]], Path], tmp_path: Path
) -> None:
    # The same title in many folders: one page per folder (a title, not a template).
    files = {f"journal-{n}/page-{n}.html": page(n) for n in range(1, TEMPLATE_MIN + 2)}
    update_index(tmp_path / "ix", [write_files(files)])
    assert set(titles(tmp_path / "ix").values()) == {SITE}


@pytest.mark.parametrize(
    ("texts", "template"),
    [
        ([f"t{n}" for n in range(TEMPLATE_MIN)], True),
        ([f"t{n}" for n in range(TEMPLATE_MIN - 1)], False),
        # Copies of one text (duplicates, folded into one result) are one page.
        (["same"] * (TEMPLATE_MIN + 5), False),
    ],
)
def test_a_template_needs_as_many_different_texts(texts: list[str], template: bool) -> None:
    key = title_key(SITE)
    rows = [(f"doc{n}", text, key, f"site/page{n}.html") for n, text in enumerate(texts)]
    assert templates(rows) == ({("site", key)} if template else set())


def test_title_keys_ignore_case_and_spacing() -> None:
    assert title_key("Le  Journal du\tCormoran") == title_key("LE JOURNAL DU CORMORAN")
    assert title_key("Le Journal") != title_key("Le Journal du Cormoran")
