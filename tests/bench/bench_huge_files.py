"""Memory and time of indexing one huge file, and of showing it highlighted.

    .venv/bin/python tests/bench/bench_huge_files.py [--sizes 10 50 99] [--html-mb 95]

For each size (in MB, 10^6 bytes) it writes one French text file made of the bundled
articles' paragraphs repeated (each copy numbered, so that the words are not all the
same), then one HTML file of about ``--html-mb`` MB made the same way. Each file is
indexed into a fresh index by the real command line (``seedsearch index FILE``), then
shown whole with ``seedsearch show DOC --highlight bitcoin`` (its output thrown away).
Printed for each command: wall time, the peak resident memory of its process tree
(sampled from /proc every 20 ms) and the peak resident size of its biggest process
(the kernel's ru_maxrss, which sampling cannot miss).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from seedsearch.documents import bundled_corpus

SEEDSEARCH = str(Path(sys.executable).with_name("seedsearch"))
PAGE = os.sysconf("SC_PAGE_SIZE")


def paragraphs() -> list[str]:
    out = []
    for path in sorted(bundled_corpus().glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        out += [p.strip() for p in text.split("\n\n") if len(p.strip()) > 80]
    return out


def make_text(path: Path, size: int) -> None:
    paras = paragraphs()
    written, n = 0, 0
    with open(path, "w", encoding="utf-8") as fh:
        while written < size:
            chunk = f"{paras[n % len(paras)]} (copie {n // len(paras)})\n\n"
            fh.write(chunk)
            written += len(chunk.encode("utf-8"))
            n += 1


def make_html(path: Path, size: int) -> None:
    paras = paragraphs()
    written, n = 0, 0
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("<!DOCTYPE html><html lang='fr'><head><meta charset='utf-8'>")
        fh.write("<title>Un très long article</title></head><body><article>\n")
        while written < size:
            chunk = f"<p>{paras[n % len(paras)]} <em>(copie {n // len(paras)})</em></p>\n"
            if n % 20 == 0:
                chunk = f"<h2>Partie {n // 20}</h2>\n" + chunk
            fh.write(chunk)
            written += len(chunk.encode("utf-8"))
            n += 1
        fh.write("</article></body></html>\n")


def tree_rss(root: int) -> int:
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry)] = int(fields[1])
        rss[int(entry)] = int(fields[21]) * PAGE
    tree, frontier = {root}, [root]
    while frontier:
        pid = frontier.pop()
        for child, parent in parents.items():
            if parent == pid and child not in tree:
                tree.add(child)
                frontier.append(child)
    return sum(rss.get(pid, 0) for pid in tree)


def measure(args: list[str]) -> tuple[float, int, int, str]:
    """(seconds, peak tree RSS, ru_maxrss in bytes, stdout) of a command."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.PIPE)
        peak = 0
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, tree_rss(proc.pid))
                done.wait(0.02)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        done.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
        err = proc.stderr.read().decode() if proc.stderr else ""
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(args)} failed ({proc.returncode}): {err[-500:]}")
        out.seek(0)
        head = out.read(1_000_000).decode("utf-8", "replace")
    return seconds, peak, usage.ru_maxrss * 1024, head


def run(label: str, path: Path, work: Path) -> None:
    index = work / f"index-{label}"
    shutil.rmtree(index, ignore_errors=True)
    mb = path.stat().st_size / 1e6
    t, peak, maxrss, _ = measure([SEEDSEARCH, "--index", str(index), "index", str(path)])
    print(
        f"| index {label} | {mb:.0f} | {t:.1f} | {peak / 2**20:.0f} | {maxrss / 2**20:.0f} |",
        flush=True,
    )
    _, _, _, out = measure([SEEDSEARCH, "--index", str(index), "search", "bitcoin", "--json"])
    hits = json.loads(out)["hits"]
    if not hits:  # skipped (a reader's own limit): nothing to show
        print(f"| show --highlight {label} | {mb:.0f} | not indexed | | |", flush=True)
        return
    doc = hits[0]["doc_id"]
    t, peak, maxrss, _ = measure(
        [SEEDSEARCH, "--index", str(index), "show", doc, "--highlight", "bitcoin"]
    )
    print(
        f"| show --highlight {label} | {mb:.0f} | {t:.1f} | {peak / 2**20:.0f} "
        f"| {maxrss / 2**20:.0f} |",
        flush=True,
    )
    shutil.rmtree(index, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 50, 99])
    parser.add_argument("--html-mb", type=int, default=95, help="0 for no HTML file")
    parser.add_argument("--work", default=None, help="folder for the files and indexes")
    args = parser.parse_args()
    work = Path(args.work or tempfile.mkdtemp(prefix="seedsearch-huge-"))
    work.mkdir(parents=True, exist_ok=True)
    print("| command | MB | s | peak tree MiB | max process MiB |")
    print("|---|---:|---:|---:|---:|")
    try:
        for size in args.sizes:
            path = work / f"article-{size}mb.txt"
            make_text(path, size * 1_000_000)
            run(f"text {size} MB", path, work)
            path.unlink()
        if args.html_mb:
            path = work / f"article-{args.html_mb}mb.html"
            make_html(path, args.html_mb * 1_000_000)
            run(f"HTML {args.html_mb} MB", path, work)
            path.unlink()
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
