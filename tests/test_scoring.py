"""Block-level posting reads and BM25F over dicts give exactly what Whoosh gives."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from seedsearch import postings
from seedsearch.bm25 import Scorer, field_lengths
from seedsearch.budget import Cost
from seedsearch.index import update_index
from seedsearch.ranking import TITLE_WEIGHT, _conjunction, _raw_postings
from seedsearch.store import Index

WORDS = [
    "france",
    "paris",
    "gouvernement",
    "économie",
    "le",
    "et",
    "président",
    "projet",
    "marché",
    "crise",
]


def _text(i: int) -> str:
    """A French article whose words recur with frequencies that vary with ``i``, long
    enough (hundreds of postings per common word) to span several posting blocks."""
    words = [WORDS[(i * 7 + k * k) % len(WORDS)] for k in range(40 + (i * 13) % 90)]
    return f"Article {i} {WORDS[i % len(WORDS)]}\n\n" + " ".join(words) + ".\n"


@pytest.fixture(scope="module")
def segmented(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index in several segments, with deleted documents: built in two batches, then
    some articles rewritten and some removed."""
    root = tmp_path_factory.mktemp("scoring")
    src, index = root / "articles", root / "index"
    src.mkdir()
    for i in range(300):
        (src / f"a{i:03d}.txt").write_text(_text(i), encoding="utf-8")
    update_index(index, [str(src)])
    for i in range(300, 420):
        (src / f"a{i:03d}.txt").write_text(_text(i), encoding="utf-8")
    update_index(index, [str(src)])
    for i in range(0, 60, 3):
        (src / f"a{i:03d}.txt").write_text(_text(i + 1000), encoding="utf-8")
    for i in range(1, 60, 7):
        (src / f"a{i:03d}.txt").unlink()
    update_index(index, [str(src)])
    return index


@pytest.fixture(params=["bundled", "segmented"])
def index(request: pytest.FixtureRequest, seed_index_dir: Path, segmented: Path) -> Index:
    ix = Index(seed_index_dir if request.param == "bundled" else segmented)
    yield ix
    ix.close()


