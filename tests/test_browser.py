"""The search page in a real Chromium (Debian's) driven by Playwright, against `serve`."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from seedsearch.index import update_index

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"

pytestmark = pytest.mark.browser

if not CHROMIUM.exists():
    if os.environ.get("SEEDSEARCH_REQUIRE_BROWSER"):
        raise RuntimeError("SEEDSEARCH_REQUIRE_BROWSER is set but /usr/bin/chromium is missing")
    pytest.skip("Debian's chromium is not installed", allow_module_level=True)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


@pytest.fixture
def server(tmp_path: Path, server_factory: Callable) -> object:
    update_index(tmp_path / "index")
    return server_factory(tmp_path / "index")


def in_viewport(page: object, element_id: str) -> bool:
    return page.evaluate(  # type: ignore[attr-defined]
        """id => { const r = document.getElementById(id).getBoundingClientRect();
                   return r.top >= 0 && r.bottom <= window.innerHeight; }""",
        element_id,
    )


def test_type_see_both_articles_click_and_land_on_the_passage(browser, server) -> None:
    page = browser.new_page(viewport={"width": 1100, "height": 800})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(server.url + "/")

    page.keyboard.press("/")  # the shortcut focuses the search box
    assert page.evaluate("document.activeElement.id") == "q"
    page.keyboard.type("energie", delay=40)
    page.wait_for_selector("#results a.hit mark")
    page.wait_for_function("location.search === '?q=energie'")
    groups = page.locator("#results article.group")
    assert groups.count() == 2
    for i in range(2):
        assert groups.nth(i).locator("mark").count() >= 1
    assert "2 résultats" in page.inner_text("#results .meta")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "search.png"))

    hit = groups.nth(1).locator("a.hit").first
    href = hit.get_attribute("href")
    assert href and "#p" in href
    hit.click()
    page.wait_for_url("**/doc/**")
    anchor = page.evaluate("location.hash").lstrip("#")
    assert anchor == href.split("#")[1]
    target = page.locator(f"#{anchor}")
    assert target.locator("mark").count() >= 1
    assert in_viewport(page, anchor)
    page.screenshot(path=str(ARTIFACTS / "article.png"))

    page.go_back()
    page.wait_for_selector("#results a.hit mark")
    assert page.input_value("#q") == "energie"
    assert problems == []


def test_arrow_keys_and_enter_move_through_results(browser, server) -> None:
    page = browser.new_page()
    page.goto(server.url + "/?q=minage")
    page.focus("#q")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    links = page.locator("#results a.hit")
    first, second = links.nth(0).get_attribute("href"), links.nth(1).get_attribute("href")
    assert page.evaluate("document.activeElement.getAttribute('href')") == second
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")
    assert page.evaluate("document.activeElement.id") == "q"
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_url("**/doc/**")
    assert first and page.url == server.url + first


def test_latest_query_wins_and_corrections_work(browser, server) -> None:
    page = browser.new_page()
    page.goto(server.url + "/")
    page.fill("#q", "minage")
    page.fill("#q", "")
    page.keyboard.type("supercalculatuers", delay=5)
    page.wait_for_selector("#results .corrected")
    assert "supercalculateurs" in page.inner_text("#results .corrected")
    assert "minage" not in page.inner_text("#results .meta")


def test_pages_follow_the_url(browser, tmp_path: Path, server_factory: Callable) -> None:
    root = tmp_path / "articles"
    root.mkdir()
    for n in range(14):
        text = f"Article {n}\n\n{'minage ' * (n + 1)}du réseau."
        (root / f"a{n:02d}.txt").write_text(text, encoding="utf-8")
    update_index(tmp_path / "ix", [root])
    server = server_factory(tmp_path / "ix")
    page = browser.new_page()
    page.goto(server.url + "/")
    page.fill("#q", "minage")
    page.wait_for_selector("#results .pager a[rel=next]")
    page.click("#results .pager a[rel=next]")
    page.wait_for_function("location.search.includes('page=2')")
    page.wait_for_selector("#results .rank:text-is('11.')")
    page.go_back()
    page.wait_for_selector("#results .rank:text-is('1.')")


def test_the_same_search_works_without_javascript(browser, server) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(server.url + "/")
    page.fill("#q", "energie")
    page.press("#q", "Enter")
    page.wait_for_url("**/?q=energie")
    assert page.locator("#results article.group").count() == 2
    assert page.locator("#results mark").count() >= 2
    page.locator("#results a.hit").first.click()
    page.wait_for_url("**/doc/**#p*")
    assert page.locator(":target mark").count() >= 1
    context.close()
