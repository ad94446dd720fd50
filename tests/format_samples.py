"""Small real files of every readable format, made with the formats' own libraries."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime

NEWS_PAGE = """<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8">
<title>Penly : EDF lance deux EPR2 | Le Courrier normand</title>
<meta property="og:title" content="Penly : EDF lance le chantier de deux EPR2">
<meta property="og:site_name" content="Le Courrier normand">
<meta name="description" content="Le chantier nucléaire de Penly démarre.">
<link rel="canonical" href="https://courrier.example.fr/economie/penly-epr2">
<script type="application/ld+json">{"@context": "https://schema.org",
 "@type": "NewsArticle", "headline": "Penly : EDF lance le chantier de deux EPR2",
 "datePublished": "2026-03-04T08:00:00+01:00",
 "author": {"@type": "Person", "name": "Marie Dupont"}}</script>
</head><body>
<nav class="menu"><ul><li><a href="/">Accueil</a></li><li><a href="/eco">Économie</a></li>
<li><a href="/sport">Sport</a></li></ul></nav>
<div id="cookie-banner" class="cookie-consent">Nous utilisons des cookies pour mesurer
l'audience. <button>Tout accepter</button></div>
<main><article>
<h1>Penly : EDF lance le chantier de deux EPR2</h1>
<p>EDF a confirmé mardi la construction de deux nouveaux réacteurs EPR2 sur le site de
Penly, en Seine-Maritime, un chantier estimé à plusieurs milliards d'euros qui doit
mobiliser des milliers de salariés pendant une décennie.</p>
<h2>Un chantier de dix ans</h2>
<p>Les travaux préparatoires ont commencé au printemps. La mise en service du premier
réacteur est prévue pour 2035, selon l'électricien, qui promet un calendrier tenu.</p>
<ul><li>Deux réacteurs EPR2 de 1 670 mégawatts</li>
<li>Huit mille emplois au pic du chantier</li></ul>
<table><tr><th>Année</th><th>Étape</th></tr>
<tr><td>2024</td><td>Travaux préparatoires</td></tr>
<tr><td>2035</td><td>Mise en service du premier réacteur</td></tr></table>
</article></main>
<div class="share-buttons"><a href="#">Partager sur Facebook</a><a href="#">Twitter</a></div>
<section id="comments" class="comments"><h3>3 commentaires</h3>
<div class="comment"><p>Jeannot76 : vivement les cigognes radioactives, bravo la
rédaction !</p></div>
</section>
<footer><p>© Le Courrier normand 2026 — Mentions légales — Plan du site</p></footer>
</body></html>
"""


def news_page() -> bytes:
    return NEWS_PAGE.encode("utf-8")


def pdf_report() -> bytes:
    """Two pages; "élec-" ends a line of the first one, "tricité" starts the next."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_title("Rapport sur l'énergie hydraulique")
    pdf.set_author("Jeanne Martin")
    pdf.set_creation_date(datetime(2025, 6, 12, 9, 30, tzinfo=UTC))
    pdf.set_font("helvetica", size=12)
    pdf.add_page()
    for line in ["Introduction", "La production d'élec-", "tricité des barrages a augmenté."]:
        pdf.cell(0, 10, line, new_x="LMARGIN", new_y="NEXT")
    pdf.add_page()
    pdf.cell(0, 10, "Les turbines de Grand'Maison tournent à plein.", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def pdf_encrypted() -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(0, 10, "Texte confidentiel sur la centrale.")
    pdf.set_encryption(owner_password="proprietaire", user_password="secret")
    return bytes(pdf.output())


def pdf_without_text() -> bytes:
    """A page with drawings only, as a scanner's output has no text layer."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.rect(10, 10, 120, 80, style="F")
    return bytes(pdf.output())


def docx_note() -> bytes:
    import docx

    document = docx.Document()
    document.core_properties.title = "Note sur le réseau de chaleur"
    document.core_properties.author = "Paul Lefèvre"
    document.core_properties.created = datetime(2024, 2, 5, 10, 0, tzinfo=UTC)
    document.add_heading("Le réseau de chaleur de Grenoble", level=1)
    document.add_paragraph(
        "La chaufferie biomasse alimente désormais quarante mille logements du quartier."
    )
    document.add_heading("Chiffres clés", level=2)
    document.add_paragraph("Quarante mille logements raccordés", style="List Bullet")
    document.add_paragraph("Trois chaufferies au bois", style="List Bullet")
    table = document.add_table(rows=2, cols=2)
    for row, cells in zip(table.rows, [("Année", "Logements"), ("2024", "40 000")], strict=True):
        for cell, text in zip(row.cells, cells, strict=True):
            cell.text = text
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _zip(entries: list[tuple[str, bytes]], stored_first: bool = True) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for i, (name, data) in enumerate(entries):
            kind = zipfile.ZIP_STORED if (i == 0 and stored_first) else zipfile.ZIP_DEFLATED
            zf.writestr(name, data, compress_type=kind)
    return out.getvalue()


def odt_note() -> bytes:
    content = """<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
 xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" office:version="1.3">
<office:body><office:text>
<text:h text:outline-level="1">La méthanisation agricole</text:h>
<text:p>Les digesteurs de la ferme produisent du biogaz<text:s/>injecté dans le réseau.</text:p>
<text:list><text:list-item><text:p>Lisier de vaches</text:p></text:list-item>
<text:list-item><text:p>Résidus de maïs</text:p></text:list-item></text:list>
<table:table><table:table-row><table:table-cell><text:p>Puissance</text:p></table:table-cell>
<table:table-cell><text:p>250 kW</text:p></table:table-cell></table:table-row></table:table>
</office:text></office:body></office:document-content>"""
    meta = """<?xml version="1.0" encoding="UTF-8"?>
<office:document-meta xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:dc="http://purl.org/dc/elements/1.1/"
 xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0"><office:meta>
<dc:title>Biogaz à la ferme</dc:title><meta:initial-creator>Luc Bernard</meta:initial-creator>
<meta:creation-date>2023-09-18T14:00:00</meta:creation-date><dc:language>fr-FR</dc:language>
</office:meta></office:document-meta>"""
    return _zip(
        [
            ("mimetype", b"application/vnd.oasis.opendocument.text"),
            ("content.xml", content.encode()),
            ("meta.xml", meta.encode()),
        ]
    )


def epub_book() -> bytes:
    container = """<?xml version="1.0"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
<rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/>
</rootfiles></container>"""
    opf = """<?xml version="1.0" encoding="UTF-8"?>
<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="id">
<metadata xmlns:dc="http://purl.org/dc/elements/1.1/">
<dc:identifier id="id">urn:uuid:1234</dc:identifier><dc:title>Histoire du vent</dc:title>
<dc:creator>Claire Aubry</dc:creator><dc:date>2021-05-20</dc:date><dc:language>fr</dc:language>
<dc:publisher>Éditions du Large</dc:publisher></metadata>
<manifest><item id="c2" href="chap2.xhtml" media-type="application/xhtml+xml"/>
<item id="c1" href="chap1.xhtml" media-type="application/xhtml+xml"/></manifest>
<spine><itemref idref="c1"/><itemref idref="c2"/></spine></package>"""

    def chapter(title: str, text: str) -> bytes:
        return (
            '<?xml version="1.0" encoding="UTF-8"?><html xmlns="http://www.w3.org/1999/xhtml">'
            f"<head><title>{title}</title></head><body><h1>{title}</h1><p>{text}</p></body></html>"
        ).encode()

    return _zip(
        [
            ("mimetype", b"application/epub+zip"),
            ("META-INF/container.xml", container.encode()),
            ("OEBPS/content.opf", opf.encode()),
            # Stored in the zip in the other order: the spine decides.
            ("OEBPS/chap2.xhtml", chapter("Les éoliennes", "Les pales tournent au large.")),
            ("OEBPS/chap1.xhtml", chapter("Les moulins", "Les moulins à vent meulaient le blé.")),
        ]
    )


def message(subject: str, sender: str, day: datetime, body: str, msgid: str) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = sender
    msg["To"] = "redaction@example.fr"
    msg["Date"] = format_datetime(day)
    msg["Message-ID"] = msgid
    msg.set_content(body)
    return msg


def eml_with_attachment() -> bytes:
    msg = message(
        "Compteurs Linky : le bilan",
        "Sophie Girard <sophie@example.fr>",
        datetime(2026, 1, 15, 8, 0, tzinfo=UTC),
        "Bonjour,\n\nLe déploiement des compteurs communicants est terminé dans la région.\n",
        "<linky-1@example.fr>",
    )
    msg.add_attachment(
        pdf_report(), maintype="application", subtype="pdf", filename="rapport-annuel_2025.pdf"
    )
    return msg.as_bytes()


def mbox_two_messages() -> bytes:
    first = message(
        "Tarifs de l'électricité",
        "Alain Roy <alain@example.fr>",
        datetime(2026, 2, 1, 9, 0, tzinfo=UTC),
        "Les tarifs réglementés augmentent de dix pour cent en février.\n"
        "From here on, this line starts with From and must stay in the body.\n",
        "<tarifs@example.fr>",
    )
    second = message(
        "Éolien en mer",
        "Nadia Benali <nadia@example.fr>",
        datetime(2026, 2, 3, 9, 0, tzinfo=UTC),
        "Le parc de Saint-Nazaire a produit son premier térawattheure.\n",
        "<eolien@example.fr>",
    )
    out = b""
    for msg in (first, second):
        raw = msg.as_bytes().replace(b"\nFrom ", b"\n>From ")
        out += b"From redaction@example.fr Sun Feb  1 09:00:00 2026\n" + raw + b"\n"
    return out


RSS_FEED = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"
 xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel><title>Énergie Hebdo</title><link>https://energie.example.fr</link>
<language>fr</language>
<item><title>Le solaire dépasse le charbon</title>
<link>https://energie.example.fr/solaire</link><guid>solaire-2026</guid>
<pubDate>Tue, 10 Mar 2026 07:00:00 +0100</pubDate><dc:creator>Hugo Petit</dc:creator>
<category>solaire</category>
<content:encoded><![CDATA[<p>Les panneaux photovoltaïques ont produit plus que les
centrales à charbon en Europe.</p><ul><li>Record en mars</li></ul>]]></content:encoded></item>
<item><title>Hydrogène vert à Fos</title><link>https://energie.example.fr/h2</link>
<pubDate>Wed, 11 Mar 2026 07:00:00 +0100</pubDate>
<description>Un électrolyseur géant est en construction près de Marseille.</description></item>
</channel></rss>"""

ATOM_FEED = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="fr"><title>Le Blog du Réseau</title>
<id>urn:blog</id><updated>2026-04-02T10:00:00Z</updated>
<entry><title>Les lignes à haute tension enterrées</title>
<link rel="alternate" href="https://blog.example.fr/lignes"/><id>urn:lignes</id>
<published>2026-04-01T10:00:00Z</published><author><name>Irène Caron</name></author>
<summary>RTE enterre cent kilomètres de lignes dans les Alpes cette année.</summary></entry>
</feed>"""

MARKDOWN_WITH_FRONT_MATTER = """---
title: "Sobriété énergétique : le bilan de l'hiver"
date: 2025-12-21
author: Élise Moreau
tags: [sobriété, chauffage]
---
# Un hiver plus sobre

La consommation de gaz des ménages a baissé de douze pour cent par rapport à l'an dernier.
"""
