"""seedsearch and plain Whoosh with a French chain, timed query by query in one process.

    python tests/bench/bench_interleaved.py CORPUS_DIR SEEDSEARCH_INDEX [--work DIR]
        [--rounds N] [--baseline SRC_DIR]

The shared kit's 300 keyword and 20 phrase queries (``../shared/bench/peers.py``, same
generator and seed) run against both engines in the same process, alternating engines
query by query and round by round (which one goes first flips every query), so that a
machine whose speed drifts slows both alike. Prints p50 and p95 per engine and kind, and
the ratios the performance targets are stated in. seedsearch returns the top 10 articles
with their best passages, highlighted snippets and an exact total; whoosh-fr returns 10
titles (the kit's own search).

``--baseline SRC_DIR`` (the ``src`` folder of another checkout of seedsearch) adds a third
engine, ``baseline``: that code, in a worker process fed one query at a time (it times
itself, so the pipe is not counted), in the same rotation. Its answers are compared with
this code's: the totals and the top 10 article ids of every query; differences are listed.
``--baseline-index DIR`` gives it an index of its own (one its layout can read).

``--judged FILE`` (``../shared/relevance/bench_judgments.json``) adds the judged queries as
people typed them (hyphenated and slash-joined words, apostrophes, long index entries): a
third kind, ``judged``, timed for seedsearch and the baseline (whoosh-fr's query parser
would read their punctuation otherwise), with their answers compared too. With
``--typos``, each judged query holding a word of 9 letters or more comes again with two
neighbouring letters of one such word swapped: a fourth kind, ``typo``, timed the same way
(a correction of a long word looks two edits away).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_peers import load_peers

from seedsearch.store import Index

WORKER = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
from seedsearch.store import Index
ix = Index(sys.argv[2])
for line in sys.stdin:
    started = time.perf_counter()
    r = ix.search(json.loads(line))
    ms = 1000 * (time.perf_counter() - started)
    ids = []
    for h in r.hits:
        if h.doc_id not in ids:
            ids.append(h.doc_id)
    print(json.dumps([ms, r.total, ids]), flush=True)
"""


