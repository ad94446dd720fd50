"""What a cold ``seedsearch search`` loads: not click nor the other commands' modules, not
Whoosh's English tables, not the spelling dictionary's stored copy; and answers the same
as with them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from seedsearch.cli import main, search_cmd
from seedsearch.cli_entry import FLAGS, VALUES, parse_search
from seedsearch.index import update_index
from seedsearch.spelling import WORDS_FILE
from seedsearch.store import Index

ARTICLES = {
    "a.txt": "Le minage de bitcoin\n\nCleanspark construit des centres de données.\n",
    "b.txt": "Exaion et EDF\n\nLes supercalculateurs d’EDF servent la blockchain.\n",
}


@pytest.fixture
def index_dir(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    root.mkdir()
    for name, text in ARTICLES.items():
        (root / name).write_text(text, encoding="utf-8")
    update_index(tmp_path / "ix", [root])
    return tmp_path / "ix"


def run_python(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_search_leaves_whoosh_english_tables_unloaded(index_dir: Path) -> None:
    out = run_python(
        "import sys\n"
        "from seedsearch.store import Index\n"
        f"with Index({str(index_dir)!r}) as ix:\n"
        "    print(ix.search('blockchain').total)\n"
        "for name in ('whoosh.lang.morph_en', 'whoosh.lang.porter', 'whoosh.lang.dmetaphone'):\n"
        "    print(getattr(sys.modules[name], '__deferred__', False))\n"
    )
    assert out.split() == ["1", "True", "True", "True"]


def test_whoosh_english_tables_still_work_when_called() -> None:
    out = run_python(
        "import sys, seedsearch\n"
        "from whoosh.analysis import StemmingAnalyzer\n"
        "from whoosh.lang.morph_en import variations\n"
        "from whoosh.lang.dmetaphone import double_metaphone\n"
        "print([t.text for t in StemmingAnalyzer()('dogs')], 'render' in variations('rendering'))\n"
        "print(double_metaphone('Smith'), hasattr(sys.modules['whoosh.lang.porter'], 'stem'))\n"
        "print(getattr(sys.modules['whoosh.lang.morph_en'], '__deferred__', False))\n"
    )
    assert out.split("\n")[:3] == ["['dog'] True", "('SM0', 'XMT') True", "False"]


@pytest.mark.parametrize("damage", ["missing", "truncated", "garbage", "other generation"])
def test_searches_read_the_index_copy_when_the_words_file_is_not_usable(
    index_dir: Path, damage: str
) -> None:
    queries = ["blokchain", "supercalcul*", "bitcoim~", "centre"]
    with Index(index_dir) as ix:
        before = [ix.search(q).to_dict()["hits"] for q in queries]
    path = index_dir / WORDS_FILE
    data = path.read_bytes()
    if damage == "missing":
        path.unlink()
    elif damage == "truncated":
        path.write_bytes(data[:-3])
    elif damage == "garbage":
        path.write_bytes(b"{}\n" + data)
    else:
        path.write_bytes(data.replace(b'"generation": ', b'"generation": 9', 1))
    with Index(index_dir) as ix:
        after = [ix.search(q).to_dict()["hits"] for q in queries]
    assert after == before
    assert all(before)  # corrections, prefixes and fuzzy words found something


def test_the_words_file_gives_the_dictionary_the_index_holds(index_dir: Path) -> None:
    from seedsearch.schema import spelling_words
    from seedsearch.spelling import read_words

    with Index(index_dir) as ix:
        s = ix.searcher()
        found = read_words(index_dir, s)
        assert found is not None
        words, counts = found
        assert (list(words), list(counts)) == tuple(map(list, spelling_words(s)))
        assert words[-1] == list(words)[-1] and words[1:3] == list(words)[1:3]


# --- the console script's plain search, without click --------------------------------

CLICK_PATH = "import sys; from seedsearch.cli import run; sys.argv[0] = 'seedsearch'; run()"
CONSOLE_SCRIPT = str(Path(sys.executable).with_name("seedsearch"))
# Modules a plain search must not import (click's path and the other commands').
NOT_LOADED = (
    "click",
    "rich",
    "seedsearch.cli",
    "seedsearch.cli_strict",
    "seedsearch.cli_cluster",
    "seedsearch.cli_serve",
    "seedsearch.cli_signals",
    "seedsearch.web",
    "starlette",
    "uvicorn",
    "xapian",
    "seedsearch.xapian_store",
    "seedsearch.documents",
    "seedsearch.export",
    "seedsearch.explain",
    "seedsearch.facets",
    "seedsearch.similar",
    "seedsearch.sources",
    "seedsearch.index",
    "importlib.metadata",
    "whoosh.qparser",
)


def test_the_fast_path_knows_every_option_of_the_search_command() -> None:
    options: dict[str, bool] = {}  # option -> whether it is a flag
    for param in search_cmd.params:
        if isinstance(param, click.Option):
            for name in (*param.opts, *param.secondary_opts):
                options[name] = param.is_flag
    parent = click.Context(main, **main.context_settings)
    help_names = set(search_cmd.get_help_option_names(click.Context(search_cmd, parent=parent)))
    fast = {name: True for name in FLAGS} | {name: False for name in VALUES}
    # --format (an export, not a page of results) and help are left to click.
    assert {k: v for k, v in options.items() if k != "--format"} == fast
    assert help_names == {"-h", "--help"}


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["search", "énergie"], {"index": "index", "query": ["énergie"]}),
        (["--index", "ix", "search", "a", "b"], {"index": "ix", "query": ["a", "b"]}),
        (["--index=ix", "search", "minage", "-bitcoin"], {"query": ["minage", "-bitcoin"]}),
        (["search", "x", "--index", "ix", "--json"], {"index": "ix", "as_json": True}),
        (["search", "x", "--limit", "3", "--offset=6"], {"limit": 3, "offset": 6}),
        (["search", "--since", "2024", "--in", "presse"], {"since": "2024", "folder": "presse"}),
        (["search", "x", "--sort=-date", "--facets"], {"sort": "-date", "facets": True}),
        (["search", "-", "x"], {"query": ["-", "x"]}),
    ],
)
def test_plain_search_lines_run_without_click(args: list[str], expected: dict[str, object]) -> None:
    parsed = parse_search(args, {})
    assert parsed is not None
    assert {k: parsed[k] for k in expected} == expected


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["--help"],
        ["--version"],
        ["stats"],
        ["-h", "search", "x"],
        ["--index", "search", "x"],
        ["--index=", "search", "x"],
        ["--index", "a", "--index", "b", "search", "x"],
        ["search", "x", "-h"],
        ["search", "x", "--help"],
        ["search", "x", "--format", "csv"],
        ["search", "--", "--limit"],
        ["search", "x", "--limit"],
        ["search", "x", "--limit", "abc"],
        ["search", "x", "--limit", "-5"],
        ["search", "x", "--limit", "2", "--limit", "3"],
        ["search", "x", "--json=yes"],
        ["search", "x", "--source", "--json"],
        ["search", "x", "--sort", ""],
        ["search", "x", "--nope"],
    ],
)
def test_anything_else_is_left_to_click(args: list[str]) -> None:
    assert parse_search(args, {}) is None


def test_the_index_variable_is_read_as_click_reads_it() -> None:
    assert parse_search(["search", "x"], {"SEEDSEARCH_INDEX": "ix"}) == parse_search(
        ["--index", "ix", "search", "x"], {}
    )
    assert parse_search(["search", "x"], {"SEEDSEARCH_INDEX": ""})["index"] == "index"  # type: ignore[index]
    assert parse_search(["search", "x"], {"_SEEDSEARCH_COMPLETE": "bash_source"}) is None


GROUPS = [[], ["--index", "ix"], ["--index=search"], ["--index", "search"], ["-h"], ["--json"]]
# Whole options (a name and its value, if it takes one), and a few that click is left.
OPTIONS = [[flag] for flag in FLAGS] + [["--limit", "3"], ["--limit=4"], ["--offset", "2"]]
OPTIONS += [["--since", "2024"], ["--in=presse"], ["--sort=-date"], ["--index", "ix"]]
OPTIONS += [["--synonyms", "s.txt"], ["--format", "csv"], ["--"], ["-h"], ["--limit", "-5"]]
WORDS = st.sampled_from(["mot", "-mot", "-", "x=y", "search"]) | st.text("-=ab ", max_size=4)


@st.composite
def search_lines(draw: st.DrawFn) -> list[str]:
    """The words after ``search``: options and query words in any order."""
    options = draw(st.lists(st.sampled_from(OPTIONS), max_size=3))
    words = draw(st.lists(WORDS, max_size=4))
    parts = draw(st.permutations(options + [[w] for w in words]))
    return [word for part in parts for word in part]


@given(
    group=st.sampled_from(GROUPS),
    words=search_lines(),
    variable=st.sampled_from([None, "", "from-env"]),
)
def test_what_the_fast_path_reads_is_what_click_reads(
    group: list[str], words: list[str], variable: str | None
) -> None:
    env = {} if variable is None else {"SEEDSEARCH_INDEX": variable}
    parsed = parse_search([*group, "search", *words], env)
    assume(parsed is not None)
    assert parsed is not None
    saved = os.environ.pop("SEEDSEARCH_INDEX", None)
    os.environ.update(env)
    try:
        top = main.make_context("seedsearch", [*group, "search"])
        sub = search_cmd.make_context("search", list(words), parent=top)
    finally:
        os.environ.pop("SEEDSEARCH_INDEX", None)
        if saved is not None:
            os.environ["SEEDSEARCH_INDEX"] = saved
    clicks = dict(sub.params, query=list(sub.params["query"]))
    clicks["index"] = (sub.obj or {}).get("index", top.params["index_dir"])
    assert clicks.pop("fmt") == "text"
    defaults = {"sort": "relevance", **dict.fromkeys(["since", "until", "source"], "")}
    defaults |= dict.fromkeys(["author", "type", "folder"], "")
    assert {k: parsed.get(k, defaults.get(k)) for k in clicks} == clicks


def _run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    done = subprocess.run(cmd, capture_output=True, cwd=cwd, env=env)
    # The time a search took is the one thing two runs may not share.
    out = re.sub(rb"\(\d+\.\d ms\)|\"took_ms\": [\d.]+", b"<took>", done.stdout)
    return done.returncode, out.decode("utf-8"), done.stderr.decode("utf-8")


@pytest.mark.parametrize(
    "args",
    [
        ["search", "minage"],
        ["search", "minage", "--json"],
        ["search", "--index", "{ix}", "centre", "de", "données", "--limit", "2", "--offset", "1"],
        ["search", "minage", "-bitcoin"],
        ["search", "blokchain"],
        ["search", "zzzqqq"],
        ["search", "zzzqqq", "--json"],
        ["search", "minage", "--explain", "--facets", "--sort", "-date"],
        ["search", "--since", "2000"],
        ["search", "minage", "--since", "demain", "--json"],
        ["search", "minage", "--limit", "0"],
        ["search", "minage", "--limit", "500", "--json"],
        ["search", "  "],
        ["search", 'centre "de données'],
        ["search", "minage", "--synonyms", "missing.txt"],
        ["search", "minage", "-h"],
        ["search", "minage", "--bogus"],
    ],
)
def test_the_console_script_answers_as_click_does(
    seed_index_dir: Path, tmp_path: Path, args: list[str]
) -> None:
    line = ["--index", str(seed_index_dir)] + [a.format(ix=seed_index_dir) for a in args]
    click_run = _run([sys.executable, "-c", CLICK_PATH, *line], tmp_path)
    script_run = _run([CONSOLE_SCRIPT, *line], tmp_path)
    assert script_run == click_run


@pytest.mark.parametrize("index", ["missing", "from the variable"])
def test_index_errors_from_the_console_script_are_clicks(tmp_path: Path, index: str) -> None:
    env = {**os.environ, "SEEDSEARCH_INDEX": str(tmp_path / "nowhere")}
    line = ["search", "minage"] if index != "missing" else ["--index", "nope", "search", "x"]
    click_run = _run([sys.executable, "-c", CLICK_PATH, *line], tmp_path, env)
    assert _run([CONSOLE_SCRIPT, *line], tmp_path, env) == click_run
    assert click_run[0] == 5 and click_run[2].startswith("seedsearch: error:")


@pytest.mark.parametrize("as_json", [False, True])
def test_a_plain_search_loads_neither_click_nor_the_other_commands(
    seed_index_dir: Path, as_json: bool
) -> None:
    probe = (
        "import sys\n"
        "from seedsearch.cli_entry import run\n"
        f"sys.argv = ['seedsearch', '--index', {str(seed_index_dir)!r}, 'search', 'minage']"
        f" + (['--json'] if {as_json} else [])\n"
        "try:\n"
        "    run()\n"
        "finally:\n"
        f"    print(sorted(m for m in {NOT_LOADED!r} if m in sys.modules), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "minage" in done.stdout
    assert done.stderr.strip().splitlines()[-1] == "[]"


@pytest.mark.parametrize("as_json", [False, True])
def test_a_closed_pipe_ends_the_console_script_as_it_ends_click(
    seed_index_dir: Path, as_json: bool
) -> None:
    line = ["--index", str(seed_index_dir), "search", "minage", *(["--json"] if as_json else [])]
    ends = []
    for cmd in ([sys.executable, "-c", CLICK_PATH], [CONSOLE_SCRIPT]):
        proc = subprocess.Popen([*cmd, *line], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.close()  # before the search writes anything
        ends.append((proc.wait(), proc.stderr.read()))
        proc.stderr.close()
    assert ends[0] == ends[1] == (1, b"")
