"""Export: every article matching a query as JSON lines or CSV rows, for a spreadsheet.

One row per article, best first: its rank, id, title, path, score, and its best passage
(section and text); any other field a hit carries (such as an article's metadata) follows.
Rows are made as the search reads its batches of articles, so an export of the whole
index holds one batch in memory, never the whole answer.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from .display import dumps, json_safe

if TYPE_CHECKING:
    from .refine import Refine
    from .store import Index

FORMATS = {"jsonl": "application/x-ndjson", "csv": "text/csv"}
COLUMNS = ("rank", "doc_id", "title", "path", "score", "section", "text")
# Fields of a hit that describe one passage's place, not the article: not exported.
_PASSAGE_ONLY = {"passage", "start", "end", "snippet"}
# A spreadsheet runs a cell that begins with one of these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def export_rows(
    index: Index, query: str, prefix_last: bool = False, refine: Refine | None = None
) -> Iterator[dict[str, Any]]:
    """One dict per matching article (its best passage only), best first (or in the
    order ``refine`` sorts by, among the articles its filters let in)."""
    last = 0
    for hit in index.search_all(query, prefix_last=prefix_last, refine=refine):
        if hit.rank == last:
            continue  # the article's other passages
        last = hit.rank
        d = hit.to_dict()
        row = {key: d[key] for key in COLUMNS}
        row.update((k, v) for k, v in d.items() if k not in row and k not in _PASSAGE_ONLY)
        yield json_safe(row)  # file names that are not UTF-8, escaped


def lines(rows: Iterable[dict[str, Any]], fmt: str) -> Iterator[str]:
    """The export as text lines (each ending in a newline): ``jsonl`` or ``csv`` (with a
    header row, the columns of the first row; cells that a spreadsheet would take for a
    formula are prefixed with an apostrophe)."""
    if fmt == "jsonl":
        for row in rows:
            yield dumps(row, compact=True) + "\n"
        return
    buffer = io.StringIO()
    writer: Any = None
    for row in rows:
        if writer is None:
            writer = csv.DictWriter(buffer, fieldnames=list(row), extrasaction="ignore")
            writer.writeheader()
        writer.writerow({k: _cell(v) for k, v in row.items()})
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if writer is None:
        yield ",".join(COLUMNS) + "\r\n"


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value
