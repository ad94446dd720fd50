"""Ranking articles: BM25F over the body plus the query words' weight in the title, with
exact totals."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .compile import Compiler, Cost, Spelling, any_of, bounded, text_of
from .query import Node, has_text_leaf

if TYPE_CHECKING:
    from whoosh.searching import Searcher

TITLE_WEIGHT = 1.0


def run(
    searcher: Searcher, spelling: Spelling, node: Node, window: int
) -> tuple[Compiler, list[Any], int]:
    """(compiler, the top ``window`` articles as (docnum, score), exact number matching)."""
    from whoosh.collectors import TopCollector
    from whoosh.query import AndMaybe, Term

    compiler = Compiler(searcher, spelling)
    q = compiler.compile(node)
    words = _plain_terms(q)
    if words is not None:
        ranked, total, compiler.postings = _conjunction(searcher, words, window, compiler.cost)
        return compiler, ranked, total
    if compiler.terms and has_text_leaf(node):
        # The query words found in an article's title add their weight: the article
        # that is *about* them comes first. The title alone never makes a match.
        title = [Term("title", t, boost=TITLE_WEIGHT) for t in sorted(compiler.terms)]
        q = AndMaybe(q, title[0] if len(title) == 1 else any_of(title))  # flat OR: cost
    # No block-quality skipping and no matcher replacement: either one makes Whoosh's count
    # of matching documents wrong while it claims to be exact (and counting the matches
    # apart costs more than scoring them all here).
    collector = TopCollector(limit=window, usequality=False, replace=0)
    searcher.search_with_collector(bounded(q, compiler.cost), collector)  # deadline
    results = collector.results()
    ranked = [(hit.docnum, float(hit.score or 0.0)) for hit in results]
    return compiler, ranked, len(results)


def _plain_terms(q: Any) -> list[str] | None:
    """The body terms of a query that is one term or an AND of terms, else None."""
    from whoosh.query import And as WAnd
    from whoosh.query import Term

    subs = q.subqueries if type(q) is WAnd else [q]
    if not subs or not all(
        type(t) is Term and t.fieldname == "body" and t.boost == 1.0 for t in subs
    ):
        return None
    return [text_of(t.text) for t in subs]


def _conjunction(
    searcher: Searcher, words: list[str], window: int, cost: Cost
) -> tuple[list[tuple[int, float]], int, dict[int, dict[str, bytes]]]:
    """Top ``window`` articles holding every term, scored as the general path scores them
    (BM25F of each term, plus each term's BM25F in the title), how many there are, and
    the top articles' raw body postings (their positions), read on the way.

    Whoosh's intersection matcher leapfrogs between posting lists one step at a time; here
    the rarest term's articles are the candidates and each other list is only asked about
    them, which takes a fraction of the steps.
    """
    import heapq

    reader = searcher.reader()
    if any(("body", w) not in reader for w in words):
        return [], 0, {}
    words = sorted(set(words), key=lambda w: reader.doc_frequency("body", w))
    values: dict[int, dict[str, bytes]] = {}
    if len(words) == 1:  # every candidate matches: score them on the way
        m = searcher.postings("body", words[0])
        scores = {}
        while m.is_active():
            docnum = m.id()
            scores[docnum] = m.score()
            values[docnum] = {words[0]: m.value()}
            m.next()
        candidates = list(scores)
        words_to_score = []
    else:
        candidates = list(searcher.postings("body", words[0]).all_ids())
        words_to_score = words
    for w in words[1:]:
        cost.check()
        candidates = present(searcher.postings("body", w), candidates, _nothing)[0]
        if not candidates:
            return [], 0, {}
    if words_to_score:
        scores = dict.fromkeys(candidates, 0.0)
    for fieldname, weight in (("body", 1.0), ("title", TITLE_WEIGHT)):
        for w in words_to_score if fieldname == "body" else words:
            cost.check()
            if (fieldname, w) in reader:
                found, points = present(searcher.postings(fieldname, w), candidates, _scored)
                for docnum, (score, value) in zip(found, points, strict=True):
                    scores[docnum] += weight * score
                    if fieldname == "body":
                        values.setdefault(docnum, {})[w] = value
    top = heapq.nsmallest(window, scores.items(), key=lambda item: (-item[1], item[0]))
    return top, len(scores), {d: values.get(d, {}) for d, _ in top}


def _nothing(m: Any) -> None:
    return None


def _scored(m: Any) -> tuple[float, bytes]:
    return float(m.score()), m.value()


def present(m: Any, docnums: list[int], value: Callable[[Any], Any]) -> tuple[list[int], list[Any]]:
    """The documents among ``docnums`` (ascending) that matcher ``m`` holds, and ``value``
    of the matcher on each."""
    found: list[int] = []
    values: list[Any] = []
    for docnum in docnums:
        if not m.is_active():
            break
        if m.id() < docnum:
            m.skip_to(docnum)
            if not m.is_active():
                break
        if m.id() == docnum:
            found.append(docnum)
            values.append(value(m))
    return found, values
