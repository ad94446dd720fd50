"""Stage 2: French text analysis — the one chain used at index time and at query time.

Text → word-ish runs → elision → hyphen split (+ joined form) → Unicode/case/accent
folding → light stemming. Folding happens *before* stemming so that ``électricité`` and
``electricite`` reach the stemmer as the same string; the stemmer (after Savoy's UniNE
light stemmer, the design behind Lucene's FrenchLightStemmer) is written for folded input.

Stop words are indexed (they keep exact phrases exact) and dropped from bag-of-words
queries by the search stage, which asks :func:`is_stop_word`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

from whoosh.analysis import Token as WhooshToken
from whoosh.analysis import Tokenizer

# Bump when the tokens produced for a given text change: an index built with another
# version must be rebuilt, and the index stage refuses to mix them.
ANALYSIS_VERSION = 3

APOSTROPHES = "'\u2019\u02bc\u2018\u201b\u0060\u00b4\u2032\uff07"
# ASCII hyphen-minus, U+2010 hyphen, U+2011 non-breaking hyphen, U+2012 figure dash,
# U+2043 hyphen bullet, U+FE63 small hyphen, U+FF0D full-width hyphen.
HYPHENS = "-\u2010\u2011\u2012\u2043\ufe63\uff0d"
SOFT_HYPHEN = "\u00ad"

# Combining marks (the blocks Latin, Greek and Cyrillic text use). Accents typed or
# stored decomposed (NFD: ``e`` + U+0301, as macOS file names and some keyboards give)
# are marks, not letters: a word runs on through them, so ``énergie`` is one word
# whichever form it comes in, and its offsets stay those of the original text. fold()
# then drops them, as it drops the accents of composed letters.
COMBINING_MARKS = "\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
# A letter or digit run, with any combining marks after its letters.
_RUN = rf"[^\W_]+(?:[{COMBINING_MARKS}]+[^\W_]*)*"
# A run of letters/digits, possibly joined by apostrophes, hyphens or decimal marks, or by
# a slash between letters: ``entrer/quitter/dégrouper`` is read like a hyphenated word (its
# parts, plus the joined form); ``1/2`` and ``24/11/2026`` are not.
_JOINERS = re.escape(APOSTROPHES + HYPHENS + SOFT_HYPHEN)
_SLASH = r"(?<=[^\W\d_])/(?=[^\W\d_])"
_WORD_RE = re.compile(rf"{_RUN}(?:(?:[{_JOINERS}]|[.,](?=\d)|{_SLASH}){_RUN})*")
_APOS_RE = re.compile(f"[{re.escape(APOSTROPHES)}]")
_HYPHEN_RE = re.compile(f"[{re.escape(HYPHENS)}/]")
_NUMBER_RE = re.compile(r"\d+(?:[.,]\d+)*")

ELISIONS = frozenset(
    ["l", "d", "j", "m", "n", "s", "t", "c", "qu", "jusqu", "lorsqu", "puisqu", "quoiqu"]
)

# Letters that compatibility decomposition (NFKD) leaves alone but a French reader treats
# as plain Latin letters.
_LETTER_FOLDS = str.maketrans(
    {
        "œ": "oe",
        "Œ": "oe",
        "æ": "ae",
        "Æ": "ae",
        "ø": "o",
        "Ø": "o",
        "đ": "d",
        "Đ": "d",
        "ł": "l",
        "Ł": "l",
        "ı": "i",
        "þ": "th",
    }
)

# French stop words, folded (accents removed), after the lists shipped by Lucene and
# Snowball. Dropped from bag-of-words queries only.
STOP_WORDS = frozenset(
    """
    a ai aie aient aies ait alors as au aucun aucune aupres auquel aura aurai auraient
    aurais aurait auras aurez auriez aurions aurons auront aussi autre autres aux auxquelles
    auxquels avaient avais avait avant avec avez aviez avions avoir avons ayant ayez ayons c
    ca ce ceci cela celle celles celui cependant certain certaine certaines certains ces cet
    cette ceux chacun chacune chaque chez ci comme comment d dans de dela depuis des
    desquelles desquels dessus dont du duquel durant elle elles en encore entre es est et
    etaient etais etait etant etc ete etes etiez etions etre eu eue eues eumes eurent eus
    eusse eussent eusses eussiez eussions eut eutes eux furent fus fusse fussent fusses
    fussiez fussions fut futes ici il ils j je jusqu jusque l la laquelle le lequel les
    lesquelles lesquels leur leurs lors lorsqu lorsque lui m ma mais me meme memes mes moi
    mon n ne ni nos notre nous on ont ou par parce pas pendant peu peut plus pour pourquoi
    puisqu puisque qu quand que quel quelle quelles quels qui quoi s sa sans se selon sera
    serai seraient serais serait seras serez seriez serions serons seront ses si sien sienne
    siennes siens soi soient sois soit sommes son sont sous soyez soyons suis sur t ta te
    tes toi ton tous tout toute toutes tres tu un une unes uns vers voici voila vos votre
    vous y
    """.split()  # noqa: SIM905
)


@dataclass(frozen=True, slots=True)
class Token:
    """One indexed term with where it came from.

    ``pos`` counts words; ``start``/``end`` are character offsets in the analysed text.
    ``joined`` marks the extra concatenated form of a hyphenated word (``offtaker`` for
    ``off‑taker``), which shares the position of the word's first part.
    """

    text: str
    pos: int
    start: int
    end: int
    folded: str
    joined: bool = False


def fold(text: str) -> str:
    """Case, accent, ligature and compatibility folding: ``CŒUR`` → ``coeur``, ``CO₂`` → ``co2``."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.translate(_LETTER_FOLDS))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.casefold()


