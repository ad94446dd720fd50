"""Running a format reader in a child process, with a time and a memory limit.

PDFs (parsed by C code) and every rich file over :data:`ISOLATE_BYTES` are read by a
long-lived child (``python -m seedsearch.documents.isolate``, one per indexing process)
whose address space is capped with ``RLIMIT_AS``. A reader that crashes, runs out of
memory or overruns :data:`TIMEOUT` costs its file, reported as skipped; the child is
then replaced. Keeping the child between files makes the cost a pipe round trip (well
under a millisecond) plus one start-up per run, instead of a process per file; small
HTML, mail and feed files are read in-process, where size caps keep them fast.
"""

from __future__ import annotations

import atexit
import os
import pickle
import select
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO, Any

from ..errors import SourceError
from .model import Extracted

ISOLATE_BYTES = 2_000_000
TIMEOUT = 15.0  # seconds for one file
MEMORY_BYTES = 2 * 1024**3  # address space of the child
_HEADER = struct.Struct("!Q")

_lock = threading.Lock()
_child: subprocess.Popen[bytes] | None = None


def _start() -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    package_root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    return subprocess.Popen(
        [sys.executable, "-m", "seedsearch.documents.isolate"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
    )


def _stop() -> None:
    global _child
    child, _child = _child, None
    if child is not None:
        child.kill()
        child.wait()
        for pipe in (child.stdin, child.stdout):
            if pipe is not None:
                pipe.close()


atexit.register(_stop)


def _read_exact(pipe: IO[bytes], n: int, deadline: float) -> bytes:
    fd = pipe.fileno()
    chunks: list[bytes] = []
    while n:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            raise TimeoutError
        chunk = os.read(fd, min(n, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def run(fmt: str, data: bytes, name: str, timeout: float = TIMEOUT) -> list[Extracted]:
    """``readers.extract(fmt, data, name)`` in the child; :class:`SourceError` if it fails."""
    global _child
    with _lock:
        if _child is None or _child.poll() is not None:
            _stop()
            _child = _start()
        child = _child
        assert child.stdin is not None and child.stdout is not None
        request = pickle.dumps((fmt, data, name), protocol=pickle.HIGHEST_PROTOCOL)
        try:
            child.stdin.write(_HEADER.pack(len(request)) + request)
            child.stdin.flush()
            deadline = time.monotonic() + timeout
            (size,) = _HEADER.unpack(_read_exact(child.stdout, _HEADER.size, deadline))
            status, value = pickle.loads(_read_exact(child.stdout, size, deadline))
        except TimeoutError:
            _stop()
            raise SourceError(f"{fmt} reader took longer than {timeout:.0f} s") from None
        except (EOFError, BrokenPipeError, OSError):
            code = child.poll()
            _stop()
            raise SourceError(
                f"{fmt} reader crashed (exit {code}): broken or hostile file"
            ) from None
    if status != "ok":
        raise SourceError(str(value))
    return value  # type: ignore[no-any-return]


def _serve() -> None:
    """The child's loop: read a request, answer it, until the parent closes the pipe."""
    import resource

    from .readers import extract_or_reason

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    while True:
        header = stdin.read(_HEADER.size)
        if len(header) < _HEADER.size:
            return
        fmt, data, name = pickle.loads(stdin.read(_HEADER.unpack(header)[0]))
        answer: tuple[str, Any] = extract_or_reason(fmt, data, name)
        payload = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
        stdout.write(_HEADER.pack(len(payload)) + payload)
        stdout.flush()


if __name__ == "__main__":
    _serve()
