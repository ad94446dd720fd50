"""The reads a keyword query cannot do without, through Whoosh, and nothing else.

    python tests/bench/bench_floor.py CORPUS_DIR SEEDSEARCH_INDEX [--rounds N]

For each of the shared kit's 300 keyword queries: the postings of each of its terms (ids
and weights, read as seedsearch reads them), then the stored fields of the 10 articles a
page shows (their first parts). No parsing, spelling, scoring, grouping, re-ranking or
highlighting: what is left of a search once all of those cost nothing. Prints p50, p95
and mean, the floor under ``bench_interleaved.py``'s keyword figures.
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
    args = ap.parse_args()
    peers = load_peers()
    keyword, _ = peers.make_queries(peers.load_corpus(args.corpus))
    queries = [" ".join(q["words"]) for q in keyword]
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

    for q in queries:  # warm: the same reads first
        floor(q)
    times = []
    for _ in range(args.rounds):
        for q in queries:
            started = time.perf_counter()
            floor(q)
            times.append(1000 * (time.perf_counter() - started))
    times.sort()
    print(
        f"{len(queries)} keyword queries, {args.rounds} rounds: postings of every term and the "
        f"stored fields of the 10 articles shown: p50 {statistics.median(times):.2f} ms, "
        f"p95 {times[round(0.95 * (len(times) - 1))]:.2f} ms, mean {statistics.fmean(times):.2f} ms"
    )


if __name__ == "__main__":
    main()