def _undouble(word: str) -> str:
    out = [word[0]]
    for ch in word[1:]:
        if ch != out[-1] or not ch.isalpha():
            out.append(ch)
    return "".join(out)


def _norm(word: str) -> str:
    """Final normalisation of the light stemmer: doubled letters and weak endings."""
    if len(word) > 4:
        word = _undouble(word)
    if len(word) > 4 and word.endswith("ie"):
        word = word[:-2]
    if len(word) > 4:
        if word.endswith("r"):
            word = word[:-1]
        if word.endswith("e"):
            word = word[:-1]
        if word.endswith("e"):
            word = word[:-1]
        if len(word) > 1 and word[-1] == word[-2] and word[-1].isalpha():
            word = word[:-1]
    return word


# (suffix, minimum word length, replacement) tried in order on the folded, de-pluralised
# word; the first that applies ends the suffix step. Replacements rebuild the base the
# other forms of the word share (ateur → er: supercalculateur ~ supercalculer).
_SUFFIX_RULES: tuple[tuple[str, int, str], ...] = (
    ("issement", 10, "ir"),
    ("issant", 9, "ir"),
    ("ivement", 8, "if"),
    ("ement", 7, "e"),
    ("ficatrice", 12, "fier"),
    ("ficateur", 11, "fier"),
    ("catrice", 10, "quer"),
    ("cateur", 9, "quer"),
    ("atrice", 9, "er"),
    ("ateur", 8, "er"),
    ("trice", 7, "teur"),
    ("ieme", 6, ""),
    ("teuse", 8, "ter"),
    ("teur", 7, "ter"),
    ("euse", 6, "eu"),
    ("ere", 9, "er"),
    ("ive", 8, "if"),
    ("folle", 5, "fou"),
    ("molle", 5, "mou"),
    ("nnelle", 10, "n"),
    ("nnel", 10, "n"),
    ("ique", 9, ""),
    ("esse", 9, "e"),
    ("inage", 8, "in"),
    ("isation", 10, ""),
    ("isateur", 10, ""),
    ("ation", 9, ""),
    ("ition", 9, ""),
    # Derived adjectives share the noun's base: réglementaire ~ réglementation ~
    # réglement, complémentaire ~ complément, budgétaire ~ budget.
    ("aire", 9, ""),
)


def stem(word: str) -> str:
    """Light French stemming of a *folded* word: plural, gender and common suffixes.

    Short words (names such as ``mara``, ``data``) are left alone: every rule needs a
    minimum length, so only long, clearly inflected endings are removed.
    """
    if len(word) > 5 and word.endswith("x"):
        # chevaux → cheval, but bureaux → bureau
        word = word[:-2] + "l" if word.endswith("aux") and word[-4] != "e" else word[:-1]
    elif len(word) > 3 and word.endswith("x"):
        word = word[:-1]
    if len(word) > 3 and word.endswith("s"):
        word = word[:-1]
    for suffix, min_len, replacement in _SUFFIX_RULES:
        if len(word) >= min_len and word.endswith(suffix):
            return _norm(word[: len(word) - len(suffix)] + replacement)
    return _norm(word)


