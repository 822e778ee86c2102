"""``qualcode history`` and ``undo``: the journal of coding changes, and taking them back."""

from __future__ import annotations

from typing import Annotated

import typer

from qualcode.cli.context import open_cli_project
from qualcode.cli.options import RawOption, TableFormatOption
from qualcode.cli.output import OutputFormat, emit_rows, message
from qualcode.models import MAX_ID


def history_command(
    ctx: typer.Context,
    output_format: TableFormatOption = OutputFormat.table,
    raw: RawOption = False,
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
        emit_rows(history(project, limit), output_format, columns=columns, title="History", raw=raw)


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


def register(app: typer.Typer) -> None:
    app.command("history")(history_command)
    app.command("undo")(undo_command)
