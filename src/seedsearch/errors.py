"""The one exception tree of seedsearch, and the mapping of Whoosh's exceptions onto it.

    SeedsearchError                 (exit 1, HTTP 500)
    ├── IndexNotFoundError          no index at the given place        (exit 5, HTTP 503)
    ├── IndexVersionError           built by an incompatible version   (exit 5, HTTP 503)
    ├── IndexLockedError            another writer holds the lock      (exit 3, HTTP 503)
    ├── IndexCorruptError           an index whose files are damaged   (exit 5, HTTP 503)
    ├── IndexAccessError            an index folder that cannot be used (exit 5, HTTP 503):
    │                               not creatable, writable or readable, or not a folder
    │   └── DiskFullError           no space left while writing        (exit 5, HTTP 507)
    ├── QueryError                  a query that cannot be run         (exit 2, HTTP 400)
    ├── QueryTooExpensiveError      a query over its time or expansion budget (exit 4, HTTP 503)
    ├── DocumentNotFoundError       unknown document id                (exit 1, HTTP 404)
    ├── SourceError                 a file or folder that cannot be read (exit 2, HTTP 400)
    ├── JudgmentsError              a malformed relevance-judgments file (exit 2, HTTP 400)
    ├── SynonymsError               a malformed synonyms file (exit 2, HTTP 400)
    ├── OptionError                 an option out of range, such as --jobs 0 (exit 2, HTTP 400)
    ├── UsageError                  a command line not understood      (exit 2, HTTP 400)
    ├── PortInUseError              ``serve`` on a port already taken   (exit 6)
    ├── ShardUnavailableError       a shard of a Xapian cluster cannot be reached
    │                               (exit 7, HTTP 503)
    └── ClusterError                ``cluster start``/``stop`` could not start or find
                                    its servers (exit 8)

Each class carries a short machine ``code``, the CLI exit status and the HTTP status, so
the front ends turn any of them into a one-line message or a JSON error body. The exit
codes follow grep's: 1 is "nothing found" (no article matches, an unknown id), 2 is "what
was asked cannot be understood or used"; 3 and up name a state of the index or the host.
"""

from __future__ import annotations

import errno
import os


class SeedsearchError(Exception):
    code = "error"
    exit_code = 1
    http_status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def to_dict(self) -> dict[str, dict[str, str]]:
        return {"error": {"code": self.code, "message": self.message}}


class IndexNotFoundError(SeedsearchError):
    code = "index_not_found"
    exit_code = 5
    http_status = 503


class IndexVersionError(SeedsearchError):
    code = "index_version"
    exit_code = 5
    http_status = 503


class IndexLockedError(SeedsearchError):
    code = "index_locked"
    exit_code = 3
    http_status = 503


class IndexCorruptError(SeedsearchError):
    code = "index_corrupt"
    exit_code = 5
    http_status = 503


class IndexAccessError(SeedsearchError):
    code = "index_access"
    exit_code = 5
    http_status = 503


class DiskFullError(IndexAccessError):
    code = "disk_full"
    http_status = 507


class QueryError(SeedsearchError):
    code = "bad_query"
    exit_code = 2
    http_status = 400


class QueryTooExpensiveError(SeedsearchError):
    """A query stopped before its end: it ran out of time or would expand to too many words.
    (503: the same query may pass on a less busy server, or once reworded.)"""

    code = "query_too_expensive"
    exit_code = 4
    http_status = 503


class DocumentNotFoundError(SeedsearchError):
    code = "document_not_found"
    http_status = 404


class SourceError(SeedsearchError):
    code = "bad_source"
    exit_code = 2
    http_status = 400


class JudgmentsError(SeedsearchError):
    code = "bad_judgments"
    exit_code = 2
    http_status = 400


class SynonymsError(SeedsearchError):
    code = "bad_synonyms"
    exit_code = 2
    http_status = 400


class OptionError(SeedsearchError):
    code = "bad_option"
    exit_code = 2
    http_status = 400


class UsageError(SeedsearchError):
    code = "bad_usage"
    exit_code = 2
    http_status = 400


class PortInUseError(SeedsearchError):
    code = "port_in_use"
    exit_code = 6


class ShardUnavailableError(SeedsearchError):
    """A shard of a Xapian cluster (``xapian://`` index) answers on none of its addresses:
    a search without ``--partial``, an article on that shard, or an indexing run."""

    code = "shard_unavailable"
    exit_code = 7
    http_status = 503


class ClusterError(SeedsearchError):
    """``seedsearch cluster start`` or ``stop`` failed: a server would not start, a
    cluster already runs in the folder, or none is recorded there."""

    code = "cluster_error"
    exit_code = 8


def corrupt(index_dir: str, detail: str) -> IndexCorruptError:
    return IndexCorruptError(
        f"the index at {index_dir} is damaged ({detail}): "
        "run 'seedsearch index --rebuild' to rebuild it ('seedsearch check' lists the damage)"
    )


def from_os_error(exc: OSError, index_dir: str, action: str) -> SeedsearchError:
    """The error for a failed read or write of the index folder (``action`` says which)."""

    if exc.errno == errno.EINVAL:  # mmap of an empty file, a seek past its end
        return corrupt(index_dir, f"{type(exc).__name__}: {exc}")
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return DiskFullError(
            f"disk full while writing the index at {index_dir}; the previous index is intact"
        )
    if isinstance(exc, PermissionError):
        reason = "permission denied"
        if str(exc.filename or "").endswith((".tmp", ".lock")):
            action = "write"  # a lock or a new table of contents: a read-only folder
    elif isinstance(exc, NotADirectoryError | FileExistsError):
        reason = "a file is in the way of the folder"
    else:
        reason = exc.strerror or errno.errorcode.get(exc.errno or 0, type(exc).__name__)
    where = f" ({exc.filename})" if exc.filename and str(exc.filename) != index_dir else ""
    return IndexAccessError(f"cannot {action} the index at {index_dir}: {reason}{where}")


def from_whoosh(exc: BaseException, index_dir: str) -> SeedsearchError | None:
    """The seedsearch error for a Whoosh exception, or None if it is not one we expect."""
    from whoosh.index import EmptyIndexError, LockError
    from whoosh.index import IndexVersionError as WhooshVersionError

    if isinstance(exc, LockError):
        return IndexLockedError(
            f"the index at {index_dir} is locked by another writer "
            "(is another 'seedsearch index' running?)"
        )
    if isinstance(exc, EmptyIndexError):
        return IndexNotFoundError(f"no index at {index_dir}: run 'seedsearch index' to build it")
    if isinstance(exc, OSError) and _inside(exc.filename, index_dir):
        return from_os_error(exc, index_dir, "use")
    if isinstance(exc, WhooshVersionError):
        return IndexVersionError(
            f"the index at {index_dir} was written by another Whoosh version: "
            "run 'seedsearch index --rebuild'"
        )
    return None


def _inside(filename: object, folder: str) -> bool:
    """Whether ``filename`` (of an OSError) is ``folder`` or a path under it."""
    if not isinstance(filename, str | bytes | os.PathLike):
        return False
    path = os.path.abspath(os.fsdecode(filename))
    root = os.path.abspath(folder)
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)
