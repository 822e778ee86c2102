"""``qualcode docs``: documents in the project."""

from __future__ import annotations

from typing import Annotated

import typer

from qualcode.cli.context import open_cli_project
from qualcode.cli.options import RawOption, TableFormatOption
from qualcode.cli.output import (
    OutputFormat,
    emit_rows,
    stdout_console,
    terminal_text,
    write_json,
)

app = typer.Typer(
    help="Documents (imported transcripts).\n\nExample: qualcode docs show chaiji.md",
    no_args_is_help=True,
)

LIST_COLUMNS = (
    "document", "case_name", "language", "encoding", "source_format", "unit", "segments",
    "characters", "roles",
)  # fmt: skip


@app.command("list")
def list_documents_command(
    ctx: typer.Context,
    output_format: TableFormatOption = OutputFormat.table,
    raw: RawOption = False,
) -> None:
    """List documents with case, language, format, segment counts and whether the roles of
    their speakers are known (see 'qualcode speakers').

    Example: qualcode docs list --format json
    """
    from qualcode.store.documents import list_documents
    from qualcode.store.speakers import roles_summary

    with open_cli_project(ctx) as project:
        rows = list_documents(project)
        roles = roles_summary(project)
    listed = [{**row, "roles": roles[row["document"]]} for row in rows]
    columns = None if output_format is OutputFormat.json else LIST_COLUMNS
    emit_rows(listed, output_format, columns=columns, title="Documents", raw=raw)


@app.command("show")
def show_document_command(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Document name, e.g. chaiji.md.")],
    output_format: TableFormatOption = OutputFormat.table,
    raw: RawOption = False,
) -> None:
    """Print a document's segments with their ids (json: its fields and full stored text).

    Example: qualcode docs show chaiji.md --format json
    """
    from qualcode.store.documents import SegmentFilter, get_document, iter_segments

    with open_cli_project(ctx) as project:
        document = get_document(project, name)
        if output_format is OutputFormat.json:
            write_json(document)
            return
        segments = list(iter_segments(project, SegmentFilter(document=name)))
    if output_format is OutputFormat.csv:
        emit_rows(segments, output_format, raw=raw)
        return
    from rich.markup import escape

    console = stdout_console()
    console.print(
        f"[bold]{escape(terminal_text(document['document']))}[/bold]  "
        f"case {escape(terminal_text(document['case_name']))}  "
        f"{document['language']}  {document['source_format']}/{document['encoding']}  "
        f"{len(segments)} segments",
        markup=True,
    )
    for segment in segments:
        speaker = escape(terminal_text(segment["speaker"]))
        role = f" ({segment['role']})" if segment["role"] else ""
        console.print(f"[cyan][{segment['segment_id']}][/cyan] {speaker}{role}", markup=True)
        console.print(terminal_text(segment["text"]), markup=False)


def register(main_app: typer.Typer) -> None:
    main_app.add_typer(app, name="docs")
