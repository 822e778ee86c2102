"""Every format of ``qualcode matrix`` carries exactly the same numbers as the library's Matrix."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook

from qualcode.analysis.matrix import Matrix, MatrixOptions, build_matrix
from qualcode.analysis.query import CodingFilter
from qualcode.store.project import Project
from tests.analysis.test_matrix import CASES, build_study
from tests.conftest import Cli


@pytest.fixture
def study(project: Project, tmp_path: Path) -> dict[str, list[int]]:
    return build_study(project, tmp_path)


def expected_grid(matrix: Matrix) -> list[list[str]]:
    """The library's numbers as the text every format must show (row label first)."""

    def text(value: float) -> str:
        return f"{value:.1f}" if isinstance(value, float) else str(value)

    rows = [
        [label, *(text(value) for value in values), text(total)]
        for label, values, total in zip(
            matrix.row_labels, matrix.cells, matrix.row_totals, strict=True
        )
    ]
    rows.append(["total", *(text(value) for value in matrix.column_totals),
                 text(matrix.grand_total)])  # fmt: skip
    return rows


def from_csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))[1:]


def from_markdown(text: str) -> list[list[str]]:
    lines = [line for line in text.splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[2:]]


def from_table(text: str) -> list[list[str]]:
    rows = []
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("┃│").split("│")]
        if cells and (cells[0] in (*CASES, "total", "梁溪区", "滨湖区")):
            rows.append(cells)
    return rows


def from_json(data: dict[str, object], measure: str) -> list[list[str]]:
    def text(value: object) -> str:
        return f"{value:.1f}" if measure in ("percent", "coverage") else str(value)

    rows = [
        [row["label"], *(text(value) for value in row["cells"]), text(row["total"])]
        for row in data["rows"]  # type: ignore[attr-defined]
    ]
    rows.append(["total", *(text(column["total"]) for column in data["columns"]),  # type: ignore[attr-defined]
                 text(data["grand_total"])])  # fmt: skip
    return rows


def from_xlsx(path: Path, measure: str) -> list[list[str]]:
    sheet = load_workbook(path)["matrix"]
    rows = []
    for values in sheet.iter_rows(min_row=2, values_only=True):
        if values[0] is None:
            break
        rows.append([
            str(values[0]),
            *(f"{value:.1f}" if measure in ("percent", "coverage") else str(value)
              for value in values[1:]),
        ])  # fmt: skip
    return rows


@pytest.mark.parametrize(
    ("arguments", "options"),
    [
        ((), MatrixOptions()),
        (("--measure", "percent"), MatrixOptions(measure="percent")),
        (("--by", "district", "--measure", "coverage"),
         MatrixOptions(by="district", measure="coverage")),
        (("--origin", "manual", "--measure", "count"),
         MatrixOptions(measure="count", filters=CodingFilter(origin="manual"))),
    ],
)  # fmt: skip
def test_every_format_shows_the_same_numbers(
    cli: Cli,
    project: Project,
    study: dict[str, list[int]],
    tmp_path: Path,
    arguments: tuple[str, ...],
    options: MatrixOptions,
) -> None:
    expected = expected_grid(build_matrix(project, options))
    measure = options.measure
    table = cli("matrix", *arguments)
    assert table.exit_code == 0, table.stderr
    assert from_table(table.stdout) == expected
    assert from_csv(cli("matrix", *arguments, "--format", "csv").stdout) == expected
    assert from_markdown(cli("matrix", *arguments, "--format", "md").stdout) == expected
    data = json.loads(cli("matrix", *arguments, "--format", "json").stdout)
    assert from_json(data, measure) == expected
    xlsx = tmp_path / "matrix.xlsx"
    written = cli("matrix", *arguments, "--format", "xlsx", "-o", str(xlsx))
    assert written.exit_code == 0, written.stderr
    assert written.stderr.startswith(f"Wrote {xlsx} (")
    assert from_xlsx(xlsx, measure) == expected


