"""A search's matches on the open shards: the query compiled by :mod:`.querying`, its
exact total, its facets and its Xapian order (by date, or by Xapian's BM25 where the
folder index's ranking does not apply), and the view of the shards the shared compiler
reads as a Whoosh searcher."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..results import FACETS, FacetValue
from . import layout
from .querying import XapianCompiler

if TYPE_CHECKING:
    from ..refine import Refine
    from ..synonyms import Synonyms
    from .connect import Shard


@dataclass
class _Open:
    """The shards that answered, opened as one database, and those that did not."""

    db: Any
    shards: list[Shard]
    missing: list[str] = field(default_factory=list)
    parts: list[Any] = field(default_factory=list)  # each shard's own connection

    def stats(self) -> list[dict[str, Any]]:
        """Each answering shard's statistics (see :mod:`.layout`)."""
        return [layout.read_json(part, layout.STATS_KEY, {}) for part in self.parts]


class ClusterSearcher:
    """The open shards as the shared compiler reads a Whoosh searcher and its reader."""

    def __init__(self, opened: _Open) -> None:
        self.opened = opened

    def reader(self) -> ClusterSearcher:
        return self

    def doc_frequency(self, field_name: str, term: str) -> int:
        return int(self.opened.db.get_termfreq(_prefix(field_name) + term))

    def expand_prefix(self, field_name: str, prefix: str) -> Iterator[bytes]:
        start = _prefix(field_name)
        for item in self.opened.db.allterms(start + prefix):
            yield bytes(item.term[len(start.encode()) :])

    def __contains__(self, key: tuple[str, str]) -> bool:
        return self.doc_frequency(*key) > 0


def _prefix(field_name: str) -> str:
    if field_name == "body":
        return ""
    return layout.TITLE if field_name == "title" else layout.FIELD_PREFIXES[field_name]


class _Matches:
    """A query compiled against the open shards, and its exact total."""

    def __init__(self, x: Any, opened: _Open, refine: Refine, spelling: Any) -> None:
        from ..refine import RELEVANCE

        self.x = x
        self.opened = opened
        self.refine = refine
        self.spelling = spelling
        self.query: Any = None
        self.compiler: XapianCompiler | None = None
        self.total = 0
        self.sort = RELEVANCE
        self.pooled = False
        self.node: Any = None  # the query that ran, with the filters given apart
        self.ignored: list[str] = []
        self.corrected: str | None = None
        self.suggestion: str | None = None
        self.completed: dict[str, list[str]] = {}

    def compiler_for(self, thesaurus: Synonyms) -> XapianCompiler:
        return XapianCompiler(self.x, self.opened.db, self.spelling, thesaurus)

    def compile(self, node: Any, thesaurus: Synonyms) -> None:
        self.compiler = self.compiler_for(thesaurus)
        self.query = self.compiler.compile(node)
        for word in self.compiler.dropped:
            if word not in self.ignored:
                self.ignored.append(word)
        self.total = self.run(0, 0).get_matches_estimated()

    def facets(self) -> dict[str, tuple[FacetValue, ...]]:
        """Each facet's most frequent values among all the results (every result's stored
        metadata is read: simple, and slow past some tens of thousands of results)."""
        from ..facets import VALUES_SHOWN

        counts: dict[str, Counter[str]] = {name: Counter() for name in FACETS}
        if self.query is not None and self.total:
            for match in self.run(0, self.total):
                meta = layout.stored(match.document).get("meta") or {}
                for name, value in (
                    ("source", meta.get("source")),
                    ("year", str(meta.get("date") or "")[:4]),
                    ("type", meta.get("format") or "text"),
                    ("author", meta.get("author")),
                ):
                    if value := " ".join(str(value or "").split()):
                        counts[name][value] += 1
        out = {}
        for name, found in counts.items():
            top = sorted(found.items(), key=lambda kv: (-kv[1], kv[0]))[:VALUES_SHOWN]
            if name == "year":
                top.sort(key=lambda kv: kv[0], reverse=True)
            out[name] = tuple(FacetValue(value, n) for value, n in top)
        return out

    def run(self, offset: int, limit: int) -> Any:
        from ..refine import NEWEST, OLDEST

        x = self.x
        db = self.opened.db
        enquire = x.Enquire(db)
        enquire.set_query(self.query if self.query is not None else x.Query.MatchNothing)
        enquire.set_weighting_scheme(x.BM25Weight())
        if self.sort in (NEWEST, OLDEST):
            # Articles without a date come last either way, as in the folder index.
            # (Articles with no value come last in a descending order: the oldest first
            # is the highest age first.)
            slot = layout.DATE_SLOT if self.sort == NEWEST else layout.AGE_SLOT
            enquire.set_sort_by_value_then_relevance(slot, True)
        enquire.set_collapse_key(layout.TEXT_SLOT)  # exact duplicates: one result
        # Checking every document makes the total exact, not an estimate.
        return enquire.get_mset(offset, limit, db.get_doccount())
