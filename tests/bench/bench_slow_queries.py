"""The slowest queries: expensive shapes and random hostile queries against an index.

    .venv/bin/python tests/bench/bench_slow_queries.py INDEX_DIR [--sample 60] [--cutoff 30]

Runs each query once through :func:`seedsearch.search` and prints the slowest 20 with
their wall time, their outcome (number of articles, or the error code) and two figures of
peak memory: the growth of the process's peak resident size (Linux's VmHWM, reset before
each query through /proc/self/clear_refs; memory freed by earlier queries and reused does
not show) and, from a second run of those 20 under tracemalloc (slower, so not timed), the
peak of memory allocated by Python during the query. A query still running after
``--cutoff`` seconds is stopped (SIGALRM) and shown as such.
"""

from __future__ import annotations

import argparse
import random
import signal
import time
import tracemalloc
from pathlib import Path
from types import FrameType

from seedsearch.errors import SeedsearchError
from seedsearch.search import search
from seedsearch.store import open_index

WORDS = ["a", "w", "e", "pr", "con", "minage", "bitcoin", "gouvernement", "élection"]


def shapes() -> list[tuple[str, str]]:
    """(label, query): the shapes known to be expensive."""
    long_word = "anticonstitutionnellemenx"
    return [
        ("a*", "a*"),
        ("w~2", "w~2"),
        ("w~", "w~"),
        ("a* x40", "a* " * 40),
        ("a* x333", ("a* " * 333)[:1000]),
        ("w~2 x250", "w~2 " * 250),
        ("title:a* x111", ("title:a* " * 111)[:1000]),
        ("e* OR i* OR ... x200", " OR ".join("aeiou"[i % 5] + "*" for i in range(200))[:1000]),
        ("1000-letter word", "x" * 1000),
        ("1000-letter word~2", "x" * 997 + "~2"),
        ("U+FDFA x1000", "\ufdfa" * 1000),
        ("U+FDFA x55", "\ufdfa" * 55),
        ("unknown 25-letter words x38", (long_word + " ") * 38),
        ("( x250", "(" * 250 + "a" + ")" * 250),
        ("( x499 unclosed", "(" * 499 + "a"),
        ("NOT x249", "NOT " * 249 + "a"),
        ("-( x300", "-(" * 300 + "a" + ")" * 300),
        ("minage -bitcoin", "minage -bitcoin"),
        ("-a alone", "-a"),
        ("pr* con* x100", ("pr* con* " * 100)[:1000]),
        ("distinct 2-letter prefixes", " ".join(f"{a}{b}*" for a in "abcdefghij" for b in "aeiou")),
        ("distinct fuzzy words x90", " ".join(f"{w}~2" for w in WORDS * 10)[:1000]),
    ]


def hostile(rng: random.Random) -> str:
    """A random query of at most 1,000 characters built from the expensive pieces."""
    pieces = [
        lambda: rng.choice(WORDS) + "*",
        lambda: rng.choice(WORDS) + rng.choice(["~", "~1", "~2"]),
        lambda: "".join(
            rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(9, 60))
        ),
        lambda: "\ufdfa" * rng.randint(1, 30),
        lambda: "(" * rng.randint(1, 60),
        lambda: ")" * rng.randint(1, 60),
        lambda: "NOT",
        lambda: "-" + rng.choice(WORDS),
        lambda: "OR",
        lambda: "title:" + rng.choice(WORDS) + "*",
        lambda: '"' + " ".join(rng.choices(WORDS, k=rng.randint(2, 6))) + '"',
    ]
    out: list[str] = []
    while sum(len(p) + 1 for p in out) < rng.randint(20, 1000):
        out.append(rng.choice(pieces)())
    return " ".join(out)[:1000]


class _Cutoff(Exception):
    pass


def _alarm(signum: int, frame: FrameType | None) -> None:
    raise _Cutoff


def _rss_kib(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def measure(index: object, query: str, cutoff: int, traced: bool) -> tuple[float, float, str]:
    """(seconds, peak MB, outcome): peak resident size above the size before the query,
    or with ``traced`` tracemalloc's peak."""
    use_rss = not traced and _reset_peak()
    before = _rss_kib("VmRSS") or 0
    if not use_rss:
        tracemalloc.start()
    signal.alarm(cutoff)
    started = time.perf_counter()
    try:
        result = search(index, query)  # type: ignore[arg-type]
        outcome = f"{result.total} articles"
    except SeedsearchError as err:
        outcome = err.code
    except Exception as err:  # any crash is a result worth printing
        # Whoosh re-raises what interrupted a read as its own error: look down the chain.
        cause: BaseException | None = err
        while cause is not None and not isinstance(cause, _Cutoff):
            cause = cause.__cause__ or cause.__context__
        outcome = f"stopped after {cutoff} s" if cause else type(err).__name__
    finally:
        signal.alarm(0)
    seconds = time.perf_counter() - started
    if use_rss:
        peak_mb = max(0, (_rss_kib("VmHWM") or 0) - before) / 1024
    else:
        peak_mb = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return seconds, peak_mb, outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("index_dir")
    parser.add_argument("--sample", type=int, default=60, help="random hostile queries")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--cutoff", type=int, default=30, help="seconds before a query is stopped")
    args = parser.parse_args()
    signal.signal(signal.SIGALRM, _alarm)
    index = open_index(args.index_dir)
    search(index, "gouvernement")  # load the spelling dictionary and open the segments
    rng = random.Random(args.seed)
    queries = shapes() + [(f"hostile #{i}", hostile(rng)) for i in range(args.sample)]
    rows = []
    for label, query in queries:
        seconds, peak_mb, outcome = measure(index, query, args.cutoff, traced=False)
        rows.append((seconds, peak_mb, label, query, outcome))
    rows.sort(key=lambda r: -r[0])
    print(f"{len(rows)} queries against {args.index_dir}; slowest 20:")
    print(f"{'seconds':>8} {'RSS+ MB':>8} {'traced':>8} {'chars':>5}  {'query':<30} outcome")
    for seconds, peak_mb, label, query, outcome in rows[:20]:
        traced_mb = measure(index, query, args.cutoff, traced=True)[1]
        print(
            f"{seconds:8.3f} {peak_mb:8.1f} {traced_mb:8.1f} {len(query):5d}  {label:<30} {outcome}"
        )
    print(f"total {sum(r[0] for r in rows):.1f} s over {len(rows)} queries")


if __name__ == "__main__":
    main()
