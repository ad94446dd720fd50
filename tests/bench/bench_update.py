"""Updating an index whose files did not change (or one did): this code against another.

    python tests/bench/bench_update.py --corpus /tmp/corpus-fr --base-src /tmp/base/src

Copies the corpus into ``--work``, has each code index it once (kept for later runs: delete
``--work`` when a code changes), gives each code a fresh copy of its index, then times the
real command, ``seedsearch index`` (a bare update of every source), process start
included, old and new alternating run by run (who goes first flips each round) so that the
machine's drift slows both alike: with no change, with ``--jobs 2``, and after appending a
line to one file. Prints medians and ratios.
``--base-src`` is the ``src`` folder of the code to compare with (a checkout of main).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LAUNCH = "import sys; from seedsearch.cli import run; sys.argv[0] = 'seedsearch'; sys.exit(run())"


def command(src: Path, index: Path, *args: str) -> tuple[list[str], dict[str, str]]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    return [sys.executable, "-c", LAUNCH, "--index", str(index), "index", *args], env


def timed(src: Path, index: Path, *args: str) -> float:
    cmd, env = command(src, index, *args)
    started = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    took = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {done.stderr[-400:]}")
    return took


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=Path("/tmp/corpus-fr"))
    ap.add_argument("--base-src", type=Path, required=True, help="src/ of the code to compare")
    ap.add_argument("--work", type=Path, default=Path("/tmp/seedsearch-bench-update"))
    ap.add_argument("--rounds", type=int, default=9)
    args = ap.parse_args()

    new_src = REPO / "src"
    corpus = args.work / "corpus"
    if not corpus.exists():
        shutil.rmtree(args.work, ignore_errors=True)
        shutil.copytree(args.corpus, corpus)
    codes = {"old": args.base_src.resolve(), "new": new_src}
    for src in codes.values():  # byte-compiled, as a regular install leaves them
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(src)], check=True)
    indexes = {}
    for name, src in codes.items():
        # Each code indexes the corpus once with its own layout (the two may differ); the
        # index is kept in --work for later runs (delete --work when a code changes).
        built = args.work / f"built-{name}"
        if not built.exists():
            print(f"indexing the corpus once with the {name} code...", flush=True)
            cmd, env = command(src, built, str(corpus), "--jobs", "2")
            subprocess.run(cmd, env=env, check=True, capture_output=True)
        indexes[name] = args.work / f"index-{name}"
        shutil.rmtree(indexes[name], ignore_errors=True)
        shutil.copytree(built, indexes[name])
    changed = sorted(corpus.rglob("*.txt"))[len(list(corpus.rglob("*.txt"))) // 2]
    original = changed.read_bytes()

    cases: dict[str, tuple[str, ...]] = {"no change": (), "no change, --jobs 2": ("--jobs", "2")}
    times: dict[tuple[str, str], list[float]] = {}
    try:
        for name in codes:  # warm-up: byte-compiled modules, the page cache, each record
            timed(codes[name], indexes[name])
        for r in range(args.rounds):
            order = list(codes) if r % 2 == 0 else list(reversed(codes))
            for case, extra in cases.items():
                for name in order:
                    times.setdefault((case, name), []).append(
                        timed(codes[name], indexes[name], *extra)
                    )
            # One file changed: each code's index sees the same change.
            with changed.open("ab") as fh:
                fh.write(f"\nUne phrase ajoutée, tour {r}.\n".encode())
            for name in order:
                times.setdefault(("one file changed", name), []).append(
                    timed(codes[name], indexes[name])
                )
    finally:
        changed.write_bytes(original)

    print(f"{args.rounds} rounds, {sum(1 for _ in corpus.rglob('*.txt'))} files; median wall s")
    print(f"{'case':<22} {'old':>8} {'new':>8} {'old/new':>8}")
    for case in [*cases, "one file changed"]:
        old = statistics.median(times[(case, "old")])
        new = statistics.median(times[(case, "new")])
        print(f"{case:<22} {old:>8.3f} {new:>8.3f} {old / new:>7.1f}×")


if __name__ == "__main__":
    main()
