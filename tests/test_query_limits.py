"""NOT over segmented indexes, and the bounded cost of every query (budgets, nesting depth,
normalised length, deadline) through the library, the CLI and the web API."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seedsearch.budget import (
    MAX_FUZZY_LETTERS,
    MAX_FUZZY_WORDS,
    MAX_VISITS,
    OR_POSTINGS,
    QUERY_EXPANSIONS,
    QUERY_POSTINGS,
    Cost,
)
from seedsearch.cli import main
from seedsearch.compile import Compiler
from seedsearch.errors import QueryError, QueryTooExpensiveError
from seedsearch.index import update_index
from seedsearch.query import MAX_DEPTH, And, Node, Not, Or, Phrase, Word, leaves, parse, unparse
from seedsearch.ranking import _plain_terms
from seedsearch.search import MAX_QUERY_CHARS, search
from seedsearch.spelling import Spelling
from seedsearch.store import Index

SEEDSEARCH = str(Path(sys.executable).with_name("seedsearch"))

# --- NOT over several index segments ---------------------------------------------------

BITCOIN = {
    "a.txt": "Le bitcoin monte\n\nLe cours du bitcoin monte encore ce matin.",
    "b.txt": "Le minage de bitcoin consomme\n\nLe minage de bitcoin consomme de l'électricité.",
    "c.txt": "Le minage de données\n\nLe minage de données révèle des tendances.",
}


def segments(ix: Index) -> int:
    reader = ix.searcher().reader()
    return 1 if reader.is_atomic() else len(reader.readers)


@pytest.mark.parametrize("layout", ["one run", "jobs=2", "one file per run"])
@pytest.mark.parametrize("query", ["minage -bitcoin", "minage NOT bitcoin", "minage -(bitcoin)"])
def test_not_excludes_the_word_however_the_index_is_split(
    tmp_path: Path, layout: str, query: str
) -> None:
    root = tmp_path / "articles"
    root.mkdir()
    index_dir = tmp_path / "index"
    if layout == "one file per run":
        for name, text in BITCOIN.items():
            (root / name).write_text(text, encoding="utf-8")
            update_index(index_dir, [root])
    else:
        for name, text in BITCOIN.items():
            (root / name).write_text(text, encoding="utf-8")
        update_index(index_dir, [root], jobs=2 if layout == "jobs=2" else 1)
    ix = Index(index_dir)
    try:
        if layout != "one run":
            assert segments(ix) > 1  # what let the first match of a segment through
        result = search(ix, query)
        assert {Path(h.path).name for h in result.hits} == {"c.txt"}
        assert result.total == 1
    finally:
        ix.close()


# Words of four letters: never spelling-corrected, never stop words, one stem each.
VOCAB = ["chat", "loup", "pain", "lune", "miel", "rose"]

trees = st.recursive(
    st.sampled_from(VOCAB).map(lambda w: Word(w)),
    lambda kids: st.one_of(
        kids.map(Not),
        st.lists(kids, min_size=2, max_size=3).map(And),
        st.lists(kids, min_size=2, max_size=3).map(Or),
    ),
    max_leaves=5,
)


def matches(node: Node, words: set[str]) -> bool:
    """Brute force: does an article with these words match ``node``?"""
    if isinstance(node, Word):
        return node.text in words
    if isinstance(node, Phrase):
        raise AssertionError("no phrases here")
    if isinstance(node, Not):
        return not matches(node.child, words)
    if isinstance(node, And):
        return all(matches(c, words) for c in node.children)
    return any(matches(c, words) for c in node.children)


def _plain_word_list(ix: Index, node: Node) -> bool:
    searcher = ix.searcher()
    compiler = Compiler(searcher, Spelling(ix, searcher, Cost()))
    return _plain_terms(compiler.compile(node)) is not None


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    docs=st.lists(st.sets(st.sampled_from(VOCAB), min_size=1, max_size=4), min_size=2, max_size=9),
    runs=st.integers(min_value=1, max_value=3),
    jobs=st.sampled_from([1, 2]),
    queries=st.lists(
        st.one_of(
            trees.map(Not),  # -a alone, nested NOT
            st.tuples(trees, trees).map(lambda ab: And([ab[0], Not(ab[1])])),  # a -b
            st.tuples(trees, trees, trees).map(lambda t: And([t[0], Not(Or([t[1], t[2]]))])),
            trees,
        ),
        min_size=1,
        max_size=6,
    ),
)
def test_not_agrees_with_a_brute_force_filter_on_segmented_indexes(
    tmp_path_factory: pytest.TempPathFactory,
    docs: list[set[str]],
    runs: int,
    jobs: int,
    queries: list[Node],
) -> None:
    tmp = tmp_path_factory.mktemp("not")
    root, index_dir = tmp / "articles", tmp / "index"
    root.mkdir()
    per_run = -(-len(docs) // runs)
    for start in range(0, len(docs), per_run):  # several update runs: several segments
        for n in range(start, min(start + per_run, len(docs))):
            words = " ".join(sorted(docs[n]))
            (root / f"d{n}.txt").write_text(f"Titre {n}\n\n{words}.", encoding="utf-8")
        update_index(index_dir, [root], jobs=jobs)
    ix = Index(index_dir)
    try:
        for tree in queries:
            query = unparse(tree)
            node, _ = parse(query)
            assert node is not None
            if _plain_word_list(ix, node):
                # A query that comes down to a list of words (``(loup OR loup) NOT -chat`` is
                # ``loup chat``) is ranked with a soft AND, and ORed when nothing holds them
                # all: not a boolean filter.
                continue
            expected = {f"d{n}.txt" for n, words in enumerate(docs) if matches(node, words)}
            result = search(ix, query, limit=100)
            assert {Path(h.path).name for h in result.hits} == expected, query
            assert result.total == len(expected), query
    finally:
        ix.close()


# --- nesting depth -----------------------------------------------------------------------

DEEP = [
    "(" * 250 + "minage" + ")" * 250,
    "(" * 499 + "minage",
    "minage " + ")" * 400,
    "NOT " * 247 + "minage",
    "NOT " * 246 + "minage",
    "-(" * 300 + "minage" + ")" * 300,
    "-(" * 333 + "minage",
    "!-" * 400 + "minage",
    "title:" * 160 + "minage",
    "(minage OR " * 80 + "bitcoin" + ")" * 80,
]


def depth(node: Node) -> int:
    if isinstance(node, (Word, Phrase)):
        return 1
    if isinstance(node, Not):
        return 1 + depth(node.child)
    return 1 + max(depth(c) for c in node.children)


@pytest.mark.parametrize("query", DEEP)
def test_deep_nesting_is_parsed_within_a_bounded_depth(query: str) -> None:
    assert len(query) <= MAX_QUERY_CHARS
    node, ignored = parse(query)
    assert node is not None
    assert depth(node) <= 2 * MAX_DEPTH + 2
    assert list(leaves(node))
    assert unparse(node)
    if query.count("(") > MAX_DEPTH:
        assert "(" in ignored


def test_negations_cancel_in_pairs() -> None:
    assert parse("NOT " * 249 + "minage")[0] == Not(Word("minage"))
    assert parse("NOT " * 248 + "minage")[0] == Word("minage")
    assert parse("-(-(-minage))")[0] == Not(Word("minage"))


@given(st.lists(st.sampled_from(["(", ")", "NOT", "-", "-(", "minage", "OR", "a*"]), max_size=400))
def test_any_mix_of_brackets_and_negations_parses_without_recursion_error(
    pieces: list[str],
) -> None:
    node, _ = parse(" ".join(pieces))
    if node is not None:
        assert depth(node) <= 2 * MAX_DEPTH + 2
        unparse(node)


@pytest.mark.parametrize("query", DEEP)
def test_deep_queries_answer_through_the_cli_and_the_api(seed_index_dir: Path, query: str) -> None:
    from fastapi.testclient import TestClient

    from seedsearch.web.app import create_app

    proc = subprocess.run(
        [SEEDSEARCH, "--index", str(seed_index_dir), "search", "--json", "--", query],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode in (0, 1), proc.stderr  # 1: nothing matched
    answer = json.loads(proc.stdout)
    assert "ignored" in answer and (answer["total"] == 0) == (proc.returncode == 1)
    with TestClient(create_app(seed_index_dir), base_url="http://127.0.0.1") as client:
        r = client.get("/api/search", params={"q": query})
        assert r.status_code == 200
        assert "hits" in r.json()


# --- length once normalised ------------------------------------------------------------


def test_the_length_limit_applies_after_normalisation(seed_index: Index) -> None:
    query = "\ufdfa" * 100  # 100 characters, 1,800 once normalised (NFKC)
    assert len(query) <= MAX_QUERY_CHARS
    with pytest.raises(QueryError, match="once normalised"):
        search(seed_index, query)
    result = CliRunner().invoke(
        main, ["--index", str(seed_index.index_dir), "search", query], catch_exceptions=False
    )
    assert result.exit_code == 2
    assert "once normalised" in result.stderr and len(result.stderr.splitlines()) == 1


# --- the deadline ----------------------------------------------------------------------


def test_a_query_past_its_deadline_is_stopped(seed_index: Index) -> None:
    with pytest.raises(QueryTooExpensiveError, match="was stopped"):
        search(seed_index, "minage", cost=Cost(seconds=0))
    assert search(seed_index, "minage", cost=Cost(seconds=60)).total > 0


def test_the_cli_reports_a_stopped_query_in_one_line_with_its_own_exit_status(
    seed_index_dir: Path,
) -> None:
    runner = CliRunner(env={"SEEDSEARCH_QUERY_SECONDS": "0"})
    plain = runner.invoke(main, ["--index", str(seed_index_dir), "search", "minage"])
    assert plain.exit_code == QueryTooExpensiveError.exit_code == 4
    assert len(plain.stderr.strip().splitlines()) == 1 and "Traceback" not in plain.stderr
    as_json = runner.invoke(main, ["--index", str(seed_index_dir), "search", "--json", "minage"])
    assert as_json.exit_code == 4
    assert json.loads(as_json.stdout)["error"]["code"] == "query_too_expensive"
    bad = CliRunner(env={"SEEDSEARCH_QUERY_SECONDS": "soon"}).invoke(
        main, ["--index", str(seed_index_dir), "search", "minage"]
    )
    assert bad.exit_code == 2 and "SEEDSEARCH_QUERY_SECONDS" in bad.stderr


def test_the_api_answers_a_stopped_query_with_503_and_a_json_error(
    seed_index_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fastapi.testclient import TestClient

    from seedsearch.web.app import create_app

    monkeypatch.setenv("SEEDSEARCH_QUERY_SECONDS", "0")
    with TestClient(create_app(seed_index_dir), base_url="http://127.0.0.1") as client:
        r = client.get("/api/search", params={"q": "minage"})
        assert r.status_code == 503
        assert r.json()["error"]["code"] == "query_too_expensive"


# --- budgets, counted in dictionary words and terms --------------------------------------


@pytest.fixture(scope="module")
def wide_index(tmp_path_factory: pytest.TempPathFactory) -> Index:
    """An index with a large vocabulary: 12,000 made-up words over 240 articles."""
    import random

    rng = random.Random(5)
    letters = "abcdefghilmnoprstuv"
    vocab = sorted({"".join(rng.choices(letters, k=rng.randint(3, 9))) for _ in range(12_000)})
    root = tmp_path_factory.mktemp("wide") / "articles"
    root.mkdir()
    for n in range(240):
        words = " ".join(rng.choices(vocab, k=300))
        (root / f"w{n}.txt").write_text(f"Article {n}\n\n{words}.", encoding="utf-8")
    index_dir = root.parent / "index"
    update_index(index_dir, [root])
    ix = Index(index_dir)
    yield ix
    ix.close()


LETTERS = "abcdefghilmnoprstuv"
PIECES = st.one_of(
    st.sampled_from(LETTERS).map(lambda c: c + "*"),
    st.text(LETTERS, min_size=1, max_size=3).map(lambda w: w + "*"),
    st.tuples(st.text(LETTERS, min_size=1, max_size=12), st.sampled_from(["~", "~1", "~2"])).map(
        "".join
    ),
    st.text(LETTERS, min_size=9, max_size=400),  # long words: corrected?
    st.integers(1, 40).map(lambda n: "\ufdfa" * n),
    st.sampled_from(["(", ")", "NOT", "-", "OR", "title:a*", '"a b"']),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(PIECES, min_size=1, max_size=120).map(lambda ps: " ".join(ps)[:MAX_QUERY_CHARS]))
def test_every_query_has_a_bounded_cost(wide_index: Index, query: str) -> None:
    cost = Cost(seconds=300)  # a generous deadline: the bounds below are counted, not timed
    with contextlib.suppress(QueryError):  # too long once normalised
        search(wide_index, query, cost=cost)
    docs = 240
    assert cost.visited <= MAX_VISITS
    assert cost.automata <= MAX_FUZZY_WORDS
    assert cost.longest <= MAX_FUZZY_LETTERS
    assert cost.compilations <= 5
    assert cost.expanded <= QUERY_EXPANSIONS * cost.compilations
    assert cost.postings <= (QUERY_POSTINGS + OR_POSTINGS + 2 * docs) * cost.compilations


@pytest.mark.parametrize(
    "query",
    [
        "a* " * 333,
        "w~2 " * 250,
        "title:a* " * 111,
        " ".join(f"{c}*" for c in "abcdefghilmnoprstuv"),
    ],
)
def test_prefix_and_fuzzy_words_share_one_budget_for_the_whole_query(
    wide_index: Index, query: str
) -> None:
    query = query[:MAX_QUERY_CHARS]
    cost = Cost(seconds=300)
    result = search(wide_index, query, cost=cost)
    assert cost.expanded <= QUERY_EXPANSIONS * cost.compilations
    one = Cost(seconds=300)
    search(wide_index, query.split()[0], cost=one)
    if len(set(query.split())) == 1:  # a word repeated is a word once
        assert cost.expanded == one.expanded
    else:  # distinct prefixes past the budget are left out, and said so
        assert result.ignored


def test_a_very_long_word_gets_no_levenshtein_automaton(wide_index: Index) -> None:
    cost = Cost(seconds=300)
    search(wide_index, "abcdefghilmnoprstuv" * 50, cost=cost)
    search(wide_index, "abcdefghilmnoprstuv" * 50 + "~2", cost=cost)
    assert cost.automata == 0
