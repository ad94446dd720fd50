"""Filter options, sort and facets through the command line, the JSON API and the page."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from fastapi.testclient import TestClient

import facet_corpus as corpus
from conftest import json_out
from seedsearch.web.app import create_app


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return corpus.build(tmp_path_factory.mktemp("fronts"))


@pytest.fixture(scope="module")
def client(index_dir: Path) -> TestClient:
    return TestClient(create_app(index_dir, allowed_hosts=["testserver"]))


def result_titles(payload: dict) -> list[str]:
    return list(dict.fromkeys(h["title"] for h in payload["hits"]))


# --- command line ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "written"),
    [
        (["--source", "Le Monde"], 'source:"Le Monde"'),
        (["--author", "Marie Dupont"], 'auteur:"Marie Dupont"'),
        (["--since", "2024", "--until", "2025-06"], "date:2024..2025-06"),
        (["--type", "html"], "type:html"),
        (["--in", "presse"], "dossier:presse"),
    ],
)
def test_cli_filter_options_find_what_the_query_filters_find(
    cli: Callable[..., Result], index_dir: Path, options: list[str], written: str
) -> None:
    with_options = cli("search", "énergie", *options, "--json", index=index_dir)
    in_query = cli("search", "énergie", *written.split(" "), "--json", index=index_dir)
    assert with_options.exit_code == in_query.exit_code == 0, with_options.output
    a, b = json_out(with_options), json_out(in_query)
    assert a["total"] == b["total"] > 0
    assert [h["doc_id"] for h in a["hits"]] == [h["doc_id"] for h in b["hits"]]
    assert a["query"] == "énergie" and a["filters"]


@pytest.mark.parametrize(
    ("sort", "expected"), [("-date", corpus.NEWEST_FIRST), ("date", corpus.OLDEST_FIRST)]
)
def test_cli_sort(
    cli: Callable[..., Result], index_dir: Path, sort: str, expected: list[str]
) -> None:
    result = cli("search", "énergie", "--sort", sort, "--json", index=index_dir)
    assert result.exit_code == 0
    payload = json_out(result)
    assert result_titles(payload) == expected and payload["sort"] == sort


def test_cli_facets_text_block_and_json(cli: Callable[..., Result], index_dir: Path) -> None:
    text = cli("search", "énergie", "--facets", "--limit", "1", index=index_dir)
    assert text.exit_code == 0
    block = text.stdout.split("Facets (all results):")[1]
    assert "Marie Dupont (2)" in block and "Le Monde (3)" in block
    assert "2025 (2) · 2024 (1) · 2023 (1) · 2022 (1)" in block
    payload = json_out(cli("search", "énergie", "--facets", "--json", index=index_dir))
    assert {"value": "html", "count": 1} in payload["facets"]["type"]
    assert json_out(cli("search", "énergie", "--json", index=index_dir))["facets"] is None


def test_cli_filters_alone_need_no_query(cli: Callable[..., Result], index_dir: Path) -> None:
    result = cli("search", "--source", "Le Monde", "--sort", "date", "--json", index=index_dir)
    assert result.exit_code == 0
    assert result_titles(json_out(result)) == [
        corpus.EOLIEN,
        corpus.SOLAIRE,
        corpus.CUISINE,
        corpus.RESEAU,
    ]
    nothing = cli("search", index=index_dir)
    assert nothing.exit_code == 2 and "give a QUERY" in nothing.stderr


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--since", "2025-13"], "no month 13"),
        (["--until", "hier"], "bad date 'hier'"),
        (["--type", "exe"], "unknown type 'exe'"),
        (["--sort", "newest"], "unknown sort 'newest'"),
        (["--in", "/"], "empty folder"),
    ],
)
def test_cli_bad_option_values_are_one_line_errors(
    cli: Callable[..., Result], index_dir: Path, options: list[str], message: str
) -> None:
    result = cli("search", "énergie", *options, index=index_dir)
    assert result.exit_code == 2
    assert message in result.stderr and result.stderr.count("\n") == 1
    as_json = cli("search", "énergie", *options, "--json", index=index_dir)
    assert as_json.exit_code == 2 and json_out(as_json)["error"]["code"] == "bad_query"


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_cli_export_takes_filters_and_sort(
    cli: Callable[..., Result], index_dir: Path, fmt: str
) -> None:
    result = cli(
        "search", "énergie", "--since", "2023", "--sort", "-date", "--format", fmt, index=index_dir
    )
    assert result.exit_code == 0
    if fmt == "jsonl":
        rows = [json.loads(line) for line in result.stdout.splitlines()]
    else:
        rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["title"] for r in rows] == corpus.NEWEST_FIRST[:-1]


# --- JSON API ----------------------------------------------------------------------------


def test_api_filters_sort_and_facets(client: TestClient) -> None:
    r = client.get(
        "/api/search",
        params={"q": "énergie", "source": "Le Monde", "sort": "-date", "facets": "true"},
    )
    assert r.status_code == 200
    payload = r.json()
    assert result_titles(payload) == [corpus.RESEAU, corpus.SOLAIRE, corpus.EOLIEN]
    assert payload["filters"] == {"source": "Le Monde"} and payload["sort"] == "-date"
    assert payload["facets"]["source"] == [{"value": "Le Monde", "count": 3}]
    assert client.get("/api/search", params={"q": "énergie"}).json()["facets"] is None


def test_api_folder_parameter_is_in(client: TestClient) -> None:
    r = client.get("/api/search", params={"q": "énergie", "in": "copie"})
    assert r.status_code == 200 and result_titles(r.json()) == [corpus.SOLAIRE]
    only = client.get("/api/search", params={"q": "", "in": "rapports"}).json()
    assert result_titles(only) == [corpus.RAPPORT]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"since": "2025-02-30"}, "no day 30"),
        ({"type": "exe"}, "unknown type"),
        ({"sort": "newest"}, "unknown sort"),
        ({"in": "/"}, "empty folder"),
    ],
)
def test_api_bad_values_are_400_with_a_json_error(
    client: TestClient, params: dict[str, str], message: str
) -> None:
    r = client.get("/api/search", params={"q": "énergie", **params})
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "bad_query" and message in r.json()["error"]["message"]
    export = client.get("/api/export", params={"q": "énergie", **params})
    assert export.status_code == 400 and export.json()["error"]["code"] == "bad_query"


def test_api_export_filters_and_sort(client: TestClient) -> None:
    r = client.get(
        "/api/export", params={"q": "énergie", "format": "jsonl", "sort": "date", "until": "2024"}
    )
    assert r.status_code == 200
    rows = [json.loads(line) for line in r.text.splitlines()]
    assert [row["title"] for row in rows] == corpus.OLDEST_FIRST[:3]


def test_openapi_documents_the_parameters_and_facets(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    names = {p["name"] for p in spec["paths"]["/api/search"]["get"]["parameters"]}
    assert {"since", "until", "source", "author", "type", "in", "sort", "facets"} <= names
    export = {p["name"] for p in spec["paths"]["/api/export"]["get"]["parameters"]}
    assert {"since", "until", "source", "author", "type", "in", "sort"} <= export
    assert "FacetsModel" in spec["components"]["schemas"]


# --- the page ----------------------------------------------------------------------------


def test_page_shows_the_facet_panel_with_links_that_add_filters(client: TestClient) -> None:
    r = client.get("/", params={"q": "énergie"})
    assert r.status_code == 200
    html = r.text
    assert 'class="facets"' in html and "Marie Dupont" in html
    assert "/?q=%C3%A9nergie&amp;author=Marie+Dupont" in html
    assert "/?q=%C3%A9nergie&amp;since=2025&amp;until=2025" in html
    assert "2025-06-10 · Jean Martin · Libération" in html  # each result's date and source


def test_page_keeps_filters_and_sort_in_its_links_and_can_drop_them(client: TestClient) -> None:
    r = client.get("/", params={"q": "énergie", "source": "Le Monde", "sort": "-date"})
    assert r.status_code == 200
    html = r.text
    assert "3 résultats" in html
    assert 'href="/?q=%C3%A9nergie&amp;sort=-date" title="Retirer ce filtre"' in html
    assert '<option value="-date" selected>' in html
    assert "format=csv&amp;source=Le+Monde&amp;sort=-date" in html  # the export too
    assert '<input type="hidden" name="source" value="Le Monde">' in html  # a new query too


def test_page_with_a_bad_filter_value_says_so(client: TestClient) -> None:
    r = client.get("/", params={"q": "énergie", "since": "2025-13"})
    assert r.status_code == 400 and "Cette requête ne peut pas être exécutée." in r.text


def test_readme_documents_every_search_option() -> None:
    from seedsearch.cli import search_cmd

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    flags = [opt for param in search_cmd.params for opt in getattr(param, "opts", [])]
    assert "--since" in flags and "--facets" in flags
    missing = [
        flag
        for flag in flags
        if flag.startswith("--") and f"`{flag}" not in readme and f" {flag}" not in readme
    ]
    assert missing == []
