"""Auto-coding runs in the project: the segments a run reads, and the run it writes.

:mod:`qualcode.autocode.runs` decides what a run does (which rules, which segments, matching);
this module holds its SQL. A run is written in one journaled transaction (compactly, see
:mod:`qualcode.store.journal`): the run row (codebook version and hash, mode, parameters,
tool version, who ran it, the last segment id it covers, times) and one automatic coding per
hit (``apply``) or one suggestion per new hit (``suggest``), each with its run id, the rule
that fired and its exact span. Manual codings are never touched. An ``apply`` run marks the
earlier automatic codings of the segments and codes it covers as superseded (kept for
``autocode diff``).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal, TypedDict, cast

from qualcode.errors import ConflictError, NotFoundError
from qualcode.store.codebooks import current_version_id
from qualcode.store.journal import journaled
from qualcode.store.project import Project, now_utc

Mode = Literal["apply", "suggest"]
MODES: tuple[Mode, ...] = ("apply", "suggest")

#: One hit as a run stores it: segment_id, code_id, rule_kind, rule, start_char, end_char
#: (offsets into the document text) and, for a proximity rule, each term's span as JSON
#: ``[[start, end], ...]`` (document offsets; None for other rules).
Hit = tuple[int, str, str, str, int, int, str | None]

#: Segments read per query when a run walks the project.
SEGMENT_BATCH = 20_000

#: Which segments some rule can fire on, by the scopes of the selected codes: a run whose
#: codes all take respondent turns only never reads the interviewer's questions.
_SCOPE_CONDITIONS = {
    frozenset({"respondent"}): " AND (role IS NULL OR role <> 'interviewer')",
    frozenset({"interviewer"}): " AND role = 'interviewer'",
}


class RunRow(TypedDict):
    """One auto-coding run, as ``qualcode autocode runs`` lists it."""

    run_id: int
    mode: Mode
    version_id: int
    codebook: str
    codebook_hash: str
    parameters: str
    tool_version: str
    run_by: str
    segments_processed: int | None
    codings_added: int | None
    started_at: str
    finished_at: str | None


@dataclass(frozen=True)
class RunRecord:
    """What a run row says about the run, written before its hits.

    ``after_segment_id < segment_id <= through_segment_id`` is the range the run covers;
    ``code_ids`` the codes it matched (an ``apply`` run supersedes their earlier automatic
    codings in that range); ``bulk`` writes the codings with the table's secondary indexes and
    triggers dropped and rebuilt afterwards (see :func:`bulk_write`).
    """

    codebook_hash: str
    mode: Mode
    codes: tuple[str, ...]
    only_new: bool
    run_by: str
    after_segment_id: int
    through_segment_id: int
    code_ids: tuple[str, ...]
    segments_processed: int
    bulk: bool = False

    def parameters(self) -> dict[str, Any]:
        """The run's parameters as stored (JSON) with it."""
        return {
            "only_new": self.only_new,
            "codes": list(self.codes),
            "after_segment_id": self.after_segment_id,
        }


# --------------------------------------------------------------------------------------------
# What a run reads


def last_segment_id(project: Project) -> int:
    """The highest segment id in the project (0 when it has none): where a run stops."""
    row = project.conn.execute("SELECT coalesce(max(segment_id), 0) FROM segments").fetchone()
    return int(row[0])


def count_segments(project: Project, after: int, through: int) -> int:
    """How many segments have ``after < segment_id <= through``."""
    row = project.conn.execute(
        "SELECT count(*) FROM segments WHERE segment_id > ? AND segment_id <= ?", (after, through)
    ).fetchone()
    return int(row[0])


def seen_through(project: Project, codebook_hash: str, mode: Mode, codes: Sequence[str]) -> int:
    """Highest segment id already processed by a finished run with the same codebook and
    selection (0 if none): where ``--only-new`` starts."""
    best = 0
    for row in project.conn.execute(
        "SELECT parameters, through_segment_id FROM autocode_runs "
        "WHERE codebook_hash = ? AND mode = ? AND finished_at IS NOT NULL",
        (codebook_hash, mode),
    ):
        if json.loads(row[0]).get("codes", []) == list(codes):
            best = max(best, int(row[1]))
    return best


