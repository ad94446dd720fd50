"""Opening zip containers (DOCX, ODT, EPUB) without falling for a zip bomb.

The declared sizes and compression ratios are checked before anything is inflated, and
every member is read with a byte limit (declared sizes can lie).
"""

from __future__ import annotations

import io
import zipfile

from ..errors import SourceError

MAX_MEMBERS = 10_000
MAX_TOTAL_BYTES = 300 * 1024 * 1024
MAX_MEMBER_BYTES = 64 * 1024 * 1024
MAX_RATIO = 200  # deflate tops out near 1000:1 on zeros; real documents are far below 100:1


def open_zip(data: bytes, what: str) -> zipfile.ZipFile:
    """The zip in ``data``, or :class:`SourceError` if it is not one or looks like a bomb."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
        raise SourceError(f"not a valid {what} (not a zip archive)") from None
    if len(infos) > MAX_MEMBERS:
        raise SourceError(f"{what} rejected: {len(infos)} entries (limit {MAX_MEMBERS})")
    total = 0
    for info in infos:
        total += info.file_size
        ratio = info.file_size / max(1, info.compress_size)
        if info.file_size > MAX_MEMBER_BYTES or (info.file_size > 1_000_000 and ratio > MAX_RATIO):
            raise SourceError(
                f"{what} rejected: zip bomb? ({info.filename!r} inflates to "
                f"{info.file_size / 1e6:.0f} MB, ratio {ratio:.0f}:1)"
            )
    if total > MAX_TOTAL_BYTES:
        raise SourceError(f"{what} rejected: zip bomb? (inflates to {total / 1e6:.0f} MB)")
    return zf


def read_member(zf: zipfile.ZipFile, name: str, what: str) -> bytes:
    """A member's bytes, read with a limit; :class:`SourceError` if missing or broken."""
    try:
        with zf.open(name) as fh:
            data = fh.read(MAX_MEMBER_BYTES + 1)
    except KeyError:
        raise SourceError(f"not a valid {what} (no {name})") from None
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as err:
        raise SourceError(f"broken {what} ({' '.join(str(err).split())[:100]})") from None
    if len(data) > MAX_MEMBER_BYTES:
        raise SourceError(f"{what} rejected: {name} inflates past its declared size")
    return data
