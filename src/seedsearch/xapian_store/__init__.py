"""A second store: the index sharded over ``xapian-tcpsrv`` servers (``xapian://``).

:mod:`.connect` reads the cluster's addresses and opens connections, :mod:`.layout` says
how an article is kept in a Xapian document, :mod:`.writer` indexes, :mod:`.querying`
compiles queries and :mod:`.cluster_store` answers searches. The Xapian bindings are
imported only when a ``xapian://`` index is used.
"""

from __future__ import annotations

from .cluster_store import ClusterResult, XapianCluster

__all__ = ["ClusterResult", "XapianCluster"]
