from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import JUDGMENTS, json_out


def test_index_then_search_in_a_fresh_folder(tmp_path: Path, cli: Callable) -> None:
    ix = tmp_path / "index"
    first = cli("index", index=ix)
    assert first.exit_code == 0
    assert "2 documents" in first.stdout and "2 added" in first.stdout
    again = cli("index", index=ix)
    assert "up to date" in again.stdout and "2 unchanged" in again.stdout
    result = cli("search", "minage", index=ix)
    assert result.exit_code == 0
    assert "Cleanspark élargit son activité" in result.stdout
    assert "minage" in result.stdout


def test_search_groups_hits_by_article(seed_index_dir: Path, cli: Callable) -> None:
    hits = json_out(cli("search", "bitcoin", "--limit", "20", "--json", index=seed_index_dir))
    doc_ids = {h["doc_id"] for h in hits["hits"]}
    assert len(doc_ids) == 2
    out = cli("search", "bitcoin", "--limit", "20", index=seed_index_dir).stdout
    # each article heads its group once: "title / doc_id · path / hits"
    for doc_id in doc_ids:
        assert out.count(f"{doc_id} · ") == 1


def test_search_says_what_it_corrected_and_ignored(seed_index_dir: Path, cli: Callable) -> None:
    out = cli("search", "(supercalculatuers", index=seed_index_dir).stdout
    assert "Showing results for: supercalculateurs" in out
    assert "Ignored: (" in out
    none = cli("search", "mnagee", index=seed_index_dir).stdout
    assert "Did you mean: minage?" in none


def test_dash_words_are_not_options(seed_index_dir: Path, cli: Callable) -> None:
    result = cli("search", "minage", "-greenbrain", "-hydrogene", "--json", index=seed_index_dir)
    d = json_out(result)
    assert d["query"] == "minage -greenbrain -hydrogene"
    assert d["total"] == 1  # the Mara article is the one that mentions GreenBrain
    assert {h["doc_id"] for h in d["hits"]} == {"cleanspark-centres-de-donnees-ia-a6f9f7"}


def test_search_json_contract(seed_index_dir: Path, cli: Callable) -> None:
    result = cli(
        "search",
        "centre de donnees",
        "--json",
        "--limit",
        "1",
        "--offset",
        "1",
        index=seed_index_dir,
    )
    assert result.exit_code == 0
    d = json.loads(result.stdout)
    assert d["query"] == "centre de donnees"
    assert isinstance(d["took_ms"], float) and d["corrected_query"] is None
    assert d["total"] == 2 and (d["limit"], d["offset"]) == (1, 1)
    assert {h["rank"] for h in d["hits"]} == {2}  # the second article, its best passages
    assert "<mark>" in d["hits"][0]["snippet"]


def test_no_index_is_one_line_and_exit_5(tmp_path: Path, cli: Callable) -> None:
    result = cli("search", "minage", index=tmp_path / "missing")
    assert result.exit_code == 5
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "run 'seedsearch index'" in lines[0]
    as_json = cli("search", "minage", "--json", index=tmp_path / "missing")
    assert as_json.exit_code == 5
    assert json_out(as_json)["error"]["code"] == "index_not_found"


@pytest.mark.parametrize(
    ("args", "code", "exit_code"),
    [
        (["search", "x" * 1001, "--json"], "bad_query", 2),
        (["search", "minage", "--limit", "0", "--json"], "bad_query", 2),
        (["show", "nope-123456", "--json"], "document_not_found", 1),
        (["eval", "/nonexistent.json", "--json"], "bad_judgments", 2),
    ],
)
def test_errors_in_json(
    seed_index_dir: Path, cli: Callable, args: list[str], code: str, exit_code: int
) -> None:
    result = cli(*args, index=seed_index_dir)
    assert result.exit_code == exit_code
    assert json_out(result)["error"]["code"] == code
    assert "Traceback" not in result.output


def test_index_reports_skipped_files(tmp_path: Path, cli: Callable, write_files: Callable) -> None:
    root = write_files({"ok.txt": "Titre\n\nDu texte.", "vide.txt": ""})
    result = cli("index", str(root), index=tmp_path / "ix")
    assert result.exit_code == 0
    assert "1 skipped" in result.stdout and "vide.txt: empty file" in result.stdout
    missing = cli("index", str(tmp_path / "nope"), index=tmp_path / "ix")
    assert missing.exit_code == 2 and "no such file" in missing.stderr


