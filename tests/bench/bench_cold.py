"""A cold `seedsearch search` (a fresh process) against a one-shot SQLite FTS5 query.

    python tests/bench/bench_cold.py --index DIR --corpus /tmp/corpus-fr
        [--base-src SRC [--base-index DIR]]

Times, as fresh processes of this interpreter, in rounds whose order rotates (so the
machine's drift slows all alike): a `python -c` that opens an FTS5 database of the same
corpus (built into ``--work`` on first use, as the shared kit's peers.py builds it) and
prints the top 10 titles for the query; `seedsearch --index DIR search QUERY` of this
code (its console script); with ``--base-src``, the same command run from another
checkout's ``src`` (on ``--base-index`` when its layout differs); with
``--without-tables``, the same command with the index's tables file (see
``seedsearch.fold_tables``) deleted first, as after an index written by a version without
it (the search scans the index and writes the file again); with ``--floors``, what any
cold search on this machine pays: a bare ``python -c pass``, the import of the Whoosh
modules a search reads an index with, and Whoosh's import and opening of the index alone.
Prints the median wall time, its quartiles, the ratio to FTS5's median, and the median
CPU time (user + system) of the process, which other load on the machine disturbs less.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PEERS = REPO.parent / "shared" / "bench" / "peers.py"
# The console script's entry point (its fast path for a plain search line), or click's
# command group in a checkout that has none: the same start-up an installed copy has.
LAUNCH = (
    "import sys\n"
    "try:\n"
    "    from seedsearch.cli_entry import run\n"
    "except ImportError:\n"
    "    from seedsearch.cli import run\n"
    "sys.argv[0] = 'seedsearch'; sys.exit(run())"
)
UNLINK = "import os, sys; p = sys.argv.pop(1); os.path.exists(p) and os.remove(p); "
WHOOSH = (
    "import seedsearch, whoosh.index, whoosh.searching, whoosh.codec.whoosh3, whoosh.collectors"
)
# Any reader of a Whoosh index does this much: import Whoosh's index module (its schema's
# classes come with it) and open the index's table of contents.
WHOOSH_OPEN = "import sys, whoosh.index; whoosh.index.open_dir(sys.argv[1], indexname='MAIN')"
FTS5 = """import sqlite3, sys
con = sqlite3.connect(sys.argv[1])
rows = con.execute(
    "SELECT d.title FROM (SELECT rowid, rank FROM fts WHERE fts MATCH ? ORDER BY rank "
    "LIMIT 10) r JOIN docs d ON d.id = r.rowid ORDER BY r.rank",
    ('"' + sys.argv[2] + '"',),
).fetchall()
for i, (title,) in enumerate(rows, 1):
    print(f"{i:2d}. {title}")
"""


def build_fts5(corpus: Path, db: Path, peers: Path) -> None:
    spec = importlib.util.spec_from_file_location("peers", peers)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    db.parent.mkdir(parents=True, exist_ok=True)
    module.SqliteFts5().build(module.load_corpus(str(corpus)), str(db))


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall and CPU seconds of one run of ``cmd``."""
    cpu = _children_cpu()
    started = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True)
    took = time.perf_counter() - started
    if done.returncode not in (0, 1) or b"Traceback" in done.stderr:  # 1: no article matched
        raise SystemExit(f"{cmd[:3]} exited {done.returncode}: {done.stderr[-400:]!r}")
    return took, _children_cpu() - cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", required=True, type=Path)
    ap.add_argument("--corpus", type=Path, default=Path("/tmp/corpus-fr"))
    ap.add_argument("--base-src", type=Path, help="src/ of another checkout to compare")
    ap.add_argument(
        "--base-index", type=Path, help="the index --base-src searches (default: --index)"
    )
    ap.add_argument("--work", type=Path, default=Path("/tmp/seedsearch-bench-cold"))
    ap.add_argument("--peers", type=Path, default=PEERS)
    ap.add_argument("--query", default="énergie")
    ap.add_argument("--runs", type=int, default=40)
    ap.add_argument("--floors", action="store_true", help="also time python and Whoosh alone")
    ap.add_argument(
        "--without-tables", action="store_true", help="also time it with no tables file"
    )
    args = ap.parse_args()

    db = args.work / "fts5.db"
    if not db.exists():
        print("building the FTS5 database once (kept in --work)...", flush=True)
        build_fts5(args.corpus, db, args.peers)
    exe = str(Path(sys.executable).with_name("seedsearch"))
    commands: dict[str, tuple[list[str], dict[str, str] | None]] = {
        "sqlite-fts5": ([sys.executable, "-c", FTS5, str(db), args.query], None),
        "seedsearch": ([exe, "--index", str(args.index), "search", args.query], None),
    }
    if args.base_src:
        env = {**os.environ, "PYTHONPATH": str(args.base_src.resolve())}
        base_index = args.base_index or args.index
        cmd = [sys.executable, "-c", LAUNCH, "--index", str(base_index), "search", args.query]
        commands["seedsearch (base)"] = (cmd, env)
    if args.without_tables:
        from seedsearch.fold_tables import TABLES_FILE

        tables = str(args.index / TABLES_FILE)
        cmd = [sys.executable, "-c", UNLINK + LAUNCH, tables, "--index", str(args.index)]
        commands["seedsearch (no tables)"] = ([*cmd, "search", args.query], None)
    if args.floors:
        commands["python -c pass"] = ([sys.executable, "-c", "pass"], None)
        commands["whoosh imports"] = ([sys.executable, "-c", WHOOSH], None)
        commands["whoosh opens index"] = (
            [sys.executable, "-c", WHOOSH_OPEN, str(args.index)],
            None,
        )
    # Byte-compiled, as a regular install leaves them (PYTHONDONTWRITEBYTECODE or a
    # read-only checkout would otherwise compile every module in every run).
    for src in [REPO / "src", *([args.base_src] if args.base_src else [])]:
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(src)], check=True)
    names = list(commands)
    for name in names:  # warm-up: byte-compiled modules and the page cache
        run(*commands[name])
    times: dict[str, list[float]] = {name: [] for name in names}
    cpu: dict[str, list[float]] = {name: [] for name in names}
    for r in range(args.runs):
        shift = r % len(names)
        for name in names[shift:] + names[:shift]:
            wall, used = run(*commands[name])
            times[name].append(wall)
            cpu[name].append(used)

    base = statistics.median(times["sqlite-fts5"])
    print(f"cold '{args.query}', {args.runs} runs each, interleaved; ms")
    print(f"{'command':<20} {'wall':>8} {'q1':>8} {'q3':>8} {'× fts5':>8} {'cpu':>8}")
    for name in names:
        q1, med, q3 = statistics.quantiles(times[name], n=4)
        used = statistics.median(cpu[name]) * 1e3
        print(
            f"{name:<20} {med * 1e3:>8.1f} {q1 * 1e3:>8.1f} {q3 * 1e3:>8.1f} "
            f"{med / base:>8.2f} {used:>8.1f}"
        )


if __name__ == "__main__":
    main()
