"""Keeping an index current while its sources change (``index --watch``, ``serve --watch``).

Every present source is watched with watchfiles (inotify, FSEvents…: no polling of the
files). Changes are gathered until the file system has been quiet for ``step_ms`` (at
most ``debounce_ms``), then applied as one index run restricted to the changed paths:
one commit per batch. Editors' temporary files and partial downloads are not looked at:
the rename that ends a save or a download names the final file, which is. The list of
sources is read again every few seconds, so a source added by another ``seedsearch
index`` run, or a disk mounted again, is watched (and read once) without a restart.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import IndexLockedError, SeedsearchError
from .sources import under, vanished

if TYPE_CHECKING:
    from .index import IndexReport

# Vim's swap files, Emacs's backups (name~) and lock files (.#name), browsers' downloads.
IGNORED_SUFFIXES = (".swp", ".swo", ".swx", "~", ".part", ".crdownload")
IGNORED_PREFIXES = (".#",)
ROOTS_EVERY = 5.0  # seconds between two readings of the list of sources


def ignored(path: str) -> bool:
    """Whether a changed file is a temporary one, not looked at until it settles."""
    name = os.path.basename(path)
    return name.endswith(IGNORED_SUFFIXES) or name.startswith(IGNORED_PREFIXES)


def watched_sources(index_dir: Path) -> list[str]:
    """The index's sources that are there to watch."""
    from .generation import committed

    current = committed(index_dir, rebuild=False)
    return [r for r in current.roots or [] if not vanished(r, current.sources.get(r, {}))]


def watch_index(
    index_dir: str | os.PathLike[str],
    on_batch: Callable[[IndexReport], None],
    *,
    on_error: Callable[[SeedsearchError], None] | None = None,
    on_ready: Callable[[], None] | None = None,
    stop: threading.Event | None = None,
    step_ms: int = 100,
    debounce_ms: int = 1600,
    poll_ms: int = 1000,
    jobs: int = 1,
) -> None:
    """Apply every batch of changes under the sources of the index at ``index_dir``,
    until ``stop`` is set (or, in the main thread, until KeyboardInterrupt).

    ``on_batch`` gets each batch's report. A batch that finds the index locked (another
    run writing) is tried again a moment later; other errors go to ``on_error`` and the
    watch goes on. Once a watch is set up, its sources are read once more (a change made
    before it started is not missed), then ``on_ready`` is called.
    """
    import watchfiles

    from .index import update_index

    index_dir = Path(index_dir).absolute()
    own = [str(index_dir), os.path.realpath(index_dir)]

    def wanted(change: Any, path: str) -> bool:
        # The index's own files change with every commit when it lies inside a source.
        return not ignored(path) and not under(path, own)

    def apply(paths: set[str], quiet: bool = False) -> bool:
        try:
            report = update_index(index_dir, changed=sorted(paths), jobs=jobs)
        except IndexLockedError:
            return False  # kept for the next try
        except SeedsearchError as err:
            if on_error is not None:
                on_error(err)
        else:
            if report.changed or not quiet:
                on_batch(report)
        return True

    def stopped() -> bool:
        return stop is not None and stop.is_set()

    pending: set[str] = set()
    roots: list[str] = []
    while not stopped():
        try:
            now_watched = watched_sources(index_dir)
        except SeedsearchError as err:
            if on_error is not None:
                on_error(err)
            now_watched = []
        if roots and set(now_watched) - set(roots):
            # A source mounted again or added meanwhile: read it once, whole.
            pending.update(set(now_watched) - set(roots))
        roots = now_watched
        if pending and apply(pending):
            pending.clear()
        if not roots:
            if stop is not None:
                stop.wait(poll_ms / 1000)
            else:
                time.sleep(poll_ms / 1000)
            continue
        checked = time.monotonic()
        batches = watchfiles.watch(
            *roots,
            watch_filter=wanted,
            debounce=debounce_ms,
            step=step_ms,
            stop_event=stop,
            rust_timeout=poll_ms,
            yield_on_timeout=True,
        )
        catching_up = True
        try:
            for changes in batches:
                if catching_up:  # the watch is set up: what changed before it is read now
                    if not apply(set(roots), quiet=True):
                        continue
                    catching_up = False
                    if on_ready is not None:
                        on_ready()
                        on_ready = None
                pending.update(path for _, path in changes)
                if pending and apply(pending):
                    pending.clear()
                if time.monotonic() - checked > ROOTS_EVERY:
                    checked = time.monotonic()
                    with contextlib.suppress(SeedsearchError):
                        if watched_sources(index_dir) != roots:
                            break  # watch the new list
        except OSError:  # a source went away as the watch started: read the list again
            time.sleep(poll_ms / 1000)
