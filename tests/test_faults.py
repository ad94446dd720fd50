"""Damaged indexes, killed builds, a full disk and unusable index folders."""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from starlette.testclient import TestClient

from seedsearch.check import check_index
from seedsearch.cli import main
from seedsearch.errors import DiskFullError, IndexAccessError, IndexLockedError
from seedsearch.index import update_index
from seedsearch.store import Index
from seedsearch.web.app import create_app
from test_robustness import write_corpus

SEEDSEARCH = str(Path(sys.executable).with_name("seedsearch"))

# Whoosh leaves the files of a reader that failed to open to the garbage collector.
pytestmark = [
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]


@pytest.fixture(autouse=True)
def collect_leaked_files() -> Iterator[None]:
    """Whoosh leaves the files of a reader or writer that failed to the garbage collector:
    collect them here, not during a later test."""
    yield
    import gc
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gc.collect()


def run_cli(index: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["--index", str(index), *args], catch_exceptions=False)


@pytest.fixture(scope="module")
def healthy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("healthy")
    write_corpus(base / "corpus", 0, 12, seed=7)
    update_index(base / "ix", [base / "corpus"])
    return base / "ix"


def damaged_copy(healthy: Path, dest: Path, kind: str, how: str) -> Path:
    shutil.copytree(healthy, dest)
    (target,) = [p for p in dest.iterdir() if p.name.endswith(kind)]
    data = target.read_bytes()
    if how == "truncate":
        target.write_bytes(data[: len(data) // 2])
    elif how == "empty":
        target.write_bytes(b"")
    elif how == "flip":
        flipped = bytearray(data)
        flipped[len(data) // 2] ^= 0xFF
        target.write_bytes(bytes(flipped))
    else:
        target.unlink()
    return dest


KINDS = [
    ".toc",
    ".pst",
    ".trm",
    "_stored.col",
    "_body_len.col",
    "_title_len.col",
    "seedsearch.json",
]


@pytest.mark.parametrize("how", ["truncate", "empty", "flip", "delete"])
@pytest.mark.parametrize("kind", KINDS)
def test_a_damaged_index_is_reported_in_one_line_checked_and_repaired_by_rebuild(
    healthy: Path, tmp_path: Path, kind: str, how: str
) -> None:
    ix = damaged_copy(healthy, tmp_path / "ix", kind, how)

    report = check_index(ix)
    assert not report.ok and report.problems
    checked = run_cli(ix, "check")
    assert checked.exit_code == 5 and checked.stdout.startswith("problem: ")
    as_json = json.loads(run_cli(ix, "check", "--json").stdout)
    assert as_json["ok"] is False and as_json["problems"] == list(report.problems)

    # Reading either works (a flipped bit Whoosh cannot see) or fails in one line.
    found = seedsearch(ix, "search", "minage")
    if found.returncode not in (0, 1):  # 1: nothing matched
        lines = found.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("seedsearch: error: "), found.stderr
        assert str(ix) in lines[0] and "--rebuild" in lines[0]
        as_json = seedsearch(ix, "search", "--json", "minage")
        assert as_json.stderr == "" and len(as_json.stdout.strip().splitlines()) == 1
        assert json.loads(as_json.stdout)["error"]["code"] in ("index_corrupt", "index_version")

    rebuilt = run_cli(ix, "index", "--rebuild")
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "12 documents" in rebuilt.stdout  # the same sources, found again
    assert check_index(ix).ok
    assert run_cli(ix, "search", "minage").exit_code == 0
    with Index(ix) as index:
        assert index.search("minage").total > 0


def test_healthz_answers_503_for_a_damaged_index_then_200_once_rebuilt(
    healthy: Path, tmp_path: Path
) -> None:
    ix = damaged_copy(healthy, tmp_path / "ix", ".trm", "truncate")
    with TestClient(create_app(ix), base_url="http://127.0.0.1") as client:
        r = client.get("/healthz")
        assert r.status_code == 503
        assert r.json()["index"] is False and r.json()["error"]["code"] == "index_corrupt"
        r = client.get("/api/search", params={"q": "minage"})
        assert r.status_code == 503 and r.json()["error"]["code"] == "index_corrupt"
        update_index(ix, rebuild=True)
        r = client.get("/healthz")
        assert r.status_code == 200 and r.json() == {"status": "ok", "index": True}
        assert client.get("/api/search", params={"q": "minage"}).json()["total"] > 0


# --- killed and concurrent builds --------------------------------------------------------


def seedsearch(index: Path, *args: str, fault: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "SEEDSEARCH_FAULT": fault or ""}
    return subprocess.run(
        [SEEDSEARCH, "--index", str(index), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_a_killed_first_build_is_no_index_and_the_next_run_completes(tmp_path: Path) -> None:
    write_corpus(tmp_path / "corpus", 0, 8, seed=3)
    ix = tmp_path / "ix"
    killed = seedsearch(ix, "index", str(tmp_path / "corpus"), fault="before-commit")
    assert killed.returncode == -9

    found = seedsearch(ix, "search", "minage")
    assert found.returncode == 5
    assert (
        found.stderr.strip()
        == f"seedsearch: error: no index at {ix}: run 'seedsearch index' to build it"
    )
    done = seedsearch(ix, "index", str(tmp_path / "corpus"))
    assert done.returncode == 0, done.stderr
    assert check_index(ix).ok
    with Index(ix) as index:
        assert index.stats().documents == 8


def test_a_first_build_while_another_holds_the_lock_is_index_locked(tmp_path: Path) -> None:
    from whoosh.filedb.filestore import FileStorage

    ix = tmp_path / "ix"
    ix.mkdir()
    lock = FileStorage(str(ix)).lock("MAIN_WRITELOCK")
    assert lock.acquire(blocking=False)
    try:
        with pytest.raises(IndexLockedError):
            update_index(ix)
        out = seedsearch(ix, "index", "--json")
        assert out.returncode == 3
        assert json.loads(out.stdout)["error"]["code"] == "index_locked"
    finally:
        lock.release()
    assert seedsearch(ix, "index").returncode == 0


def test_a_kill_right_after_the_commit_keeps_the_new_sources(tmp_path: Path) -> None:
    write_corpus(tmp_path / "a", 0, 5, seed=1)
    write_corpus(tmp_path / "b", 100, 7, seed=2)
    ix = tmp_path / "ix"
    assert seedsearch(ix, "index", str(tmp_path / "a")).returncode == 0
    killed = seedsearch(ix, "index", str(tmp_path / "b"), fault="after-commit")
    assert killed.returncode == -9
    sidecar = json.loads((ix / "seedsearch.json").read_text())
    assert sidecar["roots"] == [str(tmp_path / "a")]  # the sidecar was not updated

    again = seedsearch(ix, "index", "--json")  # no path: the sources last committed
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["documents"] == 12  # both sources
    assert json.loads(again.stdout)["removed"] == 0
    with Index(ix) as index:
        assert index.stats().roots == (str(tmp_path / "a"), str(tmp_path / "b"))
    assert check_index(ix).ok


# --- a full disk -------------------------------------------------------------------------


@pytest.fixture
def disk_fills_after(monkeypatch: pytest.MonkeyPatch) -> Callable[[int], None]:
    """Make every index file written from now on fail with ENOSPC once ``budget`` bytes
    have been written in all (the files are real; only the disk's size is pretended)."""
    from whoosh.filedb.filestore import FileStorage

    original = FileStorage.create_file

    def fill_after(budget: int) -> None:
        left = [budget]

        class Full:
            def __init__(self, raw: Any) -> None:
                self._raw = raw

            def write(self, data: bytes) -> int:
                left[0] -= len(data)
                if left[0] < 0:
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                return int(self._raw.write(data))

            def __getattr__(self, name: str) -> Any:
                return getattr(self._raw, name)

        def create_file(self: Any, name: str, *args: Any, **kwargs: Any) -> Any:
            f = original(self, name, *args, **kwargs)
            f.file = Full(f.file)
            return f

        monkeypatch.setattr(FileStorage, "create_file", create_file)

    return fill_after


@pytest.mark.parametrize("budget", [0, 20_000, 200_000])
def test_disk_full_keeps_the_previous_index_and_removes_the_failed_files(
    tmp_path: Path,
    disk_fills_after: Callable[[int], None],
    monkeypatch: pytest.MonkeyPatch,
    budget: int,
) -> None:
    root, ix = tmp_path / "corpus", tmp_path / "ix"
    write_corpus(root, 0, 10, seed=5)
    update_index(ix, [root])
    files = sorted(p.name for p in ix.iterdir())
    write_corpus(root, 10, 150, seed=6)

    disk_fills_after(budget)
    with pytest.raises(DiskFullError) as caught:
        update_index(ix, [root])
    assert caught.value.message == (
        f"disk full while writing the index at {ix}; the previous index is intact"
    )
    assert sorted(p.name for p in ix.iterdir()) == files  # nothing of the failed run left
    with Index(ix) as index:
        assert index.stats().documents == 10
    monkeypatch.undo()  # space freed
    assert update_index(ix, [root]).documents == 160
    assert check_index(ix).ok


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 2 MB file system (tmpfs), for the real ENOSPC."""
    mnt = tmp_path / "disk"
    mnt.mkdir()
    try:
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mnt)],
            capture_output=True,
            text=True,
        )
    except FileNotFoundError:
        pytest.skip("no mount command")
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", str(mnt)], check=False)


def test_a_real_full_disk_is_one_line_and_a_later_run_succeeds(
    tmp_path: Path, small_disk: Path
) -> None:
    root, ix = tmp_path / "corpus", small_disk / "ix"
    write_corpus(root, 0, 10, seed=8)
    assert seedsearch(ix, "index", str(root)).returncode == 0
    files = sorted(p.name for p in ix.iterdir())
    write_corpus(root, 10, 1500, seed=9)  # an index well over the disk's 2 MB

    full = seedsearch(ix, "index", str(root))
    assert full.returncode == 5
    assert full.stderr.strip() == (
        f"seedsearch: error: disk full while writing the index at {ix}; "
        "the previous index is intact"
    )
    assert sorted(p.name for p in ix.iterdir()) == files
    assert seedsearch(ix, "search", "minage").returncode == 0
    assert check_index(ix).ok
    for extra in sorted(root.iterdir())[10:1450]:
        extra.unlink()  # fewer files: the index fits again
    done = seedsearch(ix, "index")
    assert done.returncode == 0, done.stderr
    with Index(ix) as index:
        assert index.stats().documents == 70


# --- index folders that cannot be used ---------------------------------------------------


def test_an_impossible_index_path_is_an_index_access_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(IndexAccessError):
        update_index(blocker / "ix")
    with pytest.raises(IndexAccessError):
        Index(blocker)
    out = run_cli(blocker / "ix", "index", "--json")
    assert out.exit_code == 5 and json.loads(out.stdout)["error"]["code"] == "index_access"


def test_a_read_only_index_folder_is_an_index_access_error(tmp_path: Path) -> None:
    ix = tmp_path / "ix"
    update_index(ix)
    done = subprocess.run(
        ["mount", "--bind", "-o", "ro", str(ix), str(ix)], capture_output=True, text=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot bind-mount read-only here: {done.stderr.strip()}")
    try:
        with pytest.raises(IndexAccessError) as caught:
            update_index(ix, rebuild=True)
        assert str(ix) in caught.value.message
        out = run_cli(ix, "index", "--rebuild")
        assert out.exit_code == 5 and out.stderr.count("\n") == 1
        with Index(ix) as index:  # reading still works
            assert index.search("minage").total > 0
    finally:
        subprocess.run(["umount", str(ix)], check=False)
