"""Passages: which passages of the articles on a page matched, how well, and where.

Articles are ranked by the index; which of their passages matched, and how well, is
worked out here for the articles on the page, from the positions of the query's terms
(each passage owns a range of positions in its article).
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import replace
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from . import postings
from .budget import Cost
from .collapse import Ranked
from .compile import SYNONYM_WEIGHT, Compiler, decode_positions
from .highlight import Highlighter, mark_html, merge_spans
from .outline import Outline
from .ranking import FAMILY_WEIGHT
from .results import HIT_META, Hit
from .title_match import TITLE_MATCH_WEIGHT, TitleMatch
from .titles import Templates, is_template, shown_title

if TYPE_CHECKING:
    from whoosh.searching import Searcher

    from .store import Index

PASSAGES_PER_ARTICLE = 3
# The articles re-ranked with their best passage's score, and the weight it gets.
RERANK_DEPTH = 30
PASSAGE_WEIGHT = 1.0
# Neighbouring query words found within this many positions (stop words count), in order.
PROXIMITY_WINDOW = 3
PROXIMITY_WEIGHT = 1.0

_K1 = 1.2
_B = 0.75


def _positions(
    reader: Any, terms: Iterable[str], docnums: Sequence[int], cost: Cost
) -> dict[int, dict[str, list[int]]]:
    """docnum → term → positions in the body, for the given terms and articles."""
    found: dict[int, dict[str, list[int]]] = {d: {} for d in docnums}
    order = sorted(docnums)
    for term in terms:
        cost.check()
        for d, value in postings.values(reader, "body", term, order).items():
            found[d][term] = decode_positions(value)
    return found


def _idf(reader: Any, term: str, passages: int) -> float:
    # Passage-level idf: a term's occurrences in the whole collection stand in for the
    # number of passages holding it (an upper bound), which the index does not keep.
    occurrences = min(passages, int(postings.frequency(reader, "body", term)))
    return math.log(1 + (passages - occurrences + 0.5) / (occurrences + 0.5))


def _phrase_starts(positions: dict[str, list[int]], seq: tuple[str, ...]) -> set[int]:
    starts = set(positions.get(seq[0], ()))
    for i, term in enumerate(seq[1:], start=1):
        later = set(positions.get(term, ()))
        starts = {p for p in starts if p + i in later}
    return starts


def _passage_matches(
    outline: Outline,
    positions: dict[str, list[int]],
    terms: set[str],
    phrases: Sequence[tuple[str, ...]],
) -> dict[int, dict[Any, list[int]]]:
    """Passage number → query term or phrase → the positions where it occurs."""
    firsts, lengths = outline.starts, outline.lengths
    found: dict[int, dict[Any, list[int]]] = {}

    def note(key: Any, where: Iterable[int]) -> None:
        n = 0
        for pos in sorted(where):
            n = bisect_right(firsts, pos, lo=n) - 1
            if n >= 0 and pos < firsts[n] + lengths[n]:
                found.setdefault(n, {}).setdefault(key, []).append(pos)
            n = max(n, 0)

    for term, where in positions.items():
        if term in terms:  # a word of the query, not only part of a phrase
            note(term, where)
    for seq in phrases:
        note(seq, _phrase_starts(positions, seq))
    return found


def _passage_scores(
    length: int,
    found: dict[Any, list[int]],
    groups: Sequence[frozenset[Any]],
    idf: dict[Any, float],
    mean_length: float,
    proximity: bool = False,
    weights: Sequence[float] = (),
) -> tuple[float, float]:
    """BM25 over the passage, times the share of the query's words it holds (Lucene's
    classic coordination factor): a passage with every word beats one with a few. With
    ``proximity``, query words that follow each other in the query and meet close together
    in the passage add a score (see :func:`_proximity`): evidence that an article is about
    the query, used to rank articles, not to choose which of an article's passages to show
    (a short table row holding the words side by side would then crowd out the heading or
    paragraph that discusses them).

    ``weights``: each group's highest idf (worked out once per query), for the proximity.
    Returns (the score, the score without proximity): both for the cost of one."""
    norm = _K1 * (1 - _B + _B * length / mean_length)
    total = 0.0
    for key, where in found.items():
        f = len(where)
        total += idf.get(key, 0.0) * f * (_K1 + 1) / (f + norm)
    plain = total
    if groups:
        share = len([g for g in groups if not g.isdisjoint(found)]) / len(groups)
        plain *= share
        if proximity:
            total += _proximity(found, groups, weights or _weights(groups, idf))
            total *= share
        else:
            total = plain
    return total, plain


def _weights(groups: Sequence[frozenset[Any]], idf: dict[Any, float]) -> tuple[float, ...]:
    """Each group's highest idf."""
    return tuple(max((idf.get(k, 0.0) for k in g), default=0.0) for g in groups)


