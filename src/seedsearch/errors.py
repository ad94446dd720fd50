"""The one exception tree of seedsearch, and the mapping of Whoosh's exceptions onto it.

    SeedsearchError                 (exit 1, HTTP 500)
    ├── IndexNotFoundError          no index at the given place        (exit 2, HTTP 503)
    ├── IndexVersionError           built by an incompatible version   (exit 2, HTTP 503)
    ├── IndexLockedError            another writer holds the lock      (exit 3, HTTP 503)
    ├── IndexAccessError            the index folder cannot be written or read, or not be
    │                               a folder (permissions, a file in the way) (exit 2, HTTP 503)
    ├── QueryError                  a query that cannot be run         (exit 1, HTTP 400)
    ├── DocumentNotFoundError       unknown document id                (exit 1, HTTP 404)
    ├── SourceError                 a file or folder that cannot be read (exit 1, HTTP 400)
    ├── JudgmentsError              a malformed relevance-judgments file (exit 1, HTTP 400)
    └── OptionError                 an option out of range, such as --jobs 0 (exit 1, HTTP 400)

Each class carries a short machine ``code``, the CLI exit status and the HTTP status, so
the front ends turn any of them into a one-line message or a JSON error body.
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
    exit_code = 2
    http_status = 503


class IndexVersionError(SeedsearchError):
    code = "index_version"
    exit_code = 2
    http_status = 503


class IndexLockedError(SeedsearchError):
    code = "index_locked"
    exit_code = 3
    http_status = 503


class IndexAccessError(SeedsearchError):
    code = "index_access"
    exit_code = 2
    http_status = 503


class QueryError(SeedsearchError):
    code = "bad_query"
    http_status = 400


class DocumentNotFoundError(SeedsearchError):
    code = "document_not_found"
    http_status = 404


class SourceError(SeedsearchError):
    code = "bad_source"
    http_status = 400


class JudgmentsError(SeedsearchError):
    code = "bad_judgments"
    http_status = 400


class OptionError(SeedsearchError):
    code = "bad_option"
    http_status = 400


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
        if isinstance(exc, PermissionError):
            why = "permission denied"
        elif isinstance(exc, NotADirectoryError | FileExistsError):
            why = "a file is in the way of the folder"
        else:
            why = exc.strerror or errno.errorcode.get(exc.errno or 0, "error")
        return IndexAccessError(f"cannot use the index folder {index_dir}: {why}")
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
