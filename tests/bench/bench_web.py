"""Throughput and latency of `/api/search` under concurrent clients, on a real server.

    python tests/bench/bench_web.py --index DIR --corpus DIR [--clients 8] [--requests 4000]

Starts `seedsearch serve` on a free 127.0.0.1 port, warms it up, then runs `--clients`
threads, each with its own keep-alive connection, sending the shared benchmark's keyword
queries round-robin until `--requests` requests are done or `--seconds` have passed.
Prints requests/s and latency percentiles. Traffic never leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import http.client
import importlib.util
import json
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parents[2]
PEERS = REPO.parent / "shared" / "bench" / "peers.py"


def keyword_queries(corpus: Path, peers: Path) -> list[str]:
    """The shared kit's 300 keyword queries (same generator and seed as peers.py)."""
    spec = importlib.util.spec_from_file_location("peers", peers)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    keyword, _ = module.make_queries(module.load_corpus(str(corpus)))
    return [" ".join(q["words"]) for q in keyword]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentile(values: list[float], p: float) -> float:
    v = sorted(values)
    k = (len(v) - 1) * p / 100
    f = int(k)
    c = min(f + 1, len(v) - 1)
    return v[f] + (v[c] - v[f]) * (k - f)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", required=True, type=Path)
    ap.add_argument("--corpus", required=True, type=Path)
    ap.add_argument("--peers", type=Path, default=PEERS)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--requests", type=int, default=4000)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--workers", type=int, default=1, help="seedsearch serve --workers")
    args = ap.parse_args()

    queries = keyword_queries(args.corpus, args.peers)
    port = free_port()
    exe = Path(sys.executable).with_name("seedsearch")
    server = subprocess.Popen(
        [
            str(exe),
            "--index",
            str(args.index),
            "serve",
            "--port",
            str(port),
            "--workers",
            str(args.workers),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/healthz")
                health = conn.getresponse()
                health.read()
                if health.status == 200:
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("server did not start") from None
                time.sleep(0.1)
        for q in queries:  # warm-up: one pass, also checks every query answers 200
            conn.request("GET", "/api/search?" + urlencode({"q": q, "limit": 10}))
            r = conn.getresponse()
            r.read()
            if r.status != 200:
                raise SystemExit(f"{q!r}: HTTP {r.status}")
        conn.close()

        latencies: list[float] = []
        errors: list[str] = []
        lock = threading.Lock()
        counter = iter(range(args.requests))
        stop_at = time.monotonic() + args.seconds

        def client(offset: int) -> None:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            mine: list[float] = []
            for i in counter:
                if time.monotonic() > stop_at:
                    break
                q = queries[(i + offset) % len(queries)]
                t0 = time.perf_counter()
                c.request("GET", "/api/search?" + urlencode({"q": q, "limit": 10}))
                r = c.getresponse()
                body = r.read()
                mine.append((time.perf_counter() - t0) * 1000)
                if r.status != 200:
                    with lock:
                        errors.append(f"{r.status} {body[:80]!r}")
            c.close()
            with lock:
                latencies.extend(mine)

        threads = [threading.Thread(target=client, args=(k * 37,)) for k in range(args.clients)]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - t0
    finally:
        server.terminate()
        server.wait(timeout=10)

    result = {
        "clients": args.clients,
        "workers": args.workers,
        "requests": len(latencies),
        "errors": len(errors),
        "seconds": round(wall, 2),
        "requests_per_s": round(len(latencies) / wall, 1),
        "p50_ms": round(statistics.median(latencies), 2),
        "p95_ms": round(percentile(latencies, 95), 2),
        "p99_ms": round(percentile(latencies, 99), 2),
    }
    print(json.dumps(result, indent=2))
    print(
        f"\n/api/search, {args.clients} clients, {args.workers} server process(es) on 127.0.0.1: "
        f"{result['requests_per_s']} req/s, "
        f"p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms, p99 {result['p99_ms']} ms, "
        f"{len(errors)} errors over {len(latencies)} requests"
    )


if __name__ == "__main__":
    main()