def _proximity(
    found: dict[Any, list[int]], groups: Sequence[frozenset[Any]], weights: Sequence[float]
) -> float:
    """For each pair of words next to each other in the query, how often they come within
    PROXIMITY_WINDOW positions of each other, in that order, in the passage (saturated as
    BM25 saturates a term's frequency), weighted by the rarer word's idf: the dependence
    between neighbouring query words (``Taille d'impression``, ``Gestion de la pile``) that
    a bag of words misses. ``weights``: each group's highest idf."""
    if PROXIMITY_WEIGHT == 0 or len(groups) < 2:
        return 0.0
    total = 0.0
    for i, (left, right) in enumerate(pairwise(groups)):
        before = [p for k in left if isinstance(k, str) for p in found.get(k, ())]
        if not before:
            continue
        # The positions from which a word of ``right`` is 1 to PROXIMITY_WINDOW ahead.
        near = {
            p - d
            for k in right
            if isinstance(k, str)
            for p in found.get(k, ())
            for d in range(1, PROXIMITY_WINDOW + 1)
        }
        pairs = len([p for p in before if p in near])
        if pairs:
            weight = min(weights[i], weights[i + 1])
            total += weight * pairs * (_K1 + 1) / (pairs + _K1)
    return PROXIMITY_WEIGHT * total


class _Evidence:
    """What scoring the passages of some articles needs: the query terms' positions in
    each, their passage-level idf and the mean passage length."""

    def __init__(
        self, index: Index, searcher: Searcher, compiler: Compiler, docnums: Sequence[int]
    ) -> None:
        reader = searcher.reader()
        self.compiler = compiler
        self.terms = set(compiler.terms)
        if all(d in compiler.postings for d in docnums):
            self.positions = {
                d: {t: decode_positions(v) for t, v in compiler.postings[d].items()}
                for d in docnums
            }
        else:
            self.positions = _positions(
                reader, self.terms.union(*compiler.phrases), docnums, compiler.cost
            )
        passages, self.mean_length = index.passage_stats(searcher)
        self.idf: dict[Any, float] = {t: _idf(reader, t, max(1, passages)) for t in self.terms}
        for phrase in compiler.phrases:
            self.idf[phrase] = sum(_idf(reader, t, max(1, passages)) for t in phrase)
        for family in compiler.families.values():
            for t in family:  # derived words count for less, as in the article's score
                self.idf[t] = self.idf.get(t, 0.0) * FAMILY_WEIGHT
        # A synonym counts as the word typed, a bit less, and not again beside it.
        self.typed: dict[Any, frozenset[Any]] = {}
        for group in compiler.groups:
            own = group - compiler.synonym_of.keys()
            weight = max((self.idf.get(k, 0.0) for k in own), default=0.0)
            for key in group & compiler.synonym_of.keys():
                self.idf[key] = SYNONYM_WEIGHT * (weight or self.idf.get(key, 0.0))
                self.typed[key] = own
        self.weights = _weights(compiler.groups, self.idf)
        # Parts scored with proximity (re-ranking): their passages' matches and scores
        # without it, which are what the page shows.
        self.plain: dict[int, tuple[dict[int, dict[Any, list[int]]], dict[int, float]]] = {}

    def covers(self, docnums: Iterable[int]) -> bool:
        return all(d in self.positions for d in docnums)

    def scored(
        self, docnum: int, outline: Outline, proximity: bool = False
    ) -> tuple[dict[int, dict[Any, list[int]]], dict[int, float]]:
        """(passage → matched key → positions, passage → score) of one article;
        ``proximity`` adds the neighbouring query words' proximity score."""
        if not proximity and docnum in self.plain:
            return self.plain[docnum]
        found = _passage_matches(outline, self.positions[docnum], self.terms, self.compiler.phrases)
        groups, idf, mean, typed = self.compiler.groups, self.idf, self.mean_length, self.typed
        both = {
            n: _passage_scores(
                outline.lengths[n],
                {k: v for k, v in keys.items() if typed.get(k, frozenset()).isdisjoint(keys)}
                if typed
                else keys,
                groups,
                idf,
                mean,
                proximity,
                self.weights,
            )
            for n, keys in found.items()
        }
        if proximity:
            self.plain[docnum] = (found, {n: plain for n, (_, plain) in both.items()})
        return found, {n: score for n, (score, _) in both.items()}


def _best_passages(
    evidence: _Evidence, parts: Iterable[tuple[int, Outline]], proximity: bool = False
) -> list[tuple[float, int, int, int, dict[Any, list[int]]]]:
    """Every matched passage of an article's parts (docnum, outline), best first: (score,
    passage number in the article, number of the passage in its part, the part's docnum,
    what matched where); ``proximity`` as in :meth:`_Evidence.scored`."""
    out = []
    for docnum, outline in parts:
        evidence.compiler.cost.check()
        found, scores = evidence.scored(docnum, outline, proximity)
        first = outline.first
        out += [(score, first + n, n, docnum, found[n]) for n, score in scores.items()]
    out.sort(key=lambda item: (-item[0], item[1]))
    return out


