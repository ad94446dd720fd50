"""Look-ups in the index's spelling dictionary: word frequencies, prefix expansion and
words within a few edits (spelling correction and fuzzy words), all within the search's
:class:`~.budget.Cost`.
"""

from __future__ import annotations

import json
import os
import sys
from array import array
from bisect import bisect_left
from collections.abc import Sequence
from itertools import accumulate
from pathlib import Path
from typing import TYPE_CHECKING, overload

from .budget import (
    MAX_EXPANSIONS,
    MAX_FAMILY_SCAN,
    MAX_FUZZY_LETTERS,
    MAX_FUZZY_WORDS,
    MAX_PREFIX_WORDS,
    MAX_VISITS,
    Cost,
)

if TYPE_CHECKING:
    from whoosh.searching import Searcher

    from .manifest import Identity
    from .store import Index

# The spelling dictionary as a file beside the index, opened in a millisecond where its
# stored copy in the index (one pickled, compressed list of some 100,000 words) takes tens
# of them: a JSON header line naming the generation it belongs to, then the words' UTF-8
# bytes end to end, where each starts (n + 1 offsets) and their counts, as 32-bit
# unsigned integers, little-endian. Its words are decoded only as look-ups reach them.
WORDS_FILE = "seedsearch-words.bin"
WORDS_VERSION = 1

Words = Sequence[str]
Counts = Sequence[int]


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
        self._words: tuple[Words, Counts] | None = None
        # Expansions already worked out in this search: a repeated word costs nothing.
        self._prefixes: dict[str, list[str]] = {}
        self._near: dict[tuple[str, int], list[str]] = {}

    @property
    def lists(self) -> tuple[Words, Counts]:
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
        return list(words[lo:hi])

    def nearest(self, folded: str, maxdist: int) -> str | None:
        """The word within ``maxdist`` edits of ``folded`` that a typo most likely stands
        for: the fewest edits, then the most frequent; never a number."""
        from .analysis import is_number

        if maxdist <= 0:
            return None
        best: tuple[int, int, str] | None = None
        for cand in self.within(folded, maxdist):
            if cand == folded or is_number(cand):
                continue
            key = (_edit_distance(folded, cand), -self.freq(cand), cand)
            if key[0] <= maxdist and (best is None or key < best):
                best = key
        return best[2] if best else None

    def expansions(self, folded: str, prefix: bool, fuzzy: int | None) -> list[str]:
        """The words a prefix (``prefix``) or fuzzy word (``fuzzy`` edits, 0: by its
        length) stands for; a fuzzy word's own first, then the most frequent."""
        if prefix:
            return self.prefix(folded)
        near = self.within(folded, fuzzy or max(1, _budget(folded)))
        return [folded, *sorted((w for w in near if w != folded), key=lambda w: -self.freq(w))]

    def family(self, folded: str) -> set[str]:
        """The terms of the words derived from the same base as ``folded`` (affichage for
        afficher), found among the words sharing its first letters."""
        from .analysis import family_key, term_for

        key = family_key(folded)
        if not key:
            return set()
        shared = next(
            (i for i, (a, b) in enumerate(zip(folded, key, strict=False)) if a != b), len(key)
        )
        if shared < 4:  # a shorter prefix would mean scanning much of the dictionary
            return set()
        return {
            term_for(word)
            for word in self.starting_with(folded[:shared], MAX_FAMILY_SCAN)
            if family_key(word) == key
        }

    def within(self, word: str, maxdist: int) -> list[str]:
        """Words within ``maxdist`` Levenshtein edits (in dictionary order). One edit:
        found by walking a Levenshtein automaton through the sorted word list (Whoosh's
        own method for its lexicons), quick when few words are one edit apart. More
        edits: the automaton's walk grows to thousands of steps (30–40 ms for a word of
        12 letters in a dictionary of 76,000), so every word is compared in C instead
        (:func:`_scan`: a few ms). Nothing for a word longer than MAX_FUZZY_LETTERS, or
        past MAX_FUZZY_WORDS words."""
        key = (word, maxdist)
        if key in self._near:
            return self._near[key]
        if len(word) > MAX_FUZZY_LETTERS or self.cost.automata >= MAX_FUZZY_WORDS:
            return []
        self.cost.automata += 1
        self.cost.longest = max(self.cost.longest, len(word))
        # The walk bisects the list, the scan reads all of it: decoded whole, once per
        # generation.
        words = _whole(self.lists[0])
        if maxdist >= SCAN_FROM_EDITS:
            self._near[key] = _scan(word, maxdist, words, self.cost)
        else:
            self._near[key] = _walk(word, maxdist, words, self.cost)
        return self._near[key]


# Words this many edits apart or more are found by comparing every word (Spelling.within).
SCAN_FROM_EDITS = 2
# Words compared between two reads of the search's clock.
SCAN_CHUNK = 1 << 15


