"""Special files, symlinks and files that vanish: skipped with a one-line reason, never a hang."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from seedsearch.cli import main
from seedsearch.documents import MAX_FILE_BYTES, SourceFile, read_bytes, scan
from seedsearch.errors import SourceError
from seedsearch.index import IndexReport, update_index
from seedsearch.schema import manifest
from seedsearch.store import Index

TEXT = "Le minage de bitcoin consomme beaucoup d'électricité dans les fermes de calcul. " * 4
SECRET = "Document confidentiel hors du dossier : le mot de passe est pamplemousse. " * 4
LEAVES = "symlink leaves the indexed folders (use --follow-symlinks)"


@pytest.fixture
def sources(tmp_path: Path) -> Path:
    root = tmp_path / "articles"
    root.mkdir()
    (root / "minage.txt").write_text(TEXT, encoding="utf-8")
    return root


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder next to the sources, holding a file no symlink should leak."""
    elsewhere = tmp_path / "ailleurs"
    elsewhere.mkdir()
    (elsewhere / "secret.txt").write_text(SECRET, encoding="utf-8")
    return elsewhere


def reasons(report: IndexReport) -> dict[str, str]:
    return {Path(s.path).name: s.reason for s in report.skipped}


def indexed_paths(index_dir: Path) -> set[str]:
    with Index(index_dir) as ix:
        return {Path(path).name for _, _, path in manifest(ix.searcher()).values()}


def run_cli(index: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["--index", str(index), *args])


def test_a_fifo_in_a_folder_is_skipped_without_blocking(tmp_path: Path, sources: Path) -> None:
    os.mkfifo(sources / "tube.txt")  # no writer: a blocking open would wait forever
    report = update_index(tmp_path / "index", [sources])
    assert reasons(report)["tube.txt"] == "not a regular file (named pipe)"
    assert report.added == 1


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/null", "/proc/kmsg"])
def test_a_symlink_to_a_device_or_proc_file_is_skipped(
    tmp_path: Path, sources: Path, device: str
) -> None:
    if not os.path.exists(device):
        pytest.skip(f"{device} is not there")
    os.symlink(device, sources / "appareil.txt")
    # Followed on purpose: the target is then opened without blocking and checked.
    report = update_index(tmp_path / "index", [sources], follow_symlinks=True)
    # A device is refused at the scan (under the link's name); /proc/kmsg, a "regular"
    # file that blocks, at its non-blocking read (under its own).
    found = reasons(report)
    reason = found.get("appareil.txt") or found[Path(device).name]
    assert reason.startswith(("not a regular file", "permission denied", "no data to read"))
    assert report.added == 1
    # Not followed by default: it leaves the sources before anything is opened.
    plain = update_index(tmp_path / "index2", [sources])
    assert reasons(plain)["appareil.txt"] == LEAVES


def test_reading_a_fifo_or_a_device_directly_is_refused(tmp_path: Path) -> None:
    fifo = tmp_path / "tube"
    os.mkfifo(fifo)
    for path in (fifo, Path("/dev/zero")):
        with pytest.raises(SourceError) as err:
            read_bytes(SourceFile(path, str(path)))
        assert err.value.message.startswith("not a regular file")


def test_symlinks_inside_the_sources_are_followed_once(tmp_path: Path, sources: Path) -> None:
    sub = sources / "dossier"
    sub.mkdir()
    (sub / "energie.txt").write_text(TEXT.replace("bitcoin", "éolien"), encoding="utf-8")
    os.symlink(sub / "energie.txt", sources / "lien.txt")
    os.symlink(sub, sources / "raccourci")
    report = update_index(tmp_path / "index", [sources])
    assert report.added == 2  # the two files, each once, whatever leads to them
    assert LEAVES not in reasons(report).values()
    assert indexed_paths(tmp_path / "index") == {"minage.txt", "energie.txt"}


def test_symlinks_leaving_the_sources_are_skipped(
    tmp_path: Path, sources: Path, outside: Path
) -> None:
    os.symlink(outside / "secret.txt", sources / "secret.txt")
    os.symlink(outside, sources / "dehors")
    os.symlink("/etc/passwd", sources / "passwd.txt")
    index = tmp_path / "index"
    report = update_index(index, [sources])
    found = reasons(report)
    assert found["secret.txt"] == found["dehors"] == found["passwd.txt"] == LEAVES
    assert indexed_paths(index) == {"minage.txt"}
    with Index(index) as ix:
        assert ix.search("pamplemousse").total == 0


def test_follow_symlinks_indexes_what_they_lead_to(
    tmp_path: Path, sources: Path, outside: Path
) -> None:
    os.symlink(outside / "secret.txt", sources / "secret.txt")
    (outside / "sous").mkdir()
    (outside / "sous" / "autre.txt").write_text(SECRET.replace("passe", "code"), encoding="utf-8")
    os.symlink(outside / "sous", sources / "dehors")
    index = tmp_path / "index"
    result = run_cli(index, "index", str(sources), "--follow-symlinks", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["added"] == 3
    assert LEAVES not in [s["reason"] for s in report["skipped"]]
    assert indexed_paths(index) == {"minage.txt", "secret.txt", "autre.txt"}


def test_the_cli_reports_a_symlink_leaving_the_sources_in_one_line(
    tmp_path: Path, sources: Path, outside: Path
) -> None:
    os.symlink(outside / "secret.txt", sources / "secret.txt")
    result = run_cli(tmp_path / "index", "index", str(sources))
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if "secret.txt" in line]
    assert len(lines) == 1 and LEAVES in lines[0]


