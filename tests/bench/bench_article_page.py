"""Time to render and bytes sent for the article page of a long article, on a real server.

    python tests/bench/bench_article_page.py --index DIR            # its largest article
    python tests/bench/bench_article_page.py --generate-mb 12       # a generated article

Starts `seedsearch serve` on a free 127.0.0.1 port and asks, `--runs` times each, for the
article page as a search result links to it (`?q=WORD&p=N`, N mid-article), its first
window, the next window as a fragment, a window of the JSON API, and the whole article
(`all=1`, what the page sent before it was windowed). Prints the median server time
(request to last byte) and the bytes sent. With Chromium at /usr/bin/chromium, also the
time from navigation to the `load` event of the linked page and of the whole one.
"""

from __future__ import annotations

import argparse
import http.client
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from urllib.parse import quote, urlencode

CHROMIUM = Path("/usr/bin/chromium")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def generate(folder: Path, megabytes: float) -> None:
    rng = random.Random(7)
    words = [
        "minage",
        "bitcoin",
        "énergie",
        "centre",
        "données",
        "calcul",
        "réseau",
        "électricité",
        "serveur",
    ]
    paragraphs = []
    size = 0
    while size < megabytes * 1_000_000:
        p = " ".join(rng.choice(words) for _ in range(40)) + "."
        paragraphs.append(p)
        size += len(p.encode()) + 2
    folder.mkdir(parents=True)
    (folder / "long.txt").write_text("Un très long article\n\n" + "\n\n".join(paragraphs))


def largest(index_dir: Path) -> tuple[str, int, int, str]:
    """(doc id, size in characters, passages, a frequent word) of the largest article."""
    from seedsearch.store import Index

    sizes: Counter[str] = Counter()
    with Index(index_dir) as ix:
        s = ix.searcher()
        for docnum in s.document_numbers(kind="article"):
            f = s.stored_fields(docnum)
            sizes[f["doc_id"]] += len(f.get("article", ""))
        doc_id, size = sizes.most_common(1)[0]
        window = ix.window(doc_id, 0, 200)
    words = Counter(w.strip(".,;:()«»\"'").lower() for p in window.passages for w in p.text.split())
    word = next(w for w, _ in words.most_common() if len(w) >= 6 and w.isalpha())
    return doc_id, size, window.passage_count, word


def fetch(port: int, path: str) -> tuple[float, int, int]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    started = time.perf_counter()
    conn.request("GET", path)
    response = conn.getresponse()
    body = response.read()
    elapsed = (time.perf_counter() - started) * 1000
    conn.close()
    return elapsed, len(body), response.status


def browser_load(port: int, paths: list[tuple[str, str]]) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        page = b.new_page()
        for label, path in paths:
            times = []
            for _ in range(3):
                started = time.perf_counter()
                page.goto(f"http://127.0.0.1:{port}{path}", wait_until="load", timeout=120_000)
                times.append((time.perf_counter() - started) * 1000)
            print(f"  chromium load  {label:<26} {statistics.median(times):9.1f} ms")
        b.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", type=Path)
    ap.add_argument("--generate-mb", type=float, default=None)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-article-") as tmp:
        index_dir = args.index
        if args.generate_mb or index_dir is None:
            from seedsearch.index import update_index

            generate(Path(tmp) / "corpus", args.generate_mb or 1.0)
            index_dir = Path(tmp) / "ix"
            update_index(index_dir, [Path(tmp) / "corpus"])
        doc_id, size, passages, word = largest(index_dir)
        print(f"article {doc_id}: {size / 1e6:.2f} M characters, {passages} passages")
        base = f"/doc/{quote(doc_id, safe='')}"
        mid = passages // 2
        paths = [
            ("linked passage (q, p)", f"{base}?{urlencode({'q': word, 'p': mid})}"),
            ("first window", base),
            ("next window (fragment)", f"{base}/passages?{urlencode({'q': word, 'from': mid})}"),
            ("API from/count=100", f"/api/docs/{quote(doc_id, safe='')}?from={mid}&count=100"),
            ("whole article (all=1)", f"{base}?{urlencode({'q': word, 'all': 1})}"),
        ]
        port = free_port()
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "seedsearch.cli",
                "--index",
                str(index_dir),
                "serve",
                "--port",
                str(port),
            ],
            stderr=subprocess.DEVNULL,
        )
        try:
            for _ in range(100):
                try:
                    fetch(port, "/healthz")
                    break
                except OSError:
                    time.sleep(0.1)
            print(f"query word {word!r}; median of {args.runs} runs, server time to last byte")
            for label, path in paths:
                fetch(port, path)  # warm: index opened, templates compiled
                runs = [fetch(port, path) for _ in range(args.runs)]
                assert all(status == 200 for _, _, status in runs), runs
                ms = statistics.median(r[0] for r in runs)
                print(f"  {label:<26} {ms:9.1f} ms {runs[0][1]:>12,} bytes")
            if CHROMIUM.exists():
                browser_load(port, [paths[0], paths[-1]])
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
