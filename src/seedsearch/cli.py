"""Front end: the ``seedsearch`` command line, a thin layer over the library.

Each command opens the library object, calls one function and renders the answer. Errors
from the library arrive as :class:`SeedsearchError` and leave as one line on stderr (or a
JSON error object on stdout with ``--json``) and the error's exit code. Rich is imported
only by the commands that draw with it. Text from documents and file names goes through
:mod:`seedsearch.display` on its way out: no control character reaches the terminal, and
file names that are not UTF-8 are shown escaped.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NoReturn

import click

from .display import display_path, dumps, terminal_text
from .errors import OptionError, SeedsearchError

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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
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
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
def index_cmd(
    ctx: click.Context, paths: tuple[str, ...], rebuild: bool, jobs: int, as_json: bool
) -> None:
    """Index .txt and .md files and folders (default: the bundled articles).

    Run it again to pick up changes: only changed files are re-analysed and deleted ones
    are removed. Without PATHS the index keeps the sources it was built from.
    """
    from .index import update_index

    try:
        with (
            _interruptible(),
            _errors(as_json),
            _progress(enabled=sys.stderr.isatty() and not as_json) as progress,
        ):
            report = update_index(
                ctx.obj["index"], list(paths) or None, rebuild=rebuild, progress=progress, jobs=jobs
            )
    except _Interrupted as stop:
        click.echo("seedsearch: interrupted: the index is left as it was", err=True)
        sys.exit(128 + stop.signum)
    if as_json:
        _emit_json(report.to_dict())
    else:
        _print_report(report)


class _Interrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM during an index run: unwinds like Ctrl-C, so the run's cleanup
    (cancelled writer, stopped workers) happens, then exits with 128 + the signal."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _ignore(signum: int, frame: object) -> None:
    pass


@contextmanager
def _interruptible() -> Iterator[None]:
    def stop(signum: int, frame: object) -> None:
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


# --- search ----------------------------------------------------------------------------


# No short options and no -h here, so that "-word" (NOT word) reaches the query intact.
@main.command(
    "search", context_settings={"ignore_unknown_options": True, "help_option_names": ["--help"]}
)
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
@click.pass_context
def search_cmd(
    ctx: click.Context, query: tuple[str, ...], as_json: bool, limit: int, offset: int
) -> None:
    """Search the index.

    \b
    Words are ANDed:        centre de donnees
    Either word:            bitcoin OR blockchain
    Exclude:                minage -bitcoin   (or NOT bitcoin)
    Exact phrase:           "intelligence artificielle"
    Prefix, fuzzy:          supercalc*   minnage~   minnage~2
    Titles only:            title:bitcoin
    Grouping:               (GPU OR TPU) cartes
    """
    text = " ".join(query)
    with _errors(as_json), _open(ctx) as index:
        result = index.search(text, limit=limit, offset=offset)
    if as_json:
        click.echo(dumps(result.to_dict()))
    else:
        _print_result(result)


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
        lines += [
            [],
            [(f"{rank}. ", "bold"), (head.title, "bold cyan")],
            [(f"   {head.doc_id} · {display_path(head.path)}", "dim")],
        ]
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
    from .search import highlighter_for

    with _errors(as_json), _open(ctx) as index:
        article = index.document(doc_id)
        marker = highlighter_for(index, highlight) if highlight else Highlighter()
    if as_json:
        payload = article.to_dict()
        if highlight:
            for p, d in zip(article.passages, payload["passages"], strict=True):
                d["snippet"] = marker.html(p.text)
        _emit_json(payload)
        return
    lines: list[Line] = [
        [(article.title, "bold cyan")],
        [(f"{article.doc_id} · {display_path(article.path)}", "dim")],
    ]
    for p in article.passages:
        body = _excerpt(p.text, marker.spans(p.text))
        if p.kind == "heading":
            lines += [[], [(t, style or "bold") for t, style in body]]
        elif p.kind == "item":
            lines.append([("  • ", ""), *body])
        elif p.kind == "row":
            lines.append([("  │ ", "dim"), *body])
        else:
            lines += [[], body]
    _write(lines, pager=True)


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
@click.pass_context
def serve_cmd(
    ctx: click.Context,
    host: str,
    port: int,
    index_dir: str | None,
    workers: int,
    allowed_hosts: tuple[str, ...],
    head_timeout: float,
) -> None:
    """Serve the search page, article pages and the JSON API (docs at /docs)."""
    from .web.server import serve

    index = index_dir or ctx.obj["index"]
    click.echo(f"seedsearch: serving {index} on http://{host}:{port}/", err=True)
    serve(index, host, port, workers, allowed_hosts, head_timeout)


def run() -> None:  # pragma: no cover - console-script entry point
    main(prog_name="seedsearch")


if __name__ == "__main__":  # pragma: no cover
    os.environ.setdefault("PYTHONIOENCODING", "utf-8")
    run()
