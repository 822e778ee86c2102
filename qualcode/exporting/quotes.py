"""Writing quote rows (long format) as CSV, JSON, Markdown or XLSX, streaming.

Rows are consumed one at a time and written straight out, so memory stays flat however many
codings there are: CSV, JSON and Markdown to a text stream, XLSX through openpyxl's
write-only mode.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, TextIO

from qualcode.exporting.tables import (
    ExportFormat,
    add_policy_sheet,
    check_writable,
    open_output,
    require_output_path,
    save_workbook,
    write_csv,
    write_markdown,
    xlsx_row,
)


def _values(rows: Iterable[dict[str, Any]], fields: Sequence[str]) -> Iterable[list[Any]]:
    for row in rows:
        yield [row.get(name) for name in fields]


def write_quotes(
    rows: Iterable[dict[str, Any]],
    fields: Sequence[str],
    output_format: ExportFormat,
    stream: TextIO,
    *,
    raw: bool = False,
) -> int:
    """Write ``rows`` as CSV, JSON (an array of objects) or Markdown; return the row count.

    ``raw`` writes CSV cells exactly as stored (see
    :func:`qualcode.exporting.tables.spreadsheet_text`).
    """
    if output_format is ExportFormat.csv:
        return write_csv(stream, fields, _values(rows, fields), raw=raw)
    if output_format is ExportFormat.md:
        return write_markdown(stream, fields, _values(rows, fields))
    if output_format is ExportFormat.json:
        count = 0
        stream.write("[")
        for row in rows:
            stream.write(",\n  " if count else "\n  ")
            stream.write(json.dumps({name: row.get(name) for name in fields},
                                    ensure_ascii=False))  # fmt: skip
            count += 1
        stream.write("\n]\n" if count else "]\n")
        return count
    raise ValueError(f"write_quotes cannot write {output_format}")


def write_quotes_xlsx(
    rows: Iterable[dict[str, Any]], fields: Sequence[str], path: Path, policy: str | None = None
) -> int:
    """One ``quotes`` sheet with a frozen, bold header row; written in streaming mode. With
    ``policy``, a sheet ``policy`` says which codings the rows are.

    The path is checked first: a write-only sheet that is never saved breaks in lxml.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font

    check_writable(path)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("quotes")
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = xlsx_row(sheet, fields)
    for cell in header:
        cell.font = bold
    sheet.append(header)
    count = 0
    for values in _values(rows, fields):
        sheet.append(xlsx_row(sheet, values))
        count += 1
    if policy is not None:
        add_policy_sheet(workbook, policy)
    save_workbook(workbook, path)
    return count


def export_quotes(
    rows: Iterable[dict[str, Any]],
    fields: Sequence[str],
    output_format: ExportFormat,
    path: Path | None,
    *,
    excel: bool = False,
    raw: bool = False,
    policy: str | None = None,
) -> int:
    """Write quote rows to ``path`` (or stdout; XLSX needs a path); return the row count.

    ``policy`` (the coder policy in words) goes on an XLSX sheet of its own; CSV, JSON and
    Markdown stay one row per coding, as scripts reading them expect.
    """
    if output_format is ExportFormat.xlsx:
        target = require_output_path(output_format, path) or Path()
        return write_quotes_xlsx(rows, fields, target, policy)
    with open_output(path, excel=excel and output_format is ExportFormat.csv) as stream:
        return write_quotes(rows, fields, output_format, stream, raw=raw)
