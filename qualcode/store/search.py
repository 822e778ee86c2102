"""Keyword-in-context search over segments, Chinese and English.

Queries of three or more characters go through an FTS5 trigram index (``segments_fts``);
shorter queries, common in Chinese (``网格``, ``卡``), fall back to a scan with ``instr``.

The index is not written at import: trigram indexing costs more CPU than storing the segments
themselves (bench/README.md, "Search index"), far above the 15% of import time it was allowed.
Instead a stored watermark says how far the index reaches, and :func:`update_search_index`
extends it in short batches, each its own write transaction of a fraction of a second, taken
only when no other command is writing (it never waits for the lock) and for at most a time
budget per search. Segments above the watermark are searched by a scan, so every search is
complete whatever the index's state, a search never waits for a writer, and no command holds
the write lock for long to build the index. A replaced document's indexed segments are removed
from the index in the transaction that deletes them.
"""

from __future__ import annotations

import sqlite3
import time
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from qualcode.errors import UsageError
from qualcode.store.project import Project, is_lock_error
from qualcode.store.rows import SegmentRow, typed_row

_WATERMARK_KEY = "fts_indexed_through_segment_id"
#: Trigram index needs at least this many characters in a query.
TRIGRAM_MINIMUM = 3
#: Segments indexed per write transaction: about 0.1 s of work, so a command waiting to
#: write (a ``code``, a review key press) waits at most that long.
INDEX_BATCH = 5_000
#: Seconds a search spends extending the index before it answers (the rest by scan).
INDEX_BUDGET_SECONDS = 1.0


def _watermark(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT value FROM settings WHERE key = ?", (_WATERMARK_KEY,)).fetchone()
    return int(row[0]) if row is not None else 0


def update_search_index(
    project: Project,
    *,
    budget_seconds: float | None = INDEX_BUDGET_SECONDS,
    batch: int = INDEX_BATCH,
) -> int:
    """Index segments beyond the watermark in batches; return how many were indexed.

    Stops when everything is indexed, when ``budget_seconds`` have passed (``None``: no
    limit) or as soon as another command holds the write lock: each batch is tried without
    waiting, so this never blocks (or is blocked) for longer than one batch.
    """
    started = time.monotonic()
    indexed = 0
    while budget_seconds is None or time.monotonic() - started < budget_seconds:
        added = _index_batch(project, batch)
        if added is None or added == 0:
            break
        indexed += added
    return indexed


def _index_batch(project: Project, batch: int) -> int | None:
    """Index the next ``batch`` segments in one transaction; ``None`` if the lock is taken."""
    conn = project.conn
    (busy_timeout,) = conn.execute("PRAGMA busy_timeout").fetchone()
    conn.execute("PRAGMA busy_timeout = 0")
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as error:
        if is_lock_error(error):
            return None
        raise
    finally:
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout)}")
    try:
        indexed_through = _watermark(conn)
        last = conn.execute(
            "SELECT max(segment_id), count(*) FROM (SELECT segment_id FROM segments "
            "WHERE segment_id > ? ORDER BY segment_id LIMIT ?)",
            (indexed_through, batch),
        ).fetchone()
        if last[0] is None:
            conn.execute("COMMIT")
            return 0
        conn.execute(
            "INSERT INTO segments_fts (rowid, text) SELECT segment_id, text FROM segments "
            "WHERE segment_id > ? AND segment_id <= ?",
            (indexed_through, last[0]),
        )
        conn.execute(
            "INSERT INTO settings (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (_WATERMARK_KEY, last[0]),
        )
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return int(last[1])


def index_document_segments(conn: sqlite3.Connection, document_id: int) -> None:
    """Index a document's segments that lie below the watermark (caller's transaction).

    For a document put back by ``undo`` with its old segment ids: those the index covered
    before go back in; any above the watermark are picked up with the rest.
    """
    conn.execute(
        "INSERT INTO segments_fts (rowid, text) SELECT segment_id, text FROM segments "
        "WHERE document_id = ? AND segment_id <= ?",
        (document_id, _watermark(conn)),
    )


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
        # The index up to the watermark, a scan beyond it (see the module docstring).
        clauses.append(
            "(v.segment_id IN (SELECT rowid FROM segments_fts WHERE segments_fts MATCH ?) "
            "OR (v.segment_id > ? AND instr(lower(v.text), lower(?)) > 0))"
        )
        parameters.extend([_fts_phrase(query), _watermark(project.conn), query])
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
