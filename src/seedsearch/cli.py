"""Front end: the ``seedsearch`` command line, a thin layer over the library.

Each command opens the library object, calls one function and renders the answer. Errors
from the library arrive as :class:`SeedsearchError` and leave as one line on stderr (or a
JSON error object on stdout with ``--json``) and the error's exit code. Rich is imported
only by the commands that draw with it. Text from documents and file names goes through
:mod:`seedsearch.display` on its way out: no control character reaches the terminal, and
file names that are not UTF-8 are shown escaped.
"""

from __future__ import annotations

import itertools
import os
import signal
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import click

from . import cli_cluster, cli_serve
from .cli_entry import checked_query, run_search
from .cli_output import (
    Line,
    _batch_printer,
    _emit_json,
    _errors,
    _excerpt,
    _fail,
    _print_doc_eval,
    _print_report,
    _progress,
    _size,
    _warn,
    _write,
    _write_paged,
)
from .cli_refine import refine_options
from .cli_signals import _Interrupted, _interruptible
from .cli_strict import StrictGroup
from .display import article_json, display_path, terminal_text
from .errors import OptionError, UsageError

if TYPE_CHECKING:
    from .refine import Refine
    from .store import Index

DEFAULT_INDEX = "index"


def _open(ctx: click.Context) -> Index:
    from .stores import open_store  # a folder, or a xapian:// cluster

    return open_store(ctx.obj["index"], partial=ctx.obj.get("partial", False))  # type: ignore[no-any-return]


@click.group(cls=StrictGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--index",
    "index_dir",
    envvar="SEEDSEARCH_INDEX",
    default=DEFAULT_INDEX,
    show_default=True,
    metavar="DIR",
    help="Index folder (or set SEEDSEARCH_INDEX).",
)
@click.version_option(package_name="seedsearch")
@click.pass_context
def main(ctx: click.Context, index_dir: str) -> None:
    """Full-text keyword search for French news articles."""
    ctx.ensure_object(dict)
    ctx.obj["index"] = index_dir


# --- index -----------------------------------------------------------------------------


