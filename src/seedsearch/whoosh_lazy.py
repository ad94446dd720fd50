"""Whoosh's English word tables, loaded only if something calls them.

``whoosh.query`` and ``whoosh.analysis`` import Whoosh's English morphology, Porter
stemmer and Double Metaphone at start-up (dozens of regular expressions compiled in
every process, a tenth of a cold search's imports) for query types and filters French
search never uses. :func:`defer` puts a stand-in for each in ``sys.modules`` before
Whoosh is first imported: the names Whoosh imports from them are functions that load
the real module on their first call, and any other name loads it too (PEP 562), so
code that does use them gets the real thing. A module already imported is left as is.
"""

from __future__ import annotations

import importlib
import sys
import threading
import types
from collections.abc import Callable
from typing import Any

# Module → the names Whoosh's own modules import from it at import time.
DEFERRED = {
    "whoosh.lang.morph_en": ("variations",),
    "whoosh.lang.porter": ("stem",),
    "whoosh.lang.dmetaphone": ("double_metaphone",),
}
_lock = threading.Lock()


def _real(name: str) -> types.ModuleType:
    with _lock:
        current = sys.modules.get(name)
        if current is not None and not getattr(current, "__deferred__", False):
            return current
        sys.modules.pop(name, None)
        try:
            module = importlib.import_module(name)
        except BaseException:
            if current is not None:
                sys.modules[name] = current
            raise
        return module


def _forward(module: str, attr: str) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        return getattr(_real(module), attr)(*args, **kwargs)

    call.__name__ = call.__qualname__ = attr
    return call


def defer() -> None:
    """Install the stand-ins (idempotent; nothing if Whoosh's modules are loaded)."""
    for name, attrs in DEFERRED.items():
        if name in sys.modules:
            continue
        stub = types.ModuleType(name, f"Stand-in for {name}, loaded on first use.")
        stub.__deferred__ = True  # type: ignore[attr-defined]
        for attr in attrs:
            setattr(stub, attr, _forward(name, attr))

        def __getattr__(attr: str, _name: str = name) -> Any:
            if attr.startswith("__"):
                raise AttributeError(attr)
            return getattr(_real(_name), attr)

        stub.__getattr__ = __getattr__  # type: ignore[method-assign]
        sys.modules[name] = stub
