"""The search page's and API's filters, sort and facet panel (see :mod:`..refine`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Query

from ..documents.model import FORMATS
from ..filters import FORMAT_ALIASES
from ..refine import SORTS, Refine

SORT_HELP = (
    "relevance (default); date: oldest first; -date: newest first (articles without a "
    f"date last, same day by relevance). One of {', '.join(SORTS)}."
)
# The page's sort selector and facet panel.
SORT_LABELS = {
    "relevance": "Pertinence",
    "-date": "Plus récents d’abord",
    "date": "Plus anciens d’abord",
}
FACET_TITLES = {"source": "Source", "year": "Année", "type": "Type", "author": "Auteur"}
FILTER_LABELS = {
    "since": "depuis",
    "until": "jusqu’à",
    "source": "source",
    "author": "auteur",
    "type": "type",
    "in": "dossier",
}
# What the schema says of the values (the library's checks decide): a year, a month or a
# day that exists (February up to the 28th here, the 29th of a leap year too in fact),
_YEAR = r"(000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})"
_D31, _D30, _D28 = (
    r"(0?[1-9]|[12][0-9]|3[01])",
    r"(0?[1-9]|[12][0-9]|30)",
    r"(0?[1-9]|1[0-9]|2[0-8])",
)
DAY_PATTERN = (
    rf"^\s*$|^\s*{_YEAR}(-(0?[13578]|1[02])(-{_D31})?|-(0?[469]|11)(-{_D30})?|-0?2(-{_D28})?)?\s*$"
)
# a folder with a name in it, a format's name (or another name for it).
FOLDER_PATTERN = r"^\s*$|[^\s/\\.*]"
TYPE_NAMES = ["", *FORMATS, *FORMAT_ALIASES]  # "": none
# The URL parameter a facet's value sets (a year sets since and until).
_PARAM = {"source": "source", "author": "author", "type": "type"}


@dataclass(frozen=True)
class FilterParams:
    """The filter options of a request, as URL parameters (``in``: the folder)."""

    since: str = ""
    until: str = ""
    source: str = ""
    author: str = ""
    type: str = ""
    folder: str = ""

    def params(self) -> dict[str, str]:
        names = ("since", "until", "source", "author", "type")
        return {**{k: getattr(self, k) for k in names}, "in": self.folder}

    def refine(self, sort: str, facets: bool = False) -> Refine:
        """The library's Refine (a bad value: a QueryError, answered as a 400)."""
        return Refine(
            self.since,
            self.until,
            self.source,
            self.author,
            self.type,
            self.folder,
            sort=sort,
            facets=facets,
        )


async def filter_params(
    since: Annotated[
        str,
        Query(
            description="Articles of this day, month or year or later (YYYY, YYYY-MM, YYYY-MM-DD).",
            json_schema_extra={"pattern": DAY_PATTERN},
        ),
    ] = "",
    until: Annotated[
        str,
        Query(
            description="Articles of this day, month or year or earlier (to its end).",
            json_schema_extra={"pattern": DAY_PATTERN},
        ),
    ] = "",
    source: Annotated[str, Query(description="Articles from this source (as source:).")] = "",
    author: Annotated[str, Query(description="Articles by this author (as auteur:).")] = "",
    type: Annotated[
        str,
        Query(
            description="Files of this format (type:), case and a leading dot aside.",
            json_schema_extra={"enum": TYPE_NAMES},
        ),
    ] = "",
    folder: Annotated[
        str,
        Query(
            alias="in",
            description="Files in this folder or below it (dossier:): folder names, "
            "or a path from the root.",
            json_schema_extra={"pattern": FOLDER_PATTERN},
        ),
    ] = "",
) -> FilterParams:
    """The filter parameters of ``/``, ``/api/search`` and ``/api/export``. The schema
    describes the values the library reads; the library checks them (a bad one is a 400
    ``bad_query`` with the query language's message)."""
    return FilterParams(since, until, source, author, type, folder)


def _link(q: str, page: int, given: dict[str, str]) -> str:
    """The search page for ``q`` at ``page`` with the filters and sort ``given``."""
    params: dict[str, Any] = {"q": q, **{k: v for k, v in given.items() if v}}
    if page > 1:
        params["page"] = page
    return "/?" + urlencode(params)


def _export_link(q: str, fmt: str, given: dict[str, str]) -> str:
    return "/api/export?" + urlencode({"q": q, "format": fmt, **given})


def _facets(
    q: str, facets: dict[str, list[dict[str, Any]]] | None, given: dict[str, str]
) -> list[dict[str, Any]]:
    """The facet panel: per facet its values, each with its count, the link that adds it
    as a filter (a year: since and until that year), and whether it is that filter."""
    panel = []
    for name, values in (facets or {}).items():
        entries = []
        for v in values:
            value = str(v["value"])
            adds = {"since": value, "until": value} if name == "year" else {_PARAM[name]: value}
            on = all(given.get(k) == x for k, x in adds.items())
            # The value in force: its link removes it.
            after = {k: x for k, x in given.items() if k not in adds} if on else {**given, **adds}
            entries.append(
                {"value": value, "count": v["count"], "href": _link(q, 1, after), "on": on}
            )
        if entries:
            panel.append({"name": name, "title": FACET_TITLES[name], "entries": entries})
    return panel


def _active(q: str, given: dict[str, str]) -> list[dict[str, str]]:
    """The filters in force, each with the link that removes it."""
    return [
        {
            "label": f"{FILTER_LABELS[k]} : {v}",
            "href": _link(q, 1, {x: y for x, y in given.items() if x != k}),
        }
        for k, v in given.items()
        if k in FILTER_LABELS
    ]
