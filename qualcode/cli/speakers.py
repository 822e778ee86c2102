"""``qualcode speakers``: speakers per document, their roles and how they were decided."""

from __future__ import annotations

from typing import Annotated

import typer

from qualcode.cli.context import open_cli_project
from qualcode.cli.options import TableFormatOption
from qualcode.cli.output import OutputFormat, emit_rows, message

app = typer.Typer(
    help="Speakers per document and their roles (interviewer, respondent).\n\n"
    "Example: qualcode speakers set '说话人 1' interviewer --doc xinan.txt",
)


@app.callback(invoke_without_command=True)
def list_speakers_command(
    ctx: typer.Context,
    doc: Annotated[str | None, typer.Option("--doc", help="Only this document.")] = None,
    output_format: TableFormatOption = OutputFormat.table,
) -> None:
    """List, per document and speaker label: turns, characters, share of turns that are
    questions, the first words, the role and how it was decided (label, table, questions,
    set, unknown).

    Example: qualcode speakers --doc xinan.txt --format json
    """
    if ctx.invoked_subcommand is not None:
        return
    from qualcode.store.speakers import SPEAKER_FIELDS, list_speakers

    with open_cli_project(ctx) as project:
        rows = list_speakers(project, doc)
    emit_rows(rows, output_format, columns=SPEAKER_FIELDS, title="Speakers")


@app.command("set")
def set_speaker_command(
    ctx: typer.Context,
    label: Annotated[str, typer.Argument(help="Speaker label, e.g. '说话人 1' or 'Jane'.")],
    role: Annotated[str, typer.Argument(help="interviewer or respondent.")],
    doc: Annotated[
        list[str] | None,
        typer.Option("--doc", help="Only this document (repeatable); default: every one."),
    ] = None,
) -> None:
    """Set the role of every turn of a speaker label.

    Naming the interviewer makes the other speakers without a role respondents. Auto-coding
    scope, review, sample, matrices and agreement follow at once; 'qualcode undo' takes it
    back.

    Example: qualcode speakers set '说话人 1' interviewer --doc xinan.txt
    """
    from qualcode.store.speakers import set_speaker_role

    with open_cli_project(ctx) as project:
        result = set_speaker_role(project, label, role, doc or [])
    others = (
        f"; {result.others_made_respondents} other speakers made respondents"
        if result.others_made_respondents
        else ""
    )
    message(
        f"{label}: {role} in {', '.join(result.documents)} "
        f"({result.segments} segments changed{others})."
    )


def register(main_app: typer.Typer) -> None:
    main_app.add_typer(app, name="speakers")