@main.command("index")
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@click.option("--rebuild", is_flag=True, help="Re-analyse every file from scratch.")
@click.option(
    "--jobs",
    type=int,
    default=1,
    show_default=True,
    help="Processes that read, analyse and write shares of the files in parallel.",
)
@click.option(
    "--follow-symlinks",
    is_flag=True,
    help="Follow symlinks that lead out of the indexed folders too.",
)
@click.option(
    "--watch", is_flag=True, help="Then keep indexing changes as they happen (Ctrl-C stops)."
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
def index_cmd(
    ctx: click.Context,
    paths: tuple[str, ...],
    rebuild: bool,
    jobs: int,
    follow_symlinks: bool,
    watch: bool,
    as_json: bool,
) -> None:
    """Index article files and folders, adding PATHS to the index's sources.

    Run it again to pick up changes: only changed files are re-analysed and deleted ones
    are removed. Without PATHS every source is updated (the bundled articles at first).
    """
    from .stores import is_cluster, update_index

    if watch and is_cluster(ctx.obj["index"]):
        _fail(OptionError("--watch needs a folder index, not a xapian:// cluster"), as_json)
    try:
        with (
            _interruptible(),
            _errors(as_json),
            _progress(enabled=sys.stderr.isatty() and not as_json) as progress,
        ):
            report = update_index(
                ctx.obj["index"],
                list(paths) or None,
                rebuild=rebuild,
                progress=progress,
                jobs=jobs,
                follow_symlinks=follow_symlinks,
            )
    except _Interrupted as stop:
        click.echo("seedsearch: interrupted: the index is left as it was", err=True)
        sys.exit(128 + stop.signum)
    if as_json:
        _emit_json(report.to_dict())
    else:
        _print_report(report)
    if watch:
        _watch(ctx.obj["index"], jobs, as_json)


def _watch(index_dir: str, jobs: int, as_json: bool) -> None:
    from .watch import watch_index

    received: list[int] = []
    try:
        with _interruptible(received):
            watch_index(
                index_dir,
                _batch_printer(as_json),
                on_error=lambda err: _warn(err.message),
                on_ready=lambda: click.echo(
                    "seedsearch: watching the sources (Ctrl-C stops)", err=True
                ),
                jobs=jobs,
            )
    except KeyboardInterrupt:
        # watchfiles turns the signal into a plain KeyboardInterrupt: ``received`` says which.
        click.echo("seedsearch: stopped watching; every batch so far is committed", err=True)
        sys.exit(128 + (received[0] if received else signal.SIGINT))


# --- sources, forget -------------------------------------------------------------------


@main.command("sources")
@click.option("--json", "as_json", is_flag=True, help="Print the sources as JSON.")
@click.pass_context
def sources_cmd(ctx: click.Context, as_json: bool) -> None:
    """List the index's sources: articles, size on disk and last update of each."""
    from .stores import list_sources  # a folder, or a xapian:// cluster

    with _errors(as_json):
        found = list_sources(ctx.obj["index"])
    if as_json:
        _emit_json({"sources": [s.to_dict() for s in found]})
        return
    if not found:
        click.echo("no sources: 'seedsearch index PATH' adds one")
    for s in found:
        state = "  MISSING (articles kept)" if s.vanished else ""
        click.echo(
            f"{display_path(s.name)}: {s.articles} articles, {_size(s.bytes)}, "
            f"updated {s.updated or 'unknown'}{state}"
        )


@main.command("forget")
@click.argument("path", type=click.Path(path_type=str))
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
def forget_cmd(ctx: click.Context, path: str, as_json: bool) -> None:
    """Remove a source (as 'seedsearch sources' lists it) and its articles."""
    from .stores import forget_source

    try:
        with _interruptible(), _errors(as_json):
            report = forget_source(ctx.obj["index"], path)
    except _Interrupted as stop:
        click.echo("seedsearch: interrupted: the index is left as it was", err=True)
        sys.exit(128 + stop.signum)
    if as_json:
        _emit_json({"forgotten": path, **report.to_dict()})
        return
    noun = "article" if report.removed == 1 else "articles"
    click.echo(
        f"Forgot {display_path(path)}: {report.removed} {noun} removed, {report.documents} left"
    )


# --- search ----------------------------------------------------------------------------


@main.command("search", dash_words=True)
@click.argument("query", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object.")
@click.option("--limit", default=10, show_default=True, type=int, help="Passages per page (1-100).")
@click.option(
    "--offset",
    default=0,
    show_default=True,
    type=int,
    help="Passages to skip (for the next pages).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "jsonl", "csv"]),
    default="text",
    show_default=True,
    help="jsonl or csv: every matching article (not one page), one line or row each.",
)
@click.option("--synonyms", metavar="FILE", help="Also use the synonyms in FILE (Solr format).")
@click.option("--explain", is_flag=True, help="Say why each article matched.")
@click.option(
    "--partial", is_flag=True, help="xapian:// index: answer without a shard that is down."
)
@refine_options
@click.pass_context
def search_cmd(
    ctx: click.Context,
    /,
    query: tuple[str, ...],
    as_json: bool,
    limit: int,
    offset: int,
    fmt: str,
    synonyms: str | None,
    explain: bool,
    partial: bool,
    **options: Any,
) -> None:
    """Search the index; exit 1 if no article matches.

    \b
    Words are ANDed:        centre de donnees
    Either word:            bitcoin OR blockchain
    Exclude:                minage -bitcoin   (or NOT bitcoin)
    Exact phrase:           "intelligence artificielle"
    Prefix, fuzzy:          supercalc*   minnage~   minnage~2
    Titles only:            title:bitcoin
    Grouping:               (GPU OR TPU) cartes
    Metadata filters:       auteur:dupont  source:"Le Monde"  type:pdf  dossier:presse
    Dates:                  date:2025-03  date:>=2025-01-01  date:2025-01..2025-06
    Filter options:         --since 2024 --source "Le Monde" --in presse (no QUERY:
                            every article they let in, newest first)

    \b
    Options go anywhere on the line. A query word that begins with
    two dashes (or is -h) is written after --:   search -- --limit
    """
    # The same steps as a plain search run without click (see cli_entry).
    text, refine = checked_query(query, as_json, options)
    if fmt != "text":
        if as_json:
            _fail(UsageError("--json and --format cannot be used together"), True)
        _export(ctx, text, fmt, synonyms, refine)
        return
    run_search(
        ctx.obj["index"],
        text,
        refine,
        as_json=as_json,
        limit=limit,
        offset=offset,
        synonyms=synonyms,
        explain=explain,
        partial=partial,
    )


def _export(ctx: click.Context, text: str, fmt: str, synonyms: str | None, refine: Refine) -> None:
    from .export import export_rows, lines

    found = 0

    def counted() -> Iterator[dict[str, Any]]:
        nonlocal found
        for row in export_rows(index, text, refine=refine):
            found += 1
            yield row

    # On a terminal, no control character from a document gets through (CSV cells are
    # written as they are; JSON escapes them anyway).
    safe = terminal_text if sys.stdout.isatty() else str
    with _errors(False), _open(ctx) as index:
        index.synonyms_file = synonyms
        for line in lines(counted(), fmt):
            sys.stdout.write(safe(line))
    if not found:
        sys.exit(1)


# --- show, stats, eval -----------------------------------------------------------------


@main.command("show")
@click.argument("doc_id")
@click.option(
    "--highlight",
    "highlight",
    metavar="QUERY",
    default=None,
    help="Highlight the matches of QUERY.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the article as JSON.")
@click.pass_context
def show_cmd(ctx: click.Context, doc_id: str, highlight: str | None, as_json: bool) -> None:
    """Print a whole indexed article."""
    from .highlight import Highlighter
    from .schema import stored_passages
    from .search import highlighter_for

    with _errors(as_json), _open(ctx) as index:
        # Printed part by part: a huge article is never held (nor marked up) whole.
        parts = index.document_parts(doc_id)
        head = next(parts)
        marker = highlighter_for(index, highlight) if highlight else Highlighter()
        if as_json:
            pieces = article_json(
                doc_id, head, lambda: index.document_parts(doc_id), marker if highlight else None
            )
            for piece in pieces:
                click.echo(piece, nl=False)
            click.echo()
            return
        meta = head.get("meta") or {}
        about = " · ".join(v for k in ("date", "author", "source") if (v := meta.get(k)))
        title: list[Line] = [
            [(head.get("title", ""), "bold cyan")] + ([(f"  {about}", "green")] if about else []),
            [(f"{doc_id} · {display_path(head.get('path', ''))}", "dim")],
        ]

        def chunks() -> Iterator[list[Line]]:
            yield title
            for fields in itertools.chain([head], parts):
                lines: list[Line] = []
                for p in stored_passages(fields):
                    body = _excerpt(p.text, marker.spans(p.text))
                    if p.kind == "heading":
                        lines += [[], [(t, style or "bold") for t, style in body]]
                    elif p.kind == "item":
                        lines.append([("  • ", ""), *body])
                    elif p.kind == "row":
                        lines.append([("  │ ", "dim"), *body])
                    else:
                        lines += [[], body]
                yield lines

        _write_paged(chunks())


@main.command("similar")
@click.argument("doc_id")
@click.option("--limit", default=10, show_default=True, type=int, help="Articles (1-100).")
@click.option("--json", "as_json", is_flag=True, help="Print the articles as JSON.")
@click.pass_context
def similar_cmd(ctx: click.Context, doc_id: str, limit: int, as_json: bool) -> None:
    """List the articles most like DOC_ID (by its most distinctive terms)."""
    with _errors(as_json), _open(ctx) as index:
        result = index.similar(doc_id, limit=limit)
    if as_json:
        _emit_json(result.to_dict())
        return
    lines: list[Line] = [[("Like: ", "dim"), (result.title, "bold cyan")]]
    if not result.articles:
        lines.append([("No similar article.", "")])
    for a in result.articles:
        lines += [
            [(f"{a.rank}. ", "bold"), (a.title, "bold")],
            [(f"   {a.doc_id} · {display_path(a.path)}", "dim")],
        ]
    _write(lines)


@main.command("stats")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.pass_context
def stats_cmd(ctx: click.Context, as_json: bool) -> None:
    """Documents, passages, distinct terms, size on disk and last update."""
    with _errors(as_json), _open(ctx) as index:
        stats = index.stats()
    if as_json:
        _emit_json(stats.to_dict())
        return
    click.echo(f"index:        {display_path(stats.index_dir)}")
    click.echo(f"documents:    {stats.documents}")
    click.echo(f"passages:     {stats.passages}")
    click.echo(f"terms:        {stats.terms}")
    click.echo(f"size on disk: {_size(stats.size_bytes)}")
    click.echo(f"last update:  {stats.last_update or 'unknown'}")
    for root in stats.roots:
        click.echo(f"source:       {display_path(root)}")


@main.command("check")
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
@click.pass_context
def check_cmd(ctx: click.Context, as_json: bool) -> None:
    """Verify the index: every file, term, posting and stored article; exit 0 if healthy."""
    from .errors import IndexCorruptError
    from .stores import check_index

    with _errors(as_json):
        report = check_index(ctx.obj["index"])
    if as_json:
        _emit_json(report.to_dict())
    else:
        for problem in report.problems:
            click.echo(f"problem: {problem}")
        for note in report.notes:
            click.echo(f"note: {note}")
        for shard in report.shards:
            click.echo(
                f"shard {shard['shard']} ({'+'.join(shard['addresses'])}): "
                f"{shard['articles']} articles, {shard['terms']} terms, "
                f"{shard['postings']} postings"
            )
        state = "healthy" if report.ok else f"DAMAGED ({len(report.problems)} problems)"
        where = (
            f"{len(report.shards)} shards"
            if report.shards
            else f"generation {report.generation}, {report.segments} segments"
        )
        click.echo(
            f"{report.index_dir}: {state}; {where}, {report.articles} articles, "
            f"{report.terms} terms, {report.postings} postings"
        )
        if not report.ok:
            click.echo("run 'seedsearch index --rebuild' to rebuild it")
    if not report.ok:
        sys.exit(IndexCorruptError.exit_code)


@main.command("eval")
@click.argument("judgments", type=click.Path(path_type=str))
@click.option(
    "--corpus",
    metavar="DIR",
    help="Folder the document judgments' paths are relative to (default: the index's source).",
)
@click.option(
    "--against",
    "other_dir",
    metavar="OTHER_INDEX",
    help="A second index of the same corpus, scored side by side (document judgments).",
)
@click.option("--show-misses", is_flag=True, help="List queries whose first hit is not relevant.")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.pass_context
def eval_cmd(
    ctx: click.Context,
    judgments: str,
    corpus: str | None,
    other_dir: str | None,
    show_misses: bool,
    as_json: bool,
) -> None:
    """Rank quality over relevance judgments.

    Passage judgments ({"queries": [...]}): P@1, MRR@10, Success@3, nDCG@10. Document
    judgments (a list, as the French bench's): P@1, MRR@10, Recall@10, nDCG@10 by source
    and variant, optionally beside a second index (--against).
    """
    from .evaluation import evaluate, load_judgments
    from .evaluation_docs import DocJudgment, evaluate_documents
    from .store import Index

    with _errors(as_json):
        loaded = load_judgments(judgments)
        if loaded and isinstance(loaded[0], DocJudgment):
            docs = [j for j in loaded if isinstance(j, DocJudgment)]
            with _open(ctx) as index:
                reports = [("index", evaluate_documents(index, docs, corpus))]
            if other_dir:
                with Index(other_dir) as other:
                    reports.append(("against", evaluate_documents(other, docs, corpus)))
            _print_doc_eval(reports, show_misses, as_json)
            return
        if other_dir:
            raise OptionError("--against takes document judgments (a list of queries)")
        with _open(ctx) as index:
            report = evaluate(index, [j for j in loaded if not isinstance(j, DocJudgment)])
    if as_json:
        _emit_json(report.to_dict())
        return
    click.echo(f"queries:    {len(report.queries)}")
    click.echo(f"P@1:        {report.p_at_1:.2f}")
    click.echo(f"MRR@10:     {report.mrr_at_10:.2f}")
    click.echo(f"Success@3:  {report.success_at_3:.2f}")
    click.echo(f"nDCG@10:    {report.ndcg_at_10:.2f}")
    if show_misses:
        misses = report.misses
        click.echo(f"misses:     {len(misses)}")
        for q in misses:
            rank = (
                f"first relevant at {q.first_relevant}"
                if q.first_relevant
                else "no relevant hit in top 10"
            )
            click.echo(f"  {q.query!r}: {rank}; top hit: {q.top_hit[:100]!r}")


main.add_command(cli_serve.serve_cmd)
main.add_command(cli_cluster.cluster_group)


def run() -> None:  # pragma: no cover - console-script entry point
    main(prog_name="seedsearch")


if __name__ == "__main__":  # pragma: no cover
    os.environ.setdefault("PYTHONIOENCODING", "utf-8")
    run()
