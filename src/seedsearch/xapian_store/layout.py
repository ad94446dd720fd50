"""How an article is laid out in a Xapian document, and the shard's own records.

One Xapian document per article. Its terms are those of the Whoosh index, from the same
prepared parts (:mod:`..prepare`): the body terms unprefixed, with their positions (a
part's positions follow the previous part's, ``PASSAGE_GAP`` apart), the title's under
``S``, and the filters' under their own prefixes (author and source words with positions,
for phrases); the date (YYYYMMDD) is value slot ``DATE_SLOT``, the text's hash
``TEXT_SLOT``. Its data is JSON: the
article's stored parts (text, passage table, sections), its path, title, hash and
metadata, which the shared code reads as it reads a Whoosh part.

Each shard also keeps, as Xapian metadata committed with its documents, its articles'
ids, hashes and paths, its spelling dictionary (word → articles) and its statistics.
"""

from __future__ import annotations

import base64
import functools
import json
from collections import Counter
from typing import Any

from ..analysis import analyse
from ..collapse import KEYS, SKETCH
from ..schema import PASSAGE_GAP

ID = "Q"  # the article's doc_id (boolean, unique)
TITLE = "S"
FIELD_PREFIXES = {"author": "A", "source": "XS", "format": "XF", "folder": "XD"}
DATE_SLOT = 0
# The date negated: the oldest first is the highest first, and then, as with DATE_SLOT
# newest first, the articles without a date come last.
AGE_SLOT = 2
# The hash of the article's text (see :func:`..collapse.text_key`): exact duplicates, the
# same text saved in several files, collapse into one result.
TEXT_SLOT = 1
# Xapian refuses terms over 245 bytes: longer ones (a run of digits, a URL) are left out.
MAX_TERM_BYTES = 240

DOCS_KEY = "seedsearch:docs"  # {doc_id: [sha, path]}
WORDS_KEY = "seedsearch:words"  # {folded word: articles using it}
STATS_KEY = "seedsearch:stats"  # {passages, positions, updated, roots, parts, lengths}
TITLES_KEY = "seedsearch:titles"  # {doc_id: [text key, title key]}: the template titles
# {Xapian term: parts past the first holding it}: a folder index counts a term's documents
# by part, Xapian by article; what articles in several parts add (see extra_parts).
PARTS_KEY = "seedsearch:parts"

# Stored with each article (the parts' other fields are indexed, not stored).
_PART_FIELDS = ("article", "offset", "first", "sections", "passages")


def build(x: Any, doc_id: str, parts: list[dict[str, Any]]) -> Any:
    """The Xapian document of an article from its prepared parts (see :mod:`..prepare`)."""
    from ..compile import decode_positions

    doc = x.Document()
    head = parts[0]
    base = 0
    # Each part's terms and positions (as the folder index holds them), for the shared
    # ranking: reading them here costs less than reading Xapian's position lists.
    kept: list[dict[str, list[int]]] = []
    for part in parts:
        last = -1
        kept.append({})
        for raw, _count, _weight, value in part["body"]:
            term = raw.decode("utf-8") if isinstance(raw, bytes) else raw
            positions = decode_positions(value)
            kept[-1][term] = positions
            last = max(last, positions[-1])
            if _fits(term):
                for pos in positions:
                    doc.add_posting(term, base + pos + 1)  # Xapian positions start at 1
        base += last + 1 + PASSAGE_GAP
    _add_text(doc, TITLE, head.get("title", ""))
    for name in ("author", "source"):
        if head.get(name):
            _add_text(doc, FIELD_PREFIXES[name], head[name])
    doc.add_boolean_term(FIELD_PREFIXES["format"] + head["format"])
    for folder in head.get("folder", ()):
        if _fits(FIELD_PREFIXES["folder"] + folder):
            doc.add_boolean_term(FIELD_PREFIXES["folder"] + folder)
    if head.get("date") is not None:
        doc.add_value(DATE_SLOT, x.sortable_serialise(head["date"]))
        doc.add_value(AGE_SLOT, x.sortable_serialise(-head["date"]))
    keys = head.get(KEYS) or b""
    text_key = keys.split(b"\x00")[1] if keys.count(b"\x00") >= 1 else b""
    if text_key:
        doc.add_value(TEXT_SLOT, text_key)
    doc.add_boolean_term(ID + doc_id)
    data = {
        "doc_id": doc_id,
        "path": head.get("path", ""),
        "title": head.get("title", ""),
        "sha": head.get("sha", ""),
        "meta": head.get("meta") or {},
        "parts": [{k: p.get(k) for k in _PART_FIELDS} for p in parts],
        # What the shared ranking counts of each part (see sizes()).
        "lengths": [sum(count for _, count, _, _ in p["body"]) for p in parts],
        "title_length": title_length(head.get("title", "")),
        # Its fold keys and sketch (see ..collapse), not worked out again from its text.
        "fold": keys.decode("utf-8", "surrogatepass"),
        "sketch": base64.b64encode(head.get(SKETCH) or b"").decode("ascii"),
        "held": [held_text(part) for part in kept],
    }
    doc.set_data(json.dumps(data, ensure_ascii=False))
    return doc


