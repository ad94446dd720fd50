"""The command line refuses what it does not understand, and says so in one line."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from seedsearch.errors import IndexNotFoundError, PortInUseError, UsageError
from seedsearch.web.app import create_app

SEEDSEARCH = str(Path(sys.executable).with_name("seedsearch"))


def one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    return lines[0]


@pytest.mark.parametrize(
    ("args", "suggested"),
    [
        (["search", "netfilter", "--lmit", "1"], "--limit"),
        (["search", "minage", "--ofset", "2"], "--offset"),
        (["search", "minage", "--jsn"], "--json"),
        (["show", "x", "--highlite", "y"], "--highlight"),
        (["index", "--rebuid"], "--rebuild"),
        (["--indx", "x", "search", "minage"], "--index"),
        (["serve", "--prot", "8001"], "--port"),
        (["cluster", "start", "--shard", "2", "cluster"], "--shards"),
    ],
)
def test_an_unknown_option_is_one_line_naming_the_nearest_and_exit_2(
    seed_index_dir: Path, cli: Callable, args: list[str], suggested: str
) -> None:
    result = cli(*args, index=seed_index_dir)
    assert result.exit_code == UsageError.exit_code == 2
    assert result.stdout == ""
    line = one_line(result.stderr)
    assert line.startswith("seedsearch: error: no such option --")
    assert line.endswith(f"did you mean {suggested}?")


def test_an_unknown_command_names_the_nearest(cli: Callable) -> None:
    result = cli("serach", "minage")
    assert result.exit_code == 2
    assert "did you mean 'search'?" in one_line(result.stderr)


@pytest.mark.parametrize(
    "args",
    [
        ["search", "minage", "--lmit", "1", "--json"],
        ["search", "--json", "minage", "--limit", "abc"],
        ["show", "--json"],
    ],
)
def test_usage_errors_are_json_with_json(cli: Callable, args: list[str]) -> None:
    result = cli(*args)
    assert result.exit_code == 2
    error = json.loads(result.stdout)["error"]
    assert error["code"] == "bad_usage" and error["message"]
    assert result.stderr == ""


def test_options_work_anywhere_on_the_line(
    seed_index_dir: Path, cli: Callable, tmp_path: Path
) -> None:
    before = cli("--json", "search", "--limit", "1", "minage", index=None)  # group has no --json
    assert before.exit_code == 2
    first = cli("search", "--json", "--limit", "1", "minage", index=seed_index_dir)
    last = cli("search", "minage", "--limit", "1", "--json", index=seed_index_dir)
    assert first.exit_code == last.exit_code == 0
    assert json.loads(first.stdout)["hits"] == json.loads(last.stdout)["hits"]
    assert json.loads(last.stdout)["limit"] == 1
    # --index after the command is the index searched (and wins over the one before it)
    after = cli("search", "minage", "--json", "--index", str(seed_index_dir))
    assert after.exit_code == 0 and json.loads(after.stdout)["total"] == 2
    missing = tmp_path / "missing"
    wrong = cli("search", "minage", "--index", str(missing), index=seed_index_dir)
    assert wrong.exit_code == IndexNotFoundError.exit_code == 5
    assert str(missing) in one_line(wrong.stderr)


@pytest.mark.parametrize("command", ["search", "index", "show", "stats", "check", "eval", "serve"])
@pytest.mark.parametrize("flag", ["-h", "--help"])
def test_help_on_every_command(cli: Callable, command: str, flag: str) -> None:
    result = cli(command, flag)
    assert result.exit_code == 0
    assert result.stdout.startswith("Usage: ") and f" {command} [OPTIONS]" in result.stdout
    assert "--index DIR" in result.stdout


def test_search_help_says_how_to_write_a_dashed_query(cli: Callable) -> None:
    text = " ".join(cli("search", "-h").stdout.split())
    assert "minage -bitcoin" in text and "written after --" in text


def test_a_dash_word_is_a_not_and_after_double_dash_every_word_is_query(
    seed_index_dir: Path, cli: Callable
) -> None:
    both = json.loads(cli("search", "minage", "--json", index=seed_index_dir).stdout)
    without = cli("search", "minage", "-bitcoin", "--json", index=seed_index_dir)
    assert without.exit_code in (0, 1)
    answer = json.loads(without.stdout)
    assert answer["query"] == "minage -bitcoin" and answer["total"] < both["total"]
    # After --, option names are query words: nothing is parsed as an option.
    dashed = cli("search", "--json", "--", "--limit", "-h", index=seed_index_dir)
    assert json.loads(dashed.stdout)["query"] == "--limit -h"
    # The value of an option that takes one is that value, even with a dash.
    valued = cli("show", "--highlight", "-bitcoin", "nope-1", index=seed_index_dir)
    assert valued.exit_code == 1 and "nope-1" in one_line(valued.stderr)


def test_search_exits_1_when_nothing_matches(seed_index_dir: Path, cli: Callable) -> None:
    found = cli("search", "minage", index=seed_index_dir)
    assert found.exit_code == 0
    plain = cli("search", "zzqqxxw", index=seed_index_dir)
    assert plain.exit_code == 1 and "No article matches" in plain.stdout
    as_json = cli("search", "zzqqxxw", "--json", index=seed_index_dir)
    assert as_json.exit_code == 1 and json.loads(as_json.stdout)["total"] == 0
    past_the_end = cli("search", "minage", "--offset", "50", "--json", index=seed_index_dir)
    assert past_the_end.exit_code == 0  # articles match, none on this page


def test_json_and_format_together_are_a_usage_error(seed_index_dir: Path, cli: Callable) -> None:
    result = cli("search", "minage", "--json", "--format", "csv", index=seed_index_dir)
    assert result.exit_code == 2
    assert json.loads(result.stdout)["error"]["code"] == "bad_usage"


def test_serve_on_a_port_in_use_is_one_line_naming_the_port(seed_index_dir: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = subprocess.run(
            [SEEDSEARCH, "--index", str(seed_index_dir), "serve", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert proc.returncode == PortInUseError.exit_code == 6
    assert f"port {port} is already in use" in one_line(proc.stderr)
    assert "Traceback" not in proc.stderr


def test_the_exit_codes_are_distinct_by_kind() -> None:
    from seedsearch import errors

    assert UsageError.exit_code == errors.OptionError.exit_code == errors.QueryError.exit_code
    kinds = {
        "usage": UsageError.exit_code,
        "no index": IndexNotFoundError.exit_code,
        "locked": errors.IndexLockedError.exit_code,
        "too expensive": errors.QueryTooExpensiveError.exit_code,
        "port": PortInUseError.exit_code,
    }
    assert len(set(kinds.values())) == len(kinds) and 1 not in kinds.values()


@pytest.mark.parametrize(
    ("env", "status", "french"),
    [
        ("0", 503, "Requête trop coûteuse"),
        ("soon", 400, "Réglage du serveur invalide"),
    ],
)
def test_the_page_says_its_errors_in_french(
    seed_index_dir: Path, monkeypatch: pytest.MonkeyPatch, env: str, status: int, french: str
) -> None:
    monkeypatch.setenv("SEEDSEARCH_QUERY_SECONDS", env)
    with TestClient(create_app(seed_index_dir), base_url="http://127.0.0.1") as client:
        page = client.get("/", params={"q": "minage"})
        assert page.status_code == status and french in page.text
        assert "Erreur interne" not in page.text
