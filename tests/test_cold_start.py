"""What a cold ``seedsearch search`` loads: not Whoosh's English tables, not the spelling
dictionary's stored copy, and results the same as with them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

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
