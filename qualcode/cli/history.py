"""``qualcode history``, ``undo`` and ``merge``: the journal of coding changes, and a second
coder's project brought in."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from qualcode.cli.context import open_cli_project
from qualcode.cli.options import TableFormatOption
from qualcode.cli.output import OutputFormat, emit_rows, message
from qualcode.models import MAX_ID


def history_command(
    ctx: typer.Context,
    output_format: TableFormatOption = OutputFormat.table,
    limit: Annotated[
        int, typer.Option("--limit", min=1, max=MAX_ID, help="Show the newest N entries.")
    ] = 20,
) -> None:
    """List journaled changes of coding state, newest first, and whether each was undone.

    Example: qualcode history --limit 5 --format csv
    """
    from qualcode.store.journal import HISTORY_FIELDS, history

    # The table leaves out undone_at (the CSV and JSON have it) to stay readable in a terminal.
    columns = HISTORY_FIELDS[:-1] if output_format is OutputFormat.table else HISTORY_FIELDS
    with open_cli_project(ctx) as project:
        emit_rows(history(project, limit), output_format, columns=columns, title="History")


def undo_command(
    ctx: typer.Context,
    count: Annotated[int, typer.Argument(min=1, max=MAX_ID, help="How many entries to undo.")] = 1,
) -> None:
    """Undo the last N journaled changes (default 1), newest first, one transaction each.

    N beyond the changes left to undo is refused, and nothing is undone.

    Example: qualcode undo 2
    """
    from qualcode.store.journal import undo

    with open_cli_project(ctx) as project:
        undone = undo(project, count)
    for entry in undone:
        message(f"Undid entry {entry.entry_id} ({entry.kind}): {entry.summary}")


def merge_command(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="The other coder's project file.")],
) -> None:
    """Bring another coder's manual codings and memos in (same documents, by content).

    Both coders' names are kept, nothing is duplicated, and what cannot be placed is listed
    as a conflict. Undo with 'qualcode undo'.

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


def register(app: typer.Typer) -> None:
    app.command("history")(history_command)
    app.command("undo")(undo_command)
    app.command("merge")(merge_command)
