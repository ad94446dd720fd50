"""Reading a cluster: :class:`XapianCluster`, the same answers as a folder's ``Index``.

The shards' remote databases are opened as one (Xapian merges their statistics); a search
is parsed, corrected and widened as a folder's is (:mod:`..search`) and compiled by
:mod:`.querying`, which gives the exact total; ranked by relevance, its candidates are then
ranked, and their passages chosen, by the folder index's own code (:mod:`.pool`), and its
hits are the shared :class:`~..results.Hit`. Connections are
opened per call: a shard that comes back is used again at once.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, cast

from ..analysis import analyse, normalise_word
from ..budget import Cost
from ..errors import DocumentNotFoundError, OptionError, ShardUnavailableError
from ..highlight import Highlighter, mark_html
from ..passages import PASSAGES_PER_ARTICLE
from ..results import HIT_META, Hit, SearchResult
from ..schema import Article, IndexStats, stored_passage, stored_passages
from . import layout
from .connect import open_shard, parse_spec, shard_of, xapian
from .matches import ClusterSearcher, _Matches, _Open
from .pool import PartCache
from .querying import XapianCompiler
from .ranked import EXPORT_POOL, ranked_export, ranked_page

if TYPE_CHECKING:
    from ..documents import Passage
    from ..refine import Refine
    from ..similar import SimilarResult
    from ..spelling import Counts, Words
    from ..store import ArticleWindow
    from ..synonyms import Synonyms
    from ..titles import Templates

EXPORT_BATCH = 100


@dataclass(frozen=True)
class ClusterResult(SearchResult):
    """A search result that may lack some shards (``--partial``): those are named."""

    missing_shards: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            **super().to_dict(),
            "partial": bool(self.missing_shards),
            "missing_shards": list(self.missing_shards),
        }


class XapianCluster:
    """A search index served by ``xapian-tcpsrv`` shards (``xapian://`` spec)."""

    def __init__(self, spec: str, partial: bool = False) -> None:
        self.spec = spec
        self.shards = parse_spec(spec)
        self.partial = partial
        self.synonyms_file: str | None = None
        self._x = xapian()
        self._words: tuple[tuple[str, ...], tuple[Words, Counts]] | None = None
        self._templates: tuple[tuple[str, ...], Templates] | None = None
        self._parts: tuple[tuple[str, ...], dict[str, int]] | None = None
        self._made = PartCache()

    def __enter__(self) -> XapianCluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._words = None
        self._templates = None
        self._parts = None

    # Connections ------------------------------------------------------------------

    def _open(self, partial: bool | None = None) -> _Open:
        partial = self.partial if partial is None else partial
        db = self._x.Database()
        opened = _Open(db, [])
        for shard in self.shards:
            try:
                part = open_shard(shard)
                db.add_database(part)
                opened.shards.append(shard)
                opened.parts.append(part)
            except ShardUnavailableError as err:
                if not partial:
                    raise ShardUnavailableError(
                        f"{err.message} (seedsearch search --partial answers from the others)"
                    ) from None
                opened.missing.append(str(shard))
        if not opened.shards:
            raise ShardUnavailableError(f"no shard of {self.spec} answers")
        return opened

    def _retrying(self, work: Any) -> Any:
        """``work()``, once more on fresh connections if a shard fails midway; a shard still
        failing is named (ShardUnavailableError), never a traceback."""
        x = self._x
        for attempt in range(2):
            try:
                return work()
            except (x.NetworkError, x.DatabaseModifiedError) as err:
                if attempt == 1:
                    raise ShardUnavailableError(
                        f"a shard of {self.spec} failed during the request: {err.get_msg()}"
                    ) from None
        raise AssertionError("unreachable")

    # What the shared code asks of an index (Spelling, highlighter_for, /healthz) ------

    def searcher(self, opened: _Open | None = None) -> ClusterSearcher:
        """A view of the open shards with what the shared compiler reads of a searcher
        (term frequencies, prefixes): :func:`..search.highlighter_for` runs on it."""
        return ClusterSearcher(opened or self._open())

    def spelling(self, searcher: ClusterSearcher) -> tuple[Words, Counts]:
        """The spelling dictionary: the shards' own, merged (read again when a shard's
        statistics change, that is after each indexing run)."""
        opened = searcher.opened
        key = self._key(opened)
        if self._words is None or self._words[0] != key:
            tables = [layout.read_json(part, layout.WORDS_KEY, {}) for part in opened.parts]
            self._words = (key, layout.merged_words(tables))
        return self._words[1]

    @staticmethod
    def _key(opened: _Open) -> tuple[str, ...]:
        """What names the shards' state: their statistics change with each indexing run."""
        return tuple(
            f"{shard.number}:{part.get_metadata(layout.STATS_KEY).decode()}"
            for shard, part in zip(opened.shards, opened.parts, strict=True)
        )

    def passage_stats(self, searcher: ClusterSearcher | None = None) -> tuple[int, float]:
        """(passages, mean passage length in words) over the shards that answer."""
        opened = (searcher or self.searcher()).opened
        passages = positions = 0
        for stats in opened.stats():
            passages += int(stats.get("passages", 0))
            positions += int(stats.get("positions", 0))
        return passages, max(1.0, positions / passages if passages else 1.0)

    def synonyms(self) -> Synonyms:
        from ..synonyms import builtin, read

        found = builtin()
        if self.synonyms_file is None:
            return found
        from ..synonyms import Synonyms

        merged = Synonyms()
        merged.merge(found)
        merged.merge(read(self.synonyms_file))
        return merged

    # Searching ---------------------------------------------------------------------

    def search(
        self,
        query: str,
        limit: int = 10,
        offset: int = 0,
        explain: bool = False,
        prefix_last: bool = False,
        refine: Refine | None = None,
    ) -> ClusterResult:
        """As :meth:`..store.Index.search`. Ranked by relevance, the page is the folder
        index's own search over a pool of candidates (see :mod:`.pool`), ``explain``
        included; in date order, or for filters alone, Xapian sorts (no ``why``)."""
        from ..search import _validate

        _validate(query, limit, offset)
        result: ClusterResult = self._retrying(
            lambda: self._search(query, limit, offset, prefix_last, refine, explain)
        )
        return result

    def _search(
        self,
        query: str,
        limit: int,
        offset: int,
        prefix_last: bool,
        refine: Refine | None,
        explain: bool = False,
    ) -> ClusterResult:
        from ..search import time_budget

        started = time.perf_counter()
        cost = Cost(time_budget())
        found = self._matches(query, prefix_last, refine, cost)
        if found.pooled:
            shared = self._pooled(found, query, limit, offset, explain, prefix_last, cost)
            if shared is not None:
                return replace(shared, took_ms=round((time.perf_counter() - started) * 1000, 2))
        mset = found.run(offset, limit)
        hits = self._hits(mset, found.compiler, offset + 1)
        return ClusterResult(
            query,
            found.total,
            round((time.perf_counter() - started) * 1000, 2),
            found.corrected,
            tuple(found.ignored),
            tuple(hits),
            found.suggestion,
            limit,
            offset,
            found.completed,
            tuple(found.compiler.also) if found.compiler else (),
            filters=found.refine.params(sort=False),
            sort=found.sort,
            facets=found.facets() if found.refine.facets else None,
            missing_shards=tuple(found.opened.missing),
        )

    def search_all(
        self, query: str, prefix_last: bool = False, refine: Refine | None = None
    ) -> Iterator[Hit]:
        from ..search import _validate, time_budget

        _validate(query, 1, 0)
        cost = Cost(time_budget())
        found = self._matches(query, prefix_last, refine, cost)
        if found.pooled and found.total <= EXPORT_POOL:
            # Every match in the pool: the folder index's order, as a page's.
            yield from ranked_export(self, found, query, prefix_last, cost)
            return
        for start in range(0, found.total, EXPORT_BATCH):
            mset = found.run(start, EXPORT_BATCH)
            yield from self._hits(mset, found.compiler, start + 1)

    def _matches(
        self, query: str, prefix_last: bool, refine: Refine | None, cost: Cost
    ) -> _Matches:
        from ..compile import correct
        from ..query import parse, relaxed, unparse
        from ..refine import NEWEST, RELEVANCE, Refine
        from ..search import TYPED_EXPANSIONS, WIDEN_BELOW, WIDEN_FROM_WORDS, _words_in, last_word
        from ..spelling import Spelling

        refine = refine or Refine()
        opened = self._open()
        spelling = Spelling(cast(Any, self), cast(Any, self.searcher(opened)), cost)
        found = _Matches(self._x, opened, refine, spelling)
        node, ignored = parse(query)
        found.ignored = [*ignored, *refine.ignored]
        if node is None and not refine.filtered:
            return found
        typed = last_word(query) if prefix_last and node is not None else None
        if typed is not None and spelling.narrow_prefix(normalise_word(typed), TYPED_EXPANSIONS):
            node, _ = parse(query + "*")
            words = spelling.prefix(normalise_word(typed))[:5]
            if words:
                found.completed = {typed: words}
        thesaurus = self.synonyms()
        if node is not None:
            fixed, changed = correct(node, cast(Any, found.compiler_for(thesaurus)))
            if changed:
                node, found.corrected = fixed, unparse(fixed)
        both = refine.apply(node)
        assert both is not None
        from ..query import has_filter, has_text_leaf

        found.sort = refine.sort
        if found.sort == RELEVANCE and has_filter(both) and not has_text_leaf(both):
            found.sort = NEWEST
        found.compile(both, thesaurus)
        loose = relaxed(node) if node is not None and found.total < WIDEN_BELOW else None
        if (
            loose is not None
            and node is not None
            and (found.total == 0 or _words_in(node) >= WIDEN_FROM_WORDS)
        ):
            wide = _Matches(self._x, opened, refine, spelling)
            wide.sort = found.sort
            loose_both = refine.apply(loose)
            assert loose_both is not None
            wide.compile(loose_both, thesaurus)
            if wide.total > found.total:
                found.query, found.total, found.compiler = wide.query, wide.total, wide.compiler
                found.corrected = unparse(loose)
                node = loose
        # Ranked by the folder index's own code (see _pooled) when ranked by relevance.
        found.pooled = bool(found.total) and found.sort == RELEVANCE
        found.node = refine.apply(node) if node is not None else both
        if found.total == 0 and node is not None:
            better, changed = correct(node, cast(Any, found.compiler_for(thesaurus)), 1)
            if changed:
                trial = _Matches(self._x, opened, refine, spelling)
                trial.compile(refine.apply(better) or better, thesaurus)
                if trial.total:
                    found.suggestion = unparse(better)
        return found

    def _pooled(
        self,
        found: _Matches,
        query: str,
        limit: int,
        offset: int,
        explain: bool,
        prefix_last: bool,
        cost: Cost,
    ) -> ClusterResult | None:
        """The page ranked by the folder index's own search (see :mod:`.ranked`); None
        when that search finds nothing to rank."""
        ranked = ranked_page(self, found, query, limit, offset, explain, prefix_last, cost)
        if ranked is None:
            return None
        shared, shown, complete = ranked
        return ClusterResult(
            query,
            shared.total if complete else found.total,
            0.0,
            shared.corrected,
            shared.ignored,
            tuple(shown),
            shared.suggestion,
            limit,
            offset,
            shared.completed,
            shared.also,
            filters=found.refine.params(sort=False),
            sort=found.sort,
            facets=found.facets() if found.refine.facets else None,
            missing_shards=tuple(found.opened.missing),
        )

    def extra_parts(self, searcher: ClusterSearcher) -> dict[str, int]:
        """What articles in several parts add to terms' document frequencies, over the
        shards (see :func:`.layout.extra_parts`)."""
        key = self._key(searcher.opened)
        if self._parts is None or self._parts[0] != key:
            total: Counter[str] = Counter()
            for part in searcher.opened.parts:
                total.update(layout.read_json(part, layout.PARTS_KEY, {}))
            self._parts = (key, dict(total))
        return self._parts[1]

    def templates(self, searcher: ClusterSearcher) -> Templates:
        """The template titles of the whole cluster (see :mod:`..titles`)."""
        from ..titles import templates

        key = self._key(searcher.opened)
        if self._templates is None or self._templates[0] != key:
            opened = searcher.opened
            rows = []
            for part in opened.parts:
                docs = layout.read_json(part, layout.DOCS_KEY, {})
                titles = layout.read_json(part, layout.TITLES_KEY, {})
                rows += [(d, t[0], t[1], docs[d][1]) for d, t in titles.items() if d in docs]
            self._templates = (key, templates(sorted(rows)))
        return self._templates[1]

    def _hits(self, mset: Any, compiler: XapianCompiler | None, first_rank: int) -> list[Hit]:
        highlighter = (
            Highlighter(frozenset(compiler.terms), tuple(compiler.phrases))
            if compiler
            else Highlighter()
        )
        out: list[Hit] = []
        for rank, match in enumerate(mset, start=first_rank):
            record = layout.stored(match.document)
            meta = {k: str((record.get("meta") or {}).get(k) or "") for k in HIT_META}
            chosen = _best_passages(layout.parts_of(record), highlighter)
            for p, spans in chosen:
                out.append(
                    Hit(
                        rank=rank,
                        doc_id=record["doc_id"],
                        title=record.get("title", ""),
                        path=record.get("path", ""),
                        section=p.section,
                        passage=p.n,
                        start=p.start,
                        end=p.end,
                        text=p.text,
                        snippet=mark_html(p.text, spans),
                        score=round(float(match.weight), 4),
                        spans=tuple(spans),
                        page=p.page,
                        meta=meta,
                        folded=int(match.collapse_count),
                    )
                )
        return out

    # Articles ----------------------------------------------------------------------

    def _record(self, doc_id: str) -> dict[str, Any]:
        shard = shard_of(doc_id, self.shards)

        def read() -> dict[str, Any]:
            db = open_shard(shard)
            for posting in db.postlist(layout.ID + doc_id):
                return layout.stored(db.get_document(posting.docid))
            raise DocumentNotFoundError(f"no document with id {doc_id!r}")

        record: dict[str, Any] = self._retrying(read)
        return record

    def document(self, doc_id: str) -> Article:
        record = self._record(doc_id)
        parts = layout.parts_of(record)
        return Article(
            doc_id=doc_id,
            title=record.get("title", ""),
            path=record.get("path", ""),
            text="".join(p.get("article") or "" for p in parts),
            passages=tuple(p for f in parts for p in stored_passages(f)),
            meta=dict(record.get("meta") or {}),
        )

    def passages(self) -> Iterator[tuple[str, Passage]]:
        """(doc_id, passage) for every passage of every article of the cluster."""

        def every() -> list[tuple[str, Passage]]:
            db = self._open().db
            out = []
            for posting in db.postlist(""):
                record = layout.stored(db.get_document(posting.docid))
                for part in layout.parts_of(record):
                    out += [(record["doc_id"], p) for p in stored_passages(part)]
            return out

        found: list[tuple[str, Passage]] = self._retrying(every)
        return iter(found)

    def document_parts(self, doc_id: str) -> Iterator[dict[str, Any]]:
        return iter(layout.parts_of(self._record(doc_id)))

    def window(self, doc_id: str, start: int = 0, count: int = 100) -> ArticleWindow:
        from ..store import ArticleWindow

        record = self._record(doc_id)
        parts = layout.parts_of(record)
        total = parts[-1].get("first", 0) + len(parts[-1].get("passages", []))
        start = max(0, min(start, total))
        end = min(total, start + max(0, count))
        passages = tuple(
            stored_passage(f, n - f.get("first", 0))
            for n in range(start, end)
            for f in parts
            if f.get("first", 0) <= n < f.get("first", 0) + len(f["passages"])
        )
        a, b = (passages[0].start, passages[-1].end) if passages else (0, 0)
        text = "".join(
            (f.get("article") or "")[
                max(0, a - f.get("offset", 0)) : max(0, b - f.get("offset", 0))
            ]
            for f in parts
        )
        return ArticleWindow(
            doc_id=doc_id,
            title=record.get("title", ""),
            path=record.get("path", ""),
            passages=passages,
            passage_count=total,
            text=text,
            text_start=a,
            meta=dict(record.get("meta") or {}),
        )

    def similar(self, doc_id: str, limit: int = 10) -> SimilarResult:
        """The articles most like ``doc_id``, by the shared choice of distinctive terms."""
        from ..similar import MAX_LIMIT, SimilarArticle, SimilarResult, distinctive_terms

        if not 1 <= limit <= MAX_LIMIT:
            raise OptionError(f"limit must be between 1 and {MAX_LIMIT}")
        record = self._record(doc_id)
        x = self._x

        def run() -> SimilarResult:
            db = self._open().db
            text = "".join(p.get("article") or "" for p in record["parts"])[:200_000]
            terms = distinctive_terms(
                record.get("title", ""), text, db.get_termfreq, max(1, db.get_doccount())
            )
            if not terms:
                return SimilarResult(doc_id, record.get("title", ""), (), ())
            q = x.Query(
                x.Query.OP_AND_NOT,
                x.Query(
                    x.Query.OP_OR,
                    [x.Query(x.Query.OP_SCALE_WEIGHT, x.Query(t), w) for t, w in terms],
                ),
                x.Query(layout.ID + doc_id),
            )
            enquire = x.Enquire(db)
            enquire.set_query(q)
            articles = []
            for rank, m in enumerate(enquire.get_mset(0, limit), start=1):
                other = layout.stored(m.document)
                articles.append(
                    SimilarArticle(
                        rank, other["doc_id"], other.get("title", ""), other.get("path", ""),
                        round(float(m.weight), 4),
                    )
                )  # fmt: skip
            return SimilarResult(
                doc_id, record.get("title", ""), tuple(t for t, _ in terms), tuple(articles)
            )

        result: SimilarResult = self._retrying(run)
        return result

    # Figures -----------------------------------------------------------------------

    def _shard_stats(self) -> list[dict[str, Any]]:
        return self._open().stats()

    def last_update(self) -> str:
        stamps = [str(s.get("updated", "")) for s in self._retrying(self._shard_stats)]
        return max(stamps, default="")

    def stats(self) -> IndexStats:
        def figures() -> IndexStats:
            opened = self._open()
            shard_stats = opened.stats()
            terms = sum(
                1 for t in opened.db.allterms() if t.term[:1].islower() or t.term[:1].isdigit()
            )
            return IndexStats(
                index_dir=self.spec,
                documents=int(opened.db.get_doccount()),
                passages=sum(int(s.get("passages", 0)) for s in shard_stats),
                terms=terms,
                size_bytes=0,  # on the servers' disks, which a client cannot see
                last_update=max((str(s.get("updated", "")) for s in shard_stats), default=""),
                roots=tuple(shard_stats[0].get("roots", ())) if shard_stats else (),
            )

        result: IndexStats = self._retrying(figures)
        return result


def _best_passages(
    parts: list[dict[str, Any]], highlighter: Highlighter
) -> list[tuple[Any, list[tuple[int, int]]]]:
    """The article's best passages (up to PASSAGES_PER_ARTICLE, best first): those holding
    the most distinct query terms, then the most matches; its first passage if none."""
    scored = []
    for part in parts:
        for p in stored_passages(part):
            spans = highlighter.spans(p.text)
            if not spans:
                continue
            distinct = {t.text for t in analyse(p.text)} & highlighter.terms
            scored.append(((-len(distinct), -len(spans), p.n), p, spans))
    scored.sort(key=lambda item: item[0])
    if scored:
        return [(p, spans) for _, p, spans in scored[:PASSAGES_PER_ARTICLE]]
    first = next((p for part in parts for p in stored_passages(part)), None)
    return [] if first is None else [(first, [])]
