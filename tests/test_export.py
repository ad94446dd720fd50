"""Exports: every matching article as JSON lines or CSV, from the CLI and the API."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from seedsearch.index import update_index
from seedsearch.search import MAX_LIMIT, search
from seedsearch.store import Index
from seedsearch.web.app import create_app

ARTICLES = 130  # more than the largest page (MAX_LIMIT) and than one export batch


@pytest.fixture(scope="module")
def many(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("many")
    for i in range(ARTICLES):
        extra = "sauvegarde " * (i % 7 + 1)
        (root / f"a{i:03d}.txt").write_text(
            f"Note {i} sur la sauvegarde\n\nLe serveur {i} fait sa {extra}chaque nuit.\n",
            encoding="utf-8",
        )
    (root / "formule.txt").write_text(
        "=HYPERLINK(sauvegarde)\n\nUn titre que le tableur prendrait pour une formule.\n",
        encoding="utf-8",
    )
    (root / "autre.txt").write_text("Autre chose\n\nRien à voir ici.\n", encoding="utf-8")
    index_dir = root / "index"
    update_index(index_dir, [str(root)])
    return index_dir


def test_an_export_holds_every_match_in_the_order_of_the_pages(many: Path) -> None:
    with Index(many) as index:
        first = search(index, "sauvegarde", limit=MAX_LIMIT)
        rest = search(index, "sauvegarde", limit=MAX_LIMIT, offset=MAX_LIMIT)
        paged = list(dict.fromkeys(h.doc_id for h in (*first.hits, *rest.hits)))
        from seedsearch.export import export_rows

        rows = list(export_rows(index, "sauvegarde"))
    assert first.total == ARTICLES + 1 and len(rows) == first.total > MAX_LIMIT
    assert [r["doc_id"] for r in rows] == paged
    assert [r["rank"] for r in rows] == list(range(1, len(rows) + 1))
    assert all("sauvegarde" in r["text"].lower() for r in rows)


def test_cli_jsonl_and_csv_export_every_match(many: Path, cli: Callable) -> None:
    jsonl = cli("search", "sauvegarde", "--format", "jsonl", index=many)
    assert jsonl.exit_code == 0
    rows = [json.loads(line) for line in jsonl.stdout.splitlines()]
    assert len(rows) == ARTICLES + 1
    assert set(rows[0]) >= {"rank", "doc_id", "title", "path", "score", "section", "text"}
    assert len({r["doc_id"] for r in rows}) == len(rows)

    as_csv = cli("search", "sauvegarde", "--format", "csv", index=many)
    assert as_csv.exit_code == 0
    table = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert [r["doc_id"] for r in table] == [r["doc_id"] for r in rows]
    formula = next(r for r in table if r["title"].startswith("'"))
    assert formula["title"] == "'=HYPERLINK(sauvegarde)"  # not run by a spreadsheet


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_cli_export_of_nothing_exits_1(many: Path, cli: Callable, fmt: str) -> None:
    result = cli("search", "zzqqxxw", "--format", fmt, index=many)
    assert result.exit_code == 1
    assert result.stdout == (
        "" if fmt == "jsonl" else "rank,doc_id,title,path,score,section,text\n"
    )


@pytest.mark.parametrize(("fmt", "media"), [("csv", "text/csv"), ("jsonl", "application/x-ndjson")])
def test_api_export_streams_every_match_as_a_download(many: Path, fmt: str, media: str) -> None:
    with TestClient(create_app(many), base_url="http://127.0.0.1") as client:
        r = client.get("/api/export", params={"q": "sauvegarde", "format": fmt})
        assert r.status_code == 200
        assert r.headers["content-type"].startswith(media)
        assert r.headers["content-disposition"] == f'attachment; filename="seedsearch.{fmt}"'
        if fmt == "csv":
            ids = [row["doc_id"] for row in csv.DictReader(io.StringIO(r.text))]
        else:
            ids = [json.loads(line)["doc_id"] for line in r.text.splitlines()]
        assert len(ids) == len(set(ids)) == ARTICLES + 1
        # the same query's page links to it
        page = client.get("/", params={"q": "sauvegarde"}).text
        assert f"/api/export?q=sauvegarde&amp;format={fmt}" in page


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"q": "x" * 1001}, 400, "bad_query"),
        ({"q": "sauvegarde", "format": "xls"}, 422, "bad_request"),
    ],
)
def test_api_export_errors_are_json(many: Path, params: dict, status: int, code: str) -> None:
    with TestClient(create_app(many), base_url="http://127.0.0.1") as client:
        r = client.get("/api/export", params=params)
        assert r.status_code == status and r.json()["error"]["code"] == code


def test_api_export_without_an_index_is_503(tmp_path: Path) -> None:
    with TestClient(create_app(tmp_path / "none"), base_url="http://127.0.0.1") as client:
        r = client.get("/api/export", params={"q": "x", "format": "jsonl"})
        assert r.status_code == 503 and r.json()["error"]["code"] == "index_not_found"