# Suffixes that derive a noun or a verb form from a shared base, stripped (longest first)
# to find a word's derivational family: affichage ~ afficher, réinitialisation ~
# réinitialiser, création ~ créer. Broader than the light stemmer on purpose: family
# members only add to a match, at a lower weight (see ranking.FAMILY_WEIGHT).
_FAMILY_SUFFIXES = tuple(
    sorted(
        (
            "issement", "issage", "ement", "ation", "ition", "ution", "tion", "age",
            "ure", "euse", "eur", "ees", "ee", "ent", "ant", "er", "ir",
            "es", "e", "s",
        ),
        key=len,
        reverse=True,
    )
)  # fmt: skip


def family_key(folded: str) -> str:
    """The base a folded word shares with its derivational family (``""`` for words too
    short, or with digits, to have one)."""
    if len(folded) < 5 or not folded.isalpha():
        return ""
    for suffix in _FAMILY_SUFFIXES:
        if folded.endswith(suffix) and len(folded) - len(suffix) >= 3:
            folded = folded[: -len(suffix)]
            break
    return folded[:-2] + "c" if folded.endswith("qu") else folded  # appliquer ~ application


def normalise_word(raw: str) -> str:
    """Folded form of one word part with non-alphanumerics dropped (``CO₂`` → ``co2``)."""
    folded = fold(raw)
    if not folded.isalnum():
        if _NUMBER_RE.fullmatch(folded):
            return folded.replace(",", ".")  # 3,5 and 3.5 are the same number
        folded = "".join(ch for ch in folded if ch.isalnum())
    return folded


def term_for(folded: str) -> str:
    """The indexed term for a folded word: numbers and codes as they are, words stemmed."""
    if not folded or any(ch.isdigit() for ch in folded):
        return folded
    return stem(folded)


def is_stop_word(folded: str) -> bool:
    return folded in STOP_WORDS


# Analysed words repeat a lot (Zipf), so the per-word work is cached. Entries are
# (term, relative start, relative end, folded, joined, position increment).
_Piece = tuple[str, int, int, str, bool, int]
_CACHE: dict[str, tuple[_Piece, ...]] = {}
_CACHE_LIMIT = 200_000


def _analyse_word(raw: str) -> tuple[_Piece, ...]:
    base = 0
    word = raw.replace(SOFT_HYPHEN, "") if SOFT_HYPHEN in raw else raw
    shift = 0
    if SOFT_HYPHEN in raw:
        # Offsets inside a word with soft hyphens are approximate; whole-word spans stay right.
        shift = len(raw) - len(word)
    # Elision: l’IA → IA, qu’aujourd’hui → aujourd’hui. Other inner apostrophes join.
    match = _APOS_RE.search(word)
    if match is not None:
        head = fold(word[: match.start()])
        if head in ELISIONS and match.end() < len(word):
            base = match.end()
            word = word[match.end() :]
        word = _APOS_RE.sub("", word)
    pieces: list[_Piece] = []
    parts: list[tuple[str, int, int]] = []
    offset = base
    for part in _HYPHEN_RE.split(word):
        if part:
            parts.append((part, offset, offset + len(part)))
        offset += len(part) + 1
    if not parts:
        return ()
    end_all = len(raw) if shift else parts[-1][2]
    for i, (part, start, end) in enumerate(parts):
        folded = normalise_word(part)
        if folded:
            pieces.append(
                (
                    term_for(folded),
                    start,
                    end + (shift if i == len(parts) - 1 else 0),
                    folded,
                    False,
                    1,
                )
            )
    if len(pieces) > 1:
        joined = "".join(p[3] for p in pieces)
        pieces.insert(1, (term_for(joined), pieces[0][1], end_all, joined, True, 0))
    return tuple(pieces)


def _pieces(raw: str) -> tuple[_Piece, ...]:
    cached = _CACHE.get(raw)
    if cached is None:
        if len(_CACHE) >= _CACHE_LIMIT:
            _CACHE.clear()
        cached = _CACHE[raw] = _analyse_word(raw)
    return cached


