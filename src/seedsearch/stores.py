"""Where an index lives: a folder (Whoosh, the default) or a Xapian cluster.

The front ends open an index through :func:`open_store`, and index, list and forget its
sources and check it through :func:`update_index`, :func:`list_sources`,
:func:`forget_source` and :func:`check_index`; all read the same ``--index`` /
``SEEDSEARCH_INDEX`` value. A value starting with ``xapian://`` names a cluster of
``xapian-tcpsrv`` servers (see :mod:`.xapian_store`), anything else an index folder.
Nothing of Xapian is imported for a folder.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from .check import CheckReport
    from .index import IndexReport
    from .refine import Refine
    from .results import Hit, SearchResult
    from .schema import Article, IndexStats, Progress
    from .sources import SourceInfo
    from .store import ArticleWindow

# Path("xapian://a:1") reads "xapian:/a:1": a spec that went through a Path is still one.
_CLUSTER_RE = re.compile(r"^xapian:/+")


@runtime_checkable
class Store(Protocol):
    """What the front ends ask of an open index, whatever holds it."""

    synonyms_file: str | None

    def search(
        self,
        query: str,
        limit: int = 10,
        offset: int = 0,
        explain: bool = False,
        prefix_last: bool = False,
        refine: Refine | None = None,
    ) -> SearchResult: ...

    def search_all(
        self, query: str, prefix_last: bool = False, refine: Refine | None = None
    ) -> Iterator[Hit]: ...

    def document(self, doc_id: str) -> Article: ...

    def document_parts(self, doc_id: str) -> Iterator[dict[str, Any]]: ...

    def window(self, doc_id: str, start: int = 0, count: int = ...) -> ArticleWindow: ...

    def stats(self) -> IndexStats: ...

    def last_update(self) -> str: ...

    def close(self) -> None: ...

    def __enter__(self) -> Store: ...

    def __exit__(self, *exc: object) -> None: ...


def is_cluster(spec: str | os.PathLike[str]) -> bool:
    return _CLUSTER_RE.match(os.fspath(spec)) is not None


def cluster_spec(spec: str | os.PathLike[str]) -> str:
    """``xapian://...`` as written, even after a trip through :class:`pathlib.Path`."""
    return _CLUSTER_RE.sub("xapian://", os.fspath(spec), count=1)


def open_store(spec: str | os.PathLike[str], partial: bool = False) -> Any:
    """The open index ``spec`` names: an :class:`~.store.Index` for a folder, a
    :class:`~.xapian_store.XapianCluster` for ``xapian://host:port,host:port``.
    ``partial``: a cluster with a shard down answers from the others (saying which is
    missing) instead of failing."""
    if is_cluster(spec):
        from .xapian_store import XapianCluster

        return XapianCluster(cluster_spec(spec), partial=partial)
    from .store import Index

    return Index(spec)


def update_index(
    spec: str | os.PathLike[str],
    paths: Sequence[str | os.PathLike[str]] | None = None,
    *,
    rebuild: bool = False,
    progress: Progress | None = None,
    jobs: int = 1,
    follow_symlinks: bool = False,
    **more: Any,
) -> IndexReport:
    """Index ``paths`` into the index ``spec`` names (see :func:`.index.update_index`)."""
    if is_cluster(spec):
        from .xapian_store.writer import update_cluster

        return update_cluster(
            cluster_spec(spec),
            paths,
            rebuild=rebuild,
            progress=progress,
            follow_symlinks=follow_symlinks,
        )
    from .index import update_index as update_folder

    return update_folder(
        spec,
        paths,
        rebuild=rebuild,
        progress=progress,
        jobs=jobs,
        follow_symlinks=follow_symlinks,
        **more,
    )


# The writer's side of the seam: an index's sources, forgetting one, checking it.


def list_sources(spec: str | os.PathLike[str]) -> list[SourceInfo]:
    """The sources of the index ``spec`` names (see :func:`.sources.list_sources`)."""
    if is_cluster(spec):
        from .xapian_store.maintenance import cluster_sources

        return cluster_sources(cluster_spec(spec))
    from .sources import list_sources as folder_sources

    return folder_sources(spec)


def forget_source(
    spec: str | os.PathLike[str], path: str, progress: Progress | None = None
) -> IndexReport:
    """Remove the source ``path`` and its articles (see :func:`.sources.forget_source`)."""
    if is_cluster(spec):
        from .xapian_store.maintenance import forget_cluster_source

        return forget_cluster_source(cluster_spec(spec), path, progress)
    from .sources import forget_source as forget_folder_source

    return forget_folder_source(spec, path, progress)


def check_index(spec: str | os.PathLike[str]) -> CheckReport:
    """Verify the index ``spec`` names (see :func:`.check.check_index`)."""
    if is_cluster(spec):
        from .xapian_store.maintenance import check_cluster

        return check_cluster(cluster_spec(spec))
    from .check import check_index as check_folder

    return check_folder(spec)


if TYPE_CHECKING:
    from .store import Index
    from .xapian_store import XapianCluster

    def _both_are_stores(index: Index, cluster: XapianCluster) -> tuple[Store, Store]:
        """Never called: mypy checks here that both classes satisfy :class:`Store`."""
        return index, cluster
