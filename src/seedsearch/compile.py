"""Compiling a query tree to Whoosh queries: vocabulary look-ups, spelling correction,
prefix and fuzzy expansion (exact phrases are matched by :mod:`.phrases`).

Every search has a bounded cost (:class:`~.budget.Cost`, with the limits of
:mod:`~.budget`); a search past its deadline ends with
:class:`~.errors.QueryTooExpensiveError`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from whoosh.matching import AndNotMatcher, WrappingMatcher
from whoosh.query import AndNot
from whoosh.query import Or as WOr
from whoosh.query.wrappers import WrappingQuery

from .analysis import analyse, is_number, is_stop_word, normalise_word, term_for
from .budget import (
    MAX_EXPANSIONS,
    OR_POSTINGS,
    QUERY_EXPANSIONS,
    QUERY_POSTINGS,
    Cost,
)
from .filters import TEXT_FILTERS, date_range, folder_key, format_name
from .phrases import ExactPhrase
from .postings import decode_positions as decode_positions  # read by passages too
from .postings import doc_frequency
from .query import (
    And,
    Filter,
    Node,
    Not,
    Or,
    Phrase,
    Word,
    is_stop,
    unparse,
    without_stop_words,
)
from .spelling import Spelling, _budget, text_of
from .synonyms import find_runs

if TYPE_CHECKING:
    from whoosh.searching import Searcher

    from .synonyms import Entry

# A word's synonyms (AI for IA) add to its match at this weight.
SYNONYM_WEIGHT = 0.8


# --- compiling to Whoosh ---------------------------------------------------------------


class Compiler:
    def __init__(self, searcher: Searcher, spelling: Spelling) -> None:
        self.searcher = searcher
        self.spelling = spelling
        self.reader = searcher.reader()
        self.cost = spelling.cost
        self.cost.compilations += 1
        # Terms added by prefix and fuzzy words, and their postings (QUERY_EXPANSIONS and
        # QUERY_POSTINGS at most).
        self.expanded = 0
        self.expanded_postings = 0
        self.or_postings = 0
        self.dropped: list[str] = []  # words past the budget
        self.terms: set[str] = set()
        self.phrases: list[tuple[str, ...]] = []
        # The terms and phrases of each positive query word, to count how many of the
        # query's words a passage holds.
        self.groups: list[frozenset[str | tuple[str, ...]]] = []
        # Raw body postings of the top articles when the search already read them.
        self.postings: dict[int, dict[str, bytes]] = {}
        # What re-ranking the top articles read and worked out about their passages (see
        # passages.py): the page's passages are taken from the same parts.
        self.reranked: Any = None
        # The derivational family of each plain positive word's term (other terms that
        # add to its match at a lower weight): afficher → affichage, affiche.
        self.families: dict[str, tuple[str, ...]] = {}
        # Synonyms (:mod:`.synonyms`): the single-word synonym terms of each plain positive
        # word's term (matched like its family, for the flat-AND ranking), what each
        # added term or phrase stands for, and the entries added, as written.
        self.thesaurus = spelling.index.synonyms()
        self.synonyms: dict[str, tuple[str, ...]] = {}
        self.synonym_of: dict[str | tuple[str, ...], tuple[str, str]] = {}  # (typed, entry)
        self.also: list[str] = []
        self._frequency: dict[tuple[str, str], int] = {}

    # Vocabulary look-ups -----------------------------------------------------------

    def frequency(self, field: str, term: str) -> int:
        """How many documents hold ``term`` in ``field`` (looked up once per query: the
        spelling check, the families and the ranking ask for the same terms)."""
        key = (field, term)
        found = self._frequency.get(key)
        if found is None:
            found = self._frequency[key] = doc_frequency(self.reader, field, term)
        return found

    def known(self, term: str) -> bool:
        return bool(self.frequency("body", term) or self.frequency("title", term))

    def nearest(self, folded: str, maxdist: int) -> str | None:
        return self.spelling.nearest(folded, maxdist)

    def expand(self, node: Word) -> list[str] | None:
        """The folded words a prefix or fuzzy word stands for, the most frequent first,
        within what is left of the query's budget; None once the budget is spent."""
        words = self.spelling.expansions(normalise_word(node.text), node.prefix, node.fuzzy)
        field = node.field or "body"
        kept: list[str] = []
        for w in words[:MAX_EXPANSIONS]:
            postings = self.reader.doc_frequency(field, term_for(w))
            # A word's first term is let in while any budget is left, however common it
            # is (so one word in a big index is never dropped).
            spent = self.expanded_postings + (postings if kept else 0)
            if self.expanded >= QUERY_EXPANSIONS or spent >= QUERY_POSTINGS:
                break
            self.expanded += 1
            self.expanded_postings += postings
            self.cost.expanded += 1
            self.cost.postings += postings
            kept.append(w)
        return kept or None

    def field_prefix(self, node: Word) -> list[str]:
        """The terms of a metadata field (an author's, a source's names) starting with a
        prefix: looked up in the field itself, which the spelling dictionary leaves out."""
        from itertools import islice

        folded = normalise_word(node.text)
        stem = term_for(folded)

        def starting(prefix: str) -> set[str]:
            found = islice(self.reader.expand_prefix(node.field, prefix), MAX_EXPANSIONS)
            return {text_of(t) for t in found}

        # Terms are stems: marie* is the name Marie itself (mar), and courr* reaches
        # courrier (couri) only through its own stem's prefix (cour), tried last.
        terms = starting(folded) | ({stem} if (node.field, stem) in self.reader else set())
        if not terms:
            terms = starting(stem)
        self.cost.visit(len(terms))
        return sorted(terms)[:MAX_EXPANSIONS]

    def family(self, folded: str, term: str) -> tuple[str, ...]:
        """Indexed terms of the words derived from the same base as ``folded``."""
        found = self.spelling.family(folded) - {term}
        return tuple(sorted(t for t in found if self.frequency("body", t)))

    # Building queries --------------------------------------------------------------

    def fields(self, scope: str | None) -> list[tuple[str, float]]:
        return [(scope or "body", 1.0)]

    def any_term(self, terms: Iterable[str], scope: str | None, positive: bool) -> Any:
        from whoosh.query import NullQuery, Term

        terms = sorted(set(terms))
        if positive and scope not in TEXT_FILTERS:  # a filter's words are not highlighted
            self.terms.update(terms)
        subs = [Term(f, t, boost=b) for t in terms for f, b in self.fields(scope)]
        if not subs:
            return NullQuery
        return subs[0] if len(subs) == 1 else any_of(subs)

    def phrase(self, stems: list[str], scope: str | None, positive: bool) -> Any:
        from whoosh.query import Or

        if positive and scope not in TEXT_FILTERS:
            self.phrases.append(tuple(stems))
        subs = [
            ExactPhrase(f, stems, slop=1, boost=b, cost=self.cost) for f, b in self.fields(scope)
        ]
        return subs[0] if len(subs) == 1 else Or(subs)

    def word(self, node: Word, positive: bool) -> Any:
        from whoosh.query import Or

        if node.prefix and node.field in TEXT_FILTERS:
            return self.any_term(self.field_prefix(node), node.field, positive)
        if node.prefix or node.fuzzy is not None:
            words = self.expand(node)
            if words is None:
                self.dropped.append(unparse(node))
                return _DROPPED
            return self.any_term((term_for(w) for w in words), node.field, positive)
        toks = list(analyse(node.text))
        parts = [t.text for t in toks if not t.joined]
        joined = [t.text for t in toks if t.joined]
        # A name in a metadata filter is matched as written: no synonyms.
        filtering = node.field in TEXT_FILTERS
        targets = self.thesaurus.lookup(node.text) if parts and not filtering else []
        if len(parts) == 1:
            if positive and node.field is None and len(toks) == 1:
                family = self.family(toks[0].folded, parts[0])
                if family:
                    self.families[parts[0]] = family
                    self.terms.update(family)
            if targets and len(toks) == 1 and is_stop_word(toks[0].folded):  # AI, not ai
                return self.alternatives(None, targets, node.field, positive, node.text)
            q = self.any_term(parts, node.field, positive)
            if targets and node.field is None and all(len(t.stems) == 1 for t in targets):
                if positive:
                    self.synonyms[parts[0]] = tuple(t.stems[0] for t in targets)
                return self.alternatives(q, targets, node.field, positive, node.text, parts[0])
            return self.alternatives(q, targets, node.field, positive, node.text)
        subs = [self.phrase(parts, node.field, positive)]
        if joined:
            subs.append(self.any_term(joined, node.field, positive))
        q = subs[0] if len(subs) == 1 else Or(subs)
        return self.alternatives(q, targets, node.field, positive, node.text)

    def alternatives(
        self,
        q: Any,
        targets: list[Entry],
        scope: str | None,
        positive: bool,
        typed: str,
        word: str | None = None,
    ) -> Any:
        """``q`` or any of its synonyms ``targets`` (phrases for entries of several words).
        ``word``: ``q`` is that one body term, which the flat-AND ranking matches with its
        synonyms as a group (see :func:`.ranking._plain_terms`)."""
        if not targets:
            return q
        subs = [] if q is None else [q]
        for t in targets:
            if positive and t.text not in self.also:
                self.also.append(t.text)
            k: str | tuple[str, ...] = t.stems[0] if len(t.stems) == 1 else t.stems
            self.synonym_of.setdefault(k, (typed, t.text))
            if len(t.stems) == 1:
                sub = self.any_term(t.stems, scope, positive)
            else:
                sub = self.phrase(list(t.stems), scope, positive)
            subs.append(sub.with_boost(sub.boost * SYNONYM_WEIGHT))
        if len(subs) == 1:
            return subs[0]
        either = Synonymous(subs)
        either.word = word
        return either

    def leaf(self, node: Word | Phrase, positive: bool) -> Any:
        if isinstance(node, Word):
            return self.word(node, positive)
        # A quoted phrase is searched as written: no synonyms.
        stems = [t.text for t in analyse(node.text) if not t.joined]
        if len(stems) == 1:
            return self.any_term(stems, node.field, positive)
        return self.phrase(stems, node.field, positive)

    def run(self, words: list[Word], targets: list[Entry], positive: bool, in_or: bool) -> Any:
        """A run of words (see :meth:`runs`): all of them, or one of their synonyms; a
        passage holding either holds one query word."""
        from whoosh.query import And as WAnd

        groups, terms, phrases = len(self.groups), set(self.terms), len(self.phrases)
        content = [w for w in words if not is_stop(w)]
        subs = _kept(self._compile(w, positive, in_or) for w in content)
        original = (subs[0] if len(subs) == 1 else WAnd(subs)) if subs else None
        q = self.alternatives(original, targets, None, positive, " ".join(w.text for w in words))
        keys = (self.terms - terms) | set(self.phrases[phrases:])
        for group in self.groups[groups:]:
            keys |= group
        del self.groups[groups:]
        if positive and keys:
            self.groups.append(frozenset(keys))
        return q

    def compile(self, node: Node, positive: bool = True) -> Any:
        from whoosh.query import NullQuery

        q = self._compile(node, positive, False)
        return NullQuery if q is _DROPPED else q

    def _over_or_budget(self, node: Word | Phrase) -> bool:
        """Whether a plain word or phrase under an OR would take the postings of the
        query's OR branches past OR_POSTINGS (an OR reads every posting of every branch;
        an AND only the rarest word's). The first branch always fits."""
        field = node.field or "body"
        postings = sum(self.reader.doc_frequency(field, t.text) for t in analyse(node.text))
        if self.or_postings and self.or_postings + postings > OR_POSTINGS:
            return True
        self.or_postings += postings
        self.cost.postings += postings
        return False

    def _compile(self, node: Node, positive: bool, in_or: bool) -> Any:
        """The Whoosh query for ``node``, or _DROPPED if nothing of it is left."""
        from whoosh.query import And as WAnd
        from whoosh.query import NullQuery

        self.cost.check()
        if isinstance(node, Filter):
            return unscored(filter_query(node))
        if isinstance(node, (Word, Phrase)):
            expanding = isinstance(node, Word) and (node.prefix or node.fuzzy is not None)
            if in_or and not expanding and self._over_or_budget(node):
                self.dropped.append(unparse(node))
                return _DROPPED
            terms, phrases = set(self.terms), len(self.phrases)
            q = self.leaf(node, positive)
            if node.field in TEXT_FILTERS:
                return unscored(q)  # a filter selects; it adds nothing to the score
            keys = (self.terms - terms) | set(self.phrases[phrases:])
            if positive and keys:
                self.groups.append(frozenset(keys))
            return q
        if isinstance(node, Not):
            # Every article but these (not Whoosh's Not: it would find the dictionary too).
            child = self._compile(node.child, not positive, in_or)
            return _DROPPED if child is _DROPPED else _AndNot(_all_articles(), child)
        if isinstance(node, Or):
            subs = _kept(self._compile(c, positive, True) for c in distinct(node.children))
            return (subs[0] if len(subs) == 1 else any_of(subs)) if subs else _DROPPED
        children, runs = find_runs(distinct(node.children), self.thesaurus)
        pos: list[Node] = [c for c in children if not isinstance(c, Not)]
        neg = [c.child for c in children if isinstance(c, Not)]
        positives = _kept(self.run(words, targets, positive, in_or) for words, targets in runs)
        # The runs hold the query's content words: the stop words left are dropped.
        pos = [c for c in pos if not is_stop(c)] if runs else without_stop_words(pos)
        positives += _kept(self._compile(c, positive, in_or) for c in pos)
        negatives = _kept(self._compile(c, not positive, in_or) for c in neg)
        if not positives and not negatives:
            return _DROPPED
        base = (
            (positives[0] if len(positives) == 1 else WAnd(positives))
            if positives
            else _all_articles()
        )
        if not negatives:
            return base
        excluded = negatives[0] if len(negatives) == 1 else any_of(negatives)
        return _AndNot(base, excluded) if base is not NullQuery else NullQuery


