"""Manual codings from a spreadsheet: ``qualcode codings import FILE.csv``.

Teams often code in Excel: one row per coding, naming the document, the code, the coder and
where the coding is. This module reads such a table (CSV in any encoding
:func:`~qualcode.text.decoding.decode_bytes` accepts, so Excel's UTF-8 with BOM and GBK
exports both work; comma, tab or semicolon separated), checks every row against the project
and only then writes all codings in one journaled transaction through
:func:`qualcode.store.codings.code_in_transaction`, so the rows become ordinary manual codings.

Columns (header names compared without case, spaces, underscores or hyphens; aliases in
:data:`~qualcode.text.csv_tables.CODINGS_COLUMNS`, Chinese ones included):

- ``document``: the document name as stored (``qualcode docs list``), e.g. ``chaiji.md``;
- ``code``: the code id; ``coder``: who made the coding;
- where the coding is, one of:

  - ``quote``: text that occurs in exactly one segment of the document; the coding spans the
    quote. If it occurs several times, ``occurrence`` (1-based, in document order) picks one.
    With ``segment_ordinal`` as well, the quote is looked for in that segment only;
  - ``segment_ordinal``: the whole segment with that ordinal (as ``qualcode segments`` shows);
  - ``start_char`` and ``end_char``: document offsets that lie inside one segment;

- ``memo`` (optional): a memo on the coding.

Every problem in the file is reported, each as ``FILE:LINE: problem``, and then nothing is
written. Importing the same file again adds nothing: a manual coding is unique by segment,
code, coder and span, and rows already present are counted, not duplicated.
"""

from __future__ import annotations

import bisect
import difflib
import sqlite3
import unicodedata
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from qualcode.errors import InputError, NotFoundError
from qualcode.store.codebooks import require_code
from qualcode.store.codings import (
    CodableSegment,
    codable_document,
    document_names,
    stage_manual_codings,
    staged_manual_codings,
    write_staged_codings,
)
from qualcode.store.journal import journaled
from qualcode.store.project import Project
from qualcode.text.csv_tables import (
    CODINGS_COLUMNS,
    REQUIRED_CODINGS_COLUMNS,
    find_codings_column,
    read_csv_table_lazily,
)

#: At most this many problems are listed; the rest are counted.
MAX_LISTED_PROBLEMS = 20
#: Documents (text and segments) kept while checking rows: a table of a thousand documents
#: would otherwise end up holding the text of the whole project.
CACHED_DOCUMENTS = 8


class CodingsFileError(InputError):
    """A codings table with problems on several lines; ``problems`` holds each one."""

    def __init__(self, path: str | Path, problems: Sequence[InputError]) -> None:
        self.problems = list(problems)
        listed = [str(problem) for problem in self.problems[:MAX_LISTED_PROBLEMS]]
        if len(self.problems) > MAX_LISTED_PROBLEMS:
            listed.append(f"... and {len(self.problems) - MAX_LISTED_PROBLEMS} more problems")
        super().__init__(
            path, f"{len(self.problems)} problems, nothing imported:\n" + "\n".join(listed)
        )


@dataclass(frozen=True)
class PlannedCoding:
    """One checked row: the segment and the span (relative to the segment text) to code."""

    line: int
    document: str
    segment_id: int
    code_id: str
    coder: str
    start: int
    end: int
    memo: str | None


@dataclass
class CodingsImport:
    """What :func:`import_codings` did: rows read, codings added and rows already present."""

    path: str
    rows: int
    added: int
    already_present: int

    def summary(self) -> str:
        """``"160 rows, 150 added, 10 already present"``, or ``"160 rows, all already present"``
        when nothing was new: what the CLI and the demo report."""
        if self.rows and not self.added:
            return f"{self.rows} rows, all already present"
        return f"{self.rows} rows, {self.added} added, {self.already_present} already present"


def import_codings(project: Project, path: Path) -> CodingsImport:
    """Check every row of the codings table ``path``, then write them all in one transaction.

    Raises :class:`InputError` (one problem) or :class:`CodingsFileError` (several) before
    anything is written. The checked rows wait in the connection's temporary storage
    (:func:`~qualcode.store.codings.staged_manual_codings`), and the file is read as it is
    checked, so a table of millions of rows is imported in flat memory.
    """
    conn = project.conn
    with staged_manual_codings(conn):
        counted = _Counter()
        stage_manual_codings(
            conn,
            (
                (row.line, row.segment_id, row.code_id, row.coder, row.start, row.end, row.memo)
                for row in counted.through(_checked_codings(conn, path))
            ),
        )
        summary = f"import {counted.rows} codings from {path}"
        with journaled(project, "codings-import", summary) as transaction:
            added = write_staged_codings(transaction)
    return CodingsImport(str(path), counted.rows, added, counted.rows - added)


