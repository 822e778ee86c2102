"""Reads and writes for moving whole projects in and out (REFI-QDA ``.qdpx``).

The export side reads the project as plain rows in a stable order (so that two exports of the
same project are the same file); the import side writes documents, codings, memos and imported
automatic codings inside the caller's transaction (:mod:`qualcode.flows.qdpx` opens one
journaled transaction for the whole file).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from qualcode.errors import ConflictError
from qualcode.store.project import Project, now_utc

#: Tables a project import writes rows into that point at other rows.
_IMPORTED_TABLES = ("segments", "codings", "autocode_runs", "codes")
#: Pages of SQLite's cache during a bulk import (negative: KiB), so the indexes of a million
#: codings stay in memory instead of being re-read from the file.
_BULK_CACHE_KIB = 512 * 1024


def exported_documents(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every document with its case, text and how it was segmented, in import order."""
    rows = conn.execute(
        "SELECT d.document_id, d.name, c.name AS case_name, d.content_hash, d.text, d.language, "
        "d.unit, d.imported_at FROM documents d JOIN cases c ON c.case_id = d.case_id "
        "ORDER BY d.document_id"
    )
    return [dict(row) for row in rows]


def exported_cases(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every case: ``name``, ``attributes`` (name -> value, in definition order) and the
    content hashes of its documents."""
    cases: dict[int, dict[str, Any]] = {}
    for case_id, name in conn.execute("SELECT case_id, name FROM cases ORDER BY case_id"):
        cases[int(case_id)] = {"name": str(name), "attributes": {}, "documents": []}
    for case_id, name, value in conn.execute(
        "SELECT case_id, name, value FROM case_attributes ORDER BY rowid"
    ):
        cases[int(case_id)]["attributes"][str(name)] = value
    for case_id, digest in conn.execute(
        "SELECT case_id, content_hash FROM documents ORDER BY document_id"
    ):
        cases[int(case_id)]["documents"].append(str(digest))
    return list(cases.values())


#: Columns of :func:`exported_codings` rows, in order.
CODING_COLUMNS = (
    "coding_id", "document_id", "code_id", "coder", "origin", "run_id", "rule_kind", "rule",
    "start_char", "end_char", "memo", "created_at",
)  # fmt: skip


def exported_codings(conn: sqlite3.Connection) -> Iterator[tuple[Any, ...]]:
    """Current codings of active codes (superseded automatic ones left out), by document and
    position; each a tuple of :data:`CODING_COLUMNS`."""
    yield from conn.execute(
        "SELECT c.coding_id, s.document_id, c.code_id, c.coder, c.origin, c.run_id, "
        "c.rule_kind, c.rule, c.start_char, c.end_char, c.memo, c.created_at "
        "FROM codings c JOIN segments s ON s.segment_id = c.segment_id "
        "JOIN codes k ON k.code_id = c.code_id "
        "WHERE c.superseded_by_run IS NULL AND k.active "
        "ORDER BY s.document_id, c.start_char, c.end_char, c.coding_id"
    )


def codings_of_retired_codes(conn: sqlite3.Connection) -> int:
    """How many current codings belong to codes the codebook no longer has (not exported)."""
    row = conn.execute(
        "SELECT count(*) FROM codings c JOIN codes k ON k.code_id = c.code_id "
        "WHERE c.superseded_by_run IS NULL AND NOT k.active"
    ).fetchone()
    return int(row[0])


def exported_memos(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every memo; a memo on a segment carries the segment's document and span too."""
    rows = conn.execute(
        "SELECT m.memo_id, m.target_kind, m.target, m.coder, m.text, m.created_at, "
        "s.document_id AS segment_document_id, s.start_char, s.end_char "
        "FROM memos m LEFT JOIN segments s ON m.target_kind = 'segment' "
        "AND CAST(s.segment_id AS TEXT) = m.target ORDER BY m.memo_id"
    )
    return [dict(row) for row in rows]


def coders(conn: sqlite3.Connection) -> list[str]:
    """Everyone who made a current coding or a memo, sorted."""
    rows = conn.execute(
        "SELECT coder FROM codings WHERE superseded_by_run IS NULL UNION "
        "SELECT coder FROM memos ORDER BY coder"
    )
    return [str(row[0]) for row in rows]


# Import side --------------------------------------------------------------------------------


@contextmanager
def bulk_import(project: Project) -> Iterator[None]:
    """Settings for writing a whole project file in one transaction opened inside the block.

    Foreign keys are checked once, on the written tables, by :func:`check_foreign_keys`
    before the commit instead of on every row (a third of the cost of inserting a coding);
    the pragma only takes effect outside a transaction, hence a block around it. The page
    cache is larger, so the indexes of a million codings stay in memory. Both are restored.
    """
    conn = project.conn
    cache = conn.execute("PRAGMA cache_size").fetchone()[0]
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute(f"PRAGMA cache_size = {-_BULK_CACHE_KIB}")
    try:
        yield
    finally:
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute(f"PRAGMA cache_size = {int(cache)}")


def check_foreign_keys(conn: sqlite3.Connection) -> None:
    """Raise if a row an import wrote points at a missing row (see :func:`bulk_import`)."""
    for table in _IMPORTED_TABLES:
        violation = conn.execute(f"PRAGMA foreign_key_check({table})").fetchone()
        if violation is not None:
            raise ConflictError(
                f"cannot import: row {violation[1]} of {violation[0]} would point at a missing "
                f"row of {violation[2]}; nothing imported"
            )


def document_by_hash(conn: sqlite3.Connection, digest: str) -> tuple[int, str] | None:
    """The id and name of the document with this content, if the project has it."""
    row = conn.execute(
        "SELECT document_id, name FROM documents WHERE content_hash = ?", (digest,)
    ).fetchone()
    return None if row is None else (int(row[0]), str(row[1]))


def document_name_taken(conn: sqlite3.Connection, name: str) -> bool:
    return conn.execute("SELECT 1 FROM documents WHERE name = ?", (name,)).fetchone() is not None


@dataclass(frozen=True)
class StoredSegment:
    segment_id: int
    start_char: int
    end_char: int


def document_segments(conn: sqlite3.Connection, document_id: int) -> list[StoredSegment]:
    """The segments of a document in text order."""
    return [
        StoredSegment(int(row[0]), int(row[1]), int(row[2]))
        for row in conn.execute(
            "SELECT segment_id, start_char, end_char FROM segments WHERE document_id = ? "
            "ORDER BY start_char",
            (document_id,),
        )
    ]


def largest_coding_id(conn: sqlite3.Connection) -> int:
    """The largest coding id so far (0 for none): new codings get larger ones."""
    return int(conn.execute("SELECT coalesce(max(coding_id), 0) FROM codings").fetchone()[0])


def insert_manual_codings(conn: sqlite3.Connection, rows: Iterable[tuple[Any, ...]]) -> int:
    """Insert manual codings ``(segment_id, code_id, coder, start_char, end_char, memo,
    created_at)``; one already present (same segment, code, coder and span) is left as it is.
    Returns how many were added."""
    cursor = conn.executemany(
        "INSERT OR IGNORE INTO codings (segment_id, code_id, coder, origin, start_char, "
        "end_char, memo, created_at) VALUES (?, ?, ?, 'manual', ?, ?, ?, ?)",
        rows,
    )
    return int(cursor.rowcount)  # rows inserted (ignored ones and trigger rows not counted)


def start_imported_run(
    conn: sqlite3.Connection,
    version_id: int,
    codebook_hash: str,
    parameters: dict[str, Any],
    tool_version: str,
) -> int:
    """Open an ``apply`` run for automatic codings from another project; return its id.

    Its codings are added in batches (:func:`add_imported_codings`, e.g. one per document, so
    an import never holds them all) and :func:`finish_imported_run` records the count.
    ``through_segment_id`` is 0, so the next ``autocode`` run treats every segment as new and
    supersedes these codings, as it would its own earlier run's.
    """
    started = now_utc()
    cursor = conn.execute(
        "INSERT INTO autocode_runs (version_id, codebook_hash, mode, parameters, tool_version, "
        "run_by, through_segment_id, segments_processed, codings_added, started_at, "
        "finished_at) VALUES (?, ?, 'apply', ?, ?, 'import', 0, 0, 0, ?, ?)",
        (version_id, codebook_hash, json.dumps(parameters, ensure_ascii=False, sort_keys=True),
         tool_version, started, started),
    )  # fmt: skip
    return int(cursor.lastrowid or 0)


def add_imported_codings(conn: sqlite3.Connection, run_id: int, rows: list[tuple[Any, ...]]) -> int:
    """Add automatic codings ``(segment_id, code_id, rule_kind, rule, start_char, end_char,
    created_at)`` to an imported run; return how many were added.

    One the project already has as a current automatic coding (same segment, code and span,
    from this batch, an earlier batch or an earlier run) is not added again. The check reads
    the current automatic codings of the batch's segment range, so batches of one document
    each stay cheap.
    """
    if not rows:
        return 0
    segment_ids = [row[0] for row in rows]
    seen = {
        (int(segment_id), str(code_id), int(start), int(end))
        for segment_id, code_id, start, end in conn.execute(
            "SELECT segment_id, code_id, start_char, end_char FROM codings "
            "WHERE origin = 'auto' AND superseded_by_run IS NULL AND segment_id BETWEEN ? AND ?",
            (min(segment_ids), max(segment_ids)),
        )
    }
    new_rows = []
    for segment_id, code_id, rule_kind, rule, start, end, created_at in rows:
        key = (segment_id, code_id, start, end)
        if key not in seen:
            seen.add(key)
            new_rows.append(
                (segment_id, code_id, run_id, rule_kind, rule, start, end, created_at)
            )  # fmt: skip
    cursor = conn.executemany(
        "INSERT INTO codings (segment_id, code_id, coder, origin, run_id, rule_kind, rule, "
        "start_char, end_char, created_at) VALUES (?, ?, 'auto', 'auto', ?, ?, ?, ?, ?, ?)",
        new_rows,
    )
    return int(cursor.rowcount)


def finish_imported_run(conn: sqlite3.Connection, run_id: int, added: int) -> None:
    """Record how many codings an imported run added; a run that added none is not kept."""
    if added:
        conn.execute("UPDATE autocode_runs SET codings_added = ? WHERE run_id = ?", (added, run_id))
    else:
        conn.execute("DELETE FROM autocode_runs WHERE run_id = ?", (run_id,))


def insert_memos(conn: sqlite3.Connection, rows: Iterable[tuple[str, str, str, str, str]]) -> int:
    """Insert memos ``(target_kind, target, coder, text, created_at)``; a memo already there
    (same target, coder and text) is not repeated. Returns how many were added."""
    added = 0
    for target_kind, target, coder, text, created_at in rows:
        exists = conn.execute(
            "SELECT 1 FROM memos WHERE target_kind = ? AND target = ? AND coder = ? AND text = ?",
            (target_kind, target, coder, text),
        ).fetchone()
        if exists is None:
            conn.execute(
                "INSERT INTO memos (target_kind, target, coder, text, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (target_kind, target, coder, text, created_at),
            )
            added += 1
    return added


def coded_code_ids(conn: sqlite3.Connection) -> set[str]:
    """Codes with at least one current coding of their own."""
    rows = conn.execute("SELECT DISTINCT code_id FROM codings WHERE superseded_by_run IS NULL")
    return {str(row[0]) for row in rows}


def latest_codebook_version(conn: sqlite3.Connection) -> tuple[int, str]:
    """The id and content hash of the newest codebook version."""
    row = conn.execute(
        "SELECT version_id, content_hash FROM codebook_versions ORDER BY version_id DESC LIMIT 1"
    ).fetchone()
    return int(row[0]), str(row[1])
