"""Why an article matched: for each query word, the form found in the article, how it was
reached (exact, same stem, accents, typo, prefix, derivational family, synonym), the fields
it was found in and what its title matches added to the score.

Worked out only when asked, and only for the articles shown: each query word is compiled
on its own again (to know which terms stand for it), then looked for in the article's title
and shown passages, then in the start of its text.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .analysis import Token, analyse, fold
from .compile import Compiler
from .query import Node, Phrase, Word, is_stop, leaves, unparse
from .results import Hit, Reason

if TYPE_CHECKING:
    from whoosh.searching import Searcher

    from .collapse import Ranked

TEXT_CHARS = 30_000  # of an article's text looked through when the passages lack a word
LABELS = {
    "exact": "exact",
    "stem": "same stem",
    "accents": "accent-insensitive",
    "typo": "typo correction",
    "fuzzy": "fuzzy match",
    "prefix": "prefix",
    "family": "derivational family",
    "synonym": "synonym",
}

Key = str | tuple[str, ...]


@dataclasses.dataclass
class _Word:
    typed: str  # as the user wrote it
    node: Word | Phrase  # as searched (corrected)
    keys: list[tuple[Key, str]]  # (term or phrase, how), best first


def _ranked_words(node: Node) -> list[Word | Phrase]:
    """The positive words and phrases of ``node`` that rank (metadata filters do not)."""
    return [
        leaf
        for leaf, positive in leaves(node)
        if positive and isinstance(leaf, Word | Phrase) and leaf.field in (None, "title")
    ]


def _words(compiler: Compiler, typed: Node, searched: Node) -> list[_Word]:
    mine = _ranked_words(searched)
    theirs = _ranked_words(typed)
    if len(theirs) != len(mine):
        theirs = mine
    found = []
    for before, leaf in zip(theirs, mine, strict=True):
        alone = Compiler(compiler.searcher, compiler.spelling)
        alone.compile(leaf)
        if is_stop(leaf) and not alone.synonym_of:
            continue
        own = [t.text for t in analyse(leaf.text) if not t.joined]
        keys: list[tuple[Key, str]] = []
        if isinstance(leaf, Phrase) and len(own) > 1:
            keys.append((tuple(own), "exact"))
        corrected = fold(before.text) != fold(leaf.text)
        for term in sorted(alone.terms, key=lambda t: (t not in own, t)):
            if term in alone.synonym_of:
                how = "synonym"
            elif any(term in family for family in alone.families.values()):
                how = "family"
            elif isinstance(leaf, Word) and leaf.prefix:
                how = "prefix"
            elif isinstance(leaf, Word) and leaf.fuzzy is not None and term not in own:
                how = "fuzzy"
            else:
                how = "typo" if corrected else ""
            keys.append((term, how))
        keys += [(p, "synonym") for p in alone.phrases if p in alone.synonym_of]
        found.append(_Word(unparse(before), leaf, keys))
    # Runs of words matched through a synonym of several words (data center).
    for key, (source, _entry) in compiler.synonym_of.items():
        if all(w.node.text != source for w in found):
            found.append(_Word(source, Phrase(source), []))
        for w in found:
            if w.node.text == source and all(k != key for k, _ in w.keys):
                w.keys.append((key, "synonym"))
    return found


class _Tokens:
    """A text's tokens, with each term's first token at hand."""

    def __init__(self, text: str) -> None:
        self.tokens = list(analyse(text))
        self.first: dict[str, Token] = {}
        for t in self.tokens:
            self.first.setdefault(t.text, t)


def _locate(tokens: _Tokens, key: Key) -> Token | tuple[Token, Token] | None:
    if isinstance(key, str):
        return tokens.first.get(key)
    if any(k not in tokens.first for k in key):
        return None
    plain = [t for t in tokens.tokens if not t.joined]
    n = len(key)
    for i in range(len(plain) - n + 1):
        if all(plain[i + j].text == key[j] for j in range(n)):
            return plain[i], plain[i + n - 1]
    return None


def _form(text: str, where: Token | tuple[Token, Token]) -> str:
    first, last = where if isinstance(where, tuple) else (where, where)
    return text[first.start : last.end]


def _how(how: str, typed: str, found: str) -> str:
    if how:
        return how
    typed = re.sub(r"~\d*$", "", typed.strip('"'))
    if found.casefold() == typed.casefold():
        return "exact"
    return "accents" if fold(found) == fold(typed) else "stem"


def _title_score(searcher: Searcher, docnum: int, terms: Sequence[str]) -> float:
    from .ranking import TITLE_WEIGHT

    total = 0.0
    for term in terms:
        if ("title", term) not in searcher.reader():
            continue
        m = searcher.postings("title", term)
        m.skip_to(docnum)
        if m.is_active() and m.id() == docnum:
            total += TITLE_WEIGHT * float(m.score())
    return round(total, 4)


def reasons(
    searcher: Searcher, docnum: int, texts: Sequence[str], words: list[_Word]
) -> tuple[Reason, ...]:
    """Why the article part ``docnum`` matched, from its title and ``texts``."""
    stored = searcher.stored_fields(docnum)
    title = stored.get("title", "")
    title_tokens = _Tokens(title)
    bodies = [*texts, str(stored.get("article", ""))[:TEXT_CHARS]]
    body_tokens: list[_Tokens] = []
    out = []
    for w in words:
        if not w.keys:
            continue
        hit: tuple[str, str] | None = None
        fields: list[str] = []
        in_title = []
        for key, how in w.keys:
            where = _locate(title_tokens, key)
            if where is not None:
                in_title += [key] if isinstance(key, str) else list(key)
                if "title" not in fields:
                    fields.append("title")
                hit = hit or (_form(title, where), how)
        for key, how in w.keys:
            for i, text in enumerate(bodies):
                if i == len(body_tokens):
                    body_tokens.append(_Tokens(text))
                where = _locate(body_tokens[i], key)
                if where is not None:
                    fields.append("text")
                    hit = hit or (_form(text, where), how)
                    break
            if "text" in fields:
                break
        if hit is None:
            continue
        out.append(
            Reason(
                word=w.typed,
                found=hit[0],
                how=_how(hit[1], w.typed, hit[0]),
                fields=tuple(fields),
                title_score=_title_score(searcher, docnum, in_title),
            )
        )
    return tuple(out)


def explain_page(
    compiler: Compiler,
    typed: Node,
    searched: Node,
    page: Sequence[Ranked],
    shown: list[Hit],
) -> list[Hit]:
    """``shown`` with each hit's ``why`` (the hits of one article share it)."""
    words = _words(compiler, typed, searched)
    first = shown[0].rank if shown else 0
    out = []
    cache: dict[int, tuple[Reason, ...]] = {}
    for hit in shown:
        i = hit.rank - first
        if i >= len(page):
            out.append(hit)
            continue
        docnum = page[i].docnum  # the article's best part
        if docnum not in cache:
            texts = [h.text for h in shown if h.rank == hit.rank]
            cache[docnum] = reasons(compiler.searcher, docnum, texts, words)
        out.append(dataclasses.replace(hit, why=cache[docnum]))
    return out


def describe(why: Sequence[Reason] | Sequence[dict[str, Any]]) -> list[str]:
    """One line per query word: ``énergie → énergies (same stem; title, text; title +1.2)``."""
    lines = []
    for r in why:
        d = dataclasses.asdict(r) if isinstance(r, Reason) else r
        extra = f"; title +{d['title_score']:g}" if d["title_score"] else ""
        where = ", ".join(d["fields"])
        lines.append(f"{d['word']} → {d['found']} ({LABELS[d['how']]}; {where}{extra})")
    return lines
