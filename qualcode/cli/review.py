"""``qualcode review`` (interactive) and ``qualcode suggestions`` (for scripts)."""

from __future__ import annotations

import enum
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from qualcode.cli.context import open_cli_project
from qualcode.cli.options import RawOption, TableFormatOption
from qualcode.cli.output import OutputFormat, emit_rows, message
from qualcode.errors import UsageError
from qualcode.models import MAX_ID

if TYPE_CHECKING:
    from prompt_toolkit.input import Input
    from prompt_toolkit.output import Output

    from qualcode.store.codings import SegmentSelection
    from qualcode.store.suggestions import Decision

T = TypeVar("T")

app = typer.Typer(
    help=(
        "List, accept and reject auto-coding suggestions (for scripts; 'qualcode review' is "
        "the interactive way).\n\nExample: qualcode suggestions accept --all --code grid"
    )
)

CodeOption = Annotated[
    str | None, typer.Option("--code", help="Only this code (sub-codes included).")
]
CaseOption = Annotated[str | None, typer.Option("--case", help="Only this case.")]
RunOption = Annotated[
    int | None, typer.Option("--run", min=1, max=MAX_ID, help="Only this auto-coding run.")
]
CoderOption = Annotated[
    str | None,
    typer.Option("--coder", help="Reviewer name (default $QUALCODE_CODER, else your user name)."),
]
IdsArgument = Annotated[
    list[int] | None,
    typer.Argument(
        min=1,
        max=MAX_ID,
        help="Suggestion ids (see 'qualcode suggestions list').",
        show_default=False,
    ),
]


class StatusChoice(enum.StrEnum):
    pending = "pending"
    accepted = "accepted"
    rejected = "rejected"
    all = "all"


KeysOption = Annotated[
    Path | None,
    typer.Option(
        "--input", help="Read the keys from this file ('-' for stdin) instead of the terminal."
    ),
]


def review_command(
    ctx: typer.Context,
    suggestions: Annotated[
        bool,
        typer.Option(
            "--suggestions", help="Decide pending suggestions instead of coding segments."
        ),
    ] = False,
    case: CaseOption = None,
    code: Annotated[
        str | None,
        typer.Option(
            "--code",
            help="Only segments coded with this code, sub-codes included (with --suggestions: "
            "only suggestions of it).",
        ),
    ] = None,
    document: Annotated[
        str | None, typer.Option("--doc", help="Only this document (not with --suggestions).")
    ] = None,
    uncoded: Annotated[
        bool,
        typer.Option(
            "--uncoded",
            help="Only segments you (--coder) have not coded by hand yet: where you left off.",
        ),
    ] = False,
    all_speakers: Annotated[
        bool,
        typer.Option("--all-speakers", help="Interviewer turns too (default: not evidence)."),
    ] = False,
    run: Annotated[
        int | None,
        typer.Option("--run", min=1, max=MAX_ID, help="With --suggestions: only this run."),
    ] = None,
    coder: CoderOption = None,
    keys_from: KeysOption = None,
) -> None:
    """Code segments one at a time in the terminal, or decide suggestions (--suggestions).

    Segments: respondent turns in reading order, each with the turn before it, the codes
    already on it and its pending suggestions, numbered. Keys: c code (id, name or number),
    x uncode, a/r accept/reject a suggestion, m memo, n next, b back, u undo, l list the
    numbered codes, q quit.

    --suggestions: pending suggestions one at a time instead. Keys: a accept, r reject, s skip,
    c code the segment with another code id, m memo, u undo, q quit.

    Every action is saved at once: quitting or Ctrl-C keeps it.

    --input FILE (or -) reads the keys from a file; a line ends a code, number or memo.

    Example: qualcode review --case Chaiji --uncoded --coder li
    """
    from qualcode.store.codings import SegmentSelection, resolve_coder

    if keys_from is None and not sys.stdin.isatty():
        raise UsageError(
            "review is interactive and stdin is not a terminal: use --input FILE, or in "
            "scripts 'qualcode code' and 'qualcode suggestions accept/reject'"
        )
    if suggestions and (document is not None or uncoded or all_speakers):
        raise UsageError(
            "--doc, --uncoded and --all-speakers select segments: not with --suggestions"
        )
    if not suggestions and run is not None:
        raise UsageError("--run selects suggestions: use it with --suggestions")
    name = resolve_coder(coder)
    keys = None if keys_from is None else read_keys(keys_from)
    if suggestions:
        _review_suggestions(ctx, name, code, case, run, keys)
    else:
        selection = SegmentSelection(case, document, code, name if uncoded else None, all_speakers)
        _review_segments(ctx, name, selection, keys)


