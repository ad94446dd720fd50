"""Reading a posting list at chosen documents only."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def present(m: Any, docnums: list[int], value: Callable[[Any], Any]) -> tuple[list[int], list[Any]]:
    """The documents among ``docnums`` (ascending) that matcher ``m`` holds, and ``value``
    of the matcher on each."""
    found: list[int] = []
    values: list[Any] = []
    for docnum in docnums:
        if not m.is_active():
            break
        if m.id() < docnum:
            m.skip_to(docnum)
            if not m.is_active():
                break
        if m.id() == docnum:
            found.append(docnum)
            values.append(value(m))
    return found, values
