"""Finding article files and reading their bytes.

A folder is walked recursively; hidden files and folders are ignored, and every other
file whose extension no reader supports is reported as skipped, with the reason.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from ..errors import SourceError
from .model import BUNDLED_KEY_PREFIX, MAX_FILE_BYTES, Skipped, SourceFile

# Extension → format read by default (the content may say otherwise: see sniff.py).
SUFFIXES = {
    ".txt": "text",
    ".text": "text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".pdf": "pdf",
    ".docx": "docx",
    ".odt": "odt",
    ".epub": "epub",
    ".eml": "mail",
    ".mbox": "mail",
    ".xml": "feed",
    ".rss": "feed",
    ".atom": "feed",
}


def bundled_corpus() -> Path:
    """The folder of default articles shipped inside the package."""
    return Path(__file__).resolve().parent.parent / "corpus"


def _key_for(path: Path) -> str:
    corpus = bundled_corpus()
    if path.parent == corpus:
        return BUNDLED_KEY_PREFIX + path.name
    return str(path)


def unsupported(name: str) -> str:
    """Why a file of this name is not read, or "" if it is."""
    suffix = os.path.splitext(name)[1].lower()
    if suffix in SUFFIXES:
        return ""
    return f"unsupported format {suffix}" if suffix else "unsupported format (no extension)"


def scan(roots: Iterable[str | os.PathLike[str]]) -> tuple[list[SourceFile], list[Skipped]]:
    """Every article file under ``roots`` (files are taken as given, folders recursively).

    Raises :class:`SourceError` for a root that does not exist, before anything is read.
    Directory symlinks are followed once; a loop is reported, never walked forever.
    A file named on its own is read whatever its extension (its content decides).
    """
    found: dict[str, SourceFile] = {}
    skipped: list[Skipped] = []
    root_paths = [Path(r).expanduser() for r in roots]
    for root in root_paths:
        if not root.exists() and not root.is_symlink():
            raise SourceError(f"{root}: no such file or directory")
    for root in root_paths:
        if root.is_dir():
            for path, problem in _walk(root):
                if problem:
                    skipped.append(Skipped(str(path), problem))
                else:
                    _add(found, path, skipped)
        else:
            _add(found, root, skipped)
    return sorted(found.values(), key=lambda s: s.key), skipped


def _add(found: dict[str, SourceFile], path: Path, skipped: list[Skipped]) -> None:
    try:
        resolved = path.resolve(strict=True)
    except (OSError, RuntimeError):
        skipped.append(Skipped(str(path), "broken or looping symlink"))
        return
    if not resolved.is_file():
        skipped.append(Skipped(str(path), "not a regular file"))
        return
    key = _key_for(resolved)
    found.setdefault(key, SourceFile(resolved, key))


def _walk(root: Path) -> Iterator[tuple[Path, str]]:
    seen: set[tuple[int, int]] = set()
    errors: list[OSError] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True, onerror=errors.append):
        while errors:
            err = errors.pop()
            yield Path(err.filename or dirpath), _os_reason(err)
        try:
            st = os.stat(dirpath)
        except OSError as err:
            yield Path(dirpath), _os_reason(err)
            dirnames[:] = []
            continue
        ident = (st.st_dev, st.st_ino)
        if ident in seen:
            yield Path(dirpath), "symlink loop (folder already visited)"
            dirnames[:] = []
            continue
        seen.add(ident)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if not name.startswith("."):
                yield Path(dirpath) / name, unsupported(name)
    for late in errors:
        yield Path(late.filename or root), _os_reason(late)


def _os_reason(err: OSError) -> str:
    if isinstance(err, PermissionError):
        return "permission denied"
    if err.errno is not None and err.errno == 40:  # ELOOP
        return "symlink loop"
    return (err.strerror or str(err)).lower()


def read_bytes(source: SourceFile) -> bytes:
    """The file's bytes; raises :class:`SourceError` with a one-line reason."""
    try:
        size = source.path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise SourceError(
                f"too large ({size / 1e6:.0f} MB, limit {MAX_FILE_BYTES / 1e6:.0f} MB)"
            )
        with open(source.path, "rb") as fh:
            # Read at most one byte past the limit: a file growing while read stays bounded.
            data = fh.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise SourceError(f"too large (grew past {MAX_FILE_BYTES / 1e6:.0f} MB while read)")
        return data
    except SourceError:
        raise
    except OSError as err:
        raise SourceError(_os_reason(err)) from None


def content_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()
