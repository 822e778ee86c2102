"""Readable at 80 columns: terminal tables with long Chinese case and document names.

Real file names are long (``柴机社区党委书记访谈记录_2020年3月第二次访谈.txt``). At 80 and 200
columns, every number of the matrix keeps its digits, names are cut with ``…`` only when
they must be (never in csv/json), no line is wider than the terminal, and listings with text
show the whole text.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from rich.cells import cell_len

from tests.conftest import CODEBOOK, INTERVIEW, Cli, write

LONG_NAMES = (
    "柴机社区党委书记访谈记录_2020年3月第二次访谈_无锡市梁溪区南禅寺街道",
    "安溪社区居委会主任访谈记录_2020年3月第一次访谈_无锡市梁溪区广益街道",
)


@pytest.fixture
def coded(cli: Cli, tmp_path: Path) -> Cli:
    for name in LONG_NAMES:
        cli("import", str(write(tmp_path / f"{name}.txt", INTERVIEW.replace("三", name[:2]))))
    cli("codebook", "load", str(write(tmp_path / "mini.yml", CODEBOOK)))
    assert cli("autocode").exit_code == 0
    return cli


def table_lines(output: str, width: int) -> list[str]:
    lines = output.splitlines()
    assert all(cell_len(line) <= width for line in lines), "a line wider than the terminal"
    return lines


@pytest.mark.parametrize("width", [80, 200])
def test_the_matrix_keeps_every_number(
    coded: Cli, monkeypatch: pytest.MonkeyPatch, width: int
) -> None:
    monkeypatch.setenv("COLUMNS", str(width))
    rows = list(csv.reader(io.StringIO(coded("matrix", "--format", "csv").stdout)))
    lines = table_lines(coded("matrix").stdout, width)
    for row in rows[1:]:
        name, numbers = row[0], row[1:]
        line = next(line for line in lines if line.startswith(f"│ {name[:3]}"))
        assert [cell.strip() for cell in line.strip("│").split("│")[1:]] == numbers
        if name in LONG_NAMES:  # whole when there is room, else cut with an ellipsis
            assert (name in line, "…" in line) == ((True, False) if width == 200 else (False, True))
    assert any(name in row for row in rows for name in LONG_NAMES)  # csv keeps names whole


@pytest.mark.parametrize("width", [80, 200])
def test_listings_show_whole_texts_and_numbers(
    coded: Cli, monkeypatch: pytest.MonkeyPatch, width: int
) -> None:
    monkeypatch.setenv("COLUMNS", str(width))
    segments = json.loads(coded("segments", "--format", "json").stdout)
    output = coded("segments").stdout
    flat = "".join("".join(table_lines(output, width)).split())
    for segment in segments:
        assert "".join(segment["text"].split()) in flat.replace("│", "")
        assert str(segment["segment_id"]) in output
    documents = coded("docs", "list").stdout
    table_lines(documents, width)
    for number in ("segments", "characters"):
        assert number in documents
    quotes = json.loads(coded("quotes", "--format", "json").stdout)
    quote_output = coded("quotes").stdout
    flat_quotes = "".join("".join(table_lines(quote_output, width)).split()).replace("│", "")
    for quote in quotes:
        assert quote["quote"] in flat_quotes


@pytest.mark.parametrize("width", [80, 200])
def test_text_takes_the_width_that_long_names_leave(
    coded: Cli, monkeypatch: pytest.MonkeyPatch, width: int
) -> None:
    """Each text on one line, whole: beside names cut with … in a wide table, or below its
    row's fields when the terminal is narrow."""
    monkeypatch.setenv("COLUMNS", str(width))
    for command, field in (("segments", "text"), ("quotes", "quote")):
        rows = json.loads(coded(command, "--format", "json").stdout)
        lines = table_lines(coded(command).stdout, width)
        for row in rows:
            assert any(row[field] in line for line in lines), (command, row[field])
        if width == 200 and command == "segments":
            assert all(name not in "".join(lines) for name in LONG_NAMES)
            assert any("…" in line for line in lines)


def test_an_empty_listing_squeezes_no_column(coded: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    lines = table_lines(coded("codings", "orphaned").stdout, 80)
    assert not any("┃┃" in line or "┃  ┃" in line for line in lines)


#: Single characters of the sample interview's respondent turns: a code per character gives a
#: matrix and a co-occurrence grid far wider than 80 columns.
MANY_KEYWORDS = "我们在小区门口设了卡网格员值守微信群里有人说菜价"


@pytest.fixture
def many_codes(cli: Cli, tmp_path: Path) -> Cli:
    for name in LONG_NAMES:
        cli("import", str(write(tmp_path / f"{name}.txt", INTERVIEW.replace("三", name[:2]))))
    codes = "".join(
        f"  - id: c{number:02d}\n    name: 第{number}类编码\n    keywords: [{keyword}]\n"
        for number, keyword in enumerate(MANY_KEYWORDS, start=1)
    )
    cli("codebook", "load", str(write(tmp_path / "many.yml", f"name: many\ncodes:\n{codes}")))
    assert cli("autocode").exit_code == 0
    return cli


def grid_rows(lines: list[str]) -> dict[str, list[str]]:
    """Each row label's cells, joined across the parts of a grid printed in parts."""
    rows: dict[str, list[str]] = {}
    for line in lines:
        if line.startswith("│ "):
            cells = [cell.strip() for cell in line.strip("│").split("│")]
            rows.setdefault(cells[0], []).extend(cells[1:])
    return rows


@pytest.mark.parametrize("command", [["matrix", "--level", "code"], ["cooccur"]])
def test_grids_wider_than_the_terminal_come_in_parts_with_every_number(
    many_codes: Cli, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    expected = list(csv.reader(io.StringIO(many_codes(*command, "--format", "csv").stdout)))
    assert len(expected[0]) > 20  # far wider than 80 columns
    rows = grid_rows(table_lines(many_codes(*command).stdout, 80))
    assert len(rows) == len(expected) - 1
    for row in expected[1:]:
        label = next(label for label in rows if row[0].startswith(label.rstrip("…").rstrip()))
        assert rows[label] == row[1:]
