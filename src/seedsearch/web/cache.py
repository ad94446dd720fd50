"""Answers of ``/api/search`` kept for the index generation they were computed on.

Search as you type asks the same thing again and again (every client, every keystroke
taken back), and a search costs milliseconds of Python that one process does one at a
time. :class:`SearchCache` is an ASGI middleware that keeps the last answers (status 200
only, small ones) in a least-recently-used table keyed by the request's path and its
parameters in a canonical order (values of one name keep theirs: the last one wins),
and by what the answer depends on besides: the committed generation of the index (its
table of contents' name, inode and mtime: a rebuild in a new folder is a new index) and
the synonyms files. A commit or an edited synonyms file makes every older entry
unreachable; the table's size bounds what they hold until they age out. A kept answer
is sent as it was (its ``took_ms`` included), with ``X-Cache: hit``.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..schema import INDEX_NAME

CACHED_PATHS = ("/api/search",)
MAX_ENTRIES = 512
MAX_BYTES = 64 * 1024 * 1024  # all answers kept
MAX_ANSWER_BYTES = 1024 * 1024  # a bigger answer is not kept


def index_state(index_dir: Path, synonyms: Sequence[Path]) -> tuple[Any, ...] | None:
    """What answers depend on besides the request: the committed generation and the
    synonyms files (None when there is no committed index)."""
    try:
        names = os.listdir(index_dir)
    except OSError:
        return None
    prefix = f"_{INDEX_NAME}_"
    tocs = [n for n in names if n.startswith(prefix) and n.endswith(".toc")]
    if not tocs:
        return None
    latest = max(tocs, key=lambda n: (len(n), n))  # _MAIN_9.toc < _MAIN_10.toc
    try:
        st = os.stat(index_dir / latest)
    except OSError:
        return None
    state: list[Any] = [latest, st.st_ino, st.st_mtime_ns]
    for path in synonyms:
        try:
            s = os.stat(path)
            state.append((s.st_size, s.st_mtime_ns, s.st_ino))
        except OSError:
            state.append(None)
    return tuple(state)


def request_key(scope: Scope) -> tuple[str, tuple[tuple[str, str], ...]]:
    pairs = parse_qsl(
        scope.get("query_string", b"").decode("latin-1"),
        keep_blank_values=True,
        errors="surrogateescape",
    )
    # A stable sort: several values of one name keep their order (the last one counts).
    return scope["path"], tuple(sorted(pairs, key=lambda kv: kv[0]))


class SearchCache:
    """The middleware (see the module docstring)."""

    def __init__(
        self,
        app: ASGIApp,
        index_dir: Path,
        synonyms: str | None = None,
        max_entries: int | None = None,
    ) -> None:
        self.app = app
        self.index_dir = Path(index_dir)
        self.synonyms = [self.index_dir / "synonyms.txt", *([Path(synonyms)] if synonyms else [])]
        self.max_entries = MAX_ENTRIES if max_entries is None else max_entries
        self._answers: OrderedDict[Any, tuple[int, list[Any], bytes]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()  # the app may run in several event loops' threads

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or scope["path"] not in CACHED_PATHS:
            await self.app(scope, receive, send)
            return
        state = index_state(self.index_dir, self.synonyms)
        key = (request_key(scope), state)
        with self._lock:
            kept = self._answers.get(key) if state is not None else None
            if kept is not None:
                self._answers.move_to_end(key)
        if kept is not None:
            status, headers, body = kept
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        start: Message | None = None
        chunks: list[bytes] = []
        size = 0
        keep = state is not None

        async def record(message: Message) -> None:
            nonlocal start, size, keep
            if message["type"] == "http.response.start":
                start = message
                keep = keep and message["status"] == 200
                message = {**message, "headers": [*message.get("headers", []), *_miss()]}
            elif message["type"] == "http.response.body" and keep:
                chunks.append(message.get("body", b""))
                size += len(chunks[-1])
                keep = size <= MAX_ANSWER_BYTES
                if keep and not message.get("more_body", False) and start is not None:
                    self._store(key, start, b"".join(chunks))
            await send(message)

        await self.app(scope, receive, record)

    def _store(self, key: Any, start: Message, body: bytes) -> None:
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"x-cache"]
        headers.append((b"x-cache", b"hit"))
        with self._lock:
            old = self._answers.pop(key, None)
            if old is not None:
                self._bytes -= len(old[2])
            self._answers[key] = (int(start["status"]), headers, body)
            self._bytes += len(body)
            while self._answers and (
                len(self._answers) > self.max_entries or self._bytes > MAX_BYTES
            ):
                _, (_, _, dropped) = self._answers.popitem(last=False)
                self._bytes -= len(dropped)


def _miss() -> list[tuple[bytes, bytes]]:
    return [(b"x-cache", b"miss")]
