"""Front end output: how the command line writes its answers and its errors.

Errors leave as one line on stderr (or a JSON error object on stdout with ``--json``) and
the error's exit code. Answers are built as lines of (text, rich style) segments, styled
by rich on a terminal and written plain (without importing rich) when piped; text from
documents and file names goes through :mod:`seedsearch.display` on its way out. Nothing
here imports click at start-up: a plain search (see :mod:`.cli_entry`) runs without it.
"""

from __future__ import annotations

import codecs
import io
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NoReturn

from .display import display_path, dumps, terminal_text
from .errors import SeedsearchError

if TYPE_CHECKING:
    from rich.console import Console

    from .evaluation_docs import DocEvalReport
    from .index import IndexReport
    from .results import Hit, SearchResult


def _plain(stream: Any) -> bool:
    """Whether ``click.echo`` writes to ``stream`` as it is: a text stream whose encoding
    and error handler are set and whose encoding is not ASCII (click re-wraps those)."""
    if os.name == "nt" or not isinstance(stream, io.TextIOBase):
        return False
    encoding = getattr(stream, "encoding", None)
    if not encoding or getattr(stream, "errors", None) is None:
        return False
    try:
        return codecs.lookup(encoding).name != "ascii"
    except LookupError:
        return False


def echo(message: str, err: bool = False) -> None:
    """``click.echo(message, err=err)``, without importing click (a tenth of a cold
    search) where it would write the message as it is: on a plain text stream, with no
    escape sequence for click to strip when piped. Anything else goes through click."""
    stream = sys.stderr if err else sys.stdout
    if "\x1b" in message or not _plain(stream):
        import click

        click.echo(message, err=err)
        return
    stream.write(message + "\n")
    stream.flush()


def _fail(err: SeedsearchError, as_json: bool) -> NoReturn:
    if as_json:
        echo(dumps(err.to_dict()))
    else:
        echo(f"seedsearch: error: {terminal_text(err.message)}", err=True)
    sys.exit(err.exit_code)


@contextmanager
def _errors(as_json: bool) -> Iterator[None]:
    try:
        yield
    except SeedsearchError as err:
        _fail(err, as_json)


def _emit_json(payload: Any) -> None:
    echo(dumps(payload, indent=2))


def _console(stderr: bool = False) -> Console:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=False)


def _warn(message: str) -> None:
    echo(f"seedsearch: error: {terminal_text(message)}", err=True)


def _batch_printer(as_json: bool) -> Callable[[IndexReport], None]:
    import time

    def on_batch(report: IndexReport) -> None:
        if as_json:
            echo(dumps(report.to_dict()))
            return
        skipped = f", {len(report.skipped)} skipped" if report.skipped else ""
        gone = "; missing, kept: " + ", ".join(map(display_path, report.vanished))
        echo(
            f"{time.strftime('%H:%M:%S')} {report.added} added, {report.updated} updated, "
            f"{report.removed} removed{skipped} ({report.seconds:.2f} s)"
            f"{gone if report.vanished else ''}"
        )

    return on_batch


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
    echo(
        f"{verb} {where}: {report.documents} documents, {report.passages} passages "
        f"({report.added} added, {report.updated} updated, {report.removed} removed, "
        f"{report.unchanged} unchanged, {len(report.skipped)} skipped) in {report.seconds:.2f} s"
    )
    for s in report.skipped:
        echo(f"  skipped {display_path(s.path)}: {terminal_text(s.reason)}")
    from .sources import display_name

    for root in report.vanished:
        name = display_path(display_name(root))
        echo(f"  source missing, its articles are kept: {name} (seedsearch forget drops them)")


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
            from rich.console import Console

            con = Console(file=io.StringIO(), force_terminal=True, highlight=False)
            con.size = _console().size  # the real terminal's width
            for line in lines:
                con.print(Text.assemble(*line))
            import click

            click.echo_via_pager(con.file.getvalue(), color=True)  # type: ignore[attr-defined]
            return
        con = _console()
        for line in lines:
            con.print(Text.assemble(*line))
    else:
        echo("\n".join("".join(text for text, _ in line) for line in lines))


def _write_paged(chunks: Iterator[list[Line]]) -> None:
    """Print chunks of styled lines as they come: through ``$PAGER`` (else ``less -R``) on
    a terminal, plain when piped; a huge article is never rendered whole."""
    if not sys.stdout.isatty():
        for lines in chunks:
            _write(lines)
        return
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

    import click

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
        elif result.query.strip():
            lines.append([(f"No article matches {result.query!r}.", "")])
        else:
            lines.append([("No article matches the filters.", "")])
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
    lines += _facet_lines(result)
    _write(lines)


FACET_LABELS = {"source": "source", "year": "year", "type": "type", "author": "author"}


def _facet_lines(result: SearchResult) -> list[Line]:
    """The facets as a compact block: one line per facet, values with their counts."""
    if not result.facets:
        return []
    lines: list[Line] = [[], [("Facets (all results):", "bold")]]
    width = max(len(label) for label in FACET_LABELS.values())
    for name, values in result.facets.items():
        shown = " · ".join(f"{v.value} ({v.count})" for v in values) or "-"
        lines.append([(f"  {FACET_LABELS.get(name, name):<{width}}  ", "dim"), (shown, "")])
    return lines


def _size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


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
    echo(head + " |")
    echo("|---" * (3 + 4 * len(reports)) + "|")
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
            echo(f"| {variant} | {source} | {figs[0].queries} | " + " | ".join(cells) + " |")
    if show_misses:
        for q in first.misses:
            top = q.ranked[0] if q.ranked else "(no hits)"
            echo(f"miss@1 [{q.source}/{q.variant}] {q.query!r}: {top}")
