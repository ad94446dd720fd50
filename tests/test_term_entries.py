"""A search looks each term up once per segment in the term dictionary, and the
frequencies it reads so are the reader's own."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from seedsearch import postings
from seedsearch.index import update_index
from seedsearch.store import Index


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Index]:
    """Two segments, one with a deleted article."""
    root = tmp_path_factory.mktemp("entries")
    src, where = root / "articles", root / "index"
    src.mkdir()
    words = ["énergie", "réseau", "minage", "centre", "données", "cœur"]
    for i in range(40):
        body = " ".join(words[(i + k) % len(words)] for k in range(i % 5 + 2))
        (src / f"a{i:02}.txt").write_text(f"Article {i}\n\n{body}.\n", encoding="utf-8")
    update_index(where, [str(src)])
    (src / "b.txt").write_text("Nouveau\n\nLe réseau et le minage.\n", encoding="utf-8")
    (src / "a03.txt").unlink()
    update_index(where, [str(src)])
    with Index(where) as ix:
        yield ix


@pytest.mark.parametrize("field", ["body", "title"])
@pytest.mark.parametrize("term", ["reseau", "minag", "articl", "nouveau", "absent"])
def test_frequencies_read_in_a_search_are_the_reader_s(index: Index, field: str, term: str) -> None:
    reader = index.searcher().reader()
    assert len(reader.leaf_readers()) == 2
    want = (reader.doc_frequency(field, term), reader.frequency(field, term))
    assert (
        postings.doc_frequency(reader, field, term),
        postings.frequency(reader, field, term),
    ) == want
    with postings.one_search():
        for _ in range(2):  # looked up, then from the memo
            got = (
                postings.doc_frequency(reader, field, term),
                postings.frequency(reader, field, term),
            )
            assert got == want


def test_a_search_looks_each_term_up_once_per_segment(
    index: Index, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In the segments read a block at a time (those without deletions: the others are
    read by Whoosh's matchers, which look terms up themselves), once the searcher has
    kept its terms' idf (Whoosh's searcher keeps those)."""
    from whoosh.codec.whoosh3 import W3TermsReader

    whole = {
        id(segment._terms)
        for segment, _ in index.searcher().reader().leaf_readers()
        if not segment.has_deletions()
    }
    assert whole
    index.search("réseau minage")
    looked: Counter[tuple[str, bytes]] = Counter()

    def counting(real: Any) -> Any:
        def counted(self: Any, fieldname: str, text: bytes) -> Any:
            if id(self) in whole and fieldname in ("body", "title"):
                looked[(fieldname, text)] += 1
            return real(self, fieldname, text)

        return counted

    # Every look-up of a term's entry: for its postings, or its frequencies.
    for name in ("term_info", "doc_frequency", "frequency"):
        monkeypatch.setattr(W3TermsReader, name, counting(getattr(W3TermsReader, name)))
    assert index.search("réseau minage").total >= 1
    assert looked[("body", b"reseau")] == looked[("body", b"minag")] == 1
    assert max(looked.values()) == 1
    looked.clear()
    index.search("réseau minage")  # the next search looks them up again
    assert looked[("body", b"reseau")] == 1
