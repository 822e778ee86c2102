"""``qualcode export``: the whole project in another tool's format."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from qualcode.cli.context import open_cli_project
from qualcode.cli.output import message

app = typer.Typer(
    help="Export the whole project for another tool.\n\nExample: qualcode export qdpx study.qdpx",
    no_args_is_help=True,
)


@app.command("qdpx")
def qdpx_command(
    ctx: typer.Context,
    out: Annotated[Path, typer.Argument(help="The .qdpx file to write.")],
) -> None:
    """Write the project as a REFI-QDA 1.0 project (.qdpx) for NVivo, ATLAS.ti, MAXQDA or
    QualCoder: documents, codebook, cases and attributes, every coding with its coder, memos.

    Positions count code points (an emoji counts one), as the standard says. Automatic
    codings are marked with their run and rule.

    Example: qualcode export qdpx study.qdpx
    """
    from qualcode.flows.qdpx_export import export_qdpx

    with open_cli_project(ctx) as project:
        summary = export_qdpx(project, out)
    message(
        f"{summary.path}: {summary.documents} documents, {summary.codes} codes, "
        f"{summary.codings} codings, {summary.memos} memos, {summary.users} users."
    )


def register(main_app: typer.Typer) -> None:
    main_app.add_typer(app, name="export")
