from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from seedsearch.index import update_index
from seedsearch.web.app import create_app


@pytest.fixture
def client(seed_index_dir: Path) -> Iterator[TestClient]:
    app = create_app(seed_index_dir, allowed_hosts=["testserver"])
    with TestClient(app) as c:
        yield c
    app.state.holder.close()


# --- JSON API ------------------------------------------------------------------------


def test_api_search_returns_the_cli_json(client: TestClient, seed_index_dir: Path) -> None:
    r = client.get("/api/search", params={"q": "centre de donnees", "limit": 3, "offset": 1})
    assert r.status_code == 200
    body = r.json()
    cli = subprocess.run(
        [
            sys.executable,
            "-m",
            "seedsearch.cli",
            "--index",
            str(seed_index_dir),
            "search",
            "centre de donnees",
            "--json",
            "--limit",
            "3",
            "--offset",
            "1",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    from_cli = json.loads(cli.stdout)
    for d in (body, from_cli):
        d.pop("took_ms")
    assert body == from_cli
    assert body["total"] == 2 and {h["rank"] for h in body["hits"]} == {2}


def test_api_document(client: TestClient) -> None:
    doc_id = client.get("/api/search", params={"q": "TPU"}).json()["hits"][0]["doc_id"]
    r = client.get(f"/api/docs/{doc_id}")
    assert r.status_code == 200
    body = r.json()
    assert body["doc_id"] == doc_id and "TPU" in body["text"]
    assert [p["n"] for p in body["passages"]] == list(range(len(body["passages"])))


def test_api_stats_and_health(client: TestClient) -> None:
    stats = client.get("/api/stats").json()
    assert stats["documents"] == 2 and stats["passages"] > 80
    assert client.get("/healthz").json() == {"status": "ok", "index": True}


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/api/docs/nope-000000", 404, "document_not_found"),
        ("/api/search?q=minage&limit=0", 422, "bad_request"),
        ("/api/search?q=minage&limit=abc", 422, "bad_request"),
        ("/api/search?q=minage&offset=-1", 422, "bad_request"),
        ("/api/search", 422, "bad_request"),
        ("/api/search?q=" + "x" * 1001, 400, "bad_query"),
        ("/api/nothing-here", 404, "not_found"),
    ],
)
def test_api_errors_are_json(client: TestClient, path: str, status: int, code: str) -> None:
    r = client.get(path)
    assert r.status_code == status
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert body["error"]["code"] == code and body["error"]["message"]
    assert "Traceback" not in r.text


def test_missing_index_is_a_503_with_a_json_error(tmp_path: Path) -> None:
    with TestClient(create_app(tmp_path / "none", allowed_hosts=["testserver"])) as c:
        r = c.get("/api/search", params={"q": "minage"})
        assert r.status_code == 503
        assert r.json()["error"]["code"] == "index_not_found"
        assert c.get("/healthz").json() == {"status": "ok", "index": False}
        page = c.get("/", params={"q": "minage"})
        assert page.status_code == 503 and "seedsearch index" in page.text