_DROPPED = object()  # what is left of a prefix or fuzzy word past the budget


def filter_query(node: Filter) -> Any:
    """The Whoosh query of a ``date:``, ``type:`` or ``dossier:`` filter."""
    from whoosh.query import NumericRange, Term

    if node.field == "date":
        lo, hi = date_range(node.value)
        return NumericRange("date", lo, hi)
    if node.field == "format":
        return Term("format", format_name(node.value))
    return Term("folder", folder_key(node.value))


def unscored(q: Any) -> Any:
    """``q`` matching as it does, with a score of 0: a filter never changes the ranking.
    (Whoosh's ConstantScoreQuery takes a score of 0 for "none given", and scores 1.)"""
    return _Unscored(q)


def is_filter(q: Any) -> bool:
    return isinstance(q, _Unscored)


class _Unscored(WrappingQuery):  # type: ignore[misc]
    def apply(self, fn: Any) -> _Unscored:
        return _Unscored(fn(self.child))

    def matcher(self, searcher: Searcher, context: Any = None) -> Any:
        from whoosh.matching import NullMatcherClass

        m = self.child.matcher(searcher, context)
        return m if isinstance(m, NullMatcherClass) else _UnscoredMatcher(m)


class _UnscoredMatcher(WrappingMatcher):  # type: ignore[misc]
    def copy(self) -> _UnscoredMatcher:
        return _UnscoredMatcher(self.child.copy())

    def _replacement(self, newchild: Any) -> _UnscoredMatcher:
        return _UnscoredMatcher(newchild)

    def supports_block_quality(self) -> bool:
        return False

    def max_quality(self) -> float:
        return 0.0

    def score(self) -> float:
        return 0.0


