"""Ranking quality, pinned so that it cannot drift unseen.

The public judgments (20 queries, passage-level) run on the bundled articles every time.
The bench judgments (350 real queries in two spellings, document-level) run on the French
bench corpus when ``SEEDSEARCH_BENCH_CORPUS`` names it (``../shared/bench/make_corpus.sh``
builds it; ``.ci/run`` does); without it they are skipped. Their floors are the figures
measured when the ranking last changed, less a margin for ties broken differently.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import JUDGMENTS, SHARED
from seedsearch.evaluation import Judgment, evaluate, load_judgments
from seedsearch.evaluation_docs import DocJudgment, evaluate_documents
from seedsearch.index import update_index
from seedsearch.store import Index

BENCH_JUDGMENTS = SHARED / "relevance" / "bench_judgments.json"
# (source, MRR@10 floor) for each spelling variant; "all" is every source together.
MRR_FLOORS = {"all": 0.80, "gimp-index": 0.83, "libreoffice-index": 0.65, "man-name": 0.99}
P1_FLOOR = 0.75
RECALL_FLOOR = 0.91


def test_public_judgments_put_a_relevant_passage_first_for_every_query(
    seed_index: Index,
) -> None:
    judgments = [j for j in load_judgments(JUDGMENTS) if isinstance(j, Judgment)]
    report = evaluate(seed_index, judgments)
    assert len(report.queries) == 20
    assert report.p_at_1 == 1.0, [q.query for q in report.queries if not q.p_at_1]


@pytest.fixture(scope="module")
def bench_index(tmp_path_factory: pytest.TempPathFactory) -> tuple[Index, str]:
    corpus = os.environ.get("SEEDSEARCH_BENCH_CORPUS", "")
    if not corpus or not (Path(corpus) / "MANIFEST.tsv").is_file():
        pytest.skip("SEEDSEARCH_BENCH_CORPUS does not name a bench corpus")
    index_dir = tmp_path_factory.mktemp("bench") / "index"
    update_index(index_dir, [Path(corpus)], jobs=2)
    ix = Index(index_dir)
    yield ix, corpus
    ix.close()


@pytest.mark.bench
@pytest.mark.parametrize("variant", ["exact", "folded"])
def test_bench_judgments_stay_above_their_floors(
    bench_index: tuple[Index, str], variant: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Relevance, not speed, is measured here: a busy machine must not stop a query.
    monkeypatch.setenv("SEEDSEARCH_QUERY_SECONDS", "60")
    ix, corpus = bench_index
    judgments = [j for j in load_judgments(BENCH_JUDGMENTS) if isinstance(j, DocJudgment)]
    chosen = [j for j in judgments if j.variant == variant]
    assert len(chosen) == 350
    report = evaluate_documents(ix, chosen, corpus)
    figures = {source: report.figures(source, variant) for source in MRR_FLOORS}
    print({s: round(f.mrr_at_10, 3) for s, f in figures.items()})
    for source, floor in MRR_FLOORS.items():
        assert figures[source].mrr_at_10 >= floor, (source, figures[source])
    assert figures["all"].p_at_1 >= P1_FLOOR and figures["all"].recall_at_10 >= RECALL_FLOOR
