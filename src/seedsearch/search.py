"""Stage 4: search — a lenient query parser, typo correction, BM25 + title ranking, snippets.

Query syntax (web-search style): words are ANDed; ``OR``; ``NOT word`` / ``-word``;
``"exact phrase"``; ``prefix*``; ``word~`` (fuzzy, ``word~2`` for two edits);
``title:word`` (or ``titre:``) scopes to article titles; parentheses group. A half-typed
query is answered: what could not be used is reported in ``ignored``.
"""

from __future__ import annotations

import html
import math
import re
import time
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from itertools import accumulate
from pickle import loads
from typing import TYPE_CHECKING, Any

from whoosh.query import Phrase as WhooshPhrase
from whoosh.query.spans import Span, SpanWrappingMatcher

from .analysis import (
    APOSTROPHES,
    HYPHENS,
    analyse,
    is_number,
    is_stop_word,
    normalise_word,
    spans_of_terms,
    term_for,
)
from .errors import QueryError

if TYPE_CHECKING:
    from whoosh.searching import Searcher

    from .index import Index

MAX_QUERY_CHARS = 1000
MAX_LIMIT = 100
MAX_OFFSET = 10_000
TITLE_WEIGHT = 1.0
PASSAGES_PER_ARTICLE = 3
MAX_EXPANSIONS = 64
FIELDS = {"title": "title", "titre": "title"}


# --- query syntax tree -----------------------------------------------------------------


@dataclass
class Word:
    text: str
    field: str | None = None
    prefix: bool = False
    fuzzy: int | None = None  # None: exact; 0: edits chosen by length; 1 or 2: given


@dataclass
class Phrase:
    text: str
    field: str | None = None


@dataclass
class Not:
    child: Node


@dataclass
class And:
    children: list[Node]


@dataclass
class Or:
    children: list[Node]


Node = Word | Phrase | Not | And | Or


def unparse(node: Node) -> str:
    """The query string for a tree (how a corrected or relaxed query is shown)."""
    if isinstance(node, Word):
        scope = f"{node.field}:" if node.field else ""
        suffix = "*" if node.prefix else ""
        if node.fuzzy is not None:
            suffix += f"~{node.fuzzy}" if node.fuzzy else "~"
        # A word spelled like an operator is written in lower case (same terms once folded).
        text = node.text.lower() if node.text in _OPERATORS else node.text
        return f"{scope}{text}{suffix}"
    if isinstance(node, Phrase):
        scope = f"{node.field}:" if node.field else ""
        return f'{scope}"{node.text}"'
    if isinstance(node, Not):
        inner = unparse(node.child)
        if isinstance(node.child, Not):
            return f"NOT {inner}"
        return f"-({inner})" if isinstance(node.child, (And, Or)) else f"-{inner}"
    if isinstance(node, And):
        return " ".join(
            f"({unparse(c)})" if isinstance(c, Or) else unparse(c) for c in node.children
        )
    return " OR ".join(unparse(c) for c in node.children)


# --- lexer and lenient parser ----------------------------------------------------------

_OPERATORS = {"AND", "OR", "NOT"}
_FUZZY_RE = re.compile(r"~(\d*)$")


@dataclass
class _Tok:
    kind: str  # "(", ")", "op", "neg", "phrase", "word", "field"
    text: str


def _lex(query: str, ignored: list[str]) -> list[_Tok]:
    toks: list[_Tok] = []
    i, n = 0, len(query)
    while i < n:
        ch = query[i]
        if ch.isspace():
            i += 1
        elif ch in "-!" and i + 1 < n and query[i + 1] in '("“”«»':
            toks.append(_Tok("neg", ch))  # -(group) and -"phrase"
            i += 1
        elif ch in "()":
            toks.append(_Tok(ch, ch))
            i += 1
        elif ch in '"“”«»':
            close = re.compile(r'["“”«»]').search(query, i + 1)
            if close is None:
                ignored.append('"')
                toks.append(_Tok("phrase", query[i + 1 :]))
                i = n
            else:
                toks.append(_Tok("phrase", query[i + 1 : close.start()]))
                i = close.end()
        else:
            m = re.compile(r'[^\s()"“”«»]+').match(query, i)
            assert m is not None
            i = m.end()
            _lex_word(m.group(), toks, ignored)
    return toks


