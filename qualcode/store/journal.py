"""The journal of coding-state changes: ``qualcode history`` and ``qualcode undo``.

Every operation that changes coding state runs inside :func:`journaled` instead of a bare
:meth:`~qualcode.store.project.Project.transaction`: coding and uncoding, memos, accepting,
rejecting and reopening suggestions, auto-coding runs, codebook loads, renames, moves and merges,
``qualcode merge`` and imports of codings tables. Kinds are the values of :data:`KINDS`.

How it works (schema in migration ``m003_journal``):

- ``journal_entries`` has one row per operation: ``kind``, a one-line ``summary``, when it was
  made and, once undone, ``undone_at``.
- AFTER INSERT/UPDATE/DELETE triggers on the coding-state tables
  (:data:`qualcode.store.migrations.JOURNALED_TABLES`) append one ``journal_changes`` row per
  changed row: table, operation, rowid and, for updates and deletes, the whole old row as JSON. They
  record only while ``journal_state`` (a one-row table; triggers in the main schema cannot
  read temp tables) names an active entry. :func:`journaled` sets it at the start of the
  transaction and clears it before the commit, so outside an operation nothing is recorded and
  a rollback leaves no trace. Changes made by foreign-key actions (a code rename cascading to
  its codings) are recorded too, because SQLite fires triggers for them.
- Auto-coding runs are journaled compactly (``compact_runs``): the triggers on ``codings`` and
  ``suggestions`` stay silent and one ``run`` change per run is recorded instead. Undoing it
  deletes the run's automatic codings and suggestions and clears the ``superseded_by_run``
  marks it set (those were all NULL before, since a run only marks current codings). A run of
  a million codings thus writes a few journal rows instead of a million (figures in
  ``bench/bench_journal.py``).
- An operation that changed nothing (coding a span already coded, loading the same codebook
  again) leaves no entry.

:func:`undo` takes the newest entries not yet undone, newest first, each in its own
transaction: it replays the inverse of every change in reverse order (delete what was
inserted, write back old rows by rowid), which passes back through the states the operation
went through. Foreign keys are switched off for the replay so that no cascade fires a second
time (the cascaded rows are restored from the journal like any other) and checked on the
touched tables before the commit: if something outside the journal (say a replaced document)
makes the restored state inconsistent, nothing is undone and the error says so. An undone
entry stays in the history, marked; undo is not itself undoable (there is no redo).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from qualcode.errors import ConflictError, NotFoundError, UsageError
from qualcode.store.project import Project, now_utc
from qualcode.store.rows import HistoryEntry
from qualcode.store.search import reindex_segment, unindex_segment

#: Journaled operations, by kind.
KINDS = (
    "code", "uncode", "memo", "memo-delete", "accept", "reject", "reopen", "autocode",
    "codebook-load", "codebook-rename", "codebook-merge", "merge", "codings-import",
    "speakers-set", "import-replace", "qdpx-import", "qualcoder-import", "import",
    "adjudicate",
)  # fmt: skip

#: Fields of one history row, as listed by ``qualcode history --format json``.
HISTORY_FIELDS = ("entry_id", "created_at", "kind", "summary", "undone", "undone_at")

#: Tables whose foreign keys can point at journaled rows (checked after an undo).
_CHECKED_TABLES = (
    "codes", "autocode_runs", "codings", "suggestions", "documents", "segments",
    "case_attributes", "adjudications",
)  # fmt: skip

#: Columns of a segment row as a journaled document keeps them (``documents`` 'delete').
_SEGMENT_COLUMNS = (
    "segment_id", "document_id", "ordinal", "speaker", "role", "start_char", "end_char",
    "start_time", "end_time", "text",
)  # fmt: skip


@contextmanager
def journaled(
    project: Project, kind: str, summary: str, *, compact_runs: bool = False
) -> Iterator[sqlite3.Connection]:
    """Run the block as one transaction journaled as one ``kind`` entry; yield the connection.

    ``compact_runs``: the block is an auto-coding run (only inserts rows carrying its run id
    and marks ``superseded_by_run``); journal it as one ``run`` change instead of per row.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown journal kind {kind!r}")
    with project.transaction() as conn:
        entry_id = int(
            conn.execute(
                "INSERT INTO journal_entries (kind, summary, created_at) VALUES (?, ?, ?)",
                (kind, summary, now_utc()),
            ).lastrowid
            or 0
        )
        conn.execute(
            "UPDATE journal_state SET entry_id = ?, compact_runs = ?", (entry_id, int(compact_runs))
        )
        yield conn
        conn.execute("UPDATE journal_state SET entry_id = NULL, compact_runs = 0")
        _finish_entry(conn, entry_id, compact_runs)


