"""Manual coding: code a segment or a span inside it, uncode, and write memos.

Spans given by the user are relative to the segment's text (what ``qualcode segments`` shows);
they are stored as offsets into the document text, so that for every coding
``document_text[start_char:end_char]`` is the quote (DESIGN.md section 3).
"""

from __future__ import annotations

import getpass
import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

from qualcode.errors import ConflictError, NotFoundError, UsageError
from qualcode.models import MAX_ID
from qualcode.store.codebooks import require_code
from qualcode.store.documents import (
    SEGMENT_FIELDS,
    coded_with_clause,
    coded_with_parameters,
    require_named,
)
from qualcode.store.journal import journaled
from qualcode.store.project import Project, now_utc
from qualcode.store.rows import (
    CodingsTableRow,
    MemoRow,
    PreviousSegment,
    SegmentCoding,
    SegmentMemo,
    SegmentRow,
    typed_row,
)
from qualcode.text.folding import fold_line_breaks

CODER_ENV = "QUALCODE_CODER"
MemoTarget = Literal["segment", "code", "document"]


def resolve_coder(coder: str | None) -> str:
    """The coder's name: the option, else ``$QUALCODE_CODER``, else the OS user name."""
    name = coder or os.environ.get(CODER_ENV) or getpass.getuser()
    name = name.strip()
    if not name:
        raise UsageError("the coder name is empty")
    return name


@dataclass(frozen=True)
class SegmentText:
    segment_id: int
    start_char: int
    end_char: int
    text: str


def get_segment(conn: sqlite3.Connection, segment_id: int) -> SegmentText:
    row = conn.execute(
        "SELECT segment_id, start_char, end_char, text FROM segments WHERE segment_id = ?",
        (segment_id,),
    ).fetchone()
    if row is None:
        raise NotFoundError(f"no segment {segment_id} (see 'qualcode segments')")
    return SegmentText(int(row[0]), int(row[1]), int(row[2]), str(row[3]))


@dataclass(frozen=True)
class Span:
    """A span inside a segment, by quote or by offsets relative to the segment text."""

    quote: str | None = None
    start: int | None = None
    end: int | None = None

    @property
    def whole(self) -> bool:
        return self.quote is None and self.start is None and self.end is None


def _quote_span(text: str, quote: str) -> tuple[int, int] | Literal["several"] | None:
    """Where ``quote`` occurs in ``text``: as written, or else across the line breaks of the
    text (``网格员`` in ``主要靠网`` / ``格员``, folded as matching folds them, see
    :mod:`qualcode.text.folding`); ``"several"`` when it occurs more than once."""
    position = text.find(quote)
    if position != -1:
        if text.find(quote, position + 1) != -1:
            return "several"
        return position, position + len(quote)
    folded = fold_line_breaks(text)
    needle = fold_line_breaks(quote).text
    if not folded.folded:
        return None
    position = folded.text.find(needle)
    if position == -1 or not needle:
        return None
    if folded.text.find(needle, position + 1) != -1:
        return "several"
    return folded.stored_span(position, position + len(needle))


def resolve_span(segment: SegmentText, span: Span) -> tuple[int, int]:
    """Document offsets of ``span`` within ``segment`` (the whole segment by default)."""
    if span.quote is not None:
        if span.start is not None or span.end is not None:
            raise UsageError("give either --quote or --start/--end, not both")
        found = _quote_span(segment.text, span.quote) if span.quote else None
        if found is None:
            raise NotFoundError(f"segment {segment.segment_id} does not contain {span.quote!r}")
        if found == "several":
            raise UsageError(
                f"{span.quote!r} occurs more than once in segment {segment.segment_id}: "
                "use --start/--end"
            )
        return segment.start_char + found[0], segment.start_char + found[1]
    start = 0 if span.start is None else span.start
    end = len(segment.text) if span.end is None else span.end
    if not 0 <= start < end <= len(segment.text):
        raise UsageError(
            f"span {start}:{end} is outside segment {segment.segment_id} "
            f"(its text has {len(segment.text)} characters)"
        )
    return segment.start_char + start, segment.start_char + end


@dataclass
class CodingResult:
    coding_id: int
    created: bool
    quote: str


