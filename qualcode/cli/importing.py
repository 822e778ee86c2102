"""``qualcode import``: bring transcripts into the project."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from qualcode.cli.context import db_path_of, open_cli_project
from qualcode.cli.options import TextLanguageChoice
from qualcode.cli.output import message, write_json

if TYPE_CHECKING:
    from qualcode.flows.importing import FileOutcome


class UnitChoice(enum.StrEnum):
    turn = "turn"
    sentence = "sentence"
    paragraph = "paragraph"


class ReportFormat(enum.StrEnum):
    text = "text"
    json = "json"


def describe_outcome(outcome: FileOutcome) -> str:
    """One report line per file, e.g. ``added    chaiji.md  case Chaiji, 24 segments``."""
    if outcome.status == "failed":
        return f"failed   {outcome.message}"
    if outcome.status == "skipped":
        return f"skipped  {outcome.path}: {outcome.message}"
    line = (
        f"{outcome.status:<8} {outcome.path}  case {outcome.case_name}, {outcome.segments} segments"
    )
    if outcome.message:
        line += f"; {outcome.message}"
    if outcome.controls_removed:
        line += (
            f"; removed {outcome.controls_removed} control characters or terminal escape sequences"
        )
    return line


def roles_unknown_line(document: str) -> str:
    """The line that says a document's roles could not be told, and the command that fixes it."""
    return (
        f"roles unknown  {document}: see 'qualcode speakers --doc {document}', then "
        f"'qualcode speakers set LABEL interviewer --doc {document}'"
    )


def import_command(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Files or folders to import.")],
    case: Annotated[
        str | None, typer.Option("--case", help="Case (community) for every file imported.")
    ] = None,
    attr: Annotated[
        list[str] | None,
        typer.Option(
            "--attr", help="Case attribute key=value (repeatable), e.g. district=Liangxi."
        ),
    ] = None,
    unit: Annotated[UnitChoice, typer.Option(help="Segment unit.")] = UnitChoice.turn,
    lang: Annotated[TextLanguageChoice, typer.Option("--lang", help="Language.")] = (
        TextLanguageChoice.auto
    ),
    replace: Annotated[
        bool,
        typer.Option(
            "--replace",
            help="Replace a document of the same name; its codings, suggestions and memos "
            "follow the corrected text (see 'qualcode codings orphaned').",
        ),
    ] = False,
    interviewer: Annotated[
        list[str] | None,
        typer.Option(
            "--interviewer", help="Speaker label of the interviewer (repeatable), e.g. '说话人 1'."
        ),
    ] = None,
    respondent: Annotated[
        list[str] | None,
        typer.Option("--respondent", help="Speaker label of a respondent (repeatable)."),
    ] = None,
    report: Annotated[
        ReportFormat,
        typer.Option("--format", help="text: a line per file on stderr; json: on stdout."),
    ] = ReportFormat.text,
) -> None:
    """Import transcripts (.txt .md .docx .srt .vtt .csv) into speaker-aware segments.

    Files already imported (same content) are skipped. Exit status 1 if any file failed.
    A document whose speakers' roles could not be told gets a line saying how to set them.

    Example: qualcode import transcripts/ --unit sentence --attr district=Liangxi
    Example: qualcode import xinan.txt --interviewer '说话人 1'
    """
    from dataclasses import asdict

    from qualcode.flows.importing import ImportOptions, import_paths
    from qualcode.store.cases import parse_attribute
    from qualcode.store.project import project_exists

    attributes = dict(parse_attribute(option) for option in attr or [])
    options = ImportOptions(
        case_name=case, attributes=attributes, unit=unit.value, language=lang.value,
        replace=replace, interviewers=tuple(interviewer or ()),
        respondents=tuple(respondent or ()),
    )  # fmt: skip
    if not project_exists(db_path_of(ctx)):
        message(f"Created project {db_path_of(ctx)}.")
    with open_cli_project(ctx, create=True) as project:
        on_file = (
            (lambda outcome: message(describe_outcome(outcome)))
            if (report is ReportFormat.text)
            else None
        )
        outcomes = import_paths(project, paths, options, on_file=on_file)
    counts = {status: 0 for status in ("added", "replaced", "skipped", "failed")}
    for outcome in outcomes:
        counts[outcome.status] += 1
    if report is ReportFormat.json:
        write_json([asdict(outcome) for outcome in outcomes])
    else:
        for outcome in outcomes:
            if outcome.roles_unknown:
                message(roles_unknown_line(str(outcome.document)))
        message(", ".join(f"{count} {status}" for status, count in counts.items()))
    if counts["failed"]:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("import")(import_command)
