"""Front end: ``seedsearch cluster start|stop|status``, local Xapian clusters (see
:mod:`.cluster`)."""

from __future__ import annotations

import click

from .cli_output import _emit_json, _errors
from .cli_strict import StrictGroup


@click.group("cluster", cls=StrictGroup)
def cluster_group() -> None:
    """Run a local sharded, replicated Xapian cluster to index into (xapian://...)."""


@cluster_group.command("start")
@click.argument("folder", type=click.Path(path_type=str))
@click.option("--shards", default=2, show_default=True, type=int, help="Shards (1-64).")
@click.option(
    "--replicas", default=1, show_default=True, type=int, help="Read-only copies per shard (0-8)."
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--json", "as_json", is_flag=True, help="Print the cluster as JSON.")
def start_cmd(folder: str, shards: int, replicas: int, host: str, as_json: bool) -> None:
    """Start the servers of a cluster keeping its databases in FOLDER; print its address."""
    from .cluster import start

    with _errors(as_json):
        cluster = start(folder, shards, replicas, host)
    if as_json:
        _emit_json(cluster.to_dict())
        return
    click.echo(
        f"started {len(cluster.processes)} processes in {cluster.folder} "
        f"({shards} shards, {replicas} replicas each); use:",
        err=True,
    )
    click.echo(cluster.spec)
    for reader in cluster.readers:
        click.echo(f"read-only, from one replica of each shard: {reader}", err=True)


@cluster_group.command("stop")
@click.argument("folder", type=click.Path(path_type=str))
@click.option("--json", "as_json", is_flag=True, help="Print what was stopped as JSON.")
def stop_cmd(folder: str, as_json: bool) -> None:
    """End the servers started in FOLDER (its databases are kept)."""
    from .cluster import stop

    with _errors(as_json):
        cluster = stop(folder)
    if as_json:
        _emit_json({"stopped": [p.pid for p in cluster.processes], "spec": cluster.spec})
        return
    click.echo(f"stopped {len(cluster.processes)} processes of {cluster.spec}")