def run_with_keys(run: Callable[[Input | None, Output | None], T], keys: str | None) -> T:
    """Run a session on the terminal, or on ``keys`` through a pipe when they are given."""
    if keys is None:
        return run(None, None)
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    with create_pipe_input() as pipe:
        pipe.send_text(keys)
        pipe.close()  # end of the keys ends the session, like q
        return run(pipe, DummyOutput())


def _review_suggestions(
    ctx: typer.Context,
    coder: str,
    code: str | None,
    case: str | None,
    run: int | None,
    keys: str | None,
) -> None:
    from qualcode.cli.screen import run_review
    from qualcode.review.suggestions import ReviewSession
    from qualcode.store.suggestions import SuggestionFilter, pending_ids

    filters = SuggestionFilter("pending", code, case, run)
    with open_cli_project(ctx) as project:
        session = ReviewSession(project, coder=coder, filters=filters)
        if session.state.total == 0:
            message("No pending suggestions in this selection.")
            return
        summary = run_with_keys(
            lambda input, output: run_review(session, input=input, output=output), keys
        )
        left = len(pending_ids(project, filters))
    message(
        f"Accepted {summary.accepted}, rejected {summary.rejected}, coded {summary.coded}, "
        f"memos {summary.memos}; {left} pending left in this selection."
    )


def _review_segments(
    ctx: typer.Context, coder: str, selection: SegmentSelection, keys: str | None
) -> None:
    from qualcode.cli.screen import run_segment_review
    from qualcode.review.segments import SegmentSession

    with open_cli_project(ctx) as project:
        session = SegmentSession(project, coder=coder, selection=selection)
        if session.state.total == 0:
            message("No segments in this selection.")
            return
        summary = run_with_keys(
            lambda input, output: run_segment_review(session, input=input, output=output), keys
        )
    state = session.state
    where = (
        f"reached the end of the {state.total} segments"
        if state.finished
        else f"stopped at segment {state.progress()}"
    )
    message(
        f"Coded {summary.coded}, uncoded {summary.uncoded}, accepted {summary.accepted}, "
        f"rejected {summary.rejected}, memos {summary.memos}; {where}."
    )


def read_keys(path: Path) -> str:
    """Keys for a scripted session; a line ends a code id or memo (Enter)."""
    from qualcode.errors import InputError

    if str(path) == "-":
        text = sys.stdin.read()
    else:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise InputError(path, f"cannot read keys ({error})") from error
    return text.replace("\r\n", "\r").replace("\n", "\r")


def list_command(
    ctx: typer.Context,
    status: Annotated[StatusChoice, typer.Option("--status")] = StatusChoice.pending,
    code: CodeOption = None,
    case: CaseOption = None,
    run: RunOption = None,
    output_format: TableFormatOption = OutputFormat.table,
    raw: RawOption = False,
) -> None:
    """List suggestions (pending by default) with their case, code, rule and quote.

    Example: qualcode suggestions list --code grid --status all --format csv
    """
    from qualcode.store.suggestions import SUGGESTION_FIELDS, SuggestionFilter, list_suggestions

    filters = SuggestionFilter(
        None if status is StatusChoice.all else status.value, code, case, run
    )
    columns = (
        ("suggestion_id", "segment_id", "case_name", "code", "rule", "quote", "status")
        if output_format is OutputFormat.table
        else SUGGESTION_FIELDS
    )
    with open_cli_project(ctx) as project:
        rows = list_suggestions(project, filters)
    emit_rows(rows, output_format, columns=columns, title="Suggestions", raw=raw)
    message(f"{len(rows)} suggestions.")


