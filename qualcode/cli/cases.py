"""``qualcode cases``: case (community) attributes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from qualcode.cli.context import open_cli_project
from qualcode.cli.options import RawOption, TableFormatOption
from qualcode.cli.output import OutputFormat, emit_rows, message

app = typer.Typer(
    help="Cases (communities) and their attributes.\n\n"
    "Example: qualcode cases set Chaiji --attr district=Liangxi",
    no_args_is_help=True,
)


@app.command("import")
def import_cases_command(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="CSV with a case column and attribute columns.")],
) -> None:
    """Create or update cases from a CSV (columns: case, optional file, any attributes).

    Example: qualcode cases import transcripts/communities.csv
    """
    from qualcode.store.cases import import_cases

    with open_cli_project(ctx, create=True) as project:
        result = import_cases(project, path)
    message(
        f"{result.path}: {result.cases} cases, {result.attributes} attribute values, "
        f"{result.files_mapped} file names mapped"
    )


@app.command("list")
def list_cases_command(
    ctx: typer.Context,
    output_format: TableFormatOption = OutputFormat.table,
    raw: RawOption = False,
) -> None:
    """List cases with their attributes and document and segment counts.

    Example: qualcode cases list --format csv > cases.csv
    """
    from qualcode.store.cases import list_cases

    with open_cli_project(ctx) as project:
        rows = list_cases(project)
    emit_rows(rows, output_format, title="Cases", raw=raw)


@app.command("set")
def set_case_command(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Case name.")],
    attr: Annotated[
        list[str], typer.Option("--attr", help="key=value (repeatable); numbers stay numbers.")
    ],
) -> None:
    """Set attributes of a case.

    Example: qualcode cases set Chaiji --attr district=Liangxi --attr years_in_post=17
    """
    from qualcode.store.cases import parse_attribute, set_case_attributes

    attributes = dict(parse_attribute(option) for option in attr)
    with open_cli_project(ctx) as project:
        set_case_attributes(project, name, attributes)
    message(f"Case {name}: set {', '.join(attributes)}.")


def register(main_app: typer.Typer) -> None:
    main_app.add_typer(app, name="cases")
