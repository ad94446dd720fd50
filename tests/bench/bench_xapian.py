"""The Xapian cluster beside the folder index on the same corpus: indexing time, query
latency, totals that differ, and ranking quality over the bench's document judgments.

    .venv/bin/python tests/bench/bench_xapian.py /tmp/corpus-fr [--shards 2] [--queries 300]
        [--cluster xapian://host:port,host:port --folder INDEX_DIR] [--pool 100]

Starts a local cluster (``seedsearch cluster start``) in a temporary folder, indexes the
corpus into it and into a fresh folder index (jobs=1 both, so the same work is timed),
runs the judged queries against both and prints the figures; the cluster is stopped at
the end. ``--cluster xapian://...`` and ``--folder DIR`` reuse a cluster and a folder index
of the corpus already built (neither is written). Prints figures (latency p50/p95, the
queries whose top 10 is the same articles in the same order, P@1, MRR@10); asserts nothing.
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
from seedsearch.results import SearchResult
from seedsearch.store import Index
from seedsearch.stores import open_store
from seedsearch.stores import update_index as update_store

JUDGMENTS = Path(__file__).resolve().parents[3] / "shared" / "relevance" / "bench_judgments.json"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--shards", type=int, default=2)
    parser.add_argument("--queries", type=int, default=None, help="the first N (default all)")
    parser.add_argument("--cluster", default=None, help="a cluster of the corpus to reuse")
    parser.add_argument("--folder", type=Path, default=None, help="its folder index")
    parser.add_argument("--pool", type=int, default=None, help="candidates ranked (default 100)")
    args = parser.parse_args()
    if args.pool:
        from seedsearch.xapian_store import ranked

        ranked.POOL = args.pool
    loaded = load_judgments(str(JUDGMENTS))
    judged = [j for j in loaded if isinstance(j, DocJudgment)][: args.queries]
    if args.cluster and args.folder:
        compare(args.folder, args.cluster, judged, args.corpus)
        return
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
            compare(Path(tmp) / "whoosh", cluster.spec, judged, args.corpus)
        finally:
            stop(Path(tmp) / "cluster")


def compare(folder: Path, spec: str, judged: list[DocJudgment], corpus: Path) -> None:
    with Index(folder) as whoosh, open_store(spec) as xap:
        tops: dict[str, list[list[str]]] = {}
        totals: dict[str, list[int]] = {}
        for name, store in (("folder", whoosh), ("cluster", xap)):
            store.search(judged[0].query)  # first use: caches filled
            times = []
            for j in judged:
                t = time.perf_counter()
                result = store.search(j.query)
                times.append((time.perf_counter() - t) * 1000)
                tops.setdefault(name, []).append(_articles(result))
                totals.setdefault(name, []).append(result.total)
            times.sort()
            print(
                f"{name}: {len(times)} queries, p50 {statistics.median(times):.1f} ms,"
                f" p95 {times[int(len(times) * 0.95) - 1]:.1f} ms"
            )
        differ = sum(a != b for a, b in zip(totals["folder"], totals["cluster"], strict=True))
        print(f"queries whose totals differ: {differ} of {len(judged)}")
        same = sum(a == b for a, b in zip(tops["folder"], tops["cluster"], strict=True))
        print(f"queries with the same top 10 in the same order: {same} of {len(judged)}")
        for name, store in (("folder", whoosh), ("cluster", xap)):
            f = evaluate_documents(store, judged, str(corpus)).figures()
            print(
                f"{name}: P@1 {f.p_at_1:.3f}  MRR@10 {f.mrr_at_10:.3f}  "
                f"Recall@10 {f.recall_at_10:.3f}  nDCG@10 {f.ndcg_at_10:.3f}"
            )


def _articles(result: SearchResult) -> list[str]:
    seen: list[str] = []
    for hit in result.hits:
        if hit.doc_id not in seen:
            seen.append(hit.doc_id)
    return seen


if __name__ == "__main__":
    main()
