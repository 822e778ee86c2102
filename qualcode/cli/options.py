"""Choices and options the commands share, declared once so they are spelled alike everywhere.

``matrix``, ``cooccur``, ``quotes``, ``chart matrix`` and ``report`` take the same filters
(``--codes``, ``--case``) and the same coder policy (``--coder``, repeatable; ``--origin``;
``--agreed K``), the same ``--lang`` and, where they
write tables, the same ``--format`` / ``-o`` / ``--excel``.
"""

from __future__ import annotations

import enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from qualcode.cli.output import OutputFormat
from qualcode.exporting.tables import ExportFormat
from qualcode.models import MAX_ID

if TYPE_CHECKING:
    from qualcode.analysis.matrix import MatrixOptions
    from qualcode.analysis.query import CodingFilter


class OriginChoice(enum.StrEnum):
    all = "all"
    manual = "manual"
    auto = "auto"


class LanguageChoice(enum.StrEnum):
    """Language of code names in output."""

    zh = "zh"
    en = "en"


class TextLanguageChoice(enum.StrEnum):
    """Language of imported text: detected, Chinese or English."""

    auto = "auto"
    zh = "zh"
    en = "en"


class LevelChoice(enum.StrEnum):
    theme = "theme"
    code = "code"


class MeasureChoice(enum.StrEnum):
    segments = "segments"
    count_ = "count"  # "count" itself would shadow str.count
    presence = "presence"
    percent = "percent"
    coverage = "coverage"
    respondents = "respondents"


CodesOption = Annotated[
    list[str] | None,
    typer.Option("--codes", "--code", help="Only these codes, sub-codes included (repeat the "
                 "option or separate ids with commas)."),
]  # fmt: skip
CaseOption = Annotated[
    list[str] | None, typer.Option("--case", help="Only these cases (repeatable).")
]
CoderOption = Annotated[
    list[str] | None,
    typer.Option("--coder", help="Only these coders' codings (repeat the option or separate "
                 "names with commas; 'auto' names the automatic codings)."),
]  # fmt: skip
OriginOption = Annotated[
    OriginChoice,
    typer.Option("--origin", help="manual (accepted suggestions included), auto or all."),
]
AgreedOption = Annotated[
    int | None,
    typer.Option(
        "--agreed", min=1, max=MAX_ID, metavar="K",
        help="Count a segment for a code only when at least K coders (among --coder's, if "
        "given; the auto-coder is one) applied that code to it. Themes roll up agreed codes.",
    ),
]  # fmt: skip
FormatOption = Annotated[
    ExportFormat | None,
    typer.Option("--format", help="Output format [default: from -o's suffix, else table]."),
]
#: ``--format`` of the commands that print a table, json, csv or md to stdout.
TableFormatOption = Annotated[OutputFormat, typer.Option("--format")]
OutputOption = Annotated[
    Path | None, typer.Option("--output", "-o", help="Write to FILE instead of stdout.")
]
ExcelOption = Annotated[
    bool, typer.Option("--excel", help="CSV with a BOM, so Excel opens Chinese correctly.")
]
RawOption = Annotated[
    bool,
    typer.Option(
        "--raw",
        help="CSV: write text exactly as stored. By default text starting with = + - @ gets a "
        "leading ' (so a spreadsheet shows it as text, never runs it) and control characters "
        "are replaced.",
    ),
]
LanguageOption = Annotated[LanguageChoice, typer.Option("--lang", help="Language of code names.")]
ByOption = Annotated[
    str, typer.Option("--by", help="Rows: 'case' or any case attribute (district, ...).")
]
DepthOption = Annotated[
    int | None,
    typer.Option("--depth", min=0, max=MAX_ID, help="With --level code: only codes at this "
                 "depth (1 = directly under the themes)."),
]  # fmt: skip
LevelOption = Annotated[LevelChoice, typer.Option("--level", help="Columns: themes or codes.")]
FileOutputOption = Annotated[Path, typer.Option("--output", "-o", help="File to write.")]
MeasureOption = Annotated[
    MeasureChoice,
    typer.Option(
        "--measure",
        help="What a cell counts, over what: segments = distinct coded segments; count = "
        "codings; presence = 1 if any coded segment; percent = coded segments / the row's "
        "segments; coverage = coded characters / the row's characters in segments; "
        "respondents = documents with a coded segment (base: the row's documents). Segments "
        "are respondent turns unless --all-speakers.",
    ),
]
AllSpeakersOption = Annotated[
    bool,
    typer.Option(
        "--all-speakers",
        help="Count interviewer turns too, in numerators and bases (default: respondent turns).",
    ),
]


def split_codes(values: list[str] | None) -> tuple[str, ...]:
    """``["a,b", "c"]`` -> ``("a", "b", "c")``: repeated options and comma lists alike."""
    return tuple(
        part.strip() for value in values or () for part in value.split(",") if part.strip()
    )


def coding_filter(
    codes: list[str] | None,
    cases: list[str] | None,
    coders: list[str] | None,
    origin: OriginChoice,
    agreed: int | None = None,
) -> CodingFilter:
    """The shared filter (and coder policy) from the command-line options."""
    from qualcode.analysis.query import CodingFilter

    return CodingFilter(
        coders=split_codes(coders), origin=origin.value, codes=split_codes(codes),
        cases=tuple(cases or ()), agreed=agreed,
    )  # fmt: skip


def matrix_options(
    by: str, level: LevelChoice, depth: int | None, measure: MeasureChoice,
    coders: list[str] | None, origin: OriginChoice, codes: list[str] | None,
    case: list[str] | None, language: LanguageChoice,
    quotes: int = 0,
    all_speakers: bool = False,
    agreed: int | None = None,
) -> MatrixOptions:  # fmt: skip
    """The matrix options of ``matrix``, ``chart matrix`` and ``report``, from their options."""
    from qualcode.analysis.matrix import MatrixOptions

    return MatrixOptions(
        by=by, level=level.value, depth=depth, measure=measure.value,
        filters=coding_filter(codes, case, coders, origin, agreed), quotes=quotes,
        language=language.value, all_speakers=all_speakers,
    )  # fmt: skip
