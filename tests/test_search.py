from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seedsearch.errors import QueryError
from seedsearch.highlight import mark_html
from seedsearch.index import update_index
from seedsearch.passages import PASSAGES_PER_ARTICLE
from seedsearch.query import parse, unparse
from seedsearch.search import MAX_QUERY_CHARS
from seedsearch.store import Index
from seedsearch.stores import Store


def norm(text: str) -> str:
    return " ".join(text.split()).casefold()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("energie", "énergie"),
        ("ÉNERGIE", "énergie"),
        ("coeur", "cœur"),
        ("centre de donnees", "centres de données"),
        ("infrastructure-first", "infrastructure‑first"),
        ("infrastructure first", "infrastructure‑first"),
        ("off-taker", "off‑taker"),
        ("giga-campus", "giga‑campus"),
        ("giga campus", "giga‑campus"),
        ("co2", "co₂"),
        ("hyperscaler", "hyperscalers"),
        ("supercalculateur", "supercalculateurs"),
        ("electricite de france", "électricité de france"),
        ("l’IA", "données ia"),
        ("64%", "64%"),
        ("168", "168 millions"),
        ("2020", "2020"),
        ("TPU", "tpu"),
        ("Fred Thiel", "fred thiel"),
        ("reglementation europeenne", "réglementaire européen"),
    ],
)
def test_query_finds_the_passage(seed_store: Store, query: str, expected: str) -> None:
    result = seed_store.search(query)
    assert result.total > 0
    assert expected in norm(result.hits[0].text), result.hits[0].text


def test_offtake_meets_both_spellings(seed_store: Store) -> None:
    texts = [h.text for h in seed_store.search("offtake").hits]
    assert any("accords d’offtake" in t for t in texts)
    assert any("off‑taker" in t for t in texts)


def test_words_are_anded_over_the_article(three_articles: Index) -> None:
    result = three_articles.search("minage bitcoin")
    assert result.total == 1 and result.hits[0].title == "Minage et bitcoin"
    assert "minage" in norm(result.hits[0].text) and "bitcoin" in norm(result.hits[0].text)


def test_every_hit_contains_a_query_word_itself(seed_store: Store) -> None:
    # a title match adds context but does not make a passage a hit on its own
    for hit in seed_store.search("minage", limit=50).hits:
        assert "minage" in norm(hit.text)


def test_or(seed_store: Store) -> None:
    a = seed_store.search("TPU").total
    b = seed_store.search("GreenBrain").total
    both = seed_store.search("TPU OR GreenBrain")
    assert both.total == a + b
    assert both.corrected_query is None


@pytest.fixture
def three_articles(tmp_path: Path) -> Iterator[Index]:
    root = tmp_path / "corpus"
    root.mkdir()
    texts = {
        "a.txt": "Minage et bitcoin\n\nLe minage de bitcoin consomme de l’électricité.",
        "b.txt": "Minage de données\n\nLe minage de données cherche des motifs.",
        "c.txt": "Le bitcoin\n\nLe bitcoin est une monnaie numérique.",
    }
    for name, text in texts.items():
        (root / name).write_text(text, encoding="utf-8")
    update_index(tmp_path / "ix", [root])
    index = Index(tmp_path / "ix")
    yield index
    index.close()


@pytest.mark.parametrize("query", ["minage -bitcoin", "minage NOT bitcoin", "-bitcoin minage"])
def test_not_excludes_articles(three_articles: Index, query: str) -> None:
    result = three_articles.search(query)
    assert result.total == 1
    assert {h.title for h in result.hits} == {"Minage de données"}


def test_a_lone_negation_finds_every_other_article(three_articles: Index) -> None:
    result = three_articles.search("-bitcoin")
    assert result.total == 1 and result.hits[0].title == "Minage de données"
    assert three_articles.search("NOT minage").total == 1


