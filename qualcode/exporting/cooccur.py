"""Writing a :class:`~qualcode.analysis.cooccur.Cooccurrence` table.

The square grid has the code labels as header and first column; cells are the counts of units
coded with both codes, or the Jaccard indices with ``jaccard=True`` (three decimals). JSON
carries both, plus the long list of pairs.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from qualcode.analysis.cooccur import Cooccurrence
from qualcode.analysis.query import policy_fields, policy_text
from qualcode.exporting.tables import (
    MIN_LABEL_WIDTH,
    ExportFormat,
    add_policy_sheet,
    column_groups,
    open_output,
    require_output_path,
    save_workbook,
    write_csv,
    write_markdown,
    xlsx_row,
)

if TYPE_CHECKING:
    from rich.console import RenderableType


def cooccur_grid(
    table: Cooccurrence, *, jaccard: bool = False
) -> tuple[list[str], list[list[Any]]]:
    """Header (``code`` then labels) and one row per code."""
    header = ["code", *table.labels]
    rows: list[list[Any]] = (
        [[label, *(f"{value:.3f}" for value in row)]
         for label, row in zip(table.labels, table.jaccard, strict=True)]
        if jaccard
        else [[label, *row] for label, row in zip(table.labels, table.counts, strict=True)]
    )  # fmt: skip
    return header, rows


def write_cooccur_csv(
    table: Cooccurrence, stream: TextIO, *, jaccard: bool = False, raw: bool = False
) -> None:
    write_csv(stream, *cooccur_grid(table, jaccard=jaccard), raw=raw)


def write_cooccur_markdown(table: Cooccurrence, stream: TextIO, *, jaccard: bool = False) -> None:
    header, rows = cooccur_grid(table, jaccard=jaccard)
    what = "Jaccard index" if jaccard else f"{table.scope}s coded with both"
    stream.write(f"Co-occurrence: {what}; {policy_text(table.filters)}\n\n")
    write_markdown(stream, header, rows, numeric=[False] + [True] * (len(header) - 1))


def write_cooccur_json(table: Cooccurrence, stream: TextIO) -> None:
    data = {
        "scope": table.scope,
        "policy": policy_fields(table.filters),
        "codes": [{"id": code_id, "label": label}
                  for code_id, label in zip(table.code_ids, table.labels, strict=True)],
        "counts": table.counts,
        "jaccard": table.jaccard,
        "pairs": table.pairs(),
    }  # fmt: skip
    json.dump(data, stream, ensure_ascii=False, indent=2)
    stream.write("\n")


def write_cooccur_xlsx(table: Cooccurrence, path: Path) -> None:
    """Sheets ``counts``, ``jaccard`` and ``pairs``, headers frozen."""
    from openpyxl import Workbook

    workbook = Workbook()
    counts = workbook.active
    counts.title = "counts"
    grids: list[tuple[Any, Sequence[Sequence[float]]]] = [
        (counts, table.counts),
        (workbook.create_sheet("jaccard"), table.jaccard),
    ]
    for sheet, grid in grids:
        sheet.append(xlsx_row(sheet, ["code", *table.labels]))
        for label, row in zip(table.labels, grid, strict=True):
            sheet.append(xlsx_row(sheet, [label, *row]))
        sheet.freeze_panes = "B2"
    pairs = workbook.create_sheet("pairs")
    fields = ["code_a", "code_b", "a", "b", "both", "jaccard"]
    pairs.append(fields)
    for pair in table.pairs():
        pairs.append(xlsx_row(pairs, [pair[name] for name in fields]))
    pairs.freeze_panes = "A2"
    add_policy_sheet(workbook, policy_text(table.filters))
    save_workbook(workbook, path)


def cooccur_table(
    table: Cooccurrence, *, jaccard: bool = False, width: int | None = None
) -> RenderableType:
    """The grid as a rich table. Numbers never get narrower than their widest number: when
    the grid is wider than the terminal (``width``), code names wrap in narrow columns, the
    row labels are cut with ``…``, and a grid still too wide is printed in parts of
    consecutive columns, each with the row labels
    (:func:`~qualcode.exporting.tables.column_groups`)."""
    from rich.cells import cell_len
    from rich.console import Group
    from rich.table import Table

    header, rows = cooccur_grid(table, jaccard=jaccard)
    what = "Jaccard index" if jaccard else f"{table.scope}s coded with both"
    title: str | None = f"Co-occurrence: {what}"
    number_widths = [
        max([1, *(len(str(row[position])) for row in rows)]) for position in range(1, len(header))
    ]
    label_width = max(cell_len(str(row[0])) for row in [header, *rows])
    natural = label_width + sum(
        max(cell_len(name), number) for name, number in zip(header[1:], number_widths, strict=True)
    )
    if width is None or natural + 3 * len(header) + 1 <= width:
        groups = [list(range(len(header) - 1))]
        column_widths: list[int | None] = [None] * (len(header) - 1)
        label: int | None = None
    else:
        fixed = [
            max(number, min(cell_len(name), 6))
            for name, number in zip(header[1:], number_widths, strict=True)
        ]
        groups = column_groups(fixed, width) or [[]]
        column_widths = list(fixed)
        # One label width for every part (the narrowest room left), so the rows line up.
        label = max(MIN_LABEL_WIDTH, min([label_width, *(
            width - 3 * (len(group) + 1) - 1 - sum(fixed[index] for index in group)
            for group in groups
        )]))  # fmt: skip
    parts: list[Table] = []
    for group in groups:
        part = Table(title=title, header_style="bold")
        title = None
        if label is None:
            part.add_column(header[0], overflow="fold")
        else:
            part.add_column(header[0], no_wrap=True, overflow="ellipsis", width=label)
        for index in group:
            part.add_column(
                header[index + 1], justify="right", overflow="fold", width=column_widths[index]
            )
        for row in rows:
            part.add_row(str(row[0]), *(str(row[index + 1]) for index in group))
        parts.append(part)
    parts[-1].caption = policy_text(table.filters)
    return parts[0] if len(parts) == 1 else Group(*parts)


def export_cooccur(
    table: Cooccurrence,
    output_format: ExportFormat,
    path: Path | None,
    *,
    jaccard: bool = False,
    excel: bool = False,
    raw: bool = False,
) -> None:
    """Write ``table`` as CSV, Markdown, JSON (to ``path`` or stdout) or XLSX (to ``path``)."""
    if output_format is ExportFormat.xlsx:
        write_cooccur_xlsx(table, require_output_path(output_format, path) or Path())
        return
    with open_output(path, excel=excel and output_format is ExportFormat.csv) as stream:
        if output_format is ExportFormat.csv:
            write_cooccur_csv(table, stream, jaccard=jaccard, raw=raw)
        elif output_format is ExportFormat.md:
            write_cooccur_markdown(table, stream, jaccard=jaccard)
        else:
            write_cooccur_json(table, stream)
