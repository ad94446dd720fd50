from __future__ import annotations

import importlib.util
import json
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from seedsearch.cli import main
from seedsearch.index import update_index
from seedsearch.store import Index

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


# The search tests that apply to any store run on the folder index and on a 2-shard Xapian
# cluster of the same files (real xapian-tcpsrv processes, stopped at the end of the run).
XAPIAN_MISSING = shutil.which("xapian-tcpsrv") is None or importlib.util.find_spec("xapian") is None


@pytest.fixture(scope="session")
def seed_cluster_spec(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A 2-shard cluster holding the bundled articles, started once per run."""
    if XAPIAN_MISSING:
        if os.environ.get("SEEDSEARCH_REQUIRE_XAPIAN"):
            pytest.fail("xapian-tcpsrv (apt: xapian-tools) or the Xapian bindings are missing")
        pytest.skip("needs xapian-tcpsrv (apt: xapian-tools) and the Xapian bindings")
    from seedsearch.cluster import start, stop
    from seedsearch.stores import update_index as update_store

    folder = tmp_path_factory.mktemp("seed-cluster") / "cluster"
    cluster = start(folder, 2, 0)
    try:
        update_store(cluster.spec)
        yield cluster.spec
    finally:
        stop(folder)


@pytest.fixture(params=["folder", "cluster"])
def seed_store(request: pytest.FixtureRequest, seed_index_dir: Path) -> Iterator[Any]:
    """The bundled articles, open in each store: a folder index, then a 2-shard cluster."""
    from seedsearch.stores import open_store

    spec = str(seed_index_dir)
    if request.param == "cluster":
        spec = request.getfixturevalue("seed_cluster_spec")
    store = open_store(spec)
    yield store
    store.close()


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


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """A real `seedsearch serve` process on 127.0.0.1."""

    def __init__(self, index_dir: Path, *extra: str) -> None:
        import subprocess
        import sys
        import time
        import urllib.request

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        exe = Path(sys.executable).with_name("seedsearch")
        self.proc = subprocess.Popen(
            [str(exe), "--index", str(index_dir), "serve", "--port", str(self.port), *extra],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=1) as r:
                    if r.status == 200:
                        return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    err = self.proc.stderr.read().decode() if self.proc.stderr else ""
                    self.stop()
                    raise RuntimeError(f"server did not start: {err}") from None
                time.sleep(0.1)

    def get_json(self, path: str) -> tuple[int, dict]:
        import urllib.error
        import urllib.request

        try:
            with urllib.request.urlopen(self.url + path, timeout=10) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    def get(self, path: str) -> tuple[int, bytes]:
        import urllib.error
        import urllib.request

        try:
            with urllib.request.urlopen(self.url + path, timeout=30) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except Exception:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stderr is not None:
            self.proc.stderr.close()


@pytest.fixture
def server_factory():
    started: list[Server] = []

    def start(index_dir: Path, *extra: str) -> Server:
        server = Server(index_dir, *extra)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
