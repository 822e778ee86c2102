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

    CSV and JSON stream row by row, so long listings do not build up in memory. CSV cells go
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
    return _emit_table(list(rows), columns, title)


def _emit_table(
    rows: list[Mapping[str, Any]], columns: Sequence[str] | None, title: str | None
) -> int:
    from rich.table import Table

    names = list(columns or (rows[0].keys() if rows else []))
    table = Table(title=title, show_lines=False, header_style="bold")
    for name in names:
        table.add_column(terminal_text(name), overflow="fold")
    for row in rows:
        table.add_row(*(terminal_text(row.get(name)) for name in names))
    stdout_console().print(table)
    return len(rows)
