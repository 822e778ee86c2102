"""Format-independent pieces shared by the writers: numbers, CSV, Markdown, output files.

Every CSV and XLSX cell qualcode writes goes through :func:`spreadsheet_text` (CSV) or
:func:`xlsx_row` (XLSX), so a spreadsheet never runs what a transcript, a coder name or a case
attribute says: text a spreadsheet would read as a formula (it starts with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return, see :func:`is_formula_like`) is written as text, a CSV cell
with a leading ``'`` (``--raw`` turns that off) and an XLSX cell as a string cell. Numbers stay
numbers. Control characters and terminal escape sequences, which a workbook cannot hold, are
replaced in the cell (not in the project) by U+FFFD.
"""

from __future__ import annotations

import csv
import enum
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, TextIO

from qualcode.errors import QualcodeError, UsageError
from qualcode.text.decoding import replace_control_characters

#: Written first by ``--excel`` so that Excel opens UTF-8 CSV (Chinese) correctly.
BOM = "\ufeff"


class ExportFormat(enum.StrEnum):
    """Output formats of the analysis commands."""

    table = "table"
    csv = "csv"
    xlsx = "xlsx"
    md = "md"
    json = "json"


def format_number(value: Any) -> str:
    """How every text format writes a cell: integers as is, floats with one decimal."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def cell_text(value: Any) -> str:
    """A value as text: numbers through :func:`format_number`, ``None`` as empty."""
    if isinstance(value, int | float):
        return format_number(value)
    return "" if value is None else str(value)


#: First characters that make a spreadsheet read a cell as a formula (tab and carriage
#: return: Excel trims them and reads what follows).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: Text that is a plain number (``-5``, ``+1.5``, ``-2e3``): a spreadsheet reads it as that
#: number, never as a formula, so it is written as it is.
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def is_formula_like(text: str) -> bool:
    """Whether a spreadsheet would take ``text`` for a formula: it starts with one of
    :data:`FORMULA_STARTS` and is not a plain number."""
    return text.startswith(FORMULA_STARTS) and _PLAIN_NUMBER.fullmatch(text) is None


def spreadsheet_text(value: Any, *, raw: bool = False) -> Any:
    """``value`` as a CSV cell a spreadsheet opens safely; anything but text is returned as is.

    Text has control characters and escape sequences replaced by U+FFFD, and a leading
    ``'`` when it would otherwise be read as a formula (``'=HYPERLINK(...)``): Excel and
    LibreOffice show it as text. ``raw`` writes the text exactly as stored.
    """
    if raw or not isinstance(value, str):
        return value
    text = replace_control_characters(value)
    return "'" + text if is_formula_like(text) else text


def xlsx_row(sheet: Any, values: Iterable[Any]) -> list[Any]:
    """Cells for ``sheet.append``: text as string cells, never formulas, with control
    characters (which a workbook cannot hold) replaced by U+FFFD; numbers as numbers.

    Works for normal and write-only openpyxl sheets.
    """
    from openpyxl.cell import Cell

    cells: list[Any] = []
    for value in values:
        if isinstance(value, str):
            cell = Cell(sheet, row=1, column=1, value=replace_control_characters(value))
            cell.data_type = "s"  # openpyxl makes text starting with '=' a formula
            cells.append(cell)
        else:
            cells.append(value)
    return cells


def write_csv(
    stream: TextIO,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    raw: bool = False,
) -> int:
    """Write a header and rows as CSV (``\\n`` line ends); return the number of rows.

    Cells go through :func:`spreadsheet_text` (``raw``: exactly as given).
    """
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow([spreadsheet_text(name, raw=raw) for name in header])
    count = 0
    for row in rows:
        writer.writerow([cell_text(spreadsheet_text(value, raw=raw)) for value in row])
        count += 1
    return count


def markdown_cell(value: Any) -> str:
    """A value for a Markdown table cell: pipes escaped, line breaks as ``<br>``."""
    return cell_text(value).replace("|", "\\|").replace("\r\n", "\n").replace("\n", "<br>")


def write_markdown(
    stream: TextIO,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    numeric: Sequence[bool] | None = None,
) -> int:
    """A GitHub-flavoured Markdown table; ``numeric`` columns are right-aligned."""
    aligns = [
        "---:" if numeric is not None and numeric[index] else "---" for index in range(len(header))
    ]
    stream.write("| " + " | ".join(markdown_cell(name) for name in header) + " |\n")
    stream.write("| " + " | ".join(aligns) + " |\n")
    count = 0
    for row in rows:
        stream.write("| " + " | ".join(markdown_cell(value) for value in row) + " |\n")
        count += 1
    return count


#: The narrowest a row label (a community, a code) is cut to in a terminal grid.
MIN_LABEL_WIDTH = 8


def column_groups(column_widths: Sequence[int], width: int) -> list[list[int]]:
    """The columns of a terminal grid (a matrix: row labels, then number columns) in runs
    that each fit in ``width`` cells beside row labels at least :data:`MIN_LABEL_WIDTH`
    wide, so that a grid too wide for the terminal is printed in parts that repeat the row
    labels rather than squeezing numbers. One group when everything fits (or ``width`` is
    too small even for one column beside the labels: then each column is its own group).
    """
    groups: list[list[int]] = [[]]
    used = MIN_LABEL_WIDTH + 4  # the label column with its borders and padding
    for index, column_width in enumerate(column_widths):
        needed = column_width + 3
        if groups[-1] and used + needed > width:
            groups.append([])
            used = MIN_LABEL_WIDTH + 4
        groups[-1].append(index)
        used += needed
    return groups if groups[0] else []


def check_writable(path: Path) -> None:
    """Refuse, before any work, an output path that is a folder or whose folder is missing."""
    if path.is_dir():
        raise QualcodeError(f"cannot write {path}: it is a folder")
    if not path.parent.is_dir():
        raise QualcodeError(f"cannot write {path}: folder {path.parent} does not exist")


@contextmanager
def atomic_output_path(path: Path) -> Iterator[Path]:
    """A temporary path next to ``path``, renamed onto ``path`` when the block succeeds.

    The one way qualcode writes an output file: a missing folder or a folder in the way is a
    ``QualcodeError`` before anything is written, an ``OSError`` while writing or renaming
    becomes one (``cannot write PATH: reason``), and on any failure the temporary file is
    removed, so no half-written or stale ``.partial`` file is left behind.
    """
    check_writable(path)
    partial = path.with_name(path.name + ".partial")
    try:
        yield partial
        partial.replace(path)
    except OSError as error:
        raise QualcodeError(f"cannot write {path}: {error.strerror or error}") from error
    finally:
        with suppress(OSError):
            partial.unlink(missing_ok=True)


def write_text_file(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` through :func:`atomic_output_path`."""
    with atomic_output_path(path) as partial:
        partial.write_text(text, encoding="utf-8")


