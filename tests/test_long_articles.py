"""A long file is one article: one result, counted once, its passages found in every part,
and its page and API answer read in windows of passages."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from conftest import json_out
from seedsearch.index import update_index
from seedsearch.schema import PART_CHARS
from seedsearch.store import WINDOW, Index
from seedsearch.web.app import MAX_COUNT, create_app

FILLER = "Le texte continue assez longtemps pour former un passage à lui seul. " * 3
PARAGRAPHS = [
    f"Paragraphe {n} sur le minage et le réseau numéro {n}. {FILLER}" for n in range(1200)
]
# Words found in one passage of the long article each, in its first and last parts.
PARAGRAPHS[10] = "Le cormoran pêche au début du manuel, près du port. " + FILLER
PARAGRAPHS[1050] = "Le cormoran revient en fin de manuel avec le héron cendré. " + FILLER
TEXT = "Un long manuel\n\n" + "\n\n".join(PARAGRAPHS) + "\n"
SHORT = {f"court{n}.txt": f"Court {n}\n\nLe minage en bref, numéro {n}." for n in range(5)}


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("long")
    (root / "articles").mkdir()
    (root / "articles" / "manuel.txt").write_text(TEXT, encoding="utf-8")
    for name, text in SHORT.items():
        (root / "articles" / name).write_text(text, encoding="utf-8")
    update_index(root / "ix", [root / "articles"])
    return root / "ix"


@pytest.fixture(scope="module")
def long_id(index_dir: Path) -> str:
    with Index(index_dir) as ix:
        return next(d for d, _ in ix.passages() if d.startswith("manuel-"))


@pytest.fixture(scope="module")
def client(index_dir: Path) -> TestClient:
    return TestClient(create_app(index_dir), base_url="http://127.0.0.1")


def test_the_article_is_long_enough_to_be_stored_in_several_parts(index_dir: Path) -> None:
    assert len(TEXT) > 4 * PART_CHARS
    with Index(index_dir) as ix:
        s = ix.searcher()
        assert len(list(s.document_numbers(kind="article"))) > 4 + len(SHORT)
        assert ix.stats().documents == 1 + len(SHORT)


@pytest.mark.parametrize("fold_map", [False, True])
@pytest.mark.parametrize("query", ["minage", "numéro", "minage OR réseau", "minage -cigogne"])
def test_a_long_article_is_one_result_in_totals_and_on_every_page(
    index_dir: Path, long_id: str, query: str, fold_map: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    import seedsearch.ranking as ranking

    if fold_map:  # as large result sets are folded
        monkeypatch.setattr(ranking, "FOLD_MAP_FROM", 0)
    with Index(index_dir) as ix:
        first = ix.search(query, limit=10)
        assert first.total == 1 + len(SHORT)
        seen: list[str] = []
        for offset in range(0, first.total + 2, 2):
            page = ix.search(query, limit=2, offset=offset)
            assert page.total == first.total
            ranks = sorted({h.rank for h in page.hits})
            assert ranks == list(range(offset + 1, min(offset + 2, page.total) + 1))
            seen += list(dict.fromkeys(h.doc_id for h in page.hits))
    assert sorted(seen) == sorted(set(seen)) and len(seen) == first.total
    assert long_id in seen


@pytest.mark.parametrize("query", ["pêche héron", "héron pêche", "port cendré", "pêche héron port"])
def test_words_held_by_different_parts_of_one_file_match_it(
    index_dir: Path, long_id: str, query: str
) -> None:
    # "pêche" and "port" sit in the manual's first part only, "héron" and "cendré" in its
    # last part only: the file holds every word, so it matches, as a short file would.
    with Index(index_dir) as ix:
        result = ix.search(query)
        alone = ix.search("pêche")
    assert result.total == 1
    assert {h.doc_id for h in result.hits} == {long_id}
    # Every word counts: the whole file outranks none, and scores above a one-word match.
    assert result.hits[0].score >= alone.hits[0].score


@pytest.mark.parametrize(
    "query", ['"héron cendré" pêche', "pêche AND héron -cigogne", "titre:manuel pêche héron"]
)
def test_an_and_of_any_kind_matches_the_file_holding_its_branches_in_different_parts(
    index_dir: Path, long_id: str, query: str
) -> None:
    with Index(index_dir) as ix:
        result = ix.search(query)
    assert [h.doc_id for h in result.hits][:1] == [long_id]
    assert result.total == 1 and not result.also_searched
    # Each part scores the words it holds: the passages of both parts are shown.
    assert {11, 1051} <= {h.passage for h in result.hits}


@pytest.mark.parametrize("query", ["minage -héron", "numéro -cormoran", "-héron"])
def test_a_word_excluded_anywhere_in_a_long_file_excludes_the_file(
    index_dir: Path, long_id: str, query: str
) -> None:
    # "héron" sits in the manual's last part only; its other parts lack it, but the file
    # holds it, so NOT leaves it out.
    with Index(index_dir) as ix:
        result = ix.search(query, limit=50)
    assert long_id not in {h.doc_id for h in result.hits}
    assert result.total == len(SHORT)


def test_passages_come_from_every_part_and_are_highlighted(index_dir: Path, long_id: str) -> None:
    with Index(index_dir) as ix:
        result = ix.search("cormoran")
    assert result.total == 1
    assert {h.doc_id for h in result.hits} == {long_id}
    # Paragraph n is passage n + 1 (the title is passage 0): one in the first part, one in
    # the last, each with its word marked.
    assert sorted(h.passage for h in result.hits) == [11, 1051]
    assert all("<mark>cormoran</mark>" in h.snippet.lower() for h in result.hits)
    with Index(index_dir) as ix:
        late = ix.search('"héron cendré"').hits
    assert [h.passage for h in late] == [1051]
    assert "<mark>héron cendré</mark>" in late[0].snippet


def test_json_of_the_cli_and_the_api_hold_one_entry_per_article(
    index_dir: Path, long_id: str, cli, client: TestClient
) -> None:
    data = json_out(cli("search", "--json", "--limit", "3", "minage", index=index_dir))
    api = client.get("/api/search", params={"q": "minage", "limit": 3}).json()
    for d in (data, api):
        assert d["total"] == 1 + len(SHORT)
        by_rank: dict[int, set[str]] = {}
        for hit in d["hits"]:
            by_rank.setdefault(hit["rank"], set()).add(hit["doc_id"])
        assert sorted(by_rank) == [1, 2, 3] and all(len(v) == 1 for v in by_rank.values())
    text = cli("search", "minage", index=index_dir).stdout
    # (after the synonyms it also searched: "Also searched: mining")
    assert f"\n{1 + len(SHORT)} articles, showing 1-" in f"\n{text}"
    assert text.count(long_id) == 1


def test_the_article_page_opens_on_a_window_around_the_linked_passage(
    client: TestClient, long_id: str
) -> None:
    results = client.get("/", params={"q": "héron"}).text
    link = re.search(r'href="(/doc/[^"]+\?q=h%C3%A9ron&amp;p=1051)#p1051"', results)
    assert link is not None
    page = client.get(link.group(1).replace("&amp;", "&"))
    assert page.status_code == 200
    ids = [int(n) for n in re.findall(r'id="p(\d+)"', page.text)]
    assert 1051 in ids and len(ids) == WINDOW
    assert ids == list(range(1051 - WINDOW // 2, 1051 + WINDOW // 2))
    assert "<mark>héron</mark>" in page.text
    assert len(page.content) < 100_000 < len(TEXT)
    # Paging links, which work without script, lead to the windows on either side.
    prev = re.search(r'<a class="more" rel="prev" data-from="(\d+)" href="([^"]+)"', page.text)
    nxt = re.search(r'<a class="more" rel="next" data-from="(\d+)" href="([^"]+)"', page.text)
    assert prev and nxt and int(nxt.group(1)) == ids[-1] + 1
    after = client.get(nxt.group(2).replace("&amp;", "&")).text
    after_ids = [int(n) for n in re.findall(r'id="p(\d+)"', after)]
    assert after_ids[0] == ids[-1] + 1 and after_ids[-1] == 1200
    assert 'rel="next"' not in after  # the last window
    before = client.get(prev.group(2).replace("&amp;", "&")).text
    assert [int(n) for n in re.findall(r'id="p(\d+)"', before)][-1] == ids[0] - 1


def test_the_first_window_and_the_whole_article(client: TestClient, long_id: str) -> None:
    first = client.get(f"/doc/{long_id}").text
    assert [int(n) for n in re.findall(r'id="p(\d+)"', first)] == list(range(WINDOW))
    assert 'rel="prev"' not in first and "tout afficher (1201 passages)" in first
    whole = client.get(f"/doc/{long_id}", params={"q": "cormoran", "all": 1}).text
    assert len(re.findall(r'id="p(\d+)"', whole)) == 1201
    assert whole.count("<mark>cormoran</mark>") == 2


def test_fragments_carry_the_next_windows_with_their_highlights(
    client: TestClient, long_id: str
) -> None:
    start, marked = 0, 0
    while True:
        r = client.get(f"/doc/{long_id}/passages", params={"q": "minage", "from": start})
        assert r.status_code == 200 and "<html" not in r.text
        ids = [int(n) for n in re.findall(r'id="p(\d+)"', r.text)]
        assert ids[0] == start
        marked += r.text.count("<mark>minage</mark>")
        start = int(r.headers["X-Next-From"])
        if start >= int(r.headers["X-Passage-Count"]):
            break
    assert start == 1201
    # Every paragraph but the two replaced ones holds the word once.
    assert marked == 1198


def test_the_api_pages_through_passages(client: TestClient, long_id: str) -> None:
    r = client.get(f"/api/docs/{long_id}", params={"from": 1000, "count": 50})
    assert r.status_code == 200
    d = r.json()
    assert [p["n"] for p in d["passages"]] == list(range(1000, 1050))
    assert (d["first"], d["passage_count"]) == (1000, 1201)
    start = d["passages"][0]["start"]
    assert d["text_start"] == start
    assert d["text"] == TEXT[start : d["passages"][-1]["end"]]
    whole = client.get(f"/api/docs/{long_id}").json()
    assert whole["text"] == TEXT and whole["passage_count"] == 1201 == len(whole["passages"])
    end = client.get(f"/api/docs/{long_id}", params={"from": 5000}).json()
    assert (end["passages"], end["passage_count"]) == ([], 1201)


@pytest.mark.parametrize(
    "params", [{"count": MAX_COUNT + 1}, {"count": 0}, {"from": -1}, {"from": "x"}]
)
def test_the_api_refuses_unbounded_pages(
    client: TestClient, long_id: str, params: dict[str, object]
) -> None:
    r = client.get(f"/api/docs/{long_id}", params=params)
    assert r.status_code == 422 and r.json()["error"]["code"] == "bad_request"


def test_show_goes_through_the_pager_on_a_terminal(
    index_dir: Path, long_id: str, tmp_path: Path
) -> None:
    out = tmp_path / "paged.txt"
    pager = tmp_path / "pager.py"
    pager.write_text(f"import sys\nopen({str(out)!r}, 'w').write(sys.stdin.read())\n")
    env = {**os.environ, "PAGER": f"{sys.executable} {pager}", "COLUMNS": "100"}
    exe = Path(sys.executable).with_name("seedsearch")
    main, child = pty.openpty()
    try:
        proc = subprocess.run(
            [str(exe), "--index", str(index_dir), "show", long_id, "--highlight", "héron"],
            stdin=child,
            stdout=child,
            stderr=subprocess.PIPE,
            env=env,
            timeout=60,
            check=False,
        )
    finally:
        os.close(child)
        os.close(main)
    assert proc.returncode == 0, proc.stderr
    paged = out.read_text()
    plain = re.sub(r"\x1b\[[0-9;]*m", "", paged)
    assert "Paragraphe 1199 sur le minage" in plain and "\x1b[" in paged  # styled
    # Piped, the same command prints plain text and runs no pager.
    out.unlink()
    piped = subprocess.run(
        [str(exe), "--index", str(index_dir), "show", long_id],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    )
    assert not out.exists() and "\x1b[" not in piped.stdout
    assert piped.stdout.count("Paragraphe ") == 1198  # all but the two replaced


def test_show_json_is_still_the_whole_article(index_dir: Path, long_id: str, cli) -> None:
    d = json.loads(cli("show", "--json", long_id, index=index_dir).stdout)
    assert d["text"] == TEXT and len(d["passages"]) == 1201


@pytest.mark.browser
def test_the_page_fetches_the_next_windows_as_one_scrolls(
    index_dir: Path, long_id: str, server_factory
) -> None:
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("Debian's chromium is not installed")
    from playwright.sync_api import sync_playwright

    server = server_factory(index_dir)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1000, "height": 700})
        problems: list[str] = []
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.goto(f"{server.url}/doc/{long_id}?q=minage&p=1051#p1051")
        assert page.evaluate("location.hash") == "#p1051"
        # Served: passages 1001 to 1100 (later ones may already be on their way).
        assert page.locator("#p1051").is_visible() and page.locator("#p1000").count() == 0
        page.locator("#p1100").scroll_into_view_if_needed()
        page.wait_for_selector("#p1200", state="attached")  # the last window, fetched
        assert page.locator("#p1200 mark").count() == 1
        assert page.locator('a.more[rel="next"]').count() == 0  # nothing left to load
        browser.close()
    assert problems == []