class _Counter:
    """Counts the planned codings passing through (the staging consumes them)."""

    def __init__(self) -> None:
        self.rows = 0

    def through(self, planned: Iterator[_Planned]) -> Iterator[_Planned]:
        for row in planned:
            self.rows += 1
            yield row


def plan_codings(conn: sqlite3.Connection, path: Path) -> list[PlannedCoding]:
    """Read and check the codings table ``path`` against the project; write nothing."""
    planned = []
    for row in _checked_codings(conn, path):
        start, end = row.start - row.offset, row.end - row.offset
        coding = PlannedCoding(
            row.line, row.document, row.segment_id, row.code_id, row.coder, start, end, row.memo
        )
        planned.append(coding)
    return planned


class _Planned(NamedTuple):
    """A checked row with document offsets (``offset`` is its segment's start)."""

    line: int
    document: str
    segment_id: int
    code_id: str
    coder: str
    start: int
    end: int
    offset: int
    memo: str | None


def _checked_codings(conn: sqlite3.Connection, path: Path) -> Iterator[_Planned]:
    """Each row of ``path`` checked, as it is read; after the last row, the problems found
    (if any) are raised together, so a caller writes nothing until the iteration ends."""
    header, rows = read_csv_table_lazily(path)
    columns = {
        name: find_codings_column(header, aliases) for name, aliases in CODINGS_COLUMNS.items()
    }
    missing = [name for name in REQUIRED_CODINGS_COLUMNS if columns[name] is None]
    header_problem = None
    if missing:
        header_problem = InputError(path, _missing_columns(missing, header), line=1)
    elif (
        columns["quote"] is None
        and columns["segment_ordinal"] is None
        and (columns["start_char"] is None or columns["end_char"] is None)
    ):
        header_problem = InputError(
            path,
            "no location column: need quote, segment_ordinal or start_char and end_char; "
            f"header is {', '.join(header)}",
            line=1,
        )
    if header_problem is not None:
        # A row the csv module cannot read is reported first, wherever it is in the file.
        for _ in rows:
            pass
        raise header_problem
    resolver = _Resolver(conn)
    problems: list[InputError] = []
    for line, cells in rows:
        values = {
            name: cells[index].strip()
            for name, index in columns.items()
            if index is not None and index < len(cells) and cells[index].strip()
        }
        try:
            planned = resolver.plan(line, values)
        except _RowProblem as problem:
            problems.append(InputError(path, str(problem), line=line))
            continue
        if not problems:
            yield planned
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise CodingsFileError(path, problems)


def _missing_columns(missing: list[str], header: list[str]) -> str:
    names = ", ".join(missing)
    noun = "column" if len(missing) == 1 else "columns"
    return f"missing {noun} {names}; header is {', '.join(header)}"


class _RowProblem(Exception):
    """A problem with one row; :func:`plan_codings` adds the file and line."""


@dataclass
class _Document:
    name: str
    text: str
    segments: list[CodableSegment]  # in document order
    starts: list[int]  # segment start offsets, for bisect
    by_ordinal: dict[int, CodableSegment]  # the first in document order for each ordinal


