from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from whoosh import index as windex

from seedsearch.documents import bundled_corpus
from seedsearch.errors import (
    DocumentNotFoundError,
    IndexLockedError,
    IndexNotFoundError,
    IndexVersionError,
    SourceError,
)
from seedsearch.index import update_index
from seedsearch.schema import INDEX_NAME, META_FILE
from seedsearch.store import Index

ARTICLE_A = "Le minage de bitcoin\n\nCleanspark construit des centres de données.\n"
ARTICLE_B = "Exaion et EDF\n\nLes supercalculateurs d’EDF servent la blockchain.\n"


def snapshot(index_dir: Path) -> list[tuple[str, int, str, str]]:
    """Every passage in the index, as comparable data."""
    with Index(index_dir) as ix:
        return sorted((doc_id, p.n, p.kind, p.text) for doc_id, p in ix.passages())


def test_default_run_indexes_the_bundled_articles(seed_index: Index) -> None:
    stats = seed_index.stats()
    assert stats.documents == 2
    assert stats.passages > 80
    assert stats.terms > 500
    assert stats.size_bytes > 0
    assert stats.last_update
    assert stats.roots == (str(bundled_corpus()),)


def test_show_returns_the_whole_article(seed_index: Index) -> None:
    hit = seed_index.search("Cleanspark").hits[0]
    article = seed_index.document(hit.doc_id)
    source = (bundled_corpus() / "cleanspark-centres-de-donnees-ia.txt").read_text("utf-8")
    assert article.text == source
    assert article.title.startswith("Cleanspark élargit")
    assert [p.n for p in article.passages] == list(range(len(article.passages)))


def test_unknown_document(seed_index: Index) -> None:
    with pytest.raises(DocumentNotFoundError):
        seed_index.document("nope-000000")


def test_missing_index_says_how_to_build_it(tmp_path: Path) -> None:
    with pytest.raises(IndexNotFoundError, match="run 'seedsearch index'"):
        Index(tmp_path / "none")


def test_second_run_changes_nothing(tmp_path: Path, write_files: Callable) -> None:
    root = write_files({"a.txt": ARTICLE_A, "b.md": ARTICLE_B})
    first = update_index(tmp_path / "ix", [root])
    assert (first.added, first.documents) == (2, 2)
    gen = windex.open_dir(str(tmp_path / "ix"), indexname=INDEX_NAME).latest_generation()
    again = update_index(tmp_path / "ix", [root])
    assert (again.added, again.updated, again.removed, again.unchanged) == (0, 0, 0, 2)
    assert not again.changed
    assert windex.open_dir(str(tmp_path / "ix"), indexname=INDEX_NAME).latest_generation() == gen


def test_only_changed_files_are_reindexed_and_deleted_ones_removed(
    tmp_path: Path, write_files: Callable
) -> None:
    root = write_files({"a.txt": ARTICLE_A, "b.md": ARTICLE_B, "c.txt": "Troisième\n\nTexte."})
    update_index(tmp_path / "ix", [root])
    (root / "a.txt").write_text(ARTICLE_A + "\nUn paragraphe ajouté sur l’hydrogène.\n")
    (root / "c.txt").unlink()
    write_files({"d.txt": "Quatrième\n\nUn nouvel article sur le métavers."})
    report = update_index(tmp_path / "ix", [root])
    assert (report.added, report.updated, report.removed, report.unchanged) == (1, 1, 1, 1)
    with Index(tmp_path / "ix") as ix:
        assert ix.search("hydrogene").total == 1
        assert ix.search("troisieme").total == 0
        assert ix.search("metavers").total == 1
    update_index(tmp_path / "fresh", [root])
    assert snapshot(tmp_path / "ix") == snapshot(tmp_path / "fresh")


def test_rerun_without_paths_keeps_the_sources(tmp_path: Path, write_files: Callable) -> None:
    root = write_files({"a.txt": ARTICLE_A})
    update_index(tmp_path / "ix", [root])
    write_files({"b.txt": ARTICLE_B})
    report = update_index(tmp_path / "ix")
    assert (report.added, report.unchanged, report.documents) == (1, 1, 2)


def test_rebuild_starts_over_with_the_same_result(tmp_path: Path, write_files: Callable) -> None:
    root = write_files({"a.txt": ARTICLE_A, "b.txt": ARTICLE_B})
    update_index(tmp_path / "ix", [root])
    before = snapshot(tmp_path / "ix")
    report = update_index(tmp_path / "ix", rebuild=True)
    assert report.added == 2 and report.documents == 2
    assert snapshot(tmp_path / "ix") == before


