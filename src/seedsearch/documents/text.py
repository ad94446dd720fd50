"""Plain text and Markdown: decoding, front matter, and cutting text into passages.

A passage is what search returns: a paragraph (or soft-wrapped lines), a bullet item, a
table row as readable text, or a heading. Each carries its character offsets in the
text and the heading of the section it falls under. Web boilerplate ("Rate this post",
"Partager sur vos réseaux !") never becomes a passage. The other formats' readers hand
their text to this splitter as Markdown-like lines.

Front matter is read with PyYAML's ``safe_load`` (no object construction, MIT licence).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from typing import Any

from ..errors import SourceError
from .model import MAX_PASSAGE_CHARS, MIN_PASSAGE_CHARS, Passage

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
    if line.isascii():  # decomposing leaves ASCII as it is
        folded = line.lower()
    else:
        folded = unicodedata.normalize("NFKD", line).encode("ascii", "ignore").decode().lower()
    folded = " ".join(_NON_WORD_RE.sub(" ", folded).split())
    return bool(folded) and _BOILERPLATE.match(folded) is not None


def _clean_inline(text: str) -> str:
    # Most text holds no link and no emphasis: the substitutions are skipped when the
    # characters they need are absent.
    if "[" in text:
        text = _MD_LINK_RE.sub(r"\1", text)
    if "`" in text or "**" in text or "__" in text:
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
    pages and man pages put a long title first (``pid_namespaces(7) — Présentation des
    espaces de noms …``)."""
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

    def __init__(self, text: str, plain_headings: bool = True, opening: bool = True) -> None:
        self.text = text
        self.plain_headings = plain_headings
        self.opening = opening  # the text's start (not a later block of a streamed file)
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
                self.plain_headings
                and self.opening
                and not self.out
                and not self.para
                and _opening_title(stripped, lines[i + 1][1].strip() if i + 1 < len(lines) else "")
            ):
                self.heading(offset + lead, stripped)  # ``3. Incorporer une grille`` too
            elif (bullet := _BULLET_RE.match(line)) is not None:
                self.open_block("item", offset + bullet.end(), line[bullet.end() :])
            elif self.para and self.para_kind == "item" and lead > 0:
                self.para.append((offset + lead, stripped))  # indented bullet continuation
            elif (
                self.plain_headings
                and self.at_boundary()
                and _looks_like_heading(
                    stripped,
                    lines[i + 1][1].strip() if i + 1 < len(lines) else "",
                    heading_limit,
                    first=self.opening and not self.out and not self.para,
                )
            ):
                self.heading(offset + lead, stripped)
            elif self.at_boundary():
                self.open_block("paragraph", offset + lead, stripped)
            else:
                self.para.append((offset + lead, stripped))  # soft-wrapped paragraph line
        self.flush()


def split_passages(
    text: str, plain_headings: bool = True, opening: bool = True
) -> tuple[list[Passage], str]:
    """Passages of an article and its title.

    The title is the opening heading, else the first heading, else the first sentence.
    Short lines are taken for headings unless ``plain_headings`` is false (text whose
    headings are all marked with ``#``, as the HTML and office readers write it).
    ``opening`` is false for a later block of an article (no opening title there).
    """
    splitter = _Splitter(text, plain_headings, opening)
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


_FRONT_MATTER_RE = re.compile(
    r"\A\ufeff?---[ \t]*\r?\n(.*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.S
)
MAX_FRONT_MATTER = 64 * 1024


def front_matter(text: str) -> tuple[dict[str, Any], str]:
    """The YAML front matter of a Markdown text (as a dict) and the text after it.

    A block that is not valid YAML, or not a mapping, is left in the text.
    """
    m = _FRONT_MATTER_RE.match(text[: MAX_FRONT_MATTER + 16])
    if m is None:
        return {}, text
    import yaml

    try:
        data = yaml.safe_load(m.group(1))
    except yaml.YAMLError:
        return {}, text
    if not isinstance(data, dict):
        return {}, text
    return {str(k).lower(): v for k, v in data.items()}, text[m.end() :]


def meta_text(value: Any) -> str:
    """A front matter value as one line of text (lists joined, nested values ignored)."""
    if isinstance(value, list | tuple):
        return ", ".join(meta_text(v) for v in value[:50] if not isinstance(v, dict | list))
    if value is None or isinstance(value, dict):
        return ""
    return " ".join(str(value).split())


def meta_tags(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        items: list[Any] = [t for t in re.split(r"[,;]", value)]
    elif isinstance(value, list | tuple):
        items = list(value[:100])
    else:
        return ()
    return tuple(t for t in (meta_text(i) for i in items) if t)
