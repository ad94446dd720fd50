"""Watch mode: time from a file being saved to being searchable, and the watcher's idle CPU.

    python tests/bench/bench_watch.py [--corpus DIR] [--rounds 15] [--idle 10]

Copies the corpus (default /tmp/corpus-fr, else 2,000 generated articles) into a temporary
folder, indexes it, and starts a real `seedsearch index --watch` on it. Then, each round,
saves a file (a new one, or an existing one with a new sentence) holding a word found
nowhere else, and polls the index in this process (a search every 10 ms) until the word
is found: the time from the write to the first hit. Prints the median and the worst, for
new and for modified files, then the watcher's CPU time over --idle seconds with no change
(from /proc/PID/stat). The copy is deleted at the end; the corpus itself is not touched.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from seedsearch.store import Index

SEEDSEARCH = str(Path(sys.executable).with_name("seedsearch"))
CLOCK = os.sysconf("SC_CLK_TCK")


def generated(root: Path, n: int = 2000) -> None:
    words = ["énergie", "réseau", "barrage", "minage", "éolienne", "soleil", "électricité"]
    for i in range(n):
        body = " ".join(words[(i * 7 + k) % len(words)] for k in range(200))
        folder = root / f"d{i % 20:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"article-{i:05d}.txt").write_text(f"Article {i}\n\n{body}.\n")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK  # utime + stime


def until_found(index: Index, word: str, limit: float = 60.0) -> float:
    start = time.perf_counter()
    while index.search(word).total == 0:
        if time.perf_counter() - start > limit:
            raise SystemExit(f"{word!r} not searchable after {limit:.0f} s")
        time.sleep(0.01)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=Path("/tmp/corpus-fr"))
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--idle", type=float, default=10.0)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-watch-"))
    src, ix = work / "src", work / "ix"
    try:
        if args.corpus.is_dir():
            shutil.copytree(args.corpus, src)
            label = str(args.corpus)
        else:
            generated(src)
            label = "2,000 generated articles"
        files = sorted(p for p in src.rglob("*.txt"))
        started = time.perf_counter()
        subprocess.run(
            [SEEDSEARCH, "--index", str(ix), "index", str(src), "--jobs", str(args.jobs)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        print(
            f"corpus: {label}, {len(files)} .txt files; indexed in "
            f"{time.perf_counter() - started:.1f} s"
        )
        proc = subprocess.Popen(
            [SEEDSEARCH, "--index", str(ix), "index", "--watch"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert proc.stderr is not None
        started = time.perf_counter()
        line = proc.stderr.readline()
        if "watching" not in line:
            raise SystemExit(f"the watcher did not start: {line}")
        print(f"watch ready {time.perf_counter() - started:.1f} s after start")
        with Index(ix) as index:
            added, modified = [], []
            for i in range(args.rounds):
                word = f"zqxbenchnouveau{i:03d}"
                (src / f"bench-new-{i}.txt").write_text(f"Un article neuf.\n\nLe mot {word}.\n")
                added.append(until_found(index, word))
                word = f"zqxbenchmodif{i:03d}"
                target = files[(i * 997) % len(files)]
                with open(target, "a", encoding="utf-8") as fh:
                    fh.write(f"\nUne phrase ajoutée : {word}.\n")
                modified.append(until_found(index, word))
                time.sleep(0.2)
        for name, times in (("new file", added), ("modified file", modified)):
            print(
                f"save → searchable, {name}: median {statistics.median(times) * 1000:.0f} ms, "
                f"worst {max(times) * 1000:.0f} ms ({len(times)} rounds)"
            )
        time.sleep(2.0)  # the last batch is done
        before = cpu_seconds(proc.pid)
        time.sleep(args.idle)
        used = cpu_seconds(proc.pid) - before
        print(
            f"idle watcher: {used:.2f} s of CPU in {args.idle:.0f} s "
            f"({100 * used / args.idle:.1f}% of one core)"
        )
        proc.send_signal(2)
        proc.communicate(timeout=30)
        print(f"stopped on SIGINT: exit {proc.returncode}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