def _finish_entry(conn: sqlite3.Connection, entry_id: int, compact: bool) -> None:
    """Add the ``run`` changes of a compact entry (and their counts to its summary, as
    :func:`set_summary` left it); drop the entry if nothing changed."""
    if compact:
        (summary,) = conn.execute(
            "SELECT summary FROM journal_entries WHERE entry_id = ?", (entry_id,)
        ).fetchone()
        runs = conn.execute(
            "SELECT r.run_id, r.mode, r.codings_added FROM journal_changes j "
            "JOIN autocode_runs r ON r.run_id = j.row_id WHERE j.entry_id = ? "
            "AND j.table_name = 'autocode_runs' AND j.operation = 'insert' ORDER BY r.run_id",
            (entry_id,),
        ).fetchall()
        for run_id, mode, added in runs:
            conn.execute(
                "INSERT INTO journal_changes (entry_id, table_name, operation, row_id) "
                "VALUES (?, 'autocode_runs', 'run', ?)",
                (entry_id, run_id),
            )
            noun = "codings" if mode == "apply" else "suggestions"
            summary += f"; run {run_id}: {added} {noun}"
        conn.execute(
            "UPDATE journal_entries SET summary = ? WHERE entry_id = ?", (summary, entry_id)
        )
    changed = conn.execute("SELECT 1 FROM journal_changes WHERE entry_id = ? LIMIT 1", (entry_id,))
    if changed.fetchone() is None:
        conn.execute("DELETE FROM journal_entries WHERE entry_id = ?", (entry_id,))


def record_document_added(conn: sqlite3.Connection, document_id: int) -> None:
    """Journal an imported document (with its segments) as one change of the active entry.

    Documents and segments are not journaled by triggers: a million segments would mean a
    million journal rows. Undo deletes the document, its segments and their index entries.
    """
    conn.execute(
        "INSERT INTO journal_changes (entry_id, table_name, operation, row_id) "
        "SELECT entry_id, 'documents', 'insert', ? FROM journal_state",
        (document_id,),
    )


def record_document_removed(conn: sqlite3.Connection, document_id: int) -> None:
    """Journal a document about to be deleted (replaced): its row and all its segments.

    Undo puts them back with the same ids, so codings, memos and older journal entries that
    name those segments find them again.
    """
    document = conn.execute(
        "SELECT * FROM documents WHERE document_id = ?", (document_id,)
    ).fetchone()
    segments = conn.execute(
        f"SELECT {', '.join(_SEGMENT_COLUMNS)} FROM segments WHERE document_id = ? "
        "ORDER BY segment_id",
        (document_id,),
    ).fetchall()
    old = {"document": dict(document), "segments": [list(row) for row in segments]}
    conn.execute(
        "INSERT INTO journal_changes (entry_id, table_name, operation, row_id, old_row) "
        "SELECT entry_id, 'documents', 'delete', ?, ? FROM journal_state",
        (document_id, json.dumps(old, ensure_ascii=False)),
    )


