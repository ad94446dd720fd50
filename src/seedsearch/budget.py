"""The bounded cost of one search: its limits, and :class:`Cost`, what it has spent.

Every search has a bounded cost: its prefix and fuzzy words together expand to
``QUERY_EXPANSIONS`` terms and about ``QUERY_POSTINGS`` postings at most (the most frequent
words first; a word past the budget is dropped and reported), its ORed words read
``OR_POSTINGS`` postings at most, the dictionary walks of its expansions and corrections
stop after ``MAX_VISITS`` (an automaton step on a word of n letters counts n; a word two
edits or more away is compared with every dictionary word in C, a cost bounded by the
dictionary and ``MAX_FUZZY_WORDS``), words longer than ``MAX_FUZZY_LETTERS`` are neither
corrected nor fuzzy-matched, and a deadline, checked in the loops that can run long, ends
it (:class:`~.errors.QueryTooExpensiveError`).
"""

from __future__ import annotations

import time

from .errors import QueryTooExpensiveError

MAX_EXPANSIONS = 64  # terms one prefix or fuzzy word expands to at most
MAX_FAMILY_SCAN = 3000  # dictionary words looked at for a word's family
QUERY_EXPANSIONS = 128  # terms all the prefix and fuzzy words of a query expand to at most
QUERY_POSTINGS = 20_000  # articles' postings of those terms, at most (what matching costs)
OR_POSTINGS = 60_000  # postings of the plain words and phrases under an OR, at most
MAX_PREFIX_WORDS = 5000  # dictionary words one prefix looks at (the first, alphabetically)
MAX_VISITS = 100_000  # dictionary words looked at by all the expansions and corrections
MAX_FUZZY_LETTERS = 30  # longer words are matched as they are: no correction, no fuzzy
MAX_FUZZY_WORDS = 20  # distinct words looked up a few edits away (automaton or scan) per search
TIME_BUDGET = 2.0  # seconds


class Cost:
    """What one search has spent, against its limits; shared by all its compilations.

    ``visited`` counts dictionary words looked at (prefix ranges, Levenshtein walks),
    ``expanded`` the terms prefix and fuzzy words added and ``postings`` their postings,
    over every compilation.
    """

    def __init__(self, seconds: float = TIME_BUDGET) -> None:
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds
        self.visited = 0
        self.expanded = 0
        self.postings = 0
        self.automata = 0  # Levenshtein automata built (MAX_FUZZY_WORDS at most)
        self.longest = 0  # letters of the longest word an automaton was built for
        self.compilations = 0
        self._ticks = 0

    def check(self) -> None:
        if time.monotonic() >= self.deadline:
            raise QueryTooExpensiveError(
                f"the query took more than {self.seconds:g} s and was stopped: "
                "try fewer or longer prefixes, or fewer fuzzy words"
            )

    def tick(self) -> None:
        """For inner loops: a clock read every 256 steps."""
        self._ticks += 1
        if not self._ticks & 255:
            self.check()

    def visit(self, n: int = 1) -> bool:
        """Count ``n`` more visits; False once the budget is spent (the walk stops)."""
        if self.visited + n > MAX_VISITS:
            return False
        self.visited += n
        self.tick()
        return True