class Synonymous(WOr):  # type: ignore[misc]
    """A query word or its synonyms. ``word``: the word's one body term when every
    synonym is one term too (the flat-AND ranking then takes it as a group of terms)."""

    word: str | None = None


def _kept(queries: Iterable[Any]) -> list[Any]:
    return [q for q in queries if q is not _DROPPED]


def any_of(queries: list[Any]) -> Any:
    """An OR of ``queries``. Whoosh's default OR is a binary tree of union matchers, whose
    every step walks the tree (the cost of a prefix's 64 terms grows with the tree); the
    preloaded OR reads each posting once into an array, for every size of index."""
    from whoosh.query import Or
    from whoosh.query.compound import PreloadedOr

    return Or(queries) if len(queries) < 3 else PreloadedOr(queries)


def distinct(nodes: list[Node]) -> list[Node]:
    """The nodes without repeats: ``a* a* a*`` is ``a*``, compiled and matched once."""
    seen: set[str] = set()
    kept = []
    for n in nodes:
        if (key := repr(n)) not in seen:
            seen.add(key)
            kept.append(n)
    return kept


class _AndNot(AndNot):  # type: ignore[misc]
    """Whoosh's AndNot, with the matcher below."""

    def matcher(self, searcher: Searcher, context: Any = None) -> Any:
        scored = self.a.matcher(searcher, context)
        excluded = self.b.matcher(searcher, searcher.boolean_context())
        return _AndNotMatcher(scored, excluded)


