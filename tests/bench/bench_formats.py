"""Reading real folders: HTML and PDF indexing speed, coverage and title quality.

    python tests/bench/bench_formats.py [DEB_DIR] [--jobs N] [--limit N]

DEB_DIR (default /tmp/bench-corpus-src/deb) holds Debian's French documentation
unpacked (debian-handbook, gimp-help-fr, lilypond-doc-html-fr HTML and PDF manuals). The
script indexes its HTML files, then its PDF files, each into a fresh index, and prints
per format: files/s and MB/s of input, the share of files indexed (and the main skip
reasons), and the share of files whose title is neither empty nor shared with more than
10 other files. Then it indexes the same HTML pages as plain text (their text extracted
beforehand, outside the timing) to compare HTML's MB/s with plain text's. Peak memory is
that of the whole process tree (this process, its reader child and any workers),
sampled from /proc every 50 ms.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from seedsearch.documents import SourceFile, parse_file
from seedsearch.index import update_index
from seedsearch.store import Index
from seedsearch.titles import shown_title


class TreeMemory:
    """Peak resident memory of this process and all its descendants."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _tree_rss(self) -> int:
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
            rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        tree, frontier = {os.getpid()}, [os.getpid()]
        while frontier:
            pid = frontier.pop()
            for child, parent in parents.items():
                if parent == pid and child not in tree:
                    tree.add(child)
                    frontier.append(child)
        return sum(rss.get(pid, 0) for pid in tree)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._tree_rss())
            self._stop.wait(0.05)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def titles_ok(index_dir: Path) -> tuple[int, int]:
    """(files with a good title, files indexed): good = not empty, not shared by > 10."""
    by_path: dict[str, str] = {}
    with Index(index_dir) as ix:
        found = ix.templates(ix.searcher())  # the titles as shown (templates replaced)
        for fields in ix.searcher().all_stored_fields():
            if fields.get("kind") == "article" and fields.get("offset", 0) == 0:
                by_path.setdefault(fields["path"], shown_title(fields, found))
    counts = Counter(by_path.values())
    good = sum(1 for t in by_path.values() if t.strip() and counts[t] <= 11)
    return good, len(by_path)


def run(label: str, files: list[Path], work: Path, jobs: int) -> None:
    size = sum(f.stat().st_size for f in files) / 1e6
    index_dir = work / f"index-{label}"
    with TreeMemory() as memory:
        started = time.perf_counter()
        report = update_index(index_dir, [str(f) for f in files], jobs=jobs)
        seconds = time.perf_counter() - started
    skipped = Counter(s.reason.split(" (")[0] for s in report.skipped)
    good, indexed = titles_ok(index_dir)
    print(
        f"{label:>10}: {len(files):5d} files {size:7.1f} MB in {seconds:6.1f} s = "
        f"{len(files) / seconds:6.1f} files/s {size / seconds:5.2f} MB/s | "
        f"indexed {indexed}/{len(files)} ({100 * indexed / max(1, len(files)):.1f} %), "
        f"{report.documents} articles | good titles {good}/{indexed} "
        f"({100 * good / max(1, indexed):.1f} %) | peak tree memory {memory.peak / 2**20:.0f} MiB"
    )
    for reason, n in skipped.most_common(4):
        print(f"{'':>12}skipped {n}: {reason}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("deb_dir", nargs="?", default="/tmp/bench-corpus-src/deb")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--limit", type=int, default=0, help="at most N files per format")
    args = parser.parse_args()
    root = Path(args.deb_dir)
    found: dict[str, list[Path]] = {"html": [], "pdf": []}
    for path in sorted(root.rglob("*")):
        suffix = path.suffix.lower()
        if path.is_file() and not path.is_symlink():
            if suffix in (".html", ".htm", ".xhtml"):
                found["html"].append(path)
            elif suffix == ".pdf":
                found["pdf"].append(path)
    if args.limit:
        found = {k: v[: args.limit] for k, v in found.items()}
    with tempfile.TemporaryDirectory(prefix="bench-formats-") as tmp:
        work = Path(tmp)
        for label, files in found.items():
            run(label, files, work, args.jobs)
        # The same pages as plain text, extracted beforehand (not timed).
        text_dir = work / "as-text"
        text_dir.mkdir()
        texts = []
        for i, path in enumerate(found["html"]):
            try:
                docs, _ = parse_file(SourceFile(path, str(path)), path.read_bytes())
            except Exception:
                continue
            out = text_dir / f"{i:05d}.txt"
            out.write_text("\n\n".join(d.text for d in docs), encoding="utf-8")
            texts.append(out)
        run("html→text", texts, work, args.jobs)


if __name__ == "__main__":
    main()
