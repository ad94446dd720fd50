"""seedsearch: full-text keyword search for French news articles, built on Whoosh.

    >>> from seedsearch import update_index, open_index
    >>> update_index("index")                       # the bundled articles
    >>> with open_index("index") as ix:
    ...     result = ix.search("centre de donnees")
    ...     article = ix.document(result.hits[0].doc_id)

The names are loaded on first use, so importing the package stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .whoosh_lazy import defer as _defer_english_tables

__version__ = "0.1.0"
_defer_english_tables()  # before anything imports Whoosh (see whoosh_lazy)

if TYPE_CHECKING:
    from .errors import (
        DocumentNotFoundError,
        IndexLockedError,
        IndexNotFoundError,
        QueryError,
        SeedsearchError,
    )
    from .index import IndexReport, update_index
    from .results import Hit, SearchResult
    from .schema import Article, IndexStats
    from .store import Index, open_index

_EXPORTS = {
    "update_index": "index",
    "open_index": "store",
    "Index": "store",
    "Article": "schema",
    "IndexReport": "index",
    "IndexStats": "schema",
    "Hit": "results",
    "SearchResult": "results",
    "SeedsearchError": "errors",
    "IndexNotFoundError": "errors",
    "IndexLockedError": "errors",
    "QueryError": "errors",
    "DocumentNotFoundError": "errors",
}

__all__ = [
    "Article",
    "DocumentNotFoundError",
    "Hit",
    "Index",
    "IndexLockedError",
    "IndexNotFoundError",
    "IndexReport",
    "IndexStats",
    "QueryError",
    "SearchResult",
    "SeedsearchError",
    "open_index",
    "update_index",
]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        from importlib import import_module

        return getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
