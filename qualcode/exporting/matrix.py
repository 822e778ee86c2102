"""Writing a :class:`~qualcode.analysis.matrix.Matrix`: CSV, Markdown, JSON, XLSX, terminal.

Every format has the same grid (:func:`matrix_grid`): a header with the ``by`` name, the
column labels and ``total``; one line per row with its row total; a last ``total`` line with
the column totals and the grand total. Numbers are written by
:func:`qualcode.exporting.tables.format_number` in text formats and as numbers in XLSX and JSON.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from qualcode.analysis.matrix import Matrix, Number
from qualcode.analysis.query import filter_phrases, policy_text
from qualcode.exporting.tables import (
    MIN_LABEL_WIDTH,
    ExportFormat,
    column_groups,
    format_number,
    open_output,
    require_output_path,
    save_workbook,
    write_csv,
    write_markdown,
    xlsx_row,
)

if TYPE_CHECKING:
    from rich.console import RenderableType
    from rich.table import Table

    from qualcode.codebook.model import Codebook

TOTAL_LABEL = "total"
#: Colour scale (low, high) shared by the XLSX sheet and the terminal table.
LOW_RGB = (255, 255, 255)
HIGH_RGB = (49, 110, 171)

MEASURE_NOTES = {
    "segments": "distinct coded segments",
    "count": "codings",
    "presence": "1 = the theme occurs",
    "percent": "% of the row's segments",
    "coverage": "% of the row's characters in segments",
    "respondents": "documents (respondents) with a coded segment",
}


def matrix_grid(matrix: Matrix) -> tuple[list[str], list[list[Any]]]:
    """The header and the rows (totals line last) that every format writes."""
    header = [matrix.by, *matrix.column_labels, TOTAL_LABEL]
    rows: list[list[Any]] = [
        [label, *values, total]
        for label, values, total in zip(
            matrix.row_labels, matrix.cells, matrix.row_totals, strict=True
        )
    ]
    rows.append([TOTAL_LABEL, *matrix.column_totals, matrix.grand_total])
    return header, rows


def caption(matrix: Matrix) -> str:
    """A one-line description: measure, grouping, filters and the coder policy (which
    codings count), for the terminal table, Markdown and the XLSX note."""
    filters = matrix.options.filters
    parts = [f"{matrix.measure} ({MEASURE_NOTES[matrix.measure]})", f"by {matrix.by}"]
    parts.append(f"level {matrix.level}" + (f", depth {matrix.depth}" if matrix.depth else ""))
    parts += filter_phrases(filters)
    parts.append(policy_text(filters))
    return "; ".join(parts)


def write_matrix_csv(matrix: Matrix, stream: TextIO, *, raw: bool = False) -> None:
    header, rows = matrix_grid(matrix)
    write_csv(stream, header, rows, raw=raw)


def write_matrix_markdown(matrix: Matrix, stream: TextIO) -> None:
    header, rows = matrix_grid(matrix)
    stream.write(f"Theme matrix: {caption(matrix)}\n\n")
    write_markdown(stream, header, rows, numeric=[False] + [True] * (len(header) - 1))


def write_matrix_json(matrix: Matrix, stream: TextIO) -> None:
    json.dump(matrix.as_dict(), stream, ensure_ascii=False, indent=2)
    stream.write("\n")


def _display_width(text: str) -> int:
    """Width of ``text`` in spreadsheet columns: wide (CJK) characters count two."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _hex(rgb: tuple[int, int, int]) -> str:
    return "".join(f"{part:02X}" for part in rgb)


