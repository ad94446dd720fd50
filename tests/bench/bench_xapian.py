"""The Xapian cluster beside the folder index on the same corpus: indexing time, query
latency, totals that differ, and ranking quality over the bench's document judgments.

    .venv/bin/python tests/bench/bench_xapian.py /tmp/corpus-fr [--shards 2] [--queries 300]

Starts a local cluster (``seedsearch cluster start``) in a temporary folder, indexes the
corpus into it and into a fresh folder index (jobs=1 both, so the same work is timed),
runs the judged queries against both and prints the figures; the cluster is stopped at
the end. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from seedsearch.cluster import start, stop
from seedsearch.evaluation import load_judgments
from seedsearch.evaluation_docs import DocJudgment, evaluate_documents
from seedsearch.index import update_index
from seedsearch.store import Index
from seedsearch.stores import open_store
from seedsearch.stores import update_index as update_store

JUDGMENTS = Path(__file__).resolve().parents[3] / "shared" / "relevance" / "bench_judgments.json"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--shards", type=int, default=2)
    parser.add_argument("--queries", type=int, default=None, help="the first N (default all)")
    args = parser.parse_args()
    loaded = load_judgments(str(JUDGMENTS))
    judged = [j for j in loaded if isinstance(j, DocJudgment)][: args.queries]
    with tempfile.TemporaryDirectory() as tmp:
        cluster = start(Path(tmp) / "cluster", args.shards, 0)
        try:
            t = time.perf_counter()
            report = update_store(cluster.spec, [args.corpus])
            cluster_s = time.perf_counter() - t
            t = time.perf_counter()
            update_index(Path(tmp) / "whoosh", [args.corpus])
            folder_s = time.perf_counter() - t
            print(f"documents: {report.documents} ({args.shards} shards)")
            print(f"index, cluster: {cluster_s:.1f} s; folder (jobs=1): {folder_s:.1f} s")
            with Index(Path(tmp) / "whoosh") as whoosh, open_store(cluster.spec) as xap:
                for name, store in (("folder", whoosh), ("cluster", xap)):
                    times = []
                    for j in judged:
                        t = time.perf_counter()
                        store.search(j.query)
                        times.append((time.perf_counter() - t) * 1000)
                    times.sort()
                    print(
                        f"{name}: {len(times)} queries, median {statistics.median(times):.1f} ms,"
                        f" p95 {times[int(len(times) * 0.95) - 1]:.1f} ms"
                    )
                differ = sum(
                    whoosh.search(j.query).total != xap.search(j.query).total for j in judged
                )
                print(f"queries whose totals differ: {differ} of {len(judged)}")
                for name, store in (("folder", whoosh), ("cluster", xap)):
                    f = evaluate_documents(store, judged, str(args.corpus)).figures()
                    print(
                        f"{name}: P@1 {f.p_at_1:.3f}  MRR@10 {f.mrr_at_10:.3f}  "
                        f"Recall@10 {f.recall_at_10:.3f}  nDCG@10 {f.ndcg_at_10:.3f}"
                    )
        finally:
            stop(Path(tmp) / "cluster")


if __name__ == "__main__":
    main()
