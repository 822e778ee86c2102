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
    """One report line per file, e.g. ``added    chaiji.md  case Chaiji, 24 segments``; a
    replacement also says which document it replaced."""
    if outcome.status == "failed":
        return f"failed   {outcome.message}"
    if outcome.status == "skipped":
        return f"skipped  {outcome.path}: {outcome.message}"
    line = (
        f"{outcome.status:<8} {outcome.path}  case {outcome.case_name}, {outcome.segments} segments"
    )
    return f"{line}; {outcome.message}" if outcome.message else line


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
        bool, typer.Option("--replace", help="Replace a document of the same name.")
    ] = False,
    report: Annotated[
        ReportFormat,
        typer.Option("--format", help="text: a line per file on stderr; json: on stdout."),
    ] = ReportFormat.text,
) -> None:
    """Import transcripts (.txt .md .docx .srt .vtt .csv) into speaker-aware segments.

    Files already imported (same content) are skipped. Exit status 1 if any file failed.

    Example: qualcode import transcripts/ --unit sentence --attr district=Liangxi
    """
    from dataclasses import asdict

    from qualcode.flows.importing import ImportOptions, import_paths
    from qualcode.store.cases import parse_attribute
    from qualcode.store.project import project_exists

    attributes = dict(parse_attribute(option) for option in attr or [])
    options = ImportOptions(
        case_name=case, attributes=attributes, unit=unit.value, language=lang.value,
        replace=replace,
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
        message(", ".join(f"{count} {status}" for status, count in counts.items()))
    if counts["failed"]:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("import")(import_command)
