"""``qualcode codebook``: load, show, export and reshape the project's codebook."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated

import typer

from qualcode.cli.context import open_cli_project
from qualcode.cli.options import RawOption, TableFormatOption
from qualcode.cli.output import OutputFormat, emit_rows, message, stdout_console

app = typer.Typer(
    help="The project's codebook: themes, codes and their rules.\n\n"
    "Example: qualcode codebook load codebooks/community_governance.yml",
    no_args_is_help=True,
)


class LoadFormat(enum.StrEnum):
    qualcode = "qualcode"
    dic = "dic"
    cat = "cat"
    quanteda = "quanteda"


@app.command("load")
def load_command(
    ctx: typer.Context,
    path: Annotated[
        Path,
        typer.Argument(
            help="Codebook file (.yml, .yaml or .csv), REFI-QDA codebook (.qdc) or keyword "
            "dictionary (.dic, .cat, quanteda .yml)."
        ),
    ],
    load_format: Annotated[
        LoadFormat | None,
        typer.Option(
            "--format",
            help="The file's format, when its extension and content do not tell: qualcode "
            "(YAML or CSV codebook), dic (LIWC), cat (WordStat) or quanteda (YAML dictionary).",
        ),
    ] = None,
) -> None:
    """Validate a codebook file and make it the project's codebook (a new version if changed).

    Codes whose ids survive keep their codings; codes the file drops are retired, not deleted.
    Keyword dictionaries load too: every category becomes a code, its words the keywords, and
    a word ending in * a prefix.

    Example: qualcode codebook load codebooks/community_governance.yml
    Example: qualcode codebook load moral_foundations_dictionary.dic
    """
    from qualcode.store.codebooks import load_into_project

    with open_cli_project(ctx, create=True) as project:
        report = load_into_project(
            project, path, load_format.value if load_format is not None else None
        )
    if not report.new_version:
        message(f"{path}: unchanged (version {report.version_id}, {report.codes} codes).")
        return
    message(
        f"{path}: version {report.version_id}, {report.codes} codes "
        f"({len(report.added)} added, {len(report.changed)} changed, "
        f"{len(report.retired)} retired)."
    )


@app.command("show")
def show_command(
    ctx: typer.Context,
    output_format: TableFormatOption = OutputFormat.table,
    raw: RawOption = False,
) -> None:
    """Show the codebook as a tree with keyword counts and how often each code is applied.

    Example: qualcode codebook show --format csv
    """
    from qualcode.store.codebooks import code_rows

    with open_cli_project(ctx) as project:
        rows = code_rows(project)
    if output_format is not OutputFormat.table:
        emit_rows(rows, output_format, raw=raw)
        return
    from rich.tree import Tree

    tree = Tree("[bold]codebook[/bold]")
    branches: dict[str | None, Tree] = {}
    for row in rows:
        name = " / ".join(part for part in (row["name_zh"], row["name_en"]) if part)
        counts = f"{row['keywords'] or 0} keywords, {row['manual']} manual, {row['auto']} auto"
        label = f"[cyan]{row['code_id']}[/cyan] {name}  [dim]{counts}[/dim]"
        parent = branches.get(row["parent_id"], tree)
        branches[row["code_id"]] = parent.add(label)
    stdout_console().print(tree)


class ExportFormat(enum.StrEnum):
    yaml = "yaml"
    csv = "csv"
    qdc = "qdc"


@app.command("export")
def export_command(
    ctx: typer.Context,
    output_format: Annotated[ExportFormat, typer.Option("--format")] = ExportFormat.yaml,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="File (default stdout).")
    ] = None,
) -> None:
    """Write the project's current codebook (after any rename/merge/move) as YAML, CSV or a
    REFI-QDA codebook (.qdc, for NVivo, ATLAS.ti, MAXQDA, QualCoder; without keyword rules).

    Example: qualcode codebook export --format csv -o codebook.csv

    Example: qualcode codebook export --format qdc -o codebook.qdc
    """
    from qualcode.codebook.files import codebook_to_csv, codebook_to_yaml
    from qualcode.codebook.qdc import codebook_to_qdc
    from qualcode.exporting.tables import write_text_file
    from qualcode.store.codebooks import current_codebook

    with open_cli_project(ctx) as project:
        codebook = current_codebook(project)
    writers = {
        ExportFormat.yaml: codebook_to_yaml,
        ExportFormat.csv: codebook_to_csv,
        ExportFormat.qdc: codebook_to_qdc,
    }
    text = writers[output_format](codebook)
    if output_format is ExportFormat.qdc and any(code.has_rules for code in codebook):
        message(
            "Note: a .qdc codebook carries no keyword rules; loading it back into this project "
            "keeps them (export YAML to keep them elsewhere)."
        )
    if output is None:
        typer.echo(text, nl=False)
    else:
        write_text_file(output, text)
        message(f"Wrote {output}.")


@app.command("versions")
def versions_command(
    ctx: typer.Context,
    output_format: TableFormatOption = OutputFormat.table,
) -> None:
    """List the codebook versions loaded into the project.

    Example: qualcode codebook versions --format json
    """
    from qualcode.store.codebooks import list_versions

    with open_cli_project(ctx) as project:
        emit_rows(list_versions(project), output_format, title="Codebook versions")


@app.command("rename")
def rename_command(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="Current code id.")],
    new_id: Annotated[
        str, typer.Argument(help="New id: a slug (same parent) or a full dotted id.")
    ],
) -> None:
    """Rename a code; its sub-codes, codings and memos follow.

    Example: qualcode codebook rename grid.checkpoints bayonets
    """
    from qualcode.store.codebooks import relocate_code

    target = new_id if "." in new_id else ".".join([*code.split(".")[:-1], new_id])
    with open_cli_project(ctx) as project:
        moved = relocate_code(project, code, target)
    message(f"Renamed {code} to {target} ({len(moved)} codes).")


@app.command("move")
def move_command(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="Code id to move.")],
    parent: Annotated[str, typer.Argument(help="New parent code id, or '.' for top level.")],
) -> None:
    """Move a code under another parent; its id, sub-codes, codings and memos follow.

    Example: qualcode codebook move shortfalls.weak_participation improvement
    """
    from qualcode.store.codebooks import relocate_code

    slug = code.rpartition(".")[2]
    target = slug if parent == "." else f"{parent}.{slug}"
    with open_cli_project(ctx) as project:
        moved = relocate_code(project, code, target)
    message(f"Moved {code} to {target} ({len(moved)} codes).")


@app.command("merge")
def merge_command(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(help="Code to merge away.")],
    target: Annotated[str, typer.Argument(help="Code that receives its codings.")],
) -> None:
    """Merge one code into another: codings move, duplicates are dropped, the source retires.

    Example: qualcode codebook merge opinion.publicity opinion.broadcasting
    """
    from qualcode.store.codebooks import merge_codes

    with open_cli_project(ctx) as project:
        report = merge_codes(project, source, target)
    message(
        f"Merged {source} into {target} ({report.moved} codings moved, "
        f"{report.duplicates} duplicates dropped)."
    )


@app.command("suggest")
def suggest_command(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="Full id of the code to find keywords for.")],
    coder: Annotated[
        str | None, typer.Option("--coder", help="Whose manual coding to learn from.")
    ] = None,
    top: Annotated[int, typer.Option("--top", min=1, help="How many candidates.")] = 20,
    write: Annotated[
        Path | None,
        typer.Option("--write", help="Add the chosen candidates to this YAML codebook file."),
    ] = None,
    pick: Annotated[
        str | None, typer.Option("--pick", help="With --write: ranks to add, e.g. 1,3,5.")
    ] = None,
    min_f1: Annotated[
        float | None,
        typer.Option("--min-f1", min=0.0, max=1.0, help="With --write: add all with F1 >= X."),
    ] = None,
    output_format: TableFormatOption = OutputFormat.table,
) -> None:
    """Rank keywords and phrases a coder's segments of CODE use that its rules lack.

    Each candidate comes with its keyness (log-likelihood, log ratio), how many coded and
    uncoded segments contain it, and the precision, recall and F1 the code's rules would have
    against the coder with it added. --write adds the chosen ones to the file (comments and
    layout kept, each noted with the date and coder) and loads it as a new version.

    Example: qualcode codebook suggest opinion.rumours --coder li --write cb.yml --pick 1,3
    """
    from datetime import date

    from qualcode.analysis.discovery import (
        CANDIDATE_FIELDS,
        DiscoveryOptions,
        choose,
        discover_keywords,
        write_discoveries,
    )
    from qualcode.errors import UsageError

    if write is None and (pick is not None or min_f1 is not None):
        raise UsageError("--pick and --min-f1 choose what --write adds: give --write FILE too")
    picks = _ranks(pick)
    with open_cli_project(ctx) as project:
        report = discover_keywords(project, DiscoveryOptions(code, coder, top))
        chosen = choose(report, picks, min_f1) if write is not None else []
        emit_rows(
            [candidate.row() for candidate in report.candidates],
            output_format,
            columns=CANDIDATE_FIELDS,
            title=f"Candidates for {report.code} from {report.coder}",
        )
        message(
            f"{report.code}: {report.coded_segments} segments coded by {report.coder}, "
            f"{report.uncoded_segments} not; the rules now: precision {report.precision}, "
            f"recall {report.recall}, F1 {report.f1} on {report.units} segments "
            f"{report.coder} coded."
        )
        if write is not None:
            result = write_discoveries(project, report, write, chosen, date.today().isoformat())
            added = ", ".join(candidate.candidate for candidate in result.added)
            message(f"{write}: added {added}; codebook version {result.version_id}.")


def _ranks(text: str | None) -> tuple[int, ...]:
    """``1,3,5`` as ranks; one clear line for anything else."""
    from qualcode.errors import UsageError

    if text is None:
        return ()
    parts = [part.strip() for part in text.split(",") if part.strip()]
    if not parts or not all(part.isdigit() and int(part) >= 1 for part in parts):
        raise UsageError(f"--pick takes ranks like 1,3,5, not {text!r}")
    return tuple(int(part) for part in parts)


def register(main_app: typer.Typer) -> None:
    main_app.add_typer(app, name="codebook")
