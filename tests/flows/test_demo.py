"""``qualcode demo`` on the shipped samples: the whole pipeline, end to end, twice.

The demo is the first thing a new user runs; these tests pin what it promises: every sample
imports with its community, the shipped codebook finds each community's themes, the matrix
files are written and agree with the terminal, and a second run changes nothing.
"""

from __future__ import annotations

import csv
import io
import shlex
import sqlite3
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from qualcode.cli import app

COMMUNITIES = [
    "Chaiji", "Xinglongqiao", "Anxi", "Zhuangqiao", "Xin'an No. 2", "Chunchao No. 4", "Shuixiu",
]  # fmt: skip
THEMES = ["grid", "resources", "opinion", "shortfalls", "improvement", "smart"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """Run the demo twice in one folder; return the folder and both runs' stderr."""
    folder = tmp_path_factory.mktemp("demo")
    runner = CliRunner()
    first = runner.invoke(app, ["demo", "--dir", str(folder)], catch_exceptions=False)
    assert first.exit_code == 0, first.stderr
    second = runner.invoke(app, ["demo", "--dir", str(folder)], catch_exceptions=False)
    assert second.exit_code == 0, second.stderr
    return folder, first.stderr, second.stderr


def _matrix_from_csv(folder: Path) -> dict[str, dict[str, int]]:
    raw = (folder / "themes_by_community.csv").read_bytes()
    assert raw.startswith("\ufeff".encode()), "the CSV carries a BOM so Excel reads Chinese"
    header, *rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert header[0] == "case" and header[-1] == "total"
    assert len(header) == len(THEMES) + 2  # themes in codebook order, labelled by name
    return {row[0]: dict(zip(THEMES, map(int, row[1:-1]), strict=True)) for row in rows}


def test_every_sample_imports_under_its_community(demo: tuple[Path, str, str]) -> None:
    _folder, first, _second = demo
    added = [line for line in first.splitlines() if line.startswith("added")]
    assert len(added) == 7
    assert sorted(line.split("  case ")[1].rsplit(",", 1)[0] for line in added) == sorted(
        COMMUNITIES
    )


def test_second_run_adds_nothing(demo: tuple[Path, str, str]) -> None:
    _folder, _first, second = demo
    assert "added" not in second
    assert "autocode: 0 new segments, 0 automatic codings" in second
    assert "unchanged (version 1" in second


def test_matrix_shows_each_community_its_themes(demo: tuple[Path, str, str]) -> None:
    """Every community's interview discusses grid work, resources and shortfalls; smart
    governance is Shuixiu's subject and absent from Chaiji's interview (as written)."""
    folder, _first, _second = demo
    matrix = _matrix_from_csv(folder)
    assert list(matrix)[:7] == COMMUNITIES
    for community in COMMUNITIES:
        for theme in ("grid", "resources", "shortfalls"):
            assert matrix[community][theme] > 0, (community, theme)
    assert matrix["Chaiji"]["smart"] == 0
    assert matrix["Shuixiu"]["smart"] == max(matrix[name]["smart"] for name in COMMUNITIES)
    for theme in THEMES:
        assert sum(1 for name in COMMUNITIES if matrix[name][theme] > 0) >= 5, theme


def test_matrix_cells_count_distinct_coded_respondent_segments(
    demo: tuple[Path, str, str],
) -> None:
    folder, _first, _second = demo
    matrix = _matrix_from_csv(folder)
    with sqlite3.connect(folder / "qualcode.db") as conn:
        for community in COMMUNITIES:
            for theme in THEMES:
                expected = conn.execute(
                    "SELECT count(DISTINCT segment_id) FROM codings_view "
                    "WHERE case_name = ? AND (code = ? OR code LIKE ? || '.%')",
                    (community, theme, theme),
                ).fetchone()[0]
                assert matrix[community][theme] == expected, (community, theme)


def test_xlsx_and_report_agree_with_the_csv(demo: tuple[Path, str, str]) -> None:
    folder, _first, _second = demo
    matrix = _matrix_from_csv(folder)
    sheet = load_workbook(folder / "themes_by_community.xlsx").worksheets[0]
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    header_row = next(index for index, row in enumerate(values) if row[0] == "case")
    checked = 0
    for row in values[header_row + 1 :]:
        if row[0] in COMMUNITIES:
            assert list(row[1 : len(THEMES) + 1]) == [matrix[row[0]][theme] for theme in THEMES]
            checked += 1
    assert checked == len(COMMUNITIES)
    report = (folder / "report.html").read_text(encoding="utf-8")
    assert all(community.replace("'", "&#x27;") in report for community in COMMUNITIES)
    assert "http://" not in report and "https://" not in report


def test_offsets_hold_for_every_segment_and_coding(demo: tuple[Path, str, str]) -> None:
    """DESIGN.md section 3: document_text[start:end] == stored text, for all of them."""
    folder, _first, _second = demo
    with sqlite3.connect(folder / "qualcode.db") as conn:
        texts = dict(conn.execute("SELECT document_id, text FROM documents"))
        segments = conn.execute(
            "SELECT segment_id, document_id, start_char, end_char, text FROM segments"
        ).fetchall()
        spans = {
            segment_id: (document_id, start) for segment_id, document_id, start, _, _ in segments
        }
        for _segment_id, document_id, start, end, text in segments:
            assert texts[document_id][start:end] == text
        codings = conn.execute(
            "SELECT segment_id, start_char, end_char, rule, rule_kind FROM codings"
        ).fetchall()
        assert codings
        for segment_id, start, end, rule, rule_kind in codings:
            document_id, _segment_start = spans[segment_id]
            quote = texts[document_id][start:end]
            assert quote
            if rule_kind == "keyword":
                from qualcode.autocode.normalise import normalise

                assert normalise(quote) == normalise(rule)


def test_closing_hints_are_commands_that_run(demo: tuple[Path, str, str]) -> None:
    """Each suggested command is one line of its own (no pipe between two qualcodes), and runs."""
    _folder, first, _second = demo
    hints = [line.removeprefix("Try: ") for line in first.splitlines() if line.startswith("Try:")]
    assert len(hints) == 2
    for hint in hints:
        words = shlex.split(hint)
        assert words[0] == "qualcode" and "|" not in words
        result = CliRunner().invoke(app, words[1:], catch_exceptions=False)
        assert result.exit_code == 0, result.stderr
        assert result.stdout


def test_review_help_example_names_a_shipped_case() -> None:
    result = CliRunner().invoke(app, ["review", "--help"], terminal_width=200)
    (example,) = [line for line in result.stdout.splitlines() if "Example: qualcode review" in line]
    words = shlex.split(example.strip(" │").removeprefix("Example: "))
    assert words[words.index("--case") + 1] in COMMUNITIES
