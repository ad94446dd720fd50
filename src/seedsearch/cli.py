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
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NoReturn

import click

from .display import article_json, display_path, dumps, terminal_text
from .errors import OptionError, SeedsearchError, UsageError

if TYPE_CHECKING:
    from rich.console import Console

    from .evaluation_docs import DocEvalReport
    from .index import IndexReport
    from .results import Hit, SearchResult
    from .store import Index

DEFAULT_INDEX = "index"


def _fail(err: SeedsearchError, as_json: bool) -> NoReturn:
    if as_json:
        click.echo(dumps(err.to_dict()))
    else:
        click.echo(f"seedsearch: error: {terminal_text(err.message)}", err=True)
    sys.exit(err.exit_code)


@contextmanager
def _errors(as_json: bool) -> Iterator[None]:
    try:
        yield
    except SeedsearchError as err:
        _fail(err, as_json)


def _emit_json(payload: Any) -> None:
    click.echo(dumps(payload, indent=2))


def _console(stderr: bool = False) -> Console:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=False)


def _open(ctx: click.Context) -> Index:
    from .store import Index

    return Index(ctx.obj["index"])


# --- a strict command line ------------------------------------------------------------

# A word that starts with one dash and is not an option is a query word ("-bitcoin" is NOT
# bitcoin); it is marked with a character no command-line argument can hold (NUL) while
# click parses, so click takes it for an argument, then unmarked.
_DASH_WORD = "\0"


