"""``qualcode import``: bring transcripts into the project."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from qualcode.cli.context import db_path_of, open_cli_project
from qualcode.cli.options import TextLanguageChoice
from qualcode.cli.output import message, write_json

if TYPE_CHECKING:
    from qualcode.autocode.runs import AutocodeReport
    from qualcode.flows.importing import FileOutcome, Language
    from qualcode.models import Unit


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


@dataclass(frozen=True)
class ProjectImportRequest:
    """What ``qualcode import FORMAT FILE`` passes to the importer of a project format."""

    paths: list[Path]
    unit: Unit
    language: Language
    strict: bool
    report: ReportFormat


def _import_qdpx(ctx: typer.Context, request: ProjectImportRequest) -> None:
    from dataclasses import asdict

    from qualcode.errors import UsageError
    from qualcode.flows.qdpx import QdpxImportOptions, import_qdpx

    if len(request.paths) != 1:
        raise UsageError("give one file: qualcode import qdpx PROJECT.qdpx")
    options = QdpxImportOptions(strict=request.strict, unit=request.unit, language=request.language)
    with open_cli_project(ctx, create=True) as project:
        result = import_qdpx(project, request.paths[0], options)
    for missing in result.missing_sources:
        message(f"missing  {missing}: not imported (use --strict to refuse such a file)")
    for warning in result.warnings:
        message(f"warning  {warning}")
    if request.report is ReportFormat.json:
        write_json(asdict(result))
    message(result.summary())


#: Project formats ``qualcode import FORMAT FILE`` reads, by the word that names them. The word
#: counts only when no file of that name exists (a transcript called ``qdpx`` still imports).
def _import_qualcoder(ctx: typer.Context, request: ProjectImportRequest) -> None:
    from qualcode.cli.qualcoder import import_qualcoder_project

    import_qualcoder_project(ctx, request)


PROJECT_FORMATS: dict[str, Callable[[typer.Context, ProjectImportRequest], None]] = {
    "qdpx": _import_qdpx,
    "qualcoder": _import_qualcoder,
}


def project_format(paths: list[Path]) -> str | None:
    """The project format the first argument names, if it names one and is not a file."""
    if len(paths) > 1 and str(paths[0]) in PROJECT_FORMATS and not paths[0].exists():
        return str(paths[0])
    return None


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
            "follow the corrected text (see 'qualcode codings orphaned'). Automatic codings "
            "are carried as they are unless --autocode is given too.",
        ),
    ] = False,
    autocode: Annotated[
        bool,
        typer.Option(
            "--autocode",
            help="Then auto-code what is new with the current codebook (as 'qualcode tag'): "
            "added documents, and replaced ones, whose carried automatic codings the fresh "
            "hits supersede.",
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
    strict: Annotated[
        bool,
        typer.Option(
            "--strict", help="qdpx: refuse a project whose archive lacks some of its sources."
        ),
    ] = False,
) -> None:
    """Import transcripts (.txt .md .docx .srt .vtt .csv) into speaker-aware segments, or
    another tool's whole project: 'qualcode import qdpx PROJECT.qdpx' (REFI-QDA, from NVivo,
    ATLAS.ti, MAXQDA or QualCoder) or 'qualcode import qualcoder STUDY.qda' (a QualCoder
    project folder or its data.qda, read-only).

    Files already imported (same content) are skipped. Exit status 1 if any file failed.
    A document whose speakers' roles could not be told gets a line saying how to set them.

    Example: qualcode import transcripts/ --unit sentence --attr district=Liangxi

    Example: qualcode import xinan.txt --interviewer '说话人 1'

    Example: qualcode import corrected/xinan.txt --replace --autocode

    Example: qualcode import qdpx colleague.qdpx

    Example: qualcode import qualcoder ~/QualCoder/study.qda
    """
    from dataclasses import asdict

    word = project_format(paths)
    if word is not None:
        if case is not None or attr or replace or autocode:
            from qualcode.errors import UsageError

            raise UsageError(
                f"--case, --attr, --replace and --autocode do not apply to a {word} project: "
                "its cases and attributes come with it"
            )
        request = ProjectImportRequest(paths[1:], unit.value, lang.value, strict, report)
        PROJECT_FORMATS[word](ctx, request)
        return

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
        if autocode:
            from qualcode.flows.tagging import import_and_autocode
            from qualcode.store.codings import resolve_coder

            imported = import_and_autocode(
                project, paths, options, run_by=resolve_coder(None), on_file=on_file
            )
            outcomes = imported.outcomes
        else:
            outcomes = import_paths(project, paths, options, on_file=on_file)
    counts = {status: 0 for status in ("added", "replaced", "skipped", "failed")}
    for outcome in outcomes:
        counts[outcome.status] += 1
    if report is ReportFormat.json:
        rows = [asdict(outcome) for outcome in outcomes]
        if autocode:
            for row in rows:
                row["auto_codings"] = imported.per_document.get(row["document"] or "", ((), 0))[1]
        write_json(rows)
    else:
        for outcome in outcomes:
            if outcome.roles_unknown:
                message(roles_unknown_line(str(outcome.document)))
        message(", ".join(f"{count} {status}" for status, count in counts.items()))
        if autocode:
            message(autocode_line(imported.report))
    if counts["failed"]:
        raise typer.Exit(1)


def autocode_line(report: AutocodeReport | None) -> str:
    """What ``import --autocode`` ran, e.g. ``auto-coded: run 3, 12 new segments, 7 codings``."""
    if report is None:
        return "auto-coded: nothing new"
    return (
        f"auto-coded: run {report.run_id}, {report.segments_processed} new segments, "
        f"{report.codings} codings"
    )


def register(app: typer.Typer) -> None:
    app.command("import")(import_command)