def _selected_ids(
    ctx: typer.Context,
    ids: list[int] | None,
    select_all: bool,
    code: str | None,
    case: str | None,
    run: int | None,
) -> list[int]:
    from qualcode.store.suggestions import SuggestionFilter, pending_ids

    if ids and select_all:
        raise UsageError("give suggestion ids or --all, not both")
    if not ids and not select_all:
        raise UsageError("give suggestion ids, or --all (with --code/--case/--run to narrow it)")
    if ids and (code or case or run is not None):
        raise UsageError("--code, --case and --run narrow --all; they do not apply to ids")
    if ids:
        return ids
    with open_cli_project(ctx) as project:
        return pending_ids(project, SuggestionFilter("pending", code, case, run))


def _report(decisions: list[Decision], verb: str, output_format: OutputFormat) -> None:
    rows = [
        {"suggestion_id": d.suggestion_id, "status": d.status, "coding_id": d.coding_id}
        for d in decisions
    ]
    emit_rows(rows, output_format, columns=("suggestion_id", "status", "coding_id"))
    message(f"{verb} {len(decisions)} suggestions.")


def _decide(
    ctx: typer.Context,
    accept: bool,
    ids: list[int] | None,
    select_all: bool,
    code: str | None,
    case: str | None,
    run: int | None,
    coder: str | None,
    output_format: OutputFormat,
) -> None:
    """Accept (or reject) the selected suggestions in one transaction and report the decisions."""
    from qualcode.store.codings import resolve_coder
    from qualcode.store.suggestions import accept_suggestions, reject_suggestions

    name = resolve_coder(coder)
    selected = _selected_ids(ctx, ids, select_all, code, case, run)
    decide = accept_suggestions if accept else reject_suggestions
    with open_cli_project(ctx) as project:
        decisions = decide(project, selected, coder=name)
    _report(decisions, "Accepted" if accept else "Rejected", output_format)


AllOption = Annotated[
    bool, typer.Option("--all", help="Every pending suggestion (narrow with --code/--case/--run).")
]


def accept_command(
    ctx: typer.Context,
    ids: IdsArgument = None,
    select_all: AllOption = False,
    code: CodeOption = None,
    case: CaseOption = None,
    run: RunOption = None,
    coder: CoderOption = None,
    output_format: TableFormatOption = OutputFormat.table,
) -> None:
    """Accept suggestions as your codings (all or none: one transaction).

    The coding keeps the run id and rule of the suggestion.

    Example: qualcode suggestions accept --all --code grid --coder li
    """
    _decide(ctx, True, ids, select_all, code, case, run, coder, output_format)


def reject_command(
    ctx: typer.Context,
    ids: IdsArgument = None,
    select_all: AllOption = False,
    code: CodeOption = None,
    case: CaseOption = None,
    run: RunOption = None,
    coder: CoderOption = None,
    output_format: TableFormatOption = OutputFormat.table,
) -> None:
    """Reject suggestions (all or none: one transaction); they stay listed as rejected.

    Example: qualcode suggestions reject 13 14 --coder li
    """
    _decide(ctx, False, ids, select_all, code, case, run, coder, output_format)


app.command("list")(list_command)
app.command("accept")(accept_command)
app.command("reject")(reject_command)


def register(main_app: typer.Typer) -> None:
    main_app.command("review")(review_command)
    main_app.add_typer(app, name="suggestions")