def analyse(text: str) -> Iterator[Token]:
    """Every token of ``text``, with word positions and character offsets."""
    pos = -1
    for match in _WORD_RE.finditer(text):
        origin = match.start()
        for term, start, end, folded, joined, increment in _pieces(match.group()):
            pos += increment
            yield Token(term, pos, origin + start, origin + end, folded, joined)


def add_positions(text: str, base: int, positions: dict[str, list[int]], words: set[str]) -> int:
    """Index-time fast path of :func:`analyse`: append each term's positions (counted from
    ``base``) to ``positions`` and the folded words to ``words``; return the next free
    position. Same terms and positions as :func:`analyse`, without building tokens."""
    pos = base - 1
    cached = _CACHE.get
    for word in _WORD_RE.findall(text):
        pieces = cached(word)
        if pieces is None:
            pieces = _pieces(word)
        for term, _start, _end, folded, joined, increment in pieces:
            pos += increment
            found = positions.get(term)
            if found is None:
                positions[term] = [pos]
            else:
                found.append(pos)
            if not joined:
                words.add(folded)
    return pos + 1


def spans_of_terms(text: str, wanted: frozenset[str] | set[str]) -> list[tuple[int, int]]:
    """Character spans of the tokens of ``text`` whose term is in ``wanted`` (the fast path
    of highlighting: no tokens are built for the words that do not match)."""
    found = []
    for match in _WORD_RE.finditer(text):
        origin = match.start()
        for term, start, end, _folded, _joined, _increment in _pieces(match.group()):
            if term in wanted:
                found.append((origin + start, origin + end))
    return found


def spans_at(text: str, positions: set[int], terms: frozenset[str]) -> list[tuple[int, int]]:
    """Character spans of the tokens of ``text`` at the given word positions (counted as
    :func:`analyse` counts them); a hyphenated word's joined form counts when its term is
    in ``terms``. Stops reading after the last position."""
    if not positions:
        return []
    last = max(positions)
    found = []
    pos = -1
    for match in _WORD_RE.finditer(text):
        word = match.group()
        if word.isalnum():  # no apostrophe, hyphen or decimal mark: one token
            pos += 1
            if pos in positions:
                found.append(match.span())
            elif pos > last:
                break
            continue
        origin = match.start()
        for term, start, end, _folded, joined, increment in _pieces(word):
            pos += increment
            if pos in positions and (not joined or term in terms):
                found.append((origin + start, origin + end))
        if pos >= last:
            break
    return found


def terms(text: str) -> list[str]:
    """The indexed terms of ``text`` in order (joined forms included)."""
    return [tok.text for tok in analyse(text)]


def words(text: str) -> list[str]:
    """The folded, unstemmed words of ``text`` (joined forms excluded)."""
    return [tok.folded for tok in analyse(text) if not tok.joined]


def is_number(folded: str) -> bool:
    return _NUMBER_RE.fullmatch(folded) is not None


# --- Whoosh adapters -------------------------------------------------------------------
# Whoosh pickles analyzers into the index's schema by class name, so these stay
# module-level classes with no state beyond the class itself.


class FrenchTokenizer(Tokenizer):  # type: ignore[misc]
    """The whole chain as one Whoosh tokenizer: the title's analyzer, and the body's for text
    that does not come already analysed."""

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __hash__(self) -> int:
        return hash(type(self).__name__)

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: object,
    ) -> Iterator[WhooshToken]:
        t = WhooshToken(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for tok in analyse(value):
            t.text = tok.text
            t.boost = 1.0
            t.stopped = False
            if keeporiginal:
                t.original = value[tok.start : tok.end]
            if positions:
                t.pos = start_pos + tok.pos
            if chars:
                t.startchar = start_char + tok.start
                t.endchar = start_char + tok.end
            yield t


class Prepared(str):
    """A field value whose postings were computed beforehand (in a worker process).

    ``postings`` holds Whoosh's ``(term bytes, frequency, weight, encoded value)`` tuples.
    """

    postings: list[tuple[bytes, int, float, bytes]]

    def __new__(cls, postings: list[tuple[bytes, int, float, bytes]]) -> Prepared:
        obj = super().__new__(cls, "")
        obj.postings = postings
        return obj