class Baseline:
    """Another checkout's seedsearch in a worker process."""

    def __init__(self, src: str, index: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", WORKER, src, index],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def search(self, query: str) -> tuple[float, int, list[str]]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(query) + "\n")
        self.proc.stdin.flush()
        ms, total, ids = json.loads(self.proc.stdout.readline())
        return float(ms), int(total), list(ids)

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait()


def swapped(queries: Iterable[str]) -> list[str]:
    """Each query holding a word of 9 letters or more, with two neighbouring letters of
    one of them swapped (two edits away: what a correction of a long word looks for)."""
    rng = random.Random(3)
    out = []
    for query in queries:
        words = query.split()
        long = [i for i, w in enumerate(words) if len(w) >= 9 and w.isalpha()]
        if not long:
            continue
        i = rng.choice(long)
        word, j = words[i], rng.randrange(1, len(words[i]) - 2)
        words[i] = word[:j] + word[j + 1] + word[j] + word[j + 2 :]
        out.append(" ".join(words))
    return out


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def top_ids(result: Any) -> list[str]:
    ids: list[str] = []
    for h in result.hits:
        if h.doc_id not in ids:
            ids.append(h.doc_id)
    return ids


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("corpus")
    ap.add_argument("index", help="a seedsearch index of the corpus")
    ap.add_argument("--work", default="/tmp/bench-interleaved", help="where whoosh-fr's index goes")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--baseline", help="the src folder of another seedsearch checkout")
    ap.add_argument(
        "--baseline-index", help="the baseline's own index of the corpus (default: INDEX)"
    )
    ap.add_argument("--judged", help="a judgments file whose queries to time too")
    ap.add_argument(
        "--typos",
        action="store_true",
        help="with --judged, also each judged query with two letters of a long word swapped",
    )
    args = ap.parse_args()
    # A loaded machine must not stop a query half way (the worker inherits it).
    os.environ.setdefault("SEEDSEARCH_QUERY_SECONDS", "60")

    peers = load_peers()
    docs = peers.load_corpus(args.corpus)
    keyword, phrase = peers.make_queries(docs)
    judged: list[dict[str, Any]] = []
    if args.judged:
        items = json.loads(Path(args.judged).read_text(encoding="utf-8"))
        judged = [{"text": item["query"]} for item in items]
        if args.typos:
            judged += [{"text": text, "typo": True} for text in swapped(j["text"] for j in judged)]
    whoosh = peers.WhooshFr()
    path = Path(args.work) / "whoosh-fr"
    if not (path / "_MAIN_1.toc").exists() and not any(path.glob("*.toc")):
        started = time.perf_counter()
        whoosh.build(docs, str(path))
        print(f"built whoosh-fr in {time.perf_counter() - started:.1f} s", flush=True)
    handle = whoosh.open(str(path))
    ix = Index(args.index)
    base = Baseline(args.baseline, args.baseline_index or args.index) if args.baseline else None

    def text_of(q: dict[str, Any]) -> str:
        if "text" in q:
            return str(q["text"])
        text = " ".join(q["words"])
        return f'"{text}"' if q["phrase"] else text

    def kind_of(q: dict[str, Any]) -> str:
        if "text" in q:
            return "typo" if q.get("typo") else "judged"
        return "phrase" if q["phrase"] else "keyword"

    differ: list[str] = []
    for q in keyword + phrase + judged:  # warm every engine: caches, dictionaries, imports
        if "text" not in q:
            whoosh.search(handle, q)
        ours = ix.search(text_of(q))
        if base is not None:
            _, total, ids = base.search(text_of(q))
            if (total, ids) != (ours.total, top_ids(ours)):
                differ.append(
                    f"{text_of(q)!r}: total {total} → {ours.total}, top 10 {ids} → {top_ids(ours)}"
                )
    engines = ["seedsearch", "whoosh-fr"] + (["baseline"] if base is not None else [])
    times: dict[tuple[str, str], list[float]] = {}
    for r in range(args.rounds):
        for i, q in enumerate(keyword + phrase + judged):
            kind = kind_of(q)
            shift = (i + r) % len(engines)
            for engine in engines[shift:] + engines[:shift]:
                if engine == "whoosh-fr" and kind in ("judged", "typo"):
                    continue
                started = time.perf_counter()
                if engine == "whoosh-fr":
                    whoosh.search(handle, q)
                elif engine == "baseline":
                    assert base is not None
                    ms = base.search(text_of(q))[0]
                else:
                    ix.search(text_of(q))
                if engine != "baseline":
                    ms = 1000 * (time.perf_counter() - started)
                times.setdefault((engine, kind), []).append(ms)
    if base is not None:
        base.close()

    print(
        f"{len(keyword)} keyword and {len(phrase)} phrase queries"
        + (f" and {sum(kind_of(q) == 'judged' for q in judged)} judged ones" if judged else "")
        + (f" and {sum(kind_of(q) == 'typo' for q in judged)} typos" if args.typos else "")
        + f", {args.rounds} rounds, interleaved"
    )
    print(
        f"{'engine':12s} {'kind':8s} {'p50 ms':>8s} {'p95 ms':>8s} {'p99 ms':>8s} "
        f"{'max ms':>8s} {'mean ms':>8s}"
    )
    for (engine, kind), values in sorted(times.items()):
        print(
            f"{engine:12s} {kind:8s} {statistics.median(values):8.2f} "
            f"{percentile(values, 95):8.2f} {percentile(values, 99):8.2f} {max(values):8.2f} "
            f"{statistics.fmean(values):8.2f}"
        )
    for other in engines[1:]:
        for kind in ("keyword", "phrase", "judged", "typo"):
            if (other, kind) not in times or ("seedsearch", kind) not in times:
                continue
            ours, theirs = times[("seedsearch", kind)], times[(other, kind)]
            p50 = statistics.median(ours) / statistics.median(theirs)
            p95 = percentile(ours, 95) / percentile(theirs, 95)
            print(f"{kind}: seedsearch / {other} p50 {p50:.2f}×, p95 {p95:.2f}×")
    if base is not None:
        print(f"answers differing from the baseline's (total or top 10 ids): {len(differ)}")
        for line in differ:
            print("  " + line)


if __name__ == "__main__":
    main()