def code_segment(
    project: Project,
    segment_id: int,
    code_id: str,
    *,
    coder: str,
    span: Span = Span(),
    memo: str | None = None,
    run_id: int | None = None,
    rule: str | None = None,
    rule_kind: str | None = None,
) -> CodingResult:
    """Apply ``code_id`` to a segment (or a span of it) as a manual coding by ``coder``.

    Coding the same span with the same code again by the same coder changes nothing.
    ``run_id``/``rule`` keep the provenance of an accepted suggestion.
    """
    summary = f"code segment {segment_id} {code_id} ({coder})"
    with journaled(project, "code", summary) as conn:
        return code_in_transaction(
            conn, segment_id, code_id, coder=coder, span=span, memo=memo, run_id=run_id,
            rule=rule, rule_kind=rule_kind,
        )  # fmt: skip


def code_in_transaction(
    conn: sqlite3.Connection,
    segment_id: int,
    code_id: str,
    *,
    coder: str,
    span: Span = Span(),
    memo: str | None = None,
    run_id: int | None = None,
    rule: str | None = None,
    rule_kind: str | None = None,
) -> CodingResult:
    """:func:`code_segment` inside the caller's transaction."""
    segment = get_segment(conn, segment_id)
    require_code(conn, code_id)
    start_char, end_char = resolve_span(segment, span)
    quote = segment.text[start_char - segment.start_char : end_char - segment.start_char]
    existing = conn.execute(
        "SELECT coding_id FROM codings WHERE origin = 'manual' AND segment_id = ? AND "
        "code_id = ? AND coder = ? AND start_char = ? AND end_char = ?",
        (segment_id, code_id, coder, start_char, end_char),
    ).fetchone()
    if existing is not None:
        return CodingResult(int(existing[0]), False, quote)
    cursor = conn.execute(
        "INSERT INTO codings (segment_id, code_id, coder, origin, run_id, rule_kind, rule, "
        "start_char, end_char, memo, created_at) VALUES (?, ?, ?, 'manual', ?, ?, ?, ?, ?, ?, ?)",
        (segment_id, code_id, coder, run_id, rule_kind, rule, start_char, end_char, memo,
         now_utc()),
    )  # fmt: skip
    return CodingResult(int(cursor.lastrowid or 0), True, quote)


def uncode_segment(
    project: Project, segment_id: int, code_id: str, *, coder: str, span: Span = Span()
) -> int:
    """Remove ``coder``'s manual codings of ``code_id`` on a segment; return how many.

    Without a span every such coding on the segment goes; with one, only that span's.
    Automatic codings are never removed here (reject them in review instead).
    """
    with journaled(project, "uncode", f"uncode segment {segment_id} {code_id} ({coder})") as conn:
        segment = get_segment(conn, segment_id)
        require_code(conn, code_id)
        sql = (
            "DELETE FROM codings WHERE origin = 'manual' AND segment_id = ? AND code_id = ? "
            "AND coder = ?"
        )
        parameters: list[object] = [segment_id, code_id, coder]
        if not span.whole:
            start_char, end_char = resolve_span(segment, span)
            sql += " AND start_char = ? AND end_char = ?"
            parameters += [start_char, end_char]
        removed = conn.execute(sql, parameters).rowcount
        if not removed:
            raise NotFoundError(
                f"segment {segment_id} has no manual coding '{code_id}' by {coder}"
                + ("" if span.whole else " on that span")
            )
    return int(removed)


def add_memo(
    project: Project, target_kind: MemoTarget, target: str, text: str, *, coder: str
) -> int:
    """Attach a memo to a segment (by id), a code (by id) or a document (by name)."""
    if not text.strip():
        raise UsageError("the memo is empty")
    with journaled(project, "memo", f"memo on {target_kind} {target} ({coder})") as conn:
        if target_kind == "segment":
            if not (target.isascii() and target.isdigit()) or int(target) > MAX_ID:
                raise UsageError(f"segment id must be a number from 1 to {MAX_ID}, got {target!r}")
            get_segment(conn, int(target))
        elif target_kind == "code":
            require_code(conn, target)
        elif conn.execute("SELECT 1 FROM documents WHERE name = ?", (target,)).fetchone() is None:
            raise NotFoundError(f"no document named {target!r} (see 'qualcode docs list')")
        cursor = conn.execute(
            "INSERT INTO memos (target_kind, target, coder, text, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (target_kind, target, coder, text, now_utc()),
        )
    return int(cursor.lastrowid or 0)