def _common_terms(ix: Index, field: str, count: int = 25) -> list[str]:
    r = ix.searcher().reader()
    terms = sorted(
        (t.decode() if isinstance(t, bytes) else t for t in r.lexicon(field)),
        key=lambda t: -r.doc_frequency(field, t),
    )
    return terms[:count] + terms[len(terms) // 2 : len(terms) // 2 + 5] + terms[-3:]


def _stepped(m: object, value: Callable[[object], object]) -> dict[int, object]:
    out = {}
    while m.is_active():  # type: ignore[attr-defined]
        out[m.id()] = value(m)  # type: ignore[attr-defined]
        m.next()  # type: ignore[attr-defined]
    return out


def test_the_segmented_index_has_segments_and_deletions(segmented: Path) -> None:
    with Index(segmented) as ix:
        r = ix.searcher().reader()
        assert len(r.leaf_readers()) > 1
        assert r.doc_count() < r.doc_count_all()


@pytest.mark.parametrize("one_piece", [postings.ONE_PIECE_BYTES, 0])
@pytest.mark.parametrize("field", ["body", "title"])
def test_block_reads_give_the_postings_whooshs_matchers_give(
    index: Index, field: str, one_piece: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whether a term's list is read in one piece or (past ``one_piece`` bytes, when
    only some documents are wanted) block by block."""
    monkeypatch.setattr(postings, "ONE_PIECE_BYTES", one_piece)
    s = index.searcher()
    r = s.reader()
    everyone = range(r.doc_count_all())
    for term in _common_terms(index, field):
        expected = _stepped(s.postings(field, term), lambda m: m.weight())  # type: ignore[attr-defined]
        got = postings.weights(r, field, term)
        assert list(got.items()) == list(expected.items())
        for wanted in (list(everyone[::3]), list(everyone[-5:]), [], list(expected)[1::4]):
            assert postings.weights(r, field, term, wanted) == {
                d: w for d, w in expected.items() if d in set(wanted)
            }


def test_block_reads_give_the_values_whooshs_matchers_give(index: Index) -> None:
    s = index.searcher()
    r = s.reader()
    for term in _common_terms(index, "body"):
        expected = _stepped(s.postings("body", term), lambda m: bytes(m.value()))  # type: ignore[attr-defined]
        wanted = sorted(list(expected)[::2] + list(range(0, r.doc_count_all(), 5)))
        wanted = sorted(set(wanted))
        assert postings.values(r, "body", term, wanted) == {
            d: v for d, v in expected.items() if d in set(wanted)
        }


@pytest.mark.parametrize("field", ["body", "title"])
def test_field_lengths_are_the_searchers(index: Index, field: str) -> None:
    s = index.searcher()
    lengths = field_lengths(s.reader(), field)
    assert len(lengths) == s.reader().doc_count_all()
    for d in range(len(lengths)):
        assert lengths[d] == (s.doc_field_length(d, field, 1) or 0)


@pytest.mark.parametrize("field", ["body", "title"])
def test_bm25f_scores_are_whooshs_search_scores(index: Index, field: str) -> None:
    from whoosh.query import Term

    s = index.searcher()
    scorer = Scorer(s, lambda f: index.field_lengths(s, f))
    for term in _common_terms(index, field):
        whoosh = {d: score for score, d in s.search(Term(field, term), limit=None).top_n}
        ours = scorer.scores(field, term, postings.weights(s.reader(), field, term))
        assert ours.keys() == whoosh.keys()
        for d, score in ours.items():
            assert score == pytest.approx(whoosh[d], rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("ranks", [(0, 1), (2, 9), (4, 26), (3,), (1, 5)])
def test_plain_words_score_as_whooshs_and_with_the_title_terms(
    index: Index, ranks: tuple[int, ...]
) -> None:
    """Every word held (no coordination penalty), no family or synonym: the score is
    Whoosh's for ``words AND-MAYBE (the words in the title)``. The words are the index's
    own terms, of the given ranks in :func:`_common_terms`."""
    from whoosh.query import And, AndMaybe, Or, Term

    s = index.searcher()
    r = s.reader()
    common = _common_terms(index, "body")
    words = [common[i] for i in ranks]
    scores, terms, _ = _conjunction(s, words, Cost(60), siblings=index.siblings(s))
    if index.siblings(s):  # multi-part articles hold words across parts: not Whoosh's AND
        scores = {d: v for d, v in scores.items() if d not in index.siblings(s)}
    title = [Term("title", w, boost=TITLE_WEIGHT) for w in words if ("title", w) in r]
    body = [Term("body", w) for w in words]
    q = body[0] if len(body) == 1 else And(body)
    if title:
        q = AndMaybe(q, title[0] if len(title) == 1 else Or(title))
    whoosh = {d: score for score, d in s.search(q, limit=None).top_n}
    whoosh = {d: v for d, v in whoosh.items() if d not in index.siblings(s)}
    assert sorted(terms) == sorted(words)
    assert scores.keys() == whoosh.keys()
    assert scores
    for d, score in scores.items():
        assert score == pytest.approx(whoosh[d], rel=1e-9)


def test_shown_articles_raw_postings_are_whooshs(index: Index) -> None:
    s = index.searcher()
    terms = _common_terms(index, "body", 6)
    shown = list(range(0, s.reader().doc_count_all(), 11))
    got = _raw_postings(s, terms, shown)
    for term in terms:
        expected = _stepped(s.postings("body", term), lambda m: bytes(m.value()))  # type: ignore[attr-defined]
        for d in shown:
            assert got[d].get(term) == expected.get(d)


def test_field_lengths_are_read_again_for_a_new_generation(tmp_path: Path) -> None:
    src, index = tmp_path / "articles", tmp_path / "index"
    src.mkdir()
    for i in range(5):
        (src / f"a{i}.txt").write_text(_text(i), encoding="utf-8")
    update_index(index, [str(src)])
    with Index(index) as ix:
        before = ix.searcher()
        assert list(ix.field_lengths(before, "body")) == list(
            field_lengths(before.reader(), "body")
        )
        (src / "a9.txt").write_text(_text(9) * 3, encoding="utf-8")
        update_index(index, [str(src)])
        after = ix.searcher()
        assert after.reader().generation() != before.reader().generation()
        lengths = ix.field_lengths(after, "body")
        assert len(lengths) == after.reader().doc_count_all()
        assert list(lengths) == [
            after.doc_field_length(d, "body", 1) or 0 for d in range(len(lengths))
        ]
        assert ix.search("article").total == 6


def test_a_segment_without_deletions_is_read_in_one_piece_as_its_matcher_steps(
    segmented: Path,
) -> None:
    """The one-piece read of a term's postings (ids offset to the whole index's) gives
    what the segment's own matcher gives; a segment with deletions is left to the
    matcher."""
    with Index(segmented) as ix:
        r = ix.searcher().reader()
        read_whole = 0
        for segment, offset in r.leaf_readers():
            for field in ("body", "title"):
                for term in _common_terms(ix, field, 10):
                    got = postings._extent_blocks(segment, field, term, None, offset)
                    if segment.has_deletions():
                        assert got is None
                        continue
                    assert got is not None
                    read_whole += 1
                    if (field, term) not in segment:
                        assert got == []
                        continue
                    m = segment.postings(field, term)
                    expected = _stepped(m, lambda m: (m.weight(), bytes(m.value())))  # type: ignore[attr-defined]
                    pairs = [
                        (d, (w, bytes(v)))
                        for ids, ws, vs in got
                        for d, w, v in zip(ids, ws, vs, strict=True)
                    ]
                    assert pairs == [(d + offset, wv) for d, wv in expected.items()]
        assert read_whole


@pytest.mark.parametrize(
    ("ranks", "need", "family"),
    [((0, 3, 8), 2, False), ((1, 2, 5, 9, 20), 3, True), ((2, 27), 1, True), ((4, 6, 7), 3, True)],
)
def test_soft_and_scores_are_each_held_terms_bm25f_times_the_share_of_words_held(
    index: Index, ranks: tuple[int, ...], need: int, family: bool
) -> None:
    """A reference worked out posting by posting from Whoosh's own term scores: an
    article holding at least ``need`` of the words scores, for every term it holds, the
    term's weight times its BM25F in the body and in the title, times the share of the
    words it holds. (A word's family: the next common term, at FAMILY_WEIGHT.)"""
    from whoosh.query import Term

    from seedsearch.ranking import FAMILY_WEIGHT

    s = index.searcher()
    sib = index.siblings(s)
    common = _common_terms(index, "body")
    words = [common[i] for i in ranks]
    families = {w: (common[i + 1],) for w, i in zip(words, ranks, strict=True)} if family else {}
    scores, terms, _ = _conjunction(s, words, Cost(60), need, families, siblings=sib)

    def term_scores(field: str, term: str) -> dict[int, float]:
        return {d: v for v, d in s.search(Term(field, term), limit=None).top_n}

    groups = [[(w, 1.0)] + [(t, FAMILY_WEIGHT) for t in families.get(w, ())] for w in words]
    held: dict[int, int] = {}
    for group in groups:
        for d in set().union(*(term_scores("body", t).keys() for t, _ in group)):
            held[d] = held.get(d, 0) + 1
    expected = {d: 0.0 for d, count in held.items() if count >= need}
    for field, boost in (("body", 1.0), ("title", TITLE_WEIGHT)):
        for group in groups:
            for term, weight in group:
                for d, v in term_scores(field, term).items():
                    if d in expected:
                        expected[d] += weight * boost * v
    expected = {d: v * held[d] / len(words) for d, v in expected.items()}
    # An article in parts holds the words of all its parts: left out of the reference.
    got = {d: v for d, v in scores.items() if d not in sib}
    expected = {d: v for d, v in expected.items() if d not in sib}
    assert set(terms) >= set(words)
    assert got.keys() == expected.keys()
    assert got
    for d, v in got.items():
        assert v == pytest.approx(expected[d], rel=1e-9)
