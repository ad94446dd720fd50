"""The index-time fast paths give exactly what their straightforward forms give."""

from __future__ import annotations

import heapq
import unicodedata
import zlib
from array import array

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seedsearch import analysis, collapse
from seedsearch.documents import build
from seedsearch.documents import text as text_module
from seedsearch.postings import encode_positions
from seedsearch.prepare import _encode_positions

# Text with the characters the fast paths treat apart: spaces of several kinds, hyphens,
# apostrophes, soft hyphens, decimal marks, slashes, combining accents, capitals.
_ALPHABET = st.sampled_from(
    list("abcdeéèàçœÉAZ019 \t\n\u00a0\u2003-\u2011'\u2019\u00ad.,/_|#*[]()`\u0301ıİß")
)
TEXTS = st.text(_ALPHABET, max_size=300) | st.text(max_size=200)


def _sketch_reference(text: str) -> bytes:
    words = text.casefold().split()
    size = collapse.SHINGLE
    hashes = {
        zlib.crc32(" ".join(words[i : i + size]).encode("utf-8", "surrogatepass"))
        for i in range(max(0, len(words) - size + 1))
    }
    return array("I", sorted(heapq.nsmallest(collapse.SKETCH_SIZE, hashes))).tobytes()


def _positions_reference(
    text: str, base: int, positions: dict[str, list[int]], words: set[str]
) -> int:
    pos = base - 1
    for token in analysis.analyse(text):
        pos = base + token.pos
        positions.setdefault(token.text, []).append(pos)
        if not token.joined:
            words.add(token.folded)
    return pos + 1


@settings(max_examples=300, deadline=None)
@given(TEXTS)
def test_sketch_is_the_bottom_k_of_its_trigram_hashes(text: str) -> None:
    assert collapse.sketch(text) == _sketch_reference(text)


def test_sketch_of_a_long_text_keeps_the_smallest_hashes_only() -> None:
    text = " ".join(f"mot{i} Été-{i % 7} l’arbre" for i in range(2000))
    assert collapse.sketch(text) == _sketch_reference(text)
    assert len(collapse.sketch(text)) == 4 * collapse.SKETCH_SIZE


@pytest.mark.parametrize("text", ["", "un", "un deux", "un\ud800 deux trois"])
def test_sketch_of_short_or_odd_texts(text: str) -> None:
    assert collapse.sketch(text) == _sketch_reference(text)


@settings(max_examples=300, deadline=None)
@given(st.lists(TEXTS, min_size=1, max_size=4), st.integers(0, 1000))
def test_add_positions_matches_the_tokens_of_analyse(texts: list[str], base: int) -> None:
    fast: dict[str, list[int]] = {}
    slow: dict[str, list[int]] = {}
    fast_words: set[str] = set()
    slow_words: set[str] = set()
    fast_next = slow_next = base
    for text in texts:  # passages one after another, into the same tables
        fast_next = analysis.add_positions(text, fast_next, fast, fast_words)
        slow_next = _positions_reference(text, slow_next, slow, slow_words)
    assert fast_next == slow_next
    assert list(fast.items()) == list(slow.items())  # the same terms in the same order
    assert fast_words == slow_words


def test_add_positions_survives_the_word_cache_being_cleared(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(analysis, "_CACHE_LIMIT", 3)
    text = "l’été porte-monnaie chat chien oiseau 3,5 chat porte-monnaie l’été " * 3
    fast: dict[str, list[int]] = {}
    slow: dict[str, list[int]] = {}
    fast_words: set[str] = set()
    slow_words: set[str] = set()
    assert analysis.add_positions(text, 7, fast, fast_words) == _positions_reference(
        text, 7, slow, slow_words
    )
    assert list(fast.items()) == list(slow.items())
    assert fast_words == slow_words


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 1 << 20), min_size=2, max_size=60, unique=True))
def test_positions_encode_as_the_postings_codec_encodes_them(positions: list[int]) -> None:
    positions.sort()
    assert _encode_positions(positions) == encode_positions(positions)


@pytest.mark.parametrize(
    "positions", [[0, 255], [0, 256], [255, 300], [1, 65535], [1, 65536], [70000, 70001]]
)
def test_positions_at_the_width_boundaries_encode_alike(positions: list[int]) -> None:
    assert _encode_positions(positions) == encode_positions(positions)


def _clean_inline_reference(text: str) -> str:
    text = text_module._MD_LINK_RE.sub(r"\1", text)
    text = text_module._MD_EMPHASIS_RE.sub("", text)
    return " ".join(text.split())


def _is_boilerplate_reference(line: str) -> bool:
    if len(line) > 120:
        return False
    folded = unicodedata.normalize("NFKD", line).encode("ascii", "ignore").decode().lower()
    folded = " ".join(text_module._NON_WORD_RE.sub(" ", folded).split())
    return bool(folded) and text_module._BOILERPLATE.match(folded) is not None


def _date_in_text_reference(text: str, year: int) -> str:
    head = text[: build._DATE_LOOKAHEAD]
    found = []
    if (m := build._FR_LONG_RE.search(head)) is not None:
        found.append((m.start(), build._iso(int(m[3]), build._MONTHS[m[2].lower()], int(m[1]))))
    if (m := build._FR_SHORT_RE.search(head)) is not None:
        found.append((m.start(), build._iso(int(m[3]), int(m[2]), int(m[1]))))
    if year and (m := build._FR_NO_YEAR_RE.search(head)) is not None:
        found.append((m.start(), build._iso(year, build._MONTHS[m[2].lower()], int(m[1]))))
    found = [f for f in found if f[1]]
    return min(found)[1] if found else ""


_MARKUP = st.text(st.sampled_from(list("ab é[]()!*_`  \t")), max_size=60)
_LINES = st.sampled_from(
    ["Partager sur vos réseaux !", "RATE THIS POST", "12 commentaires", "Lire aussi : la suite",
     "Ｐartager", "ﬁn", "E-mail", "Voir aussi", "Abonnez-vous à la newsletter", "Le chat dort."]
)  # fmt: skip
_DATES = st.sampled_from(
    ["le 1er mars 2024", "lundi 3 MARS", "24/11/2026", "31/02/2026", "12 Décembre 1999", "x/y"]
)


@settings(max_examples=300, deadline=None)
@given(TEXTS | _MARKUP)
def test_inline_cleaning_matches_the_plain_substitutions(text: str) -> None:
    assert text_module._clean_inline(text) == _clean_inline_reference(text)


@settings(max_examples=300, deadline=None)
@given(_LINES | TEXTS, st.sampled_from(["", " ", "»", "!"]))
def test_boilerplate_test_matches_the_folded_pattern(line: str, tail: str) -> None:
    assert text_module.is_boilerplate(line + tail) == _is_boilerplate_reference(line + tail)


@settings(max_examples=300, deadline=None)
@given(st.lists(_DATES | TEXTS, max_size=4), st.sampled_from([0, 2026]))
def test_date_in_text_matches_the_three_searches(pieces: list[str], year: int) -> None:
    text = " ".join(pieces)
    assert build.date_in_text(text, year) == _date_in_text_reference(text, year)
