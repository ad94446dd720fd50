"""Queries of ANDs and ORs of terms and phrases, matched and scored from postings: the same
documents and scores as Whoosh's matchers give."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seedsearch import boolean
from seedsearch.analysis import analyse
from seedsearch.budget import Cost
from seedsearch.index import update_index
from seedsearch.phrases import ExactPhrase
from seedsearch.store import Index

WORDS = ["le", "de", "son", "cœur", "énergie", "centre", "données", "réseau", "mode", "emploi"]


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Index]:
    """Articles drawn from a few words, in two segments, one with a deleted article, with
    the words in some titles too, long enough for posting lists of several blocks."""
    rng = random.Random(11)
    root = tmp_path_factory.mktemp("boolean")
    src, where = root / "articles", root / "index"
    src.mkdir()

    def write(i: int) -> None:
        title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 3)))
        body = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 300)))
        (src / f"a{i:03}.txt").write_text(f"{title}\n\n{body}.\n", encoding="utf-8")

    for i in range(260):
        write(i)
    update_index(where, [str(src)])
    for i in range(260, 320):
        write(i)
    (src / "a007.txt").unlink()
    update_index(where, [str(src)])
    with Index(where) as ix:
        yield ix


def _term(word: str, field: str = "body") -> Any:
    from whoosh.query import Term

    return Term(field, next(iter(analyse(word))).text)


def _phrase(words: str) -> ExactPhrase:
    return ExactPhrase("body", [t.text for t in analyse(words)], slop=1)


def _matchers(index: Index, q: Any) -> dict[int, float]:
    from whoosh.collectors import UnlimitedCollector

    searcher = index.searcher()
    collector = UnlimitedCollector()
    collector.replace = 0
    searcher.search_with_collector(q, collector)
    return {docnum: float(score or 0.0) for score, docnum in collector.items}


def _same(ours: dict[int, float] | None, theirs: dict[int, float]) -> None:
    assert ours is not None
    assert ours.keys() == theirs.keys()
    for d, score in theirs.items():  # (the additions' order may change the last bit)
        assert ours[d] == pytest.approx(score, rel=1e-12)


def _queries() -> list[Any]:
    from whoosh.query import And, Or
    from whoosh.query.compound import PreloadedOr

    from seedsearch.compile import Synonymous

    hyphenated = Or([_phrase("centre données"), _term("centredonnées")])
    return [
        _term("cœur"),
        _term("réseau", "title"),
        _phrase("son cœur"),
        And([_term("énergie"), _term("réseau")]),
        And([_term("énergie"), hyphenated, _term("mode")]),
        Or([_term("énergie"), _term("emploi")]),
        PreloadedOr([_term("énergie"), _phrase("mode emploi"), _term("inconnu")]),
        And([Or([_term("cœur"), _term("centre")]), _phrase("de données")]),
        Synonymous([_term("énergie"), _term("réseau").with_boost(0.5)]),
        And([_term("énergie"), _term("inconnu")]),
        Or([_term("mode"), _term("données")], boost=2.0),
    ]


@pytest.mark.parametrize("q", _queries(), ids=str)
def test_a_tree_of_terms_and_phrases_scores_as_whoosh_s_matchers_do(index: Index, q: Any) -> None:
    ours = boolean.scores(index.searcher(), q, Cost(10.0))
    _same(ours, _matchers(index, q))


@pytest.mark.parametrize("q", _queries(), ids=str)
def test_matches_among_given_documents_are_those_of_the_whole_index(index: Index, q: Any) -> None:
    searcher = index.searcher()
    whole = boolean.scores(searcher, q, Cost(10.0))
    assert whole is not None
    among = list(range(0, searcher.doc_count_all(), 7))
    some = boolean.scores(searcher, q, Cost(10.0), among=among)
    assert some == {d: whole[d] for d in among if d in whole}


def test_the_deleted_article_matches_nothing(index: Index) -> None:
    searcher = index.searcher()
    found = boolean.scores(searcher, _term("énergie"), Cost(10.0))
    assert found is not None and found
    reader = searcher.reader()
    assert all(not reader.is_deleted(d) for d in found)
    assert any(reader.is_deleted(d) for d in range(reader.doc_count_all()))


@pytest.mark.parametrize(
    "make",
    [
        lambda: __import__("whoosh.query", fromlist=["Not"]).Not(_term("cœur")),
        lambda: __import__("whoosh.query", fromlist=["Term"]).Term("type", "pdf"),
        lambda: __import__("whoosh.query", fromlist=["Prefix"]).Prefix("body", "cœ"),
        lambda: __import__("whoosh.query", fromlist=["Or"]).Or(
            [_term("cœur"), _term("mode")], scale=0.5
        ),
    ],
    ids=["not", "filter", "prefix", "scaled or"],
)
def test_a_query_it_does_not_read_is_left_to_the_matchers(index: Index, make: Any) -> None:
    assert boolean.scores(index.searcher(), make(), Cost(10.0)) is None


_leaf = st.one_of(
    st.sampled_from(WORDS).map(_term),
    st.lists(st.sampled_from(WORDS), min_size=2, max_size=3).map(lambda ws: _phrase(" ".join(ws))),
)


def _tree(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    from whoosh.query import And, Or

    groups = st.lists(children, min_size=2, max_size=3)
    return st.one_of(groups.map(And), groups.map(Or))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(q=st.recursive(_leaf, _tree, max_leaves=6))
def test_any_tree_of_ands_and_ors_matches_and_scores_as_whoosh_does(index: Index, q: Any) -> None:
    _same(boolean.scores(index.searcher(), q, Cost(10.0)), _matchers(index, q))


def test_a_spent_budget_stops_the_reading(index: Index) -> None:
    from whoosh.query import And

    from seedsearch.errors import QueryTooExpensiveError

    spent = Cost(0.0)  # its deadline is already past: the next clock read stops the search
    with pytest.raises(QueryTooExpensiveError):
        boolean.scores(index.searcher(), And([_term("cœur"), _term("mode")]), spent)


def test_a_hyphenated_word_query_ranks_the_same_from_postings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A search whose words include a hyphenated one (the phrase of its parts, or the
    joined word) is read from postings and ranks as the matchers rank it."""
    root = tmp_path / "articles"
    root.mkdir()
    (root / "a.txt").write_text("Presse-papiers\n\nCopier dans le presse-papiers.\n", "utf-8")
    (root / "b.txt").write_text("Copier\n\nCopier un fichier, la presse et les papiers.\n", "utf-8")
    (root / "c.txt").write_text("Coller\n\nColler depuis le pressepapiers.\n", "utf-8")
    update_index(tmp_path / "ix", [root])
    asked: list[bool] = []
    real = boolean.scores

    def spy(*args: Any, **kwargs: Any) -> dict[int, float] | None:
        found = real(*args, **kwargs)
        asked.append(found is not None)
        return found

    with Index(tmp_path / "ix") as ix:
        monkeypatch.setattr(boolean, "scores", spy)
        fast = ix.search("copier presse-papiers")
        assert asked and all(asked)
        monkeypatch.setattr(boolean, "scores", lambda *a, **k: None)
        slow = ix.search("copier presse-papiers")
    assert [(h.doc_id, h.score, h.passage) for h in fast.hits] == [
        (h.doc_id, h.score, h.passage) for h in slow.hits
    ]
    assert fast.total == slow.total >= 1
    assert fast.hits[0].title == "Presse-papiers"
