"""The Xapian cluster store, against real ``xapian-tcpsrv`` servers on 127.0.0.1: the same
answers as the folder index, shards down, replicas, and ``seedsearch cluster``."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from seedsearch.cli import main
from seedsearch.index import update_index
from seedsearch.store import Index
from seedsearch.stores import open_store

_MISSING = shutil.which("xapian-tcpsrv") is None or importlib.util.find_spec("xapian") is None
if _MISSING and os.environ.get("SEEDSEARCH_REQUIRE_XAPIAN"):  # CI: fail, never skip
    raise RuntimeError("xapian-tcpsrv (apt: xapian-tools) or the Xapian bindings are missing")
pytestmark = pytest.mark.skipif(
    _MISSING, reason="needs xapian-tcpsrv (apt: xapian-tools) and the Xapian bindings"
)


def _md(title: str, day: str, author: str, source: str, text: str) -> str:
    return f"---\ntitle: {title}\ndate: {day}\nauthor: {author}\nsource: {source}\n---\n\n{text}\n"


FILES = {
    "presse/solaire.md": _md(
        "Le solaire en ville",
        "2024-03-01",
        "Marie Dupont",
        "Le Monde",
        "Les toits de Lyon produisent une énergie solaire abondante grâce aux panneaux.",
    ),
    # The same article saved twice: one result, in both stores.
    "copie/solaire.md": _md(
        "Le solaire en ville",
        "2024-03-01",
        "Marie Dupont",
        "Le Monde",
        "Les toits de Lyon produisent une énergie solaire abondante grâce aux panneaux.",
    ),
    "presse/barrages.md": _md(
        "Les barrages du Rhône",
        "2025-06-10",
        "Jean Martin",
        "Libération",
        "L'énergie des barrages est stockable et pilotable ; les barrages du Rhône vieillissent.",
    ),
    "presse/reseau.md": _md(
        "Le réseau et ses compteurs",
        "2025-06-12",
        "Paul Roy",
        "Le Monde",
        "Le réseau électrique installe des compteurs communicants dans chaque foyer.",
    ),
    "archives/eolien.html": (
        "<!doctype html><html lang=fr><head><meta charset=utf-8>"
        "<title>L'éolien en mer du Nord</title><meta name=author content='Marie Dupont'>"
        "<meta property='article:published_time' content='2023-01-05T08:00:00Z'>"
        "</head><body><article><h1>L'éolien en mer du Nord</h1>"
        "<p>Les éoliennes en mer fournissent de l'énergie renouvelable aux côtes du Nord.</p>"
        "</article></body></html>"
    ),
    "archives/nucleaire.md": _md(
        "Le nucléaire et le climat",
        "2022-11-20",
        "Jean Martin",
        "Les Échos",
        "Les centrales nucléaires produisent une énergie bas carbone ; le climat en dépend.",
    ),
    "notes/cuisine.txt": "La cuisine du dimanche\n\nUn gratin de courgettes et une tarte aux "
    "pommes pour toute la famille, sans aucune énergie solaire.\n",
    "notes/velo.txt": "Le vélo électrique en ville\n\nLes vélos électriques remplacent la "
    "voiture pour les trajets courts ; leur batterie se recharge la nuit.\n",
    "notes/hydrogene.md": _md(
        "L'hydrogène vert",
        "2025-01-15",
        "Claire Petit",
        "Le Monde",
        "L'hydrogène vert est produit par électrolyse avec une énergie renouvelable.",
    ),
}

QUERIES = [
    "énergie",
    "solaire",
    "barrages",
    '"énergie renouvelable"',
    "énergie solaire",
    "barrages OR éoliennes",
    "énergie -solaire",
    "NOT énergie",
    "énergie auteur:dupont",
    'source:"le monde"',
    "énergie date:2025",
    "date:2023..2024",
    "type:html",
    "dossier:notes",
    "title:réseau",
    "électr*",
    "enrgie",  # corrected to énergie
    "barages~",
    "hydrogène vert électrolyse climat",  # widened to any of its words
    "introuvablemot",
]


def _start(folder: Path, shards: int = 2, replicas: int = 0) -> Iterator[object]:
    from seedsearch.cluster import start, stop

    cluster = start(folder, shards, replicas)
    try:
        yield cluster
    finally:
        stop(folder)


def _pid(cluster: object, role: str, shard: int) -> int:
    return next(p.pid for p in cluster.processes if p.role == role and p.shard == shard)  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("xapian-corpus") / "articles"
    for rel, text in FILES.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory, corpus: Path) -> Iterator[tuple[str, Path]]:
    """The corpus in a folder index and in a 2-shard cluster (indexed by the CLI)."""
    base = tmp_path_factory.mktemp("xapian-cluster")
    folder = base / "whoosh"
    update_index(folder, [corpus])
    for cluster in _start(base / "cluster"):
        spec = cluster.spec  # type: ignore[attr-defined]
        out = CliRunner().invoke(main, ["--index", spec, "index", str(corpus), "--json"])
        assert out.exit_code == 0, out.output
        assert json.loads(out.output)["added"] == len(FILES)
        yield spec, folder


def _ids(result: object) -> list[str]:
    seen: list[str] = []
    for hit in result.hits:  # type: ignore[attr-defined]
        if hit.doc_id not in seen:
            seen.append(hit.doc_id)
    return seen


def _titles(result: object) -> list[str]:
    """The articles found, by title: of two copies of an article, the stores may show
    either (each title but the copied one's is unique in FILES)."""
    seen: list[str] = []
    for hit in result.hits:  # type: ignore[attr-defined]
        if hit.title not in seen:
            seen.append(hit.title)
    return seen


@pytest.mark.parametrize("query", QUERIES)
def test_cluster_finds_the_same_articles_and_totals_as_the_folder_index(
    indexed: tuple[str, Path], query: str
) -> None:
    spec, folder = indexed
    with Index(folder) as whoosh, open_store(spec) as cluster:
        expected = whoosh.search(query, limit=20)
        got = cluster.search(query, limit=20)
    assert got.total == expected.total
    assert set(_titles(got)) == set(_titles(expected))
    assert got.corrected_query == expected.corrected_query
    if expected.total:
        assert got.hits[0].title in _titles(expected)[:2]  # the same best article, or close


def test_cluster_hits_carry_highlighted_snippets_and_metadata(indexed: tuple[str, Path]) -> None:
    spec, _ = indexed
    with open_store(spec) as cluster:
        result = cluster.search('"énergie solaire" auteur:dupont')
    assert result.total == 1  # two copies, one result
    hit = result.hits[0]
    assert "<mark>énergie solaire</mark>" in hit.snippet
    assert hit.meta["author"] == "Marie Dupont" and hit.meta["date"] == "2024-03-01"
    assert hit.text[hit.spans[0][0] : hit.spans[0][1]] == "énergie solaire"


def test_cluster_shows_the_same_article_as_the_folder_index(indexed: tuple[str, Path]) -> None:
    spec, folder = indexed
    with Index(folder) as whoosh:
        doc_id = whoosh.search("barrages").hits[0].doc_id
        expected = whoosh.document(doc_id)
    runner = CliRunner()
    out = runner.invoke(main, ["--index", spec, "show", doc_id, "--json"])
    assert out.exit_code == 0, out.output
    shown = json.loads(out.output)
    assert shown["text"] == expected.text and shown["title"] == expected.title
    assert len(shown["passages"]) == len(expected.passages)
    missing = runner.invoke(main, ["--index", spec, "show", "no-such-id"])
    assert missing.exit_code == 1 and "no document" in missing.output


def test_cluster_search_and_stats_through_the_cli_and_the_environment(
    indexed: tuple[str, Path],
) -> None:
    spec, _ = indexed
    runner = CliRunner()
    out = runner.invoke(main, ["search", "barrages", "--json"], env={"SEEDSEARCH_INDEX": spec})
    assert out.exit_code == 0, out.output
    body = json.loads(out.output)
    assert body["total"] == 1 and body["partial"] is False and body["missing_shards"] == []
    stats = runner.invoke(main, ["--index", spec, "stats", "--json"])
    assert json.loads(stats.output)["documents"] == len(FILES)
    none = runner.invoke(main, ["--index", spec, "search", "introuvablemot"])
    assert none.exit_code == 1


def test_indexing_the_bundled_articles_matches_the_folder_index(tmp_path: Path) -> None:
    update_index(tmp_path / "whoosh")
    for cluster in _start(tmp_path / "cluster"):
        spec = cluster.spec  # type: ignore[attr-defined]
        out = CliRunner().invoke(main, ["--index", spec, "index"])
        assert out.exit_code == 0, out.output
        with Index(tmp_path / "whoosh") as whoosh, open_store(spec) as xap:
            assert xap.stats().documents == whoosh.stats().documents == 2
            assert xap.stats().passages == whoosh.stats().passages
            for query in ("bitcoin", "centres de données", '"intelligence artificielle"'):
                assert xap.search(query).total == whoosh.search(query).total


def test_reindexing_skips_unchanged_files_and_follows_edits_and_deletions(
    tmp_path: Path, corpus: Path
) -> None:
    articles = tmp_path / "articles"
    shutil.copytree(corpus, articles)
    runner = CliRunner()
    for cluster in _start(tmp_path / "cluster"):
        spec = cluster.spec  # type: ignore[attr-defined]

        def index(spec: str = spec) -> dict[str, int]:
            out = runner.invoke(main, ["--index", spec, "index", str(articles), "--json"])
            assert out.exit_code == 0, out.output
            return json.loads(out.output)  # type: ignore[no-any-return]

        index()
        assert index()["unchanged"] == len(FILES)
        (articles / "notes/velo.txt").write_text("Le vélo cargo\n\nUn triporteur livre.\n")
        (articles / "notes/cuisine.txt").unlink()
        report = index()
        assert (report["updated"], report["removed"], report["added"]) == (1, 1, 0)
        assert report["documents"] == len(FILES) - 1
        with open_store(spec) as xap:
            assert xap.search("triporteur").total == 1
            assert xap.search("batterie").total == 0  # the old text is gone
            assert xap.search("gratin").total == 0


def test_a_dead_shard_is_an_error_or_with_partial_a_named_gap(tmp_path: Path, corpus: Path) -> None:
    runner = CliRunner()
    corpus = Path(shutil.copytree(corpus, tmp_path / "articles"))
    shutil.rmtree(corpus / "copie")  # one copy of each article: shard 1 holds its own
    for cluster in _start(tmp_path / "cluster"):
        spec = cluster.spec  # type: ignore[attr-defined]
        assert runner.invoke(main, ["--index", spec, "index", str(corpus)]).exit_code == 0
        with open_store(spec) as xap:
            whole = {h.doc_id for h in xap.search("énergie", limit=20).hits}
        os.kill(_pid(cluster, "writer", 2), signal.SIGTERM)
        time.sleep(0.2)
        out = runner.invoke(main, ["--index", spec, "search", "énergie"])
        assert out.exit_code == 7
        assert out.output.count("\n") == 1 and "shard 2" in out.output
        assert "Traceback" not in out.output
        js = runner.invoke(main, ["--index", spec, "search", "énergie", "--json"])
        assert json.loads(js.output)["error"]["code"] == "shard_unavailable"
        part = runner.invoke(main, ["--index", spec, "search", "énergie", "--partial", "--json"])
        body = json.loads(part.stdout)
        assert body["partial"] is True
        assert len(body["missing_shards"]) == 1 and body["missing_shards"][0].startswith("shard 2")
        found = {h["doc_id"] for h in body["hits"]}
        assert found < whole and body["total"] == len(found)
        # Every article of shard 2 is missing, every other one is there.
        from seedsearch.xapian_store.connect import parse_spec, shard_of

        shards = parse_spec(spec)
        assert found == {d for d in whole if shard_of(d, shards).number == 1}
        lost = next(d for d in whole if shard_of(d, shards).number == 2)
        shown = runner.invoke(main, ["--index", spec, "show", lost])
        assert shown.exit_code == 7
        indexing = runner.invoke(main, ["--index", spec, "index", str(corpus)])
        assert indexing.exit_code == 7 and "shard 2" in indexing.output


def test_a_replica_answers_when_its_writer_is_down(tmp_path: Path, corpus: Path) -> None:
    runner = CliRunner()
    for cluster in _start(tmp_path / "cluster", shards=2, replicas=1):
        spec = cluster.spec  # type: ignore[attr-defined]
        assert runner.invoke(main, ["--index", spec, "index", str(corpus)]).exit_code == 0
        # The replicas alone, once they have copied the last commit.
        replicas = "xapian://" + ",".join(s.split("+")[1] for s in spec[9:].split(","))
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            with open_store(replicas) as copy:
                if copy.stats().documents == len(FILES):
                    break
            time.sleep(0.2)
        for shard in (1, 2):
            os.kill(_pid(cluster, "writer", shard), signal.SIGTERM)
        time.sleep(0.2)
        out = runner.invoke(main, ["--index", spec, "search", "énergie", "--json"])
        assert out.exit_code == 0, out.output
        assert json.loads(out.output)["total"] == 6


def test_readers_pointed_at_the_replicas_search_the_same_and_cannot_write(
    tmp_path: Path, corpus: Path
) -> None:
    runner = CliRunner()
    for cluster in _start(tmp_path / "cluster", shards=2, replicas=1):
        spec = cluster.spec  # type: ignore[attr-defined]
        (readers,) = cluster.readers  # type: ignore[attr-defined]
        assert readers == "xapian://" + ",".join(s.split("+")[1] for s in spec[9:].split(","))
        assert runner.invoke(main, ["--index", spec, "index", str(corpus)]).exit_code == 0
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            with open_store(readers) as copy:
                if copy.stats().documents == len(FILES):
                    break
            time.sleep(0.2)
        on_writers = runner.invoke(main, ["--index", spec, "search", "énergie", "--json"])
        on_copies = runner.invoke(main, ["--index", readers, "search", "énergie", "--json"])
        assert on_copies.exit_code == 0, on_copies.output
        ids = [[h["doc_id"] for h in json.loads(o.output)["hits"]] for o in (on_writers, on_copies)]
        assert ids[0] == ids[1] and ids[0]
        refused = runner.invoke(main, ["--index", readers, "index", str(corpus)])
        assert refused.exit_code != 0
        assert "read-only" in refused.output and "Traceback" not in refused.output


def test_searches_in_a_loop_keep_their_totals_when_a_replica_they_read_is_killed(
    tmp_path: Path, corpus: Path
) -> None:
    import threading

    runner = CliRunner()
    for cluster in _start(tmp_path / "cluster", shards=2, replicas=1):
        spec = cluster.spec  # type: ignore[attr-defined]
        assert runner.invoke(main, ["--index", spec, "index", str(corpus)]).exit_code == 0
        # Each shard's replica listed first: reads go to the replicas while they answer.
        pairs = [s.split("+") for s in spec[len("xapian://") :].split(",")]
        replicas_first = "xapian://" + ",".join(f"{r}+{w}" for w, r in pairs)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            with open_store(replicas_first) as copy:
                if copy.stats().documents == len(FILES):
                    break
            time.sleep(0.2)
        with open_store(spec) as writer:
            expected = {q: writer.search(q).total for q in ("énergie", "barrages", "solaire")}
        killed = threading.Event()
        replica = _pid(cluster, "replica", 2)

        def kill(pid: int = replica, done: threading.Event = killed) -> None:
            os.killpg(pid, signal.SIGKILL)  # the server and the processes it forked
            done.set()

        threading.Timer(1.0, kill).start()
        after = 0
        stop = time.monotonic() + 4
        with open_store(replicas_first) as store:
            while time.monotonic() < stop:
                for query, total in expected.items():
                    assert store.search(query).total == total, query
                    after += killed.is_set()
        assert killed.is_set() and after > 10
        out = runner.invoke(main, ["--index", replicas_first, "search", "énergie", "--json"])
        assert out.exit_code == 0 and json.loads(out.output)["total"] == expected["énergie"]


def test_cluster_start_and_stop_through_the_cli(tmp_path: Path) -> None:
    runner = CliRunner()
    folder = tmp_path / "cluster"
    out = runner.invoke(
        main, ["cluster", "start", "--shards", "2", "--replicas", "1", str(folder), "--json"]
    )
    assert out.exit_code == 0, out.output
    started = json.loads(out.output)
    try:
        assert started["spec"].startswith("xapian://") and started["spec"].count("+") == 2
        assert len(started["processes"]) == 8  # per shard: writer, feed, replicate, replica
        again = runner.invoke(main, ["cluster", "start", str(folder)])
        assert again.exit_code == 8 and "already running" in again.output
        indexed = runner.invoke(main, ["--index", started["spec"], "index"])
        assert indexed.exit_code == 0, indexed.output
    finally:
        stopped = runner.invoke(main, ["cluster", "stop", str(folder)])
    assert stopped.exit_code == 0, stopped.output
    for p in started["processes"]:
        assert not Path(f"/proc/{p['pid']}").exists() or _zombie(p["pid"])
    gone = runner.invoke(main, ["cluster", "stop", str(folder)])
    assert gone.exit_code == 8 and "no cluster" in gone.output


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ("xapian://", "at least one host:port"),
        ("xapian://localhost", "bad address"),
        ("xapian://127.0.0.1:70000", "bad address"),
    ],
)
def test_a_malformed_cluster_address_is_a_one_line_error(spec: str, words: str) -> None:
    out = CliRunner().invoke(main, ["--index", spec, "search", "énergie"])
    assert out.exit_code == 2 and words in out.output and out.output.count("\n") == 1


