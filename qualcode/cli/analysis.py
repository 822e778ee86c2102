"""``qualcode matrix`` and ``qualcode cooccur``: theme matrices and code co-occurrence."""

from __future__ import annotations

import enum
from typing import Annotated

import typer

from qualcode.cli.context import open_cli_project
from qualcode.cli.options import (
    AgreedOption,
    AllSpeakersOption,
    ByOption,
    CaseOption,
    CoderOption,
    CodesOption,
    DepthOption,
    ExcelOption,
    FormatOption,
    LanguageChoice,
    LanguageOption,
    LevelChoice,
    LevelOption,
    MeasureChoice,
    MeasureOption,
    OriginChoice,
    OriginOption,
    OutputOption,
    RawOption,
    coding_filter,
    matrix_options,
)
from qualcode.cli.output import message, stdout_console
from qualcode.exporting.tables import ExportFormat
from qualcode.models import MAX_ID


class ScopeChoice(enum.StrEnum):
    segment = "segment"
    document = "document"


def matrix_command(
    ctx: typer.Context,
    by: ByOption = "case",
    level: LevelOption = LevelChoice.theme,
    depth: DepthOption = None,
    measure: MeasureOption = MeasureChoice.segments,
    quotes: Annotated[
        int,
        typer.Option("--quotes", min=0, max=MAX_ID, help="Up to N quotes per cell (xlsx, json)."),
    ] = 0,
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
    all_speakers: AllSpeakersOption = False,
) -> None:
    """Theme matrix: cases (or a case attribute's values) x themes (or codes), with totals.

    Empty rows and columns are kept. Every measure counts respondent turns (not interviewer
    questions) unless --all-speakers. Measures, numerator / denominator: segments (distinct
    coded segments), count (codings), presence (0/1), percent (coded segments / the row's
    segments), coverage (coded characters / the row's characters in segments), respondents
    (documents with a coded segment / the row's documents).

    Which codings count is stated in the caption (table, md, xlsx) and the JSON "policy"
    field; CSV stays a plain grid. --coder li --coder wang --agreed 2 counts what both applied.

    Example: qualcode matrix --by district --level code --measure percent --format csv -o m.csv

    Example: qualcode matrix --origin manual --coder li,wang --agreed 2
    """
    from qualcode.analysis.matrix import build_matrix
    from qualcode.exporting.matrix import export_matrix, matrix_table
    from qualcode.exporting.tables import resolve_format
    from qualcode.store.codebooks import current_codebook

    output_format = resolve_format(output_format, output)
    options = matrix_options(
        by,
        level,
        depth,
        measure,
        coder,
        origin,
        codes,
        case,
        language,
        quotes=quotes,
        all_speakers=all_speakers,
        agreed=agreed,
    )
    with open_cli_project(ctx) as project:
        matrix = build_matrix(project, options)
        codebook = current_codebook(project)
    if output_format is ExportFormat.table:
        console = stdout_console()
        console.print(matrix_table(matrix, width=console.width))
        return
    export_matrix(matrix, output_format, output, excel=excel, codebook=codebook, raw=raw)
    if output is not None:
        message(f"Wrote {output} ({len(matrix.row_labels)} rows x {len(matrix.column_ids)} "
                "columns)")  # fmt: skip


def cooccur_command(
    ctx: typer.Context,
    scope: Annotated[
        ScopeChoice, typer.Option("--scope", help="Count shared segments or documents.")
    ] = ScopeChoice.segment,
    jaccard: Annotated[
        bool, typer.Option("--jaccard", help="Jaccard index instead of counts.")
    ] = False,
    level: Annotated[LevelChoice, typer.Option("--level", help="Codes to compare.")] = (
        LevelChoice.code
    ),
    depth: DepthOption = None,
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
    """Code x code co-occurrence: segments (or documents) coded with both codes.

    The diagonal is the number of segments with the code. A code includes its sub-codes.

    The coder policy (--coder, --origin, --agreed) is in the table's title, the JSON
    "policy" field and the XLSX sheet "policy"; CSV stays a plain grid.

    Example: qualcode cooccur --depth 1 --jaccard --format csv -o cooccur.csv
    """
    from qualcode.analysis.cooccur import CooccurOptions, build_cooccurrence
    from qualcode.exporting.cooccur import cooccur_table, export_cooccur
    from qualcode.exporting.tables import resolve_format

    output_format = resolve_format(output_format, output)
    options = CooccurOptions(
        scope=scope.value, level=level.value, depth=depth, language=language.value,
        filters=coding_filter(codes, case, coder, origin, agreed),
    )  # fmt: skip
    with open_cli_project(ctx) as project:
        table = build_cooccurrence(project, options)
    if output_format is ExportFormat.table:
        console = stdout_console()
        console.print(cooccur_table(table, jaccard=jaccard, width=console.width))
        return
    export_cooccur(table, output_format, output, jaccard=jaccard, excel=excel, raw=raw)
    if output is not None:
        message(f"Wrote {output} ({len(table.code_ids)} codes)")


def register(app: typer.Typer) -> None:
    app.command("matrix")(matrix_command)
    app.command("cooccur")(cooccur_command)
