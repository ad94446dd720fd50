"""Each readable format: title, date, author, passages, and an index that finds it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import format_samples as samples
from seedsearch.documents import Document, SourceFile, parse_file, sniff
from seedsearch.documents.build import date_in_text, parse_date, readable_name
from seedsearch.documents.pdf import repair_hyphens
from seedsearch.index import update_index
from seedsearch.store import Index


def read(path: Path) -> list[Document]:
    docs, skipped = parse_file(SourceFile(path, str(path)), path.read_bytes())
    assert skipped == []
    return docs


def kinds(doc: Document) -> list[tuple[str, str]]:
    return [(p.kind, p.text) for p in doc.passages]


def test_news_page_keeps_the_article_and_drops_the_furniture(tmp_path: Path) -> None:
    page = tmp_path / "penly.html"
    page.write_bytes(samples.news_page())
    (doc,) = read(page)
    assert doc.title == "Penly : EDF lance le chantier de deux EPR2"
    meta = doc.meta
    assert (meta.date, meta.date_source) == ("2026-03-04", "metadata")
    assert meta.author == "Marie Dupont"
    assert meta.source == "Le Courrier normand"
    assert meta.url == "https://courrier.example.fr/economie/penly-epr2"
    assert (meta.format, meta.language, meta.folder) == ("html", "fr", str(tmp_path))
    assert kinds(doc)[:2] == [
        ("heading", "Penly : EDF lance le chantier de deux EPR2"),
        ("paragraph", kinds(doc)[1][1]),
    ]
    assert kinds(doc)[1][1].startswith("EDF a confirmé mardi la construction")
    assert ("heading", "Un chantier de dix ans") in kinds(doc)
    assert ("item", "Deux réacteurs EPR2 de 1 670 mégawatts") in kinds(doc)
    assert ("row", "2035 · Mise en service du premier réacteur") in kinds(doc)
    text = " ".join(p.text for p in doc.passages)
    for furniture in ["cookies", "Accueil", "Facebook", "Jeannot76", "Mentions légales", "<"]:
        assert furniture not in text
    for p in doc.passages:  # offsets index the extracted text
        assert " ".join(doc.text[p.start : p.end].split()).replace("| ", "").strip()


def test_passage_offsets_point_into_the_extracted_text(tmp_path: Path) -> None:
    page = tmp_path / "penly.html"
    page.write_bytes(samples.news_page())
    (doc,) = read(page)
    paragraph = next(p for p in doc.passages if p.kind == "paragraph")
    assert " ".join(doc.text[paragraph.start : paragraph.end].split()) == paragraph.text


def test_pdf_pages_hyphenation_and_metadata(tmp_path: Path) -> None:
    path = tmp_path / "rapport.pdf"
    path.write_bytes(samples.pdf_report())
    (doc,) = read(path)
    assert doc.title == "Rapport sur l'énergie hydraulique"
    assert (doc.meta.author, doc.meta.date, doc.meta.format) == (
        "Jeanne Martin",
        "2025-06-12",
        "pdf",
    )
    assert [(p.kind, p.text, p.page) for p in doc.passages] == [
        ("heading", "Introduction", 1),
        ("paragraph", "La production d'électricité des barrages a augmenté.", 1),
        ("paragraph", "Les turbines de Grand'Maison tournent à plein.", 2),
    ]


@pytest.mark.parametrize(
    ("raw", "repaired"),
    [
        ("élec-\ntricité", "électricité"),
        ("élec-\r\ntricité", "électricité"),
        ("élec\ufffetricité", "électricité"),
        ("Jean-\nPierre", "Jean-\nPierre"),
        ("Jean\ufffePierre", "Jean-Pierre"),
        ("mi\xadnistre", "ministre"),
    ],
)
def test_hyphens_at_line_ends_are_repaired(raw: str, repaired: str) -> None:
    assert repair_hyphens(raw) == repaired


def test_docx_headings_lists_tables_and_core_properties(tmp_path: Path) -> None:
    path = tmp_path / "note.docx"
    path.write_bytes(samples.docx_note())
    (doc,) = read(path)
    assert doc.title == "Note sur le réseau de chaleur"
    assert (doc.meta.author, doc.meta.date, doc.meta.format) == (
        "Paul Lefèvre",
        "2024-02-05",
        "docx",
    )
    assert kinds(doc) == [
        ("heading", "Le réseau de chaleur de Grenoble"),
        (
            "paragraph",
            "La chaufferie biomasse alimente désormais quarante mille logements du quartier.",
        ),
        ("heading", "Chiffres clés"),
        ("item", "Quarante mille logements raccordés"),
        ("item", "Trois chaufferies au bois"),
        ("row", "Année · Logements"),
        ("row", "2024 · 40 000"),
    ]


def test_odt_headings_lists_tables_and_metadata(tmp_path: Path) -> None:
    path = tmp_path / "biogaz.odt"
    path.write_bytes(samples.odt_note())
    (doc,) = read(path)
    assert doc.title == "Biogaz à la ferme"
    assert (doc.meta.author, doc.meta.date, doc.meta.language) == (
        "Luc Bernard",
        "2023-09-18",
        "fr-FR",
    )
    assert kinds(doc) == [
        ("heading", "La méthanisation agricole"),
        ("paragraph", "Les digesteurs de la ferme produisent du biogaz injecté dans le réseau."),
        ("item", "Lisier de vaches"),
        ("item", "Résidus de maïs"),
        ("row", "Puissance · 250 kW"),
    ]


def test_epub_chapters_follow_the_spine(tmp_path: Path) -> None:
    path = tmp_path / "vent.epub"
    path.write_bytes(samples.epub_book())
    (doc,) = read(path)
    assert doc.title == "Histoire du vent"
    meta = doc.meta
    assert (meta.author, meta.date, meta.source, meta.format) == (
        "Claire Aubry", "2021-05-20", "Éditions du Large", "epub"
    )  # fmt: skip
    assert kinds(doc) == [
        ("heading", "Les moulins"),
        ("paragraph", "Les moulins à vent meulaient le blé."),
        ("heading", "Les éoliennes"),
        ("paragraph", "Les pales tournent au large."),
    ]


def test_mbox_gives_one_article_per_message(tmp_path: Path) -> None:
    path = tmp_path / "redaction.mbox"
    path.write_bytes(samples.mbox_two_messages())
    first, second = read(path)
    assert (first.title, first.meta.author, first.meta.date) == (
        "Tarifs de l'électricité", "Alain Roy", "2026-02-01"
    )  # fmt: skip
    assert (second.title, second.meta.author, second.meta.date) == (
        "Éolien en mer", "Nadia Benali", "2026-02-03"
    )  # fmt: skip
    assert first.meta.source == second.meta.source == "redaction"
    assert "From here on" in first.text  # the >From quoting is undone, not a new message
    assert first.doc_id != second.doc_id
    assert [p.text for p in second.passages] == [
        "Le parc de Saint-Nazaire a produit son premier térawattheure."
    ]


def test_eml_attachment_is_an_article_of_its_own(tmp_path: Path) -> None:
    path = tmp_path / "linky.eml"
    path.write_bytes(samples.eml_with_attachment())
    mail, attachment = read(path)
    assert (mail.title, mail.meta.author, mail.meta.date, mail.meta.format) == (
        "Compteurs Linky : le bilan", "Sophie Girard", "2026-01-15", "mail"
    )  # fmt: skip
    assert attachment.meta.format == "pdf"
    assert attachment.title == "Rapport sur l'énergie hydraulique"
    assert attachment.meta.source == "linky"
    assert attachment.path == str(path) and attachment.doc_id != mail.doc_id


def test_rss_items_are_articles_with_link_date_author(tmp_path: Path) -> None:
    path = tmp_path / "energie.rss"
    path.write_text(samples.RSS_FEED, encoding="utf-8")
    solaire, hydrogene = read(path)
    assert solaire.title == "Le solaire dépasse le charbon"
    meta = solaire.meta
    assert (meta.url, meta.date, meta.author, meta.source, meta.tags) == (
        "https://energie.example.fr/solaire", "2026-03-10", "Hugo Petit", "Énergie Hebdo",
        ("solaire",),
    )  # fmt: skip
    assert kinds(solaire) == [
        (
            "paragraph",
            "Les panneaux photovoltaïques ont produit plus que les centrales à charbon en Europe.",
        ),
        ("item", "Record en mars"),
    ]
    assert (hydrogene.title, hydrogene.meta.date) == ("Hydrogène vert à Fos", "2026-03-11")


def test_atom_entry(tmp_path: Path) -> None:
    path = tmp_path / "blog.xml"
    path.write_text(samples.ATOM_FEED, encoding="utf-8")
    (entry,) = read(path)
    meta = entry.meta
    assert (entry.title, meta.url, meta.date, meta.author, meta.source, meta.language) == (
        "Les lignes à haute tension enterrées", "https://blog.example.fr/lignes", "2026-04-01",
        "Irène Caron", "Le Blog du Réseau", "fr",
    )  # fmt: skip


def test_markdown_front_matter_is_metadata_not_text(tmp_path: Path) -> None:
    path = tmp_path / "sobriete.md"
    path.write_text(samples.MARKDOWN_WITH_FRONT_MATTER, encoding="utf-8")
    (doc,) = read(path)
    assert doc.title == "Sobriété énergétique : le bilan de l'hiver"
    meta = doc.meta
    assert (meta.date, meta.date_source, meta.author, meta.tags, meta.format) == (
        "2025-12-21", "metadata", "Élise Moreau", ("sobriété", "chauffage"), "markdown"
    )  # fmt: skip
    assert "---" not in doc.text and "tags" not in doc.text
    assert kinds(doc)[0] == ("heading", "Un hiver plus sobre")


@pytest.mark.parametrize(
    ("name", "content", "fmt"),
    [
        ("page.txt", samples.NEWS_PAGE.encode(), "html"),
        ("page.html", samples.NEWS_PAGE.encode(), "html"),
        ("notes.txt", b"Une note toute simple.", "text"),
        ("notes.md", b"# Titre", "markdown"),
        ("rapport.bin", b"%PDF-1.7\n...", "pdf"),
        ("inbox", samples.mbox_two_messages(), "mail"),
        ("flux.txt", samples.RSS_FEED.encode(), "feed"),
        ("blog.xml", samples.ATOM_FEED.encode(), "feed"),
        ("autre.xml", b"<?xml version='1.0'?><catalogue><livre/></catalogue>", ""),
        ("livre.zip", samples.epub_book(), "epub"),
        ("note.odt", samples.odt_note(), "odt"),
        ("note.docx", samples.docx_note(), "docx"),
        ("message.txt", samples.eml_with_attachment(), "mail"),
    ],
)
def test_format_is_recognised_by_content(name: str, content: bytes, fmt: str) -> None:
    assert sniff(name, content) == fmt


def test_a_txt_holding_html_is_read_as_html(tmp_path: Path) -> None:
    path = tmp_path / "article.txt"
    path.write_bytes(samples.news_page())
    (doc,) = read(path)
    assert doc.meta.format == "html" and "<" not in doc.text


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("Publié le 24 novembre 2026 à 10 h", "2026-11-24"),
        ("Mis à jour le 1er mars 2025", "2025-03-01"),
        ("Grenoble, 24/11/2026 — La ville", "2026-11-24"),
        ("lundi 3 mars, la préfecture a annoncé", "2030-03-03"),
        ("Le 31 février 2026 n'existe pas", ""),
        ("Aucune date ici.", ""),
    ],
)
def test_french_dates_in_the_opening_lines(text: str, day: str) -> None:
    assert date_in_text(text, 2030) == day


@pytest.mark.parametrize(
    ("value", "day"),
    [
        ("2026-03-04T08:00:00+01:00", "2026-03-04"),
        ("D:20250612093000Z", "2025-06-12"),
        ("Tue, 10 Mar 2026 07:00:00 +0100", "2026-03-10"),
        ("n'importe quoi", ""),
    ],
)
def test_metadata_dates_become_iso(value: str, day: str) -> None:
    assert parse_date(value) == day


def test_without_a_date_the_mtime_is_used_and_said(tmp_path: Path) -> None:
    path = tmp_path / "sans-date.txt"
    path.write_text("Un texte sans la moindre date.\n", encoding="utf-8")
    os.utime(path, (1_700_000_000, 1_700_000_000))  # 2023-11-14
    (doc,) = read(path)
    assert (doc.meta.date, doc.meta.date_source) == ("2023-11-14", "mtime")


def test_a_date_in_the_text_is_used_before_the_mtime(tmp_path: Path) -> None:
    path = tmp_path / "daté.txt"
    path.write_text("Compte rendu\n\nRéunion du 12 janvier 2026 à la mairie.\n", encoding="utf-8")
    (doc,) = read(path)
    assert (doc.meta.date, doc.meta.date_source) == ("2026-01-12", "text")


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("rapport-annuel_2025.pdf", "rapport annuel 2025"),
        ("note.de.service.odt", "note de service"),
    ],
)
def test_file_names_made_readable(name: str, title: str) -> None:
    assert readable_name(name) == title


def test_untitled_html_falls_back_to_heading_then_file_name(tmp_path: Path) -> None:
    body = "<p>" + "Un paragraphe sans titre ni intertitre, assez long pour compter. " * 5 + "</p>"
    (tmp_path / "sans-titre_2025.html").write_text(f"<html><body>{body}</body></html>")
    (doc,) = read(tmp_path / "sans-titre_2025.html")
    assert doc.title == "sans titre 2025"
    (tmp_path / "titre.html").write_text(f"<html><body><h2>Le vrai titre</h2>{body}</body></html>")
    (doc,) = read(tmp_path / "titre.html")
    assert doc.title == "Le vrai titre"


SAMPLES: dict[str, Callable[[], bytes]] = {
    "penly.html": samples.news_page,
    "rapport.pdf": samples.pdf_report,
    "note.docx": samples.docx_note,
    "biogaz.odt": samples.odt_note,
    "vent.epub": samples.epub_book,
    "redaction.mbox": samples.mbox_two_messages,
    "linky.eml": samples.eml_with_attachment,
    "energie.rss": lambda: samples.RSS_FEED.encode(),
    "blog.atom": lambda: samples.ATOM_FEED.encode(),
    "sobriete.md": lambda: samples.MARKDOWN_WITH_FRONT_MATTER.encode(),
}


@pytest.fixture(scope="module")
def formats_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("formats")
    folder = root / "articles"
    folder.mkdir()
    for name, make in SAMPLES.items():
        (folder / name).write_bytes(make())
    (folder / "photo.png").write_bytes(b"\x89PNG\r\n")
    report = update_index(root / "index", [folder])
    assert [(Path(s.path).name, s.reason) for s in report.skipped] == [
        ("photo.png", "unsupported format .png")
    ]
    # 10 files, 13 articles: the mailbox and the RSS feed hold 2 each, the mail an attachment.
    assert report.added == 13
    return root / "index"


@pytest.mark.parametrize(
    ("query", "title", "fmt"),
    [
        ("Penly EPR2", "Penly : EDF lance le chantier de deux EPR2", "html"),
        ("électricité barrages", "Rapport sur l'énergie hydraulique", "pdf"),
        ("chaufferie biomasse", "Note sur le réseau de chaleur", "docx"),
        ("digesteurs biogaz", "Biogaz à la ferme", "odt"),
        ("moulins blé", "Histoire du vent", "epub"),
        ("Saint-Nazaire térawattheure", "Éolien en mer", "mail"),
        ("compteurs communicants", "Compteurs Linky : le bilan", "mail"),
        ("photovoltaïques charbon", "Le solaire dépasse le charbon", "feed"),
        ("haute tension Alpes", "Les lignes à haute tension enterrées", "feed"),
        ("consommation gaz ménages", "Sobriété énergétique : le bilan de l'hiver", "markdown"),
    ],
)
def test_every_format_is_found_by_search(
    formats_index: Path, query: str, title: str, fmt: str
) -> None:
    with Index(formats_index) as ix:
        hits = ix.search(query).hits
        assert hits and hits[0].title == title
        assert ix.document(hits[0].doc_id).meta["format"] == fmt


def test_stored_articles_keep_metadata_and_pdf_pages(formats_index: Path) -> None:
    with Index(formats_index) as ix:
        hit = ix.search("turbines Grand'Maison").hits[0]
        article = ix.document(hit.doc_id)
        assert article.meta["author"] == "Jeanne Martin" and article.meta["date"] == "2025-06-12"
        assert [p.page for p in article.passages] == [1, 1, 2]
        assert article.to_dict()["passages"][2]["page"] == 2
        html = ix.document(ix.search("Penly").hits[0].doc_id)
        assert html.meta["url"] == "https://courrier.example.fr/economie/penly-epr2"
        assert all(p.page is None for p in html.passages)


def test_an_unchanged_mailbox_is_not_read_again(formats_index: Path, tmp_path: Path) -> None:
    with Index(formats_index) as ix:
        folder = Path(ix.stats().roots[0])
    report = update_index(formats_index, [folder])
    assert (report.added, report.updated, report.removed, report.unchanged) == (0, 0, 0, 13)


def test_a_message_gone_from_a_mailbox_leaves_the_index(tmp_path: Path) -> None:
    box = tmp_path / "src" / "boite.mbox"
    box.parent.mkdir()
    box.write_bytes(samples.mbox_two_messages())
    assert update_index(tmp_path / "ix", [box.parent]).added == 2
    box.write_bytes(samples.mbox_two_messages().split(b"\nFrom redaction")[0] + b"\n")
    report = update_index(tmp_path / "ix", [box.parent])
    assert (report.updated, report.removed) == (1, 1)
    with Index(tmp_path / "ix") as ix:
        assert ix.search("Saint-Nazaire").total == 0
        assert ix.search("tarifs réglementés").total == 1


def test_search_does_not_import_the_format_readers(formats_index: Path) -> None:
    probe = (
        "import sys\n"
        "from seedsearch.cli import main\n"
        f"main(['--index', {str(formats_index)!r}, 'search', 'Penly'], standalone_mode=False)\n"
        "print(sorted(m for m in ('trafilatura', 'lxml', 'pypdfium2', 'docx', 'defusedxml', "
        "'yaml', 'seedsearch.documents') if m in sys.modules))\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert proc.stdout.strip().splitlines()[-1] == "[]"


def test_cli_index_reports_skips_and_show_returns_metadata(
    tmp_path: Path, cli: Callable[..., Any]
) -> None:
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "penly.html").write_bytes(samples.news_page())
    (folder / "rapport.pdf").write_bytes(samples.pdf_report())
    (folder / "chiffre.pdf").write_bytes(samples.pdf_encrypted())
    (folder / "tableur.xlsx").write_bytes(b"PK\x03\x04")
    result = cli("index", str(folder), "--json", index=tmp_path / "ix")
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["added"] == 2
    assert sorted((Path(s["path"]).name, s["reason"]) for s in report["skipped"]) == [
        ("chiffre.pdf", "encrypted PDF (needs a password)"),
        ("tableur.xlsx", "unsupported format .xlsx"),
    ]
    found = json.loads(cli("search", "turbines", "--json", index=tmp_path / "ix").stdout)
    doc_id = found["hits"][0]["doc_id"]
    shown = json.loads(cli("show", doc_id, "--json", index=tmp_path / "ix").stdout)
    assert shown["meta"]["format"] == "pdf" and shown["meta"]["author"] == "Jeanne Martin"
    assert [p["page"] for p in shown["passages"]] == [1, 1, 2]


def test_a_txt_between_two_rules_keeps_its_text_unless_it_is_front_matter(tmp_path: Path) -> None:
    path = tmp_path / "regles.txt"
    path.write_text("---\nNote: rien de spécial ici\n---\nLa suite du texte.\n", encoding="utf-8")
    (doc,) = read(path)
    assert "rien de spécial" in doc.text and doc.meta.format == "text"
    path.write_text("---\ntitle: Une note\n---\nLa suite du texte.\n", encoding="utf-8")
    (doc,) = read(path)
    assert (doc.title, doc.meta.format) == ("Une note", "markdown")
    assert "title" not in doc.text


def test_html_emphasis_leaves_no_markdown_marks(tmp_path: Path) -> None:
    body = (
        "<article><h1>Le titre</h1><p>Un texte avec <em>italique</em>, <b>gras</b> et "
        "<code>code</code>, assez long pour être pris pour le contenu principal de la page "
        "par l'extracteur, avec 2 * 3 = 6 en prime.</p></article>"
    )
    (tmp_path / "marques.html").write_text(f"<html><body>{body}</body></html>")
    (doc,) = read(tmp_path / "marques.html")
    assert doc.passages[1].text.startswith("Un texte avec italique, gras et code, assez long")
    assert "2 * 3 = 6" in doc.passages[1].text


def test_a_site_name_title_gives_way_to_the_page_heading(tmp_path: Path) -> None:
    # Shaped like GNU LilyPond's manual pages.
    paragraphs = [
        "LilyPond crée automatiquement des contextes de bas niveau lorsque l’expression "
        "musicale intervient avant qu’un contexte adéquat n’existe.",
        "Dans le cas de partitions plus complexes, il est préférable de créer explicitement "
        "les contextes avec la commande new, dont voici la syntaxe.",
    ]
    page = (
        "<html><head><title>GNU LilyPond &ndash; Manuel de notation: 5.1.2 Création "
        "d'un contexte</title></head><body><table><tr><td><a href='prev.html'>Précédent</a>"
        "</td></tr></table><a name='creating-contexts'></a>"
        "<h3 class='subsection'>5.1.2 Création d&rsquo;un contexte</h3>"
        + "".join(f"<p>{p}</p>" for p in paragraphs * 4)
        + "</body></html>"
    )
    (tmp_path / "contexte.html").write_text(page, encoding="utf-8")
    (doc,) = read(tmp_path / "contexte.html")
    assert doc.title == "5.1.2 Création d’un contexte"


def test_worker_processes_read_every_format_too(tmp_path: Path) -> None:
    folder = tmp_path / "src"
    folder.mkdir()
    for name, make in SAMPLES.items():
        (folder / name).write_bytes(make())
    report = update_index(tmp_path / "ix", [folder], jobs=2)
    assert (report.added, report.skipped) == (13, ())
    with Index(tmp_path / "ix") as ix:
        assert ix.search("Saint-Nazaire").hits[0].title == "Éolien en mer"
        assert ix.search("turbines").hits[0].title == "Rapport sur l'énergie hydraulique"
