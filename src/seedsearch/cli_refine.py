"""The search command's filter, sort and facet options (see :mod:`.refine`).

click is imported only to declare the options: a plain search reads them without it
(see :mod:`.cli_entry`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from .refine import SORTS, Refine

F = TypeVar("F", bound=Callable[..., Any])

# (option, its name in Refine, metavar, help)
FILTER_OPTIONS = (
    ("--since", "since", "DATE", "Only articles dated DATE or later (YYYY, YYYY-MM, YYYY-MM-DD)."),
    ("--until", "until", "DATE", "Only articles dated DATE or earlier (a year: to its end)."),
    ("--source", "source", "NAME", "Only articles from this source (as source:NAME)."),
    ("--author", "author", "NAME", "Only articles by this author (as auteur:NAME)."),
    ("--type", "type", "FORMAT", "Only files of this format: pdf, html, md, mail... (type:)."),
    ("--in", "folder", "FOLDER", "Only files in this folder or below it (as dossier:FOLDER)."),
)


def refine_options(command: F) -> F:
    """Add the filter options, ``--sort`` and ``--facets`` to a command."""
    import click

    command = click.option(
        "--facets",
        "facets",
        is_flag=True,
        help="Also count all the results by source, year, type and author.",
    )(command)
    command = click.option(
        "--sort",
        "sort",
        default="relevance",
        show_default=True,
        metavar="|".join(SORTS),
        help="date: oldest first; -date: newest first (no date last, same day by relevance).",
    )(command)
    for flag, name, metavar, text in reversed(FILTER_OPTIONS):
        command = click.option(flag, name, default="", metavar=metavar, help=text)(command)
    return command


def refine_from(options: dict[str, Any]) -> Refine:
    """The Refine of the options given (a bad value: the library's QueryError)."""
    names = [name for _, name, _, _ in FILTER_OPTIONS]
    return Refine(
        **{name: options.get(name) or "" for name in names},
        sort=options.get("sort") or "relevance",
        facets=bool(options.get("facets")),
    )