def test_a_cluster_nobody_serves_is_a_one_line_error(tmp_path: Path) -> None:
    from seedsearch.cluster import free_port

    spec = f"xapian://127.0.0.1:{free_port('127.0.0.1')}"
    out = CliRunner().invoke(main, ["--index", spec, "search", "énergie"])
    assert out.exit_code == 7 and "shard 1" in out.output and out.output.count("\n") == 1


def test_the_web_app_serves_a_cluster(indexed: tuple[str, Path]) -> None:
    from fastapi.testclient import TestClient

    from seedsearch.web.app import create_app

    spec, folder = indexed
    with Index(folder) as whoosh:
        doc_id = whoosh.search("barrages").hits[0].doc_id
    with TestClient(create_app(spec, allowed_hosts=["testserver"])) as client:
        api = client.get("/api/search", params={"q": "énergie"})
        assert api.status_code == 200 and api.json()["total"] == 6
        page = client.get("/", params={"q": "barrages"})
        assert page.status_code == 200 and "<mark>barrages</mark>" in page.text
        article = client.get(f"/doc/{doc_id}", params={"q": "barrages"})
        assert article.status_code == 200 and "Rhône" in article.text
        assert client.get(f"/api/docs/{doc_id}").json()["title"] == "Les barrages du Rhône"
        similar = client.get(f"/api/docs/{doc_id}/similar").json()
        assert similar["doc_id"] == doc_id and all(
            a["doc_id"] != doc_id for a in similar["articles"]
        )
        assert client.get("/api/stats").json()["documents"] == len(FILES)
        assert client.get("/healthz").json() == {"status": "ok", "index": True}


