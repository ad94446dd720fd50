from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from seedsearch.cli import main
from seedsearch.index import Index, update_index

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
JUDGMENTS = SHARED / "relevance" / "public_judgments.json"


@pytest.fixture(scope="session")
def seed_index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index of the bundled articles, built once and only read by the tests using it."""
    path = tmp_path_factory.mktemp("seed") / "index"
    update_index(path)
    return path


@pytest.fixture
def seed_index(seed_index_dir: Path) -> Index:
    ix = Index(seed_index_dir)
    yield ix
    ix.close()


@pytest.fixture
def write_files(tmp_path: Path) -> Callable[[dict[str, str | bytes]], Path]:
    """Write {relative path: content} under tmp_path/articles and return that folder."""
    root = tmp_path / "articles"

    def write(files: dict[str, str | bytes]) -> Path:
        for rel, content in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        root.mkdir(exist_ok=True)
        return root

    return write


@pytest.fixture
def cli() -> Callable[..., Result]:
    runner = CliRunner()

    def invoke(*args: str, index: Path | None = None) -> Result:
        argv = ["--index", str(index)] if index is not None else []
        return runner.invoke(main, [*argv, *args], catch_exceptions=False)

    return invoke


def json_out(result: Result) -> dict:
    return json.loads(result.stdout)
