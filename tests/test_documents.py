from __future__ import annotations

import os
from pathlib import Path

import pytest

from seedsearch.documents import (
    MAX_PASSAGE_CHARS,
    SourceFile,
    bundled_corpus,
    decode,
    doc_id_for,
    is_boilerplate,
    parse_document,
    scan,
    split_passages,
)
from seedsearch.errors import SourceError

MARA = bundled_corpus() / "mara-exaion-edf.txt"
CLEANSPARK = bundled_corpus() / "cleanspark-centres-de-donnees-ia.txt"
SHARED_SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"


def passages_of(path: Path):
    return split_passages(path.read_text(encoding="utf-8"))


def test_bundled_corpus_is_the_seed_articles_byte_for_byte() -> None:
    if not SHARED_SEEDS.is_dir():
        pytest.skip("shared/ seeds not beside this checkout")
    seeds = sorted(p.read_bytes() for p in SHARED_SEEDS.glob("*.txt"))
    assert sorted(p.read_bytes() for p in bundled_corpus().glob("*.txt")) == seeds


def test_title_is_the_opening_heading() -> None:
    _, title = passages_of(CLEANSPARK)
    assert title == (
        "Cleanspark élargit son activité du minage de bitcoin vers les centres de données IA"
    )


def test_article_without_title_line_takes_its_first_heading() -> None:
    passages, title = passages_of(MARA)
    assert passages[0].kind == "paragraph"
    assert title.startswith("Le rachat de la filiale crypto d’EDF par Mara")


def test_title_falls_back_to_the_first_sentence() -> None:
    text = "Une première phrase assez longue, qui ouvre l’article sans titre. Puis la suite.\n"
    _, title = split_passages(text)
    assert title == "Une première phrase assez longue, qui ouvre l’article sans titre"


@pytest.mark.parametrize("path", [MARA, CLEANSPARK])
def test_boilerplate_is_not_a_passage(path: Path) -> None:
    passages, _ = passages_of(path)
    texts = " ".join(p.text for p in passages)
    for junk in ["Rate this post", "Partager sur vos réseaux", "Laisser un commentaire"]:
        assert junk not in texts


@pytest.mark.parametrize(
    "line",
    [
        "Rate this post",
        "Partager sur vos réseaux !",
        "Laisser un commentaire",
        "Leave a reply",
        "Share this:",
        "Lire aussi : un autre article",
        "12 commentaires",
    ],
)
def test_boilerplate_lines(line: str) -> None:
    assert is_boilerplate(line)


@pytest.mark.parametrize(
    "line", ["Partager les revenus du minage est une stratégie.", "Mara", "Réactions du marché"]
)
def test_content_lines_are_not_boilerplate(line: str) -> None:
    assert not is_boilerplate(line)


def test_table_rows_become_readable_text_without_pipes() -> None:
    passages, _ = passages_of(MARA)
    rows = [p for p in passages if p.kind == "row"]
    assert rows
    assert all("|" not in p.text for p in rows)
    assert any(
        p.text.startswith("Exaion · Filiale blockchain et calcul haute performance") for p in rows
    )
    assert not any(set(p.text) <= set("-· ") for p in rows)  # separator rows dropped


def test_bullets_are_items_without_their_marker() -> None:
    passages, _ = passages_of(CLEANSPARK)
    items = [p for p in passages if p.kind == "item"]
    assert items[0].text.startswith("La société Cleanspark annonce")
    assert all(not p.text.startswith(("•", "-")) for p in items)


def test_passages_know_their_section_and_offsets() -> None:
    text = CLEANSPARK.read_text(encoding="utf-8")
    passages, _ = split_passages(text)
    by_text = {p.text[:20]: p for p in passages}
    p = by_text["Au cœur de l’initiat"]
    assert p.section == "Le détail technique"
    assert text[p.start : p.end] == p.text
    for p in passages:
        assert 0 <= p.start < p.end <= len(text)
        assert text[p.start : p.end].strip()[:5] in p.text or p.kind == "row"


def test_markdown_structure() -> None:
    text = (
        "# Un titre\n\n"
        "Un paragraphe qui\ncontinue sur la ligne suivante.\n\n"
        "## Une section\n\n"
        "- premier point\n  qui continue\n"
        "* second point\n"
        "1. troisième point\n\n"
        "| a | b |\n|---|---|\n| **gras** | [lien](http://example.org) |\n"
    )
    passages, title = split_passages(text)
    assert title == "Un titre"
    assert [(p.kind, p.text, p.section) for p in passages] == [
        ("heading", "Un titre", "Un titre"),
        ("paragraph", "Un paragraphe qui continue sur la ligne suivante.", "Un titre"),
        ("heading", "Une section", "Une section"),
        ("item", "premier point qui continue", "Une section"),
        ("item", "second point", "Une section"),
        ("item", "troisième point", "Une section"),
        ("row", "a · b", "Une section"),
        ("row", "gras · lien", "Une section"),
    ]


