"""A cluster's sources, forgetting one, and ``seedsearch check`` on a cluster.

The same answers as a folder index's (:mod:`..sources`, :mod:`..check`): the sources are
the records shard 1 commits first in every run, the articles' paths those the shards
record. A check reads every address of every shard and every stored article: that each
address answers, that each article lives on the shard its stable hash names, that its
record parses and its parts follow each other, and that each shard's records (ids,
hashes, statistics) add up to what it stores.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..errors import IndexNotFoundError
from . import layout
from .connect import Address, Shard, open_shard, parse_spec, reason, shard_of, xapian
from .writer import RUN_KEY, recorded_sources, update_cluster

if TYPE_CHECKING:
    from ..check import CheckReport
    from ..index import IndexReport
    from ..sources import SourceInfo


def _nothing(spec: str) -> IndexNotFoundError:
    return IndexNotFoundError(f"nothing indexed in {spec}: run 'seedsearch index' to build it")


def cluster_sources(spec: str) -> list[SourceInfo]:
    """The cluster's sources, with their article counts, size and last update."""
    from ..sources import describe_sources

    shards = parse_spec(spec)
    dbs = [open_shard(shard) for shard in shards]
    meta = layout.read_json(dbs[0], layout.STATS_KEY, {})
    if not meta:
        raise _nothing(spec)
    paths = [
        path for db in dbs for _sha, path in layout.read_json(db, layout.DOCS_KEY, {}).values()
    ]
    return describe_sources(meta, paths)


def forget_cluster_source(
    spec: str, path: str, progress: Callable[[str, int, int], None] | None = None
) -> IndexReport:
    """Remove the source ``path`` and the articles no other source holds (see
    :func:`..sources.forget_source`)."""
    from ..sources import forget_target

    current = recorded_sources(open_shard(parse_spec(spec)[0]))
    if not current.exists:
        raise _nothing(spec)
    target = forget_target(current.roots or [], path)
    return update_cluster(spec, forget=target, progress=progress)


def check_cluster(spec: str) -> CheckReport:
    """Verify the cluster ``spec``; IndexNotFoundError when no shard holds anything."""
    from ..check import CheckReport

    x = xapian()
    shards = parse_spec(spec)
    problems: list[str] = []
    notes: list[str] = []
    figures: list[dict[str, Any]] = []
    anything = False
    for shard in shards:
        answering: list[tuple[Address, Any]] = []
        for address in shard.addresses:
            try:
                answering.append((address, x.remote_open(address.host, address.port)))
            except x.Error as err:
                problems.append(f"{shard}: {address} does not answer: {reason(err)}")
        row: dict[str, Any] = {
            "shard": shard.number,
            "addresses": [str(a) for a in shard.addresses],
            "answering": [str(a) for a, _ in answering],
            "articles": 0,
            "terms": 0,
            "postings": 0,
        }
        figures.append(row)
        if not answering:
            continue
        first, db = answering[0]
        try:
            anything = _check_shard(shard, shards, db, row, problems) or anything
            for address, copy in answering[1:]:
                if copy.get_doccount() != row["articles"]:
                    notes.append(
                        f"{shard}: {address} holds {copy.get_doccount()} articles, {first} "
                        f"{row['articles']} (a replica catching up)"
                    )
        except x.Error as err:
            problems.append(f"{shard}: {first} failed while being read: {reason(err)}")
    if not anything and not problems:
        raise _nothing(spec)
    return CheckReport(
        spec,
        None,
        segments=0,
        articles=sum(r["articles"] for r in figures),
        terms=sum(r["terms"] for r in figures),
        postings=sum(r["postings"] for r in figures),
        problems=tuple(problems),
        notes=tuple(notes),
        shards=tuple(figures),
    )


def _check_shard(
    shard: Shard, shards: tuple[Shard, ...], db: Any, row: dict[str, Any], problems: list[str]
) -> bool:
    """Read one shard through; fills ``row`` and ``problems``; whether it holds anything."""
    from ..check import _article_problems

    records: dict[str, Any] = {}
    for key in (layout.DOCS_KEY, layout.WORDS_KEY, layout.STATS_KEY):
        try:
            records[key] = layout.read_json(db, key, {})
        except (ValueError, UnicodeDecodeError):
            problems.append(f"{shard}: its record {key} does not parse")
            records[key] = {}
    if db.get_metadata(RUN_KEY):
        problems.append(f"{shard}: holds part of an indexing run that did not finish")
    listed: dict[str, Any] = records[layout.DOCS_KEY]
    stored: dict[str, list[str]] = {}
    passages = positions = 0
    for posting in db.postlist(""):
        try:
            record = layout.stored(db.get_document(posting.docid))
            doc_id = str(record["doc_id"])
            parts = layout.parts_of(record)
        except (ValueError, UnicodeDecodeError, KeyError, TypeError):
            problems.append(f"{shard}: document {posting.docid}: its record does not parse")
            continue
        if doc_id in stored:
            problems.append(f"{shard}: article {doc_id} is stored twice")
        stored[doc_id] = [str(record.get("sha", "")), str(record.get("path", ""))]
        home = shard_of(doc_id, shards)
        if home.number != shard.number:
            problems.append(
                f"{shard}: article {doc_id} belongs on shard {home.number} (its hash names it)"
            )
        problems.extend(f"{shard}: {p}" for p in _article_problems(doc_id, parts))
        passages += sum(len(p.get("passages") or []) for p in parts)
        positions += sum(q[6] for p in parts for q in p.get("passages") or [])
    for doc_id in sorted(listed.keys() - stored.keys())[:20]:
        problems.append(f"{shard}: article {doc_id} is recorded but not stored")
    for doc_id in sorted(stored.keys() - listed.keys())[:20]:
        problems.append(f"{shard}: article {doc_id} is stored but not recorded")
    if any(listed[d] != stored[d] for d in listed.keys() & stored.keys()):
        problems.append(f"{shard}: recorded hashes or paths differ from the stored articles")
    stats = records[layout.STATS_KEY]
    if stored and (stats.get("passages"), stats.get("positions")) != (passages, positions):
        problems.append(
            f"{shard}: the statistics do not add up: {stats.get('passages')} passages "
            f"recorded, {passages} stored"
        )
    terms = postings = 0
    for item in db.allterms():
        terms += 1
        postings += int(item.termfreq)
    row.update(articles=len(stored), terms=terms, postings=postings)
    return bool(stored or stats)
