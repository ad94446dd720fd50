"""Broken and hostile files: each is indexed or skipped with a one-line reason, and the
run goes on with the other files."""

from __future__ import annotations

import io
import threading
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import format_samples as samples
from seedsearch.documents import SourceFile, isolate, parse_file, read_bytes
from seedsearch.errors import SourceError
from seedsearch.index import update_index
from seedsearch.store import Index

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE rss [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss version="2.0"><channel><title>&lol9;</title>
<item><title>&lol9;</title><description>&lol9;</description></item></channel></rss>"""

UNDECLARED_ENTITY = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Flux</title>
<item><title>Caf&eacute;</title><description>Un &nbsp; texte</description></item></channel></rss>"""


def zip_bomb(entries: list[str], first: tuple[str, bytes] | None = None) -> bytes:
    """A zip whose named members inflate from a few kilobytes to 20 MB of zeros each."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        if first is not None:
            zf.writestr(first[0], first[1], compress_type=zipfile.ZIP_STORED)
        for name in entries:
            zf.writestr(name, b"\0" * 20_000_000)
    return out.getvalue()


def truncated_pdf() -> bytes:
    data = samples.pdf_report()
    return data[: len(data) // 3]


def deep_html() -> bytes:
    return (
        b"<html><body>" + b"<div>" * 10_000 + b"<p>Le fond du puits.</p>" + b"</div>" * 10_000
    ) + b"</body></html>"


def broken_mime() -> bytes:
    return (
        b"From: =?utf-8?q?Andr=C3=A9?= <andre@example.fr>\r\nSubject: =?bogus?x?zzz?=\r\n"
        b"Date: pas une date\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="fin"\r\n\r\n'
        b"--fin\r\nContent-Type: text/plain; charset=inconnu\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n@@@ pas du base64 !!!\r\n"
        b"--fin\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        b"La coupure de courant a dur\xc3\xa9 trois heures.\r\n"
    )  # no closing boundary


# file name → (content, the reason it is skipped, or None if it is indexed)
CASES: dict[str, tuple[bytes, str | None]] = {
    "tronque.pdf": (truncated_pdf(), "unreadable PDF"),
    "faux.pdf": (b"%PDF-1.4\n" + b"n'importe quoi " * 100, "unreadable PDF"),
    "chiffre.pdf": (samples.pdf_encrypted(), "encrypted PDF (needs a password)"),
    "scan.pdf": (samples.pdf_without_text(), "no text layer (scanned?)"),
    "bombe.docx": (
        zip_bomb(["word/document.xml", "[Content_Types].xml"]),
        "DOCX rejected: zip bomb?",
    ),
    "pas-un-zip.docx": (b"Ceci n'est pas un document Word.", "not a valid DOCX (not a zip"),
    "bombe.epub": (
        zip_bomb(["META-INF/container.xml"], ("mimetype", b"application/epub+zip")),
        "EPUB rejected: zip bomb?",
    ),
    "pas-un-zip.epub": (b"rien", "not a valid EPUB (not a zip"),
    "geant.html": (
        b"<html><body>" + b"<p>Un paragraphe de remplissage.</p>\n" * 1_500_000 + b"</body></html>",
        "HTML too large",
    ),
    "profond.html": (deep_html(), "no indexable text"),
    "mime-casse.eml": (broken_mime(), None),
    "rires.rss": (BILLION_LAUGHS, "feed rejected: EntitiesForbidden"),
    "entite.rss": (UNDECLARED_ENTITY, "broken feed (XML: undefined entity"),
}


@pytest.fixture(scope="module")
def bad_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    root = tmp_path_factory.mktemp("bad")
    folder = root / "articles"
    folder.mkdir()
    for name, (content, _) in CASES.items():
        (folder / name).write_bytes(content)
    (folder / "bon.txt").write_text("Les éoliennes de Fécamp tournent enfin.\n", encoding="utf-8")
    report = update_index(root / "index", [folder])
    return root / "index", {Path(s.path).name: s.reason for s in report.skipped}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_file_is_skipped_with_one_line_reason_or_indexed(
    bad_run: tuple[Path, dict[str, str]], name: str
) -> None:
    _, skipped = bad_run
    expected = CASES[name][1]
    if expected is None:
        assert name not in skipped
    else:
        assert skipped[name].startswith(expected)
        assert "\n" not in skipped[name] and len(skipped[name]) < 200


def test_bad_files_lose_no_other_article(bad_run: tuple[Path, dict[str, str]]) -> None:
    index_dir, _ = bad_run
    with Index(index_dir) as ix:
        assert ix.search("éoliennes Fécamp").total == 1
        assert ix.search("coupure courant").total == 1  # the readable part of the broken mail
        assert ix.search("lol").total == 0  # no entity was ever expanded


def test_billion_laughs_is_refused_before_expansion() -> None:
    path = Path("rires.rss")
    with pytest.raises(SourceError, match="EntitiesForbidden"):
        parse_file(SourceFile(path, str(path)), BILLION_LAUGHS)


def test_large_file_is_read_in_the_child_process(tmp_path: Path) -> None:
    page = "<html><body><h1>Un long rapport</h1>" + "<p>Le barrage retient l'eau.</p>" * 80_000
    path = tmp_path / "long.html"
    path.write_text(page + "</body></html>", encoding="utf-8")
    assert path.stat().st_size > isolate.ISOLATE_BYTES
    docs, _ = parse_file(SourceFile(path, str(path)), path.read_bytes())
    assert docs[0].passages[0].text == "Un long rapport"


def test_a_reader_overrunning_its_time_is_stopped_and_the_next_file_read(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="took longer than"):
        isolate.run("pdf", samples.pdf_report(), "rapport.pdf", timeout=0.0)
    (article,) = isolate.run("pdf", samples.pdf_report(), "rapport.pdf")
    assert article.title == "Rapport sur l'énergie hydraulique"


def test_a_reader_that_dies_costs_its_file_only() -> None:
    isolate.run("pdf", samples.pdf_report(), "rapport.pdf")  # the child is up
    child = isolate._child
    assert child is not None
    slow = b"<html><body>" + b"<p>Un paragraphe de remplissage.</p>\n" * 300_000 + b"</body></html>"
    # Killed mid-parse, as the kernel would kill a reader gone wild.
    timer = threading.Timer(0.3, child.kill)
    timer.start()
    try:
        with pytest.raises(SourceError, match="crashed"):
            isolate.run("html", slow, "lent.html")
    finally:
        timer.cancel()
    (article,) = isolate.run("pdf", samples.pdf_report(), "rapport.pdf")
    assert article.fmt == "pdf"


def test_a_file_gone_before_it_is_read_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "parti.html"
    with pytest.raises(SourceError, match="vanished while indexing"):
        read_bytes(SourceFile(path, str(path)))


def test_a_file_gone_after_it_was_read_still_gives_its_article(tmp_path: Path) -> None:
    path = tmp_path / "parti.html"
    path.write_bytes(samples.news_page())
    data = path.read_bytes()
    path.unlink()
    (doc,) = parse_file(SourceFile(path, str(path)), data)[0]
    assert doc.meta.date == "2026-03-04"


PREFIXES = [
    b"",
    b"%PDF-1.7\n",
    b"PK\x03\x04",
    b"<html><body>",
    b"<?xml version='1.0'?><rss>",
    b"From x@y Mon Jan  1 00:00:00 2026\nSubject: ",
    b"---\ntitle: [",
]
NAMES = ["a.html", "a.pdf", "a.docx", "a.odt", "a.epub", "a.eml", "a.mbox", "a.rss", "a.md", "a"]


@settings(max_examples=60, deadline=None)
@given(name=st.sampled_from(NAMES), prefix=st.sampled_from(PREFIXES), body=st.binary(max_size=2000))
def test_any_bytes_give_articles_or_a_reason(name: str, prefix: bytes, body: bytes) -> None:
    path = Path(name)
    try:
        docs, _ = parse_file(SourceFile(path, name), prefix + body)
    except SourceError as err:
        assert err.message and "\n" not in err.message
    else:
        assert docs and all(d.passages for d in docs)
