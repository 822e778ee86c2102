"""``qualcode import FILE --replace`` on a coded document: the corrected text keeps its coding.

The old and the new text are aligned (:class:`qualcode.text.aligning.Alignment`) and every
coding, suggestion and segment memo is carried to the new offsets and segments:

- a coding whose text is unchanged is ``carried``; one whose text changed but mostly survived
  is ``changed`` (carried, with the quote the new text has there); one whose text is gone (less
  than half of it survived, or it no longer lies in a segment) is ``orphaned``: moved to
  ``orphaned_codings`` with its old quote, listed by ``qualcode codings orphaned``, never
  deleted silently. A span that now runs past its segment is cut at the segment's edge;
  two manual codings that land on the same span become one (the other is orphaned);
- automatic codings are carried like manual ones (their quote may change, or they may be
  orphaned): a replacement re-runs no rule. ``qualcode import FILE --replace --autocode``
  then runs the current codebook over the new segments (an ``--only-new`` run, as
  ``qualcode tag`` does), which supersedes the carried automatic codings with fresh hits;
- superseded automatic codings (kept only for ``qualcode autocode diff``) follow their spans
  too, without being counted; one whose text is gone is deleted with the replacement (undo
  brings it back) and counted as ``superseded_dropped``, since it is history, not coding;
- suggestions follow their spans the same way; a suggestion whose text is gone is dropped
  (it was a proposal, not a decision) and counted;
- a memo on a segment moves to the new segment where most of the old one landed, or to the
  document if none of it is left (its text gets a note saying so);
- roles set by hand (``qualcode speakers set``) are applied to the new segments.

The document keeps its id, name and case. Everything is one transaction and one journal
entry (kind ``import-replace``): codings, suggestions, memos and orphans through the journal's
triggers, and the document row and its segments written here as the journal's update, delete
and insert changes, so that ``qualcode undo`` brings back the old text, segments and codings
exactly (and keeps the search index in step).
"""

from __future__ import annotations

import bisect
import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from qualcode.errors import NotFoundError
from qualcode.store.documents import PreparedDocument, content_hash
from qualcode.store.journal import journaled
from qualcode.store.project import Project, now_utc
from qualcode.store.search import forget_segments
from qualcode.text.aligning import Alignment

#: Columns of a segment row, in the order the journal stores them.
_SEGMENT_COLUMNS = (
    "segment_id", "document_id", "ordinal", "speaker", "role", "start_char", "end_char",
    "start_time", "end_time", "text",
)  # fmt: skip
_DOCUMENT_COLUMNS = (
    "document_id", "name", "case_id", "content_hash", "text", "encoding", "language",
    "source_format", "source_path", "unit", "imported_at",
)  # fmt: skip


@dataclass
class ReplaceReport:
    """What a replacement did to the document's coding."""

    document: str
    carried: int = 0
    changed: int = 0
    orphaned: int = 0
    suggestions_carried: int = 0
    suggestions_dropped: int = 0
    #: Superseded automatic codings whose text is gone (history, not current coding).
    superseded_dropped: int = 0
    memos_moved: int = 0
    #: ``(coding_id, code, old quote, new quote or None when orphaned)`` of every coding whose
    #: text changed or is gone.
    details: list[tuple[int, str, str, str | None]] = field(default_factory=list)

    def summary(self) -> str:
        """``"codings: 10 carried, 2 changed, 1 orphaned"`` and what else moved."""
        parts = [
            f"codings: {self.carried} carried, {self.changed} changed, {self.orphaned} orphaned"
        ]
        if self.suggestions_carried or self.suggestions_dropped:
            parts.append(
                f"suggestions: {self.suggestions_carried} carried, "
                f"{self.suggestions_dropped} dropped"
            )
        if self.superseded_dropped:
            parts.append(
                f"{self.superseded_dropped} superseded automatic "
                f"coding{'' if self.superseded_dropped == 1 else 's'} dropped"
            )
        if self.memos_moved:
            parts.append(f"{self.memos_moved} memo{'' if self.memos_moved == 1 else 's'} moved")
        if self.orphaned:
            parts.append("see 'qualcode codings orphaned'")
        return "; ".join(parts)


