"""Making text from documents and file names safe to show: on a terminal, in JSON, in HTML.

File names that are not valid UTF-8 reach Python as lone surrogates (``os.fsdecode`` of
``b"caf\\xe9.txt"`` is ``"caf\\udce9.txt"``), which no UTF-8 encoder accepts; they are shown
backslash-escaped (``caf\\xe9.txt``). Documents may carry terminal escape sequences (set
the window title, write the clipboard, clear the screen); the terminal gets none of them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .highlight import Highlighter

_SURROGATE_RE = re.compile("[\ud800-\udfff]")
# C0 controls but newline and tab, DEL, C1 controls.
_CONTROL_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_PATH_CONTROL_RE = re.compile("[\x00-\x1f\x7f-\x9f]")
_C1_RE = re.compile("[\x7f-\x9f]")


def _escape_surrogate(match: re.Match[str]) -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    return f"\\u{code:04x}"


def escape_surrogates(text: str) -> str:
    """``text`` with the undecodable bytes of a file name shown as ``\\xNN``."""
    if text.isascii():
        return text
    return _SURROGATE_RE.sub(_escape_surrogate, text)


def display_path(path: str) -> str:
    """A path as it can be printed: undecodable bytes and control characters escaped."""
    path = escape_surrogates(path)
    if path.isprintable():
        return path
    return _PATH_CONTROL_RE.sub(lambda m: f"\\x{ord(m.group()):02x}", path)


def terminal_text(text: str) -> str:
    """Text for a terminal: control characters other than newline and tab dropped (no
    escape sequence gets through), undecodable bytes escaped."""
    text = escape_surrogates(text)
    if text.isprintable():
        return text
    return _CONTROL_RE.sub("", text)


def json_safe(value: Any) -> Any:
    """``value`` with every string's undecodable bytes escaped, so it encodes as UTF-8."""
    if isinstance(value, str):
        return escape_surrogates(value)
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


def dumps(payload: Any, indent: int | None = None, compact: bool = False) -> str:
    """JSON text of ``payload`` that encodes as UTF-8 and carries no raw control character:
    the encoder escapes C0 controls; DEL and C1 controls, which it leaves, are escaped here."""
    separators = (",", ":") if compact else None
    if indent is None:
        # Most answers hold no undecodable byte nor control character: their text, printable
        # throughout (a lone surrogate or a C1 control is not), needs no walk of the payload.
        text = json.dumps(payload, ensure_ascii=False, separators=separators)
        if text.isprintable():
            return text
    text = json.dumps(json_safe(payload), ensure_ascii=False, indent=indent, separators=separators)
    if text.isprintable():
        return text
    return _C1_RE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def article_json(
    doc_id: str,
    head: dict[str, Any],
    parts: Callable[[], Iterable[dict[str, Any]]],
    marker: Highlighter | None = None,
) -> Iterator[str]:
    """The pieces of ``dumps(article.to_dict(), indent=2)`` (with each passage's marked
    ``snippet`` when there is a ``marker``), made from the article's stored parts one at a
    time: the text on a first pass over ``parts()``, the passages on a second, so that a
    huge article is never held whole. ``head`` is its first part."""
    from dataclasses import asdict

    from .schema import stored_passages

    def indented(value: Any, spaces: int) -> str:
        return dumps(value, indent=2).replace("\n", "\n" + " " * spaces)

    fields = {"doc_id": doc_id, "title": head.get("title", ""), "path": head.get("path", "")}
    yield dumps(fields, indent=2)[:-2] + ',\n  "text": "'
    for part in parts():
        yield dumps(part.get("article", ""))[1:-1]
    yield '",\n  "passages": ['
    comma = ""
    for part in parts():
        for p in stored_passages(part):
            d = asdict(p)
            if marker is not None:
                d["snippet"] = marker.html(p.text)
            yield comma + "\n    " + indented(d, 4)
            comma = ","
    yield ("\n  ]" if comma else "]") + ',\n  "meta": ' + indented(head.get("meta") or {}, 2)
    yield "\n}"
