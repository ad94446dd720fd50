"""Front end: ``seedsearch serve``, the web page and the JSON API (see :mod:`.web`)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import click

from .cli_output import _batch_printer, _errors, _warn
from .cli_strict import StrictCommand
from .errors import OptionError, SeedsearchError


@click.command("serve", cls=StrictCommand)
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
    from .stores import is_cluster
    from .synonyms import for_index
    from .web.server import check_port, serve

    index = index_dir or ctx.obj["index"]
    with _errors(False):
        if watch and is_cluster(index):
            raise OptionError("--watch needs a folder index, not a xapian:// cluster")
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
