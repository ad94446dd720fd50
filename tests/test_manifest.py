"""The record of indexed files kept beside the index: an update reads only what changed."""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest

import seedsearch.documents as documents
from seedsearch.index import IndexReport, update_index
from seedsearch.manifest import MANIFEST_FILE
from seedsearch.store import Index

HOUR = 3600 * 10**9
ARTICLES = {
    "a.txt": "Le minage de bitcoin\n\nCleanspark construit des centres de données.\n",
    "b.txt": "Exaion et EDF\n\nLes supercalculateurs d’EDF servent la blockchain.\n",
    "sub/c.txt": "La géothermie islandaise\n\nLes serres chauffées par la vapeur.\n",
}


def age(path: Path, hours: int) -> None:
    """Set the file's times ``hours`` in the past (older than any clock-tick race)."""
    when = time.time_ns() - hours * HOUR
    os.utime(path, ns=(when, when))


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    for name, text in ARTICLES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        age(path, 5)
    return root


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files an update opens: the real reader, with each call noted."""
    seen: list[str] = []
    real = documents.read_bytes

    def counting(source: documents.SourceFile) -> bytes:
        seen.append(source.path.name)
        return real(source)

    monkeypatch.setattr(documents, "read_bytes", counting)
    return seen


def run(index_dir: Path, reads: list[str], *args: Path, **kwargs: object) -> IndexReport:
    reads.clear()
    return update_index(index_dir, list(args), **kwargs)  # type: ignore[arg-type]


def hits(index_dir: Path, query: str) -> int:
    with Index(index_dir) as ix:
        return ix.search(query).total


@pytest.fixture
def built(tmp_path: Path, corpus: Path, reads: list[str]) -> Callable[[], Path]:
    def build() -> Path:
        ix = tmp_path / "ix"
        report = run(ix, reads, corpus)
        assert report.added == 3 and sorted(reads) == ["a.txt", "b.txt", "c.txt"]
        return ix

    return build


@pytest.mark.parametrize("jobs", [1, 2])
def test_files_as_they_were_when_hashed_are_not_read_again(
    built: Callable[[], Path], reads: list[str], jobs: int
) -> None:
    ix = built()
    report = run(ix, reads, jobs=jobs)
    assert reads == []
    assert (report.unchanged, report.changed, report.documents) == (3, False, 3)


def test_a_change_of_same_size_with_a_new_mtime_is_read_and_indexed(
    built: Callable[[], Path], corpus: Path, reads: list[str]
) -> None:
    ix = built()
    path = corpus / "a.txt"
    text = path.read_text(encoding="utf-8").replace("bitcoin", "ethereu")  # same length
    path.write_text(text, encoding="utf-8")
    age(path, 2)
    report = run(ix, reads)
    assert reads == ["a.txt"]
    assert (report.updated, report.unchanged) == (1, 2)
    assert hits(ix, "ethereu") == 1 and hits(ix, "bitcoin") == 0


def test_a_touched_file_is_hashed_once_and_not_reindexed(
    built: Callable[[], Path], corpus: Path, reads: list[str]
) -> None:
    ix = built()
    generation = json.loads((ix / MANIFEST_FILE).read_text())["generation"]
    age(corpus / "b.txt", 1)
    report = run(ix, reads)
    assert reads == ["b.txt"]
    assert (report.changed, report.unchanged) == (False, 3)
    # Its new state is recorded (the same generation: nothing was committed)...
    recorded = json.loads((ix / MANIFEST_FILE).read_text())
    assert recorded["generation"] == generation
    # ...so the next run reads nothing.
    run(ix, reads)
    assert reads == []


def test_deleted_files_are_removed_and_forgotten(
    built: Callable[[], Path], corpus: Path, reads: list[str]
) -> None:
    ix = built()
    (corpus / "sub" / "c.txt").unlink()
    report = run(ix, reads)
    assert (report.removed, report.unchanged, reads) == (1, 2, [])
    assert hits(ix, "géothermie") == 0
    files = json.loads((ix / MANIFEST_FILE).read_text())["files"]
    assert sorted(Path(p).name for p in files) == ["a.txt", "b.txt"]


def test_files_changed_in_the_last_seconds_are_hashed_every_run(
    built: Callable[[], Path], corpus: Path, reads: list[str]
) -> None:
    ix = built()
    path = corpus / "a.txt"
    path.write_text(path.read_text(encoding="utf-8").replace("bitcoin", "ethereu"), "utf-8")
    assert run(ix, reads).updated == 1
    # Written just now: a second write in the same clock tick would keep its mtime.
    for _ in range(2):
        report = run(ix, reads)
        assert reads == ["a.txt"] and not report.changed


def test_a_record_of_another_generation_is_not_trusted(
    built: Callable[[], Path], corpus: Path, reads: list[str], tmp_path: Path
) -> None:
    ix = built()
    shutil.copy(ix / MANIFEST_FILE, tmp_path / "old.json")
    (corpus / "d.txt").write_text("Le bois de chauffage\n\nDes bûches sèches.\n", "utf-8")
    age(corpus / "d.txt", 3)
    assert run(ix, reads).added == 1
    # A record of the previous generation does not know d.txt: trusted, it would add it twice.
    shutil.copy(tmp_path / "old.json", ix / MANIFEST_FILE)
    report = run(ix, reads)
    assert (report.added, report.unchanged, report.documents) == (0, 4, 4)
    assert hits(ix, "bûches") == 1
    # Rebuilt from the index: the run after it reads nothing.
    run(ix, reads)
    assert reads == []


@pytest.mark.parametrize("damage", ["", "{", '{"version": 1}', "[1, 2]", '{"files": 3}'])
def test_a_damaged_or_missing_record_is_rebuilt_from_the_index(
    built: Callable[[], Path], reads: list[str], damage: str
) -> None:
    ix = built()
    if damage:
        (ix / MANIFEST_FILE).write_text(damage, encoding="utf-8")
    else:
        (ix / MANIFEST_FILE).unlink()
    report = run(ix, reads)
    assert (report.changed, report.unchanged, report.documents) == (False, 3, 3)
    run(ix, reads)
    assert reads == []


def test_a_run_limited_to_changed_files_keeps_the_record_current(
    built: Callable[[], Path], corpus: Path, reads: list[str]
) -> None:
    ix = built()
    path = corpus / "b.txt"
    path.write_text("Un autre article\n\nSur la biomasse et le bois.\n", encoding="utf-8")
    age(path, 2)
    report = update_index(ix, changed=[str(path)])  # as the watcher runs it
    assert report.updated == 1
    run(ix, reads)
    assert reads == []
    assert hits(ix, "biomasse") == 1


def test_a_moved_file_is_read_under_its_new_path(
    built: Callable[[], Path], corpus: Path, reads: list[str]
) -> None:
    ix = built()
    (corpus / "sub" / "c.txt").rename(corpus / "e.txt")  # same inode, size and times
    report = run(ix, reads)
    assert reads == ["e.txt"]
    assert (report.added, report.removed, report.documents) == (1, 1, 3)
