"""Search as you type in a real Chromium: the word being typed is completed, not corrected."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from seedsearch.index import update_index
from test_browser import browser  # noqa: F401  (the shared Chromium fixture)

pytestmark = pytest.mark.browser


def test_typing_sauvegarde_letter_by_letter_never_flickers_a_correction(
    browser,  # noqa: F811
    tmp_path: Path,
    server_factory: Callable,
) -> None:
    root = tmp_path / "articles"
    root.mkdir()
    (root / "sauvegarde.txt").write_text(
        "La sauvegarde des serveurs\n\nUne sauvegarde chaque nuit.", encoding="utf-8"
    )
    (root / "sauver.txt").write_text("Sauver les données\n\nIl faut sauver le disque.")
    update_index(tmp_path / "index", [str(root)])
    server = server_factory(tmp_path / "index")

    page = browser.new_page()
    answers: list[tuple[dict, dict]] = []

    def record(response: object) -> None:
        url = response.url  # type: ignore[attr-defined]
        if "/api/search?" in url:
            params = {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}
            answers.append((params, json.loads(response.body())))  # type: ignore[attr-defined]

    page.on("response", record)
    page.goto(server.url + "/")
    page.click("#q")
    for letter in "sauveg":
        page.keyboard.type(letter)
        page.wait_for_timeout(400)  # past the debounce: each prefix is searched
    page.wait_for_selector("#results .group h2")
    assert "La sauvegarde des serveurs" in page.inner_text("#results")
    assert page.query_selector("#results .corrected") is None
    assert page.query_selector("#results .suggestion") is None
    assert len(answers) >= 4
    for params, body in answers:
        assert params["prefix"] == "last"
        assert body["corrected_query"] is None and body["suggestion"] is None, params["q"]
    assert answers[-1][1]["completed"] == {"sauveg": ["sauvegarde"]}
    exported = page.get_attribute("#results .export a", "href")
    assert exported == "/api/export?q=sauveg&format=csv&prefix=last"