def test_phrase_is_exact_and_keeps_stop_words(seed_store: Store) -> None:
    result = seed_store.search('"centres de données"', limit=50)
    assert result.total > 0
    assert all("centres de données" in norm(h.text) for h in result.hits)
    assert seed_store.search('"centres données"').total == 0
    assert (
        seed_store.search('"intelligence artificielle"')
        .hits[0]
        .snippet.count("<mark>intelligence artificielle</mark>")
        >= 1
    )


def test_prefix(seed_store: Store) -> None:
    result = seed_store.search("supercalc*")
    assert result.total > 0
    assert all("supercalcul" in norm(h.text) for h in result.hits)


def test_fuzzy(seed_store: Store) -> None:
    assert seed_store.search("minnage").total == seed_store.search("minage").total  # corrected
    fuzzy = seed_store.search("minnage~")
    assert fuzzy.corrected_query is None
    assert fuzzy.total == seed_store.search("minage").total


def test_title_scope_finds_articles_by_title(seed_store: Store) -> None:
    result = seed_store.search("title:bitcoin")
    assert result.total == 1
    assert "bitcoin" in norm(result.hits[0].title)
    assert seed_store.search("titre:bitcoin").total == 1
    assert seed_store.search('title:"centres de données"').total == 1


def test_parentheses(seed_store: Store) -> None:
    result = seed_store.search("(TPU OR GPU) accélérateurs", limit=50)
    assert result.total == 1
    assert "cartes GPU ou TPU" in result.hits[0].text


@pytest.mark.parametrize(
    ("query", "ignored", "finds"),
    [
        ('"minage', ['"'], True),
        ("(bitcoin", ["("], True),
        ("bitcoin)", [")"], True),
        ("AND", ["AND"], False),
        ("bitcoin AND", ["AND"], True),
        ("OR bitcoin", ["OR"], True),
        ("bitcoin NOT", ["NOT"], True),
        ("foo:minage", ["foo:"], True),
        ("title:", ["title:"], False),
        ("*", ["*"], False),
        ("()", ["()"], False),
        ("minage -", ["-"], True),
    ],
)
def test_lenient_parser_answers_and_says_what_it_ignored(
    seed_store: Store, query: str, ignored: list[str], finds: bool
) -> None:
    result = seed_store.search(query)
    assert list(result.ignored) == ignored
    assert (result.total > 0) is finds


@pytest.mark.parametrize(
    ("query", "corrected"),
    [
        ("mnage", "minage"),  # 5 letters: 1 edit
        ("bitcon", "bitcoin"),  # 6 letters: 1 edit
        ("blokchainn", "blockchain"),  # 10 letters: 2 edits
        ("supercalculatuers", "supercalculateurs"),  # 17 letters: 2 edits
        ("minage bitcon", "minage bitcoin"),
    ],
)
def test_typos_are_corrected_within_the_length_budget(
    seed_store: Store, query: str, corrected: str
) -> None:
    result = seed_store.search(query)
    assert result.corrected_query == corrected
    assert result.total > 0


@pytest.mark.parametrize(
    "query",
    [
        "tpuu",  # under 5 letters: never corrected
        "mnagee",  # 6 letters, 2 edits away: over budget
        "20201",  # numbers are never corrected
        "minage",
    ],  # known words are left alone
)
def test_no_correction_outside_the_budget(seed_store: Store, query: str) -> None:
    assert seed_store.search(query).corrected_query is None


def test_did_you_mean_when_nothing_is_found(seed_store: Store) -> None:
    result = seed_store.search("mnagee")
    assert result.total == 0
    assert result.suggestion == "minage"
    assert seed_store.search("zzzzzzzzzz").suggestion is None


def test_no_passage_with_every_word_falls_back_to_any_word(seed_store: Store) -> None:
    result = seed_store.search("minage pétrole")
    assert result.corrected_query == "minage OR pétrole"
    assert result.total == seed_store.search("minage").total