def test_bad_files_are_skipped_with_reasons_and_the_rest_indexed(
    tmp_path: Path, write_files: Callable
) -> None:
    root = write_files(
        {
            "good.txt": ARTICLE_A,
            "empty.txt": "",
            "binary.txt": b"\x00\x01\x02PK\x03\x04" * 100,
            "latin1.txt": "Électricité de France\n\nL’été sera chaud.".encode("cp1252"),
            "junk.md": "Rate this post\n",
        }
    )
    report = update_index(tmp_path / "ix", [root])
    reasons = {Path(s.path).name: s.reason for s in report.skipped}
    assert reasons == {
        "empty.txt": "empty file",
        "binary.txt": "binary file",
        "junk.md": "no indexable text",
    }
    assert report.documents == 2
    with Index(tmp_path / "ix") as ix:
        assert ix.search("electricite").total == 1


def test_a_file_that_becomes_empty_leaves_the_index(tmp_path: Path, write_files: Callable) -> None:
    root = write_files({"a.txt": ARTICLE_A, "b.txt": ARTICLE_B})
    update_index(tmp_path / "ix", [root])
    (root / "b.txt").write_text("")
    report = update_index(tmp_path / "ix", [root])
    assert report.documents == 1 and report.removed == 1


def test_missing_source_fails_before_touching_the_index(
    tmp_path: Path, write_files: Callable
) -> None:
    root = write_files({"a.txt": ARTICLE_A})
    update_index(tmp_path / "ix", [root])
    with pytest.raises(SourceError, match="no such file"):
        update_index(tmp_path / "ix", [tmp_path / "missing"])
    assert snapshot(tmp_path / "ix")


def test_locked_index_gets_a_clear_error(tmp_path: Path, write_files: Callable) -> None:
    root = write_files({"a.txt": ARTICLE_A})
    update_index(tmp_path / "ix", [root])
    writer = windex.open_dir(str(tmp_path / "ix"), indexname=INDEX_NAME).writer()
    try:
        write_files({"b.txt": ARTICLE_B})
        with pytest.raises(IndexLockedError, match="locked by another writer"):
            update_index(tmp_path / "ix", [root])
    finally:
        writer.cancel()
    assert update_index(tmp_path / "ix", [root]).added == 1


def test_index_from_another_version_must_be_rebuilt(tmp_path: Path, write_files: Callable) -> None:
    root = write_files({"a.txt": ARTICLE_A})
    update_index(tmp_path / "ix", [root])
    meta_path = tmp_path / "ix" / META_FILE
    meta = json.loads(meta_path.read_text())
    meta["analysis"] = -1
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(IndexVersionError, match="--rebuild"):
        Index(tmp_path / "ix")
    with pytest.raises(IndexVersionError):
        update_index(tmp_path / "ix", [root])
    assert update_index(tmp_path / "ix", [root], rebuild=True).documents == 1
    Index(tmp_path / "ix").close()


def test_progress_callback_reports_every_file(tmp_path: Path, write_files: Callable) -> None:
    root = write_files({f"{i}.txt": f"Article {i}\n\nTexte numéro {i}." for i in range(5)})
    seen: list[tuple[str, int, int]] = []
    update_index(tmp_path / "ix", [root], progress=lambda *a: seen.append(a))
    assert ("index", 5, 5) in seen
    assert [d for s, d, t in seen if s == "index"] == [0, 1, 2, 3, 4, 5]


def test_searcher_follows_new_generations(tmp_path: Path, write_files: Callable) -> None:
    root = write_files({"a.txt": ARTICLE_A})
    update_index(tmp_path / "ix", [root])
    with Index(tmp_path / "ix") as ix:
        assert ix.search("blockchain").total == 0
        write_files({"b.txt": ARTICLE_B})
        update_index(tmp_path / "ix", [root])
        assert ix.search("blockchain").total == 1


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(max_size=600), st.text(max_size=40))
def test_any_text_can_be_indexed_and_searched(tmp_path: Path, text: str, query: str) -> None:
    # A fresh folder per example: Hypothesis reseeds `random`, from which Whoosh draws
    # segment names, so examples sharing one index would reuse a segment name.
    case = Path(tempfile.mkdtemp(dir=tmp_path))
    root = case / "any"
    root.mkdir()
    (root / "article.txt").write_text(text, encoding="utf-8", errors="surrogatepass")
    report = update_index(case / "ix", [root])
    assert report.documents + len(report.skipped) == 1
    with Index(case / "ix") as ix:
        result = ix.search(query)
        assert len({h.rank for h in result.hits}) <= result.total
        for _, passage in ix.passages():
            assert passage.text.strip()


