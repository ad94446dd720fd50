"""The folder index and Xapian clusters of 1 and 2 shards side by side, and how each grows
with the corpus: indexing MB/s, size on disk, warm query latency, CPU per query and the
throughput of 8 concurrent clients.

    .venv/bin/python tests/bench/bench_cluster.py /tmp/corpus-fr
    .venv/bin/python tests/bench/bench_cluster.py /tmp/corpus-fr --copies 1 2 4 \\
        --stores folder 2 --queries 100

``--stores``: ``folder`` (Whoosh, indexed with ``--jobs``, default 1: the cluster's
writer is one process too), and clusters written as ``SHARDS`` or ``SHARDS+REPLICAS``
(``2+1``: 2 shards, each with a replica), each started with ``seedsearch cluster start``
in ``--work`` and stopped at the end. ``--copies N``: the corpus N times over, hard links
in ``--work/corpus-xN/copyK`` (new paths, so new doc ids; every article then has N-1 exact
duplicates, which both stores fold into one result). Per copies and store:

- indexing: one fresh process each (``stores.update_index``), its wall time, MB/s of input
  and peak resident memory; the size on disk (the folder; the tables of the cluster's
  ``shardN/db`` folders, replicas not counted) and bytes per article, and apart the
  changesets the writable servers keep for replicas (``+chg``);
- warm queries: the judged queries of the relevance bench (the first ``--queries``), one
  pass to warm up, then one measured pass with the stores interleaved query by query (who
  goes first rotates); p50/p95 and their ratio to the first store; CPU per query, of this
  process and of the cluster's servers (``/proc``: theirs and their forks', live or reaped);
- the matching alone on shard 1 (its database opened here, read-only): each query as the
  cluster compiles it, timed with the exact total (every document checked) and with
  Xapian's pruning, best of 3 per query;
- 8 clients (``--clients``): threads calling the library (one store object each), and HTTP
  clients of ``seedsearch serve`` on 127.0.0.1 (one server process, keep-alive
  connections), each for ``--seconds``; every HTTP request differs (the query with a
  ``limit`` of its own), so the answer cache never serves one. Answered queries per
  second, p95, and the errors (a query past its time budget while waiting on the others).

Prints a table per copies (and ``--json`` writes every figure); asserts nothing. The
machine's other load shows in the figures: run it alone when possible.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_web import measure, percentile

from seedsearch.cluster import start, stop
from seedsearch.errors import SeedsearchError
from seedsearch.stores import open_store

JUDGMENTS = Path(__file__).resolve().parents[3] / "shared" / "relevance" / "bench_judgments.json"
TICK = os.sysconf("SC_CLK_TCK")

# Indexing in a process of its own: its time and peak memory are the run's alone.
# Its peak is VmHWM (ru_maxrss would start from the spawning process's peak: Linux keeps
# it across exec).
INDEXER = """
import json, sys, time
from pathlib import Path
from seedsearch.stores import update_index
t = time.perf_counter()
r = update_index(sys.argv[1], [sys.argv[2]], jobs=int(sys.argv[3]))
status = Path("/proc/self/status").read_text().splitlines()
rss = next(int(x.split()[1]) for x in status if x.startswith("VmHWM:")) / 1024
print(json.dumps({"seconds": time.perf_counter() - t, "documents": r.documents,
    "megabytes": r.megabytes, "maxrss_mb": rss}))
"""


@dataclass
class Store:
    name: str
    spec: str
    folder: Path
    pids: list[int] = field(default_factory=list)  # the cluster's read servers
    figures: dict[str, Any] = field(default_factory=dict)


def disk_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def _cpu_ticks(pid: int, reaped: bool) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return sum(int(x) for x in fields[11 : 15 if reaped else 13])  # utime stime [cu cs]


def server_cpu(pids: list[int]) -> float:
    """Seconds of CPU the servers used: theirs, their reaped children's, and their live
    children's (xapian-tcpsrv forks a process per connection)."""
    ticks = sum(_cpu_ticks(pid, True) for pid in pids)
    wanted = {str(pid) for pid in pids}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = (entry / "stat").read_text().rsplit(")", 1)[1].split()[1]
            except OSError:
                continue
            if ppid in wanted:
                ticks += _cpu_ticks(int(entry.name), False)
    return ticks / TICK


