from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import Result
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from seedsearch.errors import SynonymsError
from seedsearch.index import update_index
from seedsearch.store import Index
from seedsearch.synonyms import builtin, parse, read
from seedsearch.web.app import create_app

# --- the parser ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "typed", "expected"),
    [
        ("a1, b2, c3", "a1", ["b2", "c3"]),
        ("a1, b2, c3", "c3", ["a1", "b2"]),
        ("foo => bar, baz", "foo", ["bar", "baz"]),
        ("foo => bar", "bar", []),  # explicit rules go one way
        ("foo, qux => bar", "qux", ["bar"]),
        ("# a comment\n\nfoo, bar", "foo", ["bar"]),
        ("data center, centre de données", "data center", ["centre de données"]),
        ("data center, centre de données", "centres de donnees", ["data center"]),
        ("Énergie, power", "energie", ["power"]),
        ("IA, intelligence artificielle", "ia", ["intelligence artificielle"]),
        ("IA, intelligence artificielle", "IA", ["intelligence artificielle"]),
        # An acronym that folds to a stop word expands only when typed in capitals, and
        # is never searched for.
        ("AI, IA", "AI", ["IA"]),
        ("AI, IA", "ai", []),
        ("AI, IA", "IA", []),
    ],
)
def test_rules_expand_as_written(text: str, typed: str, expected: list[str]) -> None:
    assert [e.text for e in parse(text).lookup(typed)] == expected


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        ("foo, , bar", 1, "empty entry"),
        ("ok, fine\nfoo,", 2, "empty entry"),
        ("a => b => c", 1, "more than one '=>'"),
        ("foo =>", 1, "empty entry"),
        ("\n\n=> foo", 3, "empty entry"),
        ("foo, ---", 1, "holds no word"),
        ("foo, " + " ".join(["mot"] * 9), 1, "more than 8 words"),
    ],
)
def test_bad_lines_are_refused_with_their_number(text: str, line: int, problem: str) -> None:
    with pytest.raises(SynonymsError) as err:
        parse(text, "my.txt")
    assert f"my.txt, line {line}: " in err.value.message
    assert problem in err.value.message
    assert "\n" not in err.value.message


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab é,=>#\n\t-IA'")), max_size=80) | st.text())
def test_any_text_loads_or_is_refused_with_a_line_number(text: str) -> None:
    try:
        rules = parse(text, "f")
    except SynonymsError as err:
        match = re.match(r"f, line (\d+): ", err.message)
        assert match is not None, err.message
        assert 1 <= int(match.group(1)) <= max(1, len(text.splitlines()))
    else:
        for source in rules.rules:
            assert source  # every rule is looked up by at least one word


def test_a_file_that_is_not_utf8_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "syn.txt"
    path.write_bytes(b"foo, bar\nbaz, \xff\xfe\n")
    with pytest.raises(SynonymsError, match=r"line 2: not UTF-8"):
        read(path)


