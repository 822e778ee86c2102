"""``qualcode demo``: the whole pipeline on the shipped sample interviews."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from qualcode.cli.importing import describe_outcome
from qualcode.cli.output import OutputFormat, emit_rows, message


def demo_command(
    directory: Annotated[Path, typer.Option("--dir", help="Folder for the demo project.")] = Path(
        "qualcode-demo"
    ),
    samples: Annotated[
        Path | None, typer.Option("--samples", help="Folder of sample interviews.")
    ] = None,
) -> None:
    """Build a project from the shipped sample interviews and show what is in it.

    Example: qualcode demo --dir /tmp/qualcode-demo
    """
    from qualcode.cases import list_cases
    from qualcode.demo import SAMPLES, run_demo
    from qualcode.project import open_project

    report = run_demo(
        directory, samples=samples or SAMPLES,
        on_file=lambda outcome: message(describe_outcome(outcome)),
    )  # fmt: skip
    with open_project(report.db_path) as project:
        rows = list_cases(project)
    emit_rows(rows, OutputFormat.table, title=f"Cases in {report.db_path}")
    message(f"Demo project: {report.db_path}. Try: qualcode --db {report.db_path} search 网格员")
    if any(outcome.status == "failed" for outcome in report.files):
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo_command)