def _walk(word: str, maxdist: int, words: Words, cost: Cost) -> list[str]:
    """The words within ``maxdist`` edits of ``word``, by a Levenshtein automaton walked
    through the sorted ``words``; each step counts ``len(word)`` visits, and the walk
    stops when the search's visits are spent."""
    from whoosh.automata.fsa import find_all_matches
    from whoosh.automata.lev import levenshtein_automaton

    def first_at_least(key: str) -> str | None:
        # A step costs about the word's length; None ends the walk.
        if not cost.visit(len(word)):
            return None
        i = bisect_left(words, key)
        return words[i] if i < len(words) else None

    dfa = levenshtein_automaton(word, maxdist).to_dfa()
    return list(find_all_matches(dfa, first_at_least))


def _scan(word: str, maxdist: int, words: Words, cost: Cost) -> list[str]:
    """The words within ``maxdist`` edits of ``word``, every word of ``words`` compared
    in C (rapidfuzz, which skips a word as soon as its length or letters rule it out),
    a chunk at a time with the search's deadline checked between chunks. Its cost is
    bounded by the dictionary's size and MAX_FUZZY_WORDS, not counted in visits."""
    from rapidfuzz import process
    from rapidfuzz.distance import Levenshtein

    out: list[str] = []
    for start in range(0, len(words), SCAN_CHUNK):
        cost.check()
        chunk = words[start : start + SCAN_CHUNK]
        found = process.extract(
            word, chunk, scorer=Levenshtein.distance, score_cutoff=maxdist, limit=None
        )
        out += sorted(chunk[i] for _, _, i in found)
    return out


# --- the dictionary's file -------------------------------------------------------------


class WordList(Sequence[str]):
    """The sorted words of the dictionary's file, each decoded when it is read."""

    def __init__(self, blob: bytes, offsets: array[int]) -> None:
        self._blob = blob
        self._offsets = offsets
        self._whole: list[str] | None = None

    def __len__(self) -> int:
        return len(self._offsets) - 1

    @overload
    def __getitem__(self, i: int) -> str: ...
    @overload
    def __getitem__(self, i: slice) -> list[str]: ...
    def __getitem__(self, i: int | slice) -> str | list[str]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        return self._blob[self._offsets[i] : self._offsets[i + 1]].decode("utf-8", "surrogatepass")

    def whole(self) -> list[str]:
        if self._whole is None:
            self._whole = self[:]
        return self._whole


def _whole(words: Words) -> Words:
    return words.whole() if isinstance(words, WordList) else words


def _little(numbers: array[int]) -> array[int]:
    if sys.byteorder != "little":
        numbers.byteswap()
    return numbers


def write_words(index_dir: Path, ident: Identity, words: Words, counts: Counts) -> None:
    """Replace the dictionary's file atomically. Failing loses nothing: searches read
    the copy in the index."""
    if array("I").itemsize != 4:
        return
    encoded = [w.encode("utf-8", "surrogatepass") for w in words]
    offsets = array("I", accumulate(map(len, encoded), initial=0))
    header = {
        "version": WORDS_VERSION,
        "generation": ident[0],
        "segments": ident[1],
        "words": len(encoded),
        "bytes": offsets[-1],
    }
    try:
        numbers = array("I", counts)
    except OverflowError:  # more articles than 32 bits count: the index's copy is read
        return
    tmp = index_dir / f".{WORDS_FILE}.{os.getpid()}.tmp"
    try:
        with open(tmp, "wb") as fh:
            fh.write(json.dumps(header).encode("ascii") + b"\n")
            fh.write(b"".join(encoded))
            fh.write(_little(offsets).tobytes())
            fh.write(_little(numbers).tobytes())
        os.replace(tmp, index_dir / WORDS_FILE)
    except OSError:
        pass
    finally:
        tmp.unlink(missing_ok=True)


def words_file_matches(index_dir: Path, ident: Identity) -> bool:
    return _read(index_dir, ident) is not None


def _read(index_dir: Path, ident: Identity) -> tuple[WordList, array[int]] | None:
    try:
        with open(index_dir / WORDS_FILE, "rb") as fh:
            line = fh.readline(4096)
            header = json.loads(line)
            if header.get("version") != WORDS_VERSION or [
                header.get("generation"),
                header.get("segments"),
            ] != [ident[0], ident[1]]:
                return None
            rest = fh.read()
    except (OSError, ValueError, AttributeError):
        return None
    n, size = header.get("words"), header.get("bytes")
    if not isinstance(n, int) or not isinstance(size, int) or array("I").itemsize != 4:
        return None
    if n < 0 or size < 0 or len(rest) != size + 4 * (2 * n + 1):
        return None
    offsets, counts = array("I"), array("I")
    offsets.frombytes(rest[size : size + 4 * (n + 1)])
    counts.frombytes(rest[size + 4 * (n + 1) :])
    offsets, counts = _little(offsets), _little(counts)
    if offsets[0] != 0 or offsets[-1] != size:
        return None
    return WordList(rest[:size], offsets), counts


def read_words(index_dir: Path, searcher: Searcher) -> tuple[Words, Counts] | None:
    """The spelling dictionary from its file, or None when the file is missing, damaged
    or of another generation than the searcher's (the index's copy is then read)."""
    from .manifest import reader_identity

    return _read(index_dir, reader_identity(searcher.reader()))
