"""Stage 1: documents — finding article files, decoding them, and cutting them into passages.

A passage is what search returns: a paragraph (or soft-wrapped lines), a bullet item, a
table row as readable text, or a heading. Each carries its character offsets in the
decoded file text and the heading of the section it falls under. Web boilerplate
("Rate this post", "Partager sur vos réseaux !") never becomes a passage.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .errors import SourceError

SUFFIXES = (".txt", ".md", ".markdown")
MAX_FILE_BYTES = 100 * 1024 * 1024
MAX_PASSAGE_CHARS = 1500
MIN_PASSAGE_CHARS = 200
BUNDLED_KEY_PREFIX = "corpus/"


@dataclass(frozen=True, slots=True)
class Passage:
    n: int
    kind: str  # "heading" | "paragraph" | "item" | "row"
    section: str
    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class Document:
    doc_id: str
    path: str
    title: str
    text: str
    sha: str
    passages: tuple[Passage, ...]


@dataclass(frozen=True, slots=True)
class Skipped:
    path: str
    reason: str


@dataclass(slots=True)
class SourceFile:
    """A file found by :func:`scan`: where it is and the key its id derives from."""

    path: Path
    key: str


def bundled_corpus() -> Path:
    """The folder of default articles shipped inside the package."""
    return Path(__file__).resolve().parent / "corpus"


# --- finding files ---------------------------------------------------------------------


def _key_for(path: Path) -> str:
    corpus = bundled_corpus()
    if path.parent == corpus:
        return BUNDLED_KEY_PREFIX + path.name
    return str(path)


def _wanted(name: str) -> bool:
    return not name.startswith(".") and name.lower().endswith(SUFFIXES)


def scan(roots: Iterable[str | os.PathLike[str]]) -> tuple[list[SourceFile], list[Skipped]]:
    """Every article file under ``roots`` (files are taken as given, folders recursively).

    Raises :class:`SourceError` for a root that does not exist, before anything is read.
    Directory symlinks are followed once; a loop is reported, never walked forever.
    """
    found: dict[str, SourceFile] = {}
    skipped: list[Skipped] = []
    root_paths = [Path(r).expanduser() for r in roots]
    for root in root_paths:
        if not root.exists() and not root.is_symlink():
            raise SourceError(f"{root}: no such file or directory")
    for root in root_paths:
        if root.is_dir():
            for path, problem in _walk(root):
                if problem:
                    skipped.append(Skipped(str(path), problem))
                else:
                    _add(found, path, skipped)
        else:
            _add(found, root, skipped)
    return sorted(found.values(), key=lambda s: s.key), skipped


def _add(found: dict[str, SourceFile], path: Path, skipped: list[Skipped]) -> None:
    try:
        resolved = path.resolve(strict=True)
    except (OSError, RuntimeError):
        skipped.append(Skipped(str(path), "broken or looping symlink"))
        return
    if not resolved.is_file():
        skipped.append(Skipped(str(path), "not a regular file"))
        return
    key = _key_for(resolved)
    found.setdefault(key, SourceFile(resolved, key))


def _walk(root: Path) -> Iterator[tuple[Path, str]]:
    seen: set[tuple[int, int]] = set()
    errors: list[OSError] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True, onerror=errors.append):
        while errors:
            err = errors.pop()
            yield Path(err.filename or dirpath), _os_reason(err)
        try:
            st = os.stat(dirpath)
        except OSError as err:
            yield Path(dirpath), _os_reason(err)
            dirnames[:] = []
            continue
        ident = (st.st_dev, st.st_ino)
        if ident in seen:
            yield Path(dirpath), "symlink loop (folder already visited)"
            dirnames[:] = []
            continue
        seen.add(ident)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if _wanted(name):
                yield Path(dirpath) / name, ""
    for late in errors:
        yield Path(late.filename or root), _os_reason(late)


def _os_reason(err: OSError) -> str:
    if isinstance(err, PermissionError):
        return "permission denied"
    if err.errno is not None and err.errno == 40:  # ELOOP
        return "symlink loop"
    return (err.strerror or str(err)).lower()


# --- reading and decoding --------------------------------------------------------------


def read_bytes(source: SourceFile) -> bytes:
    """The file's bytes; raises :class:`SourceError` with a one-line reason."""
    try:
        size = source.path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise SourceError(
                f"too large ({size / 1e6:.0f} MB, limit {MAX_FILE_BYTES / 1e6:.0f} MB)"
            )
        with open(source.path, "rb") as fh:
            return fh.read()
    except SourceError:
        raise
    except OSError as err:
        raise SourceError(_os_reason(err)) from None


