from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from seedsearch.analysis import (
    add_positions,
    analyse,
    fold,
    is_stop_word,
    spans_at,
    spans_of_terms,
    stem,
    terms,
    words,
)


def plain_terms(text: str) -> list[str]:
    """Terms without the joined forms of hyphenated words."""
    return [t.text for t in analyse(text) if not t.joined]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # elision, with every apostrophe the articles use
        ("l’IA", ["ia"]),
        ("l'IA", ["ia"]),
        ("lʼIA", ["ia"]),
        ("d’Exaion", ["exaion"]),
        ("qu’aujourd’hui", ["aujourdhui"]),
        ("jusqu’au", ["au"]),
        ("s’inscrit", ["inscrit"]),
        # Unicode: NFKC compatibility forms and ligatures
        ("CO₂", ["co2"]),
        ("cœur", ["coeu"]),
        ("coeur", ["coeu"]),
        ("Ｅｘａｉｏｎ", ["exaion"]),
        ("ﬁnance", ["financ"]),
        # case and accent folding, both ways
        ("énergie", ["energ"]),
        ("energie", ["energ"]),
        ("ÉNERGIE", ["energ"]),
        ("Électricité", ["electricit"]),
        ("electricite", ["electricit"]),
        # light stemming: plural, gender, common suffixes — names left alone
        ("supercalculateurs", ["supercalcul"]),
        ("supercalculateur", ["supercalcul"]),
        ("hyperscalers", ["hyperscal"]),
        ("hyperscaler", ["hyperscal"]),
        ("centres", ["centr"]),
        ("centre", ["centr"]),
        ("européenne", ["europen"]),
        ("européen", ["europen"]),
        ("réglementation", ["reglement"]),
        ("réglementaire", ["reglement"]),
        ("chevaux", ["cheval"]),
        ("Mara", ["mara"]),
        ("data", ["data"]),
        ("EDF", ["edf"]),
        # numbers are searchable and never stemmed
        ("64%", ["64"]),
        ("168", ["168"]),
        ("2020", ["2020"]),
        ("3,5", ["3.5"]),
        ("3.5", ["3.5"]),
        # emoji and markup are not words
        ("🚀 Capital", ["capital"]),
        ("| Mara |", ["mara"]),
    ],
)
def test_word_gives_tokens(text: str, expected: list[str]) -> None:
    assert plain_terms(text) == expected


@pytest.mark.parametrize(
    "text", ["infrastructure‑first", "infrastructure‐first", "infrastructure-first"]
)
def test_every_hyphen_splits_into_parts_plus_joined_form(text: str) -> None:
    toks = list(analyse(text))
    assert [(t.text, t.pos, t.joined) for t in toks] == [
        ("infrastructur", 0, False),
        ("infrastructurefirst", 0, True),
        ("first", 1, False),
    ]


def test_a_slash_between_words_splits_like_a_hyphen() -> None:
    toks = list(analyse("entrer/quitter/dégrouper"))
    assert [(t.text, t.pos, t.joined) for t in toks] == [
        ("entr", 0, False),
        ("entrerquiterdegroup", 0, True),
        ("quit", 1, False),
        ("degroup", 2, False),
    ]
    assert (toks[-1].start, toks[-1].end) == (15, 24)


@pytest.mark.parametrize(
    ("text", "expected"), [("1/2", ["1", "2"]), ("24/11/2026", ["24", "11", "2026"])]
)
def test_a_slash_between_numbers_joins_nothing(text: str, expected: list[str]) -> None:
    assert [t.text for t in analyse(text)] == expected


def test_hyphenated_and_spaced_forms_share_terms() -> None:
    assert set(plain_terms("infrastructure first")) == set(plain_terms("infrastructure‑first"))
    # the joined form lets "offtake" meet "off‑taker"
    assert terms("offtake")[0] in terms("off‑taker")
    assert terms("gigacampus")[0] in terms("giga‑campus")


def test_offsets_point_at_the_original_word() -> None:
    text = "Au cœur de l’IA, les CO₂ — giga‑campus."
    spans = {t.text: text[t.start : t.end] for t in analyse(text)}
    assert spans["coeu"] == "cœur"
    assert spans["ia"] == "IA"
    assert spans["co2"] == "CO₂"
    assert spans["gigacampu"] == "giga‑campus"