def _snapshot(index_dir: Path) -> list[tuple[str, int, str]]:
    with Index(index_dir) as ix:
        return sorted((doc_id, p.n, p.text) for doc_id, p in ix.passages())


def test_worker_processes_build_the_same_index(tmp_path: Path, write_files: Callable) -> None:
    files = {
        f"d{n:02d}/a{n:02d}.md": f"# Article {n}\n\nLe minage numéro {n} et l’énergie.\n\n"
        f"- point {n}\n- centres de données"
        for n in range(24)
    }
    files["vide.txt"] = ""
    root = write_files(files)
    serial = update_index(tmp_path / "one", [root], jobs=1)
    parallel = update_index(tmp_path / "two", [root], jobs=2)
    assert (
        (parallel.documents, parallel.passages)
        == (serial.documents, serial.passages)
        == (
            24,
            24 * 4,
        )
    )
    assert [s.reason for s in parallel.skipped] == ["empty file"]
    assert _snapshot(tmp_path / "one") == _snapshot(tmp_path / "two")
    with Index(tmp_path / "one") as a, Index(tmp_path / "two") as b:
        for q in ("minage 7", "centres de donnees", "energie", "minnage"):
            assert a.search(q).to_dict() | {"took_ms": 0} == b.search(q).to_dict() | {"took_ms": 0}


def test_a_long_article_is_indexed_in_parts_and_shown_whole(
    tmp_path: Path, write_files: Callable
) -> None:
    from seedsearch.schema import PART_CHARS

    filler = "Le texte continue assez longtemps pour former un passage à lui seul. " * 3
    paragraphs = [
        f"Paragraphe {n} sur le minage et le réseau numéro {n}. {filler}" for n in range(1200)
    ]
    text = "Un long article\n\n" + "\n\n".join(paragraphs) + "\n"
    assert len(text) > 4 * PART_CHARS
    root = write_files({"long.txt": text, "court.txt": "Court\n\nLe minage en bref."})
    report = update_index(tmp_path / "ix", [root])
    assert (report.documents, report.passages) == (2, 1201 + 2)
    with Index(tmp_path / "ix") as ix:
        long_id = next(h.doc_id for h in ix.search("paragraphe").hits)
        article = ix.document(long_id)
        assert article.text == text
        assert [p.n for p in article.passages] == list(range(1201))
        assert all(text[p.start : p.end].strip() == p.text for p in article.passages)
        hit = ix.search('"réseau numéro 1199"').hits[0]
        assert hit.passage == 1200 and hit.text == paragraphs[1199].strip()
        assert ix.stats().documents == 2
        # Every part matches a word used throughout: still one result, the article.
        result = ix.search("paragraphe")
        assert result.total == 1 and {h.doc_id for h in result.hits} == {long_id}


def test_worker_processes_update_an_index_like_a_rebuild(
    tmp_path: Path, write_files: Callable
) -> None:
    files = {
        f"a{n:02d}.txt": f"Article {n}\n\nLe minage numéro {n} et le réseau." for n in range(12)
    }
    root = write_files(files)
    update_index(tmp_path / "ix", [root], jobs=2)
    (root / "a03.txt").write_text("Article 3\n\nLe stockage remplace le minage.", encoding="utf-8")
    (root / "a07.txt").unlink()
    (root / "nouveau.txt").write_text("Nouveau\n\nUn réseau de stockage.", encoding="utf-8")
    report = update_index(tmp_path / "ix", [root], jobs=2)
    assert (report.added, report.updated, report.removed, report.unchanged) == (1, 1, 1, 10)
    update_index(tmp_path / "fresh", [root])
    assert _snapshot(tmp_path / "ix") == _snapshot(tmp_path / "fresh")
    with Index(tmp_path / "ix") as a, Index(tmp_path / "fresh") as b:
        assert a.stats().passages == b.stats().passages
        for q in ("stockage", "minage", "reseau -minage", "stokage"):
            got, want = a.search(q), b.search(q)
            assert got.total == want.total and got.corrected_query == want.corrected_query
            assert {h.doc_id for h in got.hits} == {h.doc_id for h in want.hits}
