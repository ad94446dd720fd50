"""Synonyms, "pourquoi ?" and "Articles similaires" in a real Chromium, against `serve`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from seedsearch.index import update_index
from test_browser import browser  # noqa: F401  (the shared Chromium fixture)

pytestmark = pytest.mark.browser


@pytest.fixture
def server(tmp_path: Path, server_factory: Callable) -> object:
    update_index(tmp_path / "index")
    return server_factory(tmp_path / "index")


def test_typed_query_shows_synonyms_and_opens_why(browser, server) -> None:  # noqa: F811
    page = browser.new_page(viewport={"width": 1100, "height": 800})
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(server.url + "/")
    page.focus("#q")
    page.keyboard.type("IA ", delay=40)  # finished (a space after): not a prefix being typed
    page.wait_for_selector("#results details.why")
    assert "Recherché aussi : intelligence artificielle" in page.inner_text("#results .also")
    why = page.locator("#results details.why").nth(1)
    assert not why.locator("li").first.is_visible()
    why.locator("summary").click()
    assert "synonyme" in why.locator("li").first.inner_text()

    page.goto(server.url + "/?q=energie")  # rendered by the server, same disclosure
    page.locator("details.why summary").first.click()
    assert page.locator("details.why li").first.inner_text().startswith("energie → ")

    page.locator("#results h2 a").first.click()
    page.wait_for_url("**/doc/**")
    similar = page.locator("aside.similar li a")
    assert similar.count() == 1
    similar.first.click()
    page.wait_for_url("**/doc/**")
    assert page.locator("h1").inner_text()
    assert problems == []