def needs_alignment(conn: sqlite3.Connection, document: PreparedDocument) -> bool:
    """Whether importing ``document`` with ``--replace`` replaces a document of the same name
    and other content that has coding work to carry (else the plain store does the job)."""
    if conn.execute(
        "SELECT 1 FROM documents WHERE content_hash = ?", (document.content_hash,)
    ).fetchone():
        return False
    return has_coding_work(conn, document.name)


def has_coding_work(conn: sqlite3.Connection, name: str) -> bool:
    """Whether document ``name`` has codings, suggestions or memos (on its segments or on
    itself) that a replacement must keep."""
    row = conn.execute(
        """
        SELECT EXISTS (SELECT 1 FROM codings c JOIN segments s USING (segment_id)
                       JOIN documents d USING (document_id) WHERE d.name = :name)
            OR EXISTS (SELECT 1 FROM suggestions g JOIN segments s USING (segment_id)
                       JOIN documents d USING (document_id) WHERE d.name = :name)
            OR EXISTS (SELECT 1 FROM memos m JOIN segments s
                       ON m.target_kind = 'segment' AND m.target = CAST(s.segment_id AS TEXT)
                       JOIN documents d USING (document_id) WHERE d.name = :name)
            OR EXISTS (SELECT 1 FROM memos
                       WHERE target_kind = 'document' AND target = :name)
        """,
        {"name": name},
    ).fetchone()
    return bool(row[0])


def replace_coded_document(project: Project, document: PreparedDocument) -> ReplaceReport:
    """Replace the document named ``document.name`` by ``document``, carrying its coding."""
    conn = project.conn
    old = conn.execute(
        "SELECT document_id, text FROM documents WHERE name = ?", (document.name,)
    ).fetchone()
    if old is None:
        raise NotFoundError(f"no document {document.name!r} (see 'qualcode docs list')")
    document_id, old_text = int(old[0]), str(old[1])
    alignment = Alignment(old_text, document.text)
    report = ReplaceReport(document.name)
    summary = f"import --replace {document.name}"
    with journaled(project, "import-replace", summary) as transaction:
        transaction.execute("PRAGMA defer_foreign_keys = ON")
        old_segments = _replace_rows(transaction, document_id, document)
        new_segments = _segment_spans(transaction, document_id)
        _apply_roles_set_by_hand(transaction, document_id)
        _carry_codings(transaction, document_id, alignment, new_segments, document.text, report)
        _carry_suggestions(transaction, document_id, alignment, new_segments, report)
        _move_memos(transaction, document.name, old_segments, alignment, new_segments, report)
        _delete_old_segments(transaction, [segment_id for segment_id, _s, _e in old_segments])
        transaction.execute(
            "UPDATE journal_entries SET summary = ? "
            "WHERE entry_id = (SELECT entry_id FROM journal_state)",
            (f"{summary} ({report.summary()})",),
        )
    return report


