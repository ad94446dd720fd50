"""Compiling a query tree to Whoosh queries: vocabulary look-ups, spelling correction,
prefix and fuzzy expansion, and the exact-phrase matcher."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Iterator
from dataclasses import replace
from itertools import accumulate
from pickle import loads
from typing import TYPE_CHECKING, Any

from whoosh.query import Phrase as WhooshPhrase
from whoosh.query.spans import Span, SpanWrappingMatcher

from .analysis import analyse, is_number, is_stop_word, normalise_word, term_for
from .query import And, Node, Not, Or, Phrase, Word, without_stop_words

if TYPE_CHECKING:
    from whoosh.searching import Searcher

    from .store import Index

MAX_EXPANSIONS = 64

# --- compiling to Whoosh ---------------------------------------------------------------


def _budget(folded: str) -> int:
    """Edits allowed when correcting a word: none under 5 letters, 1 up to 8, then 2."""
    n = len(folded)
    return 0 if n < 5 else 1 if n <= 8 else 2


def _edit_distance(a: str, b: str) -> int:
    """Damerau–Levenshtein (optimal string alignment) distance."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


def text_of(t: str | bytes) -> str:
    return t.decode("utf-8") if isinstance(t, bytes) else t


class Spelling:
    """Look-ups in the index's spelling dictionary (folded words), loaded on first use."""

    def __init__(self, index: Index, searcher: Searcher) -> None:
        self.index = index
        self.searcher = searcher
        self._words: tuple[list[str], list[int]] | None = None

    @property
    def lists(self) -> tuple[list[str], list[int]]:
        if self._words is None:
            self._words = self.index.spelling(self.searcher)
        return self._words

    def freq(self, word: str) -> int:
        words, counts = self.lists
        i = bisect_left(words, word)
        return counts[i] if i < len(words) and words[i] == word else 0

    def prefix(self, prefix: str) -> Iterator[str]:
        words, _ = self.lists
        for i in range(bisect_left(words, prefix), len(words)):
            if not words[i].startswith(prefix):
                break
            yield words[i]

    def within(self, word: str, maxdist: int) -> Iterator[str]:
        """Words within ``maxdist`` Levenshtein edits, found by walking a Levenshtein
        automaton through the sorted word list (Whoosh's own method for its lexicons)."""
        from whoosh.automata.fsa import find_all_matches
        from whoosh.automata.lev import levenshtein_automaton

        words, _ = self.lists

        def first_at_least(key: str) -> str | None:
            i = bisect_left(words, key)
            return words[i] if i < len(words) else None

        dfa = levenshtein_automaton(word, maxdist).to_dfa()
        yield from find_all_matches(dfa, first_at_least)


class Compiler:
    def __init__(self, searcher: Searcher, spelling: Spelling) -> None:
        self.searcher = searcher
        self.spelling = spelling
        self.reader = searcher.reader()
        self.terms: set[str] = set()
        self.phrases: list[tuple[str, ...]] = []
        # The terms and phrases of each positive query word, to count how many of the
        # query's words a passage holds.
        self.groups: list[frozenset[str | tuple[str, ...]]] = []
        # Raw body postings of the top articles when the search already read them.
        self.postings: dict[int, dict[str, bytes]] = {}

    # Vocabulary look-ups -----------------------------------------------------------

    def known(self, term: str) -> bool:
        return bool(
            self.reader.doc_frequency("body", term) or self.reader.doc_frequency("title", term)
        )

    def spell_freq(self, word: str) -> int:
        return self.spelling.freq(word)

    def nearest(self, folded: str, maxdist: int) -> str | None:
        if maxdist <= 0:
            return None
        best: tuple[int, int, str] | None = None
        for cand in self.spelling.within(folded, maxdist):
            if cand == folded or is_number(cand):
                continue
            key = (_edit_distance(folded, cand), -self.spell_freq(cand), cand)
            if key[0] <= maxdist and (best is None or key < best):
                best = key
        return best[2] if best else None

    def expand_prefix(self, folded: str) -> list[str]:
        words: list[str] = []
        for i, w in enumerate(self.spelling.prefix(folded)):
            if i >= 5000:
                break
            words.append(w)
        if len(words) > MAX_EXPANSIONS:
            words.sort(key=lambda w: -self.spell_freq(w))
            words = words[:MAX_EXPANSIONS]
        return words

    # Building queries --------------------------------------------------------------

    def fields(self, scope: str | None) -> list[tuple[str, float]]:
        return [("title", 1.0)] if scope == "title" else [("body", 1.0)]

    def any_term(self, terms: Iterable[str], scope: str | None, positive: bool) -> Any:
        from whoosh.query import NullQuery, Or, Term

        terms = sorted(set(terms))
        if positive:
            self.terms.update(terms)
        subs = [Term(f, t, boost=b) for t in terms for f, b in self.fields(scope)]
        if not subs:
            return NullQuery
        return subs[0] if len(subs) == 1 else Or(subs)

    def phrase(self, stems: list[str], scope: str | None, positive: bool) -> Any:
        from whoosh.query import Or

        if positive:
            self.phrases.append(tuple(stems))
        subs = [_ExactPhrase(f, stems, slop=1, boost=b) for f, b in self.fields(scope)]
        return subs[0] if len(subs) == 1 else Or(subs)

    def word(self, node: Word, positive: bool) -> Any:
        from whoosh.query import Or

        if node.prefix or node.fuzzy is not None:
            folded = normalise_word(node.text)
            if node.prefix:
                words = self.expand_prefix(folded)
            else:
                dist = node.fuzzy or max(1, _budget(folded))
                words = [folded, *self.spelling.within(folded, dist)]
            return self.any_term((term_for(w) for w in words), node.field, positive)
        toks = list(analyse(node.text))
        parts = [t.text for t in toks if not t.joined]
        joined = [t.text for t in toks if t.joined]
        if len(parts) == 1:
            return self.any_term(parts, node.field, positive)
        subs = [self.phrase(parts, node.field, positive)]
        if joined:
            subs.append(self.any_term(joined, node.field, positive))
        return subs[0] if len(subs) == 1 else Or(subs)

    def leaf(self, node: Word | Phrase, positive: bool) -> Any:
        if isinstance(node, Word):
            return self.word(node, positive)
        stems = [t.text for t in analyse(node.text) if not t.joined]
        if len(stems) == 1:
            return self.any_term(stems, node.field, positive)
        return self.phrase(stems, node.field, positive)

    def compile(self, node: Node, positive: bool = True) -> Any:
        from whoosh.query import And as WAnd
        from whoosh.query import AndNot, NullQuery
        from whoosh.query import Or as WOr

        if isinstance(node, (Word, Phrase)):
            terms, phrases = set(self.terms), len(self.phrases)
            q = self.leaf(node, positive)
            keys = (self.terms - terms) | set(self.phrases[phrases:])
            if positive and keys:
                self.groups.append(frozenset(keys))
            return q
        if isinstance(node, Not):
            # Every article but these (not Whoosh's Not: it would find the dictionary too).
            return AndNot(_all_articles(), self.compile(node.child, not positive))
        if isinstance(node, Or):
            return WOr([self.compile(c, positive) for c in node.children])
        pos: list[Node] = [c for c in node.children if not isinstance(c, Not)]
        neg = [c.child for c in node.children if isinstance(c, Not)]
        positives = [self.compile(c, positive) for c in without_stop_words(pos)]
        negatives = [self.compile(c, not positive) for c in neg]
        base = (
            (positives[0] if len(positives) == 1 else WAnd(positives))
            if positives
            else _all_articles()
        )
        if not negatives:
            return base
        excluded = negatives[0] if len(negatives) == 1 else WOr(negatives)
        return AndNot(base, excluded) if base is not NullQuery else NullQuery