def list_memos(
    project: Project, target_kind: MemoTarget | None = None, target: str | None = None
) -> list[MemoRow]:
    clauses: list[str] = []
    parameters: list[str] = []
    if target_kind is not None:
        clauses.append("target_kind = ?")
        parameters.append(target_kind)
    if target is not None:
        clauses.append("target = ?")
        parameters.append(target)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    rows = project.conn.execute(
        "SELECT memo_id, target_kind, target, coder, text, created_at "
        f"FROM memos {where} ORDER BY memo_id",
        parameters,
    )
    return [typed_row(row, MemoRow) for row in rows]


# Segment review (qualcode.review.segments) ------------------------------------------------------


@dataclass(frozen=True)
class SegmentSelection:
    """Which segments a coding session walks; ``None`` means no filter.

    ``code`` keeps segments with a current coding of that code or a sub-code (by anyone, manual
    or auto). ``uncoded_by`` keeps segments that coder has not coded by hand yet: per coder, so
    that a second coder's independent pass is not emptied by the first one's work, and a new
    session resumes where the last one stopped. Interviewer turns are left out unless
    ``all_speakers``: questions are not evidence (segments without a role stay in).
    """

    case_name: str | None = None
    document: str | None = None
    code: str | None = None
    uncoded_by: str | None = None
    all_speakers: bool = False


def select_segments(project: Project, selection: SegmentSelection) -> list[int]:
    """Ids of the segments matching ``selection`` in reading order: documents in the order
    they were imported (as ``docs list`` shows them), then segments in document order.

    An unknown case, document or code is a :class:`NotFoundError`, not an empty queue.
    """
    conn = project.conn
    clauses = [] if selection.all_speakers else ["(s.role IS NULL OR s.role <> 'interviewer')"]
    parameters: list[object] = []
    if selection.case_name is not None:
        require_named(conn, "cases", selection.case_name, "case", "qualcode cases list")
        clauses.append("k.name = ?")
        parameters.append(selection.case_name)
    if selection.document is not None:
        require_named(conn, "documents", selection.document, "document", "qualcode docs list")
        clauses.append("d.name = ?")
        parameters.append(selection.document)
    if selection.code is not None:
        require_code(conn, selection.code)
        clauses.append(coded_with_clause("s.segment_id"))
        parameters += coded_with_parameters(selection.code)
    if selection.uncoded_by is not None:
        clauses.append(
            "NOT EXISTS (SELECT 1 FROM codings c WHERE c.segment_id = s.segment_id AND "
            "c.origin = 'manual' AND c.coder = ?)"
        )
        parameters.append(selection.uncoded_by)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    rows = conn.execute(
        "SELECT s.segment_id FROM segments s JOIN documents d ON d.document_id = s.document_id "
        f"JOIN cases k ON k.case_id = d.case_id {where} ORDER BY d.document_id, s.ordinal",
        parameters,
    )
    return [int(row[0]) for row in rows]


@dataclass(frozen=True)
class SegmentDetails:
    """One segment as a coder sees it: where it is, what precedes it, what is on it."""

    #: ``segments_view`` fields: segment_id, document, case_name, ordinal, speaker, role, text...
    segment: SegmentRow
    #: speaker, role and text of the segment before it in its document, if any.
    previous: PreviousSegment | None
    #: Current codings: coding_id, code, code_name, coder, origin, rule_kind, rule, quote.
    codings: list[SegmentCoding]
    #: Memos on the segment: memo_id, coder, text.
    memos: list[SegmentMemo]


def segment_details(project: Project, segment_id: int) -> SegmentDetails:
    """The segment with its preceding segment, its current codings and its memos."""
    conn = project.conn
    segment = conn.execute(
        f"SELECT {', '.join(SEGMENT_FIELDS)} FROM segments_view WHERE segment_id = ?",
        (segment_id,),
    )
    row = segment.fetchone()
    if row is None:
        raise NotFoundError(f"no segment {segment_id} (see 'qualcode segments')")
    previous = conn.execute(
        "SELECT speaker, role, text FROM segments WHERE document_id = "
        "(SELECT document_id FROM segments WHERE segment_id = ?) AND ordinal < ? "
        "ORDER BY ordinal DESC LIMIT 1",
        (segment_id, row["ordinal"]),
    ).fetchone()
    codings = conn.execute(
        "SELECT v.coding_id, v.code, coalesce(k.name_zh, k.name_en, '') AS code_name, v.coder, "
        "v.origin, c.rule_kind, v.rule, v.quote, c.memo FROM codings_view v "
        "JOIN codings c ON c.coding_id = v.coding_id JOIN codes k ON k.code_id = v.code "
        "WHERE v.segment_id = ? ORDER BY k.ordinal, v.origin DESC, v.coder, v.start_char",
        (segment_id,),
    )
    memos = conn.execute(
        "SELECT memo_id, coder, text FROM memos WHERE target_kind = 'segment' AND target = ? "
        "ORDER BY memo_id",
        (str(segment_id),),
    )
    return SegmentDetails(
        segment=typed_row(row, SegmentRow),
        previous=None if previous is None else typed_row(previous, PreviousSegment),
        codings=[typed_row(coding, SegmentCoding) for coding in codings],
        memos=[typed_row(memo, SegmentMemo) for memo in memos],
    )