def test_show_highlights_a_query_on_a_cluster(indexed: tuple[str, Path]) -> None:
    spec, folder = indexed
    with Index(folder) as whoosh:
        doc_id = whoosh.search("barrages").hits[0].doc_id
    out = CliRunner().invoke(
        main, ["--index", spec, "show", doc_id, "--highlight", "barrages", "--json"]
    )
    assert out.exit_code == 0, out.output
    assert "<mark>barrages</mark>" in out.output


def test_facets_and_date_order_match_the_folder_index(indexed: tuple[str, Path]) -> None:
    from seedsearch.refine import NEWEST, Refine

    spec, folder = indexed
    refine = Refine(sort=NEWEST, facets=True)
    with Index(folder) as whoosh, open_store(spec) as cluster:
        expected = whoosh.search("énergie", limit=20, refine=refine)
        got = cluster.search("énergie", limit=20, refine=refine)
    assert _titles(got) == _titles(expected)  # newest first, every article dated differently
    assert got.facets is not None and expected.facets is not None
    for name in ("year", "type"):
        assert got.facets[name] == expected.facets[name]
    for name in ("source", "author"):
        assert sorted((v.value, v.count) for v in got.facets[name]) == sorted(
            (v.value, v.count) for v in expected.facets[name]
        )


def test_one_writer_at_a_time_and_no_watch_on_a_cluster(indexed: tuple[str, Path]) -> None:
    import xapian

    from seedsearch.xapian_store.connect import parse_spec

    spec, _ = indexed
    runner = CliRunner()
    first = parse_spec(spec)[0].writer
    holder = xapian.remote_open_writable(first.host, first.port)
    try:
        out = runner.invoke(main, ["--index", spec, "index"])
        assert out.exit_code == 3 and "one writer at a time" in out.output
    finally:
        holder.close()
    watch = runner.invoke(main, ["--index", spec, "index", "--watch"])
    assert watch.exit_code == 2 and "--watch needs a folder index" in watch.output


