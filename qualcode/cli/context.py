"""Per-invocation state shared by commands: which project file to open."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from qualcode.store.project import Project


@dataclass
class CliState:
    db_path: Path | None = None
    wait_seconds: float | None = None


def open_cli_project(ctx: typer.Context, *, create: bool = False) -> Project:
    """Open the project named by ``--db`` / ``$QUALCODE_DB`` / ``./qualcode.db``."""
    from qualcode.store.project import open_project

    state = ctx.find_object(CliState) or CliState()
    return open_project(state.db_path, create=create, wait_seconds=state.wait_seconds)


def db_path_of(ctx: typer.Context) -> Path:
    from qualcode.store.project import default_db_path

    state = ctx.find_object(CliState) or CliState()
    return state.db_path or default_db_path()