@contextmanager
def open_output(path: Path | None, *, excel: bool = False) -> Iterator[TextIO]:
    """A text stream to ``path`` (UTF-8, BOM first with ``excel``), or stdout for ``None``.

    The file is written through :func:`atomic_output_path`: an unwritable path is one
    ``QualcodeError`` line naming it, and a failed write leaves no file.
    """
    if path is None:
        if excel:
            sys.stdout.write(BOM)
        yield sys.stdout
        return
    encoding = "utf-8-sig" if excel else "utf-8"
    with (
        atomic_output_path(path) as partial,
        partial.open("w", encoding=encoding, newline="") as stream,
    ):
        yield stream


#: The format ``-o FILE`` implies when ``--format`` is not given.
SUFFIX_FORMATS = {
    ".csv": ExportFormat.csv,
    ".xlsx": ExportFormat.xlsx,
    ".md": ExportFormat.md,
    ".json": ExportFormat.json,
}


def resolve_format(output_format: ExportFormat | None, path: Path | None) -> ExportFormat:
    """The format to write: ``--format`` if given, else ``-o``'s suffix, else the table.

    ``-o`` never goes unused: a suffix that names no format, or ``-o`` with ``--format
    table`` (which only prints), is a ``UsageError``.
    """
    if output_format is None:
        if path is None:
            return ExportFormat.table
        implied = SUFFIX_FORMATS.get(path.suffix.lower())
        if implied is None:
            raise UsageError(
                f"cannot tell the format of {path} from its suffix: "
                "use .csv, .xlsx, .md or .json, or give --format"
            )
        return implied
    if output_format is ExportFormat.table and path is not None:
        raise UsageError(
            "--format table prints to the terminal: drop -o, or use --format csv, xlsx, md or json"
        )
    require_output_path(output_format, path)
    return output_format


def require_output_path(output_format: ExportFormat, path: Path | None) -> Path | None:
    """XLSX is binary: it goes to a file, never to the terminal."""
    if output_format is ExportFormat.xlsx and path is None:
        raise UsageError("--format xlsx needs -o FILE")
    return path


def save_workbook(workbook: Any, path: Path) -> None:
    """Save an openpyxl workbook through :func:`atomic_output_path`."""
    with atomic_output_path(path) as partial:
        workbook.save(partial)


def add_policy_sheet(workbook: Any, policy: str) -> None:
    """A last sheet ``policy`` whose first cell says which codings the workbook's numbers
    count (the coder policy), so a file passed around keeps what it rests on."""
    sheet = workbook.create_sheet("policy")
    sheet.append(["policy"])
    sheet.append([policy])