def _lex_word(word: str, toks: list[_Tok], ignored: list[str]) -> None:
    # Only a trailing * means something (prefix); other wildcards are dropped and reported.
    core = word.rstrip("*")
    if "*" in core or "?" in core:
        ignored.append("*" if "*" in core else "?")
        core = core.replace("*", "").replace("?", "")
    if not core:
        ignored.append(word)
        return
    word = core + ("*" if word.endswith("*") else "")
    if word in _OPERATORS:
        toks.append(_Tok("op", word))
        return
    if word[0] in "-!" and len(word) > 1 and word[0] != word[1]:
        toks.append(_Tok("neg", word[0]))
        word = word[1:]
    elif word[0] == "+" and len(word) > 1:
        word = word[1:]
    name, colon, rest = word.partition(":")
    if colon and name.isascii() and name.isalpha():
        if name.lower() in FIELDS:
            toks.append(_Tok("field", FIELDS[name.lower()]))
        else:
            ignored.append(f"{name}:")
        if rest:
            _lex_word(rest, toks, ignored)
        return
    toks.append(_Tok("word", word))


class _Parser:
    def __init__(self, toks: list[_Tok], ignored: list[str]) -> None:
        self.toks = toks
        self.i = 0
        self.ignored = ignored

    def peek(self) -> _Tok | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> _Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def parse(self) -> Node | None:
        node = self.parse_or(0, None)
        while self.peek() is not None:  # only stray ")" can stop the top level early
            self.ignored.append(self.take().text)
            more = self.parse_or(0, None)
            if more is not None:
                node = more if node is None else _and([node, more])
        return node

    def parse_or(self, depth: int, scope: str | None) -> Node | None:
        branches: list[Node] = []
        node = self.parse_and(depth, scope)
        if node is not None:
            branches.append(node)
        while (tok := self.peek()) is not None and tok.kind == "op" and tok.text == "OR":
            self.take()
            node = self.parse_and(depth, scope)
            if node is None or not branches:
                self.ignored.append("OR")
            if node is not None:
                branches.append(node)
        if not branches:
            return None
        return branches[0] if len(branches) == 1 else Or(branches)

    def parse_and(self, depth: int, scope: str | None) -> Node | None:
        items: list[Node] = []
        while (tok := self.peek()) is not None:
            if tok.kind == "op" and tok.text == "OR":
                break
            if tok.kind == ")":
                if depth > 0:
                    break
                self.ignored.append(self.take().text)
                continue
            if tok.kind == "op" and tok.text == "AND":
                self.take()
                nxt = self.peek()
                if (
                    not items
                    or nxt is None
                    or nxt.kind == ")"
                    or (nxt.kind == "op" and nxt.text != "NOT")
                ):
                    self.ignored.append("AND")
                continue
            node = self.parse_unary(depth, scope)
            if node is not None:
                items.append(node)
        if not items:
            return None
        return items[0] if len(items) == 1 else And(items)

    def parse_unary(self, depth: int, scope: str | None) -> Node | None:
        tok = self.peek()
        assert tok is not None
        if tok.kind == "neg" or (tok.kind == "op" and tok.text == "NOT"):
            self.take()
            nxt = self.peek()
            child = None
            if (
                nxt is not None
                and nxt.kind not in (")",)
                and not (nxt.kind == "op" and nxt.text != "NOT")
            ):
                child = self.parse_unary(depth, scope)
            if child is None:
                self.ignored.append(tok.text)
                return None
            return Not(child)
        return self.parse_primary(depth, scope)

    def parse_primary(self, depth: int, scope: str | None) -> Node | None:
        tok = self.take()
        if tok.kind == "(":
            node = self.parse_or(depth + 1, scope)
            if (nxt := self.peek()) is not None and nxt.kind == ")":
                self.take()
                if node is None:
                    self.ignored.append("()")
            else:
                self.ignored.append("(")
            return node
        if tok.kind == "field":
            nxt = self.peek()
            if nxt is None or nxt.kind not in ("word", "phrase", "(", "field"):
                self.ignored.append(f"{tok.text}:")
                return None
            return self.parse_primary(depth, tok.text)
        if tok.kind == "phrase":
            if not any(True for _ in analyse(tok.text)):
                self.ignored.append(f'"{tok.text}"' if tok.text.strip() else '""')
                return None
            return Phrase(" ".join(tok.text.split()), scope)
        return self._word(tok.text, scope)

    def _word(self, text: str, scope: str | None) -> Node | None:
        original = text
        fuzzy = None
        m = _FUZZY_RE.search(text)
        if m is not None:
            fuzzy = min(int(m.group(1)), 2) if m.group(1) else 0
            text = text[: m.start()]
        prefix = text.endswith("*")
        text = text.rstrip("*")
        if not any(True for _ in analyse(text)):
            if original not in self.ignored:
                self.ignored.append(original)
            return None
        if prefix:
            fuzzy = None
        return Word(text, scope, prefix=prefix, fuzzy=fuzzy)


def _and(children: list[Node]) -> Node:
    flat: list[Node] = []
    for c in children:
        flat.extend(c.children if isinstance(c, And) else [c])
    return And(flat)


