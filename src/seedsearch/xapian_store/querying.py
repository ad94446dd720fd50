"""Compiling the shared query tree (:mod:`..query`) to a ``xapian.Query``.

The matching rules are the folder index's (:mod:`..compile`, :mod:`..ranking`): a word
matches its term in the body (in a plain list of words also its derivational family, and
an article needs all but one of 3 or 4 words, all but two of 5 or more), a hyphenated
word its parts as a phrase or its joined form, ``title:`` the title's terms, a phrase its
terms in a row, ``auteur:``/``source:`` their field's words (selecting, not scoring),
``date:`` a value range, ``type:`` and ``dossier:`` a term; a word's synonyms, and a run
of words' (``centre de données``), count at ``SYNONYM_WEIGHT``; stop words are dropped
from a list of words; ``NOT x`` is every article but those with x. Prefix and fuzzy words
expand through the spelling dictionary, within the same budgets.
"""

from __future__ import annotations

from collections.abc import Iterable
from math import comb
from typing import TYPE_CHECKING, Any

from ..analysis import analyse, normalise_word, term_for
from ..budget import MAX_EXPANSIONS, QUERY_EXPANSIONS, Cost
from ..compile import SYNONYM_WEIGHT, distinct
from ..filters import TEXT_FILTERS, date_range, folder_key, format_name
from ..query import (
    And,
    Filter,
    Node,
    Not,
    Or,
    Phrase,
    Word,
    is_stop,
    unparse,
    without_stop_words,
)
from ..spelling import Spelling
from ..synonyms import find_runs
from . import layout

if TYPE_CHECKING:
    from ..synonyms import Synonyms

# A soft AND of more words than this would be too many ANDs: every word is needed.
MAX_SOFT_SETS = 256


def field_prefix(scope: str | None) -> str:
    if scope is None:
        return ""
    return layout.TITLE if scope == "title" else layout.FIELD_PREFIXES[scope]


