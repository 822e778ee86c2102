"""``qualcode segments``: the stored segments, filtered, in any listing format."""

from __future__ import annotations

from typing import Annotated

import typer

from qualcode.cli.context import open_cli_project
from qualcode.cli.options import RawOption, TableFormatOption
from qualcode.cli.output import OutputFormat, emit_rows, format_seconds
from qualcode.models import MAX_ID

DocOption = Annotated[str | None, typer.Option("--doc", help="Only this document.")]
CaseOption = Annotated[str | None, typer.Option("--case", help="Only this case.")]
SpeakerOption = Annotated[str | None, typer.Option("--speaker", help="Only this speaker.")]

TABLE_COLUMNS = ("segment_id", "case_name", "document", "speaker", "role", "start", "text")


def segments_command(
    ctx: typer.Context,
    doc: DocOption = None,
    case: CaseOption = None,
    speaker: SpeakerOption = None,
    role: Annotated[str | None, typer.Option("--role", help="interviewer or respondent.")] = None,
    code: Annotated[
        str | None, typer.Option("--code", help="Only segments coded with this code or below.")
    ] = None,
    limit: Annotated[int | None, typer.Option("--limit", min=1, max=MAX_ID)] = None,
    output_format: TableFormatOption = OutputFormat.table,
    raw: RawOption = False,
) -> None:
    """List segments (rows of segments_view), filtered.

    Example: qualcode segments --case Chaiji --format json
    """
    from qualcode.store.documents import SegmentFilter, iter_segments

    filters = SegmentFilter(
        document=doc, case_name=case, speaker=speaker, role=role, code=code, limit=limit
    )
    with open_cli_project(ctx) as project:
        rows = iter_segments(project, filters)
        if output_format is OutputFormat.table:
            table = ({**row, "start": format_seconds(row["start_time"])} for row in rows)
            emit_rows(table, output_format, columns=TABLE_COLUMNS)
        else:
            emit_rows(rows, output_format, raw=raw)


def register(app: typer.Typer) -> None:
    app.command("segments")(segments_command)
