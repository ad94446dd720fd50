"""Search results: the dataclasses a search returns (and the front ends print)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

# --- results ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    rank: int
    doc_id: str
    title: str
    path: str
    section: str
    passage: int
    start: int
    end: int
    text: str
    snippet: str
    score: float
    spans: tuple[tuple[int, int], ...] = field(default=(), repr=False, compare=False)
    also_in: tuple[str, ...] = ()  # where duplicates of the article are (some of them)
    folded: int = 0  # how many duplicates were folded into this result

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        del d["spans"]
        d["also_in"] = list(self.also_in)
        return d


@dataclass(frozen=True)
class SearchResult:
    query: str
    total: int
    took_ms: float
    corrected_query: str | None
    ignored: tuple[str, ...]
    hits: tuple[Hit, ...]
    suggestion: str | None = None
    limit: int = 10
    offset: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "total": self.total,
            "took_ms": self.took_ms,
            "corrected_query": self.corrected_query,
            "ignored": list(self.ignored),
            "suggestion": self.suggestion,
            "limit": self.limit,
            "offset": self.offset,
            "hits": [h.to_dict() for h in self.hits],
        }