class _Resolver:
    """Turns rows into planned codings, caching documents and codes already looked at."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.names = document_names(conn)
        #: The documents looked at last (a table is usually sorted by document).
        self.documents: OrderedDict[str, _Document] = OrderedDict()
        self.codes: dict[str, str | None] = {}  # code id -> problem, or None if known

    def plan(self, line: int, values: dict[str, str]) -> _Planned:
        problems = []
        document_name, code_id, coder = (values.get(name, "") for name in REQUIRED_CODINGS_COLUMNS)
        for column, value in (("document", document_name), ("code", code_id), ("coder", coder)):
            if not value:
                problems.append(f"empty {column}")
        code_problem = self._code_problem(code_id) if code_id else None
        if code_problem:
            problems.append(code_problem)
        document = self._document(document_name) if document_name else None
        if document_name and document is None:
            problems.append(self._unknown_document(document_name))
        if problems:
            raise _RowProblem("; ".join(problems))
        assert document is not None
        segment, start, end = self._locate(document, values)
        return _Planned(
            line, document.name, segment.segment_id, code_id, coder, start, end,
            segment.start_char, values.get("memo"),
        )  # fmt: skip

    def _code_problem(self, code_id: str) -> str | None:
        if code_id not in self.codes:
            try:
                require_code(self.conn, code_id)
                self.codes[code_id] = None
            except NotFoundError as error:
                self.codes[code_id] = str(error)
        return self.codes[code_id]

    def _document(self, name: str) -> _Document | None:
        if name in self.documents:
            self.documents.move_to_end(name)
            return self.documents[name]
        stored = codable_document(self.conn, name)
        if stored is None:
            return None
        segments = stored.segments
        document = _Document(
            name, stored.text, segments, [s.start_char for s in segments],
            {segment.ordinal: segment for segment in reversed(segments)},
        )  # fmt: skip
        self.documents[name] = document
        if len(self.documents) > CACHED_DOCUMENTS:
            self.documents.popitem(last=False)
        return document

    def _unknown_document(self, name: str) -> str:
        close = difflib.get_close_matches(name, self.names, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else " (see 'qualcode docs list')"
        return f"no document named '{name}' in the project{hint}"

    def _locate(
        self, document: _Document, values: dict[str, str]
    ) -> tuple[CodableSegment, int, int]:
        """The segment and the document offsets a row's location columns name."""
        quote, ordinal, start, end = (
            values.get(name, "") for name in ("quote", "segment_ordinal", "start_char", "end_char")
        )
        if (start or end) and (quote or ordinal):
            raise _RowProblem("give either start_char/end_char or quote/segment_ordinal, not both")
        if start or end:
            return self._by_offsets(document, start, end)
        segment = self._by_ordinal(document, ordinal) if ordinal else None
        if quote:
            return self._by_quote(document, quote, values.get("occurrence", ""), segment)
        if segment is not None:
            return segment, segment.start_char, segment.end_char
        raise _RowProblem("no location: give quote, segment_ordinal or start_char and end_char")

    def _by_ordinal(self, document: _Document, value: str) -> CodableSegment:
        ordinal = _integer(value, "segment_ordinal")
        if ordinal in document.by_ordinal:
            return document.by_ordinal[ordinal]
        ordinals = [segment.ordinal for segment in document.segments]
        known = f"ordinals {min(ordinals)}-{max(ordinals)}" if ordinals else "no segments"
        raise _RowProblem(f"{document.name} has no segment {ordinal} ({known})")

    def _by_offsets(
        self, document: _Document, start_text: str, end_text: str
    ) -> tuple[CodableSegment, int, int]:
        if not start_text or not end_text:
            raise _RowProblem("give both start_char and end_char")
        start, end = _integer(start_text, "start_char"), _integer(end_text, "end_char")
        if start >= end:
            raise _RowProblem(f"start_char {start} is not before end_char {end}")
        index = bisect.bisect_right(document.starts, start) - 1
        if index >= 0:
            segment = document.segments[index]
            if end <= segment.end_char:
                return segment, start, end
        raise _RowProblem(f"offsets {start}:{end} do not lie inside one segment of {document.name}")

    def _by_quote(
        self,
        document: _Document,
        raw_quote: str,
        occurrence_text: str,
        within: CodableSegment | None,
    ) -> tuple[CodableSegment, int, int]:
        quote = unicodedata.normalize("NFC", raw_quote.replace("\r\n", "\n").replace("\r", "\n"))
        segments = document.segments if within is None else [within]
        hits: list[tuple[CodableSegment, int]] = []
        for segment in segments:
            position = segment.text.find(quote)
            while position != -1:
                hits.append((segment, segment.start_char + position))
                position = segment.text.find(quote, position + 1)
        where = document.name if within is None else f"segment {within.ordinal} of {document.name}"
        shown = quote if len(quote) <= 30 else quote[:30] + "…"
        if not hits:
            raise _RowProblem(f"quote '{shown}' not found in {where}")
        if occurrence_text:
            occurrence = _integer(occurrence_text, "occurrence")
            if not 1 <= occurrence <= len(hits):
                raise _RowProblem(
                    f"occurrence {occurrence} of quote '{shown}': it occurs {len(hits)} "
                    f"time{'s' if len(hits) > 1 else ''} in {where}"
                )
            segment, start = hits[occurrence - 1]
        elif len(hits) > 1:
            ordinals = ", ".join(dict.fromkeys(str(segment.ordinal) for segment, _ in hits))
            raise _RowProblem(
                f"quote '{shown}' occurs {len(hits)} times in {where} (segments {ordinals}): "
                "add an occurrence column (1-based) or a segment_ordinal"
            )
        else:
            segment, start = hits[0]
        return segment, start, start + len(quote)


def _integer(value: str, column: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise _RowProblem(f"{column} must be a whole number, got '{value}'") from None
    if number < 0:
        raise _RowProblem(f"{column} must not be negative, got {number}")
    return number