@dataclass(frozen=True)
class RemovedCodings:
    """What :func:`take_codings` deleted, exactly, so that :func:`restore_codings` can put it
    back (the undo of uncoding in review)."""

    #: Whole ``codings`` rows, every column.
    rows: tuple[CodingsTableRow, ...]
    #: (suggestion_id, coding_id): accepted suggestions that pointed at a removed coding.
    suggestion_links: tuple[tuple[int, int], ...]


def take_codings(project: Project, segment_id: int, code_id: str, *, coder: str) -> RemovedCodings:
    """Remove ``coder``'s manual codings of ``code_id`` on a segment (every span; one
    transaction) and return them. Like :func:`uncode_segment`, but keeps what it removed."""
    with journaled(project, "uncode", f"uncode segment {segment_id} {code_id} ({coder})") as conn:
        get_segment(conn, segment_id)
        require_code(conn, code_id)
        rows = conn.execute(
            "SELECT * FROM codings WHERE origin = 'manual' AND segment_id = ? AND code_id = ? "
            "AND coder = ? ORDER BY coding_id",
            (segment_id, code_id, coder),
        ).fetchall()
        if not rows:
            raise NotFoundError(f"segment {segment_id} has no manual coding '{code_id}' by {coder}")
        ids = [int(row["coding_id"]) for row in rows]
        marks = ", ".join("?" * len(ids))
        links = conn.execute(
            f"SELECT suggestion_id, coding_id FROM suggestions WHERE coding_id IN ({marks})", ids
        ).fetchall()
        conn.execute(f"DELETE FROM codings WHERE coding_id IN ({marks})", ids)
    return RemovedCodings(
        tuple(dict(row) for row in rows), tuple((int(s), int(c)) for s, c in links)
    )


def restore_codings(project: Project, removed: RemovedCodings) -> None:
    """Put back codings :func:`take_codings` removed, with their ids, and re-link the accepted
    suggestions that pointed at them (one transaction).

    A :class:`ConflictError` if one of them exists again meanwhile; then nothing changes.
    """
    with journaled(project, "code", f"restore {len(removed.rows)} coding(s)") as conn:
        for row in removed.rows:
            columns = ", ".join(row)
            try:
                conn.execute(
                    f"INSERT INTO codings ({columns}) VALUES ({', '.join('?' * len(row))})",
                    list(row.values()),
                )
            except sqlite3.IntegrityError as error:
                raise ConflictError(
                    f"coding {row['coding_id']} ({row['code_id']} on segment "
                    f"{row['segment_id']}) exists again: nothing restored"
                ) from error
        conn.executemany(
            "UPDATE suggestions SET coding_id = ? WHERE suggestion_id = ? AND coding_id IS NULL "
            "AND status = 'accepted'",
            [(coding_id, suggestion_id) for suggestion_id, coding_id in removed.suggestion_links],
        )


# Reads the codings import places its rows with (qualcode.flows.codings_import) ------------------


@dataclass(frozen=True)
class CodableSegment:
    """A segment as an imported coding is placed in it (offsets into the document text)."""

    segment_id: int
    ordinal: int
    start_char: int
    end_char: int
    text: str


@dataclass(frozen=True)
class CodableDocument:
    """A document's text and its segments in document order (by start, then ordinal)."""

    document_id: int
    name: str
    text: str
    segments: list[CodableSegment]


def document_names(conn: sqlite3.Connection) -> list[str]:
    """The names of every document in the project, in the order they were imported."""
    return [str(row[0]) for row in conn.execute("SELECT name FROM documents ORDER BY document_id")]


