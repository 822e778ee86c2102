"""The ``qualcode`` command line: a thin layer over the library.

Each noun has its own module; this one builds the app, holds the global ``--db`` option and
turns library errors into one ``Error: ...`` line and an exit status, in one place
(:class:`QualcodeGroup`).

Start-up is what a user feels on every command, so the command modules are loaded lazily:
:data:`COMMANDS` names every command, the module that registers it and its one-line help, and
:class:`QualcodeGroup` imports a command's module only when that command runs (or shows its
own help). ``qualcode --help`` lists the commands from the table and imports none of them;
``qualcode segments`` imports ``qualcode.cli.segments`` and what it needs, not the other 20
command modules. Heavy libraries (spaCy, jieba, sqlite-utils) are imported inside
command bodies only. A test checks that the table and the commands agree.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator, MutableMapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
import typer.main
from typer import _click
from typer.core import TyperGroup

from qualcode._version import __version__
from qualcode.cli.coercion import install as install_plain_coercion
from qualcode.errors import ExitStatus, QualcodeError
from qualcode.store.defaults import DB_ENV, DEFAULT_WAIT_SECONDS

if TYPE_CHECKING:
    import sqlite3

install_plain_coercion()

#: Every command in the order ``qualcode --help`` lists it: its name, the module of
#: ``qualcode.cli`` whose ``register(app)`` adds it, and its help up to the first sentence end
#: (what click shortens to the listing's one line). Typer lists plain commands before groups.
COMMANDS: tuple[tuple[str, str, str], ...] = (
    ("init", "project", "Create an empty project file (nothing changes if it already exists)."),
    ("info", "project", "Show the project's schema version, the qualcode version, and what the "
     "project holds."),
    ("import", "importing", "Import transcripts (.txt .md .docx .srt .vtt .csv) into "
     "speaker-aware segments, or another tool's whole project: 'qualcode import qdpx "
     "PROJECT.qdpx' (REFI-QDA, from NVivo, ATLAS.ti, MAXQDA or QualCoder) or 'qualcode import "
     "qualcoder STUDY.qda' (a QualCoder project folder or its data.qda, read-only)."),
    ("segments", "segments", "List segments (rows of segments_view), filtered."),
    ("search", "search", "Keyword in context: every segment that QUERY finds, its terms "
     "highlighted."),
    ("code", "manual_coding", "Code a segment, or a span inside it, by hand."),
    ("uncode", "manual_coding", "Remove your manual coding of a code from a segment (all "
     "spans, or the one given)."),
    ("memo", "manual_coding", "Write a memo on a segment (default), a code or a document."),
    ("memos", "manual_coding", "List memos, each with what it is attached to."),
    ("tag", "autocode", "Import what is new and auto-code it; a summary per file."),
    ("quotes", "quotes", "List coded quotes, one row per coding: case attributes and code "
     "path as columns."),
    ("matrix", "analysis", "Theme matrix: cases (or a case attribute's values) x themes (or "
     "codes), with totals."),
    ("cooccur", "analysis", "Code x code co-occurrence: segments (or documents) coded with "
     "both codes."),
    ("freq", "figures", "Top words per theme, case or case attribute, with keyness (signed "
     "log-likelihood G2)."),
    ("report", "figures", "Write one self-contained HTML report: summary, codebook, matrix and "
     "quotes per cell."),
    ("agree", "agreement", "Agreement between coders per code and pooled, or between the rules "
     "and a coder."),
    ("sample", "agreement", "Draw segments for double coding at random, stratified by case "
     "(community)."),
    ("adjudicate", "adjudication", "Settle the disagreements of two or more coders as codings "
     "of a consensus coder."),
    ("demo", "demo", "Run the whole pipeline on the shipped sample interviews."),
    ("review", "review", "Code segments one at a time in the terminal, or decide suggestions "
     "(--suggestions)."),
    ("history", "journal", "List journaled changes of coding state, newest first, and whether "
     "each was undone."),
    ("undo", "journal", "Undo the last N journaled changes (default 1), newest first, one "
     "transaction each."),
    ("merge", "merge", "Bring another coder's manual codings and memos in (same documents, by "
     "content)."),
    ("cases", "cases", "Cases (communities) and their attributes."),
    ("docs", "docs", "Documents (imported transcripts)."),
    ("speakers", "speakers", "Speakers per document and their roles (interviewer, respondent)."),
    ("codebook", "codebook", "The project's codebook: themes, codes and their rules."),
    ("codings", "codings", "Manual codings in bulk."),
    ("autocode", "autocode", "Auto-code segments with the codebook's rules, as a run with full "
     "provenance."),
    ("chart", "figures", "Figures drawn from the project's codings."),
    ("suggestions", "review", "List, accept and reject auto-coding suggestions (for scripts; "
     "'qualcode review' is the interactive way)."),
    ("export", "export", "Export the whole project for another tool."),
)  # fmt: skip


def load_commands(module_name: str) -> dict[str, _click.Command]:
    """The click commands that ``qualcode.cli.<module_name>``'s ``register(app)`` adds, by name.

    They are built as the main app builds its own (no rich markup, typer's defaults
    otherwise), so a command's help, options and exit codes are the same whether it was loaded
    lazily or registered at start-up.
    """
    module = importlib.import_module(f"qualcode.cli.{module_name}")
    commands_app = typer.Typer(
        rich_markup_mode=None, pretty_exceptions_enable=False, add_completion=False
    )
    module.register(commands_app)
    return dict(typer.main.get_group(commands_app).commands)


class LazyCommands(MutableMapping[str, _click.Command]):
    """The main group's commands: every name of :data:`COMMANDS`, each loaded on first use.

    Iterating gives the names in the table's order and imports nothing (click's "No such
    command" and typer's closest-name suggestion read only the names); looking a command up
    imports its module and builds the commands it registers.
    """

    def __init__(self) -> None:
        self.modules = {name: module_name for name, module_name, _ in COMMANDS}
        self.loaded: dict[str, _click.Command] = {}

    def __getitem__(self, name: str) -> _click.Command:
        if name not in self.loaded:
            module_name = self.modules[name]  # KeyError for a name not in the table
            for loaded_name, command in load_commands(module_name).items():
                self.loaded.setdefault(loaded_name, command)
            if name not in self.loaded:
                raise LookupError(f"qualcode.cli.{module_name} registers no command {name!r}")
        return self.loaded[name]

    def __setitem__(self, name: str, command: _click.Command) -> None:
        self.modules.setdefault(name, "")
        self.loaded[name] = command

    def __delitem__(self, name: str) -> None:
        del self.modules[name]
        self.loaded.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        return iter(self.modules)

    def __len__(self) -> int:
        return len(self.modules)

    def __contains__(self, name: object) -> bool:
        return name in self.modules


def _sqlite_errors() -> tuple[type[sqlite3.OperationalError], ...]:
    """sqlite3's ``OperationalError`` once a command has loaded sqlite3, else nothing to catch.

    ``qualcode --help`` never opens a project, so it need not import sqlite3 just to name the
    error it cannot raise.
    """
    loaded = sys.modules.get("sqlite3")
    return (loaded.OperationalError,) if loaded is not None else ()


class QualcodeGroup(TyperGroup):
    """The main command group: commands loaded lazily (:class:`LazyCommands`), errors as one line.

    Maps :class:`QualcodeError` to ``Error: message`` on stderr and its exit status. SQLite
    giving up on another process's lock (a write outside
    :meth:`~qualcode.store.project.Project.transaction`) is one line naming the holder too.

    Anything else (a bug) propagates with its traceback, so tests see it.
    """

    def __init__(self, **attributes: Any) -> None:
        super().__init__(**attributes)
        self.commands = LazyCommands()

    def list_commands(self, ctx: _click.Context) -> list[str]:
        return list(self.commands)

    def format_commands(self, ctx: _click.Context, formatter: _click.HelpFormatter) -> None:
        """The listing of ``qualcode --help``, from :data:`COMMANDS`: no command module loads."""
        limit = formatter.width - 6 - max(len(name) for name, _, _ in COMMANDS)
        rows = [
            (name, _click.utils.make_default_short_help(summary, limit).strip())
            for name, _, summary in COMMANDS
        ]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except QualcodeError as error:
            typer.echo(f"Error: {error}", err=True)
            raise typer.Exit(int(error.exit_status)) from None
        except _sqlite_errors() as error:
            from qualcode.store.project import busy_message, is_lock_error

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
        from qualcode.store.project import SCHEMA_VERSION

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


def main() -> None:
    """Console-script entry point."""
    app()
