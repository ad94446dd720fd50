"""Exact phrases matched from the postings of the documents holding every word."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seedsearch.analysis import analyse
from seedsearch.index import update_index
from seedsearch.phrases import ExactPhrase, phrase_matches
from seedsearch.store import Index

WORDS = [
    "le",
    "la",
    "de",
    "son",
    "cœur",
    "énergie",
    "centre",
    "données",
    "il",
    "y",
    "a",
    "en",
    "cas",
    "mode",
    "emploi",
    "réseau",
]


def _article(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 400))) + "."


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Index]:
    """Articles drawn from a few words (stop words included), in two segments, one with a
    deleted article, long enough for posting lists of several blocks."""
    rng = random.Random(7)
    root = tmp_path_factory.mktemp("phrases")
    src, where = root / "articles", root / "index"
    src.mkdir()
    for i in range(300):
        (src / f"a{i:03}.txt").write_text(f"Article {i}\n\n{_article(rng)}\n", encoding="utf-8")
    update_index(where, [str(src)])
    for i in range(300, 360):
        (src / f"a{i:03}.txt").write_text(f"Article {i}\n\n{_article(rng)}\n", encoding="utf-8")
    (src / "a005.txt").unlink()
    update_index(where, [str(src)])
    with Index(where) as ix:
        yield ix


def _stems(phrase: str) -> list[str]:
    return [t.text for t in analyse(phrase) if not t.joined]


@pytest.mark.parametrize(
    "phrase", ["son cœur", "de la", "il y a", "en cas de", "centre de données", "cœur cœur"]
)
def test_a_phrase_finds_and_scores_what_whoosh_s_phrase_query_does(
    index: Index, phrase: str
) -> None:
    from whoosh.query import Phrase

    words = _stems(phrase)
    searcher = index.searcher()
    ours = searcher.search(ExactPhrase("body", words, slop=1), limit=None)
    theirs = searcher.search(Phrase("body", words, slop=1), limit=None)
    assert len(theirs) > 0
    assert [(h.docnum, h.score) for h in ours] == [(h.docnum, h.score) for h in theirs]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(WORDS), min_size=2, max_size=4))
def test_phrase_starts_are_where_the_words_follow_each_other(
    index: Index, words: list[str]
) -> None:
    from seedsearch.postings import decode_positions

    stems = [s for w in words for s in _stems(w)]
    reader = index.searcher().reader()
    if any(("body", s) not in reader for s in stems):
        return
    got = phrase_matches(reader, "body", stems, list(range(len(stems))))[0]
    expected = []
    for docnum in sorted(reader.all_doc_ids()):
        held = {}
        for s in set(stems):
            m = reader.postings("body", s)
            m.skip_to(docnum)
            if not m.is_active() or m.id() != docnum:
                break
            held[s] = set(decode_positions(bytes(m.value())))
        else:
            starts = sorted(
                p for p in held[stems[0]] if all(p + i in held[s] for i, s in enumerate(stems))
            )
            if starts:
                expected.append((docnum, starts))
    assert got == expected
    # The rarest word first or any other order: the same documents and starts.
    backwards = list(reversed(range(len(stems))))
    assert phrase_matches(reader, "body", stems, backwards)[0] == got
    # And searched segment by segment, the documents and scores of Whoosh's phrase query.
    from whoosh.query import Phrase

    searcher = index.searcher()
    ours = searcher.search(ExactPhrase("body", stems, slop=1), limit=None)
    theirs = searcher.search(Phrase("body", stems, slop=1), limit=None)
    assert [(h.docnum, h.score) for h in ours] == [(h.docnum, h.score) for h in theirs]


def test_a_phrase_query_is_searched_as_before_from_the_cli_s_library(index: Index) -> None:
    result = index.search('"son cœur"')
    assert result.total > 0
    assert all("son cœur" in h.text.replace("\n", " ") for h in result.hits)


def test_a_phrase_of_common_words_is_stopped_at_the_search_s_deadline(index: Index) -> None:
    from seedsearch.budget import Cost
    from seedsearch.errors import QueryTooExpensiveError

    searcher = index.searcher()
    spent = Cost(0.0)  # its deadline is already past: the next clock read stops the search
    with pytest.raises(QueryTooExpensiveError):
        ExactPhrase("body", _stems("de la"), slop=1, cost=spent).matcher(searcher)
    # Without a cost, or in time, the same phrase is matched.
    assert ExactPhrase("body", _stems("de la"), slop=1, cost=Cost()).matcher(searcher).is_active()


def _indexed(tmp_path: Path, *articles: str) -> Path:
    """An index of the given articles (title, blank line, text), one file each."""
    src, where = tmp_path / "articles", tmp_path / "index"
    src.mkdir()
    for n, text in enumerate(articles):
        (src / f"a{n}.txt").write_text(text + "\n", encoding="utf-8")
    update_index(where, [str(src)])
    return where


def test_a_phrase_whose_words_never_meet_in_one_article_finds_nothing(tmp_path: Path) -> None:
    where = _indexed(
        tmp_path, "Le cormoran\n\nUn cormoran plonge.", "La mouette\n\nUne mouette crie."
    )
    with Index(where) as ix:
        assert ix.search('"cormoran mouette crie"').total == 0
        assert ix.search('"cormoran plonge"').total == 1
        words = _stems("cormoran mouette crie")  # no article past the second word
        assert len(ix.searcher().search(ExactPhrase("body", words, slop=1), limit=None)) == 0


@pytest.mark.parametrize("order", [[0, 1], [1, 0]])
def test_no_phrase_starts_at_the_body_s_start_without_its_first_word_there(
    tmp_path: Path, order: list[int]
) -> None:
    """The second word at the body's second place (the title's second word), and the
    first word elsewhere: no phrase starts at the first place, whichever word is read
    first."""
    where = _indexed(
        tmp_path, "Mouette cormoran\n\nPuis une mouette.", "Titre\n\nUne mouette plonge."
    )
    with Index(where) as ix:
        reader = ix.searcher().reader()
        words = _stems("une cormoran")  # "cormoran" is at its place if "une" began the body
        assert phrase_matches(reader, "body", words, order)[0] == []
        assert ix.search('"une cormoran"').total == 0
        assert ix.search('"mouette cormoran"').total == 1