def _entry_id(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT entry_id FROM journal_state").fetchone()[0])


def _replace_rows(
    conn: sqlite3.Connection, document_id: int, document: PreparedDocument
) -> list[tuple[int, int, int]]:
    """Write the new document text and segments (journaled here); the old segments are
    renumbered out of the way until their codings have moved. Returns the old segments'
    ``(segment_id, start_char, end_char)``."""
    entry_id = _entry_id(conn)
    old_row = "json_object(" + ", ".join(f"'{name}', {name}" for name in _DOCUMENT_COLUMNS) + ")"
    conn.execute(
        "INSERT INTO journal_changes (entry_id, table_name, operation, row_id, old_row) "
        f"SELECT ?, 'documents', 'update', document_id, {old_row} FROM documents "
        "WHERE document_id = ?",
        (entry_id, document_id),
    )
    conn.execute(
        "UPDATE documents SET content_hash = ?, text = ?, encoding = ?, language = ?, "
        "source_format = ?, source_path = ?, unit = ?, imported_at = ? WHERE document_id = ?",
        (
            content_hash(document.text), document.text, document.encoding, document.language,
            document.source_format, document.source_path, document.unit, now_utc(),
            document_id,
        ),
    )  # fmt: skip
    old_segments = [
        (int(row[0]), int(row[1]), int(row[2]))
        for row in conn.execute(
            "SELECT segment_id, start_char, end_char FROM segments WHERE document_id = ? "
            "ORDER BY ordinal",
            (document_id,),
        )
    ]
    forget_segments(conn, document_id)
    # The journal keeps each old segment as it was (the delete change is recorded now, the
    # row deleted at the end); ordinals move out of the new segments' way meanwhile.
    segment_row = "json_object(" + ", ".join(f"'{name}', {name}" for name in _SEGMENT_COLUMNS) + ")"
    conn.execute(
        "INSERT INTO journal_changes (entry_id, table_name, operation, row_id, old_row) "
        f"SELECT ?, 'segments', 'delete', segment_id, {segment_row} FROM segments "
        "WHERE document_id = ? ORDER BY segment_id",
        (entry_id, document_id),
    )
    conn.execute("UPDATE journal_state SET entry_id = NULL")  # the renumbering is not a change
    conn.execute("UPDATE segments SET ordinal = -1 - ordinal WHERE document_id = ?", (document_id,))
    conn.execute("UPDATE journal_state SET entry_id = ?", (entry_id,))
    newest = conn.execute("SELECT coalesce(max(segment_id), 0) FROM segments").fetchone()[0]
    conn.executemany(
        "INSERT INTO segments (document_id, ordinal, speaker, role, start_char, end_char, "
        "start_time, end_time, text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        document.segment_columns.rows(document_id, document.text),
    )
    conn.execute(
        "INSERT INTO journal_changes (entry_id, table_name, operation, row_id) "
        "SELECT ?, 'segments', 'insert', segment_id FROM segments "
        "WHERE document_id = ? AND segment_id > ? ORDER BY segment_id",
        (entry_id, document_id, newest),
    )
    return old_segments


def _segment_spans(conn: sqlite3.Connection, document_id: int) -> list[tuple[int, int, int]]:
    """``(segment_id, start_char, end_char)`` of the new segments, in order."""
    return [
        (int(row[0]), int(row[1]), int(row[2]))
        for row in conn.execute(
            "SELECT segment_id, start_char, end_char FROM segments "
            "WHERE document_id = ? AND ordinal >= 0 ORDER BY start_char",
            (document_id,),
        )
    ]


def _apply_roles_set_by_hand(conn: sqlite3.Connection, document_id: int) -> None:
    conn.execute(
        "UPDATE segments SET role = (SELECT r.role FROM speaker_roles r "
        "WHERE r.document_id = segments.document_id AND r.speaker = segments.speaker) "
        "WHERE document_id = ? AND ordinal >= 0 AND speaker IN "
        "(SELECT speaker FROM speaker_roles WHERE document_id = ?)",
        (document_id, document_id),
    )


def _in_a_segment(
    start: int, end: int, segments: list[tuple[int, int, int]]
) -> tuple[int, int, int] | None:
    """``(segment_id, start, end)``: the span cut to the segment it overlaps most, if any.

    ``segments`` are ``(segment_id, start_char, end_char)`` in text order, not overlapping.
    """
    first = max(bisect.bisect_right(segments, start, key=_start_of) - 1, 0)
    best: tuple[int, int, int] | None = None
    best_overlap = 0
    for segment_id, segment_start, segment_end in segments[first:]:
        if segment_start >= end:
            break
        overlap = min(end, segment_end) - max(start, segment_start)
        if overlap > best_overlap:
            best_overlap = overlap
            best = (segment_id, max(start, segment_start), min(end, segment_end))
    return best


def _start_of(segment: tuple[int, int, int]) -> int:
    return segment[1]


def _carry_codings(
    conn: sqlite3.Connection,
    document_id: int,
    alignment: Alignment,
    segments: list[tuple[int, int, int]],
    new_text: str,
    report: ReplaceReport,
) -> None:
    rows = conn.execute(
        "SELECT c.* FROM codings c JOIN segments s USING (segment_id) "
        "WHERE s.document_id = ? ORDER BY c.coding_id",
        (document_id,),
    ).fetchall()
    old_text = _old_text(conn)
    taken: set[tuple[int, str, str, int, int]] = set()
    for row in rows:
        old_quote = old_text[row["start_char"] : row["end_char"]]
        mapped = alignment.map_span(row["start_char"], row["end_char"])
        placed = (
            None if mapped.fate == "gone" else _in_a_segment(mapped.start, mapped.end, segments)
        )
        if row["superseded_by_run"] is not None:
            _carry_superseded(conn, row["coding_id"], placed, alignment, row["spans"], report)
            continue
        key = None
        if placed is not None and row["origin"] == "manual":
            key = (placed[0], row["code_id"], row["coder"], placed[1], placed[2])
            if key in taken:
                placed = None
        if placed is None:
            _orphan(conn, document_id, row, old_quote)
            report.orphaned += 1
            report.details.append((row["coding_id"], row["code_id"], old_quote, None))
            continue
        if key is not None:
            taken.add(key)
        segment_id, start, end = placed
        conn.execute(
            "UPDATE codings SET segment_id = ?, start_char = ?, end_char = ?, spans = ? "
            "WHERE coding_id = ?",
            (segment_id, start, end, _mapped_spans(alignment, row["spans"]), row["coding_id"]),
        )
        new_quote = new_text[start:end]
        if mapped.fate == "carried" and new_quote == old_quote:
            report.carried += 1
        else:
            report.changed += 1
            report.details.append((row["coding_id"], row["code_id"], old_quote, new_quote))


def _carry_superseded(
    conn: sqlite3.Connection,
    coding_id: int,
    placed: tuple[int, int, int] | None,
    alignment: Alignment,
    spans: str | None,
    report: ReplaceReport,
) -> None:
    """Move a superseded automatic coding with its text, or delete it if its text is gone."""
    if not _move_or_drop(conn, "codings", "coding_id", coding_id, placed, alignment, spans):
        report.superseded_dropped += 1


def _mapped_spans(alignment: Alignment, spans: str | None) -> str | None:
    """The term spans of a proximity hit (JSON ``[[start, end], ...]``) in the new text."""
    if spans is None:
        return None
    mapped = [alignment.map_span(start, end) for start, end in json.loads(spans)]
    return json.dumps([[span.start, span.end] for span in mapped])


def _old_text(conn: sqlite3.Connection) -> str:
    """The document text before this replacement, from the journal's copy of the row."""
    row = conn.execute(
        "SELECT json_extract(old_row, '$.text') FROM journal_changes "
        "WHERE entry_id = (SELECT entry_id FROM journal_state) AND table_name = 'documents' "
        "ORDER BY change_id LIMIT 1"
    ).fetchone()
    return str(row[0])


def _orphan(conn: sqlite3.Connection, document_id: int, row: sqlite3.Row, quote: str) -> None:
    conn.execute(
        "INSERT INTO orphaned_codings (document_id, coding_id, code_id, coder, origin, run_id, "
        "rule, old_start_char, old_end_char, quote, memo, created_at, orphaned_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            document_id, row["coding_id"], row["code_id"], row["coder"], row["origin"],
            row["run_id"], row["rule"], row["start_char"], row["end_char"], quote, row["memo"],
            row["created_at"], now_utc(),
        ),
    )  # fmt: skip
    conn.execute("DELETE FROM codings WHERE coding_id = ?", (row["coding_id"],))


