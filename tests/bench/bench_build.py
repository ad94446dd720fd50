"""Indexing: speed, index size and peak memory of the whole process tree, seedsearch beside
whoosh-fr (and another checkout of seedsearch), the builds interleaved round by round.

    python tests/bench/bench_build.py CORPUS_DIR [--work DIR] [--rounds N] [--jobs N]
        [--baseline SRC_DIR]

Every build runs in a fresh process; this one samples (every 50 ms) the resident memory
of that process and all its descendants (seedsearch's worker processes included) and
keeps the peak of their sum (an overestimate: pages they share count once per process),
and the CPU time they took (user + system), steadier than wall time on a busy machine.
Engines take turns within a round, in an order that rotates every round, so a machine
whose speed drifts slows them alike. MB/s is over the UTF-8 size of the corpus's titles
and bodies, as the shared kit counts it (`../shared/bench/peers.py`); whoosh-fr indexes
documents already in memory (its time excludes reading them), seedsearch indexes the
files (reading, hashing and passage splitting included). ``--baseline SRC_DIR`` (the
``src`` folder of another checkout) adds that code as the engine ``baseline``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_peers import load_peers


def _tree_rss(root: int) -> int:
    """Bytes resident in process ``root`` and its descendants."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    page = os.sysconf("SC_PAGE_SIZE")
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", encoding="ascii", errors="replace") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(name)] = int(fields[1])
        rss[int(name)] = int(fields[21]) * page
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(p for p, parent in parents.items() if parent == pid)
    return total


def _build(engine: str, corpus: str, path: str, jobs: int, src: str | None) -> None:
    """In the child process: build one index, print its time."""
    if engine == "whoosh-fr":
        peers = load_peers()
        docs = peers.load_corpus(corpus)
        started = time.perf_counter()
        peers.BY_NAME["whoosh-fr"].build(docs, path)
    else:
        if src:
            sys.path.insert(0, src)
        from seedsearch.index import update_index

        started = time.perf_counter()
        update_index(path, [corpus], jobs=jobs)
    print(json.dumps({"build_s": time.perf_counter() - started}))


def _run(engine: str, args: argparse.Namespace, path: Path) -> dict[str, float]:
    shutil.rmtree(path, ignore_errors=True)
    cmd = [sys.executable, __file__, "--build", engine, args.corpus, str(path), str(args.jobs)]
    if engine == "baseline":
        cmd.append(args.baseline)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    peak = 0
    while True:
        # wait4: the CPU time of the child and of the workers it waited for.
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        peak = max(peak, _tree_rss(proc.pid))
        time.sleep(0.05)
    proc.returncode = os.waitstatus_to_exitcode(status)
    assert proc.stdout is not None
    out = proc.stdout.read()
    if proc.returncode:
        raise SystemExit(f"{engine}: build failed ({proc.returncode})")
    size = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    return {
        "build_s": json.loads(out)["build_s"],
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "peak_mb": peak / 1e6,
        "size_mb": size / 1e6,
    }


def main() -> None:
    if sys.argv[1:2] == ["--build"]:
        engine, corpus, path, jobs = sys.argv[2:6]
        _build(engine, corpus, path, int(jobs), sys.argv[6] if len(sys.argv) > 6 else None)
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus")
    ap.add_argument("--work", default="/tmp/bench-build")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--jobs", type=int, default=2, help="seedsearch's --jobs")
    ap.add_argument("--baseline", help="the src folder of another seedsearch checkout")
    args = ap.parse_args()
    peers = load_peers()
    mb = sum(len(t.encode()) + 1 + len(b.encode()) for _, t, b in peers.load_corpus(args.corpus))
    mb /= 1e6
    engines = ["seedsearch", "whoosh-fr"] + (["baseline"] if args.baseline else [])
    runs: dict[str, list[dict[str, float]]] = {e: [] for e in engines}
    for r in range(args.rounds):
        order = engines[r % len(engines) :] + engines[: r % len(engines)]
        for engine in order:
            res = _run(engine, args, Path(args.work) / engine)
            runs[engine].append(res)
            print(
                f"round {r + 1} {engine}: {res['build_s']:.1f} s ({res['cpu_s']:.0f} s CPU), "
                f"{res['size_mb']:.1f} MB, "
                f"peak tree {res['peak_mb']:.0f} MB",
                flush=True,
            )
    print(f"\ncorpus: {mb:.1f} MB; medians of {args.rounds} rounds (jobs={args.jobs})")
    print("engine | index MB | x whoosh-fr | MB/s | x whoosh-fr | CPU s | peak tree MB")
    med = {e: {k: statistics.median(x[k] for x in runs[e]) for k in runs[e][0]} for e in engines}
    wh = med["whoosh-fr"]
    for e in engines:
        m = med[e]
        print(
            f"{e} | {m['size_mb']:.1f} | {m['size_mb'] / wh['size_mb']:.2f} | "
            f"{mb / m['build_s']:.2f} | {wh['build_s'] / m['build_s']:.2f} | {m['cpu_s']:.0f} | "
            f"{max(x['peak_mb'] for x in runs[e]):.0f}"
        )


if __name__ == "__main__":
    main()
