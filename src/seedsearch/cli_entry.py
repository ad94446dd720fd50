"""The ``seedsearch`` console script: a plain ``seedsearch search`` starts without click.

click, and the modules that declare the other commands, are a good part of a cold
search's start-up. A command line that :func:`parse_search` wholly understands (the
search command with query words and its own options, ``--index`` before or after it) runs
here, through the same functions :func:`seedsearch.cli.search_cmd` calls. Anything else
(another command, ``--help``, ``--version``, ``--format``, ``--``, an option given twice,
a missing or empty value, a value that looks like an option, shell completion) goes to
click as it is, so help, usage errors and every other command stay click's own.
"""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .cli_output import _errors, _print_result, echo
from .display import dumps
from .errors import UsageError

if TYPE_CHECKING:
    from .refine import Refine

# The search command's options (tests/test_cold_start.py checks them against click's).
FLAGS = {"--json": "as_json", "--explain": "explain", "--partial": "partial", "--facets": "facets"}
VALUES = {
    "--index": "index",
    "--limit": "limit",
    "--offset": "offset",
    "--synonyms": "synonyms",
    "--sort": "sort",
    "--since": "since",
    "--until": "until",
    "--source": "source",
    "--author": "author",
    "--type": "type",
    "--in": "folder",
}
INTEGERS = {"limit", "offset"}
INDEX_ENVVAR = "SEEDSEARCH_INDEX"
COMPLETE_ENVVAR = "_SEEDSEARCH_COMPLETE"  # click's shell completion for "seedsearch"


def parse_search(args: Sequence[str], environ: Mapping[str, str]) -> dict[str, Any] | None:
    """The search command's parameters, as click would give them, or None when the line
    is not a plain search (click then parses it, and explains what is wrong)."""
    if os.name == "nt" or environ.get(COMPLETE_ENVVAR):
        return None  # click expands wildcards on Windows; completion is click's
    index = environ.get(INDEX_ENVVAR) or "index"  # click ignores an empty variable
    rest = list(args)
    given = False
    while rest[:1] != ["search"]:  # the group's options: only --index, once
        if not rest:
            return None
        name, value, rest = _option(rest)
        if name != "--index" or value is None or given:
            return None
        index, given = value, True
    params: dict[str, Any] = {
        "index": index,
        "query": [],
        "limit": 10,
        "offset": 0,
        "synonyms": None,
        **dict.fromkeys(FLAGS.values(), False),
    }
    seen: set[str] = set()
    rest = rest[1:]
    while rest:
        arg = rest[0]
        if not arg.startswith("--"):
            # A word with one dash is a query word ("-bitcoin"), but -h is help.
            if arg == "-h":
                return None
            params["query"].append(arg)
            rest = rest[1:]
            continue
        name, value, rest = _option(rest)
        if name in seen or name not in FLAGS.keys() | VALUES.keys():
            return None  # given twice, --, --help, --format, or unknown: click's to answer
        seen.add(name)
        if name in FLAGS:
            if value is not None:
                return None
            params[FLAGS[name]] = True
            continue
        if value is None:
            return None
        if VALUES[name] in INTEGERS:
            try:
                params[VALUES[name]] = int(value)  # as click's INT does
            except ValueError:
                return None
        else:
            params[VALUES[name]] = value
    return params


def _option(args: list[str]) -> tuple[str, str | None, list[str]]:
    """The option at the head of ``args``: its name, its value (for ``--name=value`` or
    an option that takes one, None when it is missing or unusable), the words after it."""
    head, rest = args[0], args[1:]
    if "=" in head and head.startswith("--"):
        name, value = head.split("=", 1)
        return name, value or None, rest
    if head in VALUES and rest and rest[0] and not rest[0].startswith("-"):
        return head, rest[0], rest[1:]
    return head, None, rest


def checked_query(
    query: Sequence[str], as_json: bool, options: dict[str, Any]
) -> tuple[str, Refine]:
    """The query text and the filters of a search command line (a bad filter, or neither
    a query nor a filter: the one-line error and its exit status)."""
    from .cli_refine import refine_from

    text = " ".join(query)
    with _errors(as_json):
        refine = refine_from(options)
        if not text.strip() and not refine.filtered:
            raise UsageError("give a QUERY, or a filter option (--since, --source...)")
    return text, refine


def run_search(
    index_dir: str,
    text: str,
    refine: Refine,
    *,
    as_json: bool,
    limit: int,
    offset: int,
    synonyms: str | None,
    explain: bool,
    partial: bool,
) -> None:
    """Search and print one page of results; exit 1 if no article matches."""
    from .stores import open_store  # a folder, or a xapian:// cluster

    with _errors(as_json), open_store(index_dir, partial=partial) as index:
        index.synonyms_file = synonyms
        result = index.search(text, limit=limit, offset=offset, explain=explain, refine=refine)
    for shard in getattr(result, "missing_shards", ()):
        echo(f"seedsearch: partial results: {shard} is down", err=True)
    if as_json:
        echo(dumps(result.to_dict()))
    else:
        _print_result(result)
    if not result.total:
        sys.exit(1)


def _search(params: dict[str, Any]) -> None:
    text, refine = checked_query(params["query"], params["as_json"], params)
    run_search(
        params["index"],
        text,
        refine,
        as_json=params["as_json"],
        limit=params["limit"],
        offset=params["offset"],
        synonyms=params["synonyms"],
        explain=params["explain"],
        partial=params["partial"],
    )


def run() -> None:  # pragma: no cover - console-script entry point
    params = parse_search(sys.argv[1:], os.environ)
    if params is None:
        from .cli import main

        main(prog_name="seedsearch")
        return
    try:
        _search(params)
    except (EOFError, KeyboardInterrupt, OSError) as stop:
        if isinstance(stop, OSError) and stop.errno != errno.EPIPE:
            raise
        _as_click_would(stop)


def _as_click_would(stop: BaseException) -> None:
    """End as click ends a command interrupted by ``stop`` (a Ctrl-C, a closed pipe): by
    raising it inside a click command, so the message and exit status are click's own."""
    import click

    @click.command()
    def interrupted() -> None:
        raise stop

    interrupted.main(args=[], prog_name="seedsearch")
