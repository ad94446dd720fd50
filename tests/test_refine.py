"""Filter options, sort orders and facets in the library: the options filter as the query
language's filters do, the date orders are exact over every result, and the facets count
results the way the total does."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import facet_corpus as corpus
from seedsearch.errors import QueryError
from seedsearch.query import Filter, parse
from seedsearch.refine import NEWEST, OLDEST, RELEVANCE, SORTS, Refine, sort_name
from seedsearch.store import Index, open_index


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Index]:
    ix = open_index(corpus.build(tmp_path_factory.mktemp("refine")))
    yield ix
    ix.close()


def titles(ix: Index, query: str, refine: Refine | None = None, limit: int = 50) -> list[str]:
    result = ix.search(query, limit=limit, refine=refine)
    return list(dict.fromkeys(h.title for h in result.hits))


@pytest.mark.parametrize(
    ("refine", "written"),
    [
        (Refine(source="Le Monde"), 'source:"Le Monde"'),
        (Refine(source="libération"), "source:libération"),
        (Refine(author="Marie Dupont"), 'auteur:"Marie Dupont"'),
        (Refine(author="Dup*"), "auteur:Dup*"),
        (Refine(since="2025"), "date:>=2025"),
        (Refine(until="2023-06"), "date:<=2023-06"),
        (Refine(since="2023", until="2024"), "date:2023..2024"),
        (Refine(since="2025", until="2024"), "date:>=2025 date:<=2024"),
        (Refine(type="md"), "type:md"),
        (Refine(type="html"), "type:html"),
        (Refine(folder="copie"), "dossier:copie"),
        (Refine(source="Le Monde", since="2024"), 'source:"Le Monde" date:>=2024'),
    ],
)
def test_filter_options_match_as_the_query_filters_do(
    index: Index, refine: Refine, written: str
) -> None:
    with_option = index.search("énergie", limit=50, refine=refine)
    in_query = index.search(f"énergie {written}", limit=50)
    assert with_option.total == in_query.total
    assert with_option.total > 0 or refine.since > refine.until
    assert [h.doc_id for h in with_option.hits] == [h.doc_id for h in in_query.hits]
    assert with_option.query == "énergie"  # the options are not pasted into the query
    assert with_option.filters == refine.params(sort=False)


def test_filter_options_alone_list_the_articles_they_let_in_newest_first(index: Index) -> None:
    result = index.search("", refine=Refine(source="Le Monde"))
    assert result.total == 4  # the duplicate folded
    dates = [h.meta["date"] for h in result.hits]
    assert dates == sorted(dates, reverse=True)
    assert titles(index, "", Refine(source="Le Monde", sort=OLDEST))[0] == corpus.EOLIEN


@pytest.mark.parametrize(
    ("refine", "message"),
    [
        (dict(since="2025-13"), "no month 13"),
        (dict(until="demain"), "not YYYY, YYYY-MM or YYYY-MM-DD"),
        (dict(since=">=2020"), "not YYYY"),
        (dict(type="exe"), "unknown type"),
        (dict(folder="///"), "empty folder"),
        (dict(sort="newest"), "unknown sort"),
        (dict(sort="DATE"), "unknown sort"),
        (dict(sort="date:desc"), "unknown sort"),
        (dict(folder=".."), "empty folder"),
        (dict(since="２０２４"), "not YYYY"),
    ],
)
def test_bad_option_values_are_query_errors(refine: dict[str, str], message: str) -> None:
    with pytest.raises(QueryError, match=message):
        Refine(**refine)


@pytest.mark.parametrize(
    ("sort", "expected"), [(NEWEST, corpus.NEWEST_FIRST), (OLDEST, corpus.OLDEST_FIRST)]
)
def test_sort_by_date_orders_every_result_same_day_by_relevance(
    index: Index, sort: str, expected: list[str]
) -> None:
    assert titles(index, "énergie", Refine(sort=sort)) == expected
    # Page by page, one result a page: the order is the same (exact, not the top window's).
    paged = [
        index.search("énergie", limit=1, offset=i, refine=Refine(sort=sort)).hits[0].title
        for i in range(len(expected))
    ]
    assert paged == expected


def test_sorted_hits_keep_their_relevance_scores(index: Index) -> None:
    by_date = index.search("énergie", refine=Refine(sort=NEWEST)).hits
    assert all(0 < h.score < 100 for h in by_date)  # scores, not the keys sorted by
    first = {h.doc_id: h.score for h in by_date}
    barrages, reseau = (next(d for d, s in first.items() if t in d) for t in ("barrages", "reseau"))
    assert first[barrages] > first[reseau]  # why barrages comes first on their day


def test_relevance_is_the_default_sort(index: Index) -> None:
    assert titles(index, "énergie") == titles(index, "énergie", Refine(sort=RELEVANCE))
    assert titles(index, "énergie") != corpus.NEWEST_FIRST


def test_facets_count_results_as_the_total_does(index: Index) -> None:
    result = index.search("énergie", limit=1, refine=Refine(facets=True))
    assert result.facets is not None
    counts = {name: {v.value: v.count for v in values} for name, values in result.facets.items()}
    # The duplicate counts once, the article in parts once; the page shows one result only.
    assert counts["author"] == {
        "Marie Dupont": 2,
        "Jean Martin": 1,
        "Paul Roy": 1,
        "Zoé Lambert": 1,
    }
    assert counts["source"] == {"Le Monde": 3, "Libération": 1, "Rapports": 1}
    assert counts["year"] == {"2025": 2, "2024": 1, "2023": 1, "2022": 1}
    assert counts["type"] == {"markdown": 4, "html": 1}
    assert [v.value for v in result.facets["year"]] == ["2025", "2024", "2023", "2022"]
    for name in ("year", "type", "author", "source"):
        assert sum(counts[name].values()) == result.total == 5


@pytest.mark.parametrize("facet", ["source", "year", "type", "author"])
def test_a_facet_value_taken_as_a_filter_finds_as_many_results(index: Index, facet: str) -> None:
    facets = index.search("énergie", refine=Refine(facets=True)).facets
    assert facets is not None
    for v in facets[facet]:
        option = {
            "source": dict(source=v.value),
            "year": dict(since=v.value, until=v.value),
            "type": dict(type=v.value),
            "author": dict(author=v.value),
        }[facet]
        narrowed = index.search("énergie", refine=Refine(facets=True, **option))
        assert narrowed.total == v.count
        assert narrowed.facets is not None
        assert {x.value for x in narrowed.facets[facet]} == {v.value}


def test_facets_only_when_asked_and_empty_when_nothing_matches(index: Index) -> None:
    assert index.search("énergie").facets is None
    nothing = index.search("xylophone", refine=Refine(facets=True))
    assert nothing.total == 0
    assert nothing.facets == {"source": (), "year": (), "type": (), "author": ()}
    assert nothing.to_dict()["facets"] == {"source": [], "year": [], "type": [], "author": []}


def test_export_takes_the_filters_and_the_sort(index: Index) -> None:
    rows = list(index.search_all("énergie", refine=Refine(sort=OLDEST, since="2023")))
    assert list(dict.fromkeys(h.title for h in rows)) == corpus.OLDEST_FIRST[1:]


# --- parsing the option values ----------------------------------------------------------

_days = st.dates().map(lambda d: d.isoformat())
_months = st.tuples(st.integers(1, 9999), st.integers(1, 12)).map(
    lambda t: f"{t[0]:04d}-{t[1]:02d}"
)


@example("9999-12")  # the last month there is: no next month to count its days to
@given(st.one_of(_days, _months, st.integers(1, 9999).map(lambda y: f"{y:04d}")))
def test_since_and_until_are_the_date_filters_of_the_query_language(day: str) -> None:
    since = Refine(since=day).nodes()
    until = Refine(until=day).nodes()
    assert since == [parse(f"date:>={day}")[0]]
    assert until == [parse(f"date:<={day}")[0]]
    assert isinstance(since[0], Filter)


@given(st.text(max_size=30), st.text(max_size=30))
def test_any_option_text_is_a_filter_or_a_query_error(since: str, source: str) -> None:
    try:
        refine = Refine(since=since, source=source)
    except QueryError as err:
        assert "\n" not in err.message
        return
    # A filter for each value given; a name without a word is left out and reported.
    named = len(refine.nodes()) - bool(refine.since)
    if refine.source:
        assert (named, refine.ignored) in ((1, []), (0, [f'source:"{refine.source}"']))
    else:
        assert named == 0 and refine.ignored == []


@given(st.text(max_size=20))
def test_sort_names_are_read_or_refused(text: str) -> None:
    try:
        name = sort_name(text)
    except QueryError:
        return
    assert name in SORTS


@pytest.mark.parametrize(
    ("written", "name"),
    [
        ("", RELEVANCE),
        ("relevance", RELEVANCE),
        ("date", OLDEST),
        ("-date", NEWEST),
        ("+date", OLDEST),
    ],
)
def test_sort_spellings(written: str, name: str) -> None:
    assert sort_name(written) == name


def test_a_name_without_a_word_is_ignored_as_the_parser_ignores_it(index: Index) -> None:
    result = index.search("énergie", refine=Refine(source="!!", author="Marie Dupont"))
    assert result.ignored == ('source:"!!"',)
    assert result.total == index.search('énergie auteur:"Marie Dupont"').total


def test_options_and_query_make_one_and(tmp_path: Path) -> None:
    node, _ = parse("énergie solaire")
    both = Refine(type="pdf", folder="presse").apply(node)
    assert both is not None and parse("énergie solaire type:pdf dossier:presse")[0] == both