def content_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


_CONTROL_RE = re.compile("[\x00-\x08\x0e-\x1f]")


def decode(data: bytes) -> str:
    """Decoded text; UTF-8 first, then Windows-1252/Latin-1. Raises for binary or empty."""
    if not data.strip():
        raise SourceError("empty file")
    if b"\x00" in data[:8192]:
        raise SourceError("binary file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
    sample = text[:8192]
    if len(_CONTROL_RE.findall(sample)) > max(8, len(sample) // 100):
        raise SourceError("binary file")
    if not text.strip():
        raise SourceError("empty file")
    return text


# --- passages --------------------------------------------------------------------------

_BULLET_RE = re.compile(r"^(\s*)(?:[-*+•◦▪‣●–]|\d{1,3}[.)])\s+")
_MD_HEADING_RE = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_RULE_RE = re.compile(r"^\s*(?:[-*_=]\s*){3,}$")
_TABLE_SEP_RE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?\s*$")
_SENTENCE_END = tuple('.!?…:;»"”)')
_MD_LINK_RE = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_EMPHASIS_RE = re.compile(r"(\*\*|__|`)")

_BOILERPLATE = re.compile(
    r"^(?:"
    r"rate this (?:post|article)|note[rz]? (?:cet article|ce post|cet post)"
    r"|partage[rz]?(?: (?:sur|via) (?:vos|les) reseaux(?: sociaux)?| cet article| sur \w+)?"
    r"|share(?: this)?(?: (?:post|article|page))?(?: on \w+)?"
    r"|click to share.*|cliquez pour partager.*"
    r"|laisse[rz]? un commentaire|ajouter un commentaire|poster un commentaire"
    r"|leave a (?:comment|reply)|\d* ?commentaires?|\d* ?comments?"
    r"|votre adresse (?:e ?)?mail ne sera pas publiee.*|your email address will not be published.*"
    r"|abonnez vous.*|inscrivez vous a (?:notre|la) newsletter.*"
    r"|subscribe(?: to (?:our|the) newsletter)?"
    r"|lire aussi.*|a lire (?:aussi|egalement).*|voir aussi|read (?:more|also).*"
    r"|articles? (?:similaires|connexes|recommandes)|related (?:posts|articles)|sur le meme sujet"
    r"|j aime|like this|tweet(?:er)?|imprimer|print(?: this)?|publicite|advertisement"
    r"|facebook|twitter|linkedin|whatsapp|pinterest|e ?mail"
    r")$"
)


_NON_WORD_RE = re.compile(r"[^\w]+")


def is_boilerplate(line: str) -> bool:
    """Whole-line web furniture (share buttons, rating widgets, comment prompts)."""
    if len(line) > 120:
        return False
    # The patterns are plain ASCII: accents go, and so may any other non-ASCII letter.
    folded = unicodedata.normalize("NFKD", line).encode("ascii", "ignore").decode().lower()
    folded = " ".join(_NON_WORD_RE.sub(" ", folded).split())
    return bool(folded) and _BOILERPLATE.match(folded) is not None


def _clean_inline(text: str) -> str:
    text = _MD_LINK_RE.sub(r"\1", text)
    text = _MD_EMPHASIS_RE.sub("", text)
    return " ".join(text.split())


def _looks_like_heading(line: str, next_line: str, max_len: int, first: bool) -> bool:
    """Plain-text heading: a short line without closing punctuation, not a wrapped sentence.

    ``max_len`` scales with the document's own line lengths, so that in hard-wrapped text a
    full-width line is read as part of a paragraph, not as a heading.
    """
    if len(line) > max_len or len(line.split()) > 25 or line.endswith((*_SENTENCE_END, ",")):
        return False
    if first:  # an opening short line is the title, whatever its case (``delpart(8) — …``)
        return True
    if line.isupper() and len(line) <= 80:  # NOM, DESCRIPTION, VOIR AUSSI
        return True
    if not (line[0].isupper() or line[0].isdigit()):
        return False
    return not (next_line and next_line[0].islower())


def _opening_title(line: str, next_line: str) -> bool:
    """An opening line that stands alone (a blank, an all-capitals heading or the heading
    it restates follows) is the title, however long the text's other lines are: saved
    pages and man pages put a long title first (``pid_namespaces(7) — Présentation …``)."""
    if len(line) > 200 or len(line.split()) > 30 or line.endswith((",", ";")):
        return False
    if next_line and ((next_line.isupper() and len(next_line) <= 80) or next_line in line):
        return True  # NOM / DESCRIPTION follows, or the heading the title restates
    return not next_line and not line.endswith((".", ":", "!", "?"))


def _heading_limit(lines: list[tuple[int, str]]) -> int:
    """Longest line that can be a heading: 160 characters, less in hard-wrapped text."""
    lengths = sorted(len(line.strip()) for _, line in lines if line.strip())
    if not lengths:
        return 160
    typical = lengths[int(len(lengths) * 0.9)] if len(lengths) >= 5 else lengths[-1]
    return max(40, min(160, int(typical * 0.6)))


def _lines(text: str) -> list[tuple[int, str]]:
    out = []
    offset = 0
    for raw in text.splitlines(keepends=True):
        line = raw.rstrip("\r\n")
        out.append((offset, line))
        offset += len(raw)
    return out


def _split_long(start: int, end: int, text: str) -> Iterator[tuple[int, int, str]]:
    """Cut a passage longer than MAX_PASSAGE_CHARS at sentence (else word) boundaries.

    Only used for paragraphs whose text is the file's own text, so offsets stay exact.
    """
    while end - start > MAX_PASSAGE_CHARS:
        window = text[start : start + MAX_PASSAGE_CHARS]
        cut = max(window.rfind(". "), window.rfind("! "), window.rfind("? "))
        if cut < MAX_PASSAGE_CHARS // 3:
            cut = window.rfind(" ")
        cut = cut + 1 if cut > 0 else MAX_PASSAGE_CHARS
        yield start, start + cut, text[start : start + cut]
        start += cut
        while start < end and text[start].isspace():
            start += 1
    if start < end:
        yield start, end, text[start:end]


class _Splitter:
    """Walks an article's lines, keeping the open paragraph and the current section."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.out: list[Passage] = []
        self.section = ""
        self.first_heading = ""
        self.para: list[tuple[int, str]] = []  # (offset, line) of the open block
        self.para_kind = "paragraph"

    def add(self, kind: str, start: int, end: int, text: str) -> None:
        if not text:
            return
        last = self.out[-1] if self.out else None
        if (
            last is not None
            and kind == "paragraph" == last.kind
            and last.section == self.section
            and len(last.text) < MIN_PASSAGE_CHARS
            and len(last.text) + len(text) < MAX_PASSAGE_CHARS
        ):
            # Very short paragraphs (option lists, one-line notes) read better, rank better
            # and cost less to index together with their neighbour.
            self.out[-1] = Passage(
                last.n, kind, last.section, last.start, end, f"{last.text} {text}"
            )
            return
        self.out.append(Passage(len(self.out), kind, self.section, start, end, text))

    def heading(self, start: int, raw: str) -> None:
        self.flush()
        text = _clean_inline(raw)
        if text:
            self.section = text
            self.first_heading = self.first_heading or text
            self.add("heading", start, start + len(raw), text)

    def open_block(self, kind: str, offset: int, line: str) -> None:
        self.flush()
        self.para_kind = kind
        self.para = [(offset, line)]

    def at_boundary(self) -> bool:
        """Whether the open block is finished (a new line starts something new)."""
        return not self.para or self.para_kind == "item" or self.para[-1][1].endswith(_SENTENCE_END)

    def flush(self) -> None:
        if not self.para:
            return
        start = self.para[0][0]
        last_start, last_line = self.para[-1]
        end = last_start + len(last_line.rstrip())
        if self.para_kind == "paragraph" and len(self.para) == 1:
            for s, e, chunk in _split_long(start, end, self.text):
                self.add("paragraph", s, e, _clean_inline(chunk))
        else:
            self.add(self.para_kind, start, end, _clean_inline(" ".join(t for _, t in self.para)))
        self.para = []

    def feed(self, lines: list[tuple[int, str]]) -> None:
        heading_limit = _heading_limit(lines)
        for i, (offset, line) in enumerate(lines):
            stripped = line.strip()
            lead = len(line) - len(line.lstrip())
            if not stripped or is_boilerplate(stripped) or _RULE_RE.match(stripped):
                self.flush()
            elif stripped.startswith("|") or (stripped.count("|") >= 2 and "|" in stripped[:40]):
                self.flush()
                if not _TABLE_SEP_RE.match(stripped):
                    cells = [_clean_inline(c) for c in stripped.strip("|").split("|")]
                    end = offset + len(line.rstrip())
                    self.add("row", offset + lead, end, " · ".join(c for c in cells if c))
            elif (md := _MD_HEADING_RE.match(line)) is not None:
                self.heading(offset + md.start(2), md.group(2))
            elif (
                not self.out
                and not self.para
                and _opening_title(stripped, lines[i + 1][1].strip() if i + 1 < len(lines) else "")
            ):
                self.heading(offset + lead, stripped)  # ``3. Incorporer une grille`` too
            elif (bullet := _BULLET_RE.match(line)) is not None:
                self.open_block("item", offset + bullet.end(), line[bullet.end() :])
            elif self.para and self.para_kind == "item" and lead > 0:
                self.para.append((offset + lead, stripped))  # indented bullet continuation
            elif self.at_boundary() and _looks_like_heading(
                stripped,
                lines[i + 1][1].strip() if i + 1 < len(lines) else "",
                heading_limit,
                first=not self.out and not self.para,
            ):
                self.heading(offset + lead, stripped)
            elif self.at_boundary():
                self.open_block("paragraph", offset + lead, stripped)
            else:
                self.para.append((offset + lead, stripped))  # soft-wrapped paragraph line
        self.flush()


def split_passages(text: str) -> tuple[list[Passage], str]:
    """Passages of an article and its title.

    The title is the opening heading, else the first heading, else the first sentence.
    """
    splitter = _Splitter(text)
    splitter.feed(_lines(text))
    passages = splitter.out
    if passages and passages[0].kind == "heading":
        title = passages[0].text
    else:
        title = splitter.first_heading
    if not title and passages:
        title = _title_from_sentence(passages[0].text)
    return passages, title


def _title_from_sentence(text: str, limit: int = 90) -> str:
    sentence = re.split(r"(?<=[.!?…])\s", text, maxsplit=1)[0]
    if len(sentence) <= limit:
        return sentence.rstrip(".")
    cut = sentence[:limit].rsplit(" ", 1)[0].rstrip(",;: ")
    return cut + "…"


def _slug(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.casefold())
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return re.sub(r"[^a-z0-9]+", "-", folded).strip("-")[:40].strip("-") or "doc"


def doc_id_for(key: str) -> str:
    """Stable, readable id: the file name's slug plus a short hash of where it lives."""
    name = key.rsplit("/", 1)[-1].rsplit(os.sep, 1)[-1]
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return f"{_slug(stem)}-{hashlib.sha1(key.encode('utf-8', 'surrogateescape')).hexdigest()[:6]}"


def parse_document(source: SourceFile, data: bytes) -> Document:
    """A :class:`Document` from a file's bytes; raises :class:`SourceError` if nothing to index."""
    text = decode(data)
    passages, title = split_passages(text)
    if not passages:
        raise SourceError("no indexable text")
    return Document(
        doc_id=doc_id_for(source.key),
        path=str(source.path),
        title=title or source.path.stem,
        text=text,
        sha=content_hash(data),
        passages=tuple(passages),
    )
