"""The web app's edge: Host check, headers on every answer, HEAD, unexpected errors,
French error pages, file names that are not UTF-8 (through the app in process)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from seedsearch.index import update_index
from seedsearch.web.app import create_app

SECURITY_HEADERS = ("content-security-policy", "x-content-type-options", "referrer-policy")


@pytest.fixture
def local(seed_index_dir: Path) -> Iterator[TestClient]:
    """A client that talks to the app as a browser on the same machine does."""
    app = create_app(seed_index_dir)
    with TestClient(app, base_url="http://127.0.0.1:8000") as c:
        yield c
    app.state.holder.close()


@pytest.mark.parametrize(
    ("host", "allowed", "status"),
    [
        ("127.0.0.1:8000", (), 200),
        ("localhost:8000", (), 200),
        ("LOCALHOST", (), 200),
        ("[::1]:8000", (), 200),
        ("192.168.1.20:8000", (), 200),  # an IP literal cannot be rebound
        ("evil.example", (), 400),
        ("evil.example:8000", (), 400),
        ("localhost.evil.example:8000", (), 400),
        ("search.lan:8000", ("search.lan",), 200),
        ("search.lan.:8000", ("search.lan",), 200),
        ("other.lan:8000", ("search.lan",), 400),
        ("anything.example", ("*",), 200),
    ],
)
def test_host_header_is_checked_against_the_served_names(
    seed_index_dir: Path, host: str, allowed: tuple[str, ...], status: int
) -> None:
    app = create_app(seed_index_dir, allowed_hosts=allowed)
    with TestClient(app) as c:
        for path in ("/api/search?q=minage", "/"):
            r = c.get(path, headers={"host": host})
            assert r.status_code == status, (path, host)
            if status == 400:
                assert r.json()["error"]["code"] == "bad_host"
                assert all(h in r.headers for h in SECURITY_HEADERS)
    app.state.holder.close()


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/", 200),
        ("GET", "/?q=minage", 200),
        ("GET", "/api/search?q=minage", 200),
        ("GET", "/api/nothing", 404),
        ("GET", "/nothing", 404),
        ("GET", "/doc/nope-000000", 404),
        ("GET", "/api/docs/nope-000000", 404),
        ("POST", "/api/search?q=minage", 405),
        ("DELETE", "/", 405),
        ("GET", "/api/search?q=minage&limit=0", 422),
        ("GET", "/api/search?q=" + "x" * 1001, 400),
        ("GET", "/static/app.css", 200),
    ],
)
def test_every_answer_carries_the_security_headers(
    local: TestClient, method: str, path: str, status: int
) -> None:
    r = local.request(method, path)
    assert r.status_code == status
    for header in SECURITY_HEADERS:
        assert header in r.headers, header
    assert "'unsafe-inline'" not in r.headers["content-security-policy"]


@pytest.mark.parametrize("path", ["/api/search?q=minage", "/api/stats", "/healthz", "/?q=minage"])
def test_answers_from_the_index_are_not_stored_by_caches(local: TestClient, path: str) -> None:
    assert local.get(path).headers["cache-control"] == "no-store"


def test_static_files_stay_cacheable(local: TestClient) -> None:
    r = local.get("/static/app.css")
    assert "no-store" not in r.headers.get("cache-control", "") and r.headers.get("etag")


@pytest.mark.parametrize("path", ["/", "/?q=minage", "/docs", "/api/stats", "/healthz", "DOC"])
def test_head_answers_like_get_without_a_body(local: TestClient, path: str) -> None:
    if path == "DOC":
        path = "/doc/" + local.get("/api/search?q=minage").json()["hits"][0]["doc_id"]
    get, head = local.get(path), local.head(path)
    assert head.status_code == get.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"]
    if "?q=" in path:  # the page says how long the search took: "(9.8 ms)", "(12.3 ms)"
        assert abs(int(head.headers["content-length"]) - len(get.content)) <= 2
    else:
        assert head.headers["content-length"] == str(len(get.content))
    assert head.headers["content-security-policy"]


@pytest.fixture
def failing(seed_index_dir: Path) -> Iterator[TestClient]:
    """The app with two routes that fail the way an unforeseen bug would."""
    app = create_app(seed_index_dir)

    def bug() -> None:
        raise RecursionError("maximum recursion depth exceeded")

    app.add_api_route("/api/bug", bug)
    app.add_api_route("/bug", bug)
    with TestClient(app, base_url="http://127.0.0.1:8000") as c:
        yield c
    app.state.holder.close()


def test_an_unexpected_error_on_the_api_is_a_json_500(failing: TestClient) -> None:
    r = failing.get("/api/bug")
    assert r.status_code == 500
    assert r.json() == {"error": {"code": "internal_error", "message": "internal server error"}}
    assert "Traceback" not in r.text and "RecursionError" not in r.text
    assert all(h in r.headers for h in SECURITY_HEADERS)


def test_an_unexpected_error_on_a_page_is_a_french_page(failing: TestClient) -> None:
    r = failing.get("/bug")
    assert r.status_code == 500 and r.headers["content-type"].startswith("text/html")
    assert '<html lang="fr">' in r.text and "Erreur interne du serveur" in r.text
    assert "Traceback" not in r.text and "RecursionError" not in r.text
    assert all(h in r.headers for h in SECURITY_HEADERS)
    assert failing.get("/healthz").status_code == 200  # and the app keeps answering


@pytest.mark.parametrize(
    ("path", "status", "french"),
    [
        ("/doc/nope-000000", 404, "Article introuvable"),
        ("/nothing/here", 404, "Page introuvable"),
        ("/?q=" + "x" * 1001, 400, "Requête trop longue (1001 caractères, 1000 au plus)"),
        ("/?q=minage&page=0", 422, "Paramètre invalide"),
    ],
)
def test_error_pages_are_in_french(local: TestClient, path: str, status: int, french: str) -> None:
    r = local.get(path)
    assert r.status_code == status
    assert '<html lang="fr">' in r.text and french in r.text


def test_missing_index_page_is_in_french(tmp_path: Path) -> None:
    with TestClient(create_app(tmp_path / "none"), base_url="http://localhost") as c:
        r = c.get("/doc/x")
        assert r.status_code == 503 and "Aucun index" in r.text


# --- file names that are not UTF-8 -------------------------------------------------------


@pytest.fixture
def latin1_named(tmp_path: Path) -> Path:
    """An index of one article whose file name is the Latin-1 bytes ``caf\\xe9.txt``."""
    root = tmp_path / "articles"
    root.mkdir()
    name = os.fsdecode(b"caf\xe9.txt")
    (root / name).write_text("Le café du matin\n\nUn minage de café au lait.\n", "utf-8")
    update_index(tmp_path / "ix", [root])
    return tmp_path / "ix"


def test_a_file_name_that_is_not_utf8_is_shown_escaped_on_the_api_and_page(
    latin1_named: Path,
) -> None:
    app = create_app(latin1_named)
    with TestClient(app, base_url="http://127.0.0.1") as c:
        r = c.get("/api/search", params={"q": "minage"})
        assert r.status_code == 200
        hit = r.json()["hits"][0]
        assert hit["path"].endswith("/caf\\xe9.txt")
        doc = c.get(f"/api/docs/{hit['doc_id']}")
        assert doc.status_code == 200 and doc.json()["path"] == hit["path"]
        page = c.get("/", params={"q": "minage"})
        assert page.status_code == 200 and "caf\\xe9.txt" in page.text
        article = c.get(f"/doc/{hit['doc_id']}", params={"q": "minage"})
        assert article.status_code == 200 and "caf\\xe9.txt" in article.text
        assert c.get("/api/stats").status_code == 200
    app.state.holder.close()
