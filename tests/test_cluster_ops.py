"""Running a Xapian cluster as a folder index is run: ``sources``, ``forget`` and ``check``
with the same answers, ``serve --workers``, incremental runs counting alike, and a shard or
the indexer killed midway (real ``xapian-tcpsrv`` servers and real processes)."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from seedsearch.cli import main
from seedsearch.stores import check_index, open_store
from test_robustness import write_corpus
from test_xapian import _MISSING, FILES, _pid, _start

pytestmark = pytest.mark.skipif(
    _MISSING, reason="needs xapian-tcpsrv (apt: xapian-tools) and the Xapian bindings"
)

SEEDSEARCH = str(Path(sys.executable).with_name("seedsearch"))


def _write(root: Path) -> Path:
    for rel, text in FILES.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def _run(index: str | Path, *args: str) -> Any:
    return CliRunner().invoke(main, ["--index", str(index), *args])


def _json(index: str | Path, *args: str) -> Any:
    out = _run(index, *args, "--json")
    assert out.exit_code == 0, out.output
    return json.loads(out.stdout)


@pytest.fixture
def both(tmp_path: Path) -> Iterator[tuple[Path, str, Path]]:
    """(folder index, cluster spec, articles): both empty, two shards."""
    articles = _write(tmp_path / "articles")
    for cluster in _start(tmp_path / "cluster"):
        yield tmp_path / "whoosh", cluster.spec, articles  # type: ignore[attr-defined]


def _doc_ids(spec: str) -> set[str]:
    from seedsearch.xapian_store import layout
    from seedsearch.xapian_store.connect import open_shard, parse_spec

    found: set[str] = set()
    for shard in parse_spec(spec):
        found |= set(layout.read_json(open_shard(shard), layout.DOCS_KEY, {}))
    return found


def _doc_ids_stored(spec: str) -> int:
    from seedsearch.xapian_store.connect import open_shard, parse_spec

    return sum(open_shard(shard).get_doccount() for shard in parse_spec(spec))


# --- sources, forget, check ------------------------------------------------------------


def test_sources_lists_the_same_sources_on_a_cluster(both: tuple[Path, str, Path]) -> None:
    folder, spec, articles = both
    roots = [str(articles / "presse"), str(articles / "notes"), str(articles / "archives")]
    for index in (folder, spec):
        assert _run(index, "index", *roots).exit_code == 0
    shutil.rmtree(articles / "archives")  # vanished: listed, its articles kept
    for index in (folder, spec):
        assert _run(index, "index").exit_code == 0
    listed = {
        str(index): [{k: v for k, v in s.items() if k != "updated"} for s in body["sources"]]
        for index in (folder, spec)
        for body in [_json(index, "sources")]
    }
    assert listed[spec] == listed[str(folder)]
    assert [s["articles"] for s in listed[spec]] == [3, 3, 2]
    assert [s["vanished"] for s in listed[spec]] == [False, False, True]

    def shape(index: str | Path) -> list[str]:
        text = _run(index, "sources").output
        return re.sub(r"updated \S+", "updated T", text).splitlines()

    assert shape(spec) == shape(folder)
    assert shape(spec)[2].endswith("MISSING (articles kept)")


def test_forget_removes_a_source_from_a_cluster_as_from_a_folder(
    both: tuple[Path, str, Path],
) -> None:
    folder, spec, articles = both
    roots = [str(articles / "presse"), str(articles / "notes")]
    for index in (folder, spec):
        assert _run(index, "index", *roots).exit_code == 0
    reports = {str(i): _json(i, "forget", str(articles / "notes")) for i in (folder, spec)}
    keys = ("forgotten", "added", "updated", "removed", "unchanged", "documents", "vanished")
    assert [reports[spec][k] for k in keys] == [reports[str(folder)][k] for k in keys]
    assert (reports[spec]["removed"], reports[spec]["documents"]) == (3, 3)
    with open_store(spec) as cluster:
        assert cluster.search("vélo").total == 0 and cluster.search("barrages").total == 1
    assert [s["name"] for s in _json(spec, "sources")["sources"]] == roots[:1]
    # The same one-line error for a path that is not a source, in both.
    errors = [_run(i, "forget", str(articles / "notes")) for i in (folder, spec)]
    assert errors[0].exit_code == errors[1].exit_code != 0
    assert errors[0].output == errors[1].output and errors[1].output.count("\n") == 1
    text = _run(spec, "forget", str(articles / "presse"))
    assert text.output == f"Forgot {articles / 'presse'}: 3 articles removed, 0 left\n"
    assert _doc_ids(spec) == set()


def test_an_empty_cluster_is_an_index_not_found_as_a_missing_folder(
    both: tuple[Path, str, Path],
) -> None:
    folder, spec, _ = both
    for command in (["sources"], ["forget", "x"], ["check"]):
        outs = [_run(index, *command) for index in (folder, spec)]
        assert outs[0].exit_code == outs[1].exit_code == 5, command
        assert all(o.output.count("\n") == 1 and "seedsearch index" in o.output for o in outs)


def test_check_reads_every_shard_of_a_healthy_cluster(both: tuple[Path, str, Path]) -> None:
    folder, spec, articles = both
    for index in (folder, spec):
        assert _run(index, "index", str(articles)).exit_code == 0
    report = check_index(spec)
    assert report.ok and report.articles == len(FILES) == _json(folder, "check")["articles"]
    assert [s["shard"] for s in report.shards] == [1, 2]
    assert sum(s["articles"] for s in report.shards) == len(FILES)
    assert all(s["articles"] and s["terms"] and s["postings"] for s in report.shards)
    body = _json(spec, "check")
    assert set(_json(folder, "check")) == set(body) and body["ok"] is True
    text = _run(spec, "check")
    assert text.exit_code == 0
    lines = text.output.splitlines()
    assert lines[0].startswith("shard 1 (") and lines[1].startswith("shard 2 (")
    assert lines[2].startswith(f"{spec}: healthy; 2 shards, {len(FILES)} articles")


def test_check_finds_an_article_on_the_wrong_shard_and_a_rebuild_mends_it(
    both: tuple[Path, str, Path],
) -> None:
    import xapian

    from seedsearch.xapian_store import layout
    from seedsearch.xapian_store.connect import parse_spec, shard_of

    _, spec, articles = both
    assert _run(spec, "index", str(articles)).exit_code == 0
    shards = parse_spec(spec)
    # An article of shard 2 written to shard 1 by hand, records and all.
    wrong = next(d for d in _doc_ids(spec) if shard_of(d, shards).number == 2)
    w2 = shards[1].writer
    record = layout.stored(
        next(
            xapian.remote_open(w2.host, w2.port).get_document(p.docid)
            for p in xapian.remote_open(w2.host, w2.port).postlist(layout.ID + wrong)
        )
    )
    w1 = shards[0].writer
    db = xapian.remote_open_writable(w1.host, w1.port)
    doc = xapian.Document()
    doc.add_boolean_term(layout.ID + wrong)
    doc.set_data(json.dumps(record))
    db.replace_document(layout.ID + wrong, doc)
    docs = layout.read_json(db, layout.DOCS_KEY, {})
    docs[wrong] = [record["sha"], record["path"]]
    layout.write_json(db, layout.DOCS_KEY, docs)
    db.commit()
    db.close()
    out = _run(spec, "check")
    assert out.exit_code == 5
    assert f"problem: shard 1 ({w1}): article {wrong} belongs on shard 2" in out.output
    # Its passages were not counted in shard 1's statistics either.
    assert f"problem: shard 1 ({w1}): the statistics do not add up" in out.output
    assert "DAMAGED (2 problems)" in out.output and "Traceback" not in out.output
    assert _run(spec, "index", "--rebuild").exit_code == 0
    assert check_index(spec).ok and len(_doc_ids(spec)) == len(FILES)


def test_check_names_a_shard_that_does_not_answer(tmp_path: Path) -> None:
    articles = _write(tmp_path / "articles")
    for cluster in _start(tmp_path / "cluster"):
        spec = cluster.spec  # type: ignore[attr-defined]
        assert _run(spec, "index", str(articles)).exit_code == 0
        os.kill(_pid(cluster, "writer", 2), signal.SIGTERM)
        time.sleep(0.2)
        body = json.loads(_run(spec, "check", "--json").stdout)
        assert body["ok"] is False and len(body["problems"]) == 1
        assert (
            body["problems"][0].startswith("shard 2 (") and "does not answer" in body["problems"][0]
        )
        assert body["shards"][1]["answering"] == [] and body["shards"][0]["articles"] > 0


# --- serve --workers -------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["folder", "cluster"])
def test_serve_with_two_workers_answers_from_a_folder_and_from_a_cluster(
    both: tuple[Path, str, Path], server_factory: Callable[..., Any], kind: str
) -> None:
    folder, spec, articles = both
    index = str(folder) if kind == "folder" else spec
    assert _run(index, "index", str(articles)).exit_code == 0
    server = server_factory(index, "--workers", "2")
    for _ in range(12):  # spread over both workers
        status, body = server.get_json("/api/search?q=%C3%A9nergie")
        assert status == 200 and body["total"] == 6
    status, stats = server.get_json("/api/stats")
    assert status == 200 and stats["documents"] == len(FILES)
    children = Path(f"/proc/{server.proc.pid}/task/{server.proc.pid}/children").read_text().split()
    assert len(children) >= 2  # the workers


def test_serve_watch_refuses_a_cluster_in_one_line(both: tuple[Path, str, Path]) -> None:
    _, spec, _ = both
    out = _run(spec, "serve", "--watch", "--port", "0")
    assert out.exit_code == 2 and "--watch needs a folder index" in out.output


# --- incremental runs ------------------------------------------------------------------


def _edit(articles: Path) -> None:
    (articles / "notes/velo.txt").write_text("Le vélo cargo\n\nUn triporteur livre.\n")


def _delete(articles: Path) -> None:
    (articles / "notes/cuisine.txt").unlink()


def _add(articles: Path) -> None:
    (articles / "notes/train.txt").write_text("Le train de nuit\n\nIl revient en Europe.\n")


def _remove_root(articles: Path) -> None:
    shutil.rmtree(articles / "archives")


@pytest.mark.parametrize(
    "change",
    [lambda a: None, _edit, _delete, _add, _remove_root],
    ids=["unchanged", "edited", "deleted", "new", "root-removed"],
)
def test_an_incremental_run_counts_as_on_a_folder_index(
    both: tuple[Path, str, Path], change: Callable[[Path], None]
) -> None:
    folder, spec, articles = both
    roots = [str(articles / d) for d in ("presse", "copie", "archives", "notes")]
    for index in (folder, spec):
        assert _run(index, "index", *roots).exit_code == 0
    change(articles)
    keys = ("added", "updated", "removed", "unchanged", "documents", "vanished")
    got = {str(i): _json(i, "index") for i in (folder, spec)}
    assert [got[spec][k] for k in keys] == [got[str(folder)][k] for k in keys]
    assert check_index(spec).ok


# --- faults while indexing -------------------------------------------------------------


def _search_all(spec: str) -> dict[str, Any]:
    with open_store(spec) as cluster:
        return {
            q: (r.total, [h.doc_id for h in r.hits])
            for q in (
                "minage",
                "bitcoin énergie",
                '"centre données"',
                "title:minage",
                "supercalculateur filiale souveraineté",
            )
            for r in [cluster.search(q, limit=30)]
        }


@pytest.mark.parametrize("victim", ["shard", "indexer"])
def test_a_run_killed_midway_is_completed_by_the_next_one_as_a_rebuild(
    tmp_path: Path, victim: str
) -> None:
    """Killing shard 2's server fails the run (exit 7, one line); killing the indexer
    (kill -9) leaves what the servers committed for it. Either way the next run gives what
    a fresh cluster indexed from scratch holds."""
    from seedsearch import cluster as clusters

    corpus = tmp_path / "corpus"
    write_corpus(corpus, 0, 1500, 7)
    home = tmp_path / "cluster"
    for cluster in _start(home):
        spec = cluster.spec  # type: ignore[attr-defined]
        run = subprocess.Popen(
            [SEEDSEARCH, "--index", spec, "index", str(corpus)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(2.5)
        assert run.poll() is None, "the run ended before the fault"
        if victim == "shard":  # the server and the process it forked for the connection
            os.killpg(_pid(cluster, "writer", 2), signal.SIGKILL)
        else:
            os.kill(run.pid, signal.SIGKILL)
        _, err = run.communicate(timeout=60)
        if victim == "shard":
            assert run.returncode == 7
            assert err.count("\n") == 1 and "Traceback" not in err
            assert err.startswith("seedsearch: error: shard 2 (") and "failed while indexing" in err
            clusters.stop(home)  # the other servers still run: stop them all, start again
            spec = clusters.start(home, 2, 0).spec
        else:
            assert run.returncode == -signal.SIGKILL
            # The servers commit what the dead client had sent (marked unfinished) once
            # they see it gone.
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and not _doc_ids_stored(spec):
                time.sleep(0.2)
            left = check_index(spec)
            assert 0 < left.articles < 1500, left.articles
            assert any("did not finish" in p for p in left.problems)
        again = _run(spec, "index", str(corpus), "--json")
        assert again.exit_code == 0, again.output
        assert json.loads(again.stdout)["documents"] == 1500
        assert check_index(spec).ok
        completed = (_doc_ids(spec), _search_all(spec))
    for fresh in _start(tmp_path / "fresh"):
        fresh_spec = fresh.spec  # type: ignore[attr-defined]
        assert _run(fresh_spec, "index", str(corpus)).exit_code == 0
        rebuilt = (_doc_ids(fresh_spec), _search_all(fresh_spec))
    assert completed[0] == rebuilt[0] and len(completed[0]) == 1500
    assert completed[1] == rebuilt[1]
    assert all(total > 0 for total, _ in completed[1].values())