def test_snippet_is_escaped_then_marked(tmp_path: Path, write_files: Callable) -> None:
    root = write_files({"a.txt": "Titre\n\nLe <b>minage</b> & les <script>alert(1)</script>.\n"})
    update_index(tmp_path / "ix", [root])
    with Index(tmp_path / "ix") as ix:
        hit = ix.search("minage script").hits[0]
    assert hit.text == "Le <b>minage</b> & les <script>alert(1)</script>."
    assert hit.snippet == (
        "Le &lt;b&gt;<mark>minage</mark>&lt;/b&gt; &amp; les "
        "&lt;<mark>script</mark>&gt;alert(1)&lt;/<mark>script</mark>&gt;."
    )


def test_snippet_marks_every_matched_word(seed_store: Store) -> None:
    hit = seed_store.search("centre de donnees").hits[0]
    assert re.search(r"<mark>centres</mark> de <mark>données</mark>", hit.snippet)
    assert "<mark>de</mark>" not in hit.snippet  # stop words are not query terms
    assert re.sub(r"</?mark>", "", hit.snippet) == mark_html(hit.text, [])


def test_hits_carry_their_passage(seed_store: Store) -> None:
    hit = seed_store.search("GreenBrain").hits[0]
    article = seed_store.document(hit.doc_id)
    passage = article.passages[hit.passage]
    assert (passage.text, passage.start, passage.end, passage.section) == (
        hit.text,
        hit.start,
        hit.end,
        hit.section,
    )
    assert hit.path.endswith("mara-exaion-edf.txt")
    assert hit.score > 0


def test_title_boost_ranks_the_article_about_the_query_first(seed_store: Store) -> None:
    # both articles mention bitcoin; only one has it in its title
    result = seed_store.search("bitcoin", limit=50)
    assert len({h.doc_id for h in result.hits}) == 2
    assert "bitcoin" in norm(result.hits[0].title)


def test_pagination_counts_articles(tmp_path: Path) -> None:
    root = tmp_path / "corpus"
    root.mkdir()
    for n in range(14):
        words = " ".join(["minage"] * (n + 1))
        (root / f"a{n:02d}.txt").write_text(f"Article {n}\n\n{words} et réseau.\n\nAutre.")
    update_index(tmp_path / "ix", [root])
    with Index(tmp_path / "ix") as index:
        full = index.search("minage", limit=30)
        page1 = index.search("minage", limit=5)
        page2 = index.search("minage", limit=5, offset=5)
        assert page1.total == page2.total == full.total == 14
        assert [h.rank for h in page2.hits] == [6, 7, 8, 9, 10]
        ids = [(h.doc_id, h.passage) for h in page1.hits + page2.hits]
        assert ids == [(h.doc_id, h.passage) for h in full.hits[:10]]
        assert index.search("minage", offset=1000).hits == ()


def test_each_article_brings_its_best_passages(seed_store: Store) -> None:
    result = seed_store.search("intelligence")
    by_rank: dict[int, list[float]] = {}
    for hit in result.hits:
        by_rank.setdefault(hit.rank, []).append(hit.score)
        assert "intelligence" in norm(hit.text)
    assert sorted(by_rank) == list(range(1, result.total + 1))
    assert all(1 <= len(v) <= PASSAGES_PER_ARTICLE for v in by_rank.values())
    assert max(len(v) for v in by_rank.values()) == PASSAGES_PER_ARTICLE


def test_the_passage_with_every_word_comes_first(seed_store: Store) -> None:
    # The article holds each word in several passages; one passage holds all three.
    hit = seed_store.search("supercalculateurs EDF recyclés").hits[0]
    assert all(w in norm(hit.text) for w in ("supercalculateurs", "edf", "recycler"))


def test_json_contract(seed_store: Store) -> None:
    d = seed_store.search("minage", limit=2).to_dict()
    assert {"query", "total", "took_ms", "corrected_query", "ignored", "hits"} <= d.keys()
    assert d["query"] == "minage" and d["corrected_query"] is None and d["ignored"] == []
    assert d["total"] == 2 and {h["rank"] for h in d["hits"]} == {1, 2}
    assert set(d["hits"][0]) == {
        "rank",
        "doc_id",
        "title",
        "path",
        "section",
        "passage",
        "start",
        "end",
        "text",
        "snippet",
        "score",
        "page",
        "meta",
        "also_in",
        "folded",
    }
    assert set(d["hits"][0]["meta"]) == {"date", "author", "source", "format", "url", "language"}