def _move_or_drop(
    conn: sqlite3.Connection,
    table: str,
    key: str,
    row_id: int,
    placed: tuple[int, int, int] | None,
    alignment: Alignment,
    spans: str | None,
) -> bool:
    """Move a row of ``table`` (codings or suggestions) to its ``placed`` segment and span, or
    delete it when its text is gone (``placed`` is None); return whether it was moved."""
    if placed is None:
        conn.execute(f"DELETE FROM {table} WHERE {key} = ?", (row_id,))
        return False
    conn.execute(
        f"UPDATE {table} SET segment_id = ?, start_char = ?, end_char = ?, spans = ? "
        f"WHERE {key} = ?",
        (*placed, _mapped_spans(alignment, spans), row_id),
    )
    return True


def _carry_suggestions(
    conn: sqlite3.Connection,
    document_id: int,
    alignment: Alignment,
    segments: list[tuple[int, int, int]],
    report: ReplaceReport,
) -> None:
    rows = conn.execute(
        "SELECT g.suggestion_id, g.start_char, g.end_char, g.spans FROM suggestions g "
        "JOIN segments s USING (segment_id) WHERE s.document_id = ? AND s.ordinal < 0",
        (document_id,),
    ).fetchall()
    for suggestion_id, start, end, spans in rows:
        mapped = alignment.map_span(start, end)
        placed = (
            None if mapped.fate == "gone" else _in_a_segment(mapped.start, mapped.end, segments)
        )
        if _move_or_drop(
            conn, "suggestions", "suggestion_id", suggestion_id, placed, alignment, spans
        ):
            report.suggestions_carried += 1
        else:
            report.suggestions_dropped += 1


