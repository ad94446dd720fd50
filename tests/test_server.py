"""The real `seedsearch serve` process: slow queries do not hold up other requests, half-sent
requests are cut off, the Host header is checked."""

from __future__ import annotations

import http.client
import random
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import pytest

from seedsearch.index import update_index
from seedsearch.store import Index
from test_robustness import write_corpus

# Every search is bounded (see test_query_limits), and the article page shows a window of
# passages; a whole 12 MB article asked for with all=1, highlighted, is the slow request:
# a few seconds of work.
SLOW_PAGE = "/doc/longue-{}?q=minage+bitcoin&all=1"


@pytest.fixture(scope="module")
def big_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("big")
    write_corpus(root / "corpus", 0, 2500, 11)
    rng = random.Random(5)
    words = [
        "minage",
        "bitcoin",
        "énergie",
        "centre",
        "données",
        "calcul",
        "réseau",
        "électricité",
        "serveur",
    ]
    paragraphs = (
        "\n".join(" ".join(rng.choice(words) for _ in range(12)) for _ in range(3))
        for _ in range(40_000)
    )
    (root / "corpus" / "longue.txt").write_text("Longue\n\n" + "\n\n".join(paragraphs))
    update_index(root / "ix", [root / "corpus"])
    return root / "ix"


def slow_page(index_dir: Path) -> str:
    with Index(index_dir) as ix:
        doc_id = next(d for d, _ in ix.passages() if d.startswith("longue-"))
    return SLOW_PAGE.replace("longue-{}", quote(doc_id))


def test_a_slow_query_does_not_hold_up_health_checks_or_other_searches(
    big_index: Path, server_factory: Callable
) -> None:
    server = server_factory(big_index)
    page = slow_page(big_index)
    finished: dict[str, float] = {}
    answers: dict[str, int] = {}

    def slow() -> None:
        status, _ = server.get(page)
        finished["slow"] = time.monotonic()
        answers["slow"] = status

    thread = threading.Thread(target=slow)
    started = time.monotonic()
    thread.start()
    time.sleep(0.3)  # let the slow request reach the server
    status, health = server.get_json("/healthz")
    finished["healthz"] = time.monotonic()
    status_search, result = server.get_json("/api/search?q=minage&limit=1")
    finished["search"] = time.monotonic()
    thread.join()

    assert answers["slow"] == 200 and status == 200 and status_search == 200
    assert health == {"status": "ok", "index": True} and result["total"] > 0
    # Both quick requests were answered while the slow one was still running.
    assert finished["healthz"] < finished["search"] < finished["slow"]
    print(
        f"slow query {finished['slow'] - started:.2f} s; healthz answered after "
        f"{finished['healthz'] - started - 0.3:.3f} s, search after "
        f"{finished['search'] - started - 0.3:.3f} s"
    )


def _connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=15)
    return sock


@pytest.mark.parametrize(
    "sent",
    [
        b"GET /?q=mina",  # half a request line
        b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slow",  # headers never finished
        b"",  # nothing at all
    ],
)
def test_a_half_sent_request_is_cut_off_while_others_are_answered(
    seed_index_dir: Path, server_factory: Callable, sent: bytes
) -> None:
    server = server_factory(seed_index_dir, "--head-timeout", "1")
    sock = _connect(server.port)
    opened = time.monotonic()
    sock.sendall(sent)
    status, body = server.get_json("/api/search?q=minage")  # others are answered meanwhile
    assert status == 200 and body["total"] > 0
    assert sock.recv(1024) == b""  # the server closed the connection...
    waited = time.monotonic() - opened
    sock.close()
    assert 0.9 <= waited < 10  # ...at its deadline, not at once and not never
    status, _ = server.get_json("/healthz")
    assert status == 200


def test_a_request_head_trickled_byte_by_byte_is_cut_off_at_the_deadline(
    seed_index_dir: Path, server_factory: Callable
) -> None:
    server = server_factory(seed_index_dir, "--head-timeout", "1")
    sock = _connect(server.port)
    opened = time.monotonic()
    head = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n" + b"X-Slow: " + b"a" * 200
    sent = 0
    try:
        for byte in head:  # a byte every 50 ms: activity, but never a whole head
            sock.sendall(bytes([byte]))
            sent += 1
            time.sleep(0.05)
    except OSError:  # the server closed the connection under us
        pass
    waited = time.monotonic() - opened
    assert sent < len(head)
    assert 0.9 <= waited < 10
    sock.close()


def test_a_half_sent_second_request_on_a_kept_alive_connection_is_cut_off(
    seed_index_dir: Path, server_factory: Callable
) -> None:
    server = server_factory(seed_index_dir, "--head-timeout", "1")
    sock = _connect(server.port)
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    first = b""
    while b'"index":true}' not in first:
        chunk = sock.recv(4096)
        assert chunk
        first += chunk
    assert first.startswith(b"HTTP/1.1 200")
    opened = time.monotonic()
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.")
    assert sock.recv(1024) == b""
    assert 0.9 <= time.monotonic() - opened < 10
    sock.close()


def _get(port: int, host: str, path: str = "/healthz") -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.putrequest("GET", path, skip_host=True)
    conn.putheader("Host", host)
    conn.endheaders()
    response = conn.getresponse()
    out = response.status, response.read()
    conn.close()
    return out


def test_the_server_answers_only_the_hosts_it_serves(
    seed_index_dir: Path, server_factory: Callable
) -> None:
    server = server_factory(seed_index_dir, "--allowed-host", "search.lan")
    port = server.port
    assert _get(port, f"127.0.0.1:{port}")[0] == 200
    assert _get(port, f"localhost:{port}")[0] == 200
    assert _get(port, f"search.lan:{port}")[0] == 200
    status, body = _get(port, f"rebound.example:{port}", "/api/search?q=minage")
    assert status == 400 and b'"code":"bad_host"' in body
    assert _get(port, f"rebound.example:{port}", "/")[0] == 400


def test_the_server_answers_head_without_a_body(
    seed_index_dir: Path, server_factory: Callable
) -> None:
    server = server_factory(seed_index_dir)
    for path in ("/", "/?q=minage", "/api/stats"):
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        try:
            conn.request("GET", path)
            get = conn.getresponse()
            body = get.read()
            conn.request("HEAD", path)
            head = conn.getresponse()
            assert head.status == get.status == 200
            assert head.read() == b""
            length = int(head.getheader("content-length") or -1)
            # A results page shows the search's time ("9.9 ms" or "10.1 ms"): same page,
            # a character or two apart.
            assert length == len(body) if "q=" not in path else abs(length - len(body)) <= 4
            assert head.getheader("cache-control") == "no-store"
        finally:
            conn.close()
