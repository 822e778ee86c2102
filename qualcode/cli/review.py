"""``qualcode review`` (interactive) and ``qualcode suggestions`` (for scripts)."""

from __future__ import annotations

import enum
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from qualcode.cli.context import open_cli_project
from qualcode.cli.options import TableFormatOption
from qualcode.cli.output import OutputFormat, emit_rows, message
from qualcode.errors import UsageError
from qualcode.models import MAX_ID

if TYPE_CHECKING:
    from qualcode.suggestions import Decision

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


def review_command(
    ctx: typer.Context,
    code: CodeOption = None,
    case: CaseOption = None,
    run: RunOption = None,
    coder: CoderOption = None,
    keys_from: Annotated[
        Path | None,
        typer.Option(
            "--input",
            help="Read the keys from this file ('-' for stdin) instead of the terminal.",
        ),
    ] = None,
) -> None:
    """Decide pending suggestions one at a time in the terminal.

    Keys: a accept, r reject, s skip, u undo, q quit.

    c codes the segment with another code id, m writes a memo on it.

    Every decision is saved at once: quitting or Ctrl-C keeps them.

    --input FILE (or -) reads the keys from a file; a line ends a code id or memo.

    Example: qualcode review --case Chaiji --code grid --coder li
    """
    from qualcode.coding import resolve_coder
    from qualcode.review import ReviewSession, run_review
    from qualcode.suggestions import SuggestionFilter, pending_ids

    if keys_from is None and not sys.stdin.isatty():
        raise UsageError(
            "review is interactive and stdin is not a terminal: use --input FILE, "
            "or 'qualcode suggestions accept/reject' in scripts"
        )
    name = resolve_coder(coder)
    filters = SuggestionFilter("pending", code, case, run)
    keys = None if keys_from is None else _read_keys(keys_from)
    with open_cli_project(ctx) as project:
        session = ReviewSession(project, coder=name, filters=filters)
        if session.state.total == 0:
            message("No pending suggestions in this selection.")
            return
        if keys is None:
            summary = run_review(session)
        else:
            from prompt_toolkit.input import create_pipe_input
            from prompt_toolkit.output import DummyOutput

            with create_pipe_input() as pipe:
                pipe.send_text(keys)
                pipe.close()  # end of the keys ends the session, like q
                summary = run_review(session, input=pipe, output=DummyOutput())
        left = len(pending_ids(project, filters))
    message(
        f"Accepted {summary.accepted}, rejected {summary.rejected}, coded {summary.coded}, "
        f"memos {summary.memos}; {left} pending left in this selection."
    )


def _read_keys(path: Path) -> str:
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
) -> None:
    """List suggestions (pending by default) with their case, code, rule and quote.

    Example: qualcode suggestions list --code grid --status all --format csv
    """
    from qualcode.suggestions import SUGGESTION_FIELDS, SuggestionFilter, list_suggestions

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
    emit_rows(rows, output_format, columns=columns, title="Suggestions")
    message(f"{len(rows)} suggestions.")


def _selected_ids(
    ctx: typer.Context,
    ids: list[int] | None,
    select_all: bool,
    code: str | None,
    case: str | None,
    run: int | None,
) -> list[int]:
    from qualcode.suggestions import SuggestionFilter, pending_ids

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
    from qualcode.coding import resolve_coder
    from qualcode.suggestions import accept_suggestions, reject_suggestions

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
