"""``qualcode merge``: a second coder's project brought in."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from qualcode.cli.context import open_cli_project
from qualcode.cli.output import message


def merge_command(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="The other coder's project file.")],
) -> None:
    """Bring another coder's manual codings and memos in (same documents, by content).

    Both coders' names are kept, nothing is duplicated, and what cannot be placed is listed
    as a conflict, one line each; with any conflict the exit status is 1 (what could be
    placed is merged). Undo with 'qualcode undo'.

    Example: qualcode merge ../wang/qualcode.db
    """
    from qualcode.store.merging import merge_project

    with open_cli_project(ctx) as project:
        result = merge_project(project, path)
    message(
        f"Merged {path}: {result.codings_added} codings added ({result.codings_present} already "
        f"here), {result.memos_added} memos added ({result.memos_present} already here)."
    )
    if result.auto_skipped:
        message(
            f"{result.auto_skipped} automatic codings there were not merged: "
            "run 'qualcode autocode' here."
        )
    for line in result.conflicts:
        message(f"Conflict: {line}")
    if result.conflicts:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("merge")(merge_command)
