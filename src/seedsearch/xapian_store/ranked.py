"""A cluster's matches ranked by the folder index's own search, over a pool of candidates
(see :mod:`.pool`): a page of results, or an export of them all."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, Any, cast

from ..budget import Cost
from ..results import Hit
from . import layout
from .pool import POOL, GlobalStats, Made, PoolIndex

if TYPE_CHECKING:
    from .cluster_store import XapianCluster
    from .matches import ClusterSearcher, _Matches

# An export of up to this many results is ranked as a page is; a larger one comes in the
# order of Xapian's BM25.
EXPORT_POOL = 2000
EXPORT_BATCH = 100


def ranked_page(
    cluster: XapianCluster,
    found: _Matches,
    query: str,
    limit: int,
    offset: int,
    explain: bool,
    prefix_last: bool,
    cost: Cost,
) -> tuple[Any, list[Hit], bool] | None:
    """(the folder index's matches of the pool, the page's hits, whether the pool holds
    every match), or None when the search finds nothing to rank."""
    from ..passages import hits
    from ..search import _matches as ranked_matches

    pool, complete = make_pool(cluster, found, max(POOL, 3 * (offset + limit)))
    plain = replace(found.refine, facets=False)
    shared = ranked_matches(
        cast(Any, pool), query, offset + limit, cost, prefix_last, plain, margin=limit
    )
    if shared is None:
        return None
    page = shared.ranked[offset : offset + limit]
    shown = hits(
        cast(Any, pool), shared.searcher, shared.compiler, page, offset + 1, shared.text_query
    )
    if explain and shared.typed is not None and shared.node is not None:
        from ..explain import explain_page

        shown = explain_page(shared.compiler, shared.typed, shared.node, page, shown)
    return shared, shown, complete


def ranked_export(
    cluster: XapianCluster, found: _Matches, query: str, prefix_last: bool, cost: Cost
) -> Iterator[Hit]:
    """Every match (up to EXPORT_POOL), in the order of :func:`ranked_page`."""
    from ..passages import hits
    from ..search import _matches as ranked_matches

    pool, _ = make_pool(cluster, found, 2 * EXPORT_POOL + 1)
    plain = replace(found.refine, facets=False)
    shared = ranked_matches(cast(Any, pool), query, None, cost, prefix_last, plain)
    if shared is None:
        return
    for start in range(0, len(shared.ranked), EXPORT_BATCH):
        cost.deadline = time.monotonic() + cost.seconds
        batch = shared.ranked[start : start + EXPORT_BATCH]
        yield from hits(
            cast(Any, pool), shared.searcher, shared.compiler, batch, start + 1, shared.text_query
        )


def make_pool(cluster: XapianCluster, found: _Matches, want: int) -> tuple[PoolIndex, bool]:
    """The pool of candidates of a search (every match, or the ``want`` best by Xapian's
    BM25), and whether it holds every match."""
    from ..query import has_filter

    x = cluster._x
    opened = found.opened
    enquire = x.Enquire(opened.db)
    enquire.set_query(found.query)
    enquire.set_weighting_scheme(x.BM25Weight())
    mset = enquire.get_mset(0, want)
    state = cluster._key(opened)
    made: list[Made | None] = [cluster._made.get((state, m.docid)) for m in mset]
    if None in made:
        mset.fetch()  # the documents asked for at once, not one round trip each
    for i, m in enumerate(mset):
        article = made[i]
        if article is None:
            article = made[i] = Made(layout.stored(m.document))
            cluster._made.put((state, m.docid), article)
    articles = sorted((a for a in made if a is not None), key=lambda a: a.path)
    # (by path: the order a folder index holds them in, which breaks ties of scores)
    searcher = cluster.searcher(opened)
    terms = pool_terms(found, searcher)
    pool = PoolIndex(
        [doc for article in articles for doc in article.documents(terms)],
        GlobalStats(opened.db, opened.stats(), cluster.extra_parts(searcher)),
        lambda: cluster.spelling(searcher),
        cluster.passage_stats(searcher),
        cluster.templates(searcher),
        cluster.synonyms(),
        filtering=found.node is None or has_filter(found.node),
    )
    return pool, mset.size() < want


def pool_terms(found: _Matches, searcher: ClusterSearcher) -> set[str]:
    """The body terms the folder index's search of ``found`` reads: those its compiler
    makes of the query (with their families and synonyms), and the Xapian query's."""
    from ..compile import Compiler

    compiler = Compiler(cast(Any, searcher), found.spelling)
    if found.node is not None:
        compiler.compile(found.node)
    terms = set(compiler.terms)
    terms.update(t for phrase in compiler.phrases for t in phrase)
    for more in (*compiler.families.values(), *compiler.synonyms.values()):
        terms.update(more)
    for raw in found.query:
        term = raw.decode("utf-8") if isinstance(raw, bytes) else str(raw)
        if term[:1].islower() or term[:1].isdigit():  # a body term, no field's prefix
            terms.add(term)
    return terms
