"""The command line's edge: no terminal escapes from documents, file names that are not
UTF-8, Ctrl-C and SIGTERM while indexing, index folders that cannot be used."""

from __future__ import annotations

import json
import os
import pty
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from seedsearch.index import update_index
from seedsearch.store import Index
from test_robustness import snapshot, write_corpus

SEEDSEARCH = str(Path(sys.executable).with_name("seedsearch"))
UTF8 = {**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8", "PYTHONIOENCODING": ""}

# Set the window title, write the clipboard (OSC 52), clear the screen, ring the bell, a
# C1 CSI, a carriage return that would overwrite the line.
PROSE = "Le centre de données consomme beaucoup d’énergie pour le calcul. " * 8
HOSTILE = (
    "Titre \x1b]0;pwned\x07 suite \x1b]52;c;ZXZpbA==\x07 fin\n\n"
    f"Le minage \x1b[2J\x1b[H efface \x9b31m tout \x07 et \r revient. {PROSE}\n\n"
    f"- un minage \x1bP+q\x1b\\ en liste. {PROSE}\n\n{PROSE}\n"
)
# Bytes that must never reach the terminal from a document (ESC, BEL, CSI, CR, DCS...).
FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([SEEDSEARCH, *args], capture_output=True, env=env or UTF8, timeout=60)


@pytest.fixture
def hostile_index(tmp_path: Path, write_files: Callable) -> Path:
    escape_name = "a\x1b]0;evil\x07.txt"
    root = write_files({"x.txt": HOSTILE, escape_name: "Le minage sans titre.\n"})
    update_index(tmp_path / "ix", [root])
    return tmp_path / "ix"


def doc_id_of(index_dir: Path, name: str) -> str:
    with Index(index_dir) as ix:
        return next(d for d, p in ix.passages() if name in d)


@pytest.mark.parametrize(
    "args",
    [
        ("search", "minage"),
        ("search", "minage", "--limit", "1", "--offset", "1"),
        ("show", "X"),
        ("show", "X", "--highlight", "minage"),
        ("stats",),
    ],
)
def test_no_control_character_from_a_document_reaches_piped_output(
    hostile_index: Path, args: tuple[str, ...]
) -> None:
    args = tuple(doc_id_of(hostile_index, "x-") if a == "X" else a for a in args)
    out = run("--index", str(hostile_index), *args)
    assert out.returncode == 0, out.stderr
    text = out.stdout.decode("utf-8")
    assert FORBIDDEN.findall(text.replace("\n", "").replace("\t", "")) == []
    if args[0] == "search" and "--offset" not in args:
        assert "]0;pwned" in text  # the text around the escapes is still shown
        assert "a\\x1b]0;evil\\x07.txt" in text  # and the file name escaped
    if args[0] == "show":
        assert "Le minage" in text and "un minage" in text


def test_no_terminal_escape_from_a_document_reaches_a_terminal(hostile_index: Path) -> None:
    doc_id = doc_id_of(hostile_index, "x-")
    for args in (
        ["search", "minage"],
        ["show", doc_id, "--highlight", "minage"],
        ["search", "minage", "--format", "csv"],
        ["search", "minage", "--format", "jsonl"],
    ):
        parent, child = pty.openpty()
        proc = subprocess.Popen(
            [SEEDSEARCH, "--index", str(hostile_index), *args],
            stdin=child,
            stdout=child,
            stderr=child,
            # show pages its output on a terminal: cat as the pager passes it through.
            env={**UTF8, "TERM": "xterm-256color", "COLUMNS": "200", "PAGER": "cat"},
        )
        os.close(child)
        received = b""
        while True:
            try:
                chunk = os.read(parent, 65536)
            except OSError:  # the terminal closed
                break
            if not chunk:
                break
            received += chunk
        os.close(parent)
        assert proc.wait(timeout=30) == 0
        shown = received.decode("utf-8")
        assert "minage" in shown
        # Rich styles with SGR sequences (ESC [ ... m); nothing else may get through.
        without_styles = re.sub(r"\x1b\[[0-9;]*m", "", shown)
        assert "\x1b" not in without_styles and "\x07" not in shown and "\x9b" not in shown
        assert "]0;pwned" in shown or "pwned" not in HOSTILE


def test_json_output_carries_no_raw_control_character(hostile_index: Path) -> None:
    out = run("--index", str(hostile_index), "search", "minage", "--json")
    text = out.stdout.decode("utf-8")
    assert FORBIDDEN.findall(text.rstrip("\n")) == []
    body = json.loads(text)
    titles = {h["title"] for h in body["hits"]}
    assert any("\x1b]0;pwned\x07" in t for t in titles)  # escaped in JSON, not lost


# --- file names that are not UTF-8 ---------------------------------------------------------


@pytest.fixture
def latin1_index(tmp_path: Path) -> Path:
    root = tmp_path / "articles"
    root.mkdir()
    with open(os.path.join(os.fsencode(root), b"caf\xe9.txt"), "wb") as fh:
        fh.write("Le café\n\nUn minage de café au lait.\n".encode())
    (root / "plain.txt").write_text("Autre\n\nLe minage ordinaire.\n", "utf-8")
    out = run("--index", str(tmp_path / "ix"), "index", str(root))
    assert out.returncode == 0 and b"Traceback" not in out.stderr, out.stderr
    return tmp_path / "ix"


@pytest.mark.parametrize("as_json", [False, True])
def test_a_file_name_that_is_not_utf8_is_shown_escaped(latin1_index: Path, as_json: bool) -> None:
    out = run("--index", str(latin1_index), "search", "minage", *(["--json"] if as_json else []))
    assert out.returncode == 0, out.stderr
    assert out.stderr == b""
    text = out.stdout.decode("utf-8")
    if as_json:
        paths = {h["path"].rsplit("/", 1)[-1] for h in json.loads(text)["hits"]}
        assert paths == {"caf\\xe9.txt", "plain.txt"}
    else:
        assert "/caf\\xe9.txt" in text and "plain.txt" in text
    doc_id = doc_id_of(latin1_index, "caf")
    for args in (["show", doc_id], ["show", doc_id, "--json"], ["stats"]):
        shown = run("--index", str(latin1_index), *args)
        assert shown.returncode == 0 and shown.stderr == b"", (args, shown.stderr)
    assert "caf\\xe9.txt" in run("--index", str(latin1_index), "show", doc_id).stdout.decode()


# --- signals -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("signum", "to_group", "code"),
    [
        (signal.SIGINT, True, 130),  # Ctrl-C reaches the whole process group
        (signal.SIGTERM, False, 143),  # kill, a timeout
        (signal.SIGTERM, True, 143),  # systemd, a shell's job control
    ],
)
def test_a_signal_while_indexing_stops_with_one_line_and_keeps_the_index(
    tmp_path: Path, signum: int, to_group: bool, code: int
) -> None:
    root, ix = tmp_path / "corpus", tmp_path / "ix"
    write_corpus(root, 0, 50, 21)
    update_index(ix, [root])
    before = snapshot(ix)
    write_corpus(root, 50, 2500, 22)
    files = set(os.listdir(ix))

    proc = subprocess.Popen(
        [SEEDSEARCH, "--index", str(ix), "index", str(root), "--jobs", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not set(os.listdir(ix)) - files:  # the run has started writing segments
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the run wrote nothing in 120 s"
            time.sleep(0.01)
        time.sleep(0.2)
        if to_group:
            os.killpg(proc.pid, signum)
        else:
            proc.send_signal(signum)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()

    assert proc.returncode == code
    assert err.decode().splitlines() == ["seedsearch: interrupted: the index is left as it was"]
    assert snapshot(ix) == before
    with Index(ix) as index:
        assert index.search("minage").total > 0

    done = run("--index", str(ix), "index", str(root), "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["documents"] == 2550
    fresh = tmp_path / "fresh"
    update_index(fresh, [root])
    assert snapshot(ix) == snapshot(fresh)


# --- index folders that cannot be used -------------------------------------------------------

# Root writes anywhere; without these capabilities its permissions are checked like anyone's.
AS_UNPRIVILEGED = (
    ["setpriv", "--bounding-set", "-dac_override,-dac_read_search,-fowner"]
    if os.geteuid() == 0
    else []
)


def run_unprivileged(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [*AS_UNPRIVILEGED, SEEDSEARCH, *args], capture_output=True, env=UTF8, timeout=60
    )


def one_line_error(out: subprocess.CompletedProcess[bytes]) -> str:
    lines = out.stderr.decode().splitlines()
    assert out.returncode != 0 and len(lines) == 1, out.stderr
    assert lines[0].startswith("seedsearch: error: ")
    return lines[0]


@pytest.mark.skipif(
    os.geteuid() == 0 and shutil.which("setpriv") is None, reason="needs setpriv as root"
)
def test_a_read_only_index_folder_is_one_line_and_the_index_still_answers(
    tmp_path: Path, write_files: Callable
) -> None:
    root = write_files({"a.txt": "Un\n\nLe minage.\n"})
    ix = tmp_path / "ix"
    update_index(ix, [root])
    write_files({"b.txt": "Deux\n\nLe minage encore.\n"})
    ix.chmod(0o555)
    try:
        out = run_unprivileged("--index", str(ix), "index", str(root))
        assert "permission denied" in one_line_error(out) and out.returncode == 5
        as_json = run_unprivileged("--index", str(ix), "index", str(root), "--json")
        assert json.loads(as_json.stdout)["error"]["code"] == "index_access"
        for args in (["search", "minage"], ["stats"]):  # reading needs no writing
            assert run_unprivileged("--index", str(ix), *args).returncode == 0
        ix.chmod(0o000)
        for args in (["index", str(root)], ["search", "minage"], ["stats"]):
            one_line_error(run_unprivileged("--index", str(ix), *args))
    finally:
        ix.chmod(0o755)
    with Index(ix) as index:
        assert index.stats().documents == 1


@pytest.mark.parametrize("command", [["index"], ["search", "minage"], ["stats"]])
@pytest.mark.parametrize("where", ["file", "file/ix"])
def test_an_index_path_through_a_file_is_one_line(
    tmp_path: Path, write_files: Callable, command: list[str], where: str
) -> None:
    root = write_files({"a.txt": "Un\n\nLe minage.\n"})
    (tmp_path / "file").write_text("not a folder")
    args = [*command, str(root)] if command == ["index"] else command
    out = run("--index", str(tmp_path / where), *args)
    line = one_line_error(out)
    if command == ["index"]:
        assert "a file is in the way" in line and out.returncode == 5
    assert (tmp_path / "file").read_text() == "not a folder"
