"""``qualcode code``, ``uncode`` and ``memo``: manual coding."""

from __future__ import annotations

import enum
from typing import Annotated

import typer

from qualcode.cli.context import open_cli_project
from qualcode.cli.options import RawOption, TableFormatOption
from qualcode.cli.output import OutputFormat, emit_rows, message
from qualcode.models import MAX_ID

CoderOption = Annotated[
    str | None,
    typer.Option("--coder", help="Coder name (default $QUALCODE_CODER, else your user name)."),
]
QuoteOption = Annotated[
    str | None,
    typer.Option(
        "--quote",
        help="Code only this text inside the segment (a line break in the segment may stand "
        "where the quote has a space or nothing, as in auto-coding).",
    ),
]
StartOption = Annotated[
    int | None,
    typer.Option("--start", min=0, max=MAX_ID, help="Span start within the segment text."),
]
EndOption = Annotated[
    int | None,
    typer.Option("--end", min=1, max=MAX_ID, help="Span end (exclusive) within the segment text."),
]


def code_command(
    ctx: typer.Context,
    segment_id: Annotated[
        int, typer.Argument(min=1, max=MAX_ID, help="Segment id (see 'qualcode segments').")
    ],
    code: Annotated[str, typer.Argument(help="Code id, e.g. grid.five_step.")],
    coder: CoderOption = None,
    quote: QuoteOption = None,
    start: StartOption = None,
    end: EndOption = None,
    memo: Annotated[str | None, typer.Option("--memo", help="A memo on this coding.")] = None,
) -> None:
    """Code a segment, or a span inside it, by hand.

    Example: qualcode code 42 grid.checkpoints --quote "卡口" --coder li
    """
    from qualcode.store.codings import Span, code_segment, resolve_coder

    name = resolve_coder(coder)
    with open_cli_project(ctx) as project:
        result = code_segment(
            project, segment_id, code, coder=name, span=Span(quote, start, end), memo=memo
        )
    verb = "Coded" if result.created else "Already coded"
    message(f"{verb} segment {segment_id} {code} ({name}): {result.quote[:60]}")


def uncode_command(
    ctx: typer.Context,
    segment_id: Annotated[int, typer.Argument(min=1, max=MAX_ID, help="Segment id.")],
    code: Annotated[str, typer.Argument(help="Code id.")],
    coder: CoderOption = None,
    quote: QuoteOption = None,
    start: StartOption = None,
    end: EndOption = None,
) -> None:
    """Remove your manual coding of a code from a segment (all spans, or the one given).

    Example: qualcode uncode 42 grid.checkpoints --coder li
    """
    from qualcode.store.codings import Span, resolve_coder, uncode_segment

    name = resolve_coder(coder)
    with open_cli_project(ctx) as project:
        removed = uncode_segment(
            project, segment_id, code, coder=name, span=Span(quote, start, end)
        )
    message(f"Removed {removed} coding(s) of {code} from segment {segment_id} ({name}).")


class MemoTargetChoice(enum.StrEnum):
    segment = "segment"
    code = "code"
    document = "document"


def memo_command(
    ctx: typer.Context,
    target: Annotated[str, typer.Argument(help="Segment id, code id or document name.")],
    text: Annotated[str, typer.Argument(help="The memo.")],
    on: Annotated[MemoTargetChoice, typer.Option("--on", help="What TARGET names.")] = (
        MemoTargetChoice.segment
    ),
    coder: CoderOption = None,
) -> None:
    """Write a memo on a segment (default), a code or a document.

    Example: qualcode memo 42 "Secretary contrasts 2020 and 2022 lockdowns"
    """
    from qualcode.store.codings import add_memo, resolve_coder

    with open_cli_project(ctx) as project:
        memo_id = add_memo(project, on.value, target, text, coder=resolve_coder(coder))
    message(f"Memo {memo_id} on {on.value} {target}.")


def memos_command(
    ctx: typer.Context,
    output_format: TableFormatOption = OutputFormat.table,
    raw: RawOption = False,
) -> None:
    """List memos, each with what it is attached to.

    Memos on segments, codes and documents first, then the memos written with codings (code
    ... --memo, or a codings table's memo column).

    Example: qualcode memos --format csv
    """
    from qualcode.analysis.query import memo_listing

    with open_cli_project(ctx) as project:
        emit_rows(memo_listing(project.conn), output_format, title="Memos", raw=raw)


def register(app: typer.Typer) -> None:
    app.command("code")(code_command)
    app.command("uncode")(uncode_command)
    app.command("memo")(memo_command)
    app.command("memos")(memos_command)
