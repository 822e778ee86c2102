"""The ``qualcode`` command line: a thin layer over the library.

Each noun has its own module; this one builds the app, holds the global ``--db`` option and
turns library errors into one ``Error: ...`` line and an exit status, in one place
(:class:`QualcodeGroup`). Heavy libraries (spaCy, jieba, sqlite-utils) are imported inside
command bodies only, so ``qualcode --help`` starts fast.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from qualcode._version import __version__
from qualcode.cli.coercion import install as install_plain_coercion
from qualcode.errors import ExitStatus, QualcodeError
from qualcode.store.project import (
    DB_ENV,
    DEFAULT_WAIT_SECONDS,
    SCHEMA_VERSION,
    busy_message,
    is_lock_error,
)

install_plain_coercion()


class QualcodeGroup(TyperGroup):
    """Maps :class:`QualcodeError` to ``Error: message`` on stderr and its exit status.

    SQLite giving up on another process's lock (a write outside
    :meth:`~qualcode.store.project.Project.transaction`) is one line naming the holder too.

    Anything else (a bug) propagates with its traceback, so tests see it.
    """

    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except QualcodeError as error:
            typer.echo(f"Error: {error}", err=True)
            raise typer.Exit(int(error.exit_status)) from None
        except sqlite3.OperationalError as error:
            if not is_lock_error(error):
                raise
            from qualcode.cli.context import db_path_of

            path = db_path_of(ctx)
            typer.echo(f"Error: {path}: {busy_message(path)}", err=True)
            raise typer.Exit(int(ExitStatus.ERROR)) from None
        except KeyboardInterrupt:
            typer.echo("Interrupted: work already saved is kept.", err=True)
            raise typer.Exit(int(ExitStatus.INTERRUPTED)) from None


app = typer.Typer(
    cls=QualcodeGroup,
    name="qualcode",
    help=(
        "Qualitative interview coding and thematic analysis: import transcripts, code "
        "segments, export theme matrices.\n\n"
        "Example: qualcode init && qualcode import transcripts/ && qualcode search 网格员"
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"qualcode {__version__} (project schema {SCHEMA_VERSION})")
        raise typer.Exit()


@app.callback()
def main_callback(
    ctx: typer.Context,
    db: Annotated[
        Path | None,
        typer.Option(
            "--db",
            envvar=DB_ENV,
            help="Project file (default ./qualcode.db, or $QUALCODE_DB).",
            show_default=False,
        ),
    ] = None,
    wait: Annotated[
        float,
        typer.Option(
            "--wait",
            min=0,
            metavar="SECONDS",
            help="How long to wait for another qualcode command that is writing to the "
            "project before giving up (default 30).",
            show_default=False,
        ),
    ] = DEFAULT_WAIT_SECONDS,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            is_eager=True,
            callback=_print_version,
            help="Print qualcode's version and the project schema version it writes.",
        ),
    ] = False,
) -> None:
    """Global options."""
    from qualcode.cli.context import CliState

    ctx.obj = CliState(db_path=db, wait_seconds=wait)


def _register() -> None:
    from qualcode.cli import (
        adjudication,
        agreement,
        analysis,
        autocode,
        cases,
        codebook,
        codings,
        demo,
        docs,
        export,
        figures,
        importing,
        journal,
        manual_coding,
        merge,
        project,
        quotes,
        review,
        search,
        segments,
        speakers,
    )

    project.register(app)
    importing.register(app)
    app.add_typer(cases.app, name="cases")
    app.add_typer(docs.app, name="docs")
    app.add_typer(speakers.app, name="speakers")
    segments.register(app)
    search.register(app)
    app.add_typer(codebook.app, name="codebook")
    manual_coding.register(app)
    app.add_typer(codings.app, name="codings")
    autocode.register(app)
    quotes.register(app)
    analysis.register(app)
    figures.register(app)
    agreement.register(app)
    adjudication.register(app)
    demo.register(app)
    review.register(app)
    journal.register(app)
    merge.register(app)
    app.add_typer(export.app, name="export")


_register()


def main() -> None:
    """Console-script entry point."""
    app()
