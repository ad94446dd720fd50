"""Sources accumulate: adding, updating, forgetting and losing the folders an index is
built from, through the real CLI, on real folders."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seedsearch.documents import bundled_corpus
from seedsearch.index import update_index
from seedsearch.schema import manifest, toc_generations
from seedsearch.sources import BUNDLED, forget_source, vanished
from seedsearch.store import Index

TEXTS = {
    "energie": "La consommation d'électricité des centres de données augmente vite.",
    "minage": "Le minage de bitcoin s'installe au Texas près des barrages.",
    "eolien": "Les éoliennes en mer du Nord produisent davantage cet hiver.",
    "solaire": "Les panneaux solaires couvrent le désert d'Atacama.",
}


def folder(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    root.mkdir(parents=True, exist_ok=True)
    return root


def out(result: Result) -> dict:
    return json.loads(result.stdout)


def total(ix: Path, word: str) -> int:
    with Index(ix) as index:
        return index.search(word).total


@pytest.fixture
def two(tmp_path: Path) -> tuple[Path, Path]:
    a = folder(tmp_path / "a", {"e.txt": TEXTS["energie"], "m.txt": TEXTS["minage"]})
    b = folder(tmp_path / "b", {"w.txt": TEXTS["eolien"]})
    return a, b


def test_indexing_a_second_folder_keeps_the_first(
    tmp_path: Path, two: tuple[Path, Path], cli: Callable[..., Result]
) -> None:
    a, b = two
    ix = tmp_path / "ix"
    assert cli("index", str(a), index=ix).exit_code == 0
    second = cli("index", str(b), "--json", index=ix)
    assert (out(second)["added"], out(second)["removed"], out(second)["documents"]) == (1, 0, 3)
    assert total(ix, "minage") == 1 and total(ix, "eoliennes") == 1
    listed = out(cli("sources", "--json", index=ix))["sources"]
    assert [(s["path"], s["articles"], s["vanished"]) for s in listed] == [
        (str(a), 2, False),
        (str(b), 1, False),
    ]
    sizes = {s["path"]: s["bytes"] for s in listed}
    assert sizes[str(b)] == (b / "w.txt").stat().st_size
    assert all(s["updated"] for s in listed)


def test_a_bare_index_updates_every_source(
    tmp_path: Path, two: tuple[Path, Path], cli: Callable[..., Result]
) -> None:
    a, b = two
    ix = tmp_path / "ix"
    cli("index", str(a), index=ix)
    cli("index", str(b), index=ix)
    (a / "e.txt").write_text(TEXTS["solaire"], encoding="utf-8")
    (b / "w.txt").unlink()
    folder(b, {"new.txt": TEXTS["energie"]})
    report = out(cli("index", "--json", index=ix))
    assert (report["added"], report["updated"], report["removed"]) == (1, 1, 1)
    assert total(ix, "solaire") == 1 and total(ix, "eoliennes") == 0


def test_rebuild_starts_over_from_the_recorded_sources_and_the_paths_given(
    tmp_path: Path, two: tuple[Path, Path], cli: Callable[..., Result]
) -> None:
    a, b = two
    c = folder(tmp_path / "c", {"s.txt": TEXTS["solaire"]})
    ix = tmp_path / "ix"
    cli("index", str(a), index=ix)
    cli("index", str(b), index=ix)
    report = out(cli("index", "--rebuild", str(c), "--json", index=ix))
    assert (report["added"], report["documents"]) == (4, 4)
    with Index(ix) as index:
        assert index.stats().roots == (str(a), str(b), str(c))


def test_a_vanished_source_is_reported_and_its_articles_kept_until_forgotten(
    tmp_path: Path, two: tuple[Path, Path], cli: Callable[..., Result]
) -> None:
    a, b = two
    ix = tmp_path / "ix"
    cli("index", str(a), index=ix)
    cli("index", str(b), index=ix)
    moved = tmp_path / "elsewhere"
    b.rename(moved)

    shown = cli("index", index=ix)
    assert shown.exit_code == 0
    lines = [line for line in shown.stdout.splitlines() if str(b) in line]
    assert len(lines) == 1 and "missing" in lines[0] and "kept" in lines[0]
    report = out(cli("index", "--json", index=ix))
    assert (report["vanished"], report["removed"], report["documents"]) == ([str(b)], 0, 3)
    assert total(ix, "eoliennes") == 1
    listed = {s["path"]: s for s in out(cli("sources", "--json", index=ix))["sources"]}
    assert listed[str(b)]["vanished"] and listed[str(b)]["articles"] == 1
    assert listed[str(b)]["bytes"] == (moved / "w.txt").stat().st_size  # as last read
    assert "MISSING" in cli("sources", index=ix).stdout

    moved.rename(b)  # back again: read as before
    assert out(cli("index", "--json", index=ix))["vanished"] == []

    b.rename(moved)
    before = toc_generations(ix)[-1]
    forgot = cli("forget", str(b), index=ix)
    assert forgot.exit_code == 0
    assert forgot.stdout.strip() == f"Forgot {b}: 1 article removed, 2 left"
    assert toc_generations(ix)[-1] == before + 1  # one commit
    assert total(ix, "eoliennes") == 0
    assert [s["path"] for s in out(cli("sources", "--json", index=ix))["sources"]] == [str(a)]


def test_forget_removes_a_present_source_and_says_how_many(
    tmp_path: Path, two: tuple[Path, Path], cli: Callable[..., Result]
) -> None:
    a, b = two
    ix = tmp_path / "ix"
    cli("index", str(a), index=ix)
    cli("index", str(b), index=ix)
    report = out(cli("forget", str(a), "--json", index=ix))
    assert (report["forgotten"], report["removed"], report["documents"]) == (str(a), 2, 1)
    assert total(ix, "minage") == 0 and total(ix, "eoliennes") == 1
    # Forgotten means forgotten: a bare run does not bring it back.
    assert out(cli("index", "--json", index=ix))["documents"] == 1


def test_an_article_stays_while_another_source_holds_it(
    tmp_path: Path, cli: Callable[..., Result]
) -> None:
    top = folder(tmp_path / "top", {"t.txt": TEXTS["minage"], "sub/s.txt": TEXTS["solaire"]})
    ix = tmp_path / "ix"
    cli("index", str(top / "sub"), index=ix)
    cli("index", str(top), index=ix)
    assert out(cli("forget", str(top / "sub"), "--json", index=ix))["removed"] == 0
    assert out(cli("forget", str(top), "--json", index=ix))["removed"] == 2


def test_the_bundled_articles_are_a_source_that_can_be_forgotten(
    tmp_path: Path, two: tuple[Path, Path], cli: Callable[..., Result]
) -> None:
    a, _ = two
    ix = tmp_path / "ix"
    first = out(cli("index", "--json", index=ix))
    bundled = len(list(bundled_corpus().glob("*.txt")))
    assert first["documents"] == bundled
    cli("index", str(a), index=ix)
    names = [s["name"] for s in out(cli("sources", "--json", index=ix))["sources"]]
    assert names == [BUNDLED, str(a)]
    forgot = out(cli("forget", BUNDLED, "--json", index=ix))
    assert (forgot["removed"], forgot["documents"]) == (bundled, 2)
    assert out(cli("index", "--json", index=ix))["documents"] == 2
    # Every source forgotten: an empty index stays empty.
    cli("forget", str(a), index=ix)
    assert out(cli("index", "--json", index=ix))["documents"] == 0
    assert cli("sources", index=ix).stdout.startswith("no sources")
    assert out(cli("index", BUNDLED, "--json", index=ix))["documents"] == bundled


@pytest.mark.parametrize("as_json", [False, True])
def test_forgetting_what_is_not_a_source_is_a_one_line_error(
    tmp_path: Path, two: tuple[Path, Path], cli: Callable[..., Result], as_json: bool
) -> None:
    a, b = two
    ix = tmp_path / "ix"
    cli("index", str(a), index=ix)
    result = cli("forget", str(b), *(["--json"] if as_json else []), index=ix)
    assert result.exit_code == 2
    if as_json:
        assert out(result)["error"]["code"] == "bad_source"
    else:
        assert result.stderr.count("\n") == 1 and "not a source" in result.stderr
    assert total(ix, "minage") == 1


@pytest.mark.parametrize("command", [("sources",), ("forget", "x")])
def test_sources_and_forget_without_an_index_say_so(
    tmp_path: Path, cli: Callable[..., Result], command: tuple[str, ...]
) -> None:
    result = cli(*command, "--json", index=tmp_path / "none")
    assert result.exit_code == 5 and out(result)["error"]["code"] == "index_not_found"


def test_a_missing_path_given_is_an_error_and_changes_nothing(
    tmp_path: Path, two: tuple[Path, Path], cli: Callable[..., Result]
) -> None:
    a, _ = two
    ix = tmp_path / "ix"
    cli("index", str(a), index=ix)
    before = toc_generations(ix)
    result = cli("index", str(tmp_path / "nope"), index=ix)
    assert result.exit_code == 2 and "no such file or directory" in result.stderr
    assert toc_generations(ix) == before
    with Index(ix) as index:
        assert index.stats().roots == (str(a),)


def test_an_empty_folder_on_another_device_than_recorded_is_an_unmounted_disk(
    tmp_path: Path,
) -> None:
    mount = tmp_path / "mnt"
    mount.mkdir()
    device = mount.stat().st_dev
    assert vanished(str(mount), {"device": device + 1})  # the disk's device, now gone
    assert not vanished(str(mount), {"device": device})  # emptied, on the same disk
    (mount / "x.txt").write_text("x")
    assert not vanished(str(mount), {"device": device + 1})
    assert vanished(str(tmp_path / "gone"), {})


# --- any sequence of changes is a rebuild ------------------------------------------------

FOLDERS = 2
NAMES = ("a.txt", "b.md", "sub/c.txt")
WORDS = ("énergie", "barrage", "minage", "éolienne", "soleil", "réseau", "électricité")

text = st.lists(st.sampled_from(WORDS), min_size=3, max_size=8).map(
    lambda ws: "Article sur " + " ".join(ws) + "."
)
at = st.integers(0, FOLDERS - 1)
# File changes say whether the index then updates whole or only at the changed path (as
# the watcher does).
step = st.one_of(
    st.tuples(st.just("add"), at),
    st.tuples(st.just("forget"), at),
    st.tuples(st.just("write"), at, st.booleans(), st.sampled_from(NAMES), text),
    st.tuples(st.just("delete"), at, st.booleans(), st.sampled_from(NAMES)),
    st.tuples(st.just("drop-sub"), at, st.booleans()),
)


def articles(ix: Path) -> set[tuple[str, str, str]]:
    with Index(ix) as index:
        return {(d, sha, path) for d, (_, sha, path) in manifest(index.searcher()).items()}


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(steps=st.lists(step, min_size=1, max_size=10))
def test_any_sequence_of_source_and_file_changes_equals_a_rebuild(
    tmp_path: Path, steps: list[tuple]
) -> None:
    work = tmp_path / f"run-{os.urandom(4).hex()}"
    roots = [work / f"s{i}" for i in range(FOLDERS)]
    for i, root in enumerate(roots):
        folder(root, {name: f"Texte de départ {name} numéro {i} sur le réseau." for name in NAMES})
    ix = work / "ix"
    sources: list[Path] = []
    for op, i, *rest in steps:
        root = roots[i]
        if op == "add":
            update_index(ix, [root])
            sources += [root] if root not in sources else []
            continue
        if op == "forget":
            if root in sources:
                forget_source(ix, str(root))
                sources.remove(root)
            continue
        watched, *rest = rest
        if op == "write":
            name, body = rest
            folder(root, {name: body})
            changed = root / name
        elif op == "delete":
            changed = root / rest[0]
            changed.unlink(missing_ok=True)
        else:
            changed = root / "sub"
            shutil.rmtree(changed, ignore_errors=True)
        if sources:
            update_index(ix, changed=[str(changed)] if watched else None)
    if not sources:
        return
    fresh = work / "fresh"
    update_index(fresh, sources)
    assert articles(ix) == articles(fresh)