@pytest.mark.parametrize("explain", [False, True])
def test_a_hit_s_json_is_its_fields_in_order_but_its_spans(
    seed_store: Store, explain: bool
) -> None:
    from dataclasses import asdict

    for hit in seed_store.search("minage bitcoin", limit=3, explain=explain).hits:
        expected = asdict(hit)
        del expected["spans"]
        if not hit.why:
            del expected["why"]
        expected["also_in"] = list(hit.also_in)
        assert list(hit.to_dict().items()) == list(expected.items())
        assert ("why" in hit.to_dict()) == explain


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"query": "x" * (MAX_QUERY_CHARS + 1)}, "too long"),
        ({"query": "minage", "limit": 0}, "limit"),
        ({"query": "minage", "limit": 101}, "limit"),
        ({"query": "minage", "offset": -1}, "offset"),
    ],
)
def test_bad_requests_are_query_errors(seed_store: Store, kwargs: dict, message: str) -> None:
    with pytest.raises(QueryError, match=message):
        seed_store.search(**kwargs)


SYNTAX = st.sampled_from(
    [
        "(",
        ")",
        '"',
        "AND",
        "OR",
        "NOT",
        "-",
        "*",
        "~",
        "~2",
        "title:",
        "foo:",
        ":",
        "minage",
        "bitcoin",
        "énergie",
        "l’IA",
        "infrastructure‑first",
        "64%",
        " ",
        "  ",
        "\u200f",
        "🚀",
        "<script>",
        "' OR 1=1 --",
        "\x00",
        "\t",
    ]
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.one_of(st.text(max_size=200), st.lists(SYNTAX, max_size=25).map("".join)))
def test_any_query_string_is_answered(seed_store: Store, query: str) -> None:
    result = seed_store.search(query)
    assert len({h.rank for h in result.hits}) <= result.total
    for hit in result.hits:
        assert "<" not in re.sub(r"</?mark>", "", hit.snippet)


@given(st.lists(SYNTAX, max_size=25).map("".join))
def test_parsing_is_total_and_unparse_is_stable(query: str) -> None:
    node, _ = parse(query)
    if node is not None:
        text = unparse(node)
        again, ignored_again = parse(text)
        assert again is not None
        assert unparse(again) == text
        assert ignored_again == []


@pytest.mark.parametrize("query", ["centre de donnees", "minage", "intelligence", "IA"])
def test_total_does_not_depend_on_the_page_size(seed_store: Store, query: str) -> None:
    totals = {seed_store.search(query, limit=n).total for n in (1, 3, 10, 100)}
    assert len(totals) == 1
    assert totals.pop() == len({h.rank for h in seed_store.search(query, limit=100).hits})


