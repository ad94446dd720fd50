"""Searching the articles' metadata: auteur:, source:, date:, type:, dossier: filters, and
the metadata every hit carries (library, CLI, JSON API, web pages)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import Result
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

import format_samples as samples
from conftest import json_out
from seedsearch.errors import QueryError
from seedsearch.filters import date_range, folder_terms
from seedsearch.index import update_index
from seedsearch.query import Filter, parse, unparse
from seedsearch.schema import PART_CHARS
from seedsearch.store import Index, open_index
from seedsearch.web.app import create_app

PENLY = "Penly : EDF lance le chantier de deux EPR2"
RAPPORT = "Rapport sur l'énergie hydraulique"
TARIFS = "Tarifs de l'électricité"
EOLIEN = "Éolien en mer"
SOLAIRE = "Le solaire dépasse le charbon"
H2 = "Hydrogène vert à Fos"
NOTE = "Note sur le réseau de chaleur"
LONG = "Le long rapport de Zoé"
OLD = "Un billet sans date dans son texte, sur le chauffage"  # dated by its mtime
ALL = {PENLY, RAPPORT, TARIFS, EOLIEN, SOLAIRE, H2, NOTE, LONG, OLD}

# A Markdown article long enough to be indexed in parts; one word only in its last part.
LONG_ARTICLE = (
    "---\ntitle: Le long rapport de Zoé\ndate: 2025-09-01\nauthor: Zoé Lambert\n---\n"
    + "".join(
        f"Le paragraphe {i} parle du réseau électrique et des barrages de montagne.\n\n"
        for i in range(PART_CHARS // 60)
    )
    + "Le dernier paragraphe nomme enfin le xylophone.\n"
)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """(folder of real files of several formats, index built from it)."""
    tmp = tmp_path_factory.mktemp("meta")
    root = tmp / "articles"
    files = {
        "presse/2026/penly.html": samples.news_page(),
        "Économie/rapport.pdf": samples.pdf_report(),
        "presse/boite.mbox": samples.mbox_two_messages(),
        "flux/energie.rss": samples.RSS_FEED.encode(),
        "notes/note.docx": samples.docx_note(),
        "notes/long.md": LONG_ARTICLE.encode(),
        "archives/vieux-billet.txt": f"{OLD}.".encode(),
    }
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    day = datetime(2023, 11, 14, 12, 0).timestamp()
    os.utime(root / "archives/vieux-billet.txt", (day, day))
    index_dir = tmp / "index"
    report = update_index(index_dir, [str(root)])
    assert not report.skipped and report.documents == len(ALL)
    yield root, index_dir


@pytest.fixture(scope="module")
def index(corpus: tuple[Path, Path]) -> Iterator[Index]:
    ix = open_index(corpus[1])
    yield ix
    ix.close()


def titles(index: Index, query: str) -> set[str]:
    result = index.search(query, limit=100)
    found = {h.title for h in result.hits}
    assert len(found) == result.total  # every matching article is on the page, once
    return found


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # Author: words of the name, folded (case, accents), or the name as a phrase.
        ("auteur:dupont", {PENLY}),
        ("author:DUPONT", {PENLY}),
        ('auteur:"Marie Dupont"', {PENLY}),
        ('auteur:"marie dupont"', {PENLY}),
        ('auteur:"Dupont Marie"', set()),
        ("auteur:lefevre", {NOTE}),
        ("auteur:Lefèvre", {NOTE}),
        ('auteur:"PAUL LEFEVRE"', {NOTE}),
        ("auteur:zoe", {LONG}),
        ("auteur:(roy OR benali)", {TARIFS, EOLIEN}),
        ("auteur:personne", set()),
        ("auteur:dup*", {PENLY}),
        ("auteur:marie*", {PENLY}),
        ("auteur:lef*", {NOTE}),
        ("source:courr*", {PENLY}),
        # Source: site name, feed title, mailbox name.
        ('site:"courrier normand"', {PENLY}),
        ("source:Courrier", {PENLY}),
        ("source:energie", {SOLAIRE, H2}),
        ("source:boite", {TARIFS, EOLIEN}),
        # Date: year, month, day, comparisons, ranges; a file's date may be its mtime.
        ("date:2026", {PENLY, TARIFS, EOLIEN, SOLAIRE, H2}),
        ("date:2026-02", {TARIFS, EOLIEN}),
        ("date:2026-02-03", {EOLIEN}),
        ("date:2026-2-3", {EOLIEN}),
        ("date:>=2026-03-04", {PENLY, SOLAIRE, H2}),
        ("date:>2026-03-04", {SOLAIRE, H2}),
        ("date:>2026-02", {PENLY, SOLAIRE, H2}),
        ("date:<2026-02-01", {RAPPORT, NOTE, LONG, OLD}),
        ("date:<=2026-02-01", {RAPPORT, NOTE, LONG, OLD, TARIFS}),
        ("date:2025-01..2026-02", {RAPPORT, LONG, TARIFS, EOLIEN}),
        ("date:2025..2025", {RAPPORT, LONG}),
        ("date:..2024", {NOTE, OLD}),
        ("date:2026-03..", {PENLY, SOLAIRE, H2}),
        ("date:2023-11", {OLD}),
        ("date:1999", set()),
        # Type: the format's name, or another name for it.
        ("type:pdf", {RAPPORT}),
        ("type:PDF", {RAPPORT}),
        ("type:html", {PENLY}),
        ("type:htm", {PENLY}),
        ("type:mail", {TARIFS, EOLIEN}),
        ("type:mbox", {TARIFS, EOLIEN}),
        ("type:feed", {SOLAIRE, H2}),
        ("type:rss", {SOLAIRE, H2}),
        ("type:docx", {NOTE}),
        ("type:markdown", {LONG}),
        ("type:md", {LONG}),
        ("format:txt", {OLD}),
        ("type:epub", set()),
        # Folder: a folder matches every file below it, given by name, by a run of names,
        # or from the root; folded as words are.
        ("dossier:presse", {PENLY, TARIFS, EOLIEN}),
        ("dossier:2026", {PENLY}),
        ("path:presse/2026", {PENLY}),
        ("folder:presse/2026/", {PENLY}),
        ("dossier:economie", {RAPPORT}),
        ("dossier:ÉCONOMIE", {RAPPORT}),
        ('dossier:"notes"', {NOTE, LONG}),
        ("dossier:articles", ALL),
        ("dossier:2026/presse", set()),
        ("dossier:nulle-part", set()),
        # Filters combine with words (which rank) and with each other.
        ("chantier auteur:dupont", {PENLY}),
        ("chantier auteur:roy", set()),
        ("tarifs date:2026", {TARIFS}),
        ("tarifs date:2025", set()),
        ("xylophone date:2025-09", {LONG}),  # a word of the article's last part
        ("xylophone auteur:lambert", {LONG}),
        ("xylophone type:pdf", set()),
        ("type:(pdf OR docx)", {RAPPORT, NOTE}),
        ("type:mail OR type:pdf", {TARIFS, EOLIEN, RAPPORT}),
        ("dossier:presse -type:mail", {PENLY}),
        ("dossier:presse NOT auteur:roy", {PENLY, EOLIEN}),
        ("(date:2026-02 OR auteur:martin) -source:boite", {RAPPORT}),
        ("tarifs OR type:pdf", {TARIFS, RAPPORT}),
        ("type:feed -charbon", {H2}),
    ],
)
def test_each_filter_selects_its_articles(index: Index, query: str, expected: set[str]) -> None:
    assert titles(index, query) == expected


def test_a_query_of_filters_lists_articles_newest_first(index: Index) -> None:
    result = index.search("dossier:articles", limit=100)
    days = [h.meta["date"] for h in result.hits]
    assert len(days) == len(ALL) == result.total
    assert days == sorted(days, reverse=True)
    page = index.search("dossier:articles", limit=3, offset=3)
    assert [h.meta["date"] for h in page.hits] == days[3:6]


def test_a_long_article_in_parts_is_listed_once(index: Index) -> None:
    result = index.search("auteur:lambert")
    assert result.total == 1 and [h.title for h in result.hits] == [LONG]


@pytest.mark.parametrize(
    ("words", "filters"),
    [("électricité", "date:>=1900"), ("réseau électrique", "dossier:articles"), ("chauffage", "")],
)
def test_filters_do_not_change_how_words_rank(index: Index, words: str, filters: str) -> None:
    plain = index.search(words, limit=100)
    filtered = index.search(f"{words} {filters} -type:epub", limit=100)
    assert plain.total > 0
    assert [(h.doc_id, h.passage, h.score) for h in filtered.hits] == [
        (h.doc_id, h.passage, h.score) for h in plain.hits
    ]


def test_filter_words_are_not_highlighted(index: Index) -> None:
    (hit, *_) = index.search("chantier auteur:dupont").hits
    assert "<mark>chantier</mark>" in hit.snippet.lower()
    assert "dupont" not in hit.snippet.lower()


def test_hits_carry_the_articles_metadata_and_page(index: Index) -> None:
    (hit, *_) = index.search("auteur:dupont").hits
    assert hit.meta == {
        "date": "2026-03-04",
        "author": "Marie Dupont",
        "source": "Le Courrier normand",
        "format": "html",
        "url": "https://courrier.example.fr/economie/penly-epr2",
        "language": "fr",
    }
    assert hit.page is None
    pages = {h.page for h in index.search("(barrages OR turbines) type:pdf").hits}
    assert pages == {1, 2}


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("date:2025-13", "no month 13"),
        ("date:demain", "'demain' is not YYYY"),
        ("date:2025-02-30", "no day 30"),
        ("date:2026..2025", "ends before it starts"),
        ("date:>=", "is not YYYY"),
        ("énergie date:2025-00-01", "no month 0"),
        ("type:xyz", "unknown type 'xyz'"),
        ("dossier:/", "empty folder"),
    ],
)
def test_a_bad_filter_value_is_a_clear_query_error(index: Index, query: str, message: str) -> None:
    with pytest.raises(QueryError) as err:
        index.search(query)
    assert message in err.value.message and "\n" not in err.value.message


def test_a_field_without_value_is_ignored_as_before(index: Index) -> None:
    result = index.search("chantier date:")
    assert result.ignored == ("date:",) and {h.title for h in result.hits} == {PENLY}


# --- the date forms, against the calendar ------------------------------------------

DAYS = st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31))
FORMS = st.sampled_from(["year", "month", "day"])


def form(day: date, kind: str) -> str:
    return {"year": f"{day:%Y}", "month": f"{day:%Y-%m}", "day": f"{day:%Y-%m-%d}"}[kind]


def within(day: date, text: str) -> tuple[date, date]:
    """The first and last day ``text`` (a year, month or day) stands for."""
    parts = [int(p) for p in text.split("-")]
    if len(parts) == 1:
        return date(parts[0], 1, 1), date(parts[0], 12, 31)
    if len(parts) == 2:
        first = date(parts[0], parts[1], 1)
        return first, (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return day, day


def number(day: date) -> int:
    return day.year * 10000 + day.month * 100 + day.day


def holds(bounds: tuple[int | None, int | None], day: date) -> bool:
    lo, hi = bounds
    return (lo is None or lo <= number(day)) and (hi is None or number(day) <= hi)


@given(DAYS, FORMS, st.sampled_from(["", ">=", ">", "<=", "<"]), DAYS)
def test_date_comparisons_agree_with_the_calendar(ref: date, kind: str, op: str, day: date) -> None:
    text = form(ref, kind)
    first, last = within(ref, text)
    expected = {
        "": first <= day <= last,
        ">=": day >= first,
        ">": day > last,
        "<=": day <= last,
        "<": day < first,
    }[op]
    assert holds(date_range(op + text), day) == expected


@given(DAYS, FORMS, DAYS, FORMS, DAYS)
def test_date_ranges_agree_with_the_calendar(
    a: date, a_kind: str, b: date, b_kind: str, day: date
) -> None:
    start, end = form(a, a_kind), form(b, b_kind)
    first, last = within(a, start)[0], within(b, end)[1]
    if first > last:
        with pytest.raises(QueryError):
            date_range(f"{start}..{end}")
        return
    assert holds(date_range(f"{start}..{end}"), day) == (first <= day <= last)


@given(st.integers(1000, 9999), st.integers(0, 99), st.integers(0, 99))
def test_impossible_dates_are_query_errors(year: int, month: int, day: int) -> None:
    text = f"{year}-{month:02d}-{day:02d}"
    try:
        date(year, month, day)
    except ValueError:
        with pytest.raises(QueryError):
            parse(f"date:{text}")
    else:
        node, ignored = parse(f"date:{text}")
        assert node == Filter("date", text) and ignored == []


@given(
    st.sampled_from(["auteur", "author", "source", "site", "date", "type", "dossier", "path"]),
    st.sampled_from(["2025", "2025-03", ">=2025-01-01", "2025-01..2025-06", "pdf", "presse"]),
    st.sampled_from(["", "chantier ", "-", "NOT ", "(x OR "]),
)
def test_filters_parse_and_unparse_stably(name: str, value: str, before: str) -> None:
    query = f"{before}{name}:{value}" + (")" if before.startswith("(") else "")
    try:
        node, _ = parse(query)
    except QueryError:  # e.g. type:2025
        return
    assert node is not None
    again, ignored = parse(unparse(node))
    assert again == node and ignored == []


@pytest.mark.parametrize(
    ("folder", "expected"),
    [
        ("/data/Presse/2026", {"/data", "/data/presse", "/data/presse/2026", "data",
                               "presse", "2026", "data/presse", "presse/2026",
                               "data/presse/2026"}),
        ("notes", {"notes"}),
        ("", set()),
    ],
)  # fmt: skip
def test_a_file_is_indexed_under_every_folder_above_it(folder: str, expected: set[str]) -> None:
    assert set(folder_terms(folder)) == expected


# --- the front ends ------------------------------------------------------------------


def test_cli_search_json_hits_carry_metadata(
    corpus: tuple[Path, Path], cli: Callable[..., Result]
) -> None:
    result = cli("search", "type:mail", "--json", index=corpus[1])
    assert result.exit_code == 0
    hits = json_out(result)["hits"]
    assert [(h["title"], h["meta"]["author"], h["meta"]["date"]) for h in hits] == [
        (EOLIEN, "Nadia Benali", "2026-02-03"),
        (TARIFS, "Alain Roy", "2026-02-01"),
    ]


def test_cli_search_shows_date_author_source(
    corpus: tuple[Path, Path], cli: Callable[..., Result]
) -> None:
    result = cli("search", "chantier", "dossier:presse", index=corpus[1])
    assert result.exit_code == 0
    assert f"1. {PENLY}  2026-03-04 · Marie Dupont · Le Courrier normand" in result.stdout


def test_cli_show_shows_date_author_source(
    corpus: tuple[Path, Path], cli: Callable[..., Result]
) -> None:
    doc_id = json_out(cli("search", "type:docx", "--json", index=corpus[1]))["hits"][0]["doc_id"]
    result = cli("show", doc_id, index=corpus[1])
    assert result.exit_code == 0
    assert result.stdout.startswith(f"{NOTE}  2024-02-05 · Paul Lefèvre\n")


def test_cli_search_shows_the_pdf_page(
    corpus: tuple[Path, Path], cli: Callable[..., Result]
) -> None:
    result = cli("search", "turbines", "type:pdf", index=corpus[1])
    assert result.exit_code == 0 and "(p. 2) Les turbines" in result.stdout


@pytest.mark.parametrize("query", ["date:2025-13", "date:demain", "type:xyz"])
def test_cli_bad_filter_is_one_line_and_a_bad_query_exit(
    corpus: tuple[Path, Path], cli: Callable[..., Result], query: str
) -> None:
    result = cli("search", query, index=corpus[1])
    assert result.exit_code == QueryError.exit_code == 2
    assert result.stderr.startswith("seedsearch: error: ") and result.stderr.count("\n") == 1


@pytest.fixture(scope="module")
def client(corpus: tuple[Path, Path]) -> Iterator[TestClient]:
    app = create_app(corpus[1])
    with TestClient(app, base_url="http://127.0.0.1") as c:
        yield c
    app.state.holder.close()


def test_api_search_filters_and_hit_metadata(client: TestClient) -> None:
    r = client.get("/api/search", params={"q": 'auteur:"marie dupont" date:2026-03'})
    assert r.status_code == 200
    (hit, *_) = r.json()["hits"]
    assert hit["title"] == PENLY and hit["meta"]["source"] == "Le Courrier normand"
    assert hit["page"] is None
    r = client.get("/api/search", params={"q": "turbines type:pdf"})
    assert [h["page"] for h in r.json()["hits"]] == [2]


@pytest.mark.parametrize("query", ["date:2025-13", "date:demain", "type:xyz"])
def test_api_bad_filter_is_a_400_bad_query(client: TestClient, query: str) -> None:
    r = client.get("/api/search", params={"q": query})
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "bad_query"


def test_api_document_carries_its_metadata(client: TestClient) -> None:
    doc_id = client.get("/api/search", params={"q": "type:docx"}).json()["hits"][0]["doc_id"]
    body = client.get(f"/api/docs/{doc_id}").json()
    assert (body["meta"]["author"], body["meta"]["format"], body["meta"]["date"]) == (
        "Paul Lefèvre",
        "docx",
        "2024-02-05",
    )


def test_web_pages_show_date_author_source(client: TestClient) -> None:
    page = client.get("/", params={"q": "auteur:dupont"}).text
    assert "2026-03-04 · Marie Dupont · Le Courrier normand" in page
    doc_id = client.get("/api/search", params={"q": "auteur:dupont"}).json()["hits"][0]["doc_id"]
    article = client.get(f"/doc/{doc_id}").text
    assert "2026-03-04 · Marie Dupont · Le Courrier normand · html" in article
    assert 'href="https://courrier.example.fr/economie/penly-epr2"' in article


def test_web_page_bad_date_is_a_400_with_a_message(client: TestClient) -> None:
    r = client.get("/", params={"q": "date:2025-13"})
    assert r.status_code == 400 and "2025-13" in r.text
