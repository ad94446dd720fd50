"""Grouping matched parts into results: parts of one article are one result scoring as the
best of them, exact duplicates one result; the same results, in the same order, however
the index is laid out."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from seedsearch.collapse import ALSO_IN_SHOWN, KEYS, MAX_PARTS, Columns, FoldMap, fold_of, group


class Keys:
    """A reader holding only a keys column (as the cluster's pool gives one)."""

    def __init__(self, values: list[bytes]) -> None:
        self._values = values

    def has_column(self, name: str) -> bool:
        return name == KEYS

    def column_reader(self, name: str) -> list[bytes]:
        return self._values


def expected(
    cols: Columns, scores: dict[int, float], window: int, folds: FoldMap
) -> tuple[list[tuple[Any, ...]], int]:
    """Every result worked out one by one: each article scores as its best part, each group
    of duplicates shows its best article (the first by id among equals)."""
    articles: dict[int, list[int]] = {}
    for d in scores:
        articles.setdefault(folds.article.get(d, d), []).append(d)
    best = {a: max(parts, key=lambda d: (scores[d], -d)) for a, parts in articles.items()}
    groups: dict[int, list[int]] = {}
    for a in articles:
        groups.setdefault(folds.group.get(a, a), []).append(a)
    results = []
    for members in groups.values():
        shown = min(members, key=lambda a: (-scores[best[a]], cols.doc_id(best[a])))
        d = best[shown]
        parts = sorted(articles[shown], key=lambda p: (-scores[p], p))[:MAX_PARTS]
        others = sorted(cols.path(best[a]) for a in members if a != shown)
        results.append(
            (d, scores[d], tuple(parts), cols.path(d), cols.doc_id(d), tuple(others), len(others))
        )
    results.sort(key=lambda r: (-r[1], r[0]))
    return [(*r[:5], r[5][:ALSO_IN_SHOWN], r[6]) for r in results[:window]], len(groups)


documents = st.lists(
    st.tuples(
        st.sampled_from(["a", "b", "c", "d", "e", "f", "g", "h"]),  # doc_id
        st.sampled_from(["t1", "t2", "t3", "t4", "t5", "t6"]),  # text hash
        st.sampled_from(["", "", "", "u1", "u2"]),  # canonical URL
        st.booleans(),  # an index document that is no article part
    ),
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(
    docs=documents,
    data=st.data(),
    window=st.integers(1, 12),
)
def test_grouping_matches_working_out_every_result(docs: list[Any], data: Any, window: int) -> None:
    values = [
        b"" if other else "\x00".join((i, t, u, "", f"/{i}.txt")).encode()
        for i, t, u, other in docs
    ]
    cols = Columns(Keys(values))
    matched = data.draw(st.sets(st.integers(0, max(len(docs) - 1, 0))) if docs else st.just(set()))
    scores = {d: data.draw(st.sampled_from([0.5, 1.0, 1.5, 2.0, 3.0])) for d in matched}
    for folds in (FoldMap(cols), None):
        ranked, total = group(cols, scores, window, folds)
        used = folds if folds is not None else fold_of((d, values[d]) for d in scores)
        want, want_total = expected(cols, scores, window, used)
        got = [(r.docnum, r.score, r.parts, r.path, r.doc_id, r.also_in, r.folded) for r in ranked]
        assert (got, total) == (want, want_total)


@settings(max_examples=300, deadline=None)
@given(docs=documents)
def test_duplicates_are_the_articles_linked_by_a_text_or_url(docs: list[Any]) -> None:
    values = [
        b"" if other else "\x00".join((i, t, u, "", f"/{i}.txt")).encode()
        for i, t, u, other in docs
    ]
    folds = fold_of(enumerate(values))
    first: dict[str, int] = {}
    for d, (i, _, _, other) in enumerate(docs):
        if not other:
            first.setdefault(i, d)
    assert folds.article == {
        d: first[i] for d, (i, _, _, other) in enumerate(docs) if not other and first[i] != d
    }
    # Each article joins those sharing its text or URL, and theirs in turn; a group is
    # named by its first article.
    keys = {
        a: {("t", docs[a][1]), *([("u", docs[a][2])] if docs[a][2] else [])} for a in first.values()
    }
    component: dict[int, int] = {}
    for a in sorted(keys):
        if a in component:
            continue
        todo, found = [a], {a}
        while todo:
            b = todo.pop()
            for c in keys:
                if c not in found and keys[b] & keys[c]:
                    found.add(c)
                    todo.append(c)
        for c in found:
            component[c] = min(found)
    assert folds.group == {a: g for a, g in component.items() if a != g}