@pytest.mark.parametrize(
    "query", ["minage", "centre de donnees", "bitcoin energie", "mara exaion edf", "zzzz minage"]
)
def test_plain_word_queries_rank_as_the_general_path_does(
    seed_index: Index, query: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import seedsearch.ranking as ranking
    from seedsearch.compile import Compiler
    from seedsearch.spelling import Spelling

    # The general path has no derivational families: compare both without them.
    monkeypatch.setattr(Compiler, "family", lambda self, folded, term: ())
    node, _ = parse(query)
    assert node is not None
    searcher = seed_index.searcher()
    spelling = Spelling(seed_index, searcher)
    _, fast, fast_total = ranking.run(searcher, spelling, node, 10)
    monkeypatch.setattr(ranking, "_plain_terms", lambda q, loose=False: None)
    _, general, general_total = ranking.run(searcher, spelling, node, 10)
    assert fast_total == general_total
    assert [r.docnum for r in fast] == [r.docnum for r in general]
    assert [round(r.score, 6) for r in fast] == [round(r.score, 6) for r in general]


@pytest.mark.parametrize(
    "query",
    ["minage OR bitcoin", "minage OR bitcoin OR energie", "mara OR exaion OR edf OR zzzz"],
)
def test_a_widened_query_reads_postings_and_scores_as_the_general_or(
    seed_index: Index, query: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A query widened to any of its words (of two words, or of three and more, which
    compile to Whoosh's preloaded OR) is ranked from its postings, with the scores
    Whoosh's OR of the words gives: no families in the body, no coordination factor."""
    import seedsearch.ranking as ranking
    from seedsearch.spelling import Spelling

    node, _ = parse(query)
    assert node is not None
    searcher = seed_index.searcher()
    spelling = Spelling(seed_index, searcher)
    fast_compiler, fast, fast_total = ranking.run(searcher, spelling, node, 10, loose=True)
    assert fast_compiler.postings  # (only the postings path keeps them for the page)
    monkeypatch.setattr(ranking, "_plain_terms", lambda q, loose=False: None)
    general_compiler, general, general_total = ranking.run(searcher, spelling, node, 10, loose=True)
    assert not general_compiler.postings
    assert fast_total == general_total > 0
    assert [r.docnum for r in fast] == [r.docnum for r in general]
    assert [round(r.score, 6) for r in fast] == [round(r.score, 6) for r in general]


def test_slash_joined_words_match_as_written_then_each_on_its_own(
    tmp_path: Path,
) -> None:
    root = tmp_path / "articles"
    root.mkdir()
    (root / "menu.txt").write_text(
        "Menu Groupe\n\nLa commande Entrer/Quitter/Dégrouper du menu Groupe.\n", "utf-8"
    )
    (root / "aide.txt").write_text(
        "Aide\n\nPour entrer dans un groupe, puis le quitter, ou le dégrouper.\n", "utf-8"
    )
    update_index(tmp_path / "ix", [root])
    with Index(tmp_path / "ix") as ix:
        written = ix.search("entrer/quitter/dégrouper")
        assert [h.title for h in written.hits] == ["Menu Groupe"]
        hit = written.hits[0]
        marked = {hit.text[a:b] for a, b in hit.spans}
        assert {"Entrer", "Quitter", "Dégrouper"} <= marked or "Entrer/Quitter/Dégrouper" in marked
        assert {h.title for h in ix.search("quitter").hits} == {"Menu Groupe", "Aide"}
        # Nothing holds the words in a row but "Aide" holds each: the parts are words.
        apart = ix.search("sortir/quitter")
        assert apart.total >= 1 and apart.corrected_query == "sortir OR quitter"


WIDE = {
    "lignes.txt": "Retours à la ligne\n\nInsérer un retour à la ligne dans une cellule.\n",
    "saut.txt": "Saut de ligne\n\nUn saut manuel commence une nouvelle ligne.\n",
    "formules.txt": "Formules\n\nÉcrire des formules sur plusieurs lignes.\n",
}


@pytest.mark.parametrize(
    ("query", "widened", "titles"),
    [
        # Three words, one article holding them all: any of them will do.
        (
            "retours ligne cellule",
            "retours OR ligne OR cellule",
            {"Retours à la ligne", "Saut de ligne", "Formules"},
        ),
        # Two words found together are what was asked for.
        ("saut ligne", None, {"Saut de ligne"}),
    ],
)
def test_a_long_query_finding_few_articles_is_widened_to_any_of_its_words(
    tmp_path: Path, query: str, widened: str | None, titles: set[str]
) -> None:
    root = tmp_path / "articles"
    root.mkdir()
    for name, text in WIDE.items():
        (root / name).write_text(text, "utf-8")
    update_index(tmp_path / "ix", [root])
    with Index(tmp_path / "ix") as ix:
        result = ix.search(query)
    assert result.corrected_query == widened
    assert {h.title for h in result.hits} == titles
    assert result.total == len(titles)
    # The article holding every word still comes first.
    assert result.hits[0].title == ("Retours à la ligne" if widened else "Saut de ligne")