class _AndNotMatcher(AndNotMatcher):  # type: ignore[misc]
    """Whoosh's AndNotMatcher (2.7 and whoosh3) moves past excluded documents on its first
    step only when both matchers start on the same document: when the excluded list starts
    earlier, the first match escapes the exclusion (one article per index segment)."""

    def _find_first(self) -> None:
        if self.a.is_active() and self.b.is_active():
            self._find_next()


def bounded(q: Any, cost: Cost) -> Any:
    """``q``, with the deadline checked while its matches are collected."""
    return _Bounded(q, cost)


class _Bounded(WrappingQuery):  # type: ignore[misc]
    def __init__(self, child: Any, cost: Cost) -> None:
        super().__init__(child)
        self.cost = cost

    def apply(self, fn: Any) -> _Bounded:
        return _Bounded(fn(self.child), self.cost)

    def matcher(self, searcher: Searcher, context: Any = None) -> Any:
        return _BoundedMatcher(self.child.matcher(searcher, context), self.cost)


class _BoundedMatcher(WrappingMatcher):  # type: ignore[misc]
    def __init__(self, child: Any, cost: Cost) -> None:
        super().__init__(child)
        self.cost = cost

    def copy(self) -> _BoundedMatcher:
        return _BoundedMatcher(self.child.copy(), self.cost)

    def _replacement(self, newchild: Any) -> _BoundedMatcher:
        return _BoundedMatcher(newchild, self.cost)

    def next(self) -> Any:
        self.cost.tick()
        return self.child.next()

    def skip_to(self, id: int) -> Any:
        self.cost.tick()
        return self.child.skip_to(id)