def write_matrix_xlsx(matrix: Matrix, path: Path, codebook: Codebook | None = None) -> None:
    """A workbook with sheets ``matrix`` (colour scale, frozen headers), ``quotes`` (the
    matrix's cell quotes, if any were asked for) and ``codebook`` (when given)."""
    from openpyxl import Workbook
    from openpyxl.formatting.rule import ColorScaleRule
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "matrix"
    header, rows = matrix_grid(matrix)
    sheet.append(xlsx_row(sheet, header))
    for row in rows:
        sheet.append(xlsx_row(sheet, row))
    bold = Font(bold=True)
    for cell in sheet[1]:
        cell.font = bold
    for cell in sheet[len(rows) + 1]:
        cell.font = bold
    sheet.freeze_panes = "B2"
    sheet.column_dimensions["A"].width = max(12, *(_display_width(str(row[0])) + 2 for row in rows))
    # Headers are code names, often Chinese: a wide character takes two columns of width, so
    # the column is as wide as its header (within reason) and the name can be read.
    for index, label in enumerate(header[1:], start=2):
        width = min(40, max(8, _display_width(str(label)) + 2))
        sheet.column_dimensions[get_column_letter(index)].width = width
    if matrix.row_labels and matrix.column_ids:
        last = get_column_letter(len(matrix.column_ids) + 1)
        sheet.conditional_formatting.add(
            f"B2:{last}{len(matrix.row_labels) + 1}",
            ColorScaleRule(
                start_type="num", start_value=0, start_color=_hex(LOW_RGB),
                end_type="max", end_color=_hex(HIGH_RGB),
            ),
        )  # fmt: skip
    sheet.cell(row=len(rows) + 3, column=1, value=caption(matrix))

    quotes = workbook.create_sheet("quotes")
    quotes.append(["row", "column_id", "column", "segment_id", "document", "case_name",
                   "speaker", "role", "text"])  # fmt: skip
    for (i, j), cell_quotes in sorted(matrix.quotes.items()):
        for quote in cell_quotes:
            quotes.append(xlsx_row(quotes, [
                matrix.row_labels[i], matrix.column_ids[j], matrix.column_labels[j],
                quote.segment_id, quote.document, quote.case_name, quote.speaker, quote.role,
                quote.text,
            ]))  # fmt: skip
    quotes.freeze_panes = "A2"
    for cell in quotes[1]:
        cell.font = bold

    if codebook is not None:
        codes = workbook.create_sheet("codebook")
        codes.append(["code_id", "parent_id", "depth", "name_zh", "name_en", "description_zh",
                      "description_en"])  # fmt: skip
        for code in codebook:
            codes.append(xlsx_row(codes, [
                code.code_id, code.parent_id, code.depth, code.name_zh, code.name_en,
                code.description_zh, code.description_en,
            ]))  # fmt: skip
        codes.freeze_panes = "A2"
        for cell in codes[1]:
            cell.font = bold
    save_workbook(workbook, path)


def _shade(value: Number, top: Number) -> tuple[str, str]:
    """Background and text colour for a value on the shared colour scale."""
    share = float(value) / float(top) if top else 0.0
    rgb = tuple(
        round(low + (high - low) * share) for low, high in zip(LOW_RGB, HIGH_RGB, strict=True)
    )
    background = "#" + _hex(rgb).lower()  # type: ignore[arg-type]
    return background, ("white" if share > 0.55 else "black")


