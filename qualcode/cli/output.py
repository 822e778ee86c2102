"""Rendering for every command: data to stdout, messages to stderr (DESIGN.md section 2).

Listings share one :func:`emit_rows` so ``--format table|csv|json`` behaves the same
everywhere; JSON uses the SQL views' field names. CSV cells are spreadsheet-safe
(:func:`qualcode.exporting.tables.spreadsheet_text`, ``--raw`` to write them as stored), and
what is printed for a person (tables, text) goes through :func:`terminal_text`, so a
transcript cannot send escape sequences to the terminal.
"""

from __future__ import annotations

import csv
import enum
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console


class OutputFormat(enum.StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


def stdout_console() -> Console:
    from rich.console import Console

    return Console(file=sys.stdout, highlight=False, soft_wrap=False)


def stderr_console() -> Console:
    from rich.console import Console

    return Console(file=sys.stderr, highlight=False)


def terminal_text(value: Any) -> str:
    """``value`` as text to print for a person: escape sequences and control characters other
    than tab and newline shown as U+FFFD instead of reaching the terminal; ``None`` empty."""
    from qualcode.text.decoding import replace_control_characters

    return "" if value is None else replace_control_characters(str(value))


def message(text: str) -> None:
    """A line for the user, on stderr so that stdout stays clean for data."""
    print(text, file=sys.stderr)


def format_seconds(seconds: float | None) -> str:
    """``75.5`` -> ``"00:01:15.500"``; ``None`` -> ``""``."""
    if seconds is None:
        return ""
    whole = int(seconds)
    milliseconds = round((seconds - whole) * 1000)
    hours, remainder = divmod(whole, 3600)
    minutes, secs = divmod(remainder, 60)
    stamp = f"{hours:02d}:{minutes:02d}:{secs:02d}"
    return f"{stamp}.{milliseconds:03d}" if milliseconds else stamp


def write_json(value: Any) -> None:
    json.dump(value, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def emit_rows(
    rows: Iterable[Mapping[str, Any]],
    output_format: OutputFormat,
    *,
    columns: Sequence[str] | None = None,
    title: str | None = None,
    raw: bool = False,
) -> int:
    """Print rows as a table, CSV or a JSON array; return how many were printed.

    CSV and JSON stream row by row, so long listings do not build up in memory; a terminal
    table shows the first :data:`TABLE_ROWS` rows and says how many there are. CSV cells go
    through :func:`~qualcode.exporting.tables.spreadsheet_text` unless ``raw``.
    """
    if output_format is OutputFormat.json:
        count = 0
        sys.stdout.write("[")
        for row in rows:
            sys.stdout.write(",\n  " if count else "\n  ")
            sys.stdout.write(json.dumps(row, ensure_ascii=False))
            count += 1
        sys.stdout.write("\n]\n" if count else "]\n")
        return count
    if output_format is OutputFormat.csv:
        from qualcode.exporting.tables import spreadsheet_text

        count = 0
        writer: csv.DictWriter[str] | None = None
        for row in rows:
            if writer is None:
                writer = csv.DictWriter(
                    sys.stdout,
                    fieldnames=list(columns or row.keys()),
                    extrasaction="ignore",
                    lineterminator="\n",
                )
                writer.writerow(
                    {name: spreadsheet_text(name, raw=raw) for name in writer.fieldnames}
                )
            writer.writerow({name: spreadsheet_text(value, raw=raw) for name, value in row.items()})
            count += 1
        if writer is None and columns:
            csv.writer(sys.stdout, lineterminator="\n").writerow(
                [spreadsheet_text(name, raw=raw) for name in columns]
            )
        return count
    import itertools

    remaining = iter(rows)
    shown = list(itertools.islice(remaining, TABLE_ROWS))
    more = sum(1 for _row in remaining)  # counted, not kept: memory stays flat
    printed = _emit_table(shown, columns, title)
    if more:
        message(
            f"{len(shown):,} of {len(shown) + more:,} rows shown; --format csv or json lists "
            "them all"
        )
    return printed


#: Rows a terminal table shows; the rest are counted (csv and json stream every row).
TABLE_ROWS = 1_000


#: Columns that hold running text: they take the width the other columns leave.
TEXT_COLUMNS = frozenset({"text", "quote", "first_words", "context", "memo", "summary", "message"})
#: The narrowest text column worth printing; below it, each row becomes a block of lines.
MIN_TEXT_WIDTH = 24
#: The narrowest a name column (document, case, code ...) is cut to in the terminal, with an
#: ellipsis (csv, json and xlsx keep names whole).
MIN_NAME_WIDTH = 8
#: How far name columns are cut, when a table has text, before the text is wrapped instead:
#: enough for a community's name and the start of a file name.
COMFORTABLE_NAME_WIDTH = 24


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _cell(value: Any) -> str:
    """A value as a terminal cell: escape sequences and control characters made harmless."""
    return terminal_text(value)


def _emit_table(
    rows: list[Mapping[str, Any]], columns: Sequence[str] | None, title: str | None
) -> int:
    """A terminal table readable at any width.

    Number columns are never narrower than their widest number; name columns are cut with
    ``…`` rather than squeezing the numbers; text columns take the remaining width, names
    being cut before the text wraps (:func:`_column_widths`). When even that does not fit
    (or leaves text less than :data:`MIN_TEXT_WIDTH`), every row is printed as a block
    instead: its fields on one line, its text below.
    """
    from rich.cells import cell_len
    from rich.table import Table

    console = stdout_console()
    names = list(columns or (rows[0].keys() if rows else []))
    values = {name: [row.get(name) for row in rows] for name in names}
    numbers = {
        name
        for name in names
        if any(v is not None for v in values[name])
        and all(v is None or _is_number(v) for v in values[name])
    }
    texts = [name for name in names if name in TEXT_COLUMNS]
    others = [name for name in names if name not in numbers and name not in texts]
    widest = {
        name: max([cell_len(name), *(cell_len(_cell(v)) for v in values[name])]) for name in names
    }
    available = console.width - (3 * len(names) + 1)  # borders and one space each side
    number_names = [name for name in names if name in numbers]
    widths = _column_widths(widest, number_names, others, texts, available)
    if widths is None:
        return _emit_blocks(rows, names, texts, title)
    table = Table(title=title, show_lines=False, header_style="bold")
    for name in names:
        if name in texts:
            table.add_column(terminal_text(name), overflow="fold", width=widths[name])
        else:
            table.add_column(
                terminal_text(name), justify="right" if name in numbers else "left", no_wrap=True,
                overflow="ellipsis", width=widths[name],
            )  # fmt: skip
    for row in rows:
        table.add_row(*(_cell(row.get(name)) for name in names))
    console.print(table)
    return len(rows)


def _column_widths(
    widest: dict[str, int],
    numbers: list[str],
    others: list[str],
    texts: list[str],
    available: int,
) -> dict[str, int] | None:
    """Widths for a table ``available`` cells wide, or ``None`` when it cannot be readable.

    Numbers always keep their widest number. Without text columns, names take the rest (cut
    with ``…`` when they must be). With text columns, the text comes first: names are cut to
    :data:`COMFORTABLE_NAME_WIDTH` (or their own width) before the text is wrapped, the text
    takes everything they leave, and only when that would leave the text less than
    :data:`MIN_TEXT_WIDTH` are names cut further, to :data:`MIN_NAME_WIDTH`. ``None`` when even
    that does not fit: the caller prints one block per row.
    """
    widths = dict(widest)
    room = available - sum(widest[name] for name in numbers)
    if not texts:
        if sum(min(widest[name], MIN_NAME_WIDTH) for name in others) > room:
            return None
        widths.update(_fit({name: widest[name] for name in others}, room))
        return widths
    text_natural = sum(widest[name] for name in texts)
    text_least = sum(min(widest[name], MIN_TEXT_WIDTH) for name in texts)
    comfortable = sum(min(widest[name], COMFORTABLE_NAME_WIDTH) for name in others)
    if room - comfortable >= text_natural:
        name_budget = room - text_natural  # the text whole on one line; names get the rest
    elif room - comfortable >= text_least:
        name_budget = comfortable
    else:
        name_budget = room - text_least
        if name_budget < sum(min(widest[name], MIN_NAME_WIDTH) for name in others):
            return None
    widths.update(_fit({name: widest[name] for name in others}, name_budget))
    text_room = room - sum(widths[name] for name in others)
    widths.update(_share(text_room, {name: widest[name] for name in texts}))
    return widths


def _share(room: int, natural: dict[str, int]) -> dict[str, int]:
    """``room`` cells shared by text columns: a column that needs less than an even share gets
    what it needs, the others split the rest evenly."""
    shares: dict[str, int] = {}
    pending = dict(natural)
    while pending:
        even = room // len(pending)
        small = {name: width for name, width in pending.items() if width <= even}
        if not small:
            for name in pending:
                shares[name] = max(even, 1)
            break
        for name, width in small.items():
            shares[name] = width
            room -= width
            del pending[name]
    return shares


def _fit(widths: dict[str, int], budget: int) -> dict[str, int]:
    """Column widths cut so that they add up to at most ``budget``: the widest are cut first,
    none below :data:`MIN_NAME_WIDTH` (or its own width)."""
    if sum(widths.values()) <= budget:
        return widths
    cap = max(widths.values()) if widths else 0
    while cap > MIN_NAME_WIDTH and sum(min(width, cap) for width in widths.values()) > budget:
        cap -= 1
    return {name: min(width, cap) for name, width in widths.items()}


def _pack(fields: list[str], width: int) -> list[str]:
    """``fields`` joined by two spaces into lines of at most ``width`` cells where they fit,
    so that a field's name and value stay together."""
    from rich.cells import cell_len

    lines: list[str] = []
    for field in fields:
        if lines and cell_len(lines[-1]) + 2 + cell_len(field) <= width:
            lines[-1] += "  " + field
        else:
            lines.append(field)
    return lines


def _emit_blocks(
    rows: list[Mapping[str, Any]], names: list[str], texts: list[str], title: str | None
) -> int:
    """One block per row for a narrow terminal: the fields on one line, the text below."""
    console = stdout_console()
    if title:
        console.print(title, style="bold", markup=False)
    for row in rows:
        fields = [f"{name} {_cell(row.get(name))}" for name in names if name not in texts]
        for line in _pack(fields, console.width):
            console.print(line, style="bold", markup=False, overflow="fold")
        for name in texts:
            console.print(_cell(row.get(name)), markup=False, overflow="fold")
        console.print()
    return len(rows)
