"""Requests to a folder index take turns: one search at a time, first come first served,
except after a wait of ``TURN_WAIT``, and never for an export streamed to its client or
a liveness check."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

import seedsearch.web.app as web
from seedsearch.web.app import create_app


@pytest.fixture
def app(seed_index_dir: Path) -> Iterator[Any]:
    app = create_app(seed_index_dir, allowed_hosts=["testserver"])
    yield app
    app.state.holder.close()


def _in_thread(
    client: TestClient, url: str, params: dict[str, str]
) -> tuple[threading.Thread, list[Any]]:
    answers: list[Any] = []
    thread = threading.Thread(target=lambda: answers.append(client.get(url, params=params)))
    thread.start()
    return thread, answers


def test_a_search_waits_for_the_turn_of_the_one_before(
    app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(web, "TURN_WAIT", 30.0)
    with TestClient(app) as client:
        with app.state.holder.lend():  # a request being answered
            thread, answers = _in_thread(client, "/api/search", {"q": "minage"})
            thread.join(timeout=0.5)
            assert thread.is_alive() and not answers  # waiting for its turn
        thread.join(timeout=30)
        assert [a.status_code for a in answers] == [200]
        assert answers[0].json()["total"] >= 1


def test_a_search_that_waited_long_enough_runs_anyway(
    app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(web, "TURN_WAIT", 0.05)
    with TestClient(app) as client, app.state.holder.lend():  # a slow request, held
        thread, answers = _in_thread(client, "/api/search", {"q": "energie"})
        thread.join(timeout=30)
        assert [a.status_code for a in answers] == [200]


@pytest.mark.parametrize(
    ("url", "params"),
    [("/api/export", {"q": "minage", "format": "csv"}), ("/healthz", {})],
    ids=["export", "healthz"],
)
def test_exports_and_liveness_checks_take_no_turn(
    app: Any, monkeypatch: pytest.MonkeyPatch, url: str, params: dict[str, str]
) -> None:
    monkeypatch.setattr(web, "TURN_WAIT", 30.0)
    with TestClient(app) as client, app.state.holder.lend():
        thread, answers = _in_thread(client, url, params)
        thread.join(timeout=30)
        assert not thread.is_alive()
        assert [a.status_code for a in answers] == [200]
