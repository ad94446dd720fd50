"""Search as you type: the time of a query whose last word is being typed (``prefix_last``)
beside the same query with its words finished.

    .venv/bin/python tests/bench/bench_prefix.py INDEX_DIR [--judgments FILE] [--queries 200]

The queries are the bench judgments' (``../shared/relevance/bench_judgments.json``). Each is
timed four ways through :func:`seedsearch.search`, after one untimed pass that warms the
caches: as written (``full``); as written with ``prefix_last`` (the last word complete, as
when the typing pauses at its end); with its last word cut to its first 3 letters and to
about two thirds of its length, with ``prefix_last`` (mid-typing). Prints p50, p95 and the
mean in milliseconds for each way, and how often the typed word was completed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from seedsearch.errors import SeedsearchError
from seedsearch.search import last_word, search
from seedsearch.store import Index

JUDGMENTS = Path(__file__).resolve().parents[3] / "shared" / "relevance" / "bench_judgments.json"


def cut(query: str, keep: float | int) -> str | None:
    """``query`` with its last word cut to ``keep`` letters (or that share of them)."""
    word = last_word(query)
    if word is None:
        return None
    n = keep if isinstance(keep, int) else max(2, round(len(word) * keep))
    if n >= len(word):
        return None
    return query[: len(query) - len(word) + n]


def timed(index: Index, query: str, prefix_last: bool) -> tuple[float, bool]:
    started = time.perf_counter()
    try:
        result = search(index, query, prefix_last=prefix_last)
        completed = bool(result.completed)
    except SeedsearchError:
        completed = False
    return (time.perf_counter() - started) * 1000, completed


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("index")
    parser.add_argument("--judgments", default=str(JUDGMENTS))
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    queries = list(dict.fromkeys(j["query"] for j in json.loads(Path(args.judgments).read_text())))
    queries = [q for q in queries if last_word(q)][: args.queries]
    ways: dict[str, list[tuple[str, bool]]] = {
        "full": [(q, False) for q in queries],
        "full, prefix_last": [(q, True) for q in queries],
        "last word 3 letters": [(c, True) for q in queries if (c := cut(q, 3))],
        "last word 2/3": [(c, True) for q in queries if (c := cut(q, 2 / 3))],
    }
    with Index(args.index) as index:
        for runs in ways.values():  # warm-up: dictionary, caches, page cache
            for query, prefix in runs:
                timed(index, query, prefix)
        print(f"{len(queries)} queries from {args.judgments}, index {args.index}")
        print(f"{'way':<22} {'n':>4} {'p50 ms':>8} {'p95 ms':>8} {'mean ms':>8} {'completed':>10}")
        for name, runs in ways.items():
            out = [timed(index, query, prefix) for query, prefix in runs]
            ms = [t for t, _ in out]
            done = sum(c for _, c in out)
            share = f"{done / len(out):.0%}" if any(p for _, p in runs) else "-"
            print(
                f"{name:<22} {len(ms):>4} {pct(ms, 0.5):>8.1f} {pct(ms, 0.95):>8.1f} "
                f"{statistics.fmean(ms):>8.1f} {share:>10}"
            )


if __name__ == "__main__":
    main()