def journal_inserts(conn: sqlite3.Connection, table: str, key: str, after: int) -> None:
    """Journal, for the active compact entry, every row of ``table`` whose integer primary
    key ``key`` is above ``after`` as inserted: one INSERT ... SELECT instead of a trigger
    per row. For writers that insert rows in bulk inside
    ``journaled(..., compact_runs=True)``, where the row triggers of compact tables stay
    silent (``table`` must be one: codings, suggestions, adjudications). New rows of a table
    with an integer primary key get keys above the largest one, so ``after`` (the largest
    key before the inserts) picks out exactly this entry's rows."""
    conn.execute(
        "INSERT INTO journal_changes (entry_id, table_name, operation, row_id) "
        f"SELECT s.entry_id, ?, 'insert', t.{key} FROM {table} t, journal_state s "
        f"WHERE t.{key} > ? AND s.entry_id IS NOT NULL ORDER BY t.{key}",
        (table, after),
    )


def set_summary(conn: sqlite3.Connection, summary: str) -> None:
    """Replace the summary of the active entry (for operations that know it only at the end)."""
    conn.execute(
        "UPDATE journal_entries SET summary = ? "
        "WHERE entry_id = (SELECT entry_id FROM journal_state)",
        (summary,),
    )


def history(project: Project, limit: int | None = None) -> list[HistoryEntry]:
    """Journal entries, newest first (fields :data:`HISTORY_FIELDS`)."""
    if limit is not None and limit < 1:
        raise UsageError(f"--limit must be at least 1, got {limit}")
    rows = project.conn.execute(
        "SELECT entry_id, created_at, kind, summary, undone_at IS NOT NULL AS undone, undone_at "
        "FROM journal_entries ORDER BY entry_id DESC LIMIT ?",
        (-1 if limit is None else limit,),
    )
    return [
        HistoryEntry(
            entry_id=row["entry_id"],
            created_at=row["created_at"],
            kind=row["kind"],
            summary=row["summary"],
            undone=bool(row["undone"]),
            undone_at=row["undone_at"],
        )
        for row in rows
    ]


@dataclass(frozen=True)
class UndoneEntry:
    """One entry :func:`undo` reverted."""

    entry_id: int
    kind: str
    summary: str
    changes: int


def undo(project: Project, count: int = 1) -> list[UndoneEntry]:
    """Revert the newest ``count`` entries not yet undone, newest first, one transaction each.

    None left is a :class:`NotFoundError`; ``count`` beyond what is left is a
    :class:`UsageError` and changes nothing (a typo such as ``undo 20`` for ``undo 2`` must
    not wipe out the whole project's coding).
    """
    if count < 1:
        raise UsageError(f"the number of entries to undo must be at least 1, got {count}")
    (left,) = project.conn.execute(
        "SELECT COUNT(*) FROM journal_entries WHERE undone_at IS NULL"
    ).fetchone()
    if left == 0:
        raise NotFoundError("nothing to undo: no journaled change is left to revert")
    if count > left:
        changes = "change" if left == 1 else "changes"
        raise UsageError(f"only {left} {changes} can be undone; use 'qualcode undo {left}'")
    undone: list[UndoneEntry] = []
    for _ in range(count):
        entry = _undo_newest(project)
        if entry is None:
            break
        undone.append(entry)
    if not undone:
        raise NotFoundError("nothing to undo: no journaled change is left to revert")
    return undone


def _undo_newest(project: Project) -> UndoneEntry | None:
    conn = project.conn
    # Outside any transaction, where the pragma takes effect; always switched back on.
    conn.execute("PRAGMA foreign_keys = OFF")
    try:
        with project.transaction():
            entry = conn.execute(
                "SELECT entry_id, kind, summary FROM journal_entries WHERE undone_at IS NULL "
                "ORDER BY entry_id DESC LIMIT 1"
            ).fetchone()
            if entry is None:
                return None
            changes = conn.execute(
                "SELECT table_name, operation, row_id, old_row FROM journal_changes "
                "WHERE entry_id = ? ORDER BY change_id DESC",
                (entry["entry_id"],),
            ).fetchall()
            for change in changes:
                _revert(conn, change, int(entry["entry_id"]))
            _check_foreign_keys(conn, int(entry["entry_id"]))
            conn.execute(
                "UPDATE journal_entries SET undone_at = ? WHERE entry_id = ?",
                (now_utc(), entry["entry_id"]),
            )
    finally:
        conn.execute("PRAGMA foreign_keys = ON")
    return UndoneEntry(int(entry["entry_id"]), entry["kind"], entry["summary"], len(changes))