def rerank(
    index: Index,
    searcher: Searcher,
    compiler: Compiler,
    ranked: Sequence[Ranked],
    depth: int = RERANK_DEPTH,
    words: list[str] | None = None,
) -> list[Ranked]:
    """The top ``depth`` articles re-ordered with their best passage's score added (at
    PASSAGE_WEIGHT): an article whose words meet in one passage beats one, often longer,
    that holds them far apart. Then each score grows with how closely the article's title
    says the query's ``words`` (see :mod:`.title_match`). Passages are found from the
    parts' outlines: no article text is read here."""
    top = list(ranked[:depth])
    if len(top) < 2:
        return list(ranked)
    evidence = compiler.reranked = _Evidence(
        index, searcher, compiler, [d for r in top for d in r.parts]
    )
    found_templates = index.templates(searcher)
    outlines = index.outlines(searcher)
    columns = index.columns(searcher)
    rescored = []
    like = TitleMatch(words or [])
    for r in top:
        parts = {d: outlines[d] for d in r.parts}
        found = _best_passages(evidence, parts.items(), proximity=True)
        best = found[0][0] if found else 0.0
        score = r.score + PASSAGE_WEIGHT * best
        if words:
            head = parts[r.docnum] if r.docnum in parts else outlines[r.docnum]
            title = head.title
            said = {"path": columns.path(r.docnum), "title": title}  # what a template needs
            if is_template(said, found_templates):  # shown with a heading of its text
                title = shown_title(searcher.stored_fields(r.docnum), found_templates)
            score *= 1 + TITLE_MATCH_WEIGHT * like(title)
        rescored.append(replace(r, score=score))
    rescored.sort(key=lambda r: (-r.score, r.docnum))
    return rescored + list(ranked[depth:])


def hits(
    index: Index,
    searcher: Searcher,
    compiler: Compiler,
    page: Sequence[Ranked],
    first_rank: int,
    text_query: bool,
) -> list[Hit]:
    """The best passages (up to PASSAGES_PER_ARTICLE) of each article on the page, from
    any of its parts.

    Which passages matched, and where, comes from the positions of the query's terms in
    the article (each passage owns a range of positions); the matched words are marked
    from those positions too, so only the shown passages are tokenised again.
    """
    from .analysis import spans_at
    from .schema import stored_passage_fields

    parts = [d for r in page for d in r.parts]
    evidence = None
    if text_query:
        shared: _Evidence | None = compiler.reranked
        covered = shared is not None and shared.covers(parts)
        evidence = shared if covered else _Evidence(index, searcher, compiler, parts)
    highlighter = Highlighter(frozenset(compiler.terms), tuple(compiler.phrases))
    found = index.templates(searcher)
    outlines = index.outlines(searcher)
    hits = []
    for rank, r in enumerate(page, start=first_rank):
        compiler.cost.check()
        chosen: list[tuple[dict[str, Any], int, dict[Any, list[int]] | None]] = []
        if evidence is not None:
            # The passages are chosen from the parts' outlines; only the parts holding
            # those shown are read (a long file's other parts are never decompressed).
            outlined = [(d, outlines[d]) for d in r.parts]
            best = _best_passages(evidence, outlined)[:PASSAGES_PER_ARTICLE]
            stored = {d: searcher.stored_fields(d) for d in sorted({b[3] for b in best})}
            chosen = [(stored[d], n, found) for _, _, n, d, found in best]
        if not chosen:
            fields = searcher.stored_fields(min(r.parts))
            if not fields.get("passages"):
                continue
            chosen = [(fields, 0, None)]
        title = _title(searcher, r, chosen[0][0], found)  # the same from any of its parts
        for f, n, where_found in chosen:
            number, _kind, section, start, end, text = stored_passage_fields(f, n)
            entry = f["passages"][n]
            stored_meta = f.get("meta") or {}  # every part carries its article's metadata
            meta = {k: str(stored_meta.get(k) or "") for k in HIT_META}
            if where_found is not None:
                first = f["passages"][n][5]
                marked: set[int] = set()
                for key, where in where_found.items():
                    width = len(key) if isinstance(key, tuple) else 1
                    marked.update(p - first + i for p in where for i in range(width))
                spans = merge_spans(sorted(spans_at(text, marked, highlighter.terms)), text)
            else:
                spans = highlighter.spans(text)
            hits.append(
                Hit(
                    rank=rank,
                    doc_id=f["doc_id"],
                    title=title,
                    path=f.get("path", ""),
                    section=section,
                    passage=number,
                    start=start,
                    end=end,
                    text=text,
                    snippet=mark_html(text, spans),
                    score=round(r.score, 4),
                    spans=tuple(spans),
                    page=entry[7] if len(entry) > 7 else None,
                    meta=meta,
                    also_in=r.also_in,
                    folded=r.folded,
                )
            )
    return hits


def _title(searcher: Searcher, r: Ranked, fields: dict[str, Any], found: Templates) -> str:
    """The article's title as shown (see :mod:`.titles`), from its first part's passages
    when a template is replaced."""
    if not is_template(fields, found):
        return str(fields.get("title", ""))
    if fields.get("offset"):  # a later part of a long file (rare for a template page)
        from .schema import parts_of

        fields = parts_of(searcher, r.doc_id)[0]
    return shown_title(fields, found)
