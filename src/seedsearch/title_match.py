"""How closely an article's title says what the query says, word for word.

BM25F scores the title's terms one by one, after stemming, so "Créer des répertoires" and
"Créer un répertoire" are the same title to it, and a long title holding the query's words
among others scores as well as the title that *is* the query. People often type a page's
title, or nearly (an index entry, a man page's description, a menu command): the title
whose words, as written (accents and case aside, small words included), are the query's
is the page they mean. The likeness is the Dice coefficient of the two word multisets,
taken over the title and each of its segments ("4.12. Retournement", "mkdir(2) — Créer un
répertoire": numbering set aside, segments split at dashes and colons), the best of them.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache

from .analysis import analyse
from .query import Node, Phrase, Word, leaves

# An article's score is multiplied by 1 + TITLE_MATCH_WEIGHT × likeness (1 for a title
# that is the query word for word). Measured on the bench judgments: 0.25 to 1.0 all help;
# past 1.0 a short title that merely holds the query ("Texte") beats the page about it.
TITLE_MATCH_WEIGHT = 0.5

# "4.12. ", "Chapitre 17. ", "Annexe B. ", "A.13. " before a title.
_NUMBERING = re.compile(r"^\s*(?:chapitre\s+|annexe\s+)?[\dA-Z]{1,3}(?:\.\d+)*\.?\s+", re.I)
_SEGMENTS = re.compile(r"\s+[—–-]\s+|:\s+")


def query_words(node: Node) -> list[str]:
    """The words a query asks for, as typed and folded (the words it excludes and its
    metadata filters aside)."""
    words: list[str] = []
    for leaf, positive in leaves(node):
        if positive and isinstance(leaf, Word | Phrase) and leaf.field in (None, "title"):
            words += _words(leaf.text)
    return words


def likeness(words: list[str], title: str) -> float:
    """The Dice coefficient of ``words`` (see :func:`query_words`) and the title's words, for
    the best of the title and its segments: 1.0 when one says exactly the query."""
    return TitleMatch(words)(title)


class TitleMatch:
    """:func:`likeness` to the query's ``words``, for title after title (the query's word
    counts made once)."""

    def __init__(self, words: list[str]) -> None:
        self.wanted = Counter(words)
        self.n = len(words)

    def __call__(self, title: str) -> float:
        if not self.n or not title:
            return 0.0
        wanted, n = self.wanted, self.n
        return max((_dice(wanted, n, *seg) for seg in _title_words(title)), default=0.0)


# Every query re-ranks some 30 articles, and the same titles come back query after query:
# analysing them again was a tenth of a keyword query's time. A title's segments, as word
# counts, are kept for the process (titles are short; 8192 of them are a few MB at most).
@lru_cache(maxsize=8192)
def _title_words(title: str) -> tuple[tuple[Counter[str], int], ...]:
    found = (_words(s) for s in _segments(title))
    return tuple((Counter(words), len(words)) for words in found)


def _segments(title: str) -> Iterable[str]:
    title = _NUMBERING.sub("", title)
    yield title
    for segment in _SEGMENTS.split(title):
        if segment.strip():
            yield _NUMBERING.sub("", segment)


def _words(text: str) -> list[str]:
    return [t.folded for t in analyse(text) if not t.joined]


def _dice(wanted: Counter[str], n: int, found: Counter[str], size: int) -> float:
    if not size:
        return 0.0
    shared = 0  # the size of the multisets' intersection
    for word, count in wanted.items():
        held = found.get(word, 0)
        shared += count if count < held else held
    return 2 * shared / (n + size)
