"""Similar articles and synonyms on the bench corpus: prints figures, asserts nothing.

    .venv/bin/python tests/bench/bench_explore.py INDEX [JUDGMENTS]

- similar: for 20 random LibreOffice help pages (seed 12), the share of their 5 similar
  articles that are LibreOffice pages too, and the time per call (median, max);
- synonyms: with JUDGMENTS (the bench's document judgments), the queries whose answer
  searched synonyms too, and what it added.
"""

from __future__ import annotations

import json
import random
import statistics
import sys
import time

from seedsearch.schema import heads
from seedsearch.store import Index


def similar_figures(index: Index) -> None:
    searcher = index.searcher()
    pages = sorted(
        f["doc_id"]
        for f in (searcher.stored_fields(d) for d in heads(searcher))
        if "/libreoffice/" in str(f.get("path", ""))
    )
    chosen = random.Random(12).sample(pages, 20)
    same = total = 0
    took = []
    for doc_id in chosen:
        started = time.perf_counter()
        result = index.similar(doc_id, limit=5)
        took.append(time.perf_counter() - started)
        total += len(result.articles)
        same += sum("/libreoffice/" in a.path for a in result.articles)
        print(f"{result.title[:60]!r}: {[a.title[:30] for a in result.articles[:3]]}")
    print(f"similar: {same}/{total} LibreOffice ({same / max(1, total):.0%}) for 20 pages")
    print(
        f"similar: median {statistics.median(took) * 1000:.0f} ms, "
        f"max {max(took) * 1000:.0f} ms per call"
    )


def synonym_figures(index: Index, judgments: str) -> None:
    with open(judgments, encoding="utf-8") as f:
        queries = sorted({q["query"] for q in json.load(f)})
    fired = 0
    for q in queries:
        result = index.search(q, limit=10)
        if result.also_searched:
            fired += 1
            print(f"synonyms: {q!r} also searched {', '.join(result.also_searched)}")
    print(f"synonyms: {fired} of {len(queries)} distinct queries")


if __name__ == "__main__":
    with Index(sys.argv[1]) as ix:
        similar_figures(ix)
        if len(sys.argv) > 2:
            synonym_figures(ix, sys.argv[2])
