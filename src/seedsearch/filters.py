"""Metadata filters of the query language: ``date:``, ``type:`` and ``dossier:`` values.

A filter's value is checked when the query is parsed (a bad date is a
:class:`~.errors.QueryError`, not an ignored word) and becomes the terms of an indexed
field: the date as the number YYYYMMDD (ranges compare numbers), the format as its name,
the folder as every run of consecutive folder names of the file's path, so that a folder
matches itself and every file below it, however much of its path is given. The writer
(:mod:`.index`) and the query compiler (:mod:`.compile`) both use these functions, so the
two sides fold the same way.
"""

from __future__ import annotations

import calendar
import re
from datetime import date
from pathlib import PurePath
from typing import Any

from .analysis import fold
from .errors import QueryError

# What a query calls a field → the field it filters (or, for title, scopes).
FIELD_NAMES = {
    "title": "title",
    "titre": "title",
    "author": "author",
    "auteur": "author",
    "source": "source",
    "site": "source",
    "date": "date",
    "type": "format",
    "format": "format",
    "dossier": "folder",
    "folder": "folder",
    "path": "folder",
    "chemin": "folder",
}
# Fields whose value is a word or phrase of the French analysis (matched as words are).
TEXT_FILTERS = ("author", "source")
# Fields whose value is read here, as a whole.
VALUE_FILTERS = ("date", "format", "folder")
# Other names for the formats (the names of documents.model.FORMATS).
FORMAT_ALIASES = {
    "txt": "text",
    "md": "markdown",
    "htm": "html",
    "xhtml": "html",
    "eml": "mail",
    "mbox": "mail",
    "email": "mail",
    "rss": "feed",
    "atom": "feed",
}
# Folder names indexed per file, counted from its own folder up (deeper paths are cut).
MAX_FOLDER_DEPTH = 24

_DATE_RE = re.compile(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?")
_COMPARE_RE = re.compile(r"(>=|<=|>|<|=)?(.*)")


def _bad_date(value: str, why: str) -> QueryError:
    return QueryError(
        f"date invalide / bad date {value!r}: {why} "
        "(date:2025, date:2025-03, date:2025-03-14, date:>=2025-01-01, date:2025-01..2025-06)"
    )


def _bounds(text: str, value: str) -> tuple[int, int]:
    """The first and last day (as YYYYMMDD) of a year, month or day."""
    m = _DATE_RE.fullmatch(text)
    if m is None:
        raise _bad_date(value, f"{text!r} is not YYYY, YYYY-MM or YYYY-MM-DD")
    year = int(m.group(1))
    month = int(m.group(2)) if m.group(2) else None
    day = int(m.group(3)) if m.group(3) else None
    if year < 1 or (month is not None and not 1 <= month <= 12):
        raise _bad_date(value, f"no month {month} in {text!r}")
    if month is None:
        return year * 10000 + 101, year * 10000 + 1231
    if day is None:
        last = calendar.monthrange(year, month)[1]  # (no next month to count to in 9999-12)
        return year * 10000 + month * 100 + 1, year * 10000 + month * 100 + last
    try:
        date(year, month, day)
    except ValueError:
        raise _bad_date(value, f"no day {day} in {year}-{month:02d}") from None
    n = year * 10000 + month * 100 + day
    return n, n


def date_range(value: str) -> tuple[int | None, int | None]:
    """The inclusive range of days (YYYYMMDD, None: open) a ``date:`` value stands for.

    ``2025`` is the whole year, ``2025-03`` the month; ``>=``, ``>``, ``<=``, ``<`` compare
    with such a date; ``A..B`` runs from the first day of A to the last of B (either side
    may be left out).
    """
    text = value.strip()
    if ".." in text:
        start, _, end = text.partition("..")
        lo = _bounds(start, value)[0] if start else None
        hi = _bounds(end, value)[1] if end else None
        if lo is None and hi is None:
            raise _bad_date(value, "a range needs at least one end")
        if lo is not None and hi is not None and lo > hi:
            raise _bad_date(value, "the range ends before it starts")
        return lo, hi
    m = _COMPARE_RE.fullmatch(text)
    assert m is not None  # the pattern matches any text
    op, rest = m.group(1) or "=", m.group(2)
    first, last = _bounds(rest, value)
    if op == "=":
        return first, last
    if op == ">=":
        return first, None
    if op == ">":
        return last + 1, None  # YYYYMMDD numbers keep the order of the days
    if op == "<=":
        return None, last
    return None, first - 1


def format_name(value: str) -> str:
    """The format a ``type:`` value names, or a QueryError listing the known ones."""
    from .documents.model import FORMATS  # only when a type: filter is used

    name = fold(value.strip().lstrip("."))
    name = FORMAT_ALIASES.get(name, name)
    if name not in FORMATS:
        raise QueryError(f"type inconnu / unknown type {value!r} (one of: {', '.join(FORMATS)})")
    return name


def _folder_parts(path: str) -> list[str]:
    return [fold(p) for p in re.split(r"[\\/]+", path) if p and p != "."]


def folder_key(value: str) -> str:
    """The term a ``dossier:`` value looks up: folded folder names joined by ``/``, with a
    leading ``/`` for a path from the root."""
    text = value.strip()
    if text.startswith("~"):
        import os.path

        text = os.path.expanduser(text)
    parts = _folder_parts(text.rstrip("*"))
    if not parts:
        raise QueryError(f"dossier vide / empty folder {value!r}")
    rooted = text.startswith(("/", "\\"))
    return ("/" if rooted else "") + "/".join(parts)


def folder_terms(folder: str) -> list[str]:
    """What a file in ``folder`` is indexed under: every run of consecutive names of its
    folders (``news/2025``, ``2025``...), and every folder from the root (``/data/news``)."""
    parts = _folder_parts(folder)
    rooted = folder.startswith(("/", "\\"))
    kept = parts[-MAX_FOLDER_DEPTH:]
    terms = {"/".join(kept[i:j]) for i in range(len(kept)) for j in range(i + 1, len(kept) + 1)}
    if rooted:
        terms.update("/" + "/".join(parts[:j]) for j in range(1, len(parts) + 1))
    return sorted(terms)


def date_number(iso: str) -> int | None:
    """YYYYMMDD of an ISO date, None when there is none."""
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", iso or "")
    return int(m.group(1) + m.group(2) + m.group(3)) if m else None


def index_fields(meta: dict[str, Any], path: str) -> dict[str, Any]:
    """The indexed filter fields of an article part, from its metadata and path."""
    fields: dict[str, Any] = {"format": meta.get("format") or "text"}
    for name in TEXT_FILTERS:
        if meta.get(name):
            fields[name] = meta[name]
    if (day := date_number(meta.get("date", ""))) is not None:
        fields["date"] = day
    folder = meta.get("folder") or (str(PurePath(path).parent) if path else "")
    if terms := folder_terms(folder):
        fields["folder"] = terms
    return fields


def check(field: str, value: str) -> None:
    """Raise QueryError when ``value`` is no value of ``field`` (a VALUE_FILTERS field)."""
    if field == "date":
        date_range(value)
    elif field == "format":
        format_name(value)
    else:
        folder_key(value)