def test_csv_header_and_excel_bom(cli: Cli, study: dict[str, list[int]], tmp_path: Path) -> None:
    plain = tmp_path / "plain.csv"
    assert cli("matrix", "--format", "csv", "-o", str(plain)).exit_code == 0
    assert plain.read_bytes().startswith("case,网格化治理,舆情引导,治理短板,total\n".encode())
    excel = tmp_path / "excel.csv"
    result = cli("matrix", "--by", "district", "--format", "csv", "--excel", "-o", str(excel))
    assert result.exit_code == 0
    assert result.stderr == f"Wrote {excel} (2 rows x 3 columns)\n"
    assert excel.read_bytes().startswith(b"\xef\xbb\xbfdistrict,")
    assert cli("matrix", "--format", "csv", "--excel").stdout.startswith("\ufeffcase,")
    english = cli("matrix", "--format", "csv", "--lang", "en").stdout
    assert english.splitlines()[0] == "case,Grid governance,Public opinion,Shortfalls,total"


def test_xlsx_sheets_quotes_codebook_and_frozen_headers(
    cli: Cli, study: dict[str, list[int]], tmp_path: Path
) -> None:
    path = tmp_path / "matrix.xlsx"
    assert cli("matrix", "--format", "xlsx", "-o", str(path), "--quotes", "2").exit_code == 0
    workbook = load_workbook(path)
    assert workbook.sheetnames == ["matrix", "quotes", "codebook"]
    matrix = workbook["matrix"]
    assert matrix.freeze_panes == "B2"
    assert [cell.value for cell in matrix[1]] == ["case", "网格化治理", "舆情引导", "治理短板",
                                                  "total"]  # fmt: skip
    assert len(matrix.conditional_formatting) == 1
    # Chinese headers are readable: a column is as wide as its header (two per wide character).
    assert matrix.column_dimensions["B"].width == 2 * len("网格化治理") + 2
    assert "respondent turns" in str(matrix.cell(row=matrix.max_row, column=1).value)
    quotes = workbook["quotes"]
    assert quotes.freeze_panes == "A2"
    rows = list(quotes.iter_rows(values_only=True))
    assert rows[0] == ("row", "column_id", "column", "segment_id", "document", "case_name",
                       "speaker", "role", "text")  # fmt: skip
    # 柴机 x grid: two segments, respondent turns in document order.
    chaiji = study["chaiji.txt"]
    assert [(row[0], row[1], row[3]) for row in rows[1:3]] == [
        ("柴机社区", "grid", chaiji[1]), ("柴机社区", "grid", chaiji[3]),
    ]  # fmt: skip
    codebook = workbook["codebook"]
    assert codebook.freeze_panes == "A2"
    assert [row[0] for row in codebook.iter_rows(min_row=2, values_only=True)][:3] == [
        "grid", "grid.checkpoints", "grid.checkpoints.night",
    ]  # fmt: skip


def test_json_quotes_per_cell(cli: Cli, study: dict[str, list[int]]) -> None:
    data = json.loads(cli("matrix", "--format", "json", "--quotes", "1").stdout)
    first = data["rows"][0]
    # Each quote carries the codings that put it in its cell, with their document offsets.
    assert first["quotes"]["opinion"] == [{
        "segment_id": study["chaiji.txt"][2], "document": "chaiji.txt", "case_name": "柴机社区",
        "speaker": "受访者", "role": "respondent", "text": "微信群里有人传谣言。",
        "codings": [{"code": "opinion.rumours", "coder": "auto", "origin": "auto",
                     "rule": "谣言", "start_char": 40, "end_char": 42, "memo": None}],
    }]  # fmt: skip
    assert data["rows"][2]["quotes"] == {}
    assert [column["id"] for column in data["columns"]] == ["grid", "opinion", "shortfalls"]


def test_unwritable_output_is_one_error_line(cli: Cli, study: dict[str, list[int]]) -> None:
    result = cli("matrix", "--format", "csv", "-o", "missing/dir/m.csv")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: cannot write missing/dir/m.csv")
    assert result.stderr.count("\n") == 1