def codable_document(conn: sqlite3.Connection, name: str) -> CodableDocument | None:
    """The document named ``name`` with its segments, or ``None`` when there is none."""
    row = conn.execute("SELECT document_id, text FROM documents WHERE name = ?", (name,)).fetchone()
    if row is None:
        return None
    segments = [
        CodableSegment(int(s[0]), int(s[1]), int(s[2]), int(s[3]), str(s[4]))
        for s in conn.execute(
            "SELECT segment_id, ordinal, start_char, end_char, text FROM segments "
            "WHERE document_id = ? ORDER BY start_char, ordinal",
            (row[0],),
        )
    ]
    return CodableDocument(int(row[0]), name, str(row[1]), segments)


# Manual codings checked before they are written (qualcode.flows.codings_import) ------------------

#: Connection-local table of checked manual codings, in file order, waiting to be written.
_STAGED_CODINGS = "qc_staged_codings"

#: What :func:`stage_manual_codings` takes per coding, in this order.
StagedCoding = tuple[int, int, str, str, int, int, str | None]


@contextmanager
def staged_manual_codings(conn: sqlite3.Connection) -> Iterator[None]:
    """A temporary table for codings that have been checked but not written yet.

    A codings table of millions of rows is checked row by row first and written only when
    every row is right; the checked rows wait in SQLite's temporary storage (the connection's
    own, never the project file) instead of in Python lists. Dropped on the way out.
    """
    conn.execute(f"DROP TABLE IF EXISTS temp.{_STAGED_CODINGS}")
    conn.execute(
        f"CREATE TEMP TABLE {_STAGED_CODINGS} (line INTEGER PRIMARY KEY, "
        "segment_id INTEGER NOT NULL, code_id TEXT NOT NULL, coder TEXT NOT NULL, "
        "start_char INTEGER NOT NULL, end_char INTEGER NOT NULL, memo TEXT)"
    )
    try:
        yield
    finally:
        conn.execute(f"DROP TABLE IF EXISTS temp.{_STAGED_CODINGS}")


def stage_manual_codings(conn: sqlite3.Connection, codings: Iterable[StagedCoding]) -> None:
    """Add ``(line, segment_id, code_id, coder, start_char, end_char, memo)`` rows (document
    offsets) to the table :func:`staged_manual_codings` made. One transaction on the
    temporary table only: it takes no lock on the project."""
    conn.execute("BEGIN")
    try:
        conn.executemany(
            f"INSERT INTO temp.{_STAGED_CODINGS} VALUES (?, ?, ?, ?, ?, ?, ?)", codings
        )
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def write_staged_codings(conn: sqlite3.Connection) -> int:
    """Write the staged codings as manual codings, in file order, inside the caller's
    transaction; return how many were added. A coding the project already has (the same
    segment, code, coder and span), or an earlier row of the same file, adds nothing: the
    unique index on manual codings decides, as :func:`code_in_transaction` does row by row.
    """
    try:
        cursor = conn.execute(
            "INSERT OR IGNORE INTO codings (segment_id, code_id, coder, origin, run_id, "
            "rule_kind, rule, start_char, end_char, memo, created_at) "
            "SELECT segment_id, code_id, coder, 'manual', NULL, NULL, NULL, start_char, "
            f"end_char, memo, ? FROM temp.{_STAGED_CODINGS} ORDER BY line",
            (now_utc(),),
        )
    except sqlite3.IntegrityError as error:
        raise ConflictError(
            f"a segment or code of the file was removed meanwhile ({error}); nothing imported"
        ) from error
    return int(cursor.rowcount)


# What an auto-coding run wrote (qualcode.flows.tagging) -----------------------------------------


def run_codings_per_document(
    conn: sqlite3.Connection, run_id: int
) -> dict[str, tuple[set[str], int]]:
    """``{document name: ({code_id, ...}, codings)}``: the distinct codes and the number of
    codings the auto-coding run ``run_id`` wrote in each document (documents it left alone
    have no key)."""
    found: dict[str, tuple[set[str], int]] = {}
    for document, code_id, count in conn.execute(
        "SELECT d.name, c.code_id, count(*) FROM codings c "
        "JOIN segments s ON s.segment_id = c.segment_id "
        "JOIN documents d ON d.document_id = s.document_id "
        "WHERE c.run_id = ? GROUP BY d.name, c.code_id",
        (run_id,),
    ):
        codes, total = found.get(document, (set(), 0))
        codes.add(code_id)
        found[document] = (codes, total + count)
    return found