def title_length(title: str) -> int:
    """The title's length as the folder index counts it (its field's tokens)."""
    return sum(freq for _, freq, _, _ in title_field().index(title)) if title else 0


@functools.lru_cache(maxsize=1)
def title_field() -> Any:
    """The folder index's title field (what analyses and counts a title)."""
    from ..schema import schema

    return schema()["title"]


def sizes(record: dict[str, Any]) -> Counter[str]:
    """An article's share of its shard's statistics for the shared ranking: parts (the
    folder index's documents), body and title lengths (the folder's field lengths sum
    the parts'); empty for a record written before they were kept."""
    lengths = record.get("lengths")
    if lengths is None:
        return Counter()
    n = len(record["parts"])
    return Counter(
        parts=n, body_length=sum(lengths), title_length=n * int(record.get("title_length", 0))
    )


def title_row(doc_id: str, parts: list[dict[str, Any]]) -> list[str]:
    """[text key, title key] of an article (see :func:`..titles.templates`)."""
    from ..titles import title_key

    keys = (parts[0].get(KEYS) or b"").split(b"\x00")
    text_key = keys[1].decode("utf-8", "surrogatepass") if len(keys) > 1 else ""
    return [text_key, title_key(parts[0].get("title", ""))]


def title_row_of(record: dict[str, Any]) -> list[str]:
    """[text key, title key] of an article, from its stored record."""
    from ..titles import title_key

    keys = str(record.get("fold", "")).split("\x00")
    return [keys[1] if len(keys) > 1 else "", title_key(record.get("title", ""))]


def _add_text(doc: Any, prefix: str, text: str) -> None:
    for tok in analyse(text):
        if _fits(prefix + tok.text):
            doc.add_posting(prefix + tok.text, tok.pos + 1)


def _fits(term: str) -> bool:
    return len(term.encode("utf-8", "surrogatepass")) <= MAX_TERM_BYTES


def stored(doc: Any) -> dict[str, Any]:
    """An article's stored record (see :func:`build`)."""
    return json.loads(doc.get_data().decode("utf-8"))  # type: ignore[no-any-return]


def parts_of(record: dict[str, Any]) -> list[dict[str, Any]]:
    """The article's parts as the shared code reads Whoosh's stored parts."""
    common = {k: record[k] for k in ("doc_id", "path", "title", "sha", "meta")}
    return [{**common, **part} for part in record["parts"]]


def read_json(db: Any, key: str, default: Any) -> Any:
    raw = db.get_metadata(key)
    return json.loads(raw.decode("utf-8")) if raw else default


def write_json(db: Any, key: str, value: Any) -> None:
    db.set_metadata(key, json.dumps(value, ensure_ascii=False, separators=(",", ":")))


def merged_words(tables: list[dict[str, int]]) -> tuple[list[str], list[int]]:
    """The spelling dictionary of several shards: sorted words, article counts summed."""
    total: Counter[str] = Counter()
    for table in tables:
        total.update(table)
    words = sorted(w for w, n in total.items() if n > 0)
    return words, [total[w] for w in words]


def folding(record: dict[str, Any]) -> dict[str, bytes] | None:
    """The fold keys and sketch columns of an article (see :func:`..collapse.columns`), or
    None for a record written before they were kept."""
    if "fold" not in record:
        return None
    return {
        KEYS: record["fold"].encode("utf-8", "surrogatepass"),
        SKETCH: base64.b64decode(record["sketch"]),
    }


def held_text(positions: dict[str, list[int]]) -> str:
    """A part's terms and their positions as one string, ``"\\nterm\\t3,17"`` per term:
    JSON reads it as one string (a list of numbers per term made reading a record the
    largest cost of a cluster search), and a search finds the few terms it asks for in it
    (see :func:`held_positions`). Terms hold no whitespace (the analysis splits on it)."""
    return "".join(f"\n{t}\t{','.join(map(str, found))}" for t, found in positions.items())


def held_positions(held: str, term: str) -> list[int] | None:
    """The positions of ``term`` in a part's :func:`held_text`, None if it lacks it."""
    key = f"\n{term}\t"
    start = held.find(key)
    if start < 0:
        return None
    start += len(key)
    end = held.find("\n", start)
    return [int(p) for p in held[start : None if end < 0 else end].split(",")]


def held_terms(record: dict[str, Any]) -> list[list[str]] | None:
    """Each part's terms, from a record that keeps them (None for one written before)."""
    if "held" in record:
        return [[line.split("\t", 1)[0] for line in h.split("\n") if line] for h in record["held"]]
    if "positions" in record:  # as records kept them before held_text
        return [list(part) for part in record["positions"]]
    return None


def extra_parts(record: dict[str, Any]) -> Counter[str]:
    """For an article in several parts: each of its terms (body, and title under TITLE)
    with how many of its parts past the first hold it. Empty for one part, or for a record
    written before positions were kept."""
    kept = held_terms(record)
    if kept is None or len(kept) < 2:
        return Counter()
    held: Counter[str] = Counter()
    for part in kept:
        held.update(part)
    extra = Counter({term: n - 1 for term, n in held.items() if n > 1})
    for tok in analyse(record.get("title", "")):
        extra[TITLE + tok.text] = len(kept) - 1
    return extra