def _revert(conn: sqlite3.Connection, change: sqlite3.Row, entry_id: int) -> None:
    table, operation, row_id = change["table_name"], change["operation"], change["row_id"]
    if operation == "run":
        conn.execute("DELETE FROM codings WHERE run_id = ? AND origin = 'auto'", (row_id,))
        conn.execute("DELETE FROM suggestions WHERE run_id = ?", (row_id,))
        conn.execute(
            "UPDATE codings SET superseded_by_run = NULL WHERE superseded_by_run = ?", (row_id,)
        )
        return
    if table == "documents" and operation != "update":
        # An import's compact change (an update is a replacement's, undone like any row).
        _revert_document(conn, change, entry_id)
        return
    if operation == "insert":
        if table == "segments":  # written by import --replace; keep the search index in step
            unindex_segment(conn, row_id)
        if not conn.execute(f"DELETE FROM {table} WHERE rowid = ?", (row_id,)).rowcount:
            raise _changed_since(entry_id, table, row_id)
        return
    old: dict[str, Any] = json.loads(change["old_row"])
    if operation == "update":
        assignments = ", ".join(f"{name} = :{name}" for name in old)
        if not conn.execute(
            f"UPDATE {table} SET {assignments} WHERE rowid = :_rowid", {**old, "_rowid": row_id}
        ).rowcount:
            raise _changed_since(entry_id, table, row_id)
        return
    columns = ", ".join(old)
    placeholders = ", ".join(f":{name}" for name in old)
    try:
        conn.execute(
            f"INSERT INTO {table} (rowid, {columns}) VALUES (:_rowid, {placeholders})",
            {**old, "_rowid": row_id},
        )
    except sqlite3.IntegrityError as error:
        raise _changed_since(entry_id, table, row_id) from error
    if table == "segments":
        reindex_segment(conn, row_id)


def _revert_document(conn: sqlite3.Connection, change: sqlite3.Row, entry_id: int) -> None:
    """Undo an import (remove the document) or a replacement's deletion (put it back)."""
    from qualcode.store.search import forget_segments, index_document_segments

    document_id = int(change["row_id"])
    if change["operation"] == "insert":
        forget_segments(conn, document_id)
        conn.execute("DELETE FROM segments WHERE document_id = ?", (document_id,))
        if not conn.execute("DELETE FROM documents WHERE document_id = ?", (document_id,)).rowcount:
            raise _changed_since(entry_id, "documents", document_id)
        return
    old = json.loads(change["old_row"])
    document: dict[str, Any] = old["document"]
    try:
        conn.execute(
            f"INSERT INTO documents ({', '.join(document)}) "
            f"VALUES ({', '.join(':' + name for name in document)})",
            document,
        )
    except sqlite3.IntegrityError as error:
        raise _changed_since(entry_id, "documents", document_id) from error
    conn.executemany(
        f"INSERT INTO segments ({', '.join(_SEGMENT_COLUMNS)}) "
        f"VALUES ({', '.join('?' * len(_SEGMENT_COLUMNS))})",
        old["segments"],
    )
    index_document_segments(conn, document_id)


def _changed_since(entry_id: int, table: str, row_id: int) -> ConflictError:
    return ConflictError(
        f"cannot undo entry {entry_id}: row {row_id} of {table} was changed outside the "
        "journal since; nothing undone"
    )


def _check_foreign_keys(conn: sqlite3.Connection, entry_id: int) -> None:
    for table in _CHECKED_TABLES:
        violation = conn.execute(f"PRAGMA foreign_key_check({table})").fetchone()
        if violation is not None:
            raise ConflictError(
                f"cannot undo entry {entry_id}: row {violation[1]} of {violation[0]} would "
                f"point at a missing row of {violation[2]} (changed outside the journal); "
                "nothing undone"
            )
