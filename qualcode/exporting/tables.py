"""Format-independent pieces shared by the writers: numbers, CSV, Markdown, output files."""

from __future__ import annotations

import csv
import enum
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

from qualcode.errors import QualcodeError, UsageError

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


def write_csv(stream: TextIO, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Write a header and rows as CSV (``\\n`` line ends); return the number of rows."""
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(header)
    count = 0
    for row in rows:
        writer.writerow([cell_text(value) for value in row])
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


@contextmanager
def open_output(path: Path | None, *, excel: bool = False) -> Iterator[TextIO]:
    """A text stream to ``path`` (UTF-8, BOM first with ``excel``), or stdout for ``None``.

    An unwritable path is one ``QualcodeError`` line naming it.
    """
    if path is None:
        if excel:
            sys.stdout.write(BOM)
        yield sys.stdout
        return
    try:
        stream = path.open("w", encoding="utf-8-sig" if excel else "utf-8", newline="")
    except OSError as error:
        raise QualcodeError(f"cannot write {path}: {error.strerror or error}") from error
    with stream:
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
    """Save an openpyxl workbook; an unwritable path is one ``QualcodeError`` line."""
    try:
        workbook.save(path)
    except OSError as error:
        raise QualcodeError(f"cannot write {path}: {error.strerror or error}") from error