def _move_memos(
    conn: sqlite3.Connection,
    name: str,
    old_segments: list[tuple[int, int, int]],
    alignment: Alignment,
    segments: list[tuple[int, int, int]],
    report: ReplaceReport,
) -> None:
    spans = {str(segment_id): (start, end) for segment_id, start, end in old_segments}
    if not spans:
        return
    memos: list[Any] = conn.execute(
        "SELECT memo_id, target, text FROM memos WHERE target_kind = 'segment' AND target IN "
        f"({', '.join('?' * len(spans))})",
        list(spans),
    ).fetchall()
    for memo_id, target, text in memos:
        start, end = spans[target]
        mapped = alignment.map_span(start, end)
        placed = (
            _in_a_segment(mapped.start, mapped.end, segments) if mapped.end > mapped.start else None
        )
        if placed is None:
            conn.execute(
                "UPDATE memos SET target_kind = 'document', target = ?, text = ? WHERE memo_id = ?",
                (name, f"[on segment {target}, whose text the correction removed] {text}", memo_id),
            )
        else:
            conn.execute("UPDATE memos SET target = ? WHERE memo_id = ?", (str(placed[0]), memo_id))
        report.memos_moved += 1


def _delete_old_segments(conn: sqlite3.Connection, segment_ids: list[int]) -> None:
    """Delete the old segments; their delete changes were journaled with their rows already."""
    entry_id = _entry_id(conn)
    conn.execute("UPDATE journal_state SET entry_id = NULL")
    conn.executemany("DELETE FROM segments WHERE segment_id = ?", [(i,) for i in segment_ids])
    conn.execute("UPDATE journal_state SET entry_id = ?", (entry_id,))


#: Fields of one row of ``qualcode codings orphaned``.
ORPHAN_FIELDS = (
    "orphan_id", "document", "code", "coder", "origin", "quote", "old_start_char",
    "old_end_char", "memo", "orphaned_at",
)  # fmt: skip


def list_orphaned_codings(project: Project) -> list[dict[str, Any]]:
    """Codings a corrected transcript no longer has the text of, oldest first."""
    rows = project.conn.execute(
        """
        SELECT o.orphan_id, d.name AS document, o.code_id AS code, o.coder, o.origin, o.quote,
            o.old_start_char, o.old_end_char, o.memo, o.orphaned_at
        FROM orphaned_codings o JOIN documents d ON d.document_id = o.document_id
        ORDER BY o.orphan_id
        """
    ).fetchall()
    return [dict(row) for row in rows]
