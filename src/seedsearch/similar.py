"""Similar articles ("more like this"): an article's most distinctive terms, searched for
in the others.

The body field keeps no term vectors, so the article's stored text is analysed again (its
title and first MAX_TOKENS words: enough to say what it is about, quick on a long file).
Each term is weighted by tf-idf: ``(1 + log tf) * log(N / df)``; terms only this article
holds find nothing and terms in most articles say nothing, so both are left out. The top
MAX_TERMS terms, each boosted by its weight, make an OR query ranked by BM25F.

On a collection of a few articles the idf of every term is small, and the weights still
order the terms; on a large one the document-frequency ceiling keeps the query cheap.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from .analysis import analyse, is_number, is_stop_word
from .errors import DocumentNotFoundError, OptionError
from .schema import ARTICLE, article_count, parts_of
from .titles import shown_title

if TYPE_CHECKING:
    from .store import Index

MAX_TOKENS = 5000  # words of an article's text analysed
MAX_TERMS = 25  # terms in the query
MAX_SHARE = 0.3  # terms in more than this share of the articles are left out (≥ 20 articles)
MAX_LIMIT = 100
TITLE_REPEAT = 3  # a title word counts as this many words of the text


@dataclass(frozen=True)
class SimilarArticle:
    rank: int
    doc_id: str
    title: str
    path: str
    score: float


@dataclass(frozen=True)
class SimilarResult:
    doc_id: str
    title: str
    terms: tuple[str, ...]  # the terms searched, the most distinctive first
    articles: tuple[SimilarArticle, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "doc_id": self.doc_id,
            "title": self.title,
            "terms": list(self.terms),
            "articles": [asdict(a) for a in self.articles],
        }


def distinctive_terms(
    title: str, text: str, doc_frequency: Any, articles: int
) -> list[tuple[str, float]]:
    """The article's terms by tf-idf, the highest first (at most MAX_TERMS)."""
    counts: Counter[str] = Counter()
    for i, tok in enumerate(analyse(text)):
        if i >= MAX_TOKENS:
            break
        if _content(tok.folded) and not tok.joined:
            counts[tok.text] += 1
    for tok in analyse(title):
        if _content(tok.folded) and not tok.joined:
            counts[tok.text] += TITLE_REPEAT
    # In a small collection every shared term is in a large share of it.
    ceiling = max(2, int(MAX_SHARE * articles)) if articles >= 20 else articles
    weighted = []
    for term, tf in counts.items():
        df = doc_frequency(term)
        if df < 2 or df > ceiling:
            continue
        idf = math.log(1 + articles / df)
        weighted.append((term, (1 + math.log(tf)) * idf))
    weighted.sort(key=lambda tw: (-tw[1], tw[0]))
    return weighted[:MAX_TERMS]


def _content(folded: str) -> bool:
    return len(folded) > 2 and not is_stop_word(folded) and not is_number(folded)


def similar(index: Index, doc_id: str, limit: int = 10) -> SimilarResult:
    """The ``limit`` articles most like ``doc_id`` (itself excluded)."""
    from whoosh.query import Or, Term

    if not 1 <= limit <= MAX_LIMIT:
        raise OptionError(f"limit must be between 1 and {MAX_LIMIT}")
    searcher = index.searcher()
    parts = parts_of(searcher, doc_id)
    if not parts:
        raise DocumentNotFoundError(f"no document with id {doc_id!r}")
    found = index.templates(searcher)
    title = shown_title(parts[0], found)
    text, size = [], 0
    for part in parts:  # the first parts, up to about MAX_TOKENS words
        chunk = str(part.get("article", ""))
        text.append(chunk)
        size += len(chunk)
        if size > MAX_TOKENS * 12:
            break
    reader = searcher.reader()
    articles = max(1, article_count(searcher))

    def doc_frequency(term: str) -> int:
        return int(reader.doc_frequency("body", term))

    terms = distinctive_terms(title, "".join(text), doc_frequency, articles)
    if not terms:
        return SimilarResult(doc_id, title, (), ())
    q = Or([Term("body", t, boost=w) for t, w in terms])
    best: dict[str, tuple[float, dict[str, Any]]] = {}
    # Long files are indexed in parts: ask for enough to fill ``limit`` distinct articles.
    results = searcher.search(q, limit=(limit + len(parts)) * 4)
    for hit in results:
        fields = hit.fields()
        other = fields.get("doc_id", "")
        if fields.get("kind") != ARTICLE or other == doc_id or other in best:
            continue
        best[other] = (float(hit.score or 0.0), fields)
        if len(best) >= limit:
            break
    ranked = sorted(best.items(), key=lambda item: (-item[1][0], item[0]))
    return SimilarResult(
        doc_id,
        title,
        tuple(t for t, _ in terms),
        tuple(
            SimilarArticle(rank, other, shown_title(f, found), f.get("path", ""), round(score, 4))
            for rank, (other, (score, f)) in enumerate(ranked, 1)
        ),
    )
