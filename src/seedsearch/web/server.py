"""Front end: running the web app under uvicorn, with a deadline for each request's head.

uvicorn's ``timeout_keep_alive`` closes idle connections between requests, but a client
that sends half a request line and then nothing (slowloris) holds its connection forever:
the keep-alive timer is cancelled by the first byte, and none runs on a new connection.
:class:`HeadTimeoutProtocol` closes a connection whose request head has not fully arrived
within ``SEEDSEARCH_HEAD_TIMEOUT`` seconds of the connection opening or of the previous
answer; the other connections are not affected.
"""

from __future__ import annotations

import asyncio
import errno
import os
import socket
import threading
from collections.abc import Callable, Sequence
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

from ..errors import OptionError, PortInUseError

DEFAULT_HEAD_TIMEOUT = 10.0


class HeadTimeoutProtocol(H11Protocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Read here, not passed in: uvicorn builds the protocol, in each worker process.
        self._head_timeout = float(
            os.environ.get("SEEDSEARCH_HEAD_TIMEOUT", "") or DEFAULT_HEAD_TIMEOUT
        )
        self._head_timer: asyncio.TimerHandle | None = None

    def _waiting_for_head(self) -> bool:
        return self.cycle is None or self.cycle.response_complete

    def _arm(self) -> None:
        self._disarm()
        if self._waiting_for_head():
            self._head_timer = self.loop.call_later(self._head_timeout, self._head_timed_out)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self._waiting_for_head() and not self.transport.is_closing():
            self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if not self._waiting_for_head():  # a request is being answered
            self._disarm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm()  # the deadline for the next request's head (unless one came in)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)


def serve(
    index_dir: str,
    host: str,
    port: int,
    workers: int = 1,
    allowed_hosts: Sequence[str] = (),
    head_timeout: float = DEFAULT_HEAD_TIMEOUT,
    watcher: Callable[[threading.Event], None] | None = None,
    synonyms: str | None = None,
) -> None:
    """Serve the app for ``index_dir`` until interrupted; ``watcher``, if given, runs in a
    thread of this process meanwhile (it gets an event set when the server stops). A port
    already in use is a :class:`PortInUseError` (found before uvicorn starts, which would
    only log it, and before the watcher starts)."""
    check_port(host, port)
    stop = threading.Event()
    thread = None
    if watcher is not None:
        thread = threading.Thread(target=watcher, args=(stop,), name="watch", daemon=True)
        thread.start()
    try:
        _serve(index_dir, host, port, workers, allowed_hosts, head_timeout, synonyms)
    finally:
        stop.set()
        if thread is not None:
            thread.join(timeout=5)  # a batch being written finishes its commit


def _serve(
    index_dir: str,
    host: str,
    port: int,
    workers: int,
    allowed_hosts: Sequence[str],
    head_timeout: float,
    synonyms: str | None,
) -> None:
    """Serve the app until interrupted (see :func:`serve`)."""
    import uvicorn

    names = [*allowed_hosts, host]  # the name the server was told to bind is its own
    os.environ["SEEDSEARCH_HEAD_TIMEOUT"] = str(head_timeout)
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_level": "warning",
        "http": HeadTimeoutProtocol,
    }
    if workers > 1:
        from ..stores import cluster_spec, is_cluster

        # Each worker opens the index again: a folder by its absolute path (a worker's
        # working directory may differ), a cluster by its address as given.
        where = cluster_spec(index_dir) if is_cluster(index_dir) else os.path.abspath(index_dir)
        os.environ["SEEDSEARCH_INDEX"] = where
        os.environ["SEEDSEARCH_ALLOWED_HOSTS"] = ",".join(names)
        os.environ["SEEDSEARCH_SYNONYMS"] = os.path.abspath(synonyms) if synonyms else ""
        uvicorn.run(
            "seedsearch.web.app:app_from_environment", factory=True, workers=workers, **options
        )
        return
    from .app import create_app

    uvicorn.run(create_app(index_dir, allowed_hosts=names, synonyms=synonyms), **options)


def check_port(host: str, port: int) -> None:
    """Fail now, with one line, if ``host:port`` cannot be listened on."""
    if port == 0:
        return  # any free port
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise OptionError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        # As uvicorn binds: a port left in TIME_WAIT by a previous server is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise PortInUseError(
                    f"port {port} is already in use on {host}: stop the other server "
                    "or choose another with --port"
                ) from None
            raise OptionError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
