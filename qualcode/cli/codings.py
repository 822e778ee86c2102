"""``qualcode codings``: manual codings in bulk (``import`` from a spreadsheet)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from qualcode.cli.context import open_cli_project
from qualcode.cli.output import message

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
