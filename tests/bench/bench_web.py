"""Throughput and latency of `/api/search` under concurrent clients, on a real server.

    python tests/bench/bench_web.py --index DIR --corpus DIR [--clients 8] [--requests 4000]

Starts `seedsearch serve` on a free 127.0.0.1 port, warms it up, then runs `--clients`
threads, each with its own keep-alive connection, sending the shared benchmark's keyword
queries round-robin until `--requests` requests are done or `--seconds` have passed.
Prints requests/s and latency percentiles. Traffic never leaves 127.0.0.1.

With ``--base-src SRC`` (the ``src`` folder of another checkout) it measures that code's
server (on ``--base-index`` when its index layout differs) and this one's in turns,
``--rounds`` times each (who goes first flips each round, so drift slows both alike), and
prints each one's median figures and the ratios. With
``--distinct`` every measured request asks something not asked before (the query with a
``limit`` of its own), so that no answer can come from a cache.
"""

from __future__ import annotations

import argparse
import http.client
import importlib.util
import json
import os
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
    if not values:  # every request failed
        return float("nan")
    v = sorted(values)
    k = (len(v) - 1) * p / 100
    f = int(k)
    c = min(f + 1, len(v) - 1)
    return v[f] + (v[c] - v[f]) * (k - f)


LAUNCH = "import sys; from seedsearch.cli import run; sys.argv[0] = 'seedsearch'; sys.exit(run())"


def measure(
    cmd: list[str], env: dict[str, str] | None, queries: list[str], args: argparse.Namespace
) -> dict[str, float]:
    """One server's run: start it, warm it up, load it, stop it."""
    port = free_port()
    server = subprocess.Popen(
        [*cmd, "serve", "--port", str(port), "--workers", str(args.workers)],
        env=env,
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
                # Distinct: each (query, limit) pair once, none of them the warm-up's.
                limit = 11 + i // len(queries) if args.distinct else 10
                t0 = time.perf_counter()
                c.request("GET", "/api/search?" + urlencode({"q": q, "limit": limit}))
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
    return {
        "requests": len(latencies),
        "errors": len(errors),
        "seconds": round(wall, 2),
        "requests_per_s": round(len(latencies) / wall, 1),
        "p50_ms": round(statistics.median(latencies), 2),
        "p95_ms": round(percentile(latencies, 95), 2),
        "p99_ms": round(percentile(latencies, 99), 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", required=True, type=Path)
    ap.add_argument("--corpus", required=True, type=Path)
    ap.add_argument("--peers", type=Path, default=PEERS)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--requests", type=int, default=4000)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--workers", type=int, default=1, help="seedsearch serve --workers")
    ap.add_argument("--base-src", type=Path, help="src/ of another checkout to compare")
    ap.add_argument(
        "--base-index", type=Path, help="the index --base-src serves (default: --index)"
    )
    ap.add_argument("--rounds", type=int, default=2, help="turns of each code (--base-src)")
    ap.add_argument("--distinct", action="store_true", help="no request asked twice")
    args = ap.parse_args()

    queries = keyword_queries(args.corpus, args.peers)
    exe = Path(sys.executable).with_name("seedsearch")
    codes: dict[str, tuple[list[str], dict[str, str] | None]] = {
        "this": ([str(exe), "--index", str(args.index)], None)
    }
    if args.base_src is None:
        result = {"clients": args.clients, "workers": args.workers}
        result.update(measure(*codes["this"], queries, args))
        print(json.dumps(result, indent=2))
        print(
            f"\n/api/search, {args.clients} clients, {args.workers} server process(es) on "
            f"127.0.0.1: {result['requests_per_s']} req/s, p50 {result['p50_ms']} ms, "
            f"p95 {result['p95_ms']} ms, p99 {result['p99_ms']} ms, "
            f"{result['errors']} errors over {result['requests']} requests"
        )
        return
    env = {**os.environ, "PYTHONPATH": str(args.base_src.resolve())}
    codes = {
        "base": (
            [sys.executable, "-c", LAUNCH, "--index", str(args.base_index or args.index)],
            env,
        ),
        **codes,
    }
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in codes}
    for r in range(args.rounds):
        order = list(codes) if r % 2 == 0 else list(reversed(codes))
        for name in order:
            runs[name].append(measure(*codes[name], queries, args))
            print(name, json.dumps(runs[name][-1]), flush=True)
    kind = "distinct requests" if args.distinct else "the 300 queries round-robin"
    print(
        f"\n/api/search, {args.clients} clients, {args.workers} server process(es), {kind}; "
        f"median of {args.rounds} runs each"
    )
    print(f"{'code':<6} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7}")
    med = {
        name: {k: statistics.median(run[k] for run in runs[name]) for k in runs[name][0]}
        for name in codes
    }
    for name in codes:
        m = med[name]
        print(
            f"{name:<6} {m['requests_per_s']:>8.1f} {m['p50_ms']:>8.2f} {m['p95_ms']:>8.2f} "
            f"{m['p99_ms']:>8.2f} {m['errors']:>7.0f}"
        )
    ratio = med["this"]["requests_per_s"] / med["base"]["requests_per_s"]
    print(
        f"req/s this/base: {ratio:.2f}×; p95 base/this: "
        f"{med['base']['p95_ms'] / med['this']['p95_ms']:.2f}×"
    )


if __name__ == "__main__":
    main()