@pytest.mark.parametrize("command", ["matrix", "cooccur", "quotes"])
def test_output_file_takes_its_format_from_the_suffix(
    cli: Cli, study: dict[str, list[int]], tmp_path: Path, command: str
) -> None:
    """``-o FILE`` without ``--format`` writes FILE in the format its suffix names."""
    expected = cli(command, "--format", "csv").stdout
    csv_path = tmp_path / "out.csv"
    result = cli(command, "-o", str(csv_path))
    assert (result.exit_code, result.stdout) == (0, ""), result.stderr
    assert csv_path.read_text("utf-8") == expected
    json_path = tmp_path / "out.JSON"
    assert cli(command, "-o", str(json_path)).exit_code == 0
    assert json.loads(json_path.read_text("utf-8"))
    md_path = tmp_path / "out.md"
    assert cli(command, "-o", str(md_path)).exit_code == 0
    assert "| ---" in md_path.read_text("utf-8")
    xlsx_path = tmp_path / "out.xlsx"
    assert cli(command, "-o", str(xlsx_path)).exit_code == 0
    assert load_workbook(xlsx_path).sheetnames
    unknown = cli(command, "-o", str(tmp_path / "out.txt"))
    assert (unknown.exit_code, unknown.stderr) == (
        2,
        f"Error: cannot tell the format of {tmp_path / 'out.txt'} from its suffix: "
        "use .csv, .xlsx, .md or .json, or give --format\n",
    )
    as_table = cli(command, "--format", "table", "-o", str(tmp_path / "table.csv"))
    assert (as_table.exit_code, as_table.stderr) == (
        2,
        "Error: --format table prints to the terminal: drop -o, or use --format csv, xlsx, "
        "md or json\n",
    )
    assert not (tmp_path / "out.txt").exists() and not (tmp_path / "table.csv").exists()


UNWRITABLE_COMMANDS = {
    "report": ["report"],
    "chart": ["chart", "matrix"],
    "codebook": ["codebook", "export"],
    "quotes-xlsx": ["quotes", "--format", "xlsx"],
    "matrix-csv": ["matrix", "--format", "csv"],
    "matrix-xlsx": ["matrix", "--format", "xlsx"],
    "cooccur-md": ["cooccur", "--format", "md"],
}
SUFFIXES = {"report": ".html", "chart": ".png", "codebook": ".yml", "quotes-xlsx": ".xlsx",
            "matrix-csv": ".csv", "matrix-xlsx": ".xlsx", "cooccur-md": ".md"}  # fmt: skip


@pytest.mark.parametrize("name", list(UNWRITABLE_COMMANDS))
def test_a_folder_or_missing_folder_as_output_is_one_error_line(
    cli: Cli, study: dict[str, list[int]], tmp_path: Path, name: str
) -> None:
    """Every file-writing command refuses a folder in the way and a missing folder alike."""
    command = UNWRITABLE_COMMANDS[name]
    work = tmp_path / "work"
    folder = work / f"somedir{SUFFIXES[name]}"
    folder.mkdir(parents=True)
    result = cli(*command, "-o", str(folder))
    assert (result.exit_code, result.stderr) == (
        1,
        f"Error: cannot write {folder}: it is a folder\n",
    )
    missing = work / "missing" / f"out{SUFFIXES[name]}"
    result = cli(*command, "-o", str(missing))
    assert (result.exit_code, result.stderr) == (
        1,
        f"Error: cannot write {missing}: folder {missing.parent} does not exist\n",
    )
    assert list(work.iterdir()) == [folder]
    assert list(folder.iterdir()) == []


def test_a_failed_write_leaves_no_partial_file(tmp_path: Path) -> None:
    from qualcode.errors import QualcodeError
    from qualcode.exporting.tables import atomic_output_path, write_text_file

    target = tmp_path / "out.csv"
    with pytest.raises(RuntimeError), atomic_output_path(target) as partial:
        partial.write_text("half", encoding="utf-8")
        raise RuntimeError("interrupted")
    assert list(tmp_path.iterdir()) == []
    write_text_file(target, "whole\n")
    assert target.read_text("utf-8") == "whole\n"
    full = f"cannot write {target}: No space left on device"
    with pytest.raises(QualcodeError, match=full), atomic_output_path(target) as partial:
        partial.write_text("half", encoding="utf-8")
        raise OSError(28, "No space left on device")
    assert list(tmp_path.iterdir()) == [target]
    assert target.read_text("utf-8") == "whole\n"