def test_a_root_that_is_itself_a_symlink_keeps_its_inner_links(
    tmp_path: Path, sources: Path
) -> None:
    sub = sources / "dossier"
    sub.mkdir()
    (sub / "energie.txt").write_text(TEXT.replace("bitcoin", "éolien"), encoding="utf-8")
    os.symlink(sub / "energie.txt", sources / "lien.txt")
    link = tmp_path / "lien-vers-articles"
    os.symlink(sources, link)
    found, skipped = scan([link])
    assert {s.path.name for s in found} == {"minage.txt", "energie.txt"}
    assert LEAVES not in [s.reason for s in skipped]


@pytest.fixture
def vanishing(monkeypatch: pytest.MonkeyPatch, sources: Path) -> Iterator[Path]:
    """Deletes ``gone.txt`` right after the scan found it, as another program would."""
    import seedsearch.documents as documents

    (sources / "gone.txt").write_text(TEXT, encoding="utf-8")
    real_scan = documents.scan

    def scan_then_delete(*args: object, **kwargs: object) -> object:
        found = real_scan(*args, **kwargs)  # type: ignore[arg-type]
        (sources / "gone.txt").unlink()
        return found

    monkeypatch.setattr(documents, "scan", scan_then_delete)
    yield sources


def test_a_file_deleted_between_scan_and_read_is_reported_as_vanished(
    tmp_path: Path, vanishing: Path
) -> None:
    report = update_index(tmp_path / "index", [vanishing])
    assert reasons(report)["gone.txt"] == "vanished while indexing"
    assert report.added == 1


def test_the_cli_reports_a_vanished_file(tmp_path: Path, vanishing: Path) -> None:
    result = run_cli(tmp_path / "index", "index", str(vanishing), "--json")
    assert result.exit_code == 0, result.output
    skipped = json.loads(result.output)["skipped"]
    assert {"path": str(vanishing / "gone.txt"), "reason": "vanished while indexing"} in skipped


def test_a_broken_symlink_is_still_called_one(tmp_path: Path, sources: Path) -> None:
    os.symlink(sources / "absent.txt", sources / "casse.txt")
    report = update_index(tmp_path / "index", [sources])
    assert reasons(report)["casse.txt"] == "broken or looping symlink"


@pytest.mark.parametrize(
    ("size", "message"),
    [
        (MAX_FILE_BYTES + 1, "too large (100.1 MiB, limit 100 MiB)"),
        (150 * 1024 * 1024, "too large (150.0 MiB, limit 100 MiB)"),
    ],
)
def test_files_over_the_limit_are_skipped_with_the_documented_size(
    tmp_path: Path, sources: Path, size: int, message: str
) -> None:
    with open(sources / "enorme.txt", "wb") as fh:
        fh.truncate(size)  # sparse: no disk space used
    result = run_cli(tmp_path / "index", "index", str(sources), "--json")
    assert result.exit_code == 0, result.output
    skipped = {Path(s["path"]).name: s["reason"] for s in json.loads(result.output)["skipped"]}
    assert skipped["enorme.txt"] == message
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert "files over 100 mib" in " ".join(readme.lower().split())


def test_a_file_at_the_limit_is_read(tmp_path: Path) -> None:
    path = tmp_path / "limite.txt"
    with open(path, "wb") as fh:
        fh.truncate(MAX_FILE_BYTES)
    assert len(read_bytes(SourceFile(path, str(path)))) == MAX_FILE_BYTES


def test_show_prints_a_many_part_article_whole_and_in_order(tmp_path: Path) -> None:
    from seedsearch.schema import PART_CHARS

    root = tmp_path / "articles"
    root.mkdir()
    paragraphs = [
        f"Paragraphe {n} : le minage de bitcoin consomme de l'électricité, dit le rapport {n}."
        for n in range(4 * PART_CHARS // 80)
    ]
    (root / "long.txt").write_text("Un long rapport\n\n" + "\n\n".join(paragraphs), "utf-8")
    index = tmp_path / "index"
    assert update_index(index, [root]).added == 1
    with Index(index) as ix:
        (doc_id,) = manifest(ix.searcher())
        assert len(list(ix.document_parts(doc_id))) >= 4
    shown = json.loads(run_cli(index, "show", doc_id, "--json").output)
    result = run_cli(index, "show", doc_id, "--highlight", "minage")
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line]
    assert lines[0].startswith(shown["title"])  # then its date (the file's, here)
    assert lines[1] == f"{doc_id} · {root / 'long.txt'}"
    assert lines[2:] == [p["text"] for p in shown["passages"]]
    assert lines[-1].endswith(paragraphs[-1])


def test_show_of_an_unknown_id_is_one_line(tmp_path: Path, sources: Path) -> None:
    update_index(tmp_path / "index", [sources])
    result = run_cli(tmp_path / "index", "show", "nope-123456", "--highlight", "minage")
    assert result.exit_code == 1
    assert result.output.strip().count("\n") == 0 and "no document" in result.output


def test_a_changed_symlink_leaving_the_sources_is_skipped_as_a_watcher_sees_it(
    tmp_path: Path, sources: Path, outside: Path
) -> None:
    index = tmp_path / "index"
    update_index(index, [sources])
    link = sources / "secret.txt"
    os.symlink(outside / "secret.txt", link)
    report = update_index(index, changed=[str(link)])  # what watch mode runs for a change
    assert reasons(report)["secret.txt"] == LEAVES
    assert indexed_paths(index) == {"minage.txt"}
