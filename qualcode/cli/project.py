"""``qualcode init`` and ``qualcode info``."""

from __future__ import annotations

import typer

from qualcode.cli.context import db_path_of, open_cli_project
from qualcode.cli.options import TableFormatOption
from qualcode.cli.output import OutputFormat, emit_rows, message, write_json


def init(ctx: typer.Context) -> None:
    """Create an empty project file (nothing changes if it already exists).

    Example: qualcode --db study.db init
    """
    from qualcode.store.project import project_exists

    path = db_path_of(ctx)
    if project_exists(path):
        open_cli_project(ctx).close()  # migrates an older project to date
        message(f"Project {path} already exists; nothing changed.")
        return
    open_cli_project(ctx, create=True).close()
    message(f"Created project {path}.")


def info(ctx: typer.Context, output_format: TableFormatOption = OutputFormat.table) -> None:
    """Show the project's schema version, the qualcode version, and what the project holds.

    Example: qualcode --db study.db info --format json
    """
    from qualcode.store.project import project_info

    with open_cli_project(ctx) as project:
        summary = project_info(project)
    if output_format is OutputFormat.json:
        write_json(summary)
        return
    rows = [{"field": name, "value": value} for name, value in summary.items()]
    emit_rows(rows, output_format, columns=("field", "value"))


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("info")(info)
