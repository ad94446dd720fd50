"""Finding article files and reading their bytes.

A folder is walked recursively; hidden files and folders are ignored, and every other
file whose extension no reader supports is reported as skipped, with the reason.
"""

from __future__ import annotations

import errno
import functools
import hashlib
import math
import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from ..errors import SourceError
from .model import BUNDLED_KEY_PREFIX, MAX_FILE_BYTES, MIB, Skipped, SourceFile

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


@functools.cache
def bundled_corpus() -> Path:
    """The folder of default articles shipped inside the package."""
    return Path(__file__).resolve().parent.parent / "corpus"


@functools.cache
def _bundled_folder() -> str:
    return str(bundled_corpus())


def _key_for(path: Path) -> str:
    # String work: this runs once per file found, and pathlib's parsing is not free.
    name = os.fspath(path)
    if os.path.dirname(name) == _bundled_folder():
        return BUNDLED_KEY_PREFIX + os.path.basename(name)
    return name


def unsupported(name: str) -> str:
    """Why a file of this name is not read, or "" if it is."""
    suffix = os.path.splitext(name)[1].lower()
    if suffix in SUFFIXES:
        return ""
    return f"unsupported format {suffix}" if suffix else "unsupported format (no extension)"


LEAVES_SOURCES = "symlink leaves the indexed folders (use --follow-symlinks)"
VANISHED = "vanished while indexing"


def scan(
    roots: Iterable[str | os.PathLike[str]],
    *,
    follow_symlinks: bool = False,
    within: Iterable[str | os.PathLike[str]] | None = None,
) -> tuple[list[SourceFile], list[Skipped]]:
    """Every article file under ``roots`` (files are taken as given, folders recursively).

    Raises :class:`SourceError` for a root that does not exist, before anything is read.
    Symlinks (to files or folders) are followed only while their target stays inside
    the roots, unless ``follow_symlinks``; each folder is walked once, and a loop is
    reported, never walked forever. Anything that is not a regular file (a FIFO, a
    device) is skipped. A file named on its own is read whatever its extension (its
    content decides). With ``within`` (the sources, when ``roots`` are changed paths
    inside them) symlinks must stay inside those, and files named in ``roots`` too.
    """
    found: dict[str, SourceFile] = {}
    skipped: list[Skipped] = []
    root_paths = [Path(r).expanduser() for r in roots]
    for root in root_paths:
        if not root.exists() and not root.is_symlink():
            raise SourceError(f"{root}: no such file or directory")
    # Where the roots really are: a symlinked root is taken at its target.
    bounds = root_paths if within is None else [Path(w).expanduser() for w in within]
    inside = _Containment(None if follow_symlinks else _resolved_roots(bounds))
    for root in root_paths:
        if root.is_dir():
            for path, problem, resolved in _walk(root, inside):
                if problem:
                    skipped.append(Skipped(str(path), problem))
                elif resolved is not None:  # a regular file, no symlink, in a folder inside
                    key = _key_for(resolved)
                    found.setdefault(key, SourceFile(resolved, key))
                else:
                    _add(found, path, skipped, inside)
        else:
            # A file named on its own is taken wherever it leads, unless it is a change
            # seen inside the sources.
            _add(found, root, skipped, inside if within is not None else _Containment(None))
    return sorted(found.values(), key=lambda s: s.key), skipped


def _resolved_roots(roots: list[Path]) -> list[Path]:
    out = []
    for root in roots:
        try:
            out.append(root.resolve(strict=True))
        except (OSError, RuntimeError):  # a broken root: it is reported when walked
            continue
    return out


class _Containment:
    """Whether a resolved path lies within the roots (``None``: anywhere will do)."""

    def __init__(self, roots: list[Path] | None) -> None:
        self.roots = roots

    def __contains__(self, resolved: Path) -> bool:
        if self.roots is None:
            return True
        return any(resolved == r or resolved.is_relative_to(r) for r in self.roots)


def _add(
    found: dict[str, SourceFile], path: Path, skipped: list[Skipped], inside: _Containment
) -> None:
    try:
        resolved = path.resolve(strict=True)
    except (OSError, RuntimeError):
        # A path that is no symlink and no longer there was deleted since the walk.
        gone = not path.is_symlink() and not os.path.lexists(path)
        skipped.append(Skipped(str(path), VANISHED if gone else "broken or looping symlink"))
        return
    if resolved not in inside:
        skipped.append(Skipped(str(path), LEAVES_SOURCES))
        return
    try:
        mode = resolved.stat().st_mode  # stat, not open: a FIFO or a device never blocks it
    except OSError as err:
        skipped.append(Skipped(str(path), _os_reason(err)))
        return
    if not stat.S_ISREG(mode):
        skipped.append(Skipped(str(path), f"not a regular file ({_kind(mode)})"))
        return
    key = _key_for(resolved)
    found.setdefault(key, SourceFile(resolved, key))


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "named pipe"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISDIR(mode):
        return "folder"
    return "special file"


