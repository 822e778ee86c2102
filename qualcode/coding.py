"""Manual coding: code a segment or a span inside it, uncode, and write memos.

Spans given by the user are relative to the segment's text (what ``qualcode segments`` shows);
they are stored as offsets into the document text, so that for every coding
``document_text[start_char:end_char]`` is the quote (DESIGN.md section 3).
"""

from __future__ import annotations

import getpass
import os
import sqlite3
from dataclasses import dataclass
from typing import Literal

from qualcode.cases import now_utc
from qualcode.codebook_store import require_code
from qualcode.errors import NotFoundError, UsageError
from qualcode.journal import journaled
from qualcode.models import MAX_ID
from qualcode.project import Project

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


def resolve_span(segment: SegmentText, span: Span) -> tuple[int, int]:
    """Document offsets of ``span`` within ``segment`` (the whole segment by default)."""
    if span.quote is not None:
        if span.start is not None or span.end is not None:
            raise UsageError("give either --quote or --start/--end, not both")
        position = segment.text.find(span.quote)
        if not span.quote or position == -1:
            raise NotFoundError(f"segment {segment.segment_id} does not contain {span.quote!r}")
        if segment.text.find(span.quote, position + 1) != -1:
            raise UsageError(
                f"{span.quote!r} occurs more than once in segment {segment.segment_id}: "
                "use --start/--end"
            )
        return segment.start_char + position, segment.start_char + position + len(span.quote)
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
) -> list[dict[str, object]]:
    clauses: list[str] = []
    parameters: list[str] = []
    if target_kind is not None:
        clauses.append("target_kind = ?")
        parameters.append(target_kind)
    if target is not None:
        clauses.append("target = ?")
        parameters.append(target)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    rows = project.conn.execute(f"SELECT * FROM memos {where} ORDER BY memo_id", parameters)
    return [dict(row) for row in rows]
