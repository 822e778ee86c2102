"""``qualcode demo``: the whole pipeline on the shipped sample interviews."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from qualcode.cli.importing import describe_outcome
from qualcode.cli.output import message, stdout_console

if TYPE_CHECKING:
    from qualcode.flows.demo import DemoReport


def demo_command(
    directory: Annotated[Path, typer.Option("--dir", help="Folder for the demo project.")] = Path(
        "qualcode-demo"
    ),
    samples: Annotated[
        Path | None, typer.Option("--samples", help="Folder of sample interviews.")
    ] = None,
) -> None:
    """Run the whole pipeline on the shipped sample interviews.

    Imports the seven illustrative interviews and their cases table, loads the shipped
    codebook, auto-codes them, adds the illustrative coders' manual codings, prints the
    communities x themes matrix and writes it as CSV, XLSX and an HTML report into --dir.
    Running it again adds nothing.

    Example: qualcode demo --dir /tmp/qualcode-demo
    """
    from qualcode.exporting.matrix import matrix_table
    from qualcode.flows.demo import SAMPLES, run_demo

    report = run_demo(
        directory, samples=samples or SAMPLES,
        on_file=lambda outcome: message(describe_outcome(outcome)),
    )  # fmt: skip
    for line in describe_demo(report):
        message(line)
    if report.matrix is not None:
        console = stdout_console()
        console.print(matrix_table(report.matrix, width=console.width))
    db = report.db_path
    message(f"Try: qualcode --db {db} search 网格员")
    message(f"Try: qualcode --db {db} quotes --code grid")
    if any(outcome.status == "failed" for outcome in report.files):
        raise typer.Exit(1)


def describe_demo(report: DemoReport) -> list[str]:
    """One line per step after the import: codebook, auto-coding, manual codings, files."""
    lines = []
    if report.codebook is not None:
        state = "loaded" if report.codebook.new_version else "unchanged"
        lines.append(
            f"codebook {report.codebook.path}: {state} (version {report.codebook.version_id}, "
            f"{report.codebook.codes} codes)"
        )
    if report.autocode is not None:
        lines.append(
            f"autocode: {report.autocode.segments_processed} new segments, "
            f"{report.autocode.codings} automatic codings"
        )
    if report.manual_codings is not None:
        lines.append(f"illustrative coders: {report.manual_codings}")
    lines.extend(f"wrote    {path}" for path in report.outputs)
    return lines


def register(app: typer.Typer) -> None:
    app.command("demo")(demo_command)