def test_fold_is_idempotent_and_stem_sees_the_same_input() -> None:
    for word in ["Électricité", "électricité", "ELECTRICITE", "electricite"]:
        assert fold(word) == "electricite"
        assert stem(fold(word)) == "electricit"


def test_positions_count_words_not_joined_forms() -> None:
    toks = [t for t in analyse("le modèle infrastructure‑first est là") if not t.joined]
    assert [t.pos for t in toks] == [0, 1, 2, 3, 4, 5]


@pytest.mark.parametrize("word", ["les", "de", "des", "la", "et", "à", "été"])
def test_french_stop_words(word: str) -> None:
    assert is_stop_word(fold(word))


@pytest.mark.parametrize("word", ["mara", "data", "minage", "ia"])
def test_content_words_are_not_stop_words(word: str) -> None:
    assert not is_stop_word(word)


def test_words_are_folded_but_not_stemmed() -> None:
    assert words("Les Supercalculateurs d’EDF") == ["les", "supercalculateurs", "edf"]


@given(st.text())
def test_any_text_analyses_with_sane_tokens(text: str) -> None:
    last = -1
    for tok in analyse(text):
        assert tok.text
        assert 0 <= tok.start < tok.end <= len(text)
        assert tok.pos >= last
        last = tok.pos


FRENCH_LETTERS = "abcdefghijklmnopqrstuvwxyzéèêëàâäçôöûùüîïœæÿ"


@given(st.text(alphabet=FRENCH_LETTERS + FRENCH_LETTERS.upper(), min_size=1, max_size=30))
def test_accented_and_plain_spellings_give_the_same_terms(word: str) -> None:
    assert terms(word) == terms(fold(word))


@given(st.text(), st.data())
def test_positions_and_spans_agree_with_the_analyser(text: str, data: st.DataObject) -> None:
    tokens = list(analyse(text))
    positions: dict[str, list[int]] = {}
    found_words: set[str] = set()
    end = add_positions(text, 5, positions, found_words)
    assert positions == {
        t: [tok.pos + 5 for tok in tokens if tok.text == t] for t in {tok.text for tok in tokens}
    }
    assert found_words == {tok.folded for tok in tokens if not tok.joined}
    assert end == 5 + (tokens[-1].pos + 1 if tokens else 0)
    plain = [tok for tok in tokens if not tok.joined]
    wanted = set(
        data.draw(st.lists(st.sampled_from([t.pos for t in plain]) if plain else st.nothing()))
    )
    expected = sorted({(t.start, t.end) for t in plain if t.pos in wanted})
    assert sorted(set(spans_at(text, wanted, frozenset()))) == expected


# --- decomposed accents (NFD) ------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "énergie",
        "Électricité",
        "l’énergie des données",
        "éco‑quartier",
        "garçon naïf à Noël",
        "Ça coûte 3,5 €",
        "ÉNERGIE",
    ],
)
def test_decomposed_and_composed_accents_give_the_same_terms(text: str) -> None:
    decomposed = unicodedata.normalize("NFD", text)
    assert decomposed != text
    assert terms(decomposed) == terms(text)
    assert words(decomposed) == words(text)


def test_offsets_of_a_decomposed_text_index_into_the_original() -> None:
    text = unicodedata.normalize("NFD", "Le coût de l’énergie élevée.")
    spans = {t.text: text[t.start : t.end] for t in analyse(text)}
    assert spans["energ"] == unicodedata.normalize("NFD", "énergie")
    assert spans["cout"] == unicodedata.normalize("NFD", "coût")
    assert spans_of_terms(text, {"energ"}) == [
        (text.index("e\u0301nergie"), text.index(" e\u0301leve"))
    ]


@given(st.text(alphabet=FRENCH_LETTERS + FRENCH_LETTERS.upper() + " -’", max_size=40))
def test_any_french_text_analyses_the_same_in_nfd(text: str) -> None:
    assert terms(unicodedata.normalize("NFD", text)) == terms(text)
