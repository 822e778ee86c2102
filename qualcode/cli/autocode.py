"""``qualcode autocode`` (runs, diff) and ``qualcode tag``: keyword-assisted coding in batch."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated

import typer

from qualcode.cli.context import open_cli_project
from qualcode.cli.options import CodesOption, TableFormatOption, split_codes
from qualcode.cli.output import OutputFormat, emit_rows, message
from qualcode.models import MAX_ID

# No help= here: it would replace the callback's docstring, example included.
app = typer.Typer(invoke_without_command=True)


class ModeChoice(enum.StrEnum):
    apply = "apply"
    suggest = "suggest"


@app.callback()
def autocode_command(
    ctx: typer.Context,
    mode: Annotated[
        ModeChoice, typer.Option(help="apply: code directly; suggest: store for review.")
    ] = ModeChoice.apply,
    only_new: Annotated[
        bool, typer.Option("--only-new", help="Only segments no run of this codebook has seen.")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Report what would be coded, per code; write nothing.")
    ] = False,
    codes: CodesOption = None,
    learned: Annotated[
        bool,
        typer.Option(
            "--learned",
            help="With --mode suggest: suggest from models trained on a coder's manual coding.",
        ),
    ] = False,
    coder: Annotated[
        str | None, typer.Option("--coder", help="With --learned: whose coding to learn from.")
    ] = None,
    min_examples: Annotated[
        int,
        typer.Option("--min-examples", min=2, help="With --learned: coded segments a code needs."),
    ] = 10,
    min_precision: Annotated[
        float,
        typer.Option(
            "--min-precision",
            min=0.0,
            max=1.0,
            help="With --learned: cross-validated precision a code needs to suggest.",
        ),
    ] = 0.7,
    output_format: TableFormatOption = OutputFormat.table,
) -> None:
    """Auto-code segments with the codebook's rules, as a run with full provenance.

    Manual codings are never touched. Without a sub-command this runs the rules. With
    --mode suggest --learned it trains a classifier per code on a coder's manual coding,
    reports its cross-validated precision, recall and F1, and stores suggestions (never
    codings) from the codes that reach --min-precision.

    Example: qualcode autocode --dry-run --codes grid,opinion
    Example: qualcode autocode --mode suggest --learned --coder li --min-precision 0.8
    """
    if ctx.invoked_subcommand is not None:
        return
    if learned:
        _learned(ctx, mode, dry_run, codes, coder, min_examples, min_precision, output_format)
        return
    from qualcode.autocode.runs import AutocodeOptions, run_autocode
    from qualcode.store.codebooks import current_codebook
    from qualcode.store.codings import resolve_coder

    options = AutocodeOptions(
        mode=mode.value, only_new=only_new, dry_run=dry_run, codes=split_codes(codes),
        run_by=resolve_coder(None),
    )  # fmt: skip
    with open_cli_project(ctx) as project:
        report = run_autocode(project, options)
        order = [code.code_id for code in current_codebook(project)]
    title = "Would code" if dry_run else f"Run {report.run_id}"
    emit_rows(report.rows(order), output_format, columns=("code", "segments", "hits"), title=title)
    noun = "suggestions" if mode is ModeChoice.suggest else "codings"
    counts = f"{report.segments_processed} segments, {report.codings} {noun}"
    if dry_run:
        message(f"Dry run: {counts} would be added.")
    else:
        message(f"Run {report.run_id}: {counts} added.")


@app.command("runs")
def runs_command(
    ctx: typer.Context,
    output_format: TableFormatOption = OutputFormat.table,
) -> None:
    """List auto-coding runs with codebook version, parameters and counts.

    Example: qualcode autocode runs --format json
    """
    from qualcode.store.runs import list_runs

    with open_cli_project(ctx) as project:
        emit_rows(
            [dict(run) for run in list_runs(project)], output_format, title="Auto-coding runs"
        )


@app.command("diff")
def diff_command(
    ctx: typer.Context,
    run_a: Annotated[int, typer.Argument(min=1, max=MAX_ID, help="Earlier run id.")],
    run_b: Annotated[int, typer.Argument(min=1, max=MAX_ID, help="Later run id.")],
    output_format: TableFormatOption = OutputFormat.table,
) -> None:
    """Segments that gained or lost codes between two runs (e.g. two codebook versions).

    Example: qualcode autocode diff 1 2
    """
    from qualcode.autocode.runs import diff_runs

    with open_cli_project(ctx) as project:
        rows = diff_runs(project, run_a, run_b)
    if output_format is not OutputFormat.json:
        rows = [
            dict(row, gained=" ".join(row["gained"]), lost=" ".join(row["lost"])) for row in rows
        ]
    emit_rows(
        rows,
        output_format,
        columns=("segment_id", "gained", "lost"),
        title=f"Run {run_a} → {run_b}",
    )
    message(f"{len(rows)} segments changed.")


TAG_COLUMNS = (
    "path", "status", "document", "case_name", "segments", "codes", "codings", "message",
)  # fmt: skip


def tag_command(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="New interview files or folders.")],
    case: Annotated[str | None, typer.Option("--case", help="Case for every file.")] = None,
    replace: Annotated[
        bool,
        typer.Option(
            "--replace",
            help="Replace a document of the same name by a corrected file: its coding follows "
            "the new text (as 'import --replace') and its new segments are auto-coded.",
        ),
    ] = False,
    output_format: TableFormatOption = OutputFormat.table,
) -> None:
    """Import what is new and auto-code it; a summary per file. Running it again does nothing.

    Example: qualcode tag new_interviews/ --format json

    Example: qualcode tag corrected/ --replace
    """
    from qualcode.flows.importing import ImportOptions
    from qualcode.flows.tagging import tag_paths
    from qualcode.store.codings import resolve_coder

    with open_cli_project(ctx, create=True) as project:
        result = tag_paths(
            project,
            paths,
            ImportOptions(case_name=case, replace=replace),
            run_by=resolve_coder(None),
        )
    emit_rows(result.rows, output_format, columns=TAG_COLUMNS)
    if result.run_id is None:
        message("Nothing new to tag." if not result.failed else "Nothing tagged.")
    else:
        message(
            f"Run {result.run_id}: {result.codings} codings on {result.new_segments} new segments."
        )
    if result.failed:
        raise typer.Exit(1)


def register(main_app: typer.Typer) -> None:
    main_app.add_typer(app, name="autocode")
    main_app.command("tag")(tag_command)


def _learned(
    ctx: typer.Context,
    mode: ModeChoice,
    dry_run: bool,
    codes: list[str] | None,
    coder: str | None,
    min_examples: int,
    min_precision: float,
    output_format: OutputFormat,
) -> None:
    """``autocode --mode suggest --learned``: see :mod:`qualcode.flows.learning`."""
    from qualcode.errors import UsageError
    from qualcode.flows.learning import LEARNED_FIELDS, LearnedOptions, learn_and_suggest
    from qualcode.store.codings import resolve_coder

    if mode is not ModeChoice.suggest:
        raise UsageError("--learned only suggests: use it with --mode suggest")
    if dry_run:
        raise UsageError("--learned has no --dry-run: its report comes before any suggestion")
    options = LearnedOptions(
        coder=coder, min_examples=min_examples, min_precision=min_precision,
        codes=split_codes(codes), run_by=resolve_coder(None),
    )  # fmt: skip
    with open_cli_project(ctx) as project:
        report = learn_and_suggest(project, options)
    emit_rows(
        report.codes, output_format, columns=LEARNED_FIELDS,
        title=f"Learned from {report.coder} (cross-validated)",
    )  # fmt: skip
    if report.run_id is None:
        message("No code reached the bar: no suggestions stored.")
    else:
        message(f"Run {report.run_id}: {report.suggestions} learned suggestions added.")
