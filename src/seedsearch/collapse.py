"""One result per article, and duplicates folded into one result.

The index may hold a long article in parts (see ``schema.PART_CHARS``), each a Whoosh
document of its own: ranking scores parts, and this stage turns the scored parts into
articles, an article scoring as its best part. Every part carries, in a column (cheap to
read, unlike stored fields), its article's id and path, a hash of its normalised text, its
canonical URL (when the metadata gives one) and a sketch of its word shingles.

Articles with the same normalised text or the same canonical URL are *exact* duplicates:
one result, counted once in the total, listing the others' paths. *Near* duplicates (the
same article with another footer) are found among the ranked candidates of a search by
comparing their sketches (bottom-k MinHash of word trigrams, estimating the Jaccard
similarity of the two texts' trigram sets), and folded the same way.
"""

from __future__ import annotations

import hashlib
import heapq
import zlib
from array import array
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from itertools import chain
from typing import Any
from urllib.parse import urlsplit, urlunsplit

KEYS = "fold"  # column: doc_id, text hash, URL, title key, path (NUL-separated UTF-8;
# indexes from before title keys lack that one)
SKETCH = "sketch"  # column: the article's sketch (packed uint32)
SKETCH_SIZE = 128
SHINGLE = 3
# Estimated Jaccard similarity of the trigram sets from which two articles are one. Distinct
# pages of one manual (wcschr(3) and wcsrchr(3)) reach 0.8; an article of a few hundred
# words saved with two different footers stays above 0.9.
NEAR = 0.9
# Articles with fewer distinct trigrams are folded on exact text only: in a short text a
# few shared words would weigh too much.
MIN_SHINGLES = 20
# The best-scoring parts of an article whose passages are looked at (bounds the work on an
# article of many megabytes that matches everywhere).
MAX_PARTS = 32
# Other locations listed with a result (how many were folded is always given).
ALSO_IN_SHOWN = 10
BUCKETED = 16
# Decoded ids, paths and sketches kept per generation (a few hundred bytes each).
KEPT = 65536
_SEP = "\x00"


# --- at index time --------------------------------------------------------------------


def _words(text: str) -> list[str]:
    return text.casefold().split()


def text_key(text: str) -> str:
    """Hash of the text once case and runs of white space are set aside. Upper-cased
    first: case folding alone keeps apart a few letters whose capitals meet (``ı`` and
    ``i`` are both ``I``), so a text and its capitals would get different keys."""
    return hashlib.blake2b(
        " ".join(_words(text.upper())).encode("utf-8", "surrogatepass"), digest_size=12
    ).hexdigest()


def url_key(url: str) -> str:
    """A URL in a canonical form (scheme and host lower-cased, no fragment, no trailing
    slash, no default port), or "" when there is none."""
    url = url.strip()
    if not url:
        return ""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    host = (parts.hostname or "").lower()
    if parts.port and (parts.scheme, parts.port) not in (("http", 80), ("https", 443)):
        host = f"{host}:{parts.port}"
    scheme = parts.scheme.lower()
    if scheme == "http":  # the same page served both ways
        scheme = "https"
    return urlunsplit((scheme, host, parts.path.rstrip("/"), parts.query, ""))


def sketch(text: str) -> bytes:
    """The bottom-k MinHash sketch of the text's word trigrams: the SKETCH_SIZE smallest of
    their (CRC-32) hashes, one hash per trigram, so an article of megabytes costs little."""
    words = _words(text)
    if len(words) < SHINGLE:
        return b""
    # Every word is encoded once (the words joined, then cut at the spaces: a word holds no
    # white space), and each trigram's bytes are its three words' joined again.
    encoded = " ".join(words).encode("utf-8", "surrogatepass").split(b" ")
    trigrams = zip(*(encoded[i:] for i in range(SHINGLE)), strict=False)
    hashes = set(map(zlib.crc32, map(b" ".join, trigrams)))
    # Sorting them all in C costs less than a heap of the smallest in Python.
    return array("I", sorted(hashes)[:SKETCH_SIZE]).tobytes()


def columns(doc_id: str, path: str, text: str, url: str, title: str) -> dict[str, bytes]:
    """The column values every part of an article carries."""
    from .titles import title_key

    keys = _SEP.join((doc_id, text_key(text), url_key(url), title_key(title), path))
    return {KEYS: keys.encode("utf-8", "surrogatepass"), SKETCH: sketch(text)}


