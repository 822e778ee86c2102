"""CSV tables as users bring them: read in any encoding, delimiter sniffed, kind told by header.

Three kinds of CSV reach qualcode: turn tables (a transcript, one row per turn:
:mod:`qualcode.importing.table`), case attribute tables (``qualcode cases import``) and
codings tables (``qualcode codings import``). They are read the same way here, without a
project: any encoding :func:`~qualcode.text.decoding.decode_bytes` accepts, the delimiter
(comma, tab or semicolon) sniffed from the first non-blank line, blank rows dropped, and every
row with the number of the physical line it starts on (a cell spanning several lines keeps
the numbers of later rows right: what a spreadsheet user sees opening the CSV as text).

The header names each kind expects are here too, so that an import of a folder can pass over
a cases or codings table found among transcripts (:func:`looks_like_cases_table`,
:func:`looks_like_codings_table`) without reaching into the code that stores them.
"""

from __future__ import annotations

import csv
import unicodedata
from collections.abc import Iterator
from pathlib import Path

from qualcode.errors import InputError
from qualcode.text.decoding import decode_bytes
from qualcode.text.input_files import MAX_TEXT_FILE_BYTES, read_input_bytes

#: Header names (compared case-insensitively, spaces trimmed) naming the case column of a
#: case attribute table.
CASE_COLUMNS = ("case", "case_name", "community", "name")
#: Header names naming the transcript file a row of a case attribute table belongs to.
FILE_COLUMNS = ("file", "file_name", "filename", "document")

#: Accepted header names per column of a codings table, compared by :func:`header_key`.
CODINGS_COLUMNS: dict[str, tuple[str, ...]] = {
    "document": ("document", "doc", "document_name", "file", "file_name", "filename",
                 "文档", "文档名", "文件", "文件名", "访谈"),
    "code": ("code", "code_id", "编码", "代码", "码"),
    "coder": ("coder", "编码员", "编码者", "编码人"),
    "quote": ("quote", "text", "引文", "引语", "原文", "文本"),
    "occurrence": ("occurrence", "第几处", "出现次序", "次序"),
    "segment_ordinal": ("segment_ordinal", "ordinal", "segment", "段落序号", "片段序号", "序号",
                        "片段", "段落"),
    "start_char": ("start_char", "start", "起始", "起点", "开始"),
    "end_char": ("end_char", "end", "结束", "终点"),
    "memo": ("memo", "note", "notes", "备忘", "备忘录", "备注"),
}  # fmt: skip
#: The columns a codings table must have.
REQUIRED_CODINGS_COLUMNS = ("document", "code", "coder")


class CsvSyntaxError(Exception):
    """A row the csv module cannot read; ``line`` is where that row starts."""

    def __init__(self, line: int, problem: str) -> None:
        super().__init__(problem)
        self.line = line
        self.problem = problem


def sniff_delimiter(text: str) -> str:
    """Comma, tab or semicolon, as the first non-blank line uses them; comma if it cannot tell
    (a one-column header, where any delimiter is as good as another)."""
    first_line = next((line for line in _lines_of(text) if line.strip()), "").rstrip("\n")
    try:
        return csv.Sniffer().sniff(first_line, delimiters=",\t;").delimiter
    except csv.Error:
        return ","


def _lines_of(text: str) -> Iterator[str]:
    """The lines of ``text``, each with its ``\n``, as they are read: what iterating
    ``io.StringIO(text)`` gives, without its copy of the text at four bytes a character
    (300 MB for a table of 80 MB)."""
    start = 0
    while True:
        end = text.find("\n", start)
        if end == -1:
            if start < len(text):
                yield text[start:]
            return
        yield text[start : end + 1]
        start = end + 1


def iter_csv_rows(text: str) -> Iterator[tuple[int, list[str]]]:
    """The non-blank rows of CSV ``text``, each with the (one-based) line it starts on.

    Raises :class:`CsvSyntaxError` at a row the csv module cannot read (a field over its size
    limit, a NUL byte, a stray quote ...); callers name the file.
    """
    reader = csv.reader(_lines_of(text), delimiter=sniff_delimiter(text))
    line = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise CsvSyntaxError(line, str(error)) from error
        if any(map(str.strip, row)):  # a row with any text (no generator per row)
            yield line, row
        line = reader.line_num + 1