def test_long_paragraphs_are_cut_at_sentences_with_exact_offsets() -> None:
    sentence = "Le minage de bitcoin consomme beaucoup d’énergie électrique. "
    text = sentence * 100
    passages, _ = split_passages(text)
    assert len(passages) > 1
    for p in passages:
        assert len(p.text) <= MAX_PASSAGE_CHARS
        assert text[p.start : p.end].strip() == p.text
        assert p.text.endswith(".")


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty file"),
        (b"  \n\n ", "empty file"),
        (b"\x00\x01binary\x00", "binary file"),
        (bytes(range(1, 32)) * 50, "binary file"),
    ],
)
def test_undecodable_input_has_a_reason(data: bytes, reason: str) -> None:
    with pytest.raises(SourceError, match=reason):
        decode(data)


def test_latin1_and_cp1252_are_decoded() -> None:
    assert decode("Électricité – coût".encode("cp1252")) == "Électricité – coût"
    assert decode("été".encode("latin-1")) == "été"
    assert decode("\ufeffbom".encode()) == "bom"


def test_scan_finds_articles_recursively_and_reports_unsupported_files(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "un.txt").write_text("x")
    (tmp_path / "a" / "b" / "deux.md").write_text("x")
    (tmp_path / "a" / "image.png").write_bytes(b"\x89PNG")
    (tmp_path / "a" / ".cache.txt").write_text("x")
    (tmp_path / "a" / ".git").mkdir()
    (tmp_path / "a" / ".git" / "HEAD.txt").write_text("x")
    found, skipped = scan([tmp_path / "a"])
    assert sorted(f.path.name for f in found) == ["deux.md", "un.txt"]
    assert [(Path(s.path).name, s.reason) for s in skipped] == [
        ("image.png", "unsupported format .png")
    ]


def test_scan_reports_a_symlink_loop_and_goes_on(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "ok.txt").write_text("x")
    os.symlink(tmp_path / "d", tmp_path / "d" / "loop")
    found, skipped = scan([tmp_path / "d"])
    assert [f.path.name for f in found] == ["ok.txt"]
    assert any("loop" in s.reason for s in skipped)


def test_scan_refuses_a_missing_root(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no such file"):
        scan([tmp_path / "nope"])


def test_doc_ids_are_stable_readable_and_distinct() -> None:
    a = doc_id_for("/data/actualites/Mara rachète Exaion.txt")
    assert a == doc_id_for("/data/actualites/Mara rachète Exaion.txt")
    assert a.startswith("mara-rachete-exaion-")
    assert a != doc_id_for("/data/autres/Mara rachète Exaion.txt")


def test_parse_document_refuses_text_with_only_boilerplate(tmp_path: Path) -> None:
    src = SourceFile(tmp_path / "x.txt", str(tmp_path / "x.txt"))
    with pytest.raises(SourceError, match="no indexable text"):
        parse_document(src, b"Rate this post\n\nLaisser un commentaire\n")


WRAPPED = (
    "Une ligne de texte ordinaire assez longue pour fixer la largeur des lignes du fichier\n"
) * 12


@pytest.mark.parametrize(
    ("opening", "after", "title"),
    [
        # A long opening line followed by a heading in capitals (a man page's NOM).
        (
            "pid_namespaces(7) — Présentation des espaces de noms d'identifiants de processus "
            "(ou PID) sous Linux",
            "NOM\n",
            "pid_namespaces(7) — Présentation des espaces de noms d'identifiants de processus "
            "(ou PID) sous Linux",
        ),
        # A numbered title restated by the heading under it is not a list item.
        ("3. Incorporer une grille", "3. Incorporer une grille\n\n", "3. Incorporer une grille"),
        # A long title standing alone above a blank line.
        (
            "Manuel de Debian Edu/Skolelinux 12 Bookworm — 22. Assistance fournie par des "
            "bénévoles et par des entreprises",
            "\n",
            "Manuel de Debian Edu/Skolelinux 12 Bookworm — 22. Assistance fournie par des "
            "bénévoles et par des entreprises",
        ),
    ],
)
def test_an_opening_line_standing_alone_is_the_title_however_long(
    opening: str, after: str, title: str
) -> None:
    _, found = split_passages(f"{opening}\n{after}{WRAPPED}")
    assert found == title


def test_an_opening_sentence_that_runs_on_is_not_a_title() -> None:
    text = (
        "Le minage de bitcoin consomme beaucoup d'électricité et les mineurs cherchent\n"
        "une énergie moins chère dans le nord du pays.\n\n" + WRAPPED
    )
    passages, title = split_passages(text)
    assert passages[0].kind == "paragraph"
    assert title.startswith("Le minage de bitcoin consomme")
