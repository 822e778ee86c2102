"""``qualcode quotes``: the coded material, one row per coding (long format)."""

from __future__ import annotations

import typer

from qualcode.cli.context import open_cli_project
from qualcode.cli.options import (
    CaseOption,
    CoderOption,
    CodesOption,
    ExcelOption,
    FormatOption,
    LanguageChoice,
    LanguageOption,
    OriginChoice,
    OriginOption,
    OutputOption,
    RawOption,
    coding_filter,
)
from qualcode.cli.output import OutputFormat, emit_rows, message
from qualcode.exporting.tables import ExportFormat


def quotes_command(
    ctx: typer.Context,
    codes: CodesOption = None,
    case: CaseOption = None,
    coder: CoderOption = None,
    origin: OriginOption = OriginChoice.all,
    output_format: FormatOption = None,
    output: OutputOption = None,
    excel: ExcelOption = False,
    raw: RawOption = False,
    language: LanguageOption = LanguageChoice.zh,
) -> None:
    """List coded quotes, one row per coding: case attributes and code path as columns.

    The table shows a few columns; csv, xlsx, json and md have them all.

    Example: qualcode quotes --code grid --origin manual --format csv -o grid_quotes.csv
    """
    from qualcode.analysis.quotes import TABLE_FIELDS, iter_quotes, quote_columns
    from qualcode.exporting.quotes import export_quotes
    from qualcode.exporting.tables import resolve_format

    output_format = resolve_format(output_format, output)
    filters = coding_filter(codes, case, coder, origin)
    with open_cli_project(ctx) as project:
        columns = quote_columns(project)
        rows = iter_quotes(project, filters, columns=columns, language=language.value)
        if output_format is ExportFormat.table:
            emit_rows(rows, OutputFormat.table, columns=TABLE_FIELDS)
            return
        count = export_quotes(rows, columns.fields, output_format, output, excel=excel, raw=raw)
    if output is not None:
        message(f"Wrote {output} ({count} quotes)")


def register(app: typer.Typer) -> None:
    app.command("quotes")(quotes_command)
