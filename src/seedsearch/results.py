"""Search results: the dataclasses a search returns (and the front ends print)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

# The metadata a hit carries (the article's page has all of it).
HIT_META = ("date", "author", "source", "format", "url", "language")

# What results are counted by (see :mod:`.facets`).
FACETS = ("source", "year", "type", "author")

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
    page: int | None = None  # the PDF page of the passage
    # What is known of the article: date (ISO), author, source, format, url, language.
    meta: dict[str, str] = field(default_factory=dict, compare=False)
    # Why the article matched, when asked (see :mod:`.explain`); in the JSON only then.
    why: tuple[Reason, ...] = field(default=(), repr=False, compare=False)
    also_in: tuple[str, ...] = ()  # where duplicates of the article are (some of them)
    folded: int = 0  # how many duplicates were folded into this result

    def to_dict(self) -> dict[str, Any]:
        # Field by field, not asdict(): that deep-copies the spans only to drop them.
        d = {name: getattr(self, name) for name in _HIT_FIELDS}
        d["meta"] = dict(self.meta)
        if self.why:
            d["why"] = tuple(asdict(reason) for reason in self.why)
        else:
            del d["why"]
        d["also_in"] = list(self.also_in)
        return d


# A hit's fields in its JSON, in order: all but the spans (character offsets in ``text``,
# which the snippet's marks already show).
_HIT_FIELDS = tuple(f.name for f in fields(Hit) if f.name != "spans")


@dataclass(frozen=True)
class Reason:
    """How one query word was found in an article."""

    word: str  # as typed
    found: str  # the form found in the article
    how: str  # exact, stem, accents, typo, fuzzy, prefix, family or synonym
    fields: tuple[str, ...]  # title, text
    title_score: float  # what the word's title matches added to the article's score


@dataclass(frozen=True)
class FacetValue:
    """One value of a facet and how many results hold it."""

    value: str
    count: int


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
    # A word being typed (prefix_last) -> the indexed words it stands for, most frequent
    # first (accents folded, as the spelling dictionary keeps them).
    completed: dict[str, list[str]] = field(default_factory=dict)
    # Synonyms the query also searched, as written in the synonyms list.
    also_searched: tuple[str, ...] = ()
    # The filter options given apart from the query (see :mod:`.refine`), the sort order,
    # and when asked the facets: per facet (source, year, type, author) its most frequent
    # values among all the results.
    filters: dict[str, str] = field(default_factory=dict)
    sort: str = "relevance"
    facets: dict[str, tuple[FacetValue, ...]] | None = None

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
            "completed": self.completed,
            "also_searched": list(self.also_searched),
            "filters": self.filters,
            "sort": self.sort,
            "facets": None
            if self.facets is None
            else {name: [asdict(v) for v in values] for name, values in self.facets.items()},
            "hits": [h.to_dict() for h in self.hits],
        }