def matrix_table(matrix: Matrix, width: int | None = None) -> RenderableType:
    """A rich table of the matrix with cells shaded by value (totals unshaded, bold).

    When the table is wider than the terminal (``width``), number columns still never get
    narrower than their widest number (long theme names wrap instead) and row labels
    (community names) are cut with ``…`` to the width that is left. When even that does not
    fit (many codes at 80 columns), the matrix is printed in parts of consecutive columns,
    each with the row labels (:func:`~qualcode.exporting.tables.column_groups`).
    """
    from rich.cells import cell_len
    from rich.console import Group

    header, rows = matrix_grid(matrix)
    number_widths = [
        max(len(format_number(row[position])) for row in rows) + 2
        for position in range(1, len(header))
    ]
    label_width = max(cell_len(str(row[0])) for row in [header, *rows])
    natural = label_width + sum(
        max(cell_len(name), number) for name, number in zip(header[1:], number_widths, strict=True)
    )
    title = f"Theme matrix: {caption(matrix)}"
    columns = list(range(1, len(header)))
    if width is None or natural + 3 * len(header) + 1 <= width:
        # Everything fits: row labels whole, long column names wrap where rich likes.
        return _matrix_part(matrix, header, rows, columns, None, None, title)
    # Too wide: numbers keep their width (names of at most 6 cells wrap in it), and the row
    # labels get what is left, cut with an ellipsis.
    column_widths = [
        max(number, min(cell_len(name), 6))
        for name, number in zip(header[1:], number_widths, strict=True)
    ]
    groups = column_groups(column_widths, width)
    # One label width for every part (the narrowest room left), so the rows line up alike.
    label_width = max(MIN_LABEL_WIDTH, min([label_width, *(
        width - 3 * (len(group) + 1) - 1 - sum(column_widths[index] for index in group)
        for group in groups
    )]))  # fmt: skip
    parts: list[Table] = []
    for group in groups:
        parts.append(
            _matrix_part(
                matrix, header, rows, [index + 1 for index in group], label_width,
                [column_widths[index] for index in group], title if not parts else None,
            )
        )  # fmt: skip
    return parts[0] if len(parts) == 1 else Group(*parts)


def _matrix_part(
    matrix: Matrix,
    header: list[str],
    rows: list[list[Any]],
    columns: list[int],
    label_width: int | None,
    column_widths: list[int] | None,
    title: str | None,
) -> Table:
    """The table of the matrix's row labels and its number ``columns`` (positions in
    ``header``); ``label_width`` and ``column_widths`` fix the widths, ``None``: natural."""
    from rich.table import Table
    from rich.text import Text

    table = Table(title=title, header_style="bold", show_footer=False)
    if label_width is None:
        table.add_column(header[0], no_wrap=True)
    else:
        table.add_column(header[0], no_wrap=True, overflow="ellipsis", width=label_width)
    for offset, position in enumerate(columns):
        column_width = None if column_widths is None else column_widths[offset]
        table.add_column(header[position], justify="right", overflow="fold", width=column_width)
    top = matrix.max_cell
    last_column = len(header) - 1
    for index, row in enumerate(rows):
        is_total = index == len(rows) - 1
        cells: list[Text | str] = [Text(str(row[0]), style="bold" if is_total else "")]
        for position in columns:
            value = row[position]
            text = format_number(value)
            if is_total or position == last_column:
                cells.append(Text(text, style="bold"))
            else:
                background, foreground = _shade(value, top)
                cells.append(Text(f" {text} ", style=f"{foreground} on {background}"))
        table.add_row(*cells, end_section=index == len(rows) - 2)
    return table


def export_matrix(
    matrix: Matrix,
    output_format: ExportFormat,
    path: Path | None,
    *,
    excel: bool = False,
    codebook: Codebook | None = None,
    raw: bool = False,
) -> None:
    """Write ``matrix`` as CSV, Markdown or JSON (to ``path`` or stdout) or XLSX (to ``path``).

    The terminal table is :func:`matrix_table`; the CLI prints it. ``raw`` writes CSV cells
    exactly as stored (see :func:`qualcode.exporting.tables.spreadsheet_text`).
    """
    if output_format is ExportFormat.xlsx:
        write_matrix_xlsx(matrix, require_output_path(output_format, path) or Path(), codebook)
        return
    writers: dict[ExportFormat, Callable[[Matrix, TextIO], None]] = {
        ExportFormat.csv: functools.partial(write_matrix_csv, raw=raw),
        ExportFormat.md: write_matrix_markdown,
        ExportFormat.json: write_matrix_json,
    }
    with open_output(path, excel=excel and output_format is ExportFormat.csv) as stream:
        writers[output_format](matrix, stream)