def _all_articles() -> Any:
    from whoosh.query import ConstantScoreQuery, Term

    from .schema import ARTICLE

    return ConstantScoreQuery(Term("kind", ARTICLE), 1.0)


def correct(node: Node, compiler: Compiler, budget_extra: int = 0) -> tuple[Node, bool]:
    """Replace words that match nothing with the nearest indexed word, within budget."""
    changed = False

    def fix(n: Node, positive: bool) -> Node:
        nonlocal changed
        compiler.cost.check()
        if isinstance(n, Word):
            if not positive or n.prefix or n.fuzzy is not None or n.field in TEXT_FILTERS:
                return n
            toks = list(analyse(n.text))
            if len(toks) != 1 or is_number(toks[0].folded) or is_stop_word(toks[0].folded):
                return n
            tok = toks[0]
            if not tok.folded.isalpha() or compiler.known(tok.text):
                return n
            if compiler.thesaurus.lookup(n.text):  # its synonyms may be in the index
                return n
            budget = _budget(tok.folded)
            if budget_extra:
                budget = max(1, budget + budget_extra) if len(tok.folded) >= 3 else 0
            cand = compiler.nearest(tok.folded, budget)
            if cand is None:
                return n
            changed = True
            return replace(n, text=cand)
        if isinstance(n, Not):
            return Not(fix(n.child, not positive))
        if isinstance(n, (And, Or)):
            return type(n)([fix(c, positive) for c in n.children])
        return n

    return fix(node, True), changed
