"""A huge text file is read as a stream of blocks: the index holds what a whole read gives."""

from __future__ import annotations

from pathlib import Path

import pytest

import seedsearch.documents.stream as stream
from seedsearch.index import update_index
from seedsearch.schema import manifest
from seedsearch.store import Index

PARAGRAPH = (
    "Paragraphe {n} : le minage de bitcoin consomme une électricité considérable, et les "
    "fermes de calcul s'installent près des barrages hydroélectriques ; « c'est rentable », "
    "disent leurs exploitants, qui revendent aussi la chaleur produite par les machines."
)


def markdown(n_paragraphs: int) -> str:
    out = ["# Un très long rapport sur le minage", ""]
    for n in range(n_paragraphs):
        if n % 25 == 0:
            out += [f"## Partie {n // 25}", ""]
        if n % 40 == 7:
            out += ["- premier point de la liste", "- second point de la liste", ""]
        out += [PARAGRAPH.format(n=n), ""]
    return "\n".join(out)


def plain(n_paragraphs: int) -> str:
    return "Un long rapport\n\n" + "\n\n".join(PARAGRAPH.format(n=n) for n in range(n_paragraphs))


def article(index: Path):  # type: ignore[no-untyped-def]
    with Index(index) as ix:
        (doc_id,) = manifest(ix.searcher())
        return ix.document(doc_id), ix.search("minage hydroélectriques").total


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Streams from 20 kB on, in blocks of 5,000 characters: many blocks and parts."""
    monkeypatch.setattr(stream, "STREAM_BYTES", 20_000)
    monkeypatch.setattr(stream, "BLOCK_CHARS", 5_000)


@pytest.mark.parametrize(("name", "make"), [("rapport.md", markdown), ("rapport.txt", plain)])
def test_a_streamed_file_is_indexed_as_a_whole_read_would(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, make: object
) -> None:
    root = tmp_path / "articles"
    root.mkdir()
    text = make(1500)  # type: ignore[operator]
    (root / name).write_text(text, encoding="utf-8")
    whole = update_index(tmp_path / "whole", [root])
    monkeypatch.setattr(stream, "STREAM_BYTES", 20_000)
    monkeypatch.setattr(stream, "BLOCK_CHARS", 5_000)
    streamed = update_index(tmp_path / "streamed", [root])
    assert streamed.added == whole.added == 1
    assert streamed.passages == whole.passages
    (a, hits_a), (b, hits_b) = article(tmp_path / "streamed"), article(tmp_path / "whole")
    assert a.text == b.text == text
    assert (a.title, a.meta) == (b.title, b.meta)
    assert a.passages == b.passages
    assert hits_a == hits_b >= 1


def test_a_streamed_file_keeps_exact_offsets_across_blocks(
    tmp_path: Path, small_blocks: None
) -> None:
    root = tmp_path / "articles"
    root.mkdir()
    # Lines of every length, blank lines in runs, no paragraph break for a while.
    lines = [("mot " * (n % 37)).strip() for n in range(6000)]
    text = "Titre du texte\n\n" + "\n".join(lines[:3000]) + "\n\n\n\n" + " ".join(lines[3000:])
    (root / "bloc.txt").write_text(text, encoding="utf-8")
    assert update_index(tmp_path / "index", [root]).added == 1
    a, _ = article(tmp_path / "index")
    assert a.text == text
    for p in a.passages:
        assert p.text.split() == a.text[p.start : p.end].split()
    assert [p.n for p in a.passages] == list(range(len(a.passages)))


@pytest.mark.parametrize(
    ("content", "reason"),
    [(b"\x00\x01binaire" * 5000, "binary file"), (b" \n" * 20_000, "no indexable text")],
)
def test_a_streamed_file_with_no_text_is_skipped_with_the_reason(
    tmp_path: Path, small_blocks: None, content: bytes, reason: str
) -> None:
    root = tmp_path / "articles"
    root.mkdir()
    (root / "vide.txt").write_bytes(content)
    report = update_index(tmp_path / "index", [root])
    assert [s.reason for s in report.skipped] == [reason]


def test_a_latin1_streamed_file_is_decoded_as_a_whole_read_would(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "articles"
    root.mkdir()
    (root / "latin.txt").write_bytes(plain(300).encode("cp1252"))
    update_index(tmp_path / "whole", [root])
    monkeypatch.setattr(stream, "STREAM_BYTES", 20_000)
    monkeypatch.setattr(stream, "BLOCK_CHARS", 5_000)
    update_index(tmp_path / "streamed", [root])
    (a, _), (b, _) = article(tmp_path / "streamed"), article(tmp_path / "whole")
    assert a.text == b.text and "électricité" in a.text
    assert a.passages == b.passages


@pytest.mark.parametrize("highlight", [None, "minage"])
def test_show_json_streamed_part_by_part_prints_the_whole_article(
    tmp_path: Path, highlight: str | None
) -> None:
    from click.testing import CliRunner

    from seedsearch.cli import main
    from seedsearch.display import dumps
    from seedsearch.search import highlighter_for

    root = tmp_path / "articles"
    root.mkdir()
    # A C1 control and an undecodable name's byte: escaped as in a whole-article answer.
    (root / "rapport\udce9.md").write_text(markdown(1200) + "\n\nfin\x85", encoding="utf-8")
    index = tmp_path / "index"
    update_index(index, [root])
    with Index(index) as ix:
        (doc_id,) = manifest(ix.searcher())
        assert len(list(ix.document_parts(doc_id))) > 3
        whole = ix.document(doc_id).to_dict()
        if highlight:
            marker = highlighter_for(ix, highlight)
            for d in whole["passages"]:
                d["snippet"] = marker.html(d["text"])
    args = ["--index", str(index), "show", doc_id, "--json"]
    result = CliRunner().invoke(main, [*args, "--highlight", highlight] if highlight else args)
    assert result.exit_code == 0, result.output
    assert result.output == dumps(whole, indent=2) + "\n"
