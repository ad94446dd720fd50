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
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any

from .analysis import (
    APOSTROPHES,
    HYPHENS,
    analyse,
    is_number,
    is_stop_word,
    normalise_word,
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
RERANK_WINDOW = 50
MAX_TITLE_ARTICLES = 500
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


class _Compiler:
    def __init__(self, searcher: Searcher, titles_as_filter: bool = False) -> None:
        self.searcher = searcher
        # In a query that also has words for passage text, a title: part selects the
        # articles whose title matches; on its own it finds the articles' head passages.
        self.titles_as_filter = titles_as_filter
        self.reader = searcher.reader()
        self.terms: set[str] = set()
        self.phrases: list[tuple[str, ...]] = []

    # Vocabulary look-ups -----------------------------------------------------------

    def known(self, term: str) -> bool:
        return bool(
            self.reader.doc_frequency("body", term) or self.reader.doc_frequency("title", term)
        )

    def spell_freq(self, word: str) -> int:
        return int(self.reader.doc_frequency("spell", word))

    def nearest(self, folded: str, maxdist: int) -> str | None:
        if maxdist <= 0:
            return None
        best: tuple[int, int, str] | None = None
        for cand in self.reader.terms_within("spell", folded, maxdist):
            cand = _text(cand)
            if cand == folded or is_number(cand):
                continue
            key = (_edit_distance(folded, cand), -self.spell_freq(cand), cand)
            if key[0] <= maxdist and (best is None or key < best):
                best = key
        return best[2] if best else None

    def expand_prefix(self, folded: str) -> list[str]:
        words: list[str] = []
        for i, t in enumerate(self.reader.expand_prefix("spell", folded)):
            if i >= 5000:
                break
            words.append(_text(t))
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
        from whoosh.query import Phrase as WPhrase

        if positive:
            self.phrases.append(tuple(stems))
        subs = [WPhrase(f, stems, slop=1, boost=b) for f, b in self.fields(scope)]
        return subs[0] if len(subs) == 1 else Or(subs)

    def word(self, node: Word, positive: bool) -> Any:
        from whoosh.query import Or

        if node.prefix or node.fuzzy is not None:
            folded = normalise_word(node.text)
            if node.prefix:
                words = self.expand_prefix(folded)
            else:
                dist = node.fuzzy or max(1, _budget(folded))
                words = [folded] + [
                    _text(t) for t in self.reader.terms_within("spell", folded, dist)
                ]
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

    def articles_titled(self, title_query: Any) -> Any:
        """Every passage of the articles whose title matches (a filter that adds no score)."""
        from whoosh.query import ConstantScoreQuery, NullQuery, Term
        from whoosh.query import Or as WOr

        doc_ids = []
        for docnum in self.searcher.docs_for_query(title_query):
            doc_ids.append(Term("doc_id", self.searcher.stored_fields(docnum)["doc_id"]))
            if len(doc_ids) >= MAX_TITLE_ARTICLES:
                break
        return ConstantScoreQuery(WOr(doc_ids), 0.0) if doc_ids else NullQuery

    def compile(self, node: Node, positive: bool = True) -> Any:
        from whoosh.query import And as WAnd
        from whoosh.query import AndNot, Every, NullQuery
        from whoosh.query import Not as WNot
        from whoosh.query import Or as WOr

        if isinstance(node, (Word, Phrase)):
            q = self.leaf(node, positive)
            if node.field == "title" and self.titles_as_filter:
                return self.articles_titled(q)
            return q
        if isinstance(node, Not):
            return WNot(self.compile(node.child, not positive))
        if isinstance(node, Or):
            return WOr([self.compile(c, positive) for c in node.children])
        pos: list[Node] = [c for c in node.children if not isinstance(c, Not)]
        neg = [c.child for c in node.children if isinstance(c, Not)]
        positives = [self.compile(c, positive) for c in _without_stop_words(pos)]
        negatives = [self.compile(c, not positive) for c in neg]
        base = (positives[0] if len(positives) == 1 else WAnd(positives)) if positives else Every()
        if not negatives:
            return base
        excluded = negatives[0] if len(negatives) == 1 else WOr(negatives)
        return AndNot(base, excluded) if base is not NullQuery else NullQuery


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


def _run(searcher: Searcher, node: Node, limit: int) -> tuple[_Compiler, list[Any], int]:
    """(compiler, top ``limit`` hits re-ranked with title weight, exact total)."""
    from whoosh.collectors import TopCollector

    compiler = _Compiler(searcher, titles_as_filter=_has_text_leaf(node))
    q = compiler.compile(node)
    window = max(limit, RERANK_WINDOW)
    # No block-quality skipping and no matcher replacement: either one makes Whoosh's count
    # of matching passages wrong while it claims to be exact.
    collector = TopCollector(limit=window, usequality=False, replace=0)
    searcher.search_with_collector(q, collector)
    results = collector.results()
    total = len(results)
    ranked = _with_title_weight(searcher, list(results), compiler.terms)
    return compiler, ranked[:limit], total


def _has_text_leaf(node: Node) -> bool:
    return any(positive and leaf.field is None for leaf, positive in _leaves(node))


def _with_title_weight(searcher: Searcher, hits: list[Any], terms: set[str]) -> list[Any]:
    """Hits re-ranked with the BM25 weight of the query words found in their article's title.

    Titles are indexed once per article, so their weight joins each passage's text score
    here, over the top of the ranking, rather than in every passage's postings.
    """
    if not terms or not hits:
        return [(h, float(h.score or 0.0)) for h in hits]
    reader = searcher.reader()
    articles = max(1, reader.doc_frequency("head", "1"))
    idf: dict[str, float] = {}
    for t in terms:
        df = reader.doc_frequency("title", t)
        if df:
            idf[t] = math.log(1 + (articles - df + 0.5) / (df + 0.5))
    scored = []
    for h in hits:
        base = float(h.score or 0.0)
        if idf:
            title_terms = {tok.text for tok in analyse(h["doc_title"])}
            base += TITLE_WEIGHT * sum(w for t, w in idf.items() if t in title_terms)
        scored.append((h, base))
    scored.sort(key=lambda pair: -pair[1])
    return scored


def search(index: Index, query: str, limit: int = 10, offset: int = 0) -> SearchResult:
    """Run ``query`` against ``index``: a page of ranked passages, corrected if needed."""
    started = time.perf_counter()
    _validate(query, limit, offset)
    node, ignored = parse(query)
    searcher = index.searcher()
    corrected: str | None = None
    suggestion: str | None = None
    if node is None:
        return SearchResult(query, 0, _ms(started), None, tuple(ignored), (), None, limit, offset)

    fixed, changed = _correct(node, _Compiler(searcher))
    if changed:
        node = fixed
        corrected = unparse(node)
    compiler, ranked, total = _run(searcher, node, offset + limit)
    if total == 0 and (relaxed := _relaxed(node)) is not None:
        compiler, ranked, total = _run(searcher, relaxed, offset + limit)
        if total:
            corrected = unparse(relaxed)
    if total == 0:
        better, changed = _correct(node, _Compiler(searcher), budget_extra=1)
        if changed and _run(searcher, better, 1)[2]:
            suggestion = unparse(better)

    highlighter = Highlighter(frozenset(compiler.terms), tuple(compiler.phrases))
    hits = []
    for rank, (hit, score) in enumerate(ranked[offset : offset + limit], start=offset + 1):
        f = hit.fields()
        text = f["body"]
        spans = highlighter.spans(text)
        hits.append(
            Hit(
                rank=rank,
                doc_id=f["doc_id"],
                title=f["doc_title"],
                path=f["path"],
                section=f["section"],
                passage=f["n"],
                start=f["start"],
                end=f["end"],
                text=text,
                snippet=mark_html(text, spans),
                score=round(score, 4),
                spans=tuple(spans),
            )
        )
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
    compiler = _Compiler(index.searcher())
    node, _ = _correct(node, compiler)
    compiler.compile(node)
    return Highlighter(frozenset(compiler.terms), tuple(compiler.phrases))


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)
