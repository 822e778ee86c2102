"""Reader for turn tables: a CSV file with one row per speaker turn.

Transcription tools and spreadsheets give interviews as tables: a time, a speaker and what was
said, sometimes an end time or a role. Columns are found by their header names, which vary in
case, spacing and language ("Start Time", "start_time", "开始时间"); the names accepted for
each column are data, in ``qualcode/data/turn_table_columns.yml``. Only the text column is
required, and when no header cell names it (``text``, ``words``, ``内容``, ``转写`` ...), the one
column that is neither a time, the speaker nor the role is the text, even under a blank
header cell. Commas, tabs or semicolons separate the cells (sniffed from the header line, so a
tab-separated file saved as ``.csv`` works), in any encoding
:func:`~qualcode.text.decoding.decode_bytes` reads.

**The stored text keeps the speaker.** The document text is one line per turn, written
``Speaker：text`` (full-width colon when the speaker's name has non-ASCII characters, else
``Speaker: text``), or just ``text`` when the row names no speaker; times are not written
into the text. Each turn's span covers the spoken text only, as for a labelled free-text
transcript, so quotes are exactly what was said, while ``qualcode docs show`` still reads as
a transcript, not as an anonymous run of lines. A text cell with line breaks keeps them.

**A row with more cells than the header has columns** (a comma in the text that nobody put
in quotes, ``00:03,Respondent,Well, we had grid workers``) keeps all its text: when the text
column is the last column, the extra cells are the rest of the text and are joined back with
the delimiter they were split at. When it is not, qualcode cannot tell which cells are text,
and the row is refused with its line number; nothing is dropped silently.

Rows whose text cell is empty are skipped. Times are ``h:mm:ss`` or ``mm:ss`` with optional
fractions (``.750`` or ``,750``), or plain seconds (``75.5``). The role column's values are
read with the same role words as speaker labels (``interviewer``, ``受访者``, ``Q``...); a
speaker without a role from the table gets one as in :func:`qualcode.text.roles.assign_roles`.

Bad input is one :class:`~qualcode.errors.InputError` naming the file (and line): no text
column (the message lists the columns found), no row with text, a time that cannot be read,
or a CSV syntax error.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from qualcode.errors import InputError
from qualcode.models import ReadResult, Role, Turn
from qualcode.text.csv_tables import CsvSyntaxError, iter_csv_rows, sniff_delimiter
from qualcode.text.decoding import decode_bytes, raise_if_blank
from qualcode.text.labels import parse_clock_time, role_for_label
from qualcode.text.roles import assign_roles

_COLUMN_KINDS = ("text", "speaker", "start_time", "end_time", "role")
_SECONDS = re.compile(r"\d+(?:\.\d+)?")
_IGNORED_IN_COLUMN_NAMES = re.compile(r"[\s_\-]+")


@dataclass(frozen=True, slots=True)
class _Columns:
    """Indexes of the columns found in the header; only ``text`` is required."""

    names: list[str]
    text: int
    speaker: int | None
    start_time: int | None
    end_time: int | None
    role: int | None


def read_turn_table(path: Path, data: bytes) -> ReadResult:
    """Read a CSV turn table (see the module docstring); raises :class:`InputError`."""
    if not data:
        raise InputError(path, "is empty (0 bytes)")
    text, encoding = decode_bytes(data, path)
    raise_if_blank(text, path)
    rows = _rows(path, text)
    first = next(rows, None)
    if first is None:
        raise InputError(path, "has no header row")
    header_line, header = first
    columns = _find_columns(path, header, header_line)
    document, turns = _lay_out(path, _fitted(path, rows, columns, sniff_delimiter(text)), columns)
    return ReadResult(document, encoding, "csv", assign_roles(turns, document))


def _lay_out(
    path: Path, rows: Iterator[tuple[int, list[str]]], columns: _Columns
) -> tuple[str, list[Turn]]:
    """The document text (one ``Speaker：text`` line per row with text) and its turns."""
    pieces: list[str] = []
    turns: list[Turn] = []
    offset = 0
    for line_number, row in rows:
        spoken = _cell(row, columns.text).strip()
        if not spoken:
            continue
        speaker = _cell(row, columns.speaker).strip() or None
        label = "" if speaker is None else speaker + (": " if speaker.isascii() else "：")
        start = offset + len(label)
        turns.append(
            Turn(
                start, start + len(spoken), speaker=speaker,
                role=_role(row, columns),
                start_time=_time(path, row, columns, "start_time", line_number),
                end_time=_time(path, row, columns, "end_time", line_number),
            )
        )  # fmt: skip
        pieces.append(label + spoken)
        offset += len(pieces[-1]) + 1
    if not turns:
        raise InputError(path, f"no row has text in column {columns.names[columns.text]!r}")
    return "\n".join(pieces), turns


def _fitted(
    path: Path, rows: Iterator[tuple[int, list[str]]], columns: _Columns, delimiter: str
) -> Iterator[tuple[int, list[str]]]:
    """Rows with at most one cell per header column: extra cells of a row whose text column is
    the last one are joined back into the text; any other row with extra cells is refused."""
    width = len(columns.names)
    for line_number, row in rows:
        if len(row) > width and any(cell.strip() for cell in row[width:]):
            if columns.text != width - 1:
                raise InputError(
                    path,
                    f"has {len(row)} cells in a row but {width} columns in the header, and "
                    f"the text column {columns.names[columns.text]!r} is not the last one, so "
                    "the extra cells cannot be told apart: put text that contains "
                    f"{delimiter!r} in double quotes",
                    line=line_number,
                )
            row = [*row[: width - 1], delimiter.join(row[width - 1 :])]
        yield line_number, row


def _rows(path: Path, text: str) -> Iterator[tuple[int, list[str]]]:
    """Non-blank rows with the one-based line each starts on; the first is the header."""
    try:
        yield from iter_csv_rows(text)
    except CsvSyntaxError as error:
        raise InputError(path, f"is not valid CSV: {error.problem}", line=error.line) from error


def _find_columns(path: Path, header: list[str], header_line: int) -> _Columns:
    """Match header cells to column kinds by the names in ``turn_table_columns.yml``."""
    keys = [_column_key(name) for name in header]
    found: dict[str, int | None] = {}
    for kind in _COLUMN_KINDS:
        found[kind] = next(
            (keys.index(name) for name in _column_names()[kind] if name in keys), None
        )
    text_column = found.pop("text")
    names = [name.strip() for name in header]
    if text_column is None:
        taken = set(found.values())
        left = [index for index in range(len(header)) if index not in taken]
        if len(left) != 1:
            listed = ", ".join(name or "(blank)" for name in names)
            problem = f"no text column; found columns: {listed}"
            if len(left) > 1:
                candidates = ", ".join(repr(names[index]) for index in left)
                problem += f" ({len(left)} could be the text: {candidates}; name one 'text')"
            raise InputError(path, problem, line=header_line)
        text_column = left[0]
    return _Columns(names=names, text=text_column, **found)


def _cell(row: list[str], column: int | None) -> str:
    return row[column] if column is not None and column < len(row) else ""


def _role(row: list[str], columns: _Columns) -> Role | None:
    """The role a role cell names by the role lexicon ("interviewer", "受访者"), else ``None``."""
    value = _cell(row, columns.role).strip()
    return role_for_label(value) if value else None


def _time(
    path: Path, row: list[str], columns: _Columns, kind: str, line_number: int
) -> float | None:
    """Seconds from a time cell; ``None`` when the column is absent or the cell empty."""
    column: int | None = getattr(columns, kind)
    value = _cell(row, column).strip().strip("[]()")
    if not value:
        return None
    seconds = float(value) if _SECONDS.fullmatch(value) else parse_clock_time(value)
    if seconds is None:
        assert column is not None
        raise InputError(
            path,
            f"cannot read time {value!r} in column {columns.names[column]!r} "
            "(expected h:mm:ss, mm:ss or seconds)",
            line=line_number,
        )
    return seconds


def _column_key(name: str) -> str:
    """A header name compared without case, spaces, underscores and hyphens."""
    return _IGNORED_IN_COLUMN_NAMES.sub("", name).casefold()


@functools.cache
def _column_names() -> dict[str, list[str]]:
    """The accepted names per column kind, as keys (see :func:`_column_key`)."""
    raw = (resources.files("qualcode") / "data" / "turn_table_columns.yml").read_text("utf-8")
    loaded: Any = yaml.safe_load(raw)
    if not isinstance(loaded, dict) or set(loaded) != set(_COLUMN_KINDS):
        raise ValueError(f"qualcode/data/turn_table_columns.yml must list {_COLUMN_KINDS}")
    return {kind: [_column_key(str(name)) for name in loaded[kind]] for kind in _COLUMN_KINDS}
