"""The facet panel and the sort selector in a real Chromium, against `serve`."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

import facet_corpus as corpus
from test_browser import browser  # noqa: F401  (the shared Chromium fixture)

pytestmark = pytest.mark.browser


@pytest.fixture
def server(tmp_path: Path, server_factory: Callable) -> object:
    return server_factory(corpus.build(tmp_path))


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def titles(page: object) -> list[str]:
    return [
        t.split(". ", 1)[1] for t in page.locator("#results article.group h2").all_inner_texts()
    ]  # type: ignore[attr-defined]


def test_click_a_facet_value_filters_and_the_url_keeps_it(browser, server) -> None:  # noqa: F811
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.goto(server.url + "/")
    page.focus("#q")
    page.keyboard.type("énergie ", delay=30)  # drawn by the script from /api/search
    expect(page.locator("#results .facets section[data-facet=author]")).to_be_visible()
    expect(page.locator("#results .meta")).to_have_text(re.compile(r"^\s*5 résultats"))
    dupont = page.locator(".facet[data-facet=author] a", has_text="Marie Dupont")
    assert dupont.locator(".count").inner_text() == "2"

    dupont.click()
    expect(page.locator("#results .meta")).to_have_text(re.compile(r"^\s*2 résultats"))
    assert query_of(page.url)["author"] == ["Marie Dupont"]
    assert sorted(titles(page)) == sorted([corpus.SOLAIRE, corpus.EOLIEN])
    # The counts are those of the filtered results; the value in force is marked.
    assert page.locator(".facet[data-facet=author] a").count() == 1
    assert page.locator(".facet[data-facet=author] a[aria-current]").count() == 1
    assert page.locator(".facet[data-facet=year] .count").all_inner_texts() == ["1", "1"]

    page.locator(".facet[data-facet=year] a", has_text="2023").click()
    expect(page.locator("#results .meta")).to_have_text(re.compile(r"^\s*1 résultat"))
    assert query_of(page.url)["since"] == ["2023"] and query_of(page.url)["until"] == ["2023"]
    assert titles(page) == [corpus.EOLIEN]

    page.select_option("#sort", "-date")
    expect(page).to_have_url(re.compile(r"sort=-date"))
    # The URL changes as the search starts: the links are those of the page it renders.
    expect(page.locator(".facets ul.active a", has_text="auteur")).to_have_attribute(
        "href", re.compile(r"sort=-date")
    )

    # Removing the author filter keeps the others; the page reloaded from its URL agrees.
    page.locator(".facets ul.active a", has_text="auteur").click()
    expect(page).not_to_have_url(re.compile(r"author="))
    assert "since" in query_of(page.url) and query_of(page.url)["sort"] == ["-date"]
    page.reload()
    assert page.locator("#sort").input_value() == "-date"
    assert page.locator(".facets ul.active li").count() == 2  # since, until
    page.go_back()
    expect(page).to_have_url(re.compile(r"author="))
    assert problems == []


def test_sort_selector_orders_by_date(browser, server) -> None:  # noqa: F811
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.goto(server.url + "/?q=%C3%A9nergie")  # rendered by the server
    page.select_option("#sort", "date")
    expect(page).to_have_url(re.compile(r"sort=date"))
    # The page re-renders when the sort changes: wait for the whole list, not its first title
    # (which relevance order shares with date order).
    expect(page.locator("#results article.group h2")).to_have_text(
        [re.compile(r"^\d+\. " + re.escape(title) + "$") for title in corpus.OLDEST_FIRST]
    )
    assert titles(page) == corpus.OLDEST_FIRST


def test_panel_sits_above_the_results_on_a_phone(browser, server) -> None:  # noqa: F811
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(server.url + "/?q=%C3%A9nergie")
    panel = page.locator("aside.facets").bounding_box()
    first = page.locator("article.group").first.bounding_box()
    assert panel is not None and first is not None
    assert panel["y"] + panel["height"] <= first["y"]
    assert panel["width"] <= 390
    wide = browser.new_page(viewport={"width": 1200, "height": 900})
    wide.goto(server.url + "/?q=%C3%A9nergie")
    side, results = (
        wide.locator("aside.facets").bounding_box(),
        wide.locator(".list").bounding_box(),
    )
    assert side is not None and results is not None
    assert side["x"] + side["width"] <= results["x"]  # beside the results