def parse(query: str) -> tuple[Node | None, list[str]]:
    """The syntax tree of ``query`` and the pieces of it that were ignored."""
    ignored: list[str] = []
    toks = _lex(query, ignored)
    node = _Parser(toks, ignored).parse()
    return node, ignored


# --- highlighting ----------------------------------------------------------------------

_GLUE = set(" \u00a0\u202f" + APOSTROPHES + HYPHENS)


@dataclass(frozen=True)
class Highlighter:
    """Finds the spans of a text that a query matched: its terms and its phrases."""

    terms: frozenset[str] = frozenset()
    phrases: tuple[tuple[str, ...], ...] = ()

    def spans(self, text: str) -> list[tuple[int, int]]:
        if not self.terms and not self.phrases:
            return []
        if not self.phrases:
            return _merge(sorted(spans_of_terms(text, self.terms)), text)
        toks = list(analyse(text))
        found = [(t.start, t.end) for t in toks if t.text in self.terms]
        if self.phrases:
            plain = [t for t in toks if not t.joined]
            words = [t.text for t in plain]
            for seq in self.phrases:
                k = len(seq)
                for i in range(len(words) - k + 1):
                    if tuple(words[i : i + k]) == seq:
                        found.append((plain[i].start, plain[i + k - 1].end))
        return _merge(sorted(found), text)

    def html(self, text: str) -> str:
        return mark_html(text, self.spans(text))


def _merge(spans: list[tuple[int, int]], text: str) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged:
            prev_start, prev_end = merged[-1]
            gap = text[prev_end:start]
            if start <= prev_end or (len(gap) <= 2 and all(ch in _GLUE for ch in gap)):
                merged[-1] = (prev_start, max(prev_end, end))
                continue
        merged.append((start, end))
    return merged


