"""What narrows and orders a search besides its query: filter options and the sort order.

The filter options (``--since``, ``--source``... on the command line, ``since=``,
``source=``... on the API and the page's URL) are the query language's metadata filters
given apart from the query: each becomes the filter node the parser makes of the same
filter (``--source "Le Monde"`` is ``source:"Le Monde"``, ``--since 2024`` is
``date:>=2024``), checked the same way, and the nodes are ANDed with the parsed query.

The sort order ``date`` lists the oldest articles first and ``-date`` the newest first (the
``field`` / ``-field`` convention of JSON:API and Django, and Elasticsearch's ``asc``
default). Articles without a date come last either
way, and articles of the same day in order of relevance. The order is applied to every
matching article before the page is cut, so it is exact.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from .analysis import analyse
from .errors import QueryError
from .filters import date_range, folder_key, format_name
from .query import And, Filter, Node, Phrase, Word

if TYPE_CHECKING:
    from whoosh.searching import Searcher

RELEVANCE = "relevance"
OLDEST = "date"
NEWEST = "-date"
SORTS = (RELEVANCE, OLDEST, NEWEST)
_SORT_ALIASES = {
    "pertinence": RELEVANCE,
    "score": RELEVANCE,
    "+date": OLDEST,
}
_DAY_RE = re.compile(r"[0-9]{4}(?:-[0-9]{1,2}(?:-[0-9]{1,2})?)?")
# A folder option names a folder: something besides separators, dots and stars.
_FOLDER_RE = re.compile(r"[^\s/\\.*]")
SORT_NAMES = ["", *SORTS, *_SORT_ALIASES]  # every spelling read ("": relevance)
# Above every date's key (YYYYMMDD < 10**8): the oldest first counts down from here.
_DATE_CEILING = 100_000_000


def sort_name(value: str) -> str:
    """The sort order ``value`` names (one of SORTS), or a QueryError listing them."""
    name = _SORT_ALIASES.get(value, value or RELEVANCE)
    if name not in SORTS:
        raise QueryError(
            f"tri inconnu / unknown sort {value!r} (one of: {', '.join(SORTS)}; "
            "date: oldest first, -date: newest first)"
        )
    return name


@dataclass(frozen=True)
class Refine:
    """Filters given apart from the query, the sort order, and whether to count facets.

    Empty strings are filters not given (what an empty field of a form sends).
    ``folder`` is the ``--in`` option (``dossier:``), ``type`` the format (``type:``).
    """

    since: str = ""
    until: str = ""
    source: str = ""
    author: str = ""
    type: str = ""
    folder: str = ""
    sort: str = RELEVANCE
    facets: bool = False

    def __post_init__(self) -> None:
        for f in fields(self):  # one space between words, as the parser keeps a value
            value = getattr(self, f.name)
            if isinstance(value, str) and f.name != "sort":
                object.__setattr__(self, f.name, " ".join(value.split()))
        object.__setattr__(self, "sort", sort_name(self.sort))
        self.nodes()  # a bad value is an error now, not when the search runs

    @property
    def filtered(self) -> bool:
        return bool(self.nodes())

    @property
    def ignored(self) -> list[str]:
        """Name filters without a word: left out, as the parser leaves ``source:"!!"``."""
        return [
            f'{name}:"{value}"'
            for name, value in (("source", self.source), ("author", self.author))
            if value and _name_filter(name, value) is None
        ]

    def nodes(self) -> list[Node]:
        """The filter nodes of the options, as the query parser makes them."""
        out: list[Node] = []
        if self.since or self.until:
            for value in (self.since, self.until):
                if value and not _DAY_RE.fullmatch(value):
                    raise QueryError(
                        f"date invalide / bad date {value!r}: not YYYY, YYYY-MM or YYYY-MM-DD"
                    )
                if value:
                    date_range(value)  # no month 13: the parser's error
            if self.since:
                out.append(Filter("date", f">={self.since}"))
            if self.until:
                out.append(Filter("date", f"<={self.until}"))
        for field_name, value in (("source", self.source), ("author", self.author)):
            if value and (name := _name_filter(field_name, value)) is not None:
                out.append(name)
        if self.type:
            format_name(self.type)
            out.append(Filter("format", self.type))
        if self.folder:
            if not _FOLDER_RE.search(self.folder):
                raise QueryError(f"dossier vide / empty folder {self.folder!r}")
            folder_key(self.folder)
            out.append(Filter("folder", self.folder))
        return out

    def apply(self, node: Node | None) -> Node | None:
        """``node`` ANDed with the options' filters (just them for no query)."""
        extra = self.nodes()
        if not extra:
            return node
        children = [] if node is None else (node.children if isinstance(node, And) else [node])
        both = [*children, *extra]
        return both[0] if len(both) == 1 else And(both)

    def params(self, sort: bool = True) -> dict[str, str]:
        """The options given, as URL parameters (``in`` for the folder; ``sort`` unless
        it is relevance or not asked)."""
        out = {
            "since": self.since,
            "until": self.until,
            "source": self.source,
            "author": self.author,
            "type": self.type,
            "in": self.folder,
        }
        if sort and self.sort != RELEVANCE:
            out["sort"] = self.sort
        return {k: v for k, v in out.items() if v}


def _name_filter(field_name: str, value: str) -> Node | None:
    """``source:value``: one word (a prefix if it ends in ``*``) as the parser reads
    ``source:word``, several as the phrase ``source:"several words"``; None for a value
    without a word (which the parser ignores too)."""
    if not any(True for _ in analyse(value.rstrip("*"))):
        return None
    if " " not in value:
        prefix = value.endswith("*")
        return Word(value.rstrip("*"), field_name, prefix=prefix)
    return Phrase(value, field_name)


Order = Callable[[dict[int, float]], dict[int, float]]


class Gather:
    """What ranking calls with the score of every matched part, before results are cut:
    it keeps them (for facets) and returns the keys the results are ordered by."""

    def __init__(self, searcher: Searcher, sort: str) -> None:
        self.searcher = searcher
        self.sort = sort
        self.scores: dict[int, float] = {}

    def __call__(self, scores: dict[int, float]) -> dict[int, float]:
        self.scores = scores
        if self.sort == RELEVANCE:
            return scores
        return date_keys(self.searcher, scores, newest=self.sort == NEWEST)


def date_keys(searcher: Searcher, scores: dict[int, float], newest: bool) -> dict[int, float]:
    """A key per part that orders by date (newest or oldest first, no date last), then by
    score: the day plus the score scaled below 1."""
    days: Any = searcher.reader().column_reader("date")
    top = max(scores.values(), default=0.0)
    scale = 1.0 / (top * 1.000001) if top > 0 else 0.0
    keys = {}
    for docnum, score in scores.items():
        day = days[docnum] or 0
        base = (day if newest else _DATE_CEILING - day) if day else 0
        keys[docnum] = base + max(0.0, score) * scale
    return keys
