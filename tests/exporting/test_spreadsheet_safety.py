"""Exports a spreadsheet opens safely: text that looks like a formula stays text, control
characters never break a workbook, and listings print no terminal escape sequences."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook

from qualcode.models import Segment
from qualcode.store.documents import PreparedDocument, store_document
from qualcode.store.project import Project, open_project
from tests.conftest import Cli, write, write_codebook

FORMULA = '=HYPERLINK("http://example.com","点击")'
COMMAND = "=cmd|' /C calc'!A0"
HOSTILE_LINES = [FORMULA, "+1+1", "-2+3", "@SUM(1,1)", "网格员二十四小时值守。"]


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def hostile(cli: Cli, tmp_path: Path) -> Path:
    """A project whose transcript, coder, memo and case attribute start like formulas."""
    interview = "".join(f"采访者：问题{number}？\n受访者：{line}\n"
                        for number, line in enumerate(HOSTILE_LINES))  # fmt: skip
    assert cli("import", str(write(tmp_path / "hostile.txt", interview))).exit_code == 0
    assert cli("codebook", "load", str(write_codebook(tmp_path))).exit_code == 0
    segments = json.loads(cli("segments", "--format", "json").stdout)
    respondent = [row for row in segments if row["role"] == "respondent"]
    assert [row["text"] for row in respondent] == HOSTILE_LINES
    for row in respondent:
        result = cli("code", str(row["segment_id"]), "grid.checkpoints", "--coder", COMMAND)
        assert result.exit_code == 0, result.stderr
    assert (
        cli("memo", "--coder", "li", "--", str(respondent[0]["segment_id"]), "-1 memo").exit_code
        == 0
    )
    result = cli("cases", "set", "hostile", "--attr", "district=@evil", "--attr", "size=-5")
    assert result.exit_code == 0, result.stderr
    return tmp_path


def test_csv_listings_and_exports_write_formula_text_with_an_apostrophe(
    cli: Cli, hostile: Path
) -> None:
    quotes = csv_rows(cli("quotes", "--format", "csv").stdout)
    assert [row["quote"] for row in quotes] == [
        "'" + FORMULA, "'+1+1", "'-2+3", "'@SUM(1,1)", "网格员二十四小时值守。",
    ]  # fmt: skip
    assert {row["coder"] for row in quotes} == {"'" + COMMAND}
    segments = csv_rows(cli("segments", "--format", "csv").stdout)
    assert segments[1]["text"] == "'" + FORMULA
    search = csv_rows(cli("search", "HYPERLINK", "--format", "csv").stdout)
    assert search and all(not value.startswith("=") for row in search for value in row.values())
    memos = csv_rows(cli("memos", "--format", "csv").stdout)
    assert memos[0]["text"] == "'-1 memo"
    cases = csv_rows(cli("cases", "list", "--format", "csv").stdout)
    # Text that only looks like a formula gets the apostrophe; numbers stay numbers.
    assert "'@evil" in cases[0].values() and "-5" in cases[0].values()
    matrix = list(csv.reader(io.StringIO(cli("matrix", "--by", "district", "--format",
                                             "csv").stdout)))  # fmt: skip
    assert matrix[1][0] == "'@evil" and matrix[1][1:] == ["5", "0", "5"]


def test_raw_turns_the_apostrophe_off(cli: Cli, hostile: Path) -> None:
    for command in (("quotes",), ("segments",), ("memos",), ("cases", "list"), ("matrix",)):
        result = cli(*command, "--format", "csv", "--raw")
        assert result.exit_code == 0, result.stderr
        assert "'" + FORMULA not in result.stdout and "'@evil" not in result.stdout
        assert "--raw" in cli(*command, "--help").stdout
    assert csv_rows(cli("quotes", "--format", "csv", "--raw").stdout)[0]["quote"] == FORMULA
    assert csv_rows(cli("memos", "--format", "csv", "--raw").stdout)[0]["text"] == "-1 memo"


def formulas(path: Path) -> list[str]:
    """Every formula cell in every sheet of the workbook at ``path``."""
    workbook = load_workbook(path)
    return [
        f"{sheet.title}!{cell.coordinate}"
        for sheet in workbook.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.data_type == "f"
    ]


def test_xlsx_exports_write_text_as_text_and_numbers_as_numbers(
    cli: Cli, hostile: Path, tmp_path: Path
) -> None:
    quotes_path = tmp_path / "quotes.xlsx"
    assert cli("quotes", "-o", str(quotes_path)).exit_code == 0
    sheet = load_workbook(quotes_path)["quotes"]
    header = [cell.value for cell in sheet[1]]
    quote = header.index("quote")
    cells = [row[quote] for row in sheet.iter_rows(min_row=2)]
    assert [(cell.value, cell.data_type) for cell in cells][:2] == [(FORMULA, "s"), ("+1+1", "s")]
    assert formulas(quotes_path) == []
    matrix_path = tmp_path / "matrix.xlsx"
    result = cli("matrix", "--by", "district", "--quotes", "5", "-o", str(matrix_path))
    assert result.exit_code == 0, result.stderr
    assert formulas(matrix_path) == []
    rows = next(load_workbook(matrix_path)["matrix"].iter_rows(min_row=2, max_row=2))
    assert (rows[0].value, rows[0].data_type) == ("@evil", "s")
    assert [(cell.value, cell.data_type) for cell in rows[1:4]] == [(5, "n"), (0, "n"), (5, "n")]
    quotes_sheet = load_workbook(matrix_path)["quotes"]
    assert FORMULA in [cell.value for row in quotes_sheet.iter_rows() for cell in row]
    cooccur_path = tmp_path / "cooccur.xlsx"
    assert cli("cooccur", "-o", str(cooccur_path)).exit_code == 0
    assert formulas(cooccur_path) == []


# Control characters in a project imported before the importer removed them ---------------

ESCAPED = "\x1b[31m红色\x1b[0m警报\x1c响了"


def store_raw(project: Project, text: str) -> None:
    """Store ``text`` as a one-segment document as an older qualcode would have."""
    document = PreparedDocument(
        name="old.txt", source_path="old.txt", text=text, encoding="utf-8",
        source_format="txt", language="zh", unit="turn",
        segments=[Segment(1, 0, len(text), speaker="受访者", role="respondent")],
    )  # fmt: skip
    store_document(project, document, case_name="old")


def test_exports_of_a_project_with_control_characters_replace_them_in_the_cell_only(
    cli: Cli, db_path: Path, tmp_path: Path
) -> None:
    with open_project(db_path, create=True) as project:
        store_raw(project, ESCAPED)
    assert cli("codebook", "load", str(write_codebook(tmp_path))).exit_code == 0
    assert cli("code", "1", "grid.checkpoints", "--coder", "li").exit_code == 0
    path = tmp_path / "quotes.xlsx"
    result = cli("quotes", "-o", str(path))
    assert result.exit_code == 0, result.stderr
    sheet = load_workbook(path)["quotes"]
    quote = [cell.value for cell in sheet[1]].index("quote")
    assert sheet.cell(row=2, column=quote + 1).value == "\ufffd红色\ufffd警报\ufffd响了"
    matrix = tmp_path / "matrix.xlsx"
    assert cli("matrix", "--quotes", "3", "-o", str(matrix)).exit_code == 0
    # The project keeps the text as it was.
    shown = json.loads(cli("segments", "--format", "json").stdout)
    assert shown[0]["text"] == ESCAPED


def test_listings_print_no_terminal_escape_sequences(
    cli: Cli, db_path: Path, tmp_path: Path
) -> None:
    with open_project(db_path, create=True) as project:
        store_raw(project, ESCAPED)
    for command in (
        ("segments",),
        ("segments", "--format", "csv"),
        ("search", "警报"),
        ("search", "警报", "--format", "csv"),
        ("docs", "show", "old.txt"),
        ("docs", "list"),
    ):
        result = cli(*command)
        assert result.exit_code == 0, result.stderr
        assert "\x1b" not in result.stdout and "\x1c" not in result.stdout, command
        assert "\ufffd" in result.stdout or command == ("docs", "list")
    # JSON keeps the exact text (escaped, so nothing reaches the terminal raw).
    output = cli("segments", "--format", "json").stdout
    assert "\x1b" not in output and json.loads(output)[0]["text"] == ESCAPED
