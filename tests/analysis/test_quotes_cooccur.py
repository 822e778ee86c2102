"""The quotes table (long format) and code co-occurrence, on the shared fixture study."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook

from qualcode.analysis.cooccur import CooccurOptions, build_cooccurrence
from qualcode.analysis.query import CodingFilter
from qualcode.analysis.quotes import iter_quotes, quote_columns
from qualcode.store.project import Project
from tests.analysis.test_matrix import build_study
from tests.conftest import Cli

FIELDS = [
    "coding_id", "segment_id", "document", "case_name",
    "district", "community_type", "households",
    "speaker", "role", "start_time", "end_time", "code", "code_name", "theme",
    "level_1", "level_2", "level_3",
    "coder", "origin", "run_id", "rule", "start_char", "end_char", "quote", "segment_text",
    "memo", "created_at",
]  # fmt: skip


@pytest.fixture
def study(project: Project, tmp_path: Path) -> dict[str, list[int]]:
    return build_study(project, tmp_path)


def test_quotes_long_format_columns(project: Project, study: dict[str, list[int]]) -> None:
    columns = quote_columns(project)
    assert list(columns.fields) == FIELDS
    rows = list(iter_quotes(project, CodingFilter()))
    current = project.conn.execute("SELECT count(*) FROM codings_view").fetchone()[0]
    assert len(rows) == current == 11
    night = next(row for row in rows if row["code"] == "grid.checkpoints.night")
    assert night["case_name"] == "柴机社区"
    assert (night["district"], night["community_type"], night["households"]) == (
        "梁溪区", "老旧小区", 3200,
    )  # fmt: skip
    assert (night["level_1"], night["level_2"], night["level_3"]) == ("网格化治理", "卡口",
                                                                      "夜间值守")  # fmt: skip
    assert (night["code_name"], night["theme"], night["coder"], night["origin"]) == (
        "夜间值守", "grid", "li", "manual",
    )  # fmt: skip
    assert night["quote"] == night["segment_text"] == "夜里也有人守卡口。"
    span = next(row for row in rows if row["coder"] == "wang" and row["code"] == "grid.workers")
    assert (span["quote"], span["segment_text"]) == ("网格员", "谣言不多，网格员很忙。")
    assert (span["level_1"], span["level_2"], span["level_3"]) == ("网格化治理", "网格员", None)
    accepted = next(row for row in rows if row["code"] == "shortfalls.staff")
    assert (accepted["origin"], accepted["run_id"], accepted["rule"]) == ("manual", 1, "志愿者")
    auto = next(row for row in rows if row["origin"] == "auto")
    assert auto["coder"] == "auto" and auto["rule"] in ("卡口", "网格员", "谣言")
    # Segment order, then span start.
    assert [row["segment_id"] for row in rows] == sorted(row["segment_id"] for row in rows)


def test_quotes_cli_csv_filters_and_formats(
    cli: Cli, project: Project, study: dict[str, list[int]], tmp_path: Path
) -> None:
    result = cli("quotes", "--code", "grid", "--origin", "manual", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == FIELDS
    assert [(row["code"], row["coder"], row["quote"]) for row in rows] == [
        ("grid.checkpoints", "wang", "卡口"),
        ("grid.checkpoints.night", "li", "夜里也有人守卡口。"),
        ("grid.workers", "wang", "网格员"),
    ]  # fmt: skip
    by_case = json.loads(cli("quotes", "--case", "华庄社区", "--coder", "auto",
                             "--format", "json").stdout)  # fmt: skip
    assert sorted(row["code"] for row in by_case) == ["grid.workers", "opinion.rumours"]
    assert all(row["district"] == "滨湖区" for row in by_case)
    markdown = cli("quotes", "--code", "shortfalls", "--format", "md").stdout.splitlines()
    assert markdown[0].startswith("| coding_id | segment_id | document | case_name | district |")
    assert len(markdown) == 3
    path = tmp_path / "quotes.xlsx"
    written = cli("quotes", "--format", "xlsx", "-o", str(path), "--code", "opinion")
    assert written.exit_code == 0, written.stderr
    assert written.stderr == (
        f"Wrote {path} (3 quotes; counted: manual and automatic codings by every coder, "
        "each on its own)\n"
    )
    sheet = load_workbook(path)["quotes"]
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == FIELDS
    assert len(values) == 4
    table = cli("quotes", "--code", "shortfalls.staff")
    assert table.exit_code == 0
    assert "wang" in table.stdout


def test_quotes_cli_errors(cli: Cli, study: dict[str, list[int]], tmp_path: Path) -> None:
    unknown = cli("quotes", "--code", "grid.nope", "--format", "csv", "-o", str(tmp_path / "q"))
    assert unknown.exit_code == 1
    assert unknown.stderr == (
        "Error: no code 'grid.nope' in the project's codebook; did you mean 'grid.workers'?\n"
    )
    assert not (tmp_path / "q").exists()
    case = cli("quotes", "--case", "nowhere")
    assert case.exit_code == 1
    assert case.stderr.startswith("Error: no case named 'nowhere'")
    xlsx = cli("quotes", "--format", "xlsx")
    assert (xlsx.exit_code, xlsx.stderr) == (2, "Error: --format xlsx needs -o FILE\n")
    origin = cli("quotes", "--origin", "robot")
    assert origin.exit_code == 2


CODES = ["grid.checkpoints", "grid.workers", "opinion.rumours", "shortfalls.staff"]


def test_cooccurrence_counts_and_jaccard_by_hand(
    project: Project, study: dict[str, list[int]]
) -> None:
    # Segments and their depth-1 codes (auto rules fire on respondent turns only):
    #   柴机 1 {checkpoints, workers}; 柴机 0 {rumours} (li); 柴机 2 {rumours};
    #   柴机 3 {checkpoints} (auto 卡口, li night); 华庄 1 {workers, rumours}; 华庄 2 {staff}.
    table = build_cooccurrence(project, CooccurOptions(depth=1))
    assert table.code_ids == CODES
    assert table.counts == [
        [2, 1, 0, 0],
        [1, 2, 1, 0],
        [0, 1, 3, 0],
        [0, 0, 0, 1],
    ]
    assert table.jaccard[0][1] == round(1 / 3, 3)  # 1 / (2 + 2 - 1)
    assert table.jaccard[1][2] == 0.25  # 1 / (2 + 3 - 1)
    assert table.jaccard[0][3] == 0.0
    assert table.jaccard[2][2] == 1.0
    pairs = {(pair["code_a"], pair["code_b"]): pair for pair in table.pairs()}
    assert len(pairs) == 6
    assert pairs[("grid.workers", "opinion.rumours")] == {
        "code_a": "grid.workers", "code_b": "opinion.rumours", "a": 2, "b": 3, "both": 1,
        "jaccard": 0.25,
    }  # fmt: skip
    # Documents: 柴机 {checkpoints, workers, rumours}, 华庄 {workers, rumours, staff}.
    documents = build_cooccurrence(project, CooccurOptions(depth=1, scope="document"))
    assert documents.counts == [
        [1, 1, 1, 0],
        [1, 2, 2, 1],
        [1, 2, 2, 1],
        [0, 1, 1, 1],
    ]
    assert documents.jaccard[1][2] == 1.0
    assert documents.jaccard[0][1] == 0.5  # 1 / (1 + 2 - 1)
    # Filters apply as everywhere: li's codings only.
    li = build_cooccurrence(project, CooccurOptions(depth=1, filters=CodingFilter(coders=("li",))))
    assert li.counts == [[1, 0, 0, 0], [0, 0, 0, 0], [0, 0, 1, 0], [0, 0, 0, 0]]


def test_cooccur_cli(cli: Cli, study: dict[str, list[int]], tmp_path: Path) -> None:
    result = cli("cooccur", "--depth", "1", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (
        "code,卡口,网格员,谣言,人手不足\n"
        "卡口,2,1,0,0\n"
        "网格员,1,2,1,0\n"
        "谣言,0,1,3,0\n"
        "人手不足,0,0,0,1\n"
    )
    jaccard = cli("cooccur", "--depth", "1", "--jaccard", "--format", "csv").stdout
    assert jaccard.splitlines()[2] == "网格员,0.333,1.000,0.250,0.000"
    data = json.loads(cli("cooccur", "--depth", "1", "--format", "json").stdout)
    assert data["counts"][1] == [1, 2, 1, 0]
    assert len(data["pairs"]) == 6
    path = tmp_path / "cooccur.xlsx"
    assert cli("cooccur", "--depth", "1", "--format", "xlsx", "-o", str(path)).exit_code == 0
    assert load_workbook(path).sheetnames == ["counts", "jaccard", "pairs", "policy"]
    table = cli("cooccur", "--depth", "1")
    assert "网格员" in table.stdout
    bad = cli("cooccur", "--codes", "nope")
    assert bad.exit_code == 1
    assert bad.stderr.startswith("Error: no code 'nope'")


def test_quotes_excel_bom_and_comma_separated_codes(
    cli: Cli, study: dict[str, list[int]], tmp_path: Path
) -> None:
    path = tmp_path / "q.csv"
    result = cli("quotes", "--codes", "shortfalls,opinion.rumours", "--origin", "manual",
                 "--format", "csv", "--excel", "-o", str(path))  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert result.stderr == (
        f"Wrote {path} (2 quotes; counted: manual codings by every coder, each on its own)\n"
    )
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbfcoding_id,")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert [(row["code"], row["coder"]) for row in rows] == [
        ("opinion.rumours", "li"), ("shortfalls.staff", "wang"),
    ]  # fmt: skip


def test_matrix_cli_code_level_depth_and_english(cli: Cli, study: dict[str, list[int]]) -> None:
    result = cli(
        "matrix", "--level", "code", "--depth", "1", "--lang", "en", "--format", "csv",
        "--all-speakers",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (
        "case,Checkpoints,Grid workers,Rumours,Short of staff,total\n"
        "柴机社区,2,1,2,0,4\n"
        "华庄社区,0,1,1,1,2\n"
        "清名社区,0,0,0,0,0\n"
        "total,2,2,3,1,6\n"
    )
    bad_measure = cli("matrix", "--measure", "mean")
    assert bad_measure.exit_code == 2
