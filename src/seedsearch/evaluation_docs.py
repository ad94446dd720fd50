"""Ranking quality against document-level judgments, by source and by variant.

A judgments file is a JSON list of ``{"query", "relevant", "source", "variant", "groups"}``
(the format of the French bench judgments): ``relevant`` lists corpus-relative paths;
``groups`` (optional) gathers paths that are one relevant unit (a long page split into
sections), so a hit on any of them counts once. The top 10 distinct documents of each
query are scored: P@1, MRR@10, Recall@10 and nDCG@10 with binary gains, the figures of
the bench's own scoring script.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import JudgmentsError

if TYPE_CHECKING:
    from .store import Index

DEPTH = 10
ALL = "all"


@dataclass(frozen=True)
class DocJudgment:
    query: str
    source: str
    variant: str
    groups: tuple[frozenset[str], ...]

    @property
    def relevant(self) -> frozenset[str]:
        return frozenset().union(*self.groups)


@dataclass(frozen=True)
class DocQueryScore:
    query: str
    source: str
    variant: str
    ranked: tuple[str, ...]  # corpus-relative paths, best first
    p_at_1: float
    reciprocal_rank: float
    recall: float
    ndcg: float


@dataclass(frozen=True)
class Figures:
    queries: int
    p_at_1: float
    mrr_at_10: float
    recall_at_10: float
    ndcg_at_10: float


@dataclass(frozen=True)
class DocEvalReport:
    queries: tuple[DocQueryScore, ...]

    def figures(self, source: str = ALL, variant: str = ALL) -> Figures:
        rows = [
            q for q in self.queries if source in (ALL, q.source) and variant in (ALL, q.variant)
        ]
        n = len(rows) or 1
        return Figures(
            queries=len(rows),
            p_at_1=sum(q.p_at_1 for q in rows) / n,
            mrr_at_10=sum(q.reciprocal_rank for q in rows) / n,
            recall_at_10=sum(q.recall for q in rows) / n,
            ndcg_at_10=sum(q.ndcg for q in rows) / n,
        )

    @property
    def sources(self) -> list[str]:
        return sorted({q.source for q in self.queries})

    @property
    def variants(self) -> list[str]:
        return sorted({q.variant for q in self.queries}, key=lambda v: (v != "exact", v))

    @property
    def misses(self) -> tuple[DocQueryScore, ...]:
        return tuple(q for q in self.queries if not q.p_at_1)

    def to_dict(self) -> dict[str, Any]:
        table = []
        for variant in [*self.variants, ALL]:
            for source in [*self.sources, ALL]:
                f = self.figures(source, variant)
                if f.queries:
                    table.append({"variant": variant, "source": source, **f.__dict__})
        return {"figures": table, "per_query": [q.__dict__ for q in self.queries]}


def is_document_judgments(data: Any) -> bool:
    return isinstance(data, list)


def parse_doc_judgments(data: list[Any], path: str) -> list[DocJudgment]:
    out = []
    for i, entry in enumerate(data):
        if not isinstance(entry, dict):
            raise JudgmentsError(f"{path}: entry #{i + 1} is not an object")
        query, relevant = entry.get("query"), entry.get("relevant")
        if (
            not isinstance(query, str)
            or not isinstance(relevant, list)
            or not relevant
            or not all(isinstance(p, str) for p in relevant)
        ):
            raise JudgmentsError(
                f'{path}: entry #{i + 1} needs a "query" string and a "relevant" list of paths'
            )
        groups = entry.get("groups") or [[p] for p in relevant]
        if not isinstance(groups, list) or not all(
            isinstance(g, list) and all(isinstance(p, str) for p in g) for g in groups
        ):
            raise JudgmentsError(f'{path}: entry #{i + 1} has malformed "groups"')
        out.append(
            DocJudgment(
                query=query,
                source=str(entry.get("source", "")) or "-",
                variant=str(entry.get("variant", "")) or "exact",
                groups=tuple(frozenset(g) for g in groups),
            )
        )
    if not out:
        raise JudgmentsError(f"{path}: no judgments")
    return out


def score_ranking(ranked: Sequence[str], judgment: DocJudgment) -> DocQueryScore:
    """The figures for one query, from its ranked corpus-relative paths."""
    ranked = tuple(ranked[:DEPTH])
    relevant = judgment.relevant
    first = next((i for i, p in enumerate(ranked) if p in relevant), None)
    seen: set[int] = set()
    dcg = 0.0
    for i, p in enumerate(ranked):
        for k, group in enumerate(judgment.groups):
            if p in group and k not in seen:  # a unit counts once, at its first hit
                seen.add(k)
                dcg += 1 / math.log2(i + 2)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(len(judgment.groups), DEPTH)))
    return DocQueryScore(
        query=judgment.query,
        source=judgment.source,
        variant=judgment.variant,
        ranked=ranked,
        p_at_1=1.0 if ranked and ranked[0] in relevant else 0.0,
        reciprocal_rank=0.0 if first is None else 1 / (first + 1),
        recall=len(seen) / len(judgment.groups),
        ndcg=dcg / ideal if ideal else 0.0,
    )


def corpus_root_of(index: Index) -> str:
    """The folder judged paths are relative to: the index's one source folder."""
    roots = index.stats().roots
    if len(roots) != 1:
        raise JudgmentsError(
            "document judgments need the corpus folder: the index has "
            f"{len(roots)} sources, name one with --corpus"
        )
    return roots[0]


def evaluate_documents(
    index: Index, judgments: Sequence[DocJudgment], corpus: str | None = None
) -> DocEvalReport:
    root = os.path.realpath(corpus or corpus_root_of(index))
    scores = []
    for j in judgments:
        ranked: list[str] = []
        for hit in index.search(j.query, limit=DEPTH).hits:
            rel = os.path.relpath(os.path.realpath(hit.path), root)
            if rel not in ranked:
                ranked.append(rel)
        scores.append(score_ranking(ranked, j))
    return DocEvalReport(tuple(scores))
