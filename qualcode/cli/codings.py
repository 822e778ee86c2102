"""``qualcode codings``: manual codings in bulk (``import`` from a spreadsheet), and the codings
a corrected transcript orphaned (``orphaned``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from qualcode.cli.context import open_cli_project
from qualcode.cli.options import RawOption, TableFormatOption
from qualcode.cli.output import OutputFormat, emit_rows, message

app = typer.Typer(
    help="Manual codings in bulk.\n\nExample: qualcode codings import team_codings.csv",
    no_args_is_help=True,
)


@app.command("import")
def import_codings_command(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="CSV with one coding per row.")],
) -> None:
    """Import manual codings from a CSV, e.g. a team's coding spreadsheet saved from Excel.

    Columns: document, code, coder, optional memo, and where the coding is, one of:
    quote (text in one segment; add occurrence, 1-based, if it occurs more than once),
    segment_ordinal (the whole segment, ordinals as 'qualcode segments' shows them),
    start_char and end_char (document offsets inside one segment).

    Every row is checked first: problems are reported as FILE:LINE and nothing is written.
    Importing the same file again adds nothing.

    Example: qualcode codings import team_codings.csv, where team_codings.csv is

    \b
    document,code,coder,quote,segment_ordinal,memo
    chaiji.md,grid.checkpoints,li,卡口,,
    chaiji.md,grid.grid_workers,li,,3,the whole answer
    """
    from qualcode.flows.codings_import import import_codings

    with open_cli_project(ctx) as project:
        result = import_codings(project, path)
    message(f"{result.path}: {result.summary()}")


@app.command("orphaned")
def orphaned_codings_command(
    ctx: typer.Context,
    output_format: TableFormatOption = OutputFormat.table,
    raw: RawOption = False,
) -> None:
    """List codings whose text a corrected transcript ('import --replace') no longer has.

    Each keeps its document, code, coder, old quote and offsets; code the new text again
    where it belongs.

    Example: qualcode codings orphaned --format csv > orphans.csv
    """
    from qualcode.store.replacing import ORPHAN_FIELDS, list_orphaned_codings

    with open_cli_project(ctx) as project:
        rows = list_orphaned_codings(project)
    emit_rows(rows, output_format, columns=ORPHAN_FIELDS, title="Orphaned codings", raw=raw)


def register(main_app: typer.Typer) -> None:
    main_app.add_typer(app, name="codings")
