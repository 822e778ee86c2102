"""``qualcode adjudicate``: settle where coders disagree, as codings of a consensus coder."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from qualcode.cli.context import open_cli_project
from qualcode.cli.output import message
from qualcode.cli.review import KeysOption, read_keys, run_with_keys
from qualcode.errors import UsageError
from qualcode.models import DEFAULT_CONSENSUS


def adjudicate_command(
    ctx: typer.Context,
    coders: Annotated[
        str,
        typer.Option("--coders", help="The coders whose disagreements to settle: li,wang[,...]."),
    ],
    consensus: Annotated[
        str, typer.Option("--as", help="Write the result as this coder's codings.")
    ] = DEFAULT_CONSENSUS,
    decisions: Annotated[
        Path | None,
        typer.Option(
            "--decisions", help="CSV of decisions (keep/drop per disagreement), from --list."
        ),
    ] = None,
    keep_agreed: Annotated[
        bool,
        typer.Option("--keep-agreed", help="Keep every agreement (all coders applied the code)."),
    ] = False,
    listing: Annotated[
        Path | None,
        typer.Option(
            "--list", help="Write the open disagreements as a decisions CSV ('-': stdout) and stop."
        ),
    ] = None,
    all_segments: Annotated[
        bool,
        typer.Option(
            "--all-segments",
            help="Every segment any of them coded (default: those all of them coded).",
        ),
    ] = False,
    decided_by: Annotated[
        str | None,
        typer.Option(
            "--decided-by", help="Who decides [default: $QUALCODE_CODER, else your user name]."
        ),
    ] = None,
    keys_from: KeysOption = None,
) -> None:
    """Settle the disagreements of two or more coders as codings of a consensus coder.

    A disagreement is a segment and a code that some of the coders applied and some did not
    (on segments all of them coded, unless --all-segments). In the terminal it shows each
    one (the segment with the coded spans, who applied the code, their memos, who did not):
    k keeps the code as the consensus coder's coding, d drops it, s leaves it open, u takes
    the last decision back, q quits; each decision is saved at once.

    Scripted: --list FILE.csv writes the open disagreements with an empty decision column;
    fill in keep or drop (and a note if you like), then --decisions FILE.csv applies them in
    one transaction. --keep-agreed also keeps every agreement. Every decision is recorded
    with the coders, who applied the code, and who decided when; 'qualcode undo' takes an
    adjudication back. Then 'qualcode matrix --coder consensus' is the settled matrix.

    Example: qualcode adjudicate --coders li,wang --list open.csv

    Example: qualcode adjudicate --coders li,wang --decisions open.csv --keep-agreed
    """
    from qualcode.store.codings import resolve_coder

    names = tuple(name.strip() for name in coders.split(",") if name.strip())
    if listing is not None:
        if decisions is not None or keep_agreed:
            raise UsageError("--list writes the open disagreements: not with --decisions")
        _list(ctx, names, listing, all_segments)
        return
    who = resolve_coder(decided_by)
    if decisions is not None or (keep_agreed and keys_from is None and not sys.stdin.isatty()):
        _scripted(ctx, names, consensus.strip(), who, decisions, keep_agreed, all_segments)
        return
    if keys_from is None and not sys.stdin.isatty():
        raise UsageError(
            "adjudicate is interactive and stdin is not a terminal: use --list FILE.csv and "
            "--decisions FILE.csv (or --input FILE for keys)"
        )
    _interactive(ctx, names, consensus.strip(), who, keep_agreed, all_segments, keys_from)


def _list(ctx: typer.Context, names: tuple[str, ...], path: Path, all_segments: bool) -> None:
    from qualcode.flows.adjudication import write_disagreements

    target = None if str(path) == "-" else path
    with open_cli_project(ctx) as project:
        count = write_disagreements(project, names, target, all_segments=all_segments)
    where = f"Wrote {path}: " if target is not None else ""
    message(f"{where}{count} open disagreements of {', '.join(sorted(set(names)))}.")


def _scripted(
    ctx: typer.Context, names: tuple[str, ...], consensus: str, who: str,
    decisions: Path | None, keep_agreed: bool, all_segments: bool,
) -> None:  # fmt: skip
    from qualcode.flows.adjudication import AdjudicateOptions, adjudicate_scripted

    options = AdjudicateOptions(
        names, consensus, who, decisions=decisions, keep_agreed=keep_agreed,
        all_segments=all_segments,
    )  # fmt: skip
    with open_cli_project(ctx) as project:
        result = adjudicate_scripted(project, options)
    written = result.written
    agreements = f" (agreements: {result.agreements_kept})" if keep_agreed else ""
    message(
        f"Kept {written.kept}{agreements}, dropped {written.dropped}: {written.codings_added} "
        f"codings by {consensus}; {result.left_open} disagreements still open."
    )


def _interactive(
    ctx: typer.Context, names: tuple[str, ...], consensus: str, who: str, keep_agreed: bool,
    all_segments: bool, keys_from: Path | None,
) -> None:  # fmt: skip
    from qualcode.cli.screen import run_adjudication
    from qualcode.review.adjudication import AdjudicationSession

    keys = None if keys_from is None else read_keys(keys_from)
    with open_cli_project(ctx) as project:
        session = AdjudicationSession(
            project, names, consensus=consensus, decided_by=who, all_segments=all_segments,
            keep_agreed=keep_agreed,
        )  # fmt: skip
        if session.state.total:
            run_with_keys(
                lambda input, output: run_adjudication(session, input=input, output=output), keys
            )
    summary = session.summary
    left = session.state.total - summary.kept - summary.dropped
    agreements = f" and {summary.agreements_kept} agreements" if keep_agreed else ""
    message(
        f"Kept {summary.kept}{agreements}, dropped {summary.dropped} as {consensus}; "
        f"{left} disagreements still open."
    )


def register(app: typer.Typer) -> None:
    app.command("adjudicate")(adjudicate_command)
