"""``qualcode agree`` and ``qualcode sample``: reliability of the coding, for reviewers."""

from __future__ import annotations

import enum
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from qualcode.cli.context import open_cli_project
from qualcode.cli.options import RawOption, TableFormatOption
from qualcode.cli.output import OutputFormat, emit_rows, message, write_json
from qualcode.errors import UsageError
from qualcode.models import MAX_ID

if TYPE_CHECKING:
    from qualcode.agreement.compare import AgreementReport
    from qualcode.agreement.rules import RulesReport


class AgreeFormat(enum.StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    md = "md"


class UnitChoice(enum.StrEnum):
    segment = "segment"
    char = "char"


def _coder_list(text: str) -> tuple[str, ...]:
    return tuple(name.strip() for name in text.split(",") if name.strip())


def agree_command(
    ctx: typer.Context,
    coders: Annotated[
        str, typer.Option("--coders", help="Coders to compare, comma-separated: li,wang[,zhao].")
    ],
    all_segments: Annotated[
        bool,
        typer.Option("--all-segments", help="Use every segment, not only those all coders coded."),
    ] = False,
    unit: Annotated[
        UnitChoice, typer.Option("--unit", help="Units: whole segments or characters.")
    ] = UnitChoice.segment,
    variable: Annotated[
        str | None,
        typer.Option(
            "--variable",
            help="Treat the sub-codes of this code as values of one nominal variable.",
        ),
    ] = None,
    bootstrap: Annotated[
        int,
        typer.Option(
            "--bootstrap", min=0, max=MAX_ID, help="Bootstrap samples for a 95% interval of alpha."
        ),
    ] = 0,
    seed: Annotated[
        int, typer.Option("--seed", min=0, max=MAX_ID, help="Seed of the bootstrap.")
    ] = 0,
    rules: Annotated[
        bool,
        typer.Option("--rules", help="Measure the auto-coding rules against one coder."),
    ] = False,
    min_examples: Annotated[
        int,
        typer.Option(
            "--min-examples",
            min=2,
            max=MAX_ID,
            help="With --rules: coded segments a code needs for a learned model.",
        ),
    ] = 10,
    min_precision: Annotated[
        float,
        typer.Option(
            "--min-precision",
            min=0.0,
            max=1.0,
            help="With --rules: cross-validated precision a learned model needs to suggest.",
        ),
    ] = 0.7,
    other: Annotated[
        Path | None,
        typer.Option("--other", help="Another coder's project file with the same documents."),
    ] = None,
    output_format: Annotated[AgreeFormat, typer.Option("--format")] = AgreeFormat.table,
) -> None:
    """Agreement between coders per code and pooled, or between the rules and a coder.

    Percent agreement, Cohen's kappa (two coders), Fleiss' kappa (three or more) and
    Krippendorff's alpha (nominal), on the segments every compared coder coded (or all
    segments with --all-segments). Says how many disagreements (a code some of the coders
    applied to a segment and some did not) 'qualcode adjudicate' has not settled yet.

    With --rules: the automatic codings against one coder, all together and per kind
    (keyword rules, proximity rules, and learned suggestions measured by cross-validation on
    that coder's segments), per code and pooled.

    Example: qualcode agree --coders li,wang --bootstrap 1000 --seed 7 --format md
    """
    names = _coder_list(coders)
    if rules:
        if len(names) != 1 or other or variable or unit is UnitChoice.char or bootstrap:
            raise UsageError(
                "--rules compares the automatic codings with one coder: "
                "qualcode agree --coders NAME --rules [--format ...]"
            )
        from qualcode.agreement.rules import compare_rules

        with open_cli_project(ctx) as project:
            rules_report = compare_rules(
                project, names[0], min_examples=min_examples, min_precision=min_precision
            )
        _render_rules(rules_report, output_format)
        return
    from qualcode.agreement.compare import AgreementOptions, compare_coders

    options = AgreementOptions(
        coders=names, all_segments=all_segments, unit=unit.value, variable=variable,
        bootstrap=bootstrap, seed=seed, other=other,
    )  # fmt: skip
    with open_cli_project(ctx) as project:
        report = compare_coders(project, options)
    _render_agreement(report, output_format)


def _describe(report: AgreementReport) -> str:
    units = "characters of " if report.unit == "char" else ""
    text = f"{', '.join(report.coders)}: {units}{report.unit_basis} ({report.segments} segments)"
    if report.documents_matched is not None:
        sources = "; ".join(f"{coder} from {path}" for coder, path in report.sources.items())
        text += f" ({report.documents_matched} documents matched by content; {sources})"
    if report.open_disagreements is not None:
        text += (
            f"; {report.open_disagreements} disagreements open for adjudication "
            "(qualcode adjudicate)"
        )
    return text


def _cell(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.3f}"
    if isinstance(value, list):
        return ",".join(str(item) for item in value)
    return str(value)


#: Column headings for people (table and Markdown); CSV and JSON keep the field names.
_HEADERS = {
    "percent_agreement": "agreement",
    "cohen_kappa": "Cohen's kappa",
    "fleiss_kappa": "Fleiss' kappa",
    "krippendorff_alpha": "Krippendorff's alpha",
    "alpha_interval": "alpha 95% CI",
    "true_positives": "TP",
    "false_positives": "FP",
    "false_negatives": "FN",
    "rule_kind": "kind",
    "has_rules": "has rules",
    "cv_precision": "CV precision",
}


def _display(row: dict[str, Any], name: str) -> str:
    if name == "alpha_interval":
        low, high = row.get("krippendorff_alpha_low"), row.get("krippendorff_alpha_high")
        return "n/a" if low is None or high is None else f"[{low:.3f}, {high:.3f}]"
    return _cell(row.get(name))


def _flat(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {key: ",".join(value) if isinstance(value, list) else value for key, value in row.items()}
        for row in rows
    ]


def _emit(
    rows: Sequence[dict[str, Any]],
    output_format: AgreeFormat,
    columns: Sequence[str],
    title: str,
) -> None:
    headers = [_HEADERS.get(name, name) for name in columns]
    shown = [
        {header: _display(row, name) for header, name in zip(headers, columns, strict=True)}
        for row in rows
    ]
    if output_format is AgreeFormat.md:
        sys.stdout.write(f"**{title}**\n\n" if title else "")
        sys.stdout.write("| " + " | ".join(headers) + " |\n")
        sys.stdout.write("|" + "---|" * len(headers) + "\n")
        for display in shown:
            cells = (display[header].replace("|", "\\|") for header in headers)
            sys.stdout.write("| " + " | ".join(cells) + " |\n")
        sys.stdout.write("\n")
    elif output_format is AgreeFormat.table:
        emit_rows(shown, OutputFormat.table, columns=headers, title=title)
    else:
        emit_rows(_flat(rows), OutputFormat(output_format.value))


def _render_agreement(report: AgreementReport, output_format: AgreeFormat) -> None:
    description = _describe(report)
    if output_format is AgreeFormat.json:
        write_json(report.rows)
        message(description)
        return
    if output_format is AgreeFormat.csv:
        _emit(report.rows, output_format, [], "")
        message(description)
        return
    first = report.rows[0] if report.rows else {}
    columns: list[str] = [name for name in ("variable", "code") if name in first]
    columns += ["units", "percent_agreement"]
    columns += [name for name in ("cohen_kappa", "fleiss_kappa") if name in first]
    columns.append("krippendorff_alpha")
    if "krippendorff_alpha_low" in first:
        columns.append("alpha_interval")
    _emit(report.rows, output_format, columns, description)


_SCORE_COLUMNS = ("true_positives", "false_positives", "false_negatives", "precision", "recall",
                  "f1")  # fmt: skip


def _render_rules(report: RulesReport, output_format: AgreeFormat) -> None:
    description = (
        f"auto-coding against {report.coder}: {report.units} segments {report.coder} coded"
    )
    if output_format is AgreeFormat.json:
        write_json(report.as_json())
    elif output_format is AgreeFormat.csv:
        rows = [{"level": "code", "rule_kind": "", "rule": "", **row} for row in report.codes]
        rows += [{"level": "rule", "has_rules": True, **row} for row in report.rules]
        rows += [{"level": "kind", "rule_kind": row["kind"], **row} for row in report.by_kind]
        rows += [
            {"level": "pooled", "code": "", "rule_kind": row["kind"], **row}
            for row in report.pooled
        ]
        columns = ["level", "code", "rule_kind", "rule", *_SCORE_COLUMNS]
        emit_rows(rows, OutputFormat.csv, columns=columns)
    else:
        _emit(report.codes, output_format, ["code", *_SCORE_COLUMNS], description)
        rule_columns = ["code", "rule_kind", "rule", *_SCORE_COLUMNS]
        _emit(report.rules, output_format, rule_columns, "Per rule")
        _emit(
            report.false_positive_rules,
            output_format,
            ["rule", "code", "false_positives", "precision"],
            "Rules with the most false positives",
        )
        _emit(
            report.missed_codes,
            output_format,
            ["code", "false_negatives", "recall", "has_rules"],
            "Codes with the most misses",
        )
        _emit(
            [row for row in report.by_kind if row["kind"] != "rules"],  # the first table
            output_format,
            ["kind", "code", *_SCORE_COLUMNS],
            "Per kind: keyword rules, proximity rules, learned suggestions",
        )
        _emit(
            report.pooled,
            output_format,
            ["kind", "codes", *_SCORE_COLUMNS],
            "Pooled over every code (rules: keyword and proximity together)",
        )
        _emit(
            report.learned,
            output_format,
            ["code", "examples", "positives", "folds", "cv_precision", "status"],
            "Learned models (out-of-fold predictions on the coder's segments)",
        )
    if output_format in (AgreeFormat.json, AgreeFormat.csv):
        message(description)


def sample_command(
    ctx: typer.Context,
    size: Annotated[int, typer.Option("--size", max=MAX_ID, help="How many segments to draw.")],
    seed: Annotated[
        int, typer.Option("--seed", min=0, max=MAX_ID, help="Seed: the same seed, the same sample.")
    ] = 0,
    coded_by: Annotated[
        str | None,
        typer.Option("--coded-by", help="Draw only from segments this coder coded."),
    ] = None,
    all_speakers: Annotated[
        bool,
        typer.Option("--all-speakers", help="Draw interviewer turns too (default: respondents)."),
    ] = False,
    output_format: TableFormatOption = OutputFormat.table,
    raw: RawOption = False,
) -> None:
    """Draw segments for double coding at random, stratified by case (community).

    Draws respondent turns (every segment not marked interviewer); --all-speakers draws
    questions too.

    Example: qualcode sample --size 40 --seed 7 --coded-by li --format csv
    """
    from qualcode.agreement.rules import draw_sample
    from qualcode.analysis.query import SAMPLE_FIELDS

    with open_cli_project(ctx) as project:
        rows = draw_sample(project, size, seed, coded_by=coded_by, all_speakers=all_speakers)
    emit_rows(rows, output_format, columns=SAMPLE_FIELDS, raw=raw)
    message(f"Drew {len(rows)} segments (seed {seed}), stratified by case")


def register(app: typer.Typer) -> None:
    app.command("agree")(agree_command)
    app.command("sample")(sample_command)
