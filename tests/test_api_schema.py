"""Property-based tests of the JSON API against its own OpenAPI schema (schemathesis)."""

from __future__ import annotations

from pathlib import Path

import schemathesis
from hypothesis import settings

from seedsearch.index import update_index
from seedsearch.web.app import create_app


def _app():  # the schema is loaded at import time, so the index is built here too
    import tempfile

    index_dir = Path(tempfile.mkdtemp(prefix="seedsearch-schema-")) / "index"
    update_index(index_dir)
    return create_app(index_dir, allowed_hosts=["testserver"])


schema = schemathesis.openapi.from_asgi("/openapi.json", _app())


@schema.parametrize()
@settings(max_examples=60, deadline=None)
def test_api_conforms_to_its_schema(case: schemathesis.Case) -> None:
    # status codes, content types and bodies must match the schema; never a 5xx
    case.call_and_validate()
