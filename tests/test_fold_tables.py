"""An index generation's articles in parts, duplicates and template titles are read once and
kept in a file beside the index: a new process reads them from it, and a file of another
generation, or damaged, is never believed."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from seedsearch import fold_tables
from seedsearch.collapse import Columns
from seedsearch.fold_tables import TABLES_FILE, Tables
from seedsearch.index import update_index
from seedsearch.manifest import reader_identity
from seedsearch.schema import PART_CHARS
from seedsearch.store import Index
from seedsearch.titles import TEMPLATE_MIN

SITE = "Le Journal du Cormoran"


def page(n: int) -> str:
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{SITE}</title></head><body>"
        f"<h2>Chronique {n} du littoral</h2><p>Le cormoran numéro {n} plonge dans le port "
        f"et pêche des poissons argentés, raconte la chronique {n}.</p></body></html>"
    )


def long_text() -> str:
    line = "Le cormoran du long registre plonge encore dans le port ce matin-là.\n\n"
    return "Registre du port\n\n" + line * (PART_CHARS // len(line) + 50)


@pytest.fixture
def corpus(write_files: Callable[[dict[str, str | bytes]], Path]) -> Path:
    files: dict[str, str | bytes] = {
        f"journal/page-{n}.html": page(n) for n in range(1, TEMPLATE_MIN + 1)
    }
    files["registre.txt"] = long_text()
    files["copie/a.txt"] = "Le cormoran copié\n\nUn cormoran plonge deux fois, mot pour mot."
    files["copie/b.txt"] = "Le cormoran copié\n\nUn cormoran plonge deux fois, mot pour mot."
    return write_files(files)


def answers(index_dir: Path) -> list[tuple[str, str, int, tuple[str, ...]]]:
    """(path, title, folded, also in) of each hit (a passage), its total last."""
    with Index(index_dir) as ix:
        result = ix.search("cormoran", limit=50)
        hits = [(h.path, h.title, h.folded, tuple(h.also_in)) for h in result.hits]
        return [*hits, ("", "", result.total, ())]


def scanned(index_dir: Path) -> Tables:
    with Index(index_dir) as ix:
        s = ix.searcher()
        return fold_tables.scan(s, Columns(s.reader()))


def from_file(index_dir: Path) -> Tables | None:
    with Index(index_dir) as ix:
        s = ix.searcher()
        return fold_tables.read(index_dir, reader_identity(s.reader()), s.doc_count_all())


def same(a: Tables, b: Tables) -> bool:
    return (a.siblings, a.folds.article, a.folds.group, a.templates) == (
        b.siblings,
        b.folds.article,
        b.folds.group,
        b.templates,
    )


def test_the_first_search_writes_the_tables_a_new_process_reads(
    corpus: Path, tmp_path: Path
) -> None:
    update_index(tmp_path / "ix", [corpus])
    (tmp_path / "ix" / TABLES_FILE).unlink(missing_ok=True)  # as an index from before
    before = answers(tmp_path / "ix")
    kept = from_file(tmp_path / "ix")
    assert kept is not None
    truth = scanned(tmp_path / "ix")
    assert same(kept, truth)
    # What the corpus holds: one article in parts, one pair of duplicates, one template.
    assert truth.siblings and truth.folds.group and len(truth.templates) == 1
    assert answers(tmp_path / "ix") == before
    titles = {Path(path).name: title for path, title, _, _ in before}
    assert titles["page-3.html"] == "Chronique 3 du littoral"
    assert {(f, also) for path, _, f, also in before if "copie" in path} == {
        (1, (str(corpus / "copie" / "b.txt"),))
    }
    assert before[-1][2] == TEMPLATE_MIN + 2  # the pages, the long article, the copies


def test_the_file_of_an_older_generation_is_not_believed(corpus: Path, tmp_path: Path) -> None:
    update_index(tmp_path / "ix", [corpus])
    answers(tmp_path / "ix")
    old = (tmp_path / "ix" / TABLES_FILE).read_bytes()
    (corpus / "journal" / "page-1.html").unlink()  # one page fewer: no template any more
    update_index(tmp_path / "ix", [corpus])
    (tmp_path / "ix" / TABLES_FILE).write_bytes(old)  # as if the commit had not replaced it
    assert from_file(tmp_path / "ix") is None
    shown = {Path(path).name: title for path, title, _, _ in answers(tmp_path / "ix")}
    assert shown["page-3.html"] == SITE
    kept = from_file(tmp_path / "ix")
    assert kept is not None and same(kept, scanned(tmp_path / "ix"))
    assert not kept.templates


@pytest.mark.parametrize(
    "damage",
    [
        lambda body: b"\x00garbage",
        lambda body: body[: len(body) // 2],
        lambda body: body.replace(b'"version":1', b'"version":99'),
        lambda body: json.dumps({**json.loads(body), "siblings": [[10**9]]}).encode(),
        lambda body: json.dumps({**json.loads(body), "article": [["1", 0]]}).encode(),
        lambda body: json.dumps({**json.loads(body), "templates": [[1, 2]]}).encode(),
        lambda body: json.dumps({**json.loads(body), "group": None}).encode(),
        lambda body: b"[]",
    ],
    ids=["bytes", "truncated", "version", "docnum", "type", "template", "missing", "list"],
)
def test_a_damaged_file_is_scanned_again(
    corpus: Path, tmp_path: Path, damage: Callable[[bytes], bytes]
) -> None:
    update_index(tmp_path / "ix", [corpus])
    right = answers(tmp_path / "ix")
    path = tmp_path / "ix" / TABLES_FILE
    path.write_bytes(damage(path.read_bytes()))
    assert from_file(tmp_path / "ix") is None
    assert answers(tmp_path / "ix") == right
    kept = from_file(tmp_path / "ix")  # written again by the search
    assert kept is not None and same(kept, scanned(tmp_path / "ix"))


def test_the_file_can_be_written_when_the_index_is_committed(corpus: Path, tmp_path: Path) -> None:
    from whoosh import index as windex

    from seedsearch.schema import INDEX_NAME

    update_index(tmp_path / "ix", [corpus])
    (tmp_path / "ix" / TABLES_FILE).unlink(missing_ok=True)
    ix = windex.open_dir(str(tmp_path / "ix"), indexname=INDEX_NAME)
    try:
        fold_tables.write_for(tmp_path / "ix", ix)
    finally:
        ix.close()
    kept = from_file(tmp_path / "ix")
    assert kept is not None and same(kept, scanned(tmp_path / "ix"))


def test_every_commit_leaves_the_tables_of_its_generation_before_any_search(
    corpus: Path, tmp_path: Path
) -> None:
    update_index(tmp_path / "ix", [corpus])
    first = from_file(tmp_path / "ix")
    assert first is not None and same(first, scanned(tmp_path / "ix"))
    assert first.templates
    (corpus / "journal" / "page-1.html").unlink()  # one page fewer: no template any more
    update_index(tmp_path / "ix", [corpus])
    second = from_file(tmp_path / "ix")
    assert second is not None and same(second, scanned(tmp_path / "ix"))
    assert not second.templates


def test_the_parts_read_from_the_column_are_those_the_index_finds_by_id(
    corpus: Path, tmp_path: Path
) -> None:
    from seedsearch.collapse import siblings

    update_index(tmp_path / "ix", [corpus])
    # The long file rewritten: its old parts are deleted documents until a merge.
    (corpus / "registre.txt").write_text(long_text() + "Une ligne de plus.\n", encoding="utf-8")
    update_index(tmp_path / "ix", [corpus])
    with Index(tmp_path / "ix") as ix:
        s = ix.searcher()
        found = fold_tables.scan(s, Columns(s.reader())).siblings
        assert s.reader().has_deletions()
        assert len(set(found.values())) == 1 and len(found) > 1
        assert found == siblings(s, Columns(s.reader()))


def test_an_index_folder_that_cannot_be_written_is_still_searched(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    update_index(tmp_path / "ix", [corpus])
    right = answers(tmp_path / "ix")
    (tmp_path / "ix" / TABLES_FILE).unlink()

    def refuse(self: Path, data: bytes) -> int:
        raise PermissionError(f"read-only: {self}")

    monkeypatch.setattr(Path, "write_bytes", refuse)
    assert answers(tmp_path / "ix") == right
    assert not (tmp_path / "ix" / TABLES_FILE).exists()
    assert not [p.name for p in (tmp_path / "ix").iterdir() if p.name.endswith(".tmp")]


def test_an_article_changed_into_a_copy_of_another_folds_with_it(tmp_path: Path) -> None:
    root = tmp_path / "articles"
    root.mkdir()
    for i in range(30):
        (root / f"f{i}.txt").write_text(f"Titre {i}\n\nLe cormoran {i} plonge au port {i}.")
    update_index(tmp_path / "ix", [root])
    (root / "f3.txt").write_text("Titre 5\n\nLe cormoran 5 plonge au port 5.")
    update_index(tmp_path / "ix", [root])  # its former text stays behind, deleted
    update_index(tmp_path / "fresh", [root])
    with Index(tmp_path / "ix") as ix:
        assert ix.searcher().reader().has_deletions()
    updated, fresh = answers(tmp_path / "ix"), answers(tmp_path / "fresh")
    assert set(updated) == set(fresh)  # (deleted texts still weigh in the ranking)
    assert updated[-1][2] == 29
    assert {Path(path).name for path, _, folded, _ in updated[:-1] if folded} == {"f3.txt"}