def segment_batches(
    project: Project, after: int, through: int, scopes: Iterable[str]
) -> Iterator[list[Any]]:
    """Rows ``(segment_id, role, start_char, text)`` with ``after < segment_id <= through``
    that a rule of one of ``scopes`` may code, in segment order, ``SEGMENT_BATCH`` at a time.

    Rows are plain tuples: cheaper than ``sqlite3.Row`` and picklable for worker processes.
    """
    cursor = project.conn.cursor()
    cursor.row_factory = None
    condition = _SCOPE_CONDITIONS.get(frozenset(scopes), "")
    lower = after
    while lower < through:
        rows = cursor.execute(
            "SELECT segment_id, role, start_char, text FROM segments "
            f"WHERE segment_id > ? AND segment_id <= ?{condition} ORDER BY segment_id LIMIT ?",
            (lower, through, SEGMENT_BATCH),
        ).fetchall()
        if not rows:
            return
        yield rows
        lower = rows[-1][0]


def segment_ranges(after: int, through: int) -> Iterator[tuple[int, int]]:
    """``(lower, upper)`` ranges of ``SEGMENT_BATCH`` segment ids covering
    ``after < segment_id <= through``, in order: batches a worker reads itself
    (:class:`SegmentReader`), so the process that writes the run never reads or sends texts."""
    for lower in range(after, through, SEGMENT_BATCH):
        yield lower, min(lower + SEGMENT_BATCH, through)


class SegmentReader:
    """A worker's own read-only connection to the project, reading one range at a time.

    Rows are those :func:`segment_batches` yields for the same range and scopes. Segment rows
    are never changed in place (a replaced document gets new ids above any run's range), so
    reading a range here rather than in the process that writes gives the same rows.
    """

    def __init__(self, db_path: str, scopes: Iterable[str], wait_seconds: float) -> None:
        self.conn = sqlite3.connect(db_path, timeout=wait_seconds)
        self.conn.execute("PRAGMA query_only = ON")
        condition = _SCOPE_CONDITIONS.get(frozenset(scopes), "")
        self.sql = (
            "SELECT segment_id, role, start_char, text FROM segments "
            f"WHERE segment_id > ? AND segment_id <= ?{condition} ORDER BY segment_id"
        )

    def __call__(self, segment_range: tuple[int, int]) -> list[Any]:
        return self.conn.execute(self.sql, segment_range).fetchall()


# --------------------------------------------------------------------------------------------
# Writing a run


def store_run(
    project: Project, record: RunRecord, summary: str, hits_by_batch: Iterable[list[Hit]]
) -> tuple[int, int]:
    """Write the run row and its codings (or suggestions) in one journaled transaction.

    ``hits_by_batch`` is consumed first, outside any write transaction: the hits are staged
    in a temporary table (the connection's own temp database, which takes no lock on the
    project), so that reading and matching, however long, never keep another command from
    writing. The write lock is held only for the final write: the run row, the superseding,
    and one ``INSERT ... SELECT`` of the staged hits. A hit whose segment went meanwhile (its
    document replaced by another command) is dropped with it. Returns the run id and how many
    codings (``apply``) or new suggestions (``suggest``) were added. ``summary`` is the
    journal's one-line summary.
    """
    from qualcode._version import __version__

    _stage_hits(project.conn, hits_by_batch)
    bulk = record.mode == "apply" and record.bulk
    with (
        _foreign_keys_checked_once(project.conn, enabled=bulk),
        journaled(project, "autocode", summary, compact_runs=True) as conn,
    ):
        run_id = int(
            conn.execute(
                "INSERT INTO autocode_runs (version_id, codebook_hash, mode, parameters, "
                "tool_version, run_by, through_segment_id, started_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    current_version_id(project),
                    record.codebook_hash,
                    record.mode,
                    json.dumps(record.parameters()),
                    __version__,
                    record.run_by,
                    record.through_segment_id,
                    now_utc(),
                ),
            ).lastrowid
            or 0
        )
        if record.mode == "apply":
            supersede(
                conn, run_id, record.after_segment_id, record.through_segment_id, record.code_ids
            )
        created = now_utc()
        with bulk_write(conn, "codings", enabled=bulk):
            added = _write_staged(conn, record.mode, run_id, created)
        if bulk:
            _check_run_references(conn)
        conn.execute("DELETE FROM temp.staged_hits")
        conn.execute(
            "UPDATE autocode_runs SET segments_processed = ?, codings_added = ?, finished_at = ? "
            "WHERE run_id = ?",
            (record.segments_processed, added, now_utc(), run_id),
        )
    return run_id, added