def read_csv_rows(path: Path) -> list[tuple[int, list[str]]]:
    """The non-blank rows of the CSV file ``path`` (at least one), each with its first line.

    Raises :class:`InputError` naming the file (and line) if it cannot be read or decoded (a
    FIFO, device or socket is refused unread, see
    :func:`~qualcode.text.input_files.read_input_bytes`), is empty, is not readable CSV, or has
    separators only.
    """
    data = read_input_bytes(path, max_bytes=MAX_TEXT_FILE_BYTES)
    text, _encoding = decode_bytes(data, path)
    if not text.strip():
        raise InputError(path, "is empty")
    try:
        rows = list(iter_csv_rows(text))
    except CsvSyntaxError as error:
        raise InputError(
            path, f"not a readable CSV table: {error.problem}", line=error.line
        ) from error
    if not rows:
        raise InputError(path, "has no row with text (only separators)")
    return rows


def read_csv_table_lazily(path: Path) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """:func:`read_csv_table` with the rows after the header read as they are iterated: the
    decoded text is held, never a list of every row, so a table of millions of rows stays
    flat in memory. A row the csv module cannot read raises :class:`InputError` (naming the
    file and line) when the iteration reaches it."""
    data = read_input_bytes(path, max_bytes=MAX_TEXT_FILE_BYTES)
    text, _encoding = decode_bytes(data, path)
    del data
    if not text or text.isspace():
        raise InputError(path, "is empty")
    rows = _rows_naming(path, iter_csv_rows(text))
    first = next(rows, None)
    if first is None:
        raise InputError(path, "has no row with text (only separators)")
    return [name.strip() for name in first[1]], rows


def _rows_naming(
    path: Path, rows: Iterator[tuple[int, list[str]]]
) -> Iterator[tuple[int, list[str]]]:
    try:
        yield from rows
    except CsvSyntaxError as error:
        raise InputError(
            path, f"not a readable CSV table: {error.problem}", line=error.line
        ) from error


def read_csv_table(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header (names stripped) and the other non-blank rows of a CSV, with their lines."""
    (_line, header), *rest = read_csv_rows(path)
    return [name.strip() for name in header], rest


def find_case_table_column(header: list[str], candidates: tuple[str, ...]) -> int | None:
    """The index of the first of ``candidates`` in ``header`` (case and outer spaces ignored)."""
    lowered = [name.strip().lower() for name in header]
    for candidate in candidates:
        if candidate in lowered:
            return lowered.index(candidate)
    return None


def looks_like_cases_table(header: list[str]) -> bool:
    """A header with a case column and a file column, as ``cases import`` expects."""
    return (
        find_case_table_column(header, CASE_COLUMNS) is not None
        and find_case_table_column(header, FILE_COLUMNS) is not None
    )


def header_key(name: str) -> str:
    """``" Segment Ordinal"`` and ``"segment_ordinal"`` compare equal (NFKC, case, separators)."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    return "".join(character for character in folded if character not in " _-\t\u3000")


def find_codings_column(header: list[str], aliases: tuple[str, ...]) -> int | None:
    """The index of the first of ``aliases`` in ``header``, compared by :func:`header_key`."""
    keys = [header_key(name) for name in header]
    for alias in aliases:
        if header_key(alias) in keys:
            return keys.index(header_key(alias))
    return None


def looks_like_codings_table(header: list[str]) -> bool:
    """A header ``qualcode codings import`` would accept: document, code and coder columns.

    For the import of a folder, to pass over a codings table found among transcripts instead
    of failing on it as a turn table.
    """
    return all(
        find_codings_column(header, CODINGS_COLUMNS[name]) is not None
        for name in REQUIRED_CODINGS_COLUMNS
    )
