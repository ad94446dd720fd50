"""The reads a keyword query cannot do without, through Whoosh, and nothing else.

    python tests/bench/bench_floor.py CORPUS_DIR SEEDSEARCH_INDEX [--rounds N] [--work DIR]

For each of the shared kit's 300 keyword queries: the postings of each of its terms (ids
and weights, read as seedsearch reads them), then the stored fields of the 10 articles a
page shows (their first parts). No parsing, spelling, scoring, grouping, re-ranking or
highlighting: what is left of a search once all of those cost nothing. Prints p50, p95
and mean, the floor under ``bench_interleaved.py``'s keyword figures, beside the same
queries run by plain Whoosh with a French chain (whoosh-fr, whose index
``bench_interleaved.py`` builds in ``--work``), the two taking turns query by query.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_peers import load_peers

from seedsearch import postings
from seedsearch.analysis import analyse
from seedsearch.store import Index


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("corpus")
    ap.add_argument("index")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--work", default="/tmp/bench-interleaved", help="where whoosh-fr's index is")
    args = ap.parse_args()
    peers = load_peers()
    keyword, _ = peers.make_queries(peers.load_corpus(args.corpus))
    queries = [" ".join(q["words"]) for q in keyword]
    whoosh, handle = None, None
    if any((Path(args.work) / "whoosh-fr").glob("*.toc")):
        whoosh = peers.WhooshFr()
        handle = whoosh.open(str(Path(args.work) / "whoosh-fr"))
    ix = Index(args.index)
    searcher = ix.searcher()
    reader = searcher.reader()
    shown = {}  # query → the first part of each article its page shows
    for q in queries:
        ids = dict.fromkeys(h.doc_id for h in ix.search(q).hits)
        shown[q] = [searcher.document_number(doc_id=doc_id) for doc_id in ids]

    def floor(query: str) -> None:
        for tok in analyse(query):
            if not tok.joined and ("body", tok.text) in reader:
                postings.read(reader, "body", tok.text).weights()
        for docnum in shown[query]:
            searcher.stored_fields(docnum)

    for q, kw in zip(queries, keyword, strict=True):  # warm: the same reads first
        floor(q)
        if whoosh is not None:
            whoosh.search(handle, kw)
    times: dict[str, list[float]] = {"floor": [], "whoosh-fr": []}
    for r in range(args.rounds):
        for i, (q, kw) in enumerate(zip(queries, keyword, strict=True)):
            turns = ["floor", "whoosh-fr"] if (i + r) % 2 else ["whoosh-fr", "floor"]
            for turn in turns:
                if turn == "whoosh-fr" and whoosh is None:
                    continue
                started = time.perf_counter()
                if turn == "floor":
                    floor(q)
                else:
                    whoosh.search(handle, kw)
                times[turn].append(1000 * (time.perf_counter() - started))
    for name, values in times.items():
        if not values:
            continue
        values.sort()
        print(
            f"{len(queries)} keyword queries, {args.rounds} rounds, {name}"
            + (
                ": postings of every term and the stored fields of the 10 articles shown"
                if name == "floor"
                else ": the whole query"
            )
            + f": p50 {statistics.median(values):.2f} ms, "
            f"p95 {_p95(values):.2f} ms, "
            f"mean {statistics.fmean(values):.2f} ms"
        )
    if times["whoosh-fr"]:
        mine, theirs = times["floor"], times["whoosh-fr"]
        p50 = statistics.median(mine) / statistics.median(theirs)
        print(f"floor / whoosh-fr: p50 {p50:.2f}×, p95 {_p95(mine) / _p95(theirs):.2f}×")


def _p95(ordered: list[float]) -> float:
    return ordered[round(0.95 * (len(ordered) - 1))]


if __name__ == "__main__":
    main()
