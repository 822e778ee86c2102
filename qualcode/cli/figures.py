"""``qualcode freq``, ``qualcode chart matrix`` and ``qualcode report``: words and figures."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Annotated

import typer

from qualcode.cli.context import open_cli_project
from qualcode.cli.options import (
    AgreedOption,
    AllSpeakersOption,
    ByOption,
    CaseOption,
    CoderOption,
    CodesOption,
    DepthOption,
    FileOutputOption,
    LanguageChoice,
    LanguageOption,
    LevelChoice,
    LevelOption,
    MeasureChoice,
    MeasureOption,
    OriginChoice,
    OriginOption,
    RawOption,
    TableFormatOption,
    coding_filter,
    matrix_options,
)
from qualcode.cli.output import OutputFormat, emit_rows, message
from qualcode.models import MAX_ID

if TYPE_CHECKING:
    pass

chart_app = typer.Typer(
    help="Figures drawn from the project's codings.\n\n"
    "Example: qualcode chart matrix -o heatmap.png",
    no_args_is_help=True,
)


class SpeakersChoice(enum.StrEnum):
    respondent = "respondent"
    all = "all"
    interviewer = "interviewer"


def freq_command(
    ctx: typer.Context,
    by: Annotated[
        str, typer.Option("--by", help="Groups: 'theme', 'case' or a case attribute.")
    ] = "theme",
    top: Annotated[int, typer.Option("--top", min=1, max=MAX_ID, help="Words per group.")] = 20,
    keyness: Annotated[
        bool,
        typer.Option("--keyness", help="Rank by log-likelihood against the rest (over-use)."),
    ] = False,
    speakers: Annotated[
        SpeakersChoice, typer.Option("--speakers", help="Whose segments count.")
    ] = SpeakersChoice.respondent,
    min_count: Annotated[
        int,
        typer.Option(
            "--min-count", min=1, max=MAX_ID, help="Leave out words rarer than this in a group."
        ),
    ] = 1,
    coder: CoderOption = None,
    origin: OriginOption = OriginChoice.all,
    agreed: AgreedOption = None,
    output_format: TableFormatOption = OutputFormat.table,
    raw: RawOption = False,
) -> None:
    """Top words per theme, case or case attribute, with keyness (signed log-likelihood G2).

    Chinese words via jieba (codebook keywords kept whole), English words as spaCy lemmas.

    Keyness compares a group with all other segments in scope: positive means over-use.
    --coder, --origin and --agreed choose the codings that put a segment under a theme
    (--by theme); the policy used is stated on stderr.

    Example: qualcode freq --by district --top 30 --keyness --format csv
    """
    from qualcode.analysis.freq import FREQ_FIELDS, FreqOptions, word_frequencies
    from qualcode.analysis.query import policy_text

    options = FreqOptions(
        by=by, top=top, speakers=speakers.value, keyness=keyness, min_count=min_count,
        filters=coding_filter(None, None, coder, origin, agreed),
    )  # fmt: skip
    with open_cli_project(ctx) as project:
        rows = word_frequencies(project, options)
    if by == "theme":
        message(f"Themes from codings {policy_text(options.filters)}.")
    columns = (
        ("label", "rank", "word", "count", "per_10k", "keyness")
        if output_format is OutputFormat.table
        else FREQ_FIELDS
    )
    emit_rows(rows, output_format, columns=columns, raw=raw)


@chart_app.command("matrix")
def chart_matrix_command(
    ctx: typer.Context,
    output: FileOutputOption,
    by: ByOption = "case",
    level: LevelOption = LevelChoice.theme,
    depth: DepthOption = None,
    measure: MeasureOption = MeasureChoice.segments,
    coder: CoderOption = None,
    origin: OriginOption = OriginChoice.all,
    agreed: AgreedOption = None,
    codes: CodesOption = None,
    case: CaseOption = None,
    language: LanguageOption = LanguageChoice.zh,
    all_speakers: AllSpeakersOption = False,
) -> None:
    """Draw the theme matrix as a heatmap; PNG, SVG or PDF by the file's suffix.

    The coder policy (--coder, --origin, --agreed) is printed under the title.

    Example: qualcode chart matrix --by district --measure percent -o heatmap.png
    """
    from qualcode.exporting.chart import write_heatmap

    options = matrix_options(
        by, level, depth, measure, coder, origin, codes, case, language,
        all_speakers=all_speakers, agreed=agreed,
    )  # fmt: skip
    with open_cli_project(ctx) as project:
        result = write_heatmap(project, options, output)
    if result.cjk_font is None:
        english = "code names in English where the codebook has them; " * result.english_labels
        message(
            "Warning: no CJK font found (install fonts-noto-cjk): "
            f"{english}Chinese labels may show as boxes."
        )
    message(f"Wrote {result.path} ({result.rows} x {result.columns}).")


def report_command(
    ctx: typer.Context,
    output: FileOutputOption,
    by: ByOption = "case",
    level: LevelOption = LevelChoice.theme,
    depth: DepthOption = None,
    measure: MeasureOption = MeasureChoice.segments,
    quotes: Annotated[
        int, typer.Option("--quotes", min=0, max=MAX_ID, help="Quotes per matrix cell.")
    ] = 5,
    coder: CoderOption = None,
    origin: OriginOption = OriginChoice.all,
    agreed: AgreedOption = None,
    codes: CodesOption = None,
    case: CaseOption = None,
    language: LanguageOption = LanguageChoice.zh,
    all_speakers: AllSpeakersOption = False,
) -> None:
    """Write one self-contained HTML report: summary, codebook, matrix and quotes per cell.

    The file needs no network: open it in any browser, mail it, archive it.

    The header states the coder policy (--coder, --origin, --agreed) the numbers use.

    Example: qualcode report --by community_type --quotes 3 -o report.html

    Example: qualcode report --coder consensus -o consensus.html
    """
    from qualcode.exporting.report import write_report

    options = matrix_options(
        by, level, depth, measure, coder, origin, codes, case, language, quotes, all_speakers,
        agreed,
    )  # fmt: skip
    with open_cli_project(ctx) as project:
        result = write_report(project, options, output)
    message(f"Wrote {result.path}.")


def register(app: typer.Typer) -> None:
    app.command("freq")(freq_command)
    app.add_typer(chart_app, name="chart")
    app.command("report")(report_command)