def similarity(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    """Estimated Jaccard similarity of two texts' trigram sets, from their sketches."""
    if not a or not b:
        return 0.0
    first, second = set(a), set(b)
    union = sorted(first | second)[:SKETCH_SIZE]
    return len((first & second).intersection(union)) / len(union)


# --- at search time -------------------------------------------------------------------


@dataclass(frozen=True)
class Ranked:
    """A ranked result: an article (or a group of duplicates shown as one)."""

    docnum: int  # the best-scoring part of the article shown
    score: float
    parts: tuple[int, ...]  # its parts that matched, best first (at most MAX_PARTS)
    path: str = ""
    doc_id: str = ""
    also_in: tuple[str, ...] = field(default=())  # the duplicates' paths
    folded: int = 0  # how many duplicates were folded into it


class Columns:
    """Reads the columns of the parts a search matched. One is kept per index generation:
    what it decodes (a part's id and path, its sketch) is kept for the next searches, which
    show many of the same articles."""

    def __init__(self, reader: Any) -> None:
        self._keys = reader.column_reader(KEYS) if reader.has_column(KEYS) else None
        self._sketch = reader.column_reader(SKETCH) if reader.has_column(SKETCH) else None
        self._names: dict[int, tuple[str, str]] = {}
        self._sketches: dict[int, tuple[int, ...]] = {}
        self._alike: dict[tuple[int, int], float] = {}

    def value(self, docnum: int) -> bytes:
        return bytes(self._keys[docnum]) if self._keys is not None else b""

    def values(self) -> Iterable[bytes]:
        """Every document's keys, in document order (read in bulk)."""
        if self._keys is None:
            return iter(())
        return (bytes(v) for v in self._keys)

    def names(self, docnum: int) -> tuple[str, str]:
        """The part's (doc_id, path)."""
        names = self._names.get(docnum)
        if names is None:
            raw = self.value(docnum)
            if raw:
                doc_id = raw.split(b"\x00", 1)[0].decode("utf-8", "surrogatepass")
                names = (doc_id, raw.rsplit(b"\x00", 1)[-1].decode("utf-8", "surrogatepass"))
            else:
                names = ("", "")
            if len(self._names) >= KEPT:
                self._names.clear()
            self._names[docnum] = names
        return names

    def doc_id(self, docnum: int) -> str:
        return self.names(docnum)[0]

    def path(self, docnum: int) -> str:
        return self.names(docnum)[1]

    def rows(self) -> Iterable[tuple[str, str, str, str]]:
        """Every article part's (doc_id, text key, title key, path), in document order
        (title key "" in an index from before title keys)."""
        return rows(self.values())

    def similarity(self, a: int, b: int) -> float:
        """The :func:`similarity` of two documents' sketches."""
        found = self._alike.get((a, b))
        if found is None:
            found = similarity(self.sketch(a), self.sketch(b))
            if len(self._alike) >= KEPT:
                self._alike.clear()
            self._alike[(a, b)] = found
        return found

    def sketch(self, docnum: int) -> tuple[int, ...]:
        found = self._sketches.get(docnum)
        if found is None:
            raw = self._sketch[docnum] if self._sketch is not None else b""
            found = tuple(array("I", bytes(raw))) if raw else ()
            if len(self._sketches) >= KEPT:
                self._sketches.clear()
            self._sketches[docnum] = found
        return found


def rows(values: Iterable[bytes]) -> Iterable[tuple[str, str, str, str]]:
    """(doc_id, text key, title key, path) of each article part's keys column."""
    for raw in values:
        if raw:
            fields = raw.decode("utf-8", "surrogatepass").split(_SEP)
            title = fields[3] if len(fields) == 5 else ""
            yield fields[0], fields[1], title, fields[-1]


def siblings_of(values: Iterable[tuple[int, bytes]]) -> dict[int, tuple[int, ...]]:
    """:func:`siblings` from the keys column of the live documents given (docnum, keys), in
    document order: the parts of an article are the documents with its id."""
    parts: dict[bytes, list[int]] = {}
    for docnum, raw in values:
        doc_id = raw.split(b"\x00", 1)[0]
        if doc_id:
            parts.setdefault(doc_id, []).append(docnum)
    return {d: tuple(group) for group in parts.values() if len(group) > 1 for d in group}


def fold_of(values: Iterable[tuple[int, bytes]]) -> FoldMap:
    """Which article and which group of duplicates the documents given with their keys
    column belong to."""
    article: dict[int, int] = {}
    ids: dict[bytes, int] = {}
    owners: dict[bytes, int] = {}  # text hash or URL key → the first article holding it
    parent: dict[int, int] = {}

    def root(x: int) -> int:
        while parent.get(x, x) != x:
            x = parent[x]
        return x

    firsts: list[tuple[int, bytes, bytes]] = []  # each article's (docnum, text, URL)
    for docnum, raw in values:
        if not raw:  # an index document that is no article part: its own article
            continue
        doc_id, text, url = raw.split(b"\x00", 3)[:3]
        a = ids.setdefault(doc_id, docnum)
        if a != docnum:
            article[docnum] = a
        else:
            firsts.append((docnum, text, url))
    # Only a text or URL held by two articles joins them: the others are passed over.
    texts = _repeated(t for _, t, _ in firsts)
    urls = _repeated(u for _, _, u in firsts)
    for a, text, url in firsts:
        if text not in texts and url not in urls:
            continue
        for key in (b"t" + text if text else b"", b"u" + url if url else b""):
            if key and (other := owners.setdefault(key, a)) != a:
                ra, rb = root(a), root(other)
                if ra != rb:
                    parent[max(ra, rb)] = min(ra, rb)
    group = {a: r for a in parent if (r := root(a)) != a}
    return FoldMap(article=article, group=group)


def _repeated(keys: Iterable[bytes]) -> set[bytes]:
    """The non-empty keys given more than once."""
    return {key for key, n in Counter(keys).items() if n > 1 and key}


class FoldMap:
    """Which article and which group of duplicates documents belong to, each named by a
    docnum; only those that are not their own are listed (an index holds few articles in
    parts and few duplicates). Read once per generation (see :mod:`.fold_tables`), it
    spares searches a column read per match. Made of every document's ``cols``, or given.
    """

    def __init__(
        self,
        cols: Columns | None = None,
        article: dict[int, int] | None = None,
        group: dict[int, int] | None = None,
    ) -> None:
        if cols is not None:
            made = fold_of(enumerate(cols.values()))
            article, group = made.article, made.group
        self.article: dict[int, int] = article or {}  # part → its article's first part
        self.group: dict[int, int] = group or {}  # article → its group's first article
        grouped = set(self.group) | set(self.group.values())
        special = set(self.article) | set(self.article.values()) | grouped
        special.update(d for d, a in self.article.items() if a in grouped)
        # Every document whose article has other parts, or whose group other articles.
        self.special = frozenset(special)


def siblings(searcher: Any, cols: Columns) -> dict[int, tuple[int, ...]]:
    """Every part of an article indexed in several parts → all that article's parts
    (ascending); articles in one part are left out. A search's words may sit in different
    parts of one long file, and that file holds them all."""
    from whoosh.query import Term

    from .schema import ARTICLE, heads, live

    first = set(heads(searcher))
    ids = {cols.doc_id(d) for d in live(searcher, ARTICLE) if d not in first}
    out: dict[int, tuple[int, ...]] = {}
    for doc_id in sorted(ids - {""}):
        parts = tuple(sorted(Term("doc_id", doc_id).docs(searcher)))
        for d in parts:
            out[d] = parts
    return out


def group(
    cols: Columns, scores: dict[int, float], window: int, folds: FoldMap | None = None
) -> tuple[list[Ranked], int]:
    """The top ``window`` results among the scored parts, and how many results there are:
    parts of one article make one result scoring as the best of them, exact duplicates
    (same text, same URL) one result shown as its best-scoring article."""
    if folds is None:
        folds = fold_of((d, cols.value(d)) for d in scores)
    # Most parts are an article of their own without duplicates: those are ranked as they
    # scored, and only the few others are grouped one by one.
    special = folds.special.intersection(scores)
    article, grouped = folds.article, folds.group
    best: dict[int, tuple[float, int]] = {}  # article → (best score, -its docnum)
    parts: dict[int, list[int]] = {}  # article → its matched parts, when several
    for docnum in special:
        score = scores[docnum]
        a = article.get(docnum, docnum)
        here = (score, -docnum)
        seen = best.get(a)
        if seen is None:
            best[a] = here
        else:
            parts.setdefault(a, [-seen[1]]).append(docnum)
            if here > seen:
                best[a] = here
    members: dict[int, list[int]] = {}
    for a in best:
        members.setdefault(grouped.get(a, a), []).append(a)

    def pick(group_ids: list[int]) -> tuple[tuple[float, int], int]:
        # The best-scoring article; duplicates score alike: then the first by id, not by
        # where the index happens to hold them.
        if len(group_ids) == 1:
            return best[group_ids[0]], group_ids[0]
        a = min(group_ids, key=lambda a: (-best[a][0], cols.doc_id(-best[a][1])))
        return best[a], a

    heads = [pick(group_ids) for group_ids in members.values()]
    # The others: the best of them (no more can be shown than the window, and as many of
    # the best overall may be among the special ones).
    plain = [
        ((scores[d], -d), d) for d in _best(scores, window + len(special)) if d not in special
    ][:window]
    top = heapq.nsmallest(window, heads + plain, key=lambda h: (-h[0][0], -h[0][1]))
    ranked = []
    for (score, neg), a in top:
        doc_id, path = cols.names(-neg)
        if a in best:
            shown = sorted(parts.get(a, [-neg]), key=lambda d: (-scores[d], d))[:MAX_PARTS]
            others = sorted(cols.path(-best[o][1]) for o in members[grouped.get(a, a)] if o != a)
        else:
            shown, others = [-neg], []
        ranked.append(
            Ranked(
                docnum=-neg,
                score=score,
                parts=tuple(shown),
                path=path,
                doc_id=doc_id,
                also_in=tuple(others[:ALSO_IN_SHOWN]),
                folded=len(others),
            )
        )
    return ranked, len(scores) - len(special) + len(members)


def _best(scores: dict[int, float], n: int) -> list[int]:
    """The ``n`` best-scoring docnums, best first (the lowest docnum first among equals)."""
    if n <= 0:
        return []
    if len(scores) > n:
        least = heapq.nlargest(n, scores.values())[-1]
        chosen = [d for d, s in scores.items() if s >= least]
    else:
        chosen = list(scores)
    chosen.sort(key=lambda d: (-scores[d], d))
    return chosen[:n]


def fold_near(cols: Columns, ranked: list[Ranked]) -> tuple[list[Ranked], int]:
    """``ranked`` with near duplicates folded into the better-ranked one, and how many
    results were folded away."""
    sketches = [cols.sketch(r.docnum) for r in ranked]
    # Candidates share half their BUCKETED smallest hashes (texts alike at 0.9 share nearly
    # all of them; pages with a common boilerplate line share one or two); the estimate
    # over the whole sketches then decides.
    smallest = [s[:BUCKETED] if len(s) >= MIN_SHINGLES else () for s in sketches]
    held = Counter(chain.from_iterable(smallest))
    if len(held) == sum(map(len, smallest)):  # no hash in two sketches: nothing to fold
        return ranked, 0
    # A trigram common to many texts is no evidence (and quadratic).
    common = {h for h, n in held.items() if 1 < n <= 64}
    buckets: dict[int, list[int]] = {}
    for i, s in enumerate(smallest):
        held_here = common.intersection(s)
        if len(held_here) >= BUCKETED // 2:  # else it shares too few with any other
            for h in held_here:
                buckets.setdefault(h, []).append(i)
    shared: dict[tuple[int, int], int] = {}
    for holders in buckets.values():
        for x, i in enumerate(holders):
            for j in holders[x + 1 :]:
                shared[(i, j)] = shared.get((i, j), 0) + 1
    pairs = [pair for pair, n in shared.items() if n >= BUCKETED // 2]
    into: dict[int, int] = {}  # folded result → the one it folds into
    for i, j in sorted(pairs):
        if j in into:
            continue
        target = into.get(i, i)
        if cols.similarity(ranked[i].docnum, ranked[j].docnum) >= NEAR:
            into[j] = target
    if not into:
        return ranked, 0
    merged: dict[int, Ranked] = {}
    for i, r in enumerate(ranked):
        if i in into:
            kept = merged[into[i]]
            folded = kept.folded + 1 + r.folded
            if (r.score, kept.doc_id) == (kept.score, max(kept.doc_id, r.doc_id)):
                # A tie: shown is the first by id, whatever the order of the index.
                kept, r = replace(r, score=kept.score), kept
            paths = (*kept.also_in, r.path, *r.also_in)
            merged[into[i]] = replace(kept, also_in=paths[:ALSO_IN_SHOWN], folded=folded)
        else:
            merged[i] = r
    return list(merged.values()), len(into)
