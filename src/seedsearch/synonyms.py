"""Synonyms, applied at query time: a French/English list for tech and business news ships
with the package; users add their own in a file named by ``--synonyms`` or kept in the
index folder as ``synonyms.txt``. Editing a file needs no re-index: each search reloads
the files whose size or modification time changed.

The format is Solr's and Elasticsearch's: ``a, b, c`` makes the terms equivalent (each
finds the others); ``a, b => c, d`` makes ``a`` and ``b`` also search ``c`` and ``d``
(the query keeps its own words as well). Lines starting with ``#`` and blank lines are
skipped; backslash escapes are not supported. Entries of several words match as phrases.

An entry written in capitals (``IA``, ``PDG``) is an acronym. The index folds case, so an
acronym is matched on its letters; it expands when typed in capitals, or in lower case
unless the lower-case form is a French stop word (``AI`` expands, ``ai`` — the verb — does
not). For the same reason an acronym that folds to a stop word is never searched *for*.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from .analysis import analyse, fold, is_stop_word
from .errors import SynonymsError
from .query import Node, Word, is_stop

FILE_NAME = "synonyms.txt"  # the user's list, kept in the index folder
MAX_FILE_BYTES = 4 * 1024 * 1024
MAX_WORDS = 8  # words in one entry
MAX_LINE_CHARS = 4000


@dataclass(frozen=True)
class Entry:
    text: str  # as written in the file
    stems: tuple[str, ...]  # its indexed terms, in order (what is searched)
    words: tuple[str, ...]  # its words as looked up (see :func:`key`)
    acronym: bool


@dataclass
class Synonyms:
    """Which entries each word or phrase also searches, keyed by its terms."""

    rules: dict[tuple[str, ...], list[tuple[Entry, Entry]]] = field(default_factory=dict)
    longest: int = 0  # words in the longest key

    def add(self, source: Entry, target: Entry) -> None:
        if source.words == target.words or source.stems == target.stems:
            return
        if target.acronym and is_stop_word(fold(target.text)):
            return  # "AI" would find every "j'ai": the index has no case
        pairs = self.rules.setdefault(source.words, [])
        if all(t.stems != target.stems for _, t in pairs):
            pairs.append((source, target))
            self.longest = max(self.longest, len(source.words))

    def merge(self, other: Synonyms) -> None:
        for pairs in other.rules.values():
            for source, target in pairs:
                self.add(source, target)

    def lookup(self, typed: str) -> list[Entry]:
        """What ``typed`` (a word or words, as the user wrote them) also searches."""
        found: list[Entry] = []
        for source, target in self.rules.get(key(typed), ()):
            if source.acronym and not (typed.isupper() or not is_stop_word(fold(typed))):
                continue
            if all(f.stems != target.stems for f in found):
                found.append(target)
        return found

    def __len__(self) -> int:
        return sum(len(p) for p in self.rules.values())


def key(text: str) -> tuple[str, ...]:
    """The words an entry is looked up by: folded, without a plural's final s or x. Not
    stems: stemming joins words synonyms must keep apart (navigation, navigateur)."""
    return tuple(_singular(t.folded) for t in analyse(text) if not t.joined)


def _singular(word: str) -> str:
    return word[:-1] if len(word) > 3 and word[-1] in "sx" and word[-2] != "s" else word


def _entry(text: str, where: str) -> Entry:
    text = text.strip()
    if not text:
        raise SynonymsError(f"{where}: empty entry (two commas in a row, or a comma at an end)")
    tokens = [t for t in analyse(text) if not t.joined]  # analysed once: stems and key
    stems = tuple(t.text for t in tokens)
    if not stems:
        raise SynonymsError(f"{where}: {text!r} holds no word")
    if len(stems) > MAX_WORDS:
        raise SynonymsError(f"{where}: {text!r} has more than {MAX_WORDS} words")
    letters = text.replace("&", "")
    acronym = len(stems) == 1 and letters.isalnum() and letters.isupper()
    return Entry(text, stems, tuple(_singular(t.folded) for t in tokens), acronym)


def parse(text: str, source: str = "synonyms") -> Synonyms:
    """The rules of a synonyms file; :class:`SynonymsError` names the first bad line."""
    rules = Synonyms()
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        where = f"{source}, line {n}"
        if len(line) > MAX_LINE_CHARS:
            raise SynonymsError(f"{where}: line longer than {MAX_LINE_CHARS} characters")
        sides = line.split("=>")
        if len(sides) > 2:
            raise SynonymsError(f"{where}: more than one '=>'")
        if len(sides) == 2:
            left = [_entry(t, where) for t in sides[0].split(",")]
            right = [_entry(t, where) for t in sides[1].split(",")]
            for a in left:
                for b in right:
                    rules.add(a, b)
        else:
            group = [_entry(t, where) for t in line.split(",")]
            for a in group:
                for b in group:
                    rules.add(a, b)
    return rules


def read(path: str | os.PathLike[str]) -> Synonyms:
    name = os.fspath(path)
    try:
        size = os.path.getsize(name)
        if size > MAX_FILE_BYTES:
            raise SynonymsError(f"{name}: larger than {MAX_FILE_BYTES // 1024 // 1024} MB")
        with open(name, "rb") as f:
            data = f.read()
    except OSError as exc:
        raise SynonymsError(f"cannot read the synonyms file {name}: {exc.strerror}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SynonymsError(f"{name}, line {line}: not UTF-8 text") from None
    return parse(text, name)


_BUILTIN: Synonyms | None = None
# Loaded lists by (path, size, mtime): a file edited since is read again.
_CACHE: dict[tuple[str, ...], tuple[tuple[object, ...], Synonyms]] = {}


def builtin() -> Synonyms:
    global _BUILTIN
    if _BUILTIN is None:
        # Read beside this module: importlib.resources would load zipfile and tempfile
        # in every search for the same path.
        text = (Path(__file__).parent / "data" / FILE_NAME).read_text(encoding="utf-8")
        _BUILTIN = parse(text, "built-in synonyms")
    return _BUILTIN


def _signature(path: Path) -> tuple[object, ...]:
    try:
        st = path.stat()
    except OSError:
        return (str(path), None)
    return (str(path), st.st_size, st.st_mtime_ns)


def for_index(index_dir: str | os.PathLike[str], extra: str | None = None) -> Synonyms:
    """The built-in list, plus the index folder's ``synonyms.txt`` and ``extra`` if given
    (``extra`` must exist; the folder's file may not)."""
    paths = [Path(index_dir) / FILE_NAME]
    if extra is not None:
        if not os.path.isfile(extra):
            raise SynonymsError(f"no synonyms file at {extra}")
        paths.append(Path(extra))
    cache_key = tuple(str(p) for p in paths)
    signature = tuple(_signature(p) for p in paths)
    cached = _CACHE.get(cache_key)
    if cached is not None and cached[0] == signature:
        return cached[1]
    merged = Synonyms()
    merged.merge(builtin())
    for path, sig in zip(paths, signature, strict=True):
        if sig[1] is not None and path.is_file():
            merged.merge(read(path))
    _CACHE[cache_key] = (signature, merged)
    return merged


def find_runs(
    children: list[Node], synonyms: Synonyms
) -> tuple[list[Node], list[tuple[list[Word], list[Entry]]]]:
    """The children of an AND without its runs of plain words that are an entry of several
    words (``data center``), and those runs with their synonyms. A lone acronym that is
    also a stop word (``AI``) is a run too: the AND would drop it."""
    kept: list[Node] = []
    found: list[tuple[list[Word], list[Entry]]] = []
    i = 0
    while i < len(children):
        for n in range(min(synonyms.longest, len(children) - i), 0, -1):
            run = children[i : i + n]
            if not all(_plain(c) for c in run) or (n == 1 and not is_stop(run[0])):
                continue
            words = [c for c in run if isinstance(c, Word)]
            targets = synonyms.lookup(" ".join(w.text for w in words))
            if targets:
                found.append((words, targets))
                i += n
                break
        else:
            kept.append(children[i])
            i += 1
    return kept, found


def _plain(node: Node) -> bool:
    return isinstance(node, Word) and node.field is None and not node.prefix and node.fuzzy is None