def mark_html(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """HTML-escaped ``text`` with ``<mark>`` around the spans (escaped first, then marked)."""
    out: list[str] = []
    last = 0
    for start, end in spans:
        out.append(html.escape(text[last:start]))
        out.append(f"<mark>{html.escape(text[start:end])}</mark>")
        last = end
    out.append(html.escape(text[last:]))
    return "".join(out)


# --- results ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    rank: int
    doc_id: str
    title: str
    path: str
    section: str
    passage: int
    start: int
    end: int
    text: str
    snippet: str
    score: float
    spans: tuple[tuple[int, int], ...] = field(default=(), repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        del d["spans"]
        return d


@dataclass(frozen=True)
class SearchResult:
    query: str
    total: int
    took_ms: float
    corrected_query: str | None
    ignored: tuple[str, ...]
    hits: tuple[Hit, ...]
    suggestion: str | None = None
    limit: int = 10
    offset: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "total": self.total,
            "took_ms": self.took_ms,
            "corrected_query": self.corrected_query,
            "ignored": list(self.ignored),
            "suggestion": self.suggestion,
            "limit": self.limit,
            "offset": self.offset,
            "hits": [h.to_dict() for h in self.hits],
        }


# --- compiling to Whoosh ---------------------------------------------------------------


def _budget(folded: str) -> int:
    """Edits allowed when correcting a word: none under 5 letters, 1 up to 8, then 2."""
    n = len(folded)
    return 0 if n < 5 else 1 if n <= 8 else 2


def _edit_distance(a: str, b: str) -> int:
    """Damerau–Levenshtein (optimal string alignment) distance."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


def _text(t: str | bytes) -> str:
    return t.decode("utf-8") if isinstance(t, bytes) else t


class _Spelling:
    """Look-ups in the index's spelling dictionary (folded words), loaded on first use."""

    def __init__(self, index: Index, searcher: Searcher) -> None:
        self.index = index
        self.searcher = searcher
        self._words: tuple[list[str], list[int]] | None = None

    @property
    def lists(self) -> tuple[list[str], list[int]]:
        if self._words is None:
            self._words = self.index.spelling(self.searcher)
        return self._words

    def freq(self, word: str) -> int:
        words, counts = self.lists
        i = bisect_left(words, word)
        return counts[i] if i < len(words) and words[i] == word else 0

    def prefix(self, prefix: str) -> Iterator[str]:
        words, _ = self.lists
        for i in range(bisect_left(words, prefix), len(words)):
            if not words[i].startswith(prefix):
                break
            yield words[i]

    def within(self, word: str, maxdist: int) -> Iterator[str]:
        """Words within ``maxdist`` Levenshtein edits, found by walking a Levenshtein
        automaton through the sorted word list (Whoosh's own method for its lexicons)."""
        from whoosh.automata.fsa import find_all_matches
        from whoosh.automata.lev import levenshtein_automaton

        words, _ = self.lists

        def first_at_least(key: str) -> str | None:
            i = bisect_left(words, key)
            return words[i] if i < len(words) else None

        dfa = levenshtein_automaton(word, maxdist).to_dfa()
        yield from find_all_matches(dfa, first_at_least)


class _Compiler:
    def __init__(self, searcher: Searcher, spelling: _Spelling) -> None:
        self.searcher = searcher
        self.spelling = spelling
        self.reader = searcher.reader()
        self.terms: set[str] = set()
        self.phrases: list[tuple[str, ...]] = []
        # The terms and phrases of each positive query word, to count how many of the
        # query's words a passage holds.
        self.groups: list[frozenset[str | tuple[str, ...]]] = []
        # Raw body postings of the top articles when the search already read them.
        self.postings: dict[int, dict[str, bytes]] = {}

    # Vocabulary look-ups -----------------------------------------------------------

    def known(self, term: str) -> bool:
        return bool(
            self.reader.doc_frequency("body", term) or self.reader.doc_frequency("title", term)
        )

    def spell_freq(self, word: str) -> int:
        return self.spelling.freq(word)

    def nearest(self, folded: str, maxdist: int) -> str | None:
        if maxdist <= 0:
            return None
        best: tuple[int, int, str] | None = None
        for cand in self.spelling.within(folded, maxdist):
            if cand == folded or is_number(cand):
                continue
            key = (_edit_distance(folded, cand), -self.spell_freq(cand), cand)
            if key[0] <= maxdist and (best is None or key < best):
                best = key
        return best[2] if best else None

    def expand_prefix(self, folded: str) -> list[str]:
        words: list[str] = []
        for i, w in enumerate(self.spelling.prefix(folded)):
            if i >= 5000:
                break
            words.append(w)
        if len(words) > MAX_EXPANSIONS:
            words.sort(key=lambda w: -self.spell_freq(w))
            words = words[:MAX_EXPANSIONS]
        return words

    # Building queries --------------------------------------------------------------

    def fields(self, scope: str | None) -> list[tuple[str, float]]:
        return [("title", 1.0)] if scope == "title" else [("body", 1.0)]

    def any_term(self, terms: Iterable[str], scope: str | None, positive: bool) -> Any:
        from whoosh.query import NullQuery, Or, Term

        terms = sorted(set(terms))
        if positive:
            self.terms.update(terms)
        subs = [Term(f, t, boost=b) for t in terms for f, b in self.fields(scope)]
        if not subs:
            return NullQuery
        return subs[0] if len(subs) == 1 else Or(subs)

    def phrase(self, stems: list[str], scope: str | None, positive: bool) -> Any:
        from whoosh.query import Or

        if positive:
            self.phrases.append(tuple(stems))
        subs = [_ExactPhrase(f, stems, slop=1, boost=b) for f, b in self.fields(scope)]
        return subs[0] if len(subs) == 1 else Or(subs)

    def word(self, node: Word, positive: bool) -> Any:
        from whoosh.query import Or

        if node.prefix or node.fuzzy is not None:
            folded = normalise_word(node.text)
            if node.prefix:
                words = self.expand_prefix(folded)
            else:
                dist = node.fuzzy or max(1, _budget(folded))
                words = [folded, *self.spelling.within(folded, dist)]
            return self.any_term((term_for(w) for w in words), node.field, positive)
        toks = list(analyse(node.text))
        parts = [t.text for t in toks if not t.joined]
        joined = [t.text for t in toks if t.joined]
        if len(parts) == 1:
            return self.any_term(parts, node.field, positive)
        subs = [self.phrase(parts, node.field, positive)]
        if joined:
            subs.append(self.any_term(joined, node.field, positive))
        return subs[0] if len(subs) == 1 else Or(subs)

    def leaf(self, node: Word | Phrase, positive: bool) -> Any:
        if isinstance(node, Word):
            return self.word(node, positive)
        stems = [t.text for t in analyse(node.text) if not t.joined]
        if len(stems) == 1:
            return self.any_term(stems, node.field, positive)
        return self.phrase(stems, node.field, positive)

    def compile(self, node: Node, positive: bool = True) -> Any:
        from whoosh.query import And as WAnd
        from whoosh.query import AndNot, NullQuery
        from whoosh.query import Or as WOr

        if isinstance(node, (Word, Phrase)):
            terms, phrases = set(self.terms), len(self.phrases)
            q = self.leaf(node, positive)
            keys = (self.terms - terms) | set(self.phrases[phrases:])
            if positive and keys:
                self.groups.append(frozenset(keys))
            return q
        if isinstance(node, Not):
            # Every article but these (not Whoosh's Not: it would find the dictionary too).
            return AndNot(_all_articles(), self.compile(node.child, not positive))
        if isinstance(node, Or):
            return WOr([self.compile(c, positive) for c in node.children])
        pos: list[Node] = [c for c in node.children if not isinstance(c, Not)]
        neg = [c.child for c in node.children if isinstance(c, Not)]
        positives = [self.compile(c, positive) for c in _without_stop_words(pos)]
        negatives = [self.compile(c, not positive) for c in neg]
        base = (
            (positives[0] if len(positives) == 1 else WAnd(positives))
            if positives
            else _all_articles()
        )
        if not negatives:
            return base
        excluded = negatives[0] if len(negatives) == 1 else WOr(negatives)
        return AndNot(base, excluded) if base is not NullQuery else NullQuery


def _decode_positions(value: bytes) -> list[int]:
    """A body posting's positions: Whoosh's Positions format (a 4-byte count, then the
    pickled deltas), summed in C rather than in Whoosh's Python loop."""
    return list(accumulate(loads(value[4:])))


class _ExactPhrase(WhooshPhrase):  # type: ignore[misc]
    """Whoosh's phrase query, with the positions checked by set arithmetic.

    (Whoosh builds a span object per position of every word in every candidate document;
    intersecting the position sets is several times faster on long articles.)
    """

    def matcher(self, searcher: Searcher, context: Any = None) -> Any:
        from whoosh import matching
        from whoosh.query import Term

        reader = searcher.reader()
        if any((self.fieldname, word) not in reader for word in self.words):
            return matching.NullMatcher()
        ms = [Term(self.fieldname, word).matcher(searcher, context) for word in self.words]
        order = sorted(
            range(len(ms)), key=lambda i: reader.doc_frequency(self.fieldname, self.words[i])
        )
        m = _PhraseMatcher(ms, order)
        return matching.WrappingMatcher(m, boost=self.boost) if self.boost != 1.0 else m


class _PhraseMatcher(SpanWrappingMatcher):  # type: ignore[misc]
    def __init__(self, ms: list[Any], order: list[int] | None = None) -> None:
        from whoosh.matching import IntersectionMatcher
        from whoosh.util import make_binary_tree

        self.ms = ms
        self.order = order if order is not None else list(range(len(ms)))
        super().__init__(make_binary_tree(IntersectionMatcher, ms))

    def copy(self) -> _PhraseMatcher:
        return _PhraseMatcher([m.copy() for m in self.ms], self.order)

    def replace(self, minquality: float = 0) -> Any:
        from whoosh.matching import NullMatcher

        return self if self.is_active() else NullMatcher()

    def _get_spans(self) -> list[Any]:
        starts: set[int] = set()
        # The rarest words first: their short position lists empty the set soonest.
        for n, i in enumerate(self.order):
            where = _decode_positions(self.ms[i].value())
            starts = {p - i for p in where} if n == 0 else starts & {p - i for p in where}
            if not starts:
                return []
        width = len(self.ms) - 1
        return [Span(p, p + width) for p in sorted(starts)]


def _all_articles() -> Any:
    from whoosh.query import ConstantScoreQuery, Term

    from .index import ARTICLE

    return ConstantScoreQuery(Term("kind", ARTICLE), 1.0)


def _is_stop(node: Node) -> bool:
    if not isinstance(node, Word) or node.prefix or node.fuzzy is not None:
        return False
    toks = list(analyse(node.text))
    return len(toks) == 1 and is_stop_word(toks[0].folded)


def _without_stop_words(children: Sequence[Node]) -> list[Node]:
    kept = [c for c in children if not _is_stop(c)]
    return kept or list(children)


def _leaves(node: Node, positive: bool = True) -> Iterator[tuple[Word | Phrase, bool]]:
    if isinstance(node, (Word, Phrase)):
        yield node, positive
    elif isinstance(node, Not):
        yield from _leaves(node.child, not positive)
    else:
        for c in node.children:
            yield from _leaves(c, positive)


def _correct(node: Node, compiler: _Compiler, budget_extra: int = 0) -> tuple[Node, bool]:
    """Replace words that match nothing with the nearest indexed word, within budget."""
    changed = False

    def fix(n: Node, positive: bool) -> Node:
        nonlocal changed
        if isinstance(n, Word):
            if not positive or n.prefix or n.fuzzy is not None:
                return n
            toks = list(analyse(n.text))
            if len(toks) != 1 or is_number(toks[0].folded) or is_stop_word(toks[0].folded):
                return n
            tok = toks[0]
            if not tok.folded.isalpha() or compiler.known(tok.text):
                return n
            budget = _budget(tok.folded)
            if budget_extra:
                budget = max(1, budget + budget_extra) if len(tok.folded) >= 3 else 0
            cand = compiler.nearest(tok.folded, budget)
            if cand is None:
                return n
            changed = True
            return replace(n, text=cand)
        if isinstance(n, Not):
            return Not(fix(n.child, not positive))
        if isinstance(n, (And, Or)):
            return type(n)([fix(c, positive) for c in n.children])
        return n

    return fix(node, True), changed


def _relaxed(node: Node) -> Node | None:
    """The OR form of a plain list of words, for when no passage has all of them."""
    if not isinstance(node, And):
        return None
    if not all(isinstance(c, (Word, Phrase)) and c.field is None for c in node.children):
        return None
    kept = _without_stop_words(list(node.children))
    return Or(kept) if len(kept) > 1 else None


def _validate(query: str, limit: int, offset: int) -> None:
    if not isinstance(query, str):
        raise QueryError("the query must be text")
    if len(query) > MAX_QUERY_CHARS:
        raise QueryError(f"query too long ({len(query)} characters, at most {MAX_QUERY_CHARS})")
    if not 1 <= limit <= MAX_LIMIT:
        raise QueryError(f"limit must be between 1 and {MAX_LIMIT}")
    if not 0 <= offset <= MAX_OFFSET:
        raise QueryError(f"offset must be between 0 and {MAX_OFFSET}")


def _run(
    searcher: Searcher, spelling: _Spelling, node: Node, window: int
) -> tuple[_Compiler, list[Any], int]:
    """(compiler, the top ``window`` articles as (docnum, score), exact number matching)."""
    from whoosh.collectors import TopCollector
    from whoosh.query import AndMaybe, Term
    from whoosh.query import Or as WOr

    compiler = _Compiler(searcher, spelling)
    q = compiler.compile(node)
    words = _plain_terms(q)
    if words is not None:
        ranked, total, compiler.postings = _conjunction(searcher, words, window)
        return compiler, ranked, total
    if compiler.terms and _has_text_leaf(node):
        # The query words found in an article's title add their weight: the article
        # that is *about* them comes first. The title alone never makes a match.
        title = [Term("title", t, boost=TITLE_WEIGHT) for t in sorted(compiler.terms)]
        q = AndMaybe(q, title[0] if len(title) == 1 else WOr(title))
    # No block-quality skipping and no matcher replacement: either one makes Whoosh's count
    # of matching documents wrong while it claims to be exact (and counting the matches
    # apart costs more than scoring them all here).
    collector = TopCollector(limit=window, usequality=False, replace=0)
    searcher.search_with_collector(q, collector)
    results = collector.results()
    ranked = [(hit.docnum, float(hit.score or 0.0)) for hit in results]
    return compiler, ranked, len(results)


def _plain_terms(q: Any) -> list[str] | None:
    """The body terms of a query that is one term or an AND of terms, else None."""
    from whoosh.query import And as WAnd
    from whoosh.query import Term

    subs = q.subqueries if type(q) is WAnd else [q]
    if not subs or not all(
        type(t) is Term and t.fieldname == "body" and t.boost == 1.0 for t in subs
    ):
        return None
    return [_text(t.text) for t in subs]


def _conjunction(
    searcher: Searcher, words: list[str], window: int
) -> tuple[list[tuple[int, float]], int, dict[int, dict[str, bytes]]]:
    """Top ``window`` articles holding every term, scored as the general path scores them
    (BM25F of each term, plus each term's BM25F in the title), how many there are, and
    the top articles' raw body postings (their positions), read on the way.

    Whoosh's intersection matcher leapfrogs between posting lists one step at a time; here
    the rarest term's articles are the candidates and each other list is only asked about
    them, which takes a fraction of the steps.
    """
    import heapq

    reader = searcher.reader()
    if any(("body", w) not in reader for w in words):
        return [], 0, {}
    words = sorted(set(words), key=lambda w: reader.doc_frequency("body", w))
    values: dict[int, dict[str, bytes]] = {}
    if len(words) == 1:  # every candidate matches: score them on the way
        m = searcher.postings("body", words[0])
        scores = {}
        while m.is_active():
            docnum = m.id()
            scores[docnum] = m.score()
            values[docnum] = {words[0]: m.value()}
            m.next()
        candidates = list(scores)
        words_to_score = []
    else:
        candidates = list(searcher.postings("body", words[0]).all_ids())
        words_to_score = words
    for w in words[1:]:
        candidates = _present(searcher.postings("body", w), candidates, _nothing)[0]
        if not candidates:
            return [], 0, {}
    if words_to_score:
        scores = dict.fromkeys(candidates, 0.0)
    for fieldname, weight in (("body", 1.0), ("title", TITLE_WEIGHT)):
        for w in words_to_score if fieldname == "body" else words:
            if (fieldname, w) in reader:
                found, points = _present(searcher.postings(fieldname, w), candidates, _scored)
                for docnum, (score, value) in zip(found, points, strict=True):
                    scores[docnum] += weight * score
                    if fieldname == "body":
                        values.setdefault(docnum, {})[w] = value
    top = heapq.nsmallest(window, scores.items(), key=lambda item: (-item[1], item[0]))
    return top, len(scores), {d: values.get(d, {}) for d, _ in top}


def _nothing(m: Any) -> None:
    return None


def _scored(m: Any) -> tuple[float, bytes]:
    return float(m.score()), m.value()


def _present(
    m: Any, docnums: list[int], value: Callable[[Any], Any]
) -> tuple[list[int], list[Any]]:
    """The documents among ``docnums`` (ascending) that matcher ``m`` holds, and ``value``
    of the matcher on each."""
    found: list[int] = []
    values: list[Any] = []
    for docnum in docnums:
        if not m.is_active():
            break
        if m.id() < docnum:
            m.skip_to(docnum)
            if not m.is_active():
                break
        if m.id() == docnum:
            found.append(docnum)
            values.append(value(m))
    return found, values


def _has_text_leaf(node: Node) -> bool:
    return any(positive and leaf.field is None for leaf, positive in _leaves(node))


# --- passages --------------------------------------------------------------------------
# Articles are ranked by the index; which of their passages matched, and how well, is
# worked out here for the articles on the page, from the positions of the query's terms
# (each passage owns a range of positions in its article).

_K1 = 1.2
_B = 0.75


def _positions(
    reader: Any, terms: Iterable[str], docnums: Sequence[int]
) -> dict[int, dict[str, list[int]]]:
    """docnum → term → positions in the body, for the given terms and articles."""
    from whoosh.reading import TermNotFound

    found: dict[int, dict[str, list[int]]] = {d: {} for d in docnums}
    order = sorted(docnums)
    for term in terms:
        try:
            m = reader.postings("body", term)
        except TermNotFound:
            continue
        for d, value in zip(*_present(m, order, _value), strict=True):
            found[d][term] = _decode_positions(value)
    return found


def _value(m: Any) -> bytes:
    return bytes(m.value())


def _idf(reader: Any, term: str, passages: int) -> float:
    # Passage-level idf: a term's occurrences in the whole collection stand in for the
    # number of passages holding it (an upper bound), which the index does not keep.
    occurrences = min(passages, int(reader.frequency("body", term)))
    return math.log(1 + (passages - occurrences + 0.5) / (occurrences + 0.5))


def _phrase_starts(positions: dict[str, list[int]], seq: tuple[str, ...]) -> set[int]:
    starts = set(positions.get(seq[0], ()))
    for i, term in enumerate(seq[1:], start=1):
        later = set(positions.get(term, ()))
        starts = {p for p in starts if p + i in later}
    return starts


def _passage_matches(
    table: Sequence[Sequence[Any]],
    positions: dict[str, list[int]],
    terms: set[str],
    phrases: Sequence[tuple[str, ...]],
) -> dict[int, dict[Any, list[int]]]:
    """Passage number → query term or phrase → the positions where it occurs."""
    firsts = [p[5] for p in table]
    found: dict[int, dict[Any, list[int]]] = {}

    def note(key: Any, where: Iterable[int]) -> None:
        n = 0
        for pos in sorted(where):
            n = bisect_right(firsts, pos, lo=n) - 1
            if n >= 0 and pos < firsts[n] + table[n][6]:
                found.setdefault(n, {}).setdefault(key, []).append(pos)
            n = max(n, 0)

    for term, where in positions.items():
        if term in terms:  # a word of the query, not only part of a phrase
            note(term, where)
    for seq in phrases:
        note(seq, _phrase_starts(positions, seq))
    return found


def _passage_score(
    length: int,
    found: dict[Any, list[int]],
    groups: Sequence[frozenset[Any]],
    idf: dict[Any, float],
    mean_length: float,
) -> float:
    """BM25 over the passage, times the share of the query's words it holds (Lucene's
    classic coordination factor): a passage with every word beats one with a few."""
    norm = _K1 * (1 - _B + _B * length / mean_length)
    total = 0.0
    for key, where in found.items():
        f = len(where)
        total += idf.get(key, 0.0) * f * (_K1 + 1) / (f + norm)
    if groups:
        total *= sum(1 for g in groups if not g.isdisjoint(found)) / len(groups)
    return total


def _hits(
    index: Index,
    searcher: Searcher,
    compiler: _Compiler,
    page: Sequence[tuple[int, float]],
    first_rank: int,
    text_query: bool,
) -> list[Hit]:
    """The best passages (up to PASSAGES_PER_ARTICLE) of each article on the page.

    Which passages matched, and where, comes from the positions of the query's terms in
    the article (each passage owns a range of positions); the matched words are marked
    from those positions too, so only the shown passages are tokenised again.
    """
    from .analysis import spans_at
    from .index import StoredPassage, stored_passage_fields

    reader = searcher.reader()
    terms = set(compiler.terms)
    docnums = [d for d, _ in page]
    positions: dict[int, dict[str, list[int]]] = {}
    if text_query and all(d in compiler.postings for d in docnums):
        positions = {
            d: {t: _decode_positions(v) for t, v in compiler.postings[d].items()} for d in docnums
        }
    elif text_query:
        positions = _positions(reader, terms.union(*compiler.phrases), docnums)
    passages, mean_length = index.passage_stats(searcher)
    idf: dict[Any, float] = {}
    if text_query:
        idf = {t: _idf(reader, t, max(1, passages)) for t in terms}
        for phrase in compiler.phrases:
            idf[phrase] = sum(_idf(reader, t, max(1, passages)) for t in phrase)
    highlighter = Highlighter(frozenset(compiler.terms), tuple(compiler.phrases))
    hits = []
    for rank, (docnum, score) in enumerate(page, start=first_rank):
        f = searcher.stored_fields(docnum)
        table: list[StoredPassage] = f.get("passages", [])
        if not table:
            continue
        found: dict[int, dict[Any, list[int]]] = {}
        chosen: list[int] = []
        if text_query:
            found = _passage_matches(table, positions[docnum], terms, compiler.phrases)
            scores = {
                n: _passage_score(table[n][6], keys, compiler.groups, idf, mean_length)
                for n, keys in found.items()
            }
            chosen = sorted(scores, key=lambda n: (-scores[n], n))[:PASSAGES_PER_ARTICLE]
        for n in chosen or [0]:
            number, _kind, section, start, end, text = stored_passage_fields(f, n)
            if n in found:
                first = table[n][5]
                marked: set[int] = set()
                for key, where in found[n].items():
                    width = len(key) if isinstance(key, tuple) else 1
                    marked.update(p - first + i for p in where for i in range(width))
                spans = _merge(sorted(spans_at(text, marked, highlighter.terms)), text)
            else:
                spans = highlighter.spans(text)
            hits.append(
                Hit(
                    rank=rank,
                    doc_id=f["doc_id"],
                    title=f.get("title", ""),
                    path=f.get("path", ""),
                    section=section,
                    passage=number,
                    start=start,
                    end=end,
                    text=text,
                    snippet=mark_html(text, spans),
                    score=round(score, 4),
                    spans=tuple(spans),
                )
            )
    return hits


def search(index: Index, query: str, limit: int = 10, offset: int = 0) -> SearchResult:
    """Run ``query`` against ``index``: a page of ranked articles with their best passages.

    ``limit`` and ``offset`` count articles; ``total`` is the exact number of matching
    articles. Each article brings its best passages (up to ``PASSAGES_PER_ARTICLE``).
    """
    started = time.perf_counter()
    _validate(query, limit, offset)
    node, ignored = parse(query)
    searcher = index.searcher()
    corrected: str | None = None
    suggestion: str | None = None
    if node is None:
        return SearchResult(query, 0, _ms(started), None, tuple(ignored), (), None, limit, offset)

    spelling = _Spelling(index, searcher)
    fixed, changed = _correct(node, _Compiler(searcher, spelling))
    if changed:
        node = fixed
        corrected = unparse(node)
    compiler, ranked, total = _run(searcher, spelling, node, offset + limit)
    if total == 0 and (relaxed := _relaxed(node)) is not None:
        compiler, ranked, total = _run(searcher, spelling, relaxed, offset + limit)
        if total:
            node = relaxed
            corrected = unparse(relaxed)
    if total == 0:
        better, changed = _correct(node, _Compiler(searcher, spelling), budget_extra=1)
        if changed and _run(searcher, spelling, better, 1)[2]:
            suggestion = unparse(better)

    page = ranked[offset : offset + limit]
    hits = _hits(index, searcher, compiler, page, offset + 1, _has_text_leaf(node))
    return SearchResult(
        query,
        total,
        _ms(started),
        corrected,
        tuple(ignored),
        tuple(hits),
        suggestion,
        limit,
        offset,
    )


def highlighter_for(index: Index, query: str) -> Highlighter:
    """What ``query`` would highlight in a text (for showing a whole article)."""
    if not query.strip() or len(query) > MAX_QUERY_CHARS:
        return Highlighter()
    node, _ = parse(query)
    if node is None:
        return Highlighter()
    searcher = index.searcher()
    compiler = _Compiler(searcher, _Spelling(index, searcher))
    node, _ = _correct(node, compiler)
    compiler.compile(node)
    return Highlighter(frozenset(compiler.terms), tuple(compiler.phrases))


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)
