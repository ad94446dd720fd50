"""Look-ups in the index's spelling dictionary: word frequencies, prefix expansion and
words within a few edits (spelling correction and fuzzy words), all within the search's
:class:`~.budget.Cost`.
"""

from __future__ import annotations

from bisect import bisect_left
from typing import TYPE_CHECKING

from .budget import (
    MAX_EXPANSIONS,
    MAX_FUZZY_LETTERS,
    MAX_FUZZY_WORDS,
    MAX_PREFIX_WORDS,
    MAX_VISITS,
    Cost,
)

if TYPE_CHECKING:
    from whoosh.searching import Searcher

    from .store import Index


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

    def __init__(self, index: Index, searcher: Searcher, cost: Cost | None = None) -> None:
        self.index = index
        self.searcher = searcher
        self.cost = cost or Cost()
        self._words: tuple[list[str], list[int]] | None = None
        # Expansions already worked out in this search: a repeated word costs nothing.
        self._prefixes: dict[str, list[str]] = {}
        self._near: dict[tuple[str, int], list[str]] = {}

    @property
    def lists(self) -> tuple[list[str], list[int]]:
        if self._words is None:
            self._words = self.index.spelling(self.searcher)
        return self._words

    def freq(self, word: str) -> int:
        words, counts = self.lists
        i = bisect_left(words, word)
        return counts[i] if i < len(words) and words[i] == word else 0

    def prefix(self, prefix: str) -> list[str]:
        """The most frequent words (up to MAX_EXPANSIONS, most frequent first) among the
        first MAX_PREFIX_WORDS starting with ``prefix``."""
        if prefix not in self._prefixes:
            words, counts = self.lists
            lo = bisect_left(words, prefix)
            hi = min(bisect_left(words, prefix + "\U0010ffff", lo), lo + MAX_PREFIX_WORDS)
            hi = lo + max(0, min(hi - lo, MAX_VISITS - self.cost.visited))
            self.cost.visit(hi - lo)
            top = sorted(range(lo, hi), key=lambda i: -counts[i])[:MAX_EXPANSIONS]
            self._prefixes[prefix] = [words[i] for i in top]
        return self._prefixes[prefix]

    def narrow_prefix(self, prefix: str, most: int) -> list[str]:
        """Make ``prefix`` stand for its ``most`` most frequent words in this search (a
        word being typed: fewer terms to read, as quick as a finished word)."""
        self._prefixes[prefix] = self.prefix(prefix)[:most]
        return self._prefixes[prefix]

    def starting_with(self, prefix: str, most: int) -> list[str]:
        """The first ``most`` words (alphabetically) starting with ``prefix``."""
        words, _ = self.lists
        lo = bisect_left(words, prefix)
        hi = min(bisect_left(words, prefix + "\U0010ffff", lo), lo + most)
        hi = lo + max(0, min(hi - lo, MAX_VISITS - self.cost.visited))
        self.cost.visit(hi - lo)
        return words[lo:hi]

    def within(self, word: str, maxdist: int) -> list[str]:
        """Words within ``maxdist`` Levenshtein edits, found by walking a Levenshtein
        automaton through the sorted word list (Whoosh's own method for its lexicons).
        Nothing for a word longer than MAX_FUZZY_LETTERS, or past MAX_FUZZY_WORDS words."""
        from whoosh.automata.fsa import find_all_matches
        from whoosh.automata.lev import levenshtein_automaton

        key = (word, maxdist)
        if key in self._near:
            return self._near[key]
        if len(word) > MAX_FUZZY_LETTERS or self.cost.automata >= MAX_FUZZY_WORDS:
            return []
        self.cost.automata += 1
        self.cost.longest = max(self.cost.longest, len(word))
        words, _ = self.lists
        cost = self.cost

        def first_at_least(key: str) -> str | None:
            # A step costs about the word's length; None ends the walk.
            if not cost.visit(len(word)):
                return None
            i = bisect_left(words, key)
            return words[i] if i < len(words) else None

        dfa = levenshtein_automaton(word, maxdist).to_dfa()
        self._near[key] = list(find_all_matches(dfa, first_at_least))
        return self._near[key]