def test_the_built_in_list_has_about_a_hundred_entries() -> None:
    here = Path(__file__).resolve().parents[1] / "src" / "seedsearch" / "data" / "synonyms.txt"
    entries = [line for line in here.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert 90 <= len([e for e in entries if not e.startswith("#")]) <= 150
    rules = builtin()
    found = {e.text for e in rules.lookup("IA")}
    assert found >= {"intelligence artificielle", "artificial intelligence"}
    assert "AI" not in found  # "ai" in the index is mostly the verb
    assert "blockchain" in {e.text for e in rules.lookup("chaîne de blocs")}


# --- searching with synonyms -----------------------------------------------------------

NEWS = {
    "ai.txt": "Nouvelle puce\n\nLa startup conçoit une puce pour l’intelligence artificielle.",
    "dc.txt": "Refroidissement\n\nUn nouveau centre de données ouvre à Lyon cette année.",
    "mine.txt": "Ethereum\n\nLe minage reste rentable malgré la baisse des cours.",
    "other.txt": "Cuisine\n\nUne recette de tarte aux pommes, simple et rapide.",
}


@pytest.fixture
def news_index(tmp_path: Path, write_files: Callable[[dict[str, str]], Path]) -> Path:
    index_dir = tmp_path / "index"
    update_index(index_dir, [write_files(NEWS)])
    return index_dir


def _paths(result: object) -> set[str]:
    return {Path(h.path).name for h in result.hits}  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("query", "found", "also"),
    [
        ("IA", {"ai.txt"}, "intelligence artificielle"),
        ("ia", {"ai.txt"}, "intelligence artificielle"),
        ("AI", {"ai.txt"}, "intelligence artificielle"),
        ("data center", {"dc.txt"}, "centre de données"),
        ("datacenter", {"dc.txt"}, "centre de données"),
        ("mining", {"mine.txt"}, "minage"),
        ("mining rentable", {"mine.txt"}, "minage"),
        ("IA OR tarte", {"ai.txt", "other.txt"}, "intelligence artificielle"),
    ],
)
def test_a_word_finds_its_synonyms(
    news_index: Path, query: str, found: set[str], also: str
) -> None:
    with Index(news_index) as ix:
        result = ix.search(query)
    assert _paths(result) == found
    assert also in result.also_searched


def test_a_quoted_phrase_searches_no_synonym(news_index: Path) -> None:
    with Index(news_index) as ix:
        result = ix.search('"data center"')
    assert result.total == 0 and result.also_searched == ()


def test_an_excluded_word_excludes_its_synonyms(news_index: Path) -> None:
    with Index(news_index) as ix:
        assert _paths(ix.search("(puce OR tarte) -IA")) == {"other.txt"}


def test_the_index_folders_file_applies_without_reindexing(news_index: Path) -> None:
    with Index(news_index) as ix:
        assert ix.search("pâtisserie").total == 0
        (news_index / "synonyms.txt").write_text("pâtisserie => tarte\n", encoding="utf-8")
        result = ix.search("pâtisserie")
    assert _paths(result) == {"other.txt"} and result.also_searched == ("tarte",)


def test_cli_synonyms_file_and_its_errors(
    news_index: Path, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    mine = tmp_path / "mine.txt"
    mine.write_text("dessert, tarte\n", encoding="utf-8")
    out = cli("search", "dessert", "--synonyms", str(mine), index=news_index)
    assert out.exit_code == 0 and "Also searched: tarte" in out.stdout
    data = json.loads(
        cli("search", "dessert", "--synonyms", str(mine), "--json", index=news_index).stdout
    )
    assert data["also_searched"] == ["tarte"] and data["total"] == 1

    mine.write_text("dessert,, tarte\n", encoding="utf-8")
    bad = cli("search", "dessert", "--synonyms", str(mine), index=news_index)
    assert bad.exit_code == 2
    assert bad.stderr.startswith(f"seedsearch: error: {mine}, line 1: empty entry")
    assert bad.stderr.count("\n") == 1
    missing = cli(
        "search", "x", "--synonyms", str(tmp_path / "nope.txt"), "--json", index=news_index
    )
    assert json.loads(missing.stdout)["error"]["code"] == "bad_synonyms"


@pytest.fixture
def client(news_index: Path, tmp_path: Path) -> Iterator[TestClient]:
    mine = tmp_path / "web.txt"
    mine.write_text("gâteau => tarte\n", encoding="utf-8")
    app = create_app(news_index, synonyms=str(mine))
    with TestClient(app, base_url="http://127.0.0.1") as c:
        yield c
    app.state.holder.close()


def test_api_and_page_say_what_was_also_searched(client: TestClient) -> None:
    data = client.get("/api/search", params={"q": "gâteau"}).json()
    assert data["also_searched"] == ["tarte"] and data["total"] == 1
    page = client.get("/", params={"q": "IA"}).text
    assert "Recherché aussi : intelligence artificielle" in page
