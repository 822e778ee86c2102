"""``qualcode init``."""

from __future__ import annotations

import typer

from qualcode.cli.context import db_path_of, open_cli_project
from qualcode.cli.output import message


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


def register(app: typer.Typer) -> None:
    app.command("init")(init)