@contextmanager
def bulk_write(conn: sqlite3.Connection, table: str, *, enabled: bool) -> Iterator[None]:
    """Drop ``table``'s non-unique indexes and triggers for the block, then recreate them.

    For the bulk inserts of a large auto-coding run: sorting once to rebuild an index beats
    updating it row by row, and the journal triggers are silent during a run anyway (it is
    journaled compactly, see :mod:`qualcode.store.journal`), yet their WHEN clause costs a query
    per row. The definitions are read from ``sqlite_master``, so the schema stays in the
    migrations; unique indexes stay, since they are constraints. Runs inside the caller's
    transaction, so a failure rolls the drops back with everything else.
    """
    if not enabled:
        yield
        return
    objects = conn.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = ? AND sql IS NOT NULL "
        "AND (type = 'trigger' OR (type = 'index' AND sql NOT LIKE 'CREATE UNIQUE%'))",
        (table,),
    ).fetchall()
    for kind, name, _sql in objects:
        conn.execute(f'DROP {kind.upper()} "{name}"')
    yield
    for _kind, _name, sql in objects:
        conn.execute(sql)


@contextmanager
def _foreign_keys_checked_once(conn: sqlite3.Connection, *, enabled: bool) -> Iterator[None]:
    """Foreign keys off for the block; the block checks what it wrote before it commits.

    For the one write of a large run: checking each coding's segment, code and run as it is
    inserted costs 1-1.7 s at 670,000 codings, while the run makes its own ids and every
    reference it writes can be checked at once (:func:`_check_run_references`). The pragma
    acts only outside a transaction, hence a block around the transaction; it is restored
    whatever happens.
    """
    if not enabled:
        yield
        return
    conn.execute("PRAGMA foreign_keys = OFF")
    try:
        yield
    finally:
        conn.execute("PRAGMA foreign_keys = ON")


def _check_run_references(conn: sqlite3.Connection) -> None:
    """Raise if a row the run wrote with foreign keys off points at a missing row.

    What a run writes refers to its own run row (just inserted, checked with ``PRAGMA
    foreign_key_check``, as is its codebook version), to segments (the insert takes only
    staged hits whose segment is still there, the same condition) and to codes: those are
    checked here, once per staged hit against the small ``codes`` table, instead of
    re-checking every coding of the project with ``PRAGMA foreign_key_check(codings)``.
    Raising rolls the whole run back.
    """
    violation = conn.execute("PRAGMA foreign_key_check(autocode_runs)").fetchone()
    if violation is None:
        violation = conn.execute(
            "SELECT 'codings', h.segment_id, 'codes' FROM temp.staged_hits h "
            "WHERE h.code_id NOT IN (SELECT code_id FROM codes) LIMIT 1"
        ).fetchone()
    if violation is not None:
        raise ConflictError(
            f"cannot store the run: a row of {violation[0]} would point at a missing row of "
            f"{violation[2]} (changed by another command meanwhile?); nothing was written"
        )


def supersede(
    conn: sqlite3.Connection, run_id: int, after: int, through: int, code_ids: Sequence[str]
) -> None:
    """Mark current automatic codings of ``code_ids`` in ``after < segment_id <= through`` as
    superseded by ``run_id`` (they stay, for ``autocode diff`` and undo)."""
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS selected_codes (code_id TEXT PRIMARY KEY)")
    conn.execute("DELETE FROM selected_codes")
    conn.executemany("INSERT INTO selected_codes VALUES (?)", [(code_id,) for code_id in code_ids])
    conn.execute(
        "UPDATE codings SET superseded_by_run = ? WHERE origin = 'auto' "
        "AND superseded_by_run IS NULL AND segment_id > ? AND segment_id <= ? "
        "AND code_id IN (SELECT code_id FROM selected_codes)",
        (run_id, after, through),
    )


def _stage_hits(conn: sqlite3.Connection, hits_by_batch: Iterable[list[Hit]]) -> None:
    """Put every hit in ``temp.staged_hits``, in order (no lock on the project is taken)."""
    conn.execute(
        "CREATE TEMP TABLE IF NOT EXISTS staged_hits (segment_id INTEGER, code_id TEXT, "
        "rule_kind TEXT, rule TEXT, start_char INTEGER, end_char INTEGER, spans TEXT)"
    )
    conn.execute("DELETE FROM temp.staged_hits")
    for hits in hits_by_batch:
        conn.executemany("INSERT INTO temp.staged_hits VALUES (?, ?, ?, ?, ?, ?, ?)", hits)