def rss_mb(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
        except OSError:
            continue
    return total


def make_corpus(corpus: Path, copies: int, work: Path) -> Path:
    if copies == 1:
        return corpus
    target = work / f"corpus-x{copies}"
    if not target.exists():
        partial = work / f"corpus-x{copies}.part"
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        for k in range(1, copies + 1):
            subprocess.run(["cp", "-al", str(corpus), str(partial / f"copy{k}")], check=True)
        partial.rename(target)
    return target


def open_stores(names: list[str], work: Path) -> list[Store]:
    stores = []
    for name in names:
        if name == "folder":
            folder = work / "folder"
            shutil.rmtree(folder, ignore_errors=True)
            stores.append(Store(name, str(folder), folder))
            continue
        shards, _, replicas = name.partition("+")
        folder = work / f"cluster-{shards}-{replicas or 0}"
        if (folder / "cluster.json").exists():
            stop(folder)
        shutil.rmtree(folder, ignore_errors=True)
        cluster = start(folder, int(shards), int(replicas or 0))
        readers = [p.pid for p in cluster.processes if p.role in ("writer", "replica")]
        label = f"{shards} shard{'s' if shards != '1' else ''}" + (
            f" +{replicas} replica" if replicas else ""
        )
        stores.append(Store(label, cluster.spec, folder, readers))
    return stores


def index_all(stores: list[Store], corpus: Path, jobs: int, input_mb: float) -> None:
    for store in stores:
        out = subprocess.run(
            [sys.executable, "-c", INDEXER, store.spec, str(corpus), str(jobs)],
            check=True,
            capture_output=True,
            text=True,
        )
        got = json.loads(out.stdout.strip().splitlines()[-1])
        changes = 0
        if store.pids:  # the tables; the changesets kept for replicas are counted apart
            dbs = [p for db in store.folder.glob("shard*/db") for p in db.iterdir()]
            size = sum(p.stat().st_size for p in dbs if not p.name.startswith("changes"))
            changes = sum(p.stat().st_size for p in dbs if p.name.startswith("changes"))
        else:
            size = disk_bytes(store.folder)
        store.figures.update(
            documents=got["documents"],
            index_s=round(got["seconds"], 1),
            mb_per_s=round(input_mb / got["seconds"], 3),
            jobs=jobs if store.name == "folder" else 1,
            indexer_rss_mb=round(got["maxrss_mb"]),
            disk_mb=round(size / 1e6, 1),
            changesets_mb=round(changes / 1e6, 1),
            bytes_per_article=round(size / max(1, got["documents"])),
        )
        print(f"  indexed {store.name}: {store.figures}", flush=True)


def warm_queries(stores: list[Store], queries: list[str]) -> None:
    opened = [open_store(s.spec) for s in stores]
    try:
        for q in queries:  # warm-up: caches, page cache, the spelling dictionary
            for o in opened:
                o.search(q)
        times: list[list[float]] = [[] for _ in stores]
        client = [0.0] * len(stores)
        servers = [-server_cpu(s.pids) for s in stores]
        for i, q in enumerate(queries):
            order = list(range(len(stores)))
            order = order[i % len(order) :] + order[: i % len(order)]
            for k in order:
                c0 = time.process_time()
                t0 = time.perf_counter()
                opened[k].search(q)
                times[k].append((time.perf_counter() - t0) * 1000)
                client[k] += time.process_time() - c0
        gc.collect()  # closes the last connections: their server processes end
        time.sleep(1)
        for k, store in enumerate(stores):
            servers[k] += server_cpu(store.pids)
        for k, store in enumerate(stores):
            store.figures.update(
                p50_ms=round(statistics.median(times[k]), 2),
                p95_ms=round(percentile(times[k], 95), 2),
                client_cpu_ms=round(client[k] * 1000 / len(queries), 2),
                server_cpu_ms=round(servers[k] * 1000 / len(queries), 2),
                server_rss_mb=round(rss_mb(store.pids)),
            )
    finally:
        for o in opened:
            o.close()


def compiled_queries(spec: str, queries: list[str]) -> list[bytes]:
    """The Xapian queries the cluster runs for ``queries`` (parsed, corrected, expanded to
    word families), serialised; the internal ``_matches`` is the only way to them."""
    from seedsearch.budget import Cost

    out = []
    with open_store(spec) as store:
        for q in queries:
            try:
                found = store._matches(q, False, None, Cost(10.0))
            except SeedsearchError:
                continue
            if found.query is not None:
                out.append(found.query.serialise())
    return out


def shard_match(db_folder: Path, compiled: list[bytes]) -> dict[str, float]:
    """The matching alone, on one shard's database opened here (no network, no Python per
    hit): p50/p95 ms of each compiled query with the exact total the cluster asks for
    (every document checked) and with Xapian's own pruning (``checkatleast`` 0)."""
    import xapian

    db = xapian.Database(str(db_folder))
    got: dict[str, list[float]] = {"exact": [], "pruned": []}
    for raw in compiled:
        query = xapian.Query.unserialise(raw)
        for kind, check in (("exact", db.get_doccount()), ("pruned", 0)):
            enquire = xapian.Enquire(db)
            enquire.set_query(query)
            enquire.set_weighting_scheme(xapian.BM25Weight())
            enquire.set_collapse_key(1)  # as the cluster: exact duplicates folded
            best = float("inf")
            for _ in range(3):  # the best of 3: the page cache warm, the machine's noise less
                t0 = time.perf_counter()
                enquire.get_mset(0, 10, check)
                best = min(best, (time.perf_counter() - t0) * 1000)
            got[kind].append(best)
    return {
        "articles": db.get_doccount(),
        "exact_p50_ms": round(statistics.median(got["exact"]), 3),
        "exact_p95_ms": round(percentile(got["exact"], 95), 3),
        "pruned_p50_ms": round(statistics.median(got["pruned"]), 3),
        "pruned_p95_ms": round(percentile(got["pruned"], 95), 3),
        "exact_mean_ms": round(statistics.mean(got["exact"]), 3),
        "pruned_mean_ms": round(statistics.mean(got["pruned"]), 3),
    }


def threads_load(store: Store, queries: list[str], clients: int, seconds: float) -> None:
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client(offset: int) -> None:
        mine = []
        failed = 0
        with open_store(store.spec) as s:
            i = offset
            while time.monotonic() < stop_at:
                t0 = time.perf_counter()
                try:
                    s.search(queries[i % len(queries)])
                except SeedsearchError:  # e.g. the time budget, waiting on the others
                    failed += 1
                else:
                    mine.append((time.perf_counter() - t0) * 1000)
                i += 1
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    threads = [threading.Thread(target=client, args=(k * 37,)) for k in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    store.figures.update(
        threads_qps=round(len(latencies) / wall, 1),
        threads_p95_ms=round(percentile(latencies, 95), 1),
        threads_errors=errors[0],
    )


def http_load(store: Store, queries: list[str], clients: int, seconds: float) -> None:
    """``seedsearch serve`` on the store under ``clients`` HTTP clients for ``seconds``,
    every request new (see bench_web.py, whose load this is)."""
    exe = Path(sys.executable).with_name("seedsearch")
    load = argparse.Namespace(
        workers=1, clients=clients, seconds=seconds, requests=10**9, distinct=True
    )
    got = measure([str(exe), "--index", store.spec], None, queries, load)
    store.figures.update(
        http_qps=got["requests_per_s"], http_p95_ms=got["p95_ms"], http_errors=got["errors"]
    )


COLUMNS = (
    ("documents", "articles", "{:.0f}"),
    ("index_s", "index s", "{:.1f}"),
    ("mb_per_s", "MB/s", "{:.2f}"),
    ("jobs", "jobs", "{:.0f}"),
    ("indexer_rss_mb", "idx RSS MB", "{:.0f}"),
    ("disk_mb", "disk MB", "{:.1f}"),
    ("changesets_mb", "+chg MB", "{:.0f}"),
    ("bytes_per_article", "B/article", "{:.0f}"),
    ("p50_ms", "p50 ms", "{:.1f}"),
    ("p95_ms", "p95 ms", "{:.1f}"),
    ("p50_ratio", "p50 ×", "{:.2f}"),
    ("p95_ratio", "p95 ×", "{:.2f}"),
    ("client_cpu_ms", "cli CPU ms/q", "{:.1f}"),
    ("server_cpu_ms", "srv CPU ms/q", "{:.1f}"),
    ("match_p50_ms", "shard1 match p50", "{:.2f}"),
    ("match_p95_ms", "p95", "{:.2f}"),
    ("pruned_p50_ms", "pruned p50", "{:.2f}"),
    ("pruned_p95_ms", "p95", "{:.2f}"),
    ("threads_qps", "8 thr q/s", "{:.1f}"),
    ("threads_p95_ms", "thr p95", "{:.0f}"),
    ("threads_errors", "thr err", "{:.0f}"),
    ("http_qps", "8 HTTP q/s", "{:.1f}"),
    ("http_p95_ms", "HTTP p95", "{:.0f}"),
    ("http_errors", "HTTP err", "{:.0f}"),
)


def print_table(title: str, stores: list[Store]) -> None:
    print(f"\n{title}")
    head = [label for _, label, _ in COLUMNS]
    rows = [
        [store.name]
        + [
            fmt.format(store.figures[key]) if key in store.figures else "-"
            for key, _, fmt in COLUMNS
        ]
        for store in stores
    ]
    widths = [max(len(x) for x in col) for col in zip(["store", *head], *rows, strict=True)]
    for row in [["store", *head], *rows]:
        print("  ".join(x.rjust(w) for x, w in zip(row, widths, strict=True)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--stores", nargs="+", default=["folder", "1", "2"])
    ap.add_argument("--copies", nargs="+", type=int, default=[1])
    ap.add_argument("--queries", type=int, default=None, help="the first N judged queries")
    ap.add_argument("--jobs", type=int, default=1, help="the folder index's --jobs")
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=20.0, help="per store and kind of load")
    ap.add_argument("--work", type=Path, default=None, help="default: a temporary folder")
    ap.add_argument("--json", type=Path, default=None, help="write every figure here")
    args = ap.parse_args()
    judged = json.loads(JUDGMENTS.read_text(encoding="utf-8"))
    queries = [j["query"] for j in judged][: args.queries]
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-cluster-"))
    work.mkdir(parents=True, exist_ok=True)
    input_mb = disk_bytes(args.corpus) / 1e6
    load = os.getloadavg()
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    print(
        f"{os.cpu_count()} cores, {ram:.0f} GiB, load {load[0]:.2f}; {len(queries)} queries;"
        f" corpus {input_mb:.1f} MB; work {work}",
        flush=True,
    )
    everything = []
    for copies in args.copies:
        corpus = make_corpus(args.corpus, copies, work)
        stores = open_stores(args.stores, work)
        try:
            index_all(stores, corpus, args.jobs, input_mb * copies)
            warm_queries(stores, queries)
            for store in stores:
                if store.pids:
                    compiled = compiled_queries(store.spec, queries)
                    shard = shard_match(store.folder / "shard1" / "db", compiled)
                    store.figures.update(
                        shard_articles=shard["articles"],
                        match_p50_ms=shard["exact_p50_ms"],
                        match_p95_ms=shard["exact_p95_ms"],
                        pruned_p50_ms=shard["pruned_p50_ms"],
                        pruned_p95_ms=shard["pruned_p95_ms"],
                        match_mean_ms=shard["exact_mean_ms"],
                        pruned_mean_ms=shard["pruned_mean_ms"],
                    )
            for store in stores:
                for key in ("p50", "p95"):
                    first = stores[0].figures[f"{key}_ms"]
                    store.figures[f"{key}_ratio"] = round(store.figures[f"{key}_ms"] / first, 2)
            for store in stores:
                threads_load(store, queries, args.clients, args.seconds)
                http_load(store, queries, args.clients, args.seconds)
                print(f"  loaded {store.name}: {store.figures}", flush=True)
        finally:
            for store in stores:
                if store.pids:
                    stop(store.folder)
        load = os.getloadavg()
        print_table(
            f"{copies}× the corpus ({input_mb * copies:.1f} MB), {len(queries)} queries, "
            f"{args.clients} clients; load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}",
            stores,
        )
        everything.append(
            {"copies": copies, "stores": {s.name: s.figures for s in stores}, "load": load}
        )
        if args.json:
            args.json.write_text(json.dumps(everything, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