def test_openapi_and_local_docs(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert {"/api/search", "/api/docs/{doc_id}", "/api/stats", "/healthz"} <= set(spec["paths"])
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert "<script>" not in docs.text  # no inline script
    for asset in re.findall(r'(?:src|href)="(/[^"]+)"', docs.text):
        assert client.get(asset).status_code == 200, asset
    assert "http" not in "".join(re.findall(r'(?:src|href)="([^"]+)"', docs.text))


# --- pages ---------------------------------------------------------------------------


def test_search_page_renders_results_without_javascript(client: TestClient) -> None:
    r = client.get("/", params={"q": "energie"})
    assert r.status_code == 200
    html = r.text
    assert '<html lang="fr">' in html
    assert '<label for="q">' in html
    assert "2 résultats" in html  # articles, each with its best passages
    assert html.count('class="group"') == 2
    assert "<mark>énergie</mark>" in html or "<mark>énergies</mark>" in html
    assert re.search(r'href="/doc/[^"]+\?q=energie&amp;p=(\d+)#p\1"', html)


def test_search_page_shows_correction_ignored_and_suggestion(client: TestClient) -> None:
    html = client.get("/", params={"q": "(supercalculatuers"}).text
    assert "Résultats pour" in html and "supercalculateurs" in html
    assert "Ignoré" in html and "<code>(</code>" in html
    assert "Vouliez-vous dire" in client.get("/", params={"q": "mnagee"}).text


def test_search_page_paginates(tmp_path: Path, write_files: Callable) -> None:
    root = write_files(
        {f"a{n:02d}.txt": f"Article {n}\n\n{'minage ' * (n + 1)}du réseau." for n in range(14)}
    )
    update_index(tmp_path / "ix", [root])
    app = create_app(tmp_path / "ix", allowed_hosts=["testserver"])
    with TestClient(app) as c:
        first = c.get("/", params={"q": "minage"}).text
        assert "14 résultats" in first and first.count('class="group"') == 10
        assert 'rel="next" href="/?q=minage&amp;page=2"' in first
        second = c.get("/", params={"q": "minage", "page": 2}).text
        assert 'rel="prev"' in second and "Page 2 / 2" in second
        assert second.count('class="group"') == 4
        assert '<span class="rank">11.</span>' in second
    app.state.holder.close()


def test_article_page_highlights_and_anchors_every_passage(client: TestClient) -> None:
    hit = client.get("/api/search", params={"q": "GreenBrain"}).json()["hits"][0]
    html = client.get(f"/doc/{hit['doc_id']}", params={"q": "GreenBrain"}).text
    article = client.get(f"/api/docs/{hit['doc_id']}").json()
    for p in article["passages"]:
        assert f'id="p{p["n"]}"' in html
    assert html.count("<mark>GreenBrain</mark>") >= 5
    assert "<h2 id=" in html and "<ul>" in html and "<table>" in html and "<th>" in html
    assert client.get("/doc/nope-000000").status_code == 404


def test_everything_from_documents_and_queries_is_escaped(
    tmp_path: Path, write_files: Callable
) -> None:
    root = write_files(
        {
            "x.txt": "<b>Titre</b> <script>alert(1)</script>\n\n"
            "Le minage <img src=x onerror=alert(2)> & co.\n"
        }
    )
    update_index(tmp_path / "ix", [root])
    with TestClient(create_app(tmp_path / "ix", allowed_hosts=["testserver"])) as c:
        q = '<script>alert("q")</script> minage'
        page = c.get("/", params={"q": q}).text
        assert "<script>alert" not in page and "<img src=x" not in page
        assert "&lt;script&gt;alert" in page
        hit = c.get("/api/search", params={"q": "minage"}).json()["hits"][0]
        assert (
            "<img" not in hit["snippet"] and "&lt;img src=x onerror=alert(2)&gt;" in hit["snippet"]
        )
        doc = c.get(f"/doc/{hit['doc_id']}", params={"q": q}).text
        assert "<script>alert" not in doc and "<img src=x" not in doc


def test_content_security_policy_forbids_inline_script(client: TestClient) -> None:
    for path in ["/", "/?q=minage", "/api/search?q=minage", "/docs"]:
        csp = client.get(path).headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    page = client.get("/", params={"q": "minage"}).text
    assert re.findall(r"<script(?![^>]*\bsrc=)", page) == []


def test_no_path_from_a_request_reaches_the_file_system(client: TestClient) -> None:
    for path in [
        "/doc/..%2F..%2Fetc%2Fpasswd",
        "/api/docs/..%2Fseedsearch.json",
        "/static/..%2F..%2F..%2Fpyproject.toml",
        "/doc/%2Fetc%2Fpasswd",
    ]:
        r = client.get(path)
        assert r.status_code == 404, path
        assert "root:" not in r.text


def test_query_over_1000_characters_is_refused_on_the_page(client: TestClient) -> None:
    r = client.get("/", params={"q": "a" * 1001})
    assert r.status_code == 400 and "Requête trop longue" in r.text


# --- the real server -----------------------------------------------------------------


def test_server_picks_up_a_reindex_and_keeps_answering_during_it(
    tmp_path: Path, write_files: Callable, server_factory: Callable
) -> None:
    files = {
        f"a{i}.txt": f"Article {i}\n\nLe minage numéro {i} consomme de l’énergie.\n"
        for i in range(30)
    }
    root = write_files(files)
    update_index(tmp_path / "ix", [root])
    server = server_factory(tmp_path / "ix")
    status, body = server.get_json("/api/search?q=minage&limit=100")
    assert status == 200 and body["total"] == 30

    errors: list[str] = []
    totals: list[int] = []
    stop = threading.Event()

    def query_loop() -> None:
        while not stop.is_set():
            status, body = server.get_json("/api/search?q=minage&limit=100")
            if status != 200:
                errors.append(str(body))
                continue
            keys = [(h["doc_id"], h["passage"]) for h in body["hits"]]
            if len(keys) != len(set(keys)):
                errors.append("duplicated hits")
            totals.append(body["total"])

    reader = threading.Thread(target=query_loop)
    reader.start()
    try:
        write_files({f"b{i}.txt": f"Nouveau {i}\n\nLe minage de demain, {i}.\n" for i in range(30)})
        subprocess.run(
            [
                str(Path(sys.executable).with_name("seedsearch")),
                "--index",
                str(tmp_path / "ix"),
                "index",
                str(root),
            ],
            check=True,
            capture_output=True,
        )
        time.sleep(0.3)
    finally:
        stop.set()
        reader.join()
    assert errors == []
    assert totals and set(totals) <= {30, 60}
    status, body = server.get_json("/api/search?q=minage&limit=100")
    assert body["total"] == 60
    status, body = server.get_json("/api/search?q=" + quote("demain"))
    assert body["total"] == 30


def test_several_server_processes_answer_the_same(
    seed_index_dir: Path, server_factory: Callable
) -> None:
    server = server_factory(seed_index_dir, "--workers", "2")
    answers = [server.get_json("/api/search?q=energie") for _ in range(6)]
    assert {status for status, _ in answers} == {200}
    assert len({json.dumps(body["hits"]) for _, body in answers}) == 1