class StrictCommand(click.Command):
    """A command that refuses what it does not understand: an unknown option is a one-line
    usage error naming the nearest known one, with exit status 2 (or a JSON error object
    on stdout when the line holds ``--json``). Every command also takes ``--index DIR``
    after its name, and ``-h``/``--help``. With ``dash_words=True`` a word such as
    ``-bitcoin`` that is not an option is an argument; after ``--`` every word is one."""

    def __init__(self, *args: Any, dash_words: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.dash_words = dash_words
        if not any("--index" in p.opts for p in self.params):
            self.params.append(
                click.Option(
                    ["--index", "index_dir"],
                    metavar="DIR",
                    expose_value=False,
                    callback=_set_index,
                    help="Index folder (also taken before the command, or SEEDSEARCH_INDEX).",
                )
            )

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        given = list(args)  # click's parser consumes the list it is given
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.UsageError as err:
            _usage_fail(err, given)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not self.dash_words:
            return super().parse_args(ctx, args)
        rest = super().parse_args(ctx, self._mark_dash_words(ctx, args))
        for name, value in ctx.params.items():
            if isinstance(value, tuple):
                ctx.params[name] = tuple(
                    v.removeprefix(_DASH_WORD) if isinstance(v, str) else v for v in value
                )
        return rest

    def _mark_dash_words(self, ctx: click.Context, args: list[str]) -> list[str]:
        known: dict[str, bool] = {}  # option name -> whether it takes a value
        for param in self.get_params(ctx):
            if isinstance(param, click.Option):
                for name in (*param.opts, *param.secondary_opts):
                    known[name] = not (param.is_flag or param.count)
        out: list[str] = []
        takes_value = False
        for i, arg in enumerate(args):
            if arg == "--" and not takes_value:
                return out + args[i:]
            single = arg.startswith("-") and not arg.startswith("--") and len(arg) > 1
            if single and not takes_value and arg not in known:
                out.append(_DASH_WORD + arg)
            else:
                out.append(arg)
            takes_value = not takes_value and known.get(arg, False)
        return out


class StrictGroup(click.Group):
    """The command group: its commands are :class:`StrictCommand`, and its own usage
    errors (an unknown option before the command, an unknown command) are one line too."""

    command_class = StrictCommand

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        given = list(args)  # click's parser consumes the list it is given
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.UsageError as err:
            _usage_fail(err, given)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError as err:
            _usage_fail(err, args)


def _set_index(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is not None:
        ctx.ensure_object(dict)["index"] = value


def _usage_fail(err: click.UsageError, args: Sequence[str]) -> NoReturn:
    """A click usage error as one line (JSON with ``--json``), exit status 2."""
    if type(err).__name__ == "NoArgsIsHelpError" and err.ctx is not None:
        click.echo(err.ctx.get_help())  # a bare "seedsearch": its help, as asked
        sys.exit(0)
    if isinstance(err, click.NoSuchOption):
        name = err.option_name
        message = f"no such option {name}"
        if err.possibilities:
            message += f"; did you mean {err.possibilities[0]}?"
        elif err.ctx is not None:
            message += f" (see '{err.ctx.command_path} --help')"
    else:
        message = err.format_message()
    message = " ".join(message.split()).replace(". Did you mean", "; did you mean")
    message = message[:1].lower() + message[1:]
    words = list(args[: args.index("--")] if "--" in args else args)
    _fail(UsageError(message.rstrip(".")), "--json" in words)


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
    from .index import update_index

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


def _warn(message: str) -> None:
    click.echo(f"seedsearch: error: {terminal_text(message)}", err=True)


def _batch_printer(as_json: bool) -> Callable[[IndexReport], None]:
    import time

    def on_batch(report: IndexReport) -> None:
        if as_json:
            click.echo(dumps(report.to_dict()))
            return
        skipped = f", {len(report.skipped)} skipped" if report.skipped else ""
        gone = "; missing, kept: " + ", ".join(map(display_path, report.vanished))
        click.echo(
            f"{time.strftime('%H:%M:%S')} {report.added} added, {report.updated} updated, "
            f"{report.removed} removed{skipped} ({report.seconds:.2f} s)"
            f"{gone if report.vanished else ''}"
        )

    return on_batch


class _Interrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM during an index run: unwinds like Ctrl-C, so the run's cleanup
    (cancelled writer, stopped workers) happens, then exits with 128 + the signal."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _ignore(signum: int, frame: object) -> None:
    pass


@contextmanager
def _interruptible(received: list[int] | None = None) -> Iterator[None]:
    def stop(signum: int, frame: object) -> None:
        if received is not None:
            received.append(signum)
        # Once: a second signal must not break into the cleanup the first one started.
        # Not SIG_IGN, which processes started during the cleanup would inherit, and
        # then not stop when terminated.
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, _ignore)
        raise _Interrupted(signum)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextmanager
def _progress(enabled: bool) -> Iterator[Callable[[str, int, int], None] | None]:
    if not enabled:
        yield None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.text import Text

    class Rate(ProgressColumn):
        def render(self, task: Any) -> Text:
            return Text(f"{task.speed:,.0f} files/s" if task.speed else "", style="cyan")

    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        Rate(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=_console(stderr=True), transient=True) as bar:
        tasks: dict[str, Any] = {}
        labels = {"scan": "Scanning", "index": "Indexing", "commit": "Writing index"}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(labels.get(stage, stage), total=total or None)
            bar.update(tasks[stage], completed=done, total=total or None)

        yield update


def _print_report(report: IndexReport) -> None:
    verb = "Updated" if report.changed else "Index up to date:"
    where = display_path(report.index_dir)
    click.echo(
        f"{verb} {where}: {report.documents} documents, {report.passages} passages "
        f"({report.added} added, {report.updated} updated, {report.removed} removed, "
        f"{report.unchanged} unchanged, {len(report.skipped)} skipped) in {report.seconds:.2f} s"
    )
    for s in report.skipped:
        click.echo(f"  skipped {display_path(s.path)}: {terminal_text(s.reason)}")
    from .sources import display_name

    for root in report.vanished:
        name = display_path(display_name(root))
        click.echo(
            f"  source missing, its articles are kept: {name} (seedsearch forget drops them)"
        )


# --- sources, forget -------------------------------------------------------------------


@main.command("sources")
@click.option("--json", "as_json", is_flag=True, help="Print the sources as JSON.")
@click.pass_context
def sources_cmd(ctx: click.Context, as_json: bool) -> None:
    """List the index's sources: articles, size on disk and last update of each."""
    from .sources import list_sources

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
    from .sources import forget_source

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
@click.argument("query", nargs=-1, required=True)
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
@click.pass_context
def search_cmd(
    ctx: click.Context,
    query: tuple[str, ...],
    as_json: bool,
    limit: int,
    offset: int,
    fmt: str,
    synonyms: str | None,
    explain: bool,
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

    \b
    Options go anywhere on the line. A query word that begins with
    two dashes (or is -h) is written after --:   search -- --limit
    """
    text = " ".join(query)
    if fmt != "text":
        if as_json:
            _fail(UsageError("--json and --format cannot be used together"), True)
        _export(ctx, text, fmt, synonyms)
        return
    with _errors(as_json), _open(ctx) as index:
        index.synonyms_file = synonyms
        result = index.search(text, limit=limit, offset=offset, explain=explain)
    if as_json:
        click.echo(dumps(result.to_dict()))
    else:
        _print_result(result)
    if not result.total:
        sys.exit(1)


def _export(ctx: click.Context, text: str, fmt: str, synonyms: str | None) -> None:
    from .export import export_rows, lines

    found = 0

    def counted() -> Iterator[dict[str, Any]]:
        nonlocal found
        for row in export_rows(index, text):
            found += 1
            yield row

    with _errors(False), _open(ctx) as index:
        index.synonyms_file = synonyms
        for line in lines(counted(), fmt):
            sys.stdout.write(line)
    if not found:
        sys.exit(1)


# Output is built as lines of (text, rich style) segments: styled by rich on a terminal,
# written plain (and without importing rich) when piped.
Segment = tuple[str, str]
Line = list[Segment]
MARK = "bold black on yellow"


def _write(lines: list[Line], pager: bool = False) -> None:
    """Print styled lines on a terminal (through ``$PAGER``, else ``less -R``, when
    ``pager``), plain text when piped."""
    # Terminal escapes from documents go nowhere, whether stdout is a terminal or a pipe.
    lines = [[(terminal_text(text), style) for text, style in line] for line in lines]
    if sys.stdout.isatty():
        from rich.text import Text

        if pager:
            import io

            from rich.console import Console

            con = Console(file=io.StringIO(), force_terminal=True, highlight=False)
            con.size = _console().size  # the real terminal's width
            for line in lines:
                con.print(Text.assemble(*line))
            click.echo_via_pager(con.file.getvalue(), color=True)  # type: ignore[attr-defined]
            return
        con = _console()
        for line in lines:
            con.print(Text.assemble(*line))
    else:
        click.echo("\n".join("".join(text for text, _ in line) for line in lines))


def _write_paged(chunks: Iterator[list[Line]]) -> None:
    """Print chunks of styled lines as they come: through ``$PAGER`` (else ``less -R``) on
    a terminal, plain when piped; a huge article is never rendered whole."""
    if not sys.stdout.isatty():
        for lines in chunks:
            _write(lines)
        return
    import io

    from rich.console import Console
    from rich.text import Text

    width = _console().size  # the real terminal's width

    def rendered() -> Iterator[str]:
        for lines in chunks:
            buffer = io.StringIO()
            con = Console(file=buffer, force_terminal=True, highlight=False)
            con.size = width
            for line in lines:
                con.print(Text.assemble(*[(terminal_text(t), style) for t, style in line]))
            yield buffer.getvalue()

    click.echo_via_pager(rendered(), color=True)


def _excerpt(
    text: str, spans: Sequence[tuple[int, int]], width: int | None = None
) -> list[Segment]:
    """Text with matches marked; long text trimmed to ``width`` around the first match."""
    start, end = 0, len(text)
    if width is not None and len(text) > width:
        first = spans[0][0] if spans else 0
        start = max(0, min(first - width // 3, len(text) - width))
        end = min(len(text), start + width)
        # Cut at word boundaries so the excerpt does not begin or end mid-word.
        if start > 0:
            start = text.find(" ", start) + 1 or start
        if end < len(text) and text.rfind(" ", start, end) > start:
            end = text.rfind(" ", start, end)
    out: list[Segment] = [("…", "")] if start > 0 else []
    pos = start
    for s, e in spans:
        s, e = max(s, start), min(e, end)
        if s >= e:
            continue
        out += [(text[pos:s], ""), (text[s:e], MARK)]
        pos = e
    out.append((text[pos:end], ""))
    if end < len(text):
        out.append(("…", ""))
    return out


def _print_result(result: SearchResult) -> None:
    lines: list[Line] = []
    if result.corrected_query:
        lines.append([("Showing results for: ", ""), (result.corrected_query, "bold")])
    if result.ignored:
        lines.append([(f"Ignored: {' '.join(result.ignored)}", "dim")])
    if result.also_searched:
        lines.append([(f"Also searched: {', '.join(result.also_searched)}", "dim")])
    if not result.hits:
        if result.total and result.offset:
            lines.append([(f"No articles past {result.offset}; there are {result.total}.", "")])
        else:
            lines.append([(f"No article matches {result.query!r}.", "")])
        if result.suggestion:
            lines.append([("Did you mean: ", ""), (result.suggestion, "bold"), ("?", "")])
        _write(lines)
        return
    first, last = result.hits[0].rank, result.hits[-1].rank
    noun = "article" if result.total == 1 else "articles"
    summary = f"{result.total} {noun}, showing {first}-{last} ({result.took_ms:.1f} ms)"
    lines.append([(summary, "dim")])
    groups: dict[int, list[Hit]] = {}
    for hit in result.hits:
        groups.setdefault(hit.rank, []).append(hit)
    for rank, hits in groups.items():
        head = hits[0]
        known = [head.meta.get(k, "") for k in ("date", "author", "source")]
        about = " · ".join(v for v in known if v)
        lines += [
            [],
            [(f"{rank}. ", "bold"), (head.title, "bold cyan")]
            + ([(f"  {about}", "green")] if about else []),
            [(f"   {head.doc_id} · {display_path(head.path)}", "dim")],
        ]
        if head.why:
            from .explain import describe

            lines += [[(f"   why: {line}", "dim")] for line in describe(head.why)]
        if head.folded:
            paths = ", ".join(display_path(p) for p in head.also_in)
            more = head.folded - len(head.also_in)
            paths += f" (+{more})" if more > 0 else ""
            lines.append([(f"   aussi dans : {paths}", "dim")])
        for hit in hits:
            line: Line = [("   · ", "bold")]
            if hit.section and hit.section != hit.text:
                section = hit.section if len(hit.section) <= 48 else hit.section[:47] + "…"
                line.append((f"[{section}] ", "magenta"))
            if hit.page is not None:
                line.append((f"(p. {hit.page}) ", "dim"))
            lines.append(line + _excerpt(hit.text, hit.spans, width=300))
    if last < result.total:
        lines += [[], [(f"More: --offset {last}", "dim")]]
    _write(lines)


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


def _size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


@main.command("check")
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
@click.pass_context
def check_cmd(ctx: click.Context, as_json: bool) -> None:
    """Verify the index: every file, term, posting and stored article; exit 0 if healthy."""
    from .check import check_index
    from .errors import IndexCorruptError

    with _errors(as_json):
        report = check_index(ctx.obj["index"])
    if as_json:
        _emit_json(report.to_dict())
    else:
        for problem in report.problems:
            click.echo(f"problem: {problem}")
        for note in report.notes:
            click.echo(f"note: {note}")
        state = "healthy" if report.ok else f"DAMAGED ({len(report.problems)} problems)"
        click.echo(
            f"{report.index_dir}: {state}; generation {report.generation}, "
            f"{report.segments} segments, {report.articles} articles, {report.terms} terms, "
            f"{report.postings} postings"
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


def _print_doc_eval(
    reports: Sequence[tuple[str, DocEvalReport]], show_misses: bool, as_json: bool
) -> None:
    if as_json:
        _emit_json({name: report.to_dict() for name, report in reports})
        return
    first = reports[0][1]
    names = [name for name, _ in reports]
    head = "| variant | source | queries | " + " | ".join(
        f"{m} {n}" if len(reports) > 1 else m
        for m in ("P@1", "MRR@10", "Recall@10", "nDCG@10")
        for n in names
    )
    click.echo(head + " |")
    click.echo("|---" * (3 + 4 * len(reports)) + "|")
    for variant in [*first.variants, "all"]:
        for source in [*first.sources, "all"]:
            figs = [r.figures(source, variant) for _, r in reports]
            if not figs[0].queries:
                continue
            cells = [
                f"{getattr(f, key):.3f}"
                for key in ("p_at_1", "mrr_at_10", "recall_at_10", "ndcg_at_10")
                for f in figs
            ]
            click.echo(f"| {variant} | {source} | {figs[0].queries} | " + " | ".join(cells) + " |")
    if show_misses:
        for q in first.misses:
            top = q.ranked[0] if q.ranked else "(no hits)"
            click.echo(f"miss@1 [{q.source}/{q.variant}] {q.query!r}: {top}")


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--index",
    "index_dir",
    default=None,
    metavar="DIR",
    help="Index folder (overrides the global --index).",
)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Server processes (each answers queries on its own core).",
)
@click.option(
    "--allowed-host",
    "allowed_hosts",
    multiple=True,
    metavar="NAME",
    help="Also answer requests for this host name (repeatable; '*' for any).",
)
@click.option(
    "--head-timeout",
    default=10.0,
    show_default=True,
    type=click.FloatRange(0.1, 3600),
    help="Seconds a client has to send a request's head before it is disconnected.",
)
@click.option("--watch", is_flag=True, help="Keep the index current as its sources change.")
@click.option("--synonyms", metavar="FILE", help="Also use the synonyms in FILE (Solr format).")
@click.pass_context
def serve_cmd(
    ctx: click.Context,
    host: str,
    port: int,
    index_dir: str | None,
    workers: int,
    allowed_hosts: tuple[str, ...],
    head_timeout: float,
    watch: bool,
    synonyms: str | None,
) -> None:
    """Serve the search page, article pages and the JSON API (docs at /docs)."""
    from .synonyms import for_index
    from .web.server import check_port, serve

    index = index_dir or ctx.obj["index"]
    with _errors(False):
        check_port(host, port)
        for_index(index, synonyms)  # a bad file is refused now, not at the first search
        click.echo(f"seedsearch: serving {index} on http://{host}:{port}/", err=True)
        watcher = _serve_watcher(index) if watch else None
        serve(
            index,
            host,
            port,
            workers,
            allowed_hosts,
            head_timeout,
            watcher=watcher,
            synonyms=synonyms,
        )


def _serve_watcher(index_dir: str) -> Callable[[threading.Event], None]:
    """The watch of ``serve --watch``: an update of every source, then its changes."""

    def watcher(stop: threading.Event) -> None:
        from .index import update_index
        from .watch import watch_index

        try:
            update_index(index_dir)
        except SeedsearchError as err:
            _warn(err.message)
        watch_index(
            index_dir, _batch_printer(False), on_error=lambda e: _warn(e.message), stop=stop
        )

    return watcher


def run() -> None:  # pragma: no cover - console-script entry point
    main(prog_name="seedsearch")


if __name__ == "__main__":  # pragma: no cover
    os.environ.setdefault("PYTHONIOENCODING", "utf-8")
    run()
