"""Case tables and attribute values: unreadable CSVs fail as one line, values keep their text."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import Cli, write
from tests.flows.test_importing import INTERVIEW

#: One more character than the csv module accepts in a field by default.
HUGE_FIELD = "x" * 131_073


def test_cases_import_with_a_field_over_the_csv_limit_is_one_error(
    cli: Cli, tmp_path: Path
) -> None:
    cli("init")
    table = write(
        tmp_path / "communities.csv", f"case,district\nChaiji,Liangxi\nAnxi,{HUGE_FIELD}\n"
    )
    result = cli("cases", "import", str(table))
    assert (result.exit_code, result.stderr) == (
        1,
        f"Error: {table}:3: not a readable CSV table: field larger than field limit (131072)\n",
    )
    assert json.loads(cli("cases", "list", "--format", "json").stdout) == []


def test_folder_import_with_an_unreadable_csv_imports_the_rest(cli: Cli, tmp_path: Path) -> None:
    folder = tmp_path / "transcripts"
    good = write(folder / "chaiji.txt", INTERVIEW)
    huge = write(folder / "notes.csv", f"speaker,text\nA,{HUGE_FIELD}\n")
    result = cli("import", str(folder))
    assert "Traceback" not in result.stderr
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert f"added    {good}  case chaiji, 4 segments" in lines
    assert [line for line in lines if line.startswith("failed")] == [
        f"failed   {huge}:2: is not valid CSV: field larger than field limit (131072)"
    ]
    documents = json.loads(cli("docs", "list", "--format", "json").stdout)
    assert [row["document"] for row in documents] == ["chaiji.txt"]


def test_codings_import_with_a_field_over_the_csv_limit_is_one_error(
    cli: Cli, tmp_path: Path
) -> None:
    cli("init")
    table = write(tmp_path / "codings.csv", f"segment_id,code,coder\n1,{HUGE_FIELD},li\n")
    result = cli("codings", "import", str(table))
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {table}:2: not a readable CSV table: field larger than field limit (131072)\n"
    )


def test_a_table_of_separators_only_is_one_error(cli: Cli, tmp_path: Path) -> None:
    cli("init")
    table = write(tmp_path / "communities.csv", ",,\n,,\n")
    result = cli("cases", "import", str(table))
    assert (result.exit_code, result.stderr) == (
        1,
        f"Error: {table}: has no row with text (only separators)\n",
    )


def test_only_plain_numbers_become_numbers() -> None:
    from qualcode.store.cases import typed_value

    numbers = {"14": 14, " -3 ": -3, "+2": 2, "0": 0, "3.5": 3.5, "-0.25": -0.25}
    for raw, expected in numbers.items():
        value = typed_value(raw)
        assert (value, type(value)) == (expected, type(expected)), raw
    for text in ("007", "0510", "1_000", "-infinity", "+nan", "inf", "1e3", "00.5", "1.",
                 ".5", "１４", "3.5.1", "Liangxi", ""):  # fmt: skip
        assert typed_value(text) == text.strip(), text


def test_case_attributes_keep_an_area_code_as_text(cli: Cli, tmp_path: Path) -> None:
    cli("init")
    table = write(tmp_path / "communities.csv", "case,area_code,agent,staff\nChaiji,0510,007,12\n")
    assert cli("cases", "import", str(table)).exit_code == 0
    cli("cases", "set", "Chaiji", "--attr", "budget=1_000", "--attr", "ratio=-infinity")
    [row] = json.loads(cli("cases", "list", "--format", "json").stdout)
    assert {key: row[key] for key in ("area_code", "agent", "staff", "budget", "ratio")} == {
        "area_code": "0510", "agent": "007", "staff": 12, "budget": "1_000", "ratio": "-infinity",
    }  # fmt: skip
