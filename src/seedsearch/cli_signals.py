"""Front end signals: Ctrl-C and SIGTERM during a command that writes the index.

The signal unwinds the command like Ctrl-C, so its cleanup runs, and the command exits
with 128 + the signal's number.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager


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