@given(st.text(max_size=60))
def test_any_cluster_address_parses_or_is_an_option_error(text: str) -> None:
    from seedsearch.errors import OptionError
    from seedsearch.xapian_store.connect import parse_spec

    try:
        shards = parse_spec("xapian://" + text)
    except OptionError:
        return
    assert shards and all(0 < a.port < 65536 for s in shards for a in s.addresses)


@given(
    st.lists(
        st.lists(st.integers(min_value=1, max_value=65535), min_size=1, max_size=3),
        min_size=1,
        max_size=5,
    )
)
def test_a_written_cluster_address_reads_back(ports: list[list[int]]) -> None:
    from seedsearch.xapian_store.connect import parse_spec

    spec = "xapian://" + ",".join("+".join(f"127.0.0.1:{p}" for p in shard) for shard in ports)
    shards = parse_spec(spec)
    assert [[a.port for a in s.addresses] for s in shards] == ports
    assert [s.number for s in shards] == list(range(1, len(ports) + 1))


def test_open_store_gives_a_store_for_a_folder_and_for_a_cluster(
    indexed: tuple[str, Path],
) -> None:
    from seedsearch.stores import Store, is_cluster
    from seedsearch.xapian_store import XapianCluster

    spec, folder = indexed
    with open_store(folder) as whoosh, open_store(Path(spec)) as cluster:
        assert isinstance(whoosh, Index) and isinstance(whoosh, Store)
        # A spec that went through a Path ("xapian:/host:port") still names the cluster.
        assert isinstance(cluster, XapianCluster) and isinstance(cluster, Store)
        assert cluster.spec == spec
        assert cluster.window(whoosh.search("barrages").hits[0].doc_id, 0, 2).passage_count > 0
    assert not is_cluster(folder) and is_cluster(spec)