class XapianCompiler:
    """One search's compilation: the query, and the terms and phrases to highlight.

    It has what :func:`..compile.correct` asks of a compiler (``cost``, ``known``,
    ``thesaurus``, ``nearest``), so spelling correction is the shared one.
    """

    def __init__(self, x: Any, db: Any, spelling: Spelling, thesaurus: Synonyms) -> None:
        self.x = x
        self.db = db
        self.spelling = spelling
        self.cost: Cost = spelling.cost
        self.thesaurus = thesaurus
        self.terms: set[str] = set()
        self.phrases: list[tuple[str, ...]] = []
        self.dropped: list[str] = []
        self.also: list[str] = []
        self.expanded = 0

    # What correct() uses ----------------------------------------------------------

    def known(self, term: str) -> bool:
        return bool(self.db.get_termfreq(term) or self.db.get_termfreq(layout.TITLE + term))

    def nearest(self, folded: str, maxdist: int) -> str | None:
        return self.spelling.nearest(folded, maxdist)

    # Building --------------------------------------------------------------------------

    def compile(self, node: Node) -> Any:
        from ..query import has_text_leaf
        from ..ranking import TITLE_WEIGHT

        x = self.x
        q = self._flat(node) if isinstance(node, And | Word) else None
        if q is None:
            q = self._compile(node, True)
        if q is None:
            return x.Query.MatchNothing
        if self.terms and has_text_leaf(node):
            # As in the folder index: the query words found in an article's title add
            # their weight (the article *about* them first); the title alone never matches.
            title = x.Query(x.Query.OP_OR, [x.Query(layout.TITLE + t) for t in sorted(self.terms)])
            q = x.Query(
                x.Query.OP_AND_MAYBE, q, x.Query(x.Query.OP_SCALE_WEIGHT, title, TITLE_WEIGHT)
            )
        return q

    def _flat(self, node: And | Word) -> Any:
        """A plain list of words (besides filters), as the folder index's ranking reads
        one: each word also matches its derivational family (at ``FAMILY_WEIGHT``), and an
        article needs ``min_should_match`` of the words: any ``need`` of them (an OR of the
        ANDs of each set of ``need``, which only selects), scored by the words it holds,
        so that one holding them all comes first when otherwise as good. None when the
        list is not plain."""
        from itertools import combinations

        from ..ranking import FAMILY_WEIGHT, min_should_match

        x = self.x
        children: list[Node] = distinct(node.children) if isinstance(node, And) else [node]
        filters = [
            c
            for c in children
            if isinstance(c, Filter) or (isinstance(c, Word | Phrase) and c.field in TEXT_FILTERS)
        ]
        content = without_stop_words([c for c in children if c not in filters])
        if not content or not all(_plain(c) for c in content):
            return None
        words = [c for c in content if isinstance(c, Word)]  # all of them (_plain)
        if find_runs(children, self.thesaurus)[1]:  # a run of words with synonyms
            return None
        if any(len(t.stems) > 1 for w in words for t in self.thesaurus.lookup(w.text)):
            return None  # a synonym of several words (a phrase) is no plain word
        need = min_should_match(len(words))
        if comb(len(words), need) > MAX_SOFT_SETS:
            return None
        subs = []
        for w in words:
            q = self._compile(w, True)
            if q is None:
                return None
            tok = next(iter(analyse(w.text)))
            family = self._family(tok.folded, tok.text)
            if family:
                self.terms.update(family)
                scaled = x.Query(x.Query.OP_SCALE_WEIGHT, self._terms_query(family), FAMILY_WEIGHT)
                q = x.Query(x.Query.OP_OR, [q, scaled])
            subs.append(q)
        if need == len(subs):
            q = subs[0] if len(subs) == 1 else x.Query(x.Query.OP_AND, subs)
        else:
            held = x.Query(
                x.Query.OP_OR, [x.Query(x.Query.OP_AND, list(c)) for c in combinations(subs, need)]
            )
            q = x.Query(x.Query.OP_AND_MAYBE, self._unscored(held), x.Query(x.Query.OP_OR, subs))
        checks = [f for c in filters if (f := self._compile(c, True)) is not None]
        return x.Query(x.Query.OP_FILTER, q, x.Query(x.Query.OP_AND, checks)) if checks else q

    def _family(self, folded: str, term: str) -> tuple[str, ...]:
        """Indexed terms of the words derived from the same base as ``folded`` (the
        folder index's :meth:`..compile.Compiler.family`)."""
        found = self.spelling.family(folded) - {term}
        return tuple(sorted(t for t in found if self.db.get_termfreq(t)))

    def _terms_query(self, terms: tuple[str, ...]) -> Any:
        x = self.x
        subs = [x.Query(t) for t in terms]
        return subs[0] if len(subs) == 1 else x.Query(x.Query.OP_OR, subs)

    def _any(self, terms: Iterable[str], scope: str | None, positive: bool) -> Any:
        x = self.x
        terms = sorted(set(terms))
        if positive and scope not in TEXT_FILTERS:
            self.terms.update(terms)
        prefix = field_prefix(scope)
        subs = [x.Query(prefix + t) for t in terms]
        if not subs:
            return x.Query.MatchNothing
        return subs[0] if len(subs) == 1 else x.Query(x.Query.OP_OR, subs)

    def _phrase(self, stems: list[str], scope: str | None, positive: bool) -> Any:
        x = self.x
        if positive and scope not in TEXT_FILTERS:
            self.phrases.append(tuple(stems))
        prefix = field_prefix(scope)
        return x.Query(x.Query.OP_PHRASE, [prefix + s for s in stems], len(stems))

    def _expand(self, node: Word) -> list[str] | None:
        words = self.spelling.expansions(normalise_word(node.text), node.prefix, node.fuzzy)
        kept = []
        for w in words[:MAX_EXPANSIONS]:
            if self.expanded >= QUERY_EXPANSIONS:
                break
            self.expanded += 1
            kept.append(w)
        return kept or None

    def _field_prefix_terms(self, node: Word) -> list[str]:
        """The terms of an author's or source's names starting with a prefix."""
        prefix = field_prefix(node.field)
        folded = normalise_word(node.text)
        found: set[str] = set()
        for start in (folded, term_for(folded)):
            for item in self.db.allterms(prefix + start):
                found.add(item.term.decode("utf-8")[len(prefix) :])
                if len(found) >= MAX_EXPANSIONS:
                    break
            if found:
                break
        return sorted(found)

    def _word(self, node: Word, positive: bool) -> Any:
        if node.prefix and node.field in TEXT_FILTERS:
            return self._any(self._field_prefix_terms(node), node.field, positive)
        if node.prefix or node.fuzzy is not None:
            words = self._expand(node)
            if words is None:
                self.dropped.append(unparse(node))
                return None
            return self._any((term_for(w) for w in words), node.field, positive)
        toks = list(analyse(node.text))
        parts = [t.text for t in toks if not t.joined]
        joined = [t.text for t in toks if t.joined]
        filtering = node.field in TEXT_FILTERS
        targets = self.thesaurus.lookup(node.text) if parts and not filtering else []
        if len(parts) == 1:
            q = self._any(parts, node.field, positive)
        else:
            subs = [self._phrase(parts, node.field, positive)]
            if joined:
                subs.append(self._any(joined, node.field, positive))
            q = subs[0] if len(subs) == 1 else self.x.Query(self.x.Query.OP_OR, subs)
        return self._alternatives(q, targets, node.field, positive)

    def _alternatives(self, q: Any, targets: list[Any], scope: str | None, positive: bool) -> Any:
        x = self.x
        if not targets:
            return q
        subs = [] if q is None else [q]
        for t in targets:
            if positive and t.text not in self.also:
                self.also.append(t.text)
            if len(t.stems) == 1:
                sub = self._any(t.stems, scope, positive)
            else:
                sub = self._phrase(list(t.stems), scope, positive)
            subs.append(x.Query(x.Query.OP_SCALE_WEIGHT, sub, SYNONYM_WEIGHT))
        return x.Query(x.Query.OP_OR, subs)

    def _run(self, words: list[Word], targets: list[Any], positive: bool) -> Any:
        """A run of words that is a synonyms entry: all of them, or one of its synonyms."""
        x = self.x
        subs = [q for w in words if not is_stop(w) if (q := self._compile(w, positive))]
        original = (subs[0] if len(subs) == 1 else x.Query(x.Query.OP_AND, subs)) if subs else None
        return self._alternatives(original, targets, None, positive)

    def _filter(self, node: Filter) -> Any:
        x = self.x
        if node.field == "date":
            lo, hi = date_range(node.value)
            slot = layout.DATE_SLOT
            if lo is not None and hi is not None:
                q = x.Query(
                    x.Query.OP_VALUE_RANGE, slot, x.sortable_serialise(lo), x.sortable_serialise(hi)
                )
            elif lo is not None:
                q = x.Query(x.Query.OP_VALUE_GE, slot, x.sortable_serialise(lo))
            else:
                q = x.Query(x.Query.OP_VALUE_LE, slot, x.sortable_serialise(hi))
        elif node.field == "format":
            q = x.Query(layout.FIELD_PREFIXES["format"] + format_name(node.value))
        else:
            q = x.Query(layout.FIELD_PREFIXES["folder"] + folder_key(node.value))
        return self._unscored(q)

    def _unscored(self, q: Any) -> Any:
        return self.x.Query(self.x.Query.OP_SCALE_WEIGHT, q, 0.0)

    def _compile(self, node: Node, positive: bool) -> Any:
        x = self.x
        self.cost.check()
        if isinstance(node, Filter):
            return self._filter(node)
        if isinstance(node, (Word, Phrase)):
            if isinstance(node, Word):
                q = self._word(node, positive)
            else:
                stems = [t.text for t in analyse(node.text) if not t.joined]
                q = (
                    self._any(stems, node.field, positive)
                    if len(stems) == 1
                    else self._phrase(stems, node.field, positive)
                )
            return self._unscored(q) if q is not None and node.field in TEXT_FILTERS else q
        if isinstance(node, Not):
            child = self._compile(node.child, not positive)
            if child is None:
                return None
            return x.Query(x.Query.OP_AND_NOT, x.Query.MatchAll, child)
        if isinstance(node, Or):
            subs = [q for c in distinct(node.children) if (q := self._compile(c, positive))]
            if not subs:
                return None
            return subs[0] if len(subs) == 1 else x.Query(x.Query.OP_OR, subs)
        children, runs = find_runs(distinct(node.children), self.thesaurus)
        pos: list[Node] = [c for c in children if not isinstance(c, Not)]
        neg = [c.child for c in children if isinstance(c, Not)]
        positives = [q for w, t in runs if (q := self._run(w, t, positive)) is not None]
        # The runs hold the query's content words: the stop words left are dropped.
        pos = [c for c in pos if not is_stop(c)] if runs else without_stop_words(pos)
        positives += [q for c in pos if (q := self._compile(c, positive)) is not None]
        negatives = [q for c in neg if (q := self._compile(c, not positive)) is not None]
        if not positives and not negatives:
            return None
        if not positives:
            base = x.Query.MatchAll
        else:
            base = positives[0] if len(positives) == 1 else x.Query(x.Query.OP_AND, positives)
        if not negatives:
            return base
        excluded = negatives[0] if len(negatives) == 1 else x.Query(x.Query.OP_OR, negatives)
        return x.Query(x.Query.OP_AND_NOT, base, excluded)


def _plain(node: Node) -> bool:
    """A word matched as one term in the body (its one-word synonyms count with it)."""
    if not isinstance(node, Word) or node.field or node.prefix or node.fuzzy is not None:
        return False
    return len(list(analyse(node.text))) == 1
