"""Answers of /api/search kept per index generation, and concurrent clients served right."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient

from seedsearch.index import update_index
from seedsearch.web import cache
from seedsearch.web.app import create_app

NEWS = {
    "ai.txt": "Nouvelle puce\n\nLa startup conçoit une puce pour l’intelligence artificielle.",
    "dc.txt": "Refroidissement\n\nUn nouveau centre de données ouvre à Lyon cette année.",
    "mine.txt": "Ethereum\n\nLe minage reste rentable malgré la baisse des cours de la puce.",
    "other.txt": "Cuisine\n\nUne recette de tarte aux pommes, simple et rapide.",
}


@pytest.fixture
def corpus(write_files: Callable[[dict[str, str]], Path]) -> Path:
    return write_files(NEWS)


@pytest.fixture
def index_dir(tmp_path: Path, corpus: Path) -> Path:
    update_index(tmp_path / "ix", [corpus])
    return tmp_path / "ix"


@pytest.fixture
def client(index_dir: Path) -> Iterator[TestClient]:
    app = create_app(index_dir)
    with TestClient(app, base_url="http://127.0.0.1") as c:
        yield c
    app.state.holder.close()


def test_a_repeated_search_is_answered_from_the_cache(client: TestClient) -> None:
    first = client.get("/api/search", params={"q": "puce", "limit": 5})
    again = client.get("/api/search", params={"limit": 5, "q": "puce"})  # other order
    assert (first.status_code, again.status_code) == (200, 200)
    assert (first.headers["x-cache"], again.headers["x-cache"]) == ("miss", "hit")
    assert again.content == first.content and first.json()["total"] == 2
    # The edge's headers are on a kept answer too.
    assert again.headers["cache-control"] == "no-store"
    assert again.headers["content-type"] == first.headers["content-type"]


@pytest.mark.parametrize(
    "other",
    [
        {"q": "puce", "limit": 1},
        {"q": "puce ", "limit": 5, "prefix": "last"},
        {"q": "puc", "limit": 5, "prefix": "last"},
        {"q": "puce", "limit": 5, "explain": "true"},
        {"q": "Puce", "limit": 5},
    ],
)
def test_other_parameters_are_other_answers(client: TestClient, other: dict[str, object]) -> None:
    client.get("/api/search", params={"q": "puce", "limit": 5})
    r = client.get("/api/search", params=other)
    assert r.status_code == 200 and r.headers["x-cache"] == "miss"
    assert client.get("/api/search", params=other).headers["x-cache"] == "hit"


def test_the_last_of_repeated_parameters_counts(client: TestClient) -> None:
    a = client.get("/api/search?q=tarte&q=puce").json()
    b = client.get("/api/search?q=puce&q=tarte").json()
    assert {h["path"].rsplit("/", 1)[-1] for h in a["hits"]} == {"ai.txt", "mine.txt"}
    assert {h["path"].rsplit("/", 1)[-1] for h in b["hits"]} == {"other.txt"}


def test_a_new_generation_is_searched_anew(
    client: TestClient, index_dir: Path, corpus: Path
) -> None:
    assert client.get("/api/search", params={"q": "puce"}).json()["total"] == 2
    (corpus / "new.txt").write_text("Une puce\n\nEncore une puce, gravée en 3 nm.", "utf-8")
    update_index(index_dir)
    r = client.get("/api/search", params={"q": "puce"})
    assert r.headers["x-cache"] == "miss" and r.json()["total"] == 3


def test_an_edited_synonyms_file_is_searched_anew(client: TestClient, index_dir: Path) -> None:
    assert client.get("/api/search", params={"q": "pâtisserie"}).json()["total"] == 0
    (index_dir / "synonyms.txt").write_text("pâtisserie => tarte\n", encoding="utf-8")
    r = client.get("/api/search", params={"q": "pâtisserie"})
    assert r.headers["x-cache"] == "miss" and r.json()["total"] == 1


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"q": "puce", "limit": 0}, 422),
        ({"q": "puce", "offset": 10**9}, 422),
        ({"q": "x" * 5000}, 400),
    ],
)
def test_errors_are_not_kept(client: TestClient, params: dict[str, object], status: int) -> None:
    for _ in range(2):
        r = client.get("/api/search", params=params)
        assert r.status_code == status and r.json()["error"]
        assert r.headers.get("x-cache") != "hit"


def test_a_head_request_gets_the_kept_answers_headers_without_its_body(
    client: TestClient,
) -> None:
    client.get("/api/search", params={"q": "tarte"})
    r = client.head("/api/search", params={"q": "tarte"})
    assert r.status_code == 200 and r.content == b"" and r.headers["x-cache"] == "hit"


def test_the_least_recently_used_answers_leave_first(
    index_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cache, "MAX_ENTRIES", 2)
    app = create_app(index_dir)
    with TestClient(app, base_url="http://127.0.0.1") as c:

        def state(q: str) -> str:
            return str(c.get("/api/search", params={"q": q}).headers["x-cache"])

        assert [state(q) for q in ("puce", "tarte", "puce", "minage", "puce")] == [
            "miss",
            "miss",
            "hit",
            "miss",  # tarte leaves: puce was used after it
            "hit",
        ]
        assert state("tarte") == "miss"
    app.state.holder.close()


def test_eight_concurrent_clients_each_get_their_own_answer(
    index_dir: Path, server_factory: Callable[..., object]
) -> None:
    import http.client

    server = server_factory(index_dir)
    queries = ["puce", "tarte", "minage", "centre de données", "Lyon", "pommes", "cours", "IA"]
    limits = range(1, 13)  # every request a new one: searches run side by side
    with TestClient(create_app(index_dir), base_url="http://127.0.0.1") as c:
        expected = {
            (q, n): c.get("/api/search", params={"q": q, "limit": n}).json()
            for q in queries
            for n in limits
        }
    port = server.port  # type: ignore[attr-defined]
    answers: dict[tuple[str, int], dict[str, object]] = {}
    lock = threading.Lock()

    def client(q: str) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for n in limits:
            conn.request("GET", "/api/search?" + urlencode({"q": q, "limit": n}))
            body = json.loads(conn.getresponse().read())
            with lock:
                answers[(q, n)] = body
        conn.close()

    threads = [threading.Thread(target=client, args=(q,)) for q in queries]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert answers.keys() == expected.keys()
    for key, body in answers.items():
        body.pop("took_ms")
        expected[key].pop("took_ms")
        assert body == expected[key], key