def _write_staged(conn: sqlite3.Connection, mode: Mode, run_id: int, created: str) -> int:
    """Insert the staged hits of segments still in the project; return how many were added.

    ``apply``: one automatic coding per hit. ``suggest``: one suggestion per hit, except where
    the segment already has a manual coding of that code or the same span is suggested.
    """
    if mode == "apply":
        return int(
            conn.execute(
                "INSERT INTO codings (segment_id, code_id, coder, origin, run_id, rule_kind, "
                "rule, start_char, end_char, spans, created_at) "
                "SELECT h.segment_id, h.code_id, 'auto', 'auto', ?, h.rule_kind, h.rule, "
                "h.start_char, h.end_char, h.spans, ? FROM temp.staged_hits h "
                "WHERE h.segment_id IN (SELECT segment_id FROM segments) ORDER BY h.rowid",
                (run_id, created),
            ).rowcount
        )
    return int(
        conn.execute(
            "INSERT INTO suggestions (run_id, segment_id, code_id, rule_kind, rule, start_char, "
            "end_char, spans) SELECT ?, h.segment_id, h.code_id, h.rule_kind, h.rule, "
            "h.start_char, h.end_char, h.spans FROM temp.staged_hits h "
            "WHERE h.segment_id IN (SELECT segment_id FROM segments) "
            "AND NOT EXISTS (SELECT 1 FROM codings c WHERE c.segment_id = h.segment_id "
            "AND c.code_id = h.code_id AND c.origin = 'manual') "
            "AND NOT EXISTS (SELECT 1 FROM suggestions g WHERE g.segment_id = h.segment_id "
            "AND g.code_id = h.code_id AND g.start_char = h.start_char "
            "AND g.end_char = h.end_char) "
            "AND h.rowid = (SELECT min(d.rowid) FROM temp.staged_hits d "
            "WHERE d.segment_id = h.segment_id AND d.code_id = h.code_id "
            "AND d.start_char = h.start_char AND d.end_char = h.end_char) "
            "ORDER BY h.rowid",
            (run_id,),
        ).rowcount
    )


# --------------------------------------------------------------------------------------------
# Reading runs back


def list_runs(project: Project) -> list[RunRow]:
    """Every run, oldest first, with its codebook version's name."""
    rows = project.conn.execute(
        "SELECT r.run_id, r.mode, r.version_id, v.name AS codebook, r.codebook_hash, "
        "r.parameters, r.tool_version, r.run_by, r.segments_processed, r.codings_added, "
        "r.started_at, r.finished_at FROM autocode_runs r "
        "JOIN codebook_versions v ON v.version_id = r.version_id ORDER BY r.run_id"
    )
    return [cast(RunRow, dict(row)) for row in rows]


@dataclass(frozen=True)
class RunResults:
    """What one run coded (``apply``) or suggested (``suggest``), as (segment, code) pairs,
    and the segment range it covered (``after_segment_id < segment_id <= through_segment_id``)."""

    run_id: int
    mode: Mode
    after_segment_id: int
    through_segment_id: int
    pairs: frozenset[tuple[int, str]]


def run_results(project: Project, run_id: int) -> RunResults:
    """The (segment, code) pairs a run produced; :class:`NotFoundError` for an unknown run."""
    run = project.conn.execute(
        "SELECT run_id, mode, parameters, through_segment_id FROM autocode_runs WHERE run_id = ?",
        (run_id,),
    ).fetchone()
    if run is None:
        raise NotFoundError(f"no auto-coding run {run_id} (see 'qualcode autocode runs')")
    table = "codings" if run["mode"] == "apply" else "suggestions"
    pairs = frozenset(
        (int(segment_id), str(code_id))
        for segment_id, code_id in project.conn.execute(
            f"SELECT DISTINCT segment_id, code_id FROM {table} WHERE run_id = ?", (run_id,)
        )
    )
    return RunResults(
        run_id=int(run["run_id"]),
        mode=run["mode"],
        after_segment_id=int(json.loads(run["parameters"])["after_segment_id"]),
        through_segment_id=int(run["through_segment_id"]),
        pairs=pairs,
    )
