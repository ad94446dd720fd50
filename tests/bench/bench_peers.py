"""seedsearch beside its peers on the shared French benchmark corpus, in one run.

    python tests/bench/bench_peers.py CORPUS_DIR [--work DIR] [--only a,b,...] [--cold-runs N]

This drives the shared kit's harness (`../shared/bench/peers.py`: same corpus, same 300
keyword and 20 phrase queries, same timing code) with one more engine, seedsearch, and by
default runs it beside plain Whoosh with a French chain (`whoosh-fr`) and SQLite FTS5. Each
engine is measured in a fresh worker process, which is this script again. Afterwards it
times the real command line, `seedsearch search`, cold (median of --cold-runs fresh
processes) and prints the ratios the performance targets are stated in.

seedsearch indexes the corpus *files* (reading, hashing and passage splitting included),
where the peers index documents the harness already holds in memory.
"""

from __future__ import annotations

import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

HERE = Path(__file__).resolve()
PEERS = HERE.parents[2].parent / "shared" / "bench" / "peers.py"
DEFAULT_ONLY = "seedsearch,whoosh-fr,sqlite-fts5"


def load_peers() -> ModuleType:
    spec = importlib.util.spec_from_file_location("peers", os.environ.get("PEERS_PY", PEERS))
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {PEERS}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.__file__ = str(HERE)  # the harness re-runs "its own file" for workers: this one
    module.ENGINES.append(Seedsearch())
    module.BY_NAME["seedsearch"] = module.ENGINES[-1]
    return module


class Seedsearch:
    name = "seedsearch"
    desc = "seedsearch: French analysis, passages, BM25 + title weight, typo correction"
    phrase = True

    def build(self, docs: Any, path: str) -> None:
        from seedsearch.index import update_index

        jobs = int(os.environ.get("SEEDSEARCH_BENCH_JOBS", "2"))
        update_index(path, [os.environ["SEEDSEARCH_BENCH_CORPUS"]], jobs=jobs)

    def open(self, path: str) -> Any:
        from seedsearch.store import Index

        return Index(path)

    def search(self, index: Any, q: dict[str, Any]) -> list[str]:
        text = " ".join(q["words"])
        if q["phrase"]:
            text = f'"{text}"'
        return [hit.title for hit in index.search(text, limit=10).hits]


def cold_cli(index_dir: str, query: str, runs: int) -> float:
    """Median wall time of a fresh `seedsearch search` process (after one untimed run).

    The package's modules are byte-compiled first, as a regular (non-editable) pip install
    does: an editable install under PYTHONDONTWRITEBYTECODE=1 would compile them anew in
    every process.
    """
    import compileall

    import seedsearch

    compileall.compile_dir(str(Path(seedsearch.__file__).parent), quiet=1)
    exe = str(Path(sys.executable).with_name("seedsearch"))
    cmd = [exe, "--index", index_dir, "search", query]
    subprocess.run(cmd, capture_output=True, check=True)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    argv = sys.argv[1:]
    if argv and argv[0] == "--worker":
        os.environ["SEEDSEARCH_BENCH_CORPUS"] = argv[2]
        load_peers().run_worker(argv[1], argv[2], argv[3])
        return
    if argv and argv[0] == "--cold":
        load_peers().run_cold(argv[1], argv[2], argv[3])
        return
    if argv and argv[0] == "--noop":
        return
    if "--only" not in argv:
        argv += ["--only", DEFAULT_ONLY]
    if "--work" not in argv:
        argv += ["--work", "/tmp/seedsearch-bench"]
    work = argv[argv.index("--work") + 1]
    results_file = os.path.join(work, "results.json")
    if "--json" not in argv:
        argv += ["--json", results_file]
    else:
        results_file = argv[argv.index("--json") + 1]
    cold_runs = int(argv[argv.index("--cold-runs") + 1]) if "--cold-runs" in argv else 7
    peers = load_peers()
    sys.argv = [str(HERE), *argv]
    peers.main()

    with open(results_file, encoding="utf-8") as fh:
        report = json.load(fh)
    by = {r["engine"]: r for r in report["results"]}
    mb = report["bytes"] / 1e6
    query = " ".join(report["cold_query"]["words"])
    print()
    if "seedsearch" in by:
        index_dir = os.path.join(work, "idx", "seedsearch")
        cli = cold_cli(index_dir, query, cold_runs)
        by["seedsearch"]["cold_cli_s"] = cli
        print(
            f"Cold one-shot `seedsearch search {query}` (median of {cold_runs}): "
            f"{cli * 1000:.0f} ms"
        )
    me = by.get("seedsearch")
    wh = by.get("whoosh-fr")
    sq = by.get("sqlite-fts5")
    if me:
        print("\nTargets, as ratios measured in this run:")
        if wh:
            ratio = (mb / me["build_s"]) / (mb / wh["build_s"])
            print(
                f"  indexing MB/s vs whoosh-fr: {mb / me['build_s']:.2f} / "
                f"{mb / wh['build_s']:.2f} = {ratio:.2f}x (target >= 1.5x)"
            )
            print(
                f"  keyword p50 vs whoosh-fr: {me['keyword']['p50_ms']:.2f} / "
                f"{wh['keyword']['p50_ms']:.2f} ms (target: no slower)"
            )
        print(f"  keyword p95: {me['keyword']['p95_ms']:.2f} ms (target <= 10)")
        print(f"  phrase p95: {me['phrase']['p95_ms']:.2f} ms (target <= 15)")
        if sq and "cold_cli_s" in me:
            print(
                f"  cold CLI vs sqlite-fts5 cold: {me['cold_cli_s'] * 1000:.0f} / "
                f"{sq['cold_s'] * 1000:.0f} ms = {me['cold_cli_s'] / sq['cold_s']:.2f}x "
                f"(target <= 2.5x)"
            )
        rss = max(me["rss_peak_mb"], me["rss_child_peak_mb"])
        print(
            f"  peak RSS while indexing: {rss:.0f} MB (target <= 500; the harness holds the "
            f"corpus in memory too: {me['rss_before_mb']:.0f} MB before indexing)"
        )
    with open(results_file, "w", encoding="utf-8") as fh:
        json.dump(report, fh, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
