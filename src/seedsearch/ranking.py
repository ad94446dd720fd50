"""Ranking articles: BM25F over the body plus the query words' weight in the title, with
exact totals."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from . import boolean, postings
from .bm25 import Lengths, Scorer
from .budget import Cost
from .collapse import Columns, FoldMap, Ranked, group
from .compile import SYNONYM_WEIGHT, Compiler, Synonymous, any_of, bounded
from .query import Node, has_filter, has_text_leaf
from .spanning import whole_articles
from .spelling import Spelling, text_of

if TYPE_CHECKING:
    from whoosh.searching import Searcher

TITLE_WEIGHT = 1.0
# A word's derivational family (affichage for afficher) adds to its match at this weight.
FAMILY_WEIGHT = 0.4


def run(
    searcher: Searcher,
    spelling: Spelling,
    node: Node,
    window: int,
    loose: bool = False,
    order: Callable[[dict[int, float]], dict[int, float]] | None = None,
) -> tuple[Compiler, list[Ranked], int]:
    """(compiler, the top ``window`` results, exact number of results).

    Results are articles (an article in parts scores as its best part), exact duplicates
    folded into one (see :mod:`.collapse`). A plain list of words needs
    :func:`min_should_match` of them; ``loose`` (the OR form of such a list) needs any one.
    ``order``, when given, sees the score of every matched part and returns the keys the
    results are ranked by instead (a sort by date, see :mod:`.refine`); the results then
    carry those keys as scores.
    """
    from whoosh.collectors import UnlimitedCollector
    from whoosh.query import AndMaybe, Term

    compiler = Compiler(searcher, spelling)
    q = compiler.compile(node)

    def lengths(field: str) -> Any:  # the index's, read once per generation
        return spelling.index.field_lengths(searcher, field)

    if has_filter(node) and not has_text_leaf(node):
        ranked, total = _newest(spelling, q, window, compiler.cost, order)
        return compiler, ranked, total
    rest, filters = _split_filters(q)
    words = _plain_terms(rest, loose)
    if words is not None:
        allowed = _matching(searcher, filters, compiler.cost) if filters else None
        need = 1 if loose else min_should_match(len(set(words)))
        scores, terms, read = _conjunction(
            searcher,
            words,
            compiler.cost,
            need,
            # The OR form (a query widened to any of its words) scores as Whoosh's OR of
            # the words does below: the words alone in the body, each of the query's
            # terms in the title, no coordination factor.
            {} if loose else compiler.families,
            compiler.synonyms,
            allowed,
            spelling.index.siblings(searcher),
            lengths,
            compiler.frequency,
            coordinate=not loose,
            titles=sorted(compiler.terms) if loose else None,
        )
        cols, folds = _folds(spelling, scores)
        ranked, total = group(cols, order(scores) if order else scores, window, folds)
        shown = [d for r in ranked for d in r.parts]
        if loose:  # the passages still count the families' words (see passages.py)
            terms += sorted({t for family in compiler.families.values() for t in family})
        compiler.postings = _raw_postings(searcher, terms, shown, read)
        return compiler, ranked, total
    matching, in_title = q, None
    if compiler.terms and has_text_leaf(node):
        # The query words found in an article's title add their weight: the article
        # that is *about* them comes first. The title alone never makes a match.
        title = [Term("title", t, boost=TITLE_WEIGHT) for t in sorted(compiler.terms)]
        in_title = title[0] if len(title) == 1 else any_of(title)  # flat OR: cost

    # Matched and scored from postings (boolean.py), or else by Whoosh's matchers.
    from_postings = boolean.and_maybe(searcher, q, in_title, compiler.cost, lengths)
    if from_postings is not None:
        scores = from_postings
    else:
        if in_title is not None:
            q = AndMaybe(q, in_title)
        # Every match is scored and kept (parts fold into articles afterwards). No
        # block-quality skipping and no matcher replacement: either makes Whoosh skip some.
        collector = UnlimitedCollector()
        collector.replace = 0
        searcher.search_with_collector(bounded(q, compiler.cost), collector)  # deadline
        scores = {docnum: float(score or 0.0) for score, docnum in collector.items}
    siblings = spelling.index.siblings(searcher)
    scores = whole_articles(searcher, matching, scores, siblings, compiler.cost, in_title, lengths)
    cols, folds = _folds(spelling, scores)
    ranked, total = group(cols, order(scores) if order else scores, window, folds)
    return compiler, ranked, total


# From this many matches on, the index's fold map (read once per generation) beats reading
# the keys of each match.
FOLD_MAP_FROM = 2000


def _folds(spelling: Spelling, scores: dict[int, float]) -> tuple[Columns, FoldMap | None]:
    index, searcher = spelling.index, spelling.searcher
    return index.columns(searcher), index.folds(searcher, build=len(scores) >= FOLD_MAP_FROM)


def _split_filters(q: Any) -> tuple[Any, list[Any]]:
    """(what ranks, the metadata filters ANDed with it) of a compiled query: words with
    filters are ranked as the words alone are, among the articles the filters let in."""
    from whoosh.query import And as WAnd

    from .compile import is_filter

    if type(q) is not WAnd:
        return q, []
    filters = [sub for sub in q.subqueries if is_filter(sub)]
    rest = [sub for sub in q.subqueries if not is_filter(sub)]
    if not filters or not rest:
        return q, []
    return (rest[0] if len(rest) == 1 else WAnd(rest)), filters


def _matching(searcher: Searcher, filters: list[Any], cost: Cost) -> set[int]:
    """The documents every one of ``filters`` matches."""
    from whoosh.query import And as WAnd

    q = filters[0] if len(filters) == 1 else WAnd(filters)
    return set(bounded(q, cost).matcher(searcher, searcher.boolean_context()).all_ids())


def _newest(
    spelling: Spelling,
    q: Any,
    window: int,
    cost: Cost,
    order: Callable[[dict[int, float]], dict[int, float]] | None = None,
) -> tuple[list[Ranked], int]:
    """The articles (first parts) a query of filters only matches, newest first (those
    without a date last; duplicates folded), or in the ``order`` given, and how many
    there are."""
    from dataclasses import replace

    from whoosh.query import And as WAnd
    from whoosh.query import Term

    searcher = spelling.searcher
    matched = bounded(WAnd([q, Term("head", "1")]), cost)
    docnums = list(matched.matcher(searcher, searcher.boolean_context()).all_ids())
    days = searcher.reader().column_reader("date")
    if order is not None:
        by_date = order(dict.fromkeys(docnums, 0.0))
    else:  # the date orders, as a score would
        by_date = {d: float(days[d] or 0) for d in docnums}
    cols, folds = _folds(spelling, by_date)
    ranked, total = group(cols, by_date, window, folds)
    return [replace(r, score=0.0) for r in ranked], total


def _plain_terms(q: Any, loose: bool = False) -> list[str] | None:
    """The body terms of a query that is one term or an AND (``loose``: an OR) of terms,
    else None. A word with one-word synonyms counts as its own term."""
    from whoosh.query import And as WAnd
    from whoosh.query import Or as WOr
    from whoosh.query import Term
    from whoosh.query.compound import PreloadedOr

    # (any_of() compiles an OR of three words or more as Whoosh's preloaded OR)
    joins = (WOr, PreloadedOr) if loose else (WAnd,)
    subs = q.subqueries if type(q) in joins else [q]
    subs = [Term("body", t.word) if type(t) is Synonymous and t.word else t for t in subs]
    if not subs or not all(
        type(t) is Term and t.fieldname == "body" and t.boost == 1.0 for t in subs
    ):
        return None
    return [text_of(t.text) for t in subs]


def min_should_match(n: int) -> int:
    """How many of a plain query's ``n`` words an article must hold.

    Every word of a short query; one word may be missing from 3 or 4, two from 5 or more
    (index-style queries such as ``Calque Gestion de la pile`` hold a word the right page
    lacks). The coordination factor in :func:`_conjunction` ranks an article with every
    word first when it is otherwise as good.
    """
    return n if n <= 2 else n - 1 if n <= 4 else n - 2


def _conjunction(
    searcher: Searcher,
    words: list[str],
    cost: Cost,
    need: int | None = None,
    families: dict[str, tuple[str, ...]] | None = None,
    synonyms: dict[str, tuple[str, ...]] | None = None,
    allowed: set[int] | None = None,
    siblings: dict[int, tuple[int, ...]] | None = None,
    lengths: Lengths | None = None,
    frequency: Callable[[str, str], int] | None = None,
    coordinate: bool = True,
    titles: list[str] | None = None,
) -> tuple[dict[int, float], list[str], dict[str, postings.Blocks]]:
    """The score of every article (part) holding at least ``need`` of the words (default:
    all), and the body terms that made the match (the words and their families).

    A word is held through its own term, a term of its derivational family
    (``families``) or a synonym (``synonyms``). An article scores the BM25F of each term
    it holds (family terms at FAMILY_WEIGHT, synonyms at SYNONYM_WEIGHT), plus each
    term's BM25F in the title, times the share of the words it holds (Lucene's classic
    coordination factor). The candidates come from the rarest words' lists (an article
    holding ``need`` of ``n`` words holds one of the ``n - need + 1`` rarest); of the other
    lists only the blocks that may hold a candidate are read (:mod:`.postings`), and the
    scores are computed from those blocks (:mod:`.bm25`), not a matcher call per posting.
    Only the articles in ``allowed`` (when given: those a query's filters let in) count.
    An article indexed in parts (``siblings``: part → all its parts) holds the words any
    of its parts holds: each part scores the words it holds, the coordination factor
    counts the article's. ``lengths``: the fields' lengths (read from the index if not
    given); ``frequency``: a term's document frequency in a field (the reader's if not
    given). ``coordinate``: whether to apply the coordination factor; ``titles``: the
    terms scored in the title, at full weight (default: the groups' terms, at their
    weight). Also returns the body postings read, by term (see :func:`_raw_postings`).
    """
    reader = searcher.reader()
    scorer = Scorer(searcher, lengths)
    frequency = frequency or reader.doc_frequency
    families = families or {}
    synonyms = synonyms or {}
    sib = siblings or {}
    words = sorted(set(words))
    n = len(words)
    need = n if need is None else max(1, min(need, n))
    groups = []
    df: dict[str, int] = {}
    for w in words:
        terms = [(t, 1.0 if t == w else FAMILY_WEIGHT) for t in (w, *families.get(w, ()))]
        terms += [(t, SYNONYM_WEIGHT) for t in synonyms.get(w, ()) if t not in dict(terms)]
        for t, _ in terms:  # (an indexed term has postings: one look-up tells both)
            if t not in df:
                df[t] = frequency("body", t)
        present_terms = [(t, weight) for t, weight in terms if df[t]]
        if present_terms:
            groups.append(present_terms)
    if len(groups) < need:
        return {}, [], {}
    groups.sort(key=lambda g: sum(df[t] for t, _ in g))
    # has[g]: the documents holding group g (of the seeds: every one; of the others: the
    # candidates), as sets, so that the bookkeeping runs at set speed.
    has: list[set[int]] = []
    count: Counter[int] = Counter()  # document → how many of the groups it holds
    if n == 1 and len(groups[0]) == 1:  # every article matches: score them all
        word = groups[0][0][0]
        cost.check()
        read = {word: postings.read(reader, "body", word)}
        found = read[word].weights()
        if allowed is not None:
            found = {d: tf for d, tf in found.items() if d in allowed}
        scores = scorer.scores("body", word, found)
    else:
        seeds = len(groups) - need + 1
        read = {}  # term → its postings (at least the candidates')
        for group in groups[:seeds]:
            docs: set[int] = set()
            for term, _ in group:
                cost.check()
                read[term] = postings.read(reader, "body", term)
                docs |= read[term].ids()
            has.append(docs)
        for docs in has:
            count.update(docs)
        pool = set(count)
        for docnum in [d for d in pool if d in sib]:
            pool.update(sib[docnum])  # may hold the words the seeds' part lacks
        candidates = sorted(pool if allowed is None else pool & allowed)
        for g in range(seeds, len(groups)):
            among = set(candidates)
            docs = set()
            for term, _ in groups[g]:
                cost.check()
                read[term] = postings.read(reader, "body", term, candidates)
                docs |= read[term].ids() & among
            has.append(docs)
            count.update(docs)
            left = len(groups) - g - 1  # groups still to ask: drop what can no longer make it
            holds = _holding(count, has, sib, candidates)
            candidates = [d for d in candidates if holds[d] + left >= need]
            if not candidates:
                return {}, [], {}
        scores = dict.fromkeys((d for d in candidates if d in count), 0.0)
        for group in groups:
            for term, weight in group:
                cost.check()
                scorer.add("body", term, read[term].weights_in(scores), scores, weight)
    ranked = sorted(scores)
    in_title = (
        [(t, w) for g in groups for t, w in g] if titles is None else [(t, 1.0) for t in titles]
    )
    for term, weight in in_title:  # (a term no title holds reads nothing)
        found = postings.read(reader, "title", term, ranked).weights(ranked, scores)
        scorer.add("title", term, found, scores, weight * TITLE_WEIGHT)
    if has and coordinate:
        holds = _holding(count, has, sib, scores)
        for docnum in scores:
            scores[docnum] *= holds[docnum] / n
    return scores, [term for group in groups for term, _ in group], read


def _holding(
    count: Counter[int],
    has: list[set[int]],
    siblings: dict[int, tuple[int, ...]],
    docnums: Iterable[int],
) -> dict[int, int]:
    """How many of the words the article of each part in ``docnums`` holds, in any of its
    parts (``count``: how many a part holds itself; ``has``: the parts holding each)."""
    out = {d: count.get(d, 0) for d in docnums}
    for d in out.keys() & siblings.keys():
        out[d] = sum(1 for docs in has if any(part in docs for part in siblings[d]))
    return out


def _raw_postings(
    searcher: Searcher,
    terms: list[str],
    docnums: list[int],
    read: dict[str, postings.Blocks] | None = None,
) -> dict[int, dict[str, bytes]]:
    """The raw body postings (positions) of ``terms`` in the given documents only (decoding
    them for every match costs more), from the blocks already ``read`` (which must hold
    these documents' postings) when given."""
    shown = sorted(docnums)
    values: dict[int, dict[str, bytes]] = {d: {} for d in shown}
    reader = searcher.reader()
    read = read or {}
    for term in terms:
        blocks = read.get(term) or postings.read(reader, "body", term, shown)
        for docnum, value in blocks.values(shown).items():
            values[docnum][term] = value
    return values
