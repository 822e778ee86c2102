"""``qualcode quotes``: the coded material, one row per coding (long format).

Also holds the options the analysis commands share (filters, format, output), so that
``matrix``, ``cooccur`` and ``quotes`` spell and document them identically.
"""

from __future__ import annotations

import enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from qualcode.cli.context import open_cli_project
from qualcode.cli.output import OutputFormat, emit_rows, message
from qualcode.exporting.tables import ExportFormat

if TYPE_CHECKING:
    from qualcode.analysis.query import CodingFilter


class OriginChoice(enum.StrEnum):
    all = "all"
    manual = "manual"
    auto = "auto"


class LanguageChoice(enum.StrEnum):
    zh = "zh"
    en = "en"


CodesOption = Annotated[
    list[str] | None,
    typer.Option("--codes", "--code", help="Only these codes, sub-codes included (repeat the "
                 "option or separate ids with commas)."),
]  # fmt: skip
CaseOption = Annotated[
    list[str] | None, typer.Option("--case", help="Only these cases (repeatable).")
]
CoderOption = Annotated[str | None, typer.Option("--coder", help="Only this coder's codings.")]
OriginOption = Annotated[
    OriginChoice,
    typer.Option("--origin", help="manual (accepted suggestions included), auto or all."),
]
FormatOption = Annotated[ExportFormat, typer.Option("--format", help="Output format.")]
OutputOption = Annotated[
    Path | None, typer.Option("--output", "-o", help="Write to FILE instead of stdout.")
]
ExcelOption = Annotated[
    bool, typer.Option("--excel", help="CSV with a BOM, so Excel opens Chinese correctly.")
]
LanguageOption = Annotated[LanguageChoice, typer.Option("--lang", help="Language of code names.")]


def _split(values: list[str] | None) -> tuple[str, ...]:
    return tuple(
        part.strip() for value in values or () for part in value.split(",") if part.strip()
    )


def coding_filter(
    codes: list[str] | None, cases: list[str] | None, coder: str | None, origin: OriginChoice
) -> CodingFilter:
    """The shared filter from the command-line options."""
    from qualcode.analysis.query import CodingFilter

    return CodingFilter(
        coder=coder, origin=origin.value, codes=_split(codes), cases=tuple(cases or ())
    )


def quotes_command(
    ctx: typer.Context,
    codes: CodesOption = None,
    case: CaseOption = None,
    coder: CoderOption = None,
    origin: OriginOption = OriginChoice.all,
    output_format: FormatOption = ExportFormat.table,
    output: OutputOption = None,
    excel: ExcelOption = False,
    language: LanguageOption = LanguageChoice.zh,
) -> None:
    """List coded quotes, one row per coding: case attributes and code path as columns.

    The table shows a few columns; csv, xlsx, json and md have them all.

    Example: qualcode quotes --code grid --origin manual --format csv -o grid_quotes.csv
    """
    from qualcode.analysis.quotes import TABLE_FIELDS, iter_quotes, quote_columns
    from qualcode.exporting.quotes import export_quotes
    from qualcode.exporting.tables import require_output_path

    require_output_path(output_format, output)
    filters = coding_filter(codes, case, coder, origin)
    with open_cli_project(ctx) as project:
        columns = quote_columns(project)
        rows = iter_quotes(project, filters, columns=columns, language=language.value)
        if output_format is ExportFormat.table:
            emit_rows(rows, OutputFormat.table, columns=TABLE_FIELDS)
            return
        count = export_quotes(rows, columns.fields, output_format, output, excel=excel)
    if output is not None:
        message(f"Wrote {output} ({count} quotes)")


def register(app: typer.Typer) -> None:
    app.command("quotes")(quotes_command)
