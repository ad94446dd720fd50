"""Highlighting: which spans of a text a query matched, and marking them in HTML."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

from .analysis import APOSTROPHES, HYPHENS, analyse, spans_of_terms

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
            return merge_spans(sorted(spans_of_terms(text, self.terms)), text)
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
        return merge_spans(sorted(found), text)

    def html(self, text: str) -> str:
        return mark_html(text, self.spans(text))


def merge_spans(spans: list[tuple[int, int]], text: str) -> list[tuple[int, int]]:
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
