"""seedsearch and plain Whoosh with a French chain, timed query by query in one process.

    python tests/bench/bench_interleaved.py CORPUS_DIR SEEDSEARCH_INDEX [--work DIR] [--rounds N]

The shared kit's 300 keyword and 20 phrase queries (``../shared/bench/peers.py``, same
generator and seed) run against both engines in the same process, alternating engines
query by query and round by round (which one goes first flips every query), so that a
machine whose speed drifts slows both alike. Prints p50 and p95 per engine and kind, and
the ratios the performance targets are stated in. seedsearch returns the top 10 articles
with their best passages, highlighted snippets and an exact total; whoosh-fr returns 10
titles (the kit's own search).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_peers import load_peers

from seedsearch.store import Index


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("corpus")
    ap.add_argument("index", help="a seedsearch index of the corpus")
    ap.add_argument("--work", default="/tmp/bench-interleaved", help="where whoosh-fr's index goes")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()

    peers = load_peers()
    docs = peers.load_corpus(args.corpus)
    keyword, phrase = peers.make_queries(docs)
    whoosh = peers.WhooshFr()
    path = Path(args.work) / "whoosh-fr"
    if not (path / "_MAIN_1.toc").exists() and not any(path.glob("*.toc")):
        started = time.perf_counter()
        whoosh.build(docs, str(path))
        print(f"built whoosh-fr in {time.perf_counter() - started:.1f} s", flush=True)
    handle = whoosh.open(str(path))
    ix = Index(args.index)

    def text_of(q: dict) -> str:
        text = " ".join(q["words"])
        return f'"{text}"' if q["phrase"] else text

    times: dict[tuple[str, str], list[float]] = {}
    for q in keyword + phrase:  # warm both: caches, dictionaries, imports
        whoosh.search(handle, q)
        ix.search(text_of(q))
    for r in range(args.rounds):
        for i, q in enumerate(keyword + phrase):
            kind = "phrase" if q["phrase"] else "keyword"
            order = ["whoosh-fr", "seedsearch"] if (i + r) % 2 else ["seedsearch", "whoosh-fr"]
            for engine in order:
                started = time.perf_counter()
                if engine == "whoosh-fr":
                    whoosh.search(handle, q)
                else:
                    ix.search(text_of(q))
                times.setdefault((engine, kind), []).append(1000 * (time.perf_counter() - started))

    print(
        f"{len(keyword)} keyword and {len(phrase)} phrase queries, "
        f"{args.rounds} rounds, interleaved"
    )
    print(f"{'engine':12s} {'kind':8s} {'p50 ms':>8s} {'p95 ms':>8s} {'mean ms':>8s}")
    for (engine, kind), values in sorted(times.items()):
        print(
            f"{engine:12s} {kind:8s} {statistics.median(values):8.2f} "
            f"{percentile(values, 95):8.2f} {statistics.fmean(values):8.2f}"
        )
    for kind in ("keyword", "phrase"):
        ours, theirs = times[("seedsearch", kind)], times[("whoosh-fr", kind)]
        p50 = statistics.median(ours) / statistics.median(theirs)
        p95 = percentile(ours, 95) / percentile(theirs, 95)
        print(f"{kind}: seedsearch / whoosh-fr p50 {p50:.2f}×, p95 {p95:.2f}×")


if __name__ == "__main__":
    main()
