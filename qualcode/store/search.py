"""Keyword-in-context search over segments, Chinese and English.

Queries of three or more characters go through an FTS5 trigram index (``segments_fts``);
shorter queries, common in Chinese (``网格``, ``卡``), fall back to a scan with ``instr``.
The index is brought up to date lazily at the first search after an import rather than during
import, so that imports stay fast: rows above a stored watermark are added, and a replaced
document's rows are removed from the index in the same transaction that deletes them.
"""

from __future__ import annotations

import sqlite3
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from qualcode.errors import UsageError
from qualcode.store.project import Project
from qualcode.store.rows import SegmentRow, typed_row

_WATERMARK_KEY = "fts_indexed_through_segment_id"
#: Trigram index needs at least this many characters in a query.
TRIGRAM_MINIMUM = 3


def _watermark(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT value FROM settings WHERE key = ?", (_WATERMARK_KEY,)).fetchone()
    return int(row[0]) if row is not None else 0


def update_search_index(project: Project) -> int:
    """Index every segment added since the last search; return how many were indexed."""
    conn = project.conn
    newest = conn.execute("SELECT coalesce(max(segment_id), 0) FROM segments").fetchone()[0]
    indexed_through = _watermark(conn)
    if newest <= indexed_through:
        return 0
    with project.transaction():
        cursor = conn.execute(
            "INSERT INTO segments_fts (rowid, text) "
            "SELECT segment_id, text FROM segments WHERE segment_id > ?",
            (indexed_through,),
        )
        conn.execute(
            "INSERT INTO settings (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (_WATERMARK_KEY, newest),
        )
    return int(cursor.rowcount)


def forget_segments(conn: sqlite3.Connection, document_id: int) -> None:
    """Remove a document's already-indexed segments from the index (caller's transaction)."""
    conn.execute(
        "INSERT INTO segments_fts (segments_fts, rowid, text) "
        "SELECT 'delete', segment_id, text FROM segments "
        "WHERE document_id = ? AND segment_id <= ?",
        (document_id, _watermark(conn)),
    )


def unindex_segment(conn: sqlite3.Connection, segment_id: int) -> None:
    """Remove one segment from the index if it is there (before the segment row is deleted)."""
    conn.execute(
        "INSERT INTO segments_fts (segments_fts, rowid, text) "
        "SELECT 'delete', segment_id, text FROM segments WHERE segment_id = ? AND segment_id <= ?",
        (segment_id, _watermark(conn)),
    )


def reindex_segment(conn: sqlite3.Connection, segment_id: int) -> None:
    """Index one segment written back below the watermark (by ``qualcode undo``)."""
    conn.execute(
        "INSERT INTO segments_fts (rowid, text) "
        "SELECT segment_id, text FROM segments WHERE segment_id = ? AND segment_id <= ?",
        (segment_id, _watermark(conn)),
    )


@dataclass
class SearchHit:
    """A segment containing the query, with the positions of every occurrence in its text."""

    segment: SegmentRow
    spans: list[tuple[int, int]] = field(default_factory=list)


def _fts_phrase(query: str) -> str:
    return '"' + query.replace('"', '""') + '"'


def _occurrences(text: str, query: str) -> list[tuple[int, int]]:
    """Non-overlapping occurrences, case-insensitive for text whose case folding keeps length."""
    haystack, needle = text, query
    folded = text.casefold()
    if len(folded) == len(text):
        haystack, needle = folded, query.casefold()
    spans = []
    position = haystack.find(needle)
    while position != -1 and needle:
        spans.append((position, position + len(needle)))
        position = haystack.find(needle, position + len(needle))
    return spans


def _require_names(
    project: Project, case_name: str | None, document: str | None, speaker: str | None
) -> None:
    """A case, document or speaker filter that matches nothing is an error, not no hits."""
    from qualcode.store.names import require_name

    if case_name is not None:
        require_name(project.conn, "case", case_name)
    if document is not None:
        require_name(project.conn, "document", document)
    if speaker is not None:
        require_name(project.conn, "speaker", speaker)


def search(
    project: Project,
    query: str,
    *,
    case_name: str | None = None,
    document: str | None = None,
    speaker: str | None = None,
    limit: int | None = None,
) -> Iterator[SearchHit]:
    """Segments containing ``query`` (case-insensitive for Latin), in segment order."""
    query = unicodedata.normalize("NFC", query).strip()
    if not query:
        raise UsageError("the search query is empty")
    _require_names(project, case_name, document, speaker)
    clauses: list[str] = []
    parameters: list[Any] = []
    if len(query) >= TRIGRAM_MINIMUM:
        update_search_index(project)
        clauses.append(
            "v.segment_id IN (SELECT rowid FROM segments_fts WHERE segments_fts MATCH ?)"
        )
        parameters.append(_fts_phrase(query))
    else:
        # instr is exact; lower() folds ASCII only, which is what short Latin queries need.
        clauses.append("instr(lower(v.text), lower(?)) > 0")
        parameters.append(query)
    for column, value in (("case_name", case_name), ("document", document), ("speaker", speaker)):
        if value is not None:
            clauses.append(f"v.{column} = ?")
            parameters.append(value)
    sql = f"SELECT v.* FROM segments_view v WHERE {' AND '.join(clauses)} ORDER BY v.segment_id"
    found = 0
    for row in project.conn.execute(sql, parameters):
        segment = typed_row(row, SegmentRow)
        spans = _occurrences(segment["text"], query)
        if not spans:
            continue
        yield SearchHit(segment, spans)
        found += 1
        if limit is not None and found >= limit:
            return
