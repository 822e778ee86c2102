"""``qualcode quotes``: the coded material, one row per coding."""

from __future__ import annotations

import enum
from typing import Annotated

import typer

from qualcode.cli.context import open_cli_project
from qualcode.cli.output import OutputFormat, emit_rows


class OriginChoice(enum.StrEnum):
    all = "all"
    manual = "manual"
    auto = "auto"


def quotes_command(
    ctx: typer.Context,
    code: Annotated[
        str | None, typer.Option("--code", help="Code id (sub-codes included).")
    ] = None,
    case: Annotated[str | None, typer.Option("--case", help="Only this case.")] = None,
    coder: Annotated[str | None, typer.Option("--coder", help="Only this coder.")] = None,
    origin: Annotated[OriginChoice, typer.Option("--origin")] = OriginChoice.all,
    output_format: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.table,
) -> None:
    """List coded quotes with document, case, speaker, code, coder and provenance.

    Example: qualcode quotes --code grid --origin manual --format csv
    """
    from qualcode.analysis.quotes import QUOTE_FIELDS, QuoteFilter, iter_quotes

    filters = QuoteFilter(code=code, case_name=case, coder=coder, origin=origin.value)
    columns = (
        ("coding_id", "segment_id", "case_name", "speaker", "code", "coder", "origin", "quote")
        if output_format is OutputFormat.table
        else QUOTE_FIELDS
    )
    with open_cli_project(ctx) as project:
        emit_rows(iter_quotes(project, filters), output_format, columns=columns)


def register(app: typer.Typer) -> None:
    app.command("quotes")(quotes_command)
