"""The query language: a lenient parser from a query string to a syntax tree, and back.

Syntax (web-search style): words are ANDed; ``OR``; ``NOT word`` / ``-word``;
``"exact phrase"``; ``prefix*``; ``word~`` (fuzzy, ``word~2`` for two edits);
``title:word`` (or ``titre:``) scopes to article titles; parentheses group. A half-typed
query is answered: what could not be used is reported in ``ignored``. Parentheses nest
``MAX_DEPTH`` levels at most (deeper ones are ignored), and ``NOT NOT x`` is ``x``, so every
tree is shallow and the recursive walkers over it cannot run out of stack.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from .analysis import analyse, is_stop_word

FIELDS = {"title": "title", "titre": "title"}
MAX_DEPTH = 32


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
_SLASH_RE = re.compile(r"(?<=[^\W\d_]{2})/(?=[^\W\d_]{2})")


@dataclass
class _Tok:
    kind: str  # "(", ")", "op", "neg", "phrase", "word", "field"
    text: str


def _lex(query: str, ignored: list[str]) -> list[_Tok]:
    toks: list[_Tok] = []
    # One entry per open "(": whether it was kept (parentheses past MAX_DEPTH are dropped
    # with their closing ones, so the recursive parser stays shallow).
    opened: list[bool] = []
    i, n = 0, len(query)
    while i < n:
        ch = query[i]
        if ch.isspace():
            i += 1
        elif ch in "-!" and i + 1 < n and query[i + 1] in '("“”«»':
            toks.append(_Tok("neg", ch))  # -(group) and -"phrase"
            i += 1
        elif ch in "()":
            kept = True
            if ch == "(":
                kept = sum(opened) < MAX_DEPTH
                opened.append(kept)
            elif opened:
                kept = opened.pop()
            if kept:
                toks.append(_Tok(ch, ch))
            else:
                ignored.append(ch)
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
        # A chain of negations is read in a loop, not by recursion: "NOT " x 250 is fine.
        negations: list[_Tok] = []
        while (tok := self.peek()) is not None and (
            tok.kind == "neg" or (tok.kind == "op" and tok.text == "NOT")
        ):
            negations.append(self.take())
        nxt = self.peek()
        child = None
        if nxt is not None and nxt.kind != ")" and nxt.kind != "op":
            child = self.parse_primary(depth, scope)
        if child is None:
            self.ignored.extend(t.text for t in reversed(negations))
            return None
        for _ in negations:
            child = negate(child)
        return child

    def parse_primary(self, depth: int, scope: str | None) -> Node | None:
        tok = self.take()
        while tok.kind == "field":  # title:title:word is title:word, read without recursion
            nxt = self.peek()
            if nxt is None or nxt.kind not in ("word", "phrase", "(", "field"):
                self.ignored.append(f"{tok.text}:")
                return None
            scope = tok.text
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


def negate(node: Node) -> Node:
    """NOT ``node``; NOT NOT x is x (every article but those without x)."""
    return node.child if isinstance(node, Not) else Not(node)


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


# --- tree helpers ---------------------------------------------------------------------


def is_stop(node: Node) -> bool:
    if not isinstance(node, Word) or node.prefix or node.fuzzy is not None:
        return False
    toks = list(analyse(node.text))
    return len(toks) == 1 and is_stop_word(toks[0].folded)


def without_stop_words(children: Sequence[Node]) -> list[Node]:
    kept = [c for c in children if not is_stop(c)]
    return kept or list(children)


def leaves(node: Node, positive: bool = True) -> Iterator[tuple[Word | Phrase, bool]]:
    if isinstance(node, (Word, Phrase)):
        yield node, positive
    elif isinstance(node, Not):
        yield from leaves(node.child, not positive)
    else:
        for c in node.children:
            yield from leaves(c, positive)


def relaxed(node: Node) -> Node | None:
    """The OR form of a plain list of words, for when no passage has all of them.

    A slash-joined word (``entrer/quitter/dégrouper``) is matched as written first (its
    parts in a row, or joined); here its parts become words of their own.
    """
    children = node.children if isinstance(node, And) else [node]
    if not all(isinstance(c, (Word, Phrase)) and c.field is None for c in children):
        return None
    words: list[Node] = []
    for child in children:
        if isinstance(child, Word) and not child.prefix and child.fuzzy is None:
            words.extend(Word(part) for part in _SLASH_RE.split(child.text))
        else:
            words.append(child)
    kept = without_stop_words(words)
    return Or(kept) if len(kept) > 1 else None


def has_text_leaf(node: Node) -> bool:
    return any(positive and leaf.field is None for leaf, positive in leaves(node))
