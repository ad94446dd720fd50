"""Showing text from documents and file names: escaped bytes, no control characters."""

from __future__ import annotations

import json
import os
import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from seedsearch.display import display_path, dumps, escape_surrogates, terminal_text

CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        (os.fsdecode(b"/articles/caf\xe9.txt"), "/articles/caf\\xe9.txt"),
        ("/articles/café.txt", "/articles/café.txt"),
        ("/a/\x1b]0;titre\x07.txt", "/a/\\x1b]0;titre\\x07.txt"),
        ("/a/ligne\nsuivante.txt", "/a/ligne\\x0asuivante.txt"),
        ("/a/\ud800.txt", "/a/\\ud800.txt"),
    ],
)
def test_paths_are_shown_escaped(raw: str, shown: str) -> None:
    assert display_path(raw) == shown
    shown.encode("utf-8")


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("Titre \x1b]0;pwned\x07 fin", "Titre ]0;pwned fin"),
        ("efface \x1b[2J\x1b[H tout", "efface [2J[H tout"),
        ("presse-papier \x1b]52;c;ZXZpbA==\x07", "presse-papier ]52;c;ZXZpbA=="),
        ("C1 \x9b31m rouge", "C1 31m rouge"),
        ("retour\r chariot", "retour chariot"),
        ("ligne\n\tsuite", "ligne\n\tsuite"),
        ("énergie", "énergie"),
    ],
)
def test_terminal_text_drops_control_characters(raw: str, shown: str) -> None:
    assert terminal_text(raw) == shown


@given(st.text())
def test_any_text_is_safe_for_a_terminal(text: str) -> None:
    shown = terminal_text(text)
    shown.encode("utf-8")
    assert CONTROLS.search(shown) is None


@pytest.mark.parametrize("options", [{}, {"compact": True}, {"indent": 2}])
@given(st.recursive(st.text(), lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner)))
def test_any_payload_dumps_to_utf8_json_without_raw_controls(
    options: dict[str, Any], payload: object
) -> None:
    text = dumps(payload, **options)
    text.encode("utf-8")
    assert CONTROLS.search(text) is None
    decoded = json.loads(text)
    assert json.dumps(decoded) == json.dumps(_escaped(payload))


def _escaped(value: object) -> object:
    if isinstance(value, str):
        return escape_surrogates(value)
    if isinstance(value, list):
        return [_escaped(v) for v in value]
    if isinstance(value, dict):
        return {k: _escaped(v) for k, v in value.items()}
    return value