def test_index_json_report(tmp_path: Path, cli: Callable) -> None:
    d = json_out(cli("index", "--json", index=tmp_path / "ix"))
    assert d["added"] == 2 and d["documents"] == 2 and d["skipped"] == []


def test_show_highlights(seed_index_dir: Path, cli: Callable) -> None:
    doc_id = json_out(cli("search", "GreenBrain", "--json", index=seed_index_dir))["hits"][0][
        "doc_id"
    ]
    out = cli("show", doc_id, index=seed_index_dir).stdout
    assert "Le rachat de la filiale crypto" in out and "FAQ : questions clés" in out
    d = json_out(cli("show", doc_id, "--highlight", "greenbrain", "--json", index=seed_index_dir))
    marked = [p["snippet"] for p in d["passages"] if "<mark>" in p["snippet"]]
    assert marked and all("<mark>GreenBrain</mark>" in s for s in marked)


def test_stats(seed_index_dir: Path, cli: Callable) -> None:
    out = cli("stats", index=seed_index_dir).stdout
    for label in ["documents:    2", "passages:", "terms:", "size on disk:", "last update:"]:
        assert label in out
    assert json_out(cli("stats", "--json", index=seed_index_dir))["documents"] == 2


def test_eval_reports_perfect_p_at_1_on_the_public_judgments(
    seed_index_dir: Path, cli: Callable
) -> None:
    if not JUDGMENTS.exists():
        pytest.skip("shared/ relevance judgments not beside this checkout")
    result = cli("eval", str(JUDGMENTS), "--show-misses", index=seed_index_dir)
    assert result.exit_code == 0
    assert "P@1:        1.00" in result.stdout
    assert "misses:     0" in result.stdout
    d = json_out(cli("eval", str(JUDGMENTS), "--json", index=seed_index_dir))
    assert d["p_at_1"] == 1.0 and d["queries"] == 20
    assert 0 < d["ndcg_at_10"] <= 1


def test_eval_lists_misses(seed_index_dir: Path, cli: Callable, tmp_path: Path) -> None:
    judgments = tmp_path / "j.json"
    judgments.write_text(
        json.dumps(
            {
                "queries": [
                    {"q": "minage", "spans": ["minage"]},
                    {"q": "minage", "spans": ["texte qui n’existe nulle part"]},
                ]
            }
        )
    )
    d = json_out(cli("eval", str(judgments), "--json", index=seed_index_dir))
    assert d["p_at_1"] == 0.5 and d["mrr_at_10"] == 0.5 and d["success_at_3"] == 0.5
    out = cli("eval", str(judgments), "--show-misses", index=seed_index_dir).stdout
    assert "misses:     1" in out and "no relevant hit in top 10" in out


def test_environment_variable_chooses_the_index(seed_index_dir: Path, tmp_path: Path) -> None:
    env = {**os.environ, "SEEDSEARCH_INDEX": str(seed_index_dir)}
    proc = subprocess.run(
        [sys.executable, "-m", "seedsearch.cli", "search", "TPU", "--json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["hits"][0]["text"].find("TPU") >= 0


def test_console_script_is_installed() -> None:
    exe = Path(sys.executable).with_name("seedsearch")
    proc = subprocess.run([str(exe), "--help"], capture_output=True, text=True, check=False)
    assert proc.returncode == 0
    for command in ["index", "search", "show", "stats", "eval"]:
        assert command in proc.stdout


def test_search_imports_neither_the_web_stack_nor_rich_when_piped(seed_index_dir: Path) -> None:
    probe = (
        "import sys\n"
        "from seedsearch.cli import main\n"
        f"main(['--index', {str(seed_index_dir)!r}, 'search', 'minage'], standalone_mode=False)\n"
        "print(sorted(m for m in ('fastapi', 'uvicorn', 'seedsearch.web', 'rich', "
        "'seedsearch.documents') if m in sys.modules))\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert proc.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.parametrize("extra", [[], ["--json"]])
def test_jobs_below_one_is_a_one_line_error(
    tmp_path: Path, cli: Callable, extra: list[str]
) -> None:
    result = cli("index", "--jobs", "0", *extra, index=tmp_path / "ix")
    assert result.exit_code == 2
    if extra:
        assert json_out(result)["error"]["code"] == "bad_option"
    else:
        assert result.stderr.strip().count("\n") == 0 and "--jobs" in result.stderr
    assert not (tmp_path / "ix").exists()
