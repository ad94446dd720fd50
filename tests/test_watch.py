"""Watch mode: a real ``seedsearch index --watch`` process (and the watcher thread of
``serve --watch``) sees files created, modified, renamed and deleted."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from seedsearch.check import check_index
from seedsearch.index import IndexReport, update_index
from seedsearch.store import Index
from seedsearch.watch import ignored, watch_index
from seedsearch.web.app import create_app

SEEDSEARCH = str(Path(sys.executable).with_name("seedsearch"))
PATIENCE = 30.0  # seconds: generous, for a loaded machine; a change usually shows in < 1 s


def search(ix: Path, word: str) -> dict:
    done = subprocess.run(
        [SEEDSEARCH, "--index", str(ix), "search", "--json", word],
        capture_output=True,
        text=True,
        check=False,
    )
    return json.loads(done.stdout) if done.returncode in (0, 1) else {"total": -1, "hits": []}


def until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + PATIENCE
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not seen within {PATIENCE:.0f} s: {what}")
        time.sleep(0.1)


@pytest.fixture
def watcher(tmp_path: Path) -> Iterator[tuple[Path, Path, subprocess.Popen[str]]]:
    src = tmp_path / "src"
    src.mkdir()
    (src / "base.txt").write_text("Un premier article sur le réseau électrique.")
    ix = tmp_path / "ix"
    proc = subprocess.Popen(
        [SEEDSEARCH, "--index", str(ix), "index", "--watch", str(src)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    line = proc.stderr.readline()  # once the first run is committed
    assert "watching" in line, line
    yield src, ix, proc
    if proc.poll() is None:
        proc.kill()
    proc.communicate()


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_index_watch_sees_files_created_modified_renamed_deleted_and_stops_on_a_signal(
    watcher: tuple[Path, Path, subprocess.Popen[str]], signum: int
) -> None:
    src, ix, proc = watcher
    (src / "new.txt").write_text("Les éoliennes en mer du Nord tournent.")
    until(lambda: search(ix, "eoliennes")["total"] == 1, "a created file")

    (src / "new.txt").write_text("Les panneaux solaires du désert.")
    until(
        lambda: search(ix, "solaires")["total"] == 1 and search(ix, "eoliennes")["total"] == 0,
        "a modified file",
    )

    (src / "new.txt").rename(src / "moved.txt")
    until(
        lambda: [Path(h["path"]).name for h in search(ix, "solaires")["hits"]] == ["moved.txt"],
        "a renamed file",
    )

    (src / "moved.txt").unlink()
    until(lambda: search(ix, "solaires")["total"] == 0, "a deleted file")

    proc.send_signal(signum)
    out, err = proc.communicate(timeout=PATIENCE)
    assert proc.returncode == 128 + signum
    assert err.strip().splitlines() == [
        "seedsearch: stopped watching; every batch so far is committed"
    ]
    batches = out.splitlines()[1:]  # after the first run's report
    assert batches and all(" added, " in b and " removed" in b for b in batches)
    assert check_index(ix).ok
    assert search(ix, "reseau")["total"] == 1


def test_editor_temporary_files_and_partial_downloads_are_ignored_until_they_settle(
    watcher: tuple[Path, Path, subprocess.Popen[str]],
) -> None:
    src, ix, proc = watcher
    body = "Le barrage hydraulique produit davantage."
    for name in ("note.txt.swp", "note.txt~", ".#note.txt", "dl.txt.part", "dl.crdownload"):
        (src / name).write_text(body)
    (src / "marker.txt").write_text("Un marqueur de fin : géothermie.")
    until(lambda: search(ix, "geothermie")["total"] == 1, "the file after the temporary ones")
    assert search(ix, "barrage")["total"] == 0
    (src / "dl.txt.part").rename(src / "dl.txt")  # the download completes
    until(lambda: search(ix, "barrage")["total"] == 1, "a completed download")
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=PATIENCE)
    assert proc.returncode == 130
    batches = out.splitlines()[1:]  # after the first run's report
    assert batches and not any("skipped" in b for b in batches)


@pytest.mark.parametrize(
    ("name", "skip"),
    [
        ("a.txt.swp", True),
        ("a.txt.swo", True),
        ("a.txt~", True),
        (".#a.txt", True),
        ("film.mp4.part", True),
        ("page.html.crdownload", True),
        ("a.txt", False),
        ("partie.md", False),
        ("swp.txt", False),
    ],
)
def test_temporary_file_names(name: str, skip: bool) -> None:
    assert ignored(f"/somewhere/{name}") is skip


def test_the_watcher_thread_of_serve_stops_when_told(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text("Le minage de bitcoin au Texas.")
    ix = tmp_path / "ix"
    update_index(ix, [src])
    stop = threading.Event()
    reports: list[IndexReport] = []
    thread = threading.Thread(
        target=watch_index, args=(ix, reports.append), kwargs={"stop": stop}, daemon=True
    )
    thread.start()
    time.sleep(0.5)  # the watch is set up
    (src / "b.txt").write_text("Les centres de données consomment.")

    def seen() -> bool:
        with Index(ix) as index:
            return index.search("donnees").total == 1

    until(seen, "a file created while the thread watches")
    stop.set()
    thread.join(timeout=PATIENCE)
    assert not thread.is_alive()
    assert sum(r.added for r in reports) == 1


def test_the_search_page_shows_the_last_update(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text("Le minage de bitcoin au Texas.")
    ix = tmp_path / "ix"
    update_index(ix, [src])
    with Index(ix) as index:
        updated = index.last_update()
    with TestClient(create_app(ix, allowed_hosts=["testserver"])) as client:
        page = client.get("/").text
    assert f'<time datetime="{updated}">' in page
    assert f"{updated[:10]} à {updated[11:16]} UTC" in page


def test_serve_watch_indexes_changes_while_serving(tmp_path: Path, server_factory) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text("Le minage de bitcoin au Texas.")
    ix = tmp_path / "ix"
    update_index(ix, [src])
    server = server_factory(ix, "--watch")
    time.sleep(0.5)
    (src / "b.txt").write_text("Les éoliennes en mer du Nord tournent.")
    until(
        lambda: server.get_json("/api/search?q=eoliennes")[1].get("total") == 1,
        "a file created while serving",
    )


def test_a_watched_source_that_vanishes_keeps_its_articles_and_is_read_again_on_return(
    tmp_path: Path,
) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "a.txt").write_text("Le minage de bitcoin au Texas.")
    (b / "b.txt").write_text("Les éoliennes en mer du Nord tournent.")
    ix = tmp_path / "ix"
    update_index(ix, [a])
    update_index(ix, [b])
    stop = threading.Event()
    reports: list[IndexReport] = []
    ready = threading.Event()
    thread = threading.Thread(
        target=watch_index,
        args=(ix, reports.append),
        kwargs={"stop": stop, "on_ready": ready.set},
        daemon=True,
    )
    thread.start()
    assert ready.wait(PATIENCE)
    away = tmp_path / "away"
    b.rename(away)
    until(lambda: any(r.vanished == (str(b),) for r in reports), "the source vanishing")
    assert all(r.removed == 0 for r in reports)

    def found(word: str) -> int:
        with Index(ix) as index:
            return index.search(word).total

    assert found("eoliennes") == 1
    (away / "c.txt").write_text("La géothermie profonde.")  # changed while away
    away.rename(b)
    until(lambda: found("geothermie") == 1, "a file of the source that came back")
    stop.set()
    thread.join(timeout=PATIENCE)
    assert not thread.is_alive()
