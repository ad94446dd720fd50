"""Facets and sorting by date: what they add to a search, timed query by query.

    python tests/bench/bench_facets.py [INDEX] [--corpus DIR] [--rounds N]

The shared kit's 300 keyword and 20 phrase queries (``../shared/bench/peers.py``, same
generator and seed) run four ways in one process: plain, with facets, sorted newest
first, and sorted with facets (what the web page asks). The four alternate query by query
and the one that goes first rotates, so a machine whose speed drifts slows them alike.
Prints p50/p95/mean per way and kind, and each way's p50 and p95 against plain. Without
INDEX, the corpus (``--corpus``, else ``SEEDSEARCH_BENCH_CORPUS``, else /tmp/corpus-fr)
is indexed into /tmp/bench-facets-index first. The one-time costs (the facet map and the
fold map, built on the first search of a generation) are timed apart.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_peers import load_peers

from seedsearch.refine import NEWEST, Refine
from seedsearch.store import Index

WAYS = {
    "plain": None,
    "facets": Refine(facets=True),
    "-date": Refine(sort=NEWEST),
    "-date+facets": Refine(sort=NEWEST, facets=True),
}


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("index", nargs="?", help="a seedsearch index of the corpus")
    ap.add_argument("--corpus", default=os.environ.get("SEEDSEARCH_BENCH_CORPUS", "/tmp/corpus-fr"))
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()

    index_dir = args.index or "/tmp/bench-facets-index"
    if not Path(index_dir, "seedsearch.json").exists():
        from seedsearch.index import update_index

        started = time.perf_counter()
        update_index(index_dir, [args.corpus], jobs=2)
        print(f"indexed {args.corpus} in {time.perf_counter() - started:.1f} s", flush=True)

    peers = load_peers()
    docs = peers.load_corpus(args.corpus)
    keyword, phrase = peers.make_queries(docs)
    ix = Index(index_dir)

    def text_of(q: dict) -> str:
        text = " ".join(q["words"])
        return f'"{text}"' if q["phrase"] else text

    first = text_of(keyword[0])
    ix.search(first)
    started = time.perf_counter()
    ix.search(first, refine=Refine(facets=True))
    took = 1000 * (time.perf_counter() - started)
    print(f"first search with facets (builds the facet map): {took:.1f} ms")
    for q in keyword + phrase:  # warm: caches, dictionaries, imports
        ix.search(text_of(q), refine=Refine(sort=NEWEST, facets=True))

    names = list(WAYS)
    times: dict[tuple[str, str], list[float]] = {}
    for r in range(args.rounds):
        for i, q in enumerate(keyword + phrase):
            kind = "phrase" if q["phrase"] else "keyword"
            shift = (i + r) % len(names)
            for way in names[shift:] + names[:shift]:
                started = time.perf_counter()
                ix.search(text_of(q), refine=WAYS[way])
                times.setdefault((way, kind), []).append(1000 * (time.perf_counter() - started))

    print(
        f"{len(keyword)} keyword and {len(phrase)} phrase queries, {args.rounds} rounds, "
        "interleaved, top 10 articles with passages"
    )
    head = ("way", "kind", "p50 ms", "p95 ms", "mean ms", "p50/plain", "p95/plain")
    print(f"{head[0]:14s} {head[1]:8s} " + " ".join(f"{h:>9s}" for h in head[2:]))
    for kind in ("keyword", "phrase"):
        plain = times[("plain", kind)]
        for way in names:
            values = times[(way, kind)]
            print(
                f"{way:14s} {kind:8s} {statistics.median(values):8.2f} "
                f"{percentile(values, 95):8.2f} {statistics.fmean(values):8.2f} "
                f"{statistics.median(values) / statistics.median(plain):9.2f}× "
                f"{percentile(values, 95) / percentile(plain, 95):9.2f}×"
            )


if __name__ == "__main__":
    main()