def _walk(root: Path, inside: _Containment) -> Iterator[tuple[Path, str, Path | None]]:
    """(path, why it is skipped or "", its resolved path when the folder's listing
    already tells: a regular file that is no symlink) for every file under ``root``,
    folders in sorted order, depth first; symlinked folders are followed (see
    :func:`scan`), each folder once."""
    seen: set[tuple[int, int]] = set()
    pending = [root]
    while pending:
        folder = pending.pop()
        try:
            st = os.stat(folder)
            real = folder.resolve(strict=True)
        except (OSError, RuntimeError) as err:
            yield folder, _os_reason(err) if isinstance(err, OSError) else "symlink loop", None
            continue
        if real not in inside:  # reached through a symlink that leads out of the roots
            yield folder, LEAVES_SOURCES, None
            continue
        ident = (st.st_dev, st.st_ino)
        if ident in seen:
            yield folder, "symlink loop (folder already visited)", None
            continue
        seen.add(ident)
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError as err:
            yield Path(err.filename or folder), _os_reason(err), None
            continue
        folders = []
        for entry in entries:
            if entry.name.startswith("."):
                continue
            if _is_dir(entry):
                folders.append(folder / entry.name)
                continue
            problem = unsupported(entry.name)
            if not problem and _is_plain_file(entry):
                # The folder is resolved and inside: a plain file in it needs no resolving.
                resolved = real / entry.name
                yield resolved, "", resolved
            else:
                yield folder / entry.name, problem, None
        pending.extend(reversed(folders))


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()  # follows symlinks, as a walk of the folder's links does
    except OSError:
        return False


def _is_plain_file(entry: os.DirEntry[str]) -> bool:
    try:
        return not entry.is_symlink() and entry.is_file(follow_symlinks=False)
    except OSError:
        return False


def _os_reason(err: OSError) -> str:
    if isinstance(err, PermissionError):
        return "permission denied"
    if isinstance(err, FileNotFoundError):
        return VANISHED
    if err.errno is not None and err.errno == errno.ELOOP:
        return "symlink loop"
    return (err.strerror or str(err)).lower()


def too_large(size: int) -> str:
    """The size message (rounded up: a file one byte over the limit never reads as 100)."""
    shown = math.ceil(size * 10 / MIB) / 10
    return f"too large ({shown:.1f} MiB, limit {MAX_FILE_BYTES // MIB} MiB)"


def read_bytes(source: SourceFile) -> bytes:
    """The file's bytes; raises :class:`SourceError` with a one-line reason.

    The file is opened without blocking and checked once open: one that became a FIFO
    or a device since the scan is refused, and nothing (a FIFO without writer, a
    terminal, /proc/kmsg) can stall the run.
    """
    try:
        fd = os.open(source.path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError as err:
        raise SourceError(_os_reason(err)) from None
    try:
        with open(fd, "rb", buffering=0) as fh:
            st = os.fstat(fh.fileno())
            if not stat.S_ISREG(st.st_mode):
                raise SourceError(f"not a regular file ({_kind(st.st_mode)})")
            if st.st_size > MAX_FILE_BYTES:
                raise SourceError(too_large(st.st_size))
            data = _read_all(fh, st.st_size)
        if len(data) > MAX_FILE_BYTES:
            raise SourceError(f"too large (grew past {MAX_FILE_BYTES // MIB} MiB while read)")
        return data
    except SourceError:
        raise
    except OSError as err:
        raise SourceError(_os_reason(err)) from None


def _read_all(fh: BinaryIO, size: int) -> bytes:
    """What is left in ``fh``, at most one byte past the limit (a file growing while read
    stays bounded); one read of the size it had, then more while there is more (a /proc
    file says 0)."""
    chunks: list[bytes] = []
    total = 0
    want = min(size, MAX_FILE_BYTES) + 1
    while total <= MAX_FILE_BYTES:
        chunk = fh.read(want)
        if chunk is None:  # a non-blocking read with nothing to read yet
            raise SourceError("no data to read (it would wait)")
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
        want = min(1 << 20, MAX_FILE_BYTES + 1 - total)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def content_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()
