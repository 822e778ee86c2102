"""Format-independent pieces shared by the writers: numbers, CSV, Markdown, output files."""

from __future__ import annotations

import csv
import enum
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
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
