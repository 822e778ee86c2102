"""``qualcode search``: keyword in context over the stored segments."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Annotated

import typer

from qualcode.cli.context import open_cli_project
from qualcode.cli.options import RawOption, TableFormatOption
from qualcode.cli.output import OutputFormat, emit_rows, message, stdout_console, terminal_text
from qualcode.cli.segments import CaseOption, DocOption, SpeakerOption
from qualcode.models import MAX_ID

if TYPE_CHECKING:
    from qualcode.store.search import SearchHit


#: Keyword-in-context lines printed unless --all or --limit says otherwise (the rest are
#: counted): a frequent word in a large project would otherwise scroll for minutes.
SHOWN_BY_DEFAULT = 50

#: On a terminal, a case name longer than this many cells is cut with "…", so that a long
#: file name used as case name leaves room for the context (piped output keeps it whole).
CASE_CELLS = 16


def _last_cells(text: str, cells: int) -> str:
    """The longest end of ``text`` that takes at most ``cells`` terminal cells."""
    from rich.cells import cell_len

    taken, index = 0, len(text)
    while index > 0 and taken + cell_len(text[index - 1]) <= cells:
        index -= 1
        taken += cell_len(text[index])
    return text[index:]


def _first_cells(text: str, cells: int) -> str:
    """The longest start of ``text`` that takes at most ``cells`` terminal cells."""
    from rich.cells import cell_len

    taken, index = 0, 0
    while index < len(text) and taken + cell_len(text[index]) <= cells:
        taken += cell_len(text[index])
        index += 1
    return text[:index]


def _context_line(hit: SearchHit, cells: int) -> tuple[str, str, str]:
    """Left context, hit, right context around the first occurrence, on one line.

    Context is measured in terminal cells, not characters: a Chinese character takes two, so
    ``cells`` of context is as wide on screen in either language.
    """
    text = hit.segment["text"].replace("\n", " ")
    start, end = hit.spans[0]
    left = _last_cells(text[:start], cells)
    right = _first_cells(text[end:], cells)
    return (
        ("…" if len(left) < start else "") + left,
        text[start:end],
        right + ("…" if end + len(right) < len(text) else ""),
    )


def search_command(
    ctx: typer.Context,
    query: Annotated[
        str | None,
        typer.Argument(
            help='Words, "phrases", OR, NOT, word* (see above); quote the whole '
            "query for your shell."
        ),
    ] = None,
    exclude: Annotated[
        list[str] | None,
        typer.Option("--exclude", help="Leave out segments containing WORD (repeatable)."),
    ] = None,
    regex: Annotated[
        str | None,
        typer.Option(
            "--regex", help="Scan with a regular expression instead of a query (case-insensitive)."
        ),
    ] = None,
    doc: DocOption = None,
    case: CaseOption = None,
    speaker: SpeakerOption = None,
    width: Annotated[
        int,
        typer.Option(
            min=0,
            max=10_000,
            help="Context on each side, in terminal cells (a Chinese character takes two).",
        ),
    ] = 30,
    limit: Annotated[
        int | None,
        typer.Option("--limit", min=1, max=MAX_ID, help="List at most N segments."),
    ] = None,
    show_all: Annotated[
        bool,
        typer.Option(
            "--all",
            help=f"Terminal lines: list every hit (default: the first "
            f"{SHOWN_BY_DEFAULT}, then the count). json and csv always list all.",
        ),
    ] = False,
    output_format: TableFormatOption = OutputFormat.table,
    raw: RawOption = False,
) -> None:
    """Keyword in context: every segment that QUERY finds, its terms highlighted.

    \b
    Query forms (Chinese terms of one or two characters work in all of them):
      qualcode search "网格 志愿者"        both words, anywhere in the segment
      qualcode search '"grid workers"'     the quoted phrase exactly
      qualcode search "志愿者 OR 党员"     either word (OR binds tighter than spaces)
      qualcode search "网格 NOT 谣言"      网格 but not 谣言 (also: --exclude 谣言)
      qualcode search "volunt*"            English words starting with volunt
      qualcode search --regex "第[0-9]+网格"  a regular expression
    A query that starts with - would be read as an option: put -- before it, as in
    qualcode search -- "-19 病例".

    Example: qualcode search 网格员 --case Chaiji
    """
    from qualcode.errors import UsageError
    from qualcode.store.search import count_matches, search, search_pattern
    from qualcode.text.search_query import parse_query

    if show_all and limit is not None:
        raise UsageError("give --all or --limit N, not both")
    if (query is None) == (regex is None):
        raise UsageError("give a QUERY or --regex PATTERN (not both): qualcode search 网格员")
    parsed = None if query is None else parse_query(query, tuple(exclude or ()))
    if regex is not None and exclude:
        raise UsageError("--exclude works with a QUERY, not with --regex")
    lists_all = show_all or limit is not None or output_format is not OutputFormat.table
    shown = None if lists_all else SHOWN_BY_DEFAULT
    with open_cli_project(ctx) as project:
        listed = limit if shown is None else shown + 1  # one more says whether to count
        if parsed is not None:
            hits = search(
                project, parsed, case_name=case, document=doc, speaker=speaker, limit=listed
            )
        else:
            hits = search_pattern(
                project, regex or "", case_name=case, document=doc, speaker=speaker, limit=listed
            )
        if output_format is not OutputFormat.table:
            rows = (
                dict(hit.segment, hits=[list(span) for span in hit.spans])
                if output_format is OutputFormat.json
                else dict(hit.segment, hits=len(hit.spans))
                for hit in hits
            )
            emit_rows(rows, output_format, raw=raw)
            return
        printed = _print_keyword_in_context(hits, width, shown)
        if shown is None or printed <= shown:
            message(f"{printed} segments")
            return
        if parsed is not None:
            total = count_matches(project, parsed, case_name=case, document=doc, speaker=speaker)
        else:
            all_hits = search_pattern(
                project, regex or "", case_name=case, document=doc, speaker=speaker
            )
            total = sum(1 for _ in all_hits)
        message(
            f"{shown} of {total} segments shown; --all lists every one, --limit N another number"
        )


def _print_keyword_in_context(hits: Iterable[SearchHit], width: int, shown: int | None) -> int:
    """One line per hit, the first ``shown`` of them (all if ``None``); return how many hits
    there were. On a terminal the context shrinks to fit the line, so that the hit itself is
    never cropped away; piped output is never cropped."""
    from rich.cells import cell_len
    from rich.text import Text

    console = stdout_console()
    terminal = console.is_terminal
    count = 0
    for hit in hits:
        count += 1
        if shown is not None and count > shown:
            continue  # counted, not printed
        segment = hit.segment
        line = Text()
        line.append(f"{segment['segment_id']:>7} ", style="cyan")
        case_name = terminal_text(segment["case_name"])
        if terminal and cell_len(case_name) > CASE_CELLS:
            case_name = _first_cells(case_name, CASE_CELLS - 1) + "…"
        line.append(f"{case_name} ", style="green")
        line.append(f"{terminal_text(segment['speaker'] or '-')}: ", style="dim")
        cells = width
        if terminal:
            start, end = hit.spans[0]
            hit_cells = cell_len(segment["text"][start:end])
            room = console.width - line.cell_len - hit_cells - 2  # 2: the ellipses
            cells = max(0, min(width, room // 2))
        left, match, right = _context_line(hit, cells)
        line.append(terminal_text(left))
        line.append(terminal_text(match), style="bold reverse")
        line.append(terminal_text(right))
        if terminal:
            console.print(line, overflow="ellipsis", no_wrap=True)
        else:
            console.print(line, soft_wrap=True)
    return count


def register(app: typer.Typer) -> None:
    app.command("search")(search_command)
