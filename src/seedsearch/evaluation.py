"""Ranking quality against relevance judgments: P@1, MRR@10, Success@3 and nDCG@10.

Document-level judgments are scored by :mod:`.evaluation_docs`. A passage-level
judgments file is ``{"queries": [{"q": "...", "spans": ["...", ...]}, ...]}``. A hit is
relevant when its passage text contains one of the query's spans, case-insensitively,
with runs of whitespace collapsed to one space.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from .errors import JudgmentsError
from .evaluation_docs import DocJudgment, is_document_judgments, parse_doc_judgments

if TYPE_CHECKING:
    from .store import Index

DEPTH = 10


@dataclass(frozen=True)
class Judgment:
    query: str
    spans: tuple[str, ...]


@dataclass(frozen=True)
class QueryScore:
    query: str
    first_relevant: int | None  # rank of the first relevant hit within DEPTH
    relevant_passages: int  # passages in the index that contain a span
    ndcg: float
    top_hit: str  # text of the first hit, for reading misses

    @property
    def p_at_1(self) -> float:
        return 1.0 if self.first_relevant == 1 else 0.0

    @property
    def reciprocal_rank(self) -> float:
        return 1.0 / self.first_relevant if self.first_relevant else 0.0

    @property
    def success_at_3(self) -> float:
        return 1.0 if self.first_relevant is not None and self.first_relevant <= 3 else 0.0


@dataclass(frozen=True)
class EvalReport:
    p_at_1: float
    mrr_at_10: float
    success_at_3: float
    ndcg_at_10: float
    queries: tuple[QueryScore, ...]

    @property
    def misses(self) -> tuple[QueryScore, ...]:
        return tuple(q for q in self.queries if q.first_relevant != 1)

    def to_dict(self) -> dict[str, Any]:
        return {
            "queries": len(self.queries),
            "p_at_1": self.p_at_1,
            "mrr_at_10": self.mrr_at_10,
            "success_at_3": self.success_at_3,
            "ndcg_at_10": self.ndcg_at_10,
            "per_query": [
                {**asdict(q), "p_at_1": q.p_at_1, "reciprocal_rank": q.reciprocal_rank}
                for q in self.queries
            ],
        }


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def load_judgments(path: str | os.PathLike[str]) -> list[Judgment] | list[DocJudgment]:
    """Passage-level judgments (``{"queries": [...]}``) or document-level ones (a list)."""
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except OSError as err:
        raise JudgmentsError(f"{path}: {(err.strerror or str(err)).lower()}") from None
    except ValueError as err:
        raise JudgmentsError(f"{path}: not valid JSON ({err})") from None
    if is_document_judgments(data):
        return parse_doc_judgments(data, str(path))
    entries = data.get("queries") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise JudgmentsError(f'{path}: expected an object with a non-empty "queries" list')
    out = []
    for i, entry in enumerate(entries):
        q = entry.get("q") if isinstance(entry, dict) else None
        spans = entry.get("spans") if isinstance(entry, dict) else None
        if (
            not isinstance(q, str)
            or not isinstance(spans, list)
            or not spans
            or not all(isinstance(s, str) and s.strip() for s in spans)
        ):
            raise JudgmentsError(f'{path}: query #{i + 1} needs a "q" string and a list of "spans"')
        out.append(Judgment(q, tuple(spans)))
    return out


def evaluate(index: Index, judgments: list[Judgment]) -> EvalReport:
    texts = [_norm(p.text) for _, p in index.passages()]
    scores = []
    for j in judgments:
        spans = [_norm(s) for s in j.spans]

        def relevant(text: str, spans: list[str] = spans) -> bool:
            return any(s in text for s in spans)

        result = index.search(j.query, limit=DEPTH)
        gains = [1.0 if relevant(_norm(h.text)) else 0.0 for h in result.hits]
        first = next((i + 1 for i, g in enumerate(gains) if g), None)
        total_relevant = sum(1 for t in texts if relevant(t))
        dcg = sum(g / math.log2(i + 2) for i, g in enumerate(gains))
        ideal = sum(1.0 / math.log2(i + 2) for i in range(min(DEPTH, total_relevant)))
        scores.append(
            QueryScore(
                query=j.query,
                first_relevant=first,
                relevant_passages=total_relevant,
                ndcg=round(dcg / ideal, 4) if ideal else 0.0,
                top_hit=result.hits[0].text if result.hits else "",
            )
        )
    n = len(scores)
    return EvalReport(
        p_at_1=round(sum(s.p_at_1 for s in scores) / n, 4),
        mrr_at_10=round(sum(s.reciprocal_rank for s in scores) / n, 4),
        success_at_3=round(sum(s.success_at_3 for s in scores) / n, 4),
        ndcg_at_10=round(sum(s.ndcg for s in scores) / n, 4),
        queries=tuple(scores),
    )