def decode_positions(value: bytes) -> list[int]:
    """A body posting's positions: Whoosh's Positions format (a 4-byte count, then the
    pickled deltas), summed in C rather than in Whoosh's Python loop."""
    return list(accumulate(loads(value[4:])))


class _ExactPhrase(WhooshPhrase):  # type: ignore[misc]
    """Whoosh's phrase query, with the positions checked by set arithmetic.

    (Whoosh builds a span object per position of every word in every candidate document;
    intersecting the position sets is several times faster on long articles.)
    """

    def matcher(self, searcher: Searcher, context: Any = None) -> Any:
        from whoosh import matching
        from whoosh.query import Term

        reader = searcher.reader()
        if any((self.fieldname, word) not in reader for word in self.words):
            return matching.NullMatcher()
        ms = [Term(self.fieldname, word).matcher(searcher, context) for word in self.words]
        order = sorted(
            range(len(ms)), key=lambda i: reader.doc_frequency(self.fieldname, self.words[i])
        )
        m = _PhraseMatcher(ms, order)
        return matching.WrappingMatcher(m, boost=self.boost) if self.boost != 1.0 else m


class _PhraseMatcher(SpanWrappingMatcher):  # type: ignore[misc]
    def __init__(self, ms: list[Any], order: list[int] | None = None) -> None:
        from whoosh.matching import IntersectionMatcher
        from whoosh.util import make_binary_tree

        self.ms = ms
        self.order = order if order is not None else list(range(len(ms)))
        super().__init__(make_binary_tree(IntersectionMatcher, ms))

    def copy(self) -> _PhraseMatcher:
        return _PhraseMatcher([m.copy() for m in self.ms], self.order)

    def replace(self, minquality: float = 0) -> Any:
        from whoosh.matching import NullMatcher

        return self if self.is_active() else NullMatcher()

    def _get_spans(self) -> list[Any]:
        starts: set[int] = set()
        # The rarest words first: their short position lists empty the set soonest.
        for n, i in enumerate(self.order):
            where = decode_positions(self.ms[i].value())
            starts = {p - i for p in where} if n == 0 else starts & {p - i for p in where}
            if not starts:
                return []
        width = len(self.ms) - 1
        return [Span(p, p + width) for p in sorted(starts)]


def _all_articles() -> Any:
    from whoosh.query import ConstantScoreQuery, Term

    from .schema import ARTICLE

    return ConstantScoreQuery(Term("kind", ARTICLE), 1.0)


def correct(node: Node, compiler: Compiler, budget_extra: int = 0) -> tuple[Node, bool]:
    """Replace words that match nothing with the nearest indexed word, within budget."""
    changed = False

    def fix(n: Node, positive: bool) -> Node:
        nonlocal changed
        if isinstance(n, Word):
            if not positive or n.prefix or n.fuzzy is not None:
                return n
            toks = list(analyse(n.text))
            if len(toks) != 1 or is_number(toks[0].folded) or is_stop_word(toks[0].folded):
                return n
            tok = toks[0]
            if not tok.folded.isalpha() or compiler.known(tok.text):
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
