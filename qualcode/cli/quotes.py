"""``qualcode quotes``: the coded material, one row per coding (long format)."""

from __future__ import annotations

import typer

from qualcode.cli.context import open_cli_project
from qualcode.cli.options import (
    AgreedOption,
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
    agreed: AgreedOption = None,
    output_format: FormatOption = None,
    output: OutputOption = None,
    excel: ExcelOption = False,
    raw: RawOption = False,
    language: LanguageOption = LanguageChoice.zh,
) -> None:
    """List coded quotes, one row per coding: case attributes and code path as columns.

    The table shows a few columns; csv, xlsx, json and md have them all.

    The coder policy (--coder, --origin, --agreed) is stated on stderr and, in xlsx, on a
    sheet "policy"; csv and json stay plain rows, one per coding.

    Example: qualcode quotes --code grid --origin manual --format csv -o grid_quotes.csv
    """
    from qualcode.analysis.query import policy_text
    from qualcode.analysis.quotes import TABLE_FIELDS, iter_quotes, quote_columns
    from qualcode.exporting.quotes import export_quotes
    from qualcode.exporting.tables import resolve_format

    output_format = resolve_format(output_format, output)
    filters = coding_filter(codes, case, coder, origin, agreed)
    with open_cli_project(ctx) as project:
        columns = quote_columns(project)
        rows = iter_quotes(project, filters, columns=columns, language=language.value)
        policy = policy_text(filters)
        if output_format is ExportFormat.table:
            emit_rows(rows, OutputFormat.table, columns=TABLE_FIELDS)
            message(f"Quotes {policy}.")
            return
        count = export_quotes(
            rows, columns.fields, output_format, output, excel=excel, raw=raw, policy=policy
        )
    message(f"Wrote {output} ({count} quotes; {policy})" if output else f"Quotes {policy}.")


def register(app: typer.Typer) -> None:
    app.command("quotes")(quotes_command)
