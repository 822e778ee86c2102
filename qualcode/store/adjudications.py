"""Adjudication: settling where coders disagree, written as codings of a consensus coder.

A *unit* is a (segment, code) that at least one of the adjudicated coders applied (any span
inside the segment, any origin; ``auto`` names the automatic codings). Where every one of
them applied it, the unit is an *agreement*; otherwise a *disagreement*. As in ``qualcode
agree``, only segments that every adjudicated coder coded (with any code) are units by
default: a segment one coder never looked at is not a disagreement; ``all_segments`` takes
every segment any of them coded.

A decision keeps or drops a unit. Keeping it writes manual codings by the consensus coder
(default ``consensus``), one per distinct span the applying coders used, with the decision's
note as their memo; dropping writes no coding. Either way an ``adjudications`` row (migration
``m008``) records the unit's coders, who had applied the code, the decision, whether it was an
agreement, the consensus coder, who decided and when: the provenance of every consensus coding.
A unit is decided once per set of coders; the open units are those without a decision.

Everything is written in one journaled transaction (kind ``adjudicate``), so ``qualcode undo``
takes a whole adjudication back, consensus codings included.

Two writers share these rules. :func:`record_decisions` writes decisions already matched to
:class:`Unit` objects (the terminal session, one at a time). :class:`DecisionBatch` is the
scripted form at scale (``--decisions FILE.csv``, ``--keep-agreed``): the open units, the
decision rows and their checks, and the rows written all stay in SQL (temporary tables and
``INSERT ... SELECT``) inside one transaction, so a hundred thousand decisions cost no Python
object per unit (bench/README.md, "Coder policy and adjudication").
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import groupby
from operator import itemgetter
from typing import NamedTuple

from qualcode.errors import ConflictError, UsageError
from qualcode.store.journal import journal_inserts, journaled, set_summary
from qualcode.store.names import require_name
from qualcode.store.project import Project, now_utc


class UnitCoding(NamedTuple):
    """One coding of a unit: who, where (document offsets), and its memo."""

    coder: str
    start_char: int
    end_char: int
    memo: str | None


class Unit(NamedTuple):
    """An open (segment, code) of the adjudicated coders, with their codings of it (tuples:
    a hundred thousand units are built in a fraction of a second)."""

    segment_id: int
    code_id: str
    applied_by: tuple[str, ...]
    not_applied_by: tuple[str, ...]
    codings: tuple[UnitCoding, ...]

    @property
    def agreed(self) -> bool:
        """Every adjudicated coder applied the code."""
        return not self.not_applied_by

    @property
    def key(self) -> tuple[int, str]:
        return self.segment_id, self.code_id


@dataclass(frozen=True)
class UnitContext:
    """Where a unit is, for a person deciding it: document, case, speaker, segment text."""

    document: str
    case_name: str
    speaker: str | None
    text: str
    #: The segment's start in the document (a coding's span in ``text`` starts at
    #: ``start_char - segment_start``).
    segment_start: int


@dataclass(frozen=True)
class Decision:
    """Keep or drop one unit, with an optional note (the consensus codings' memo)."""

    segment_id: int
    code_id: str
    keep: bool
    note: str | None = None


@dataclass(frozen=True)
class AdjudicationResult:
    """What one call of :func:`record_decisions` wrote."""

    kept: int
    dropped: int
    codings_added: int
    #: The decisions got the ids ``first_adjudication_id`` up to ``+ kept + dropped - 1``.
    first_adjudication_id: int = 0
    #: The consensus codings written have ids in ``coding_ids`` (empty when none).
    coding_ids: range = range(0)


def coder_set(conn: sqlite3.Connection, coders: Sequence[str]) -> tuple[str, ...]:
    """The adjudicated coders, sorted and checked: at least two distinct names, each with
    current codings (unknown: NotFoundError with the closest names)."""
    names = tuple(sorted(set(coders)))
    if len(names) < 2:
        raise UsageError("adjudication needs two coders or more: --coders li,wang")
    for name in names:
        require_name(conn, "coder", name)
    return names


def coders_key(coders: Sequence[str]) -> str:
    """The ``adjudications.coders`` value of a coder set: a sorted JSON array."""
    return json.dumps(sorted(set(coders)), ensure_ascii=False)


def check_consensus(names: Sequence[str], consensus: str) -> None:
    """The consensus coder must have a name and be none of the adjudicated coders."""
    if consensus in names:
        raise UsageError(f"the consensus coder '{consensus}' is one of the adjudicated coders")
    if not consensus.strip():
        raise UsageError("the consensus coder needs a name: --as NAME")


def _undecided_scope(names: Sequence[str], all_segments: bool) -> tuple[str, str, list[object]]:
    """The pieces shared by the queries of undecided units: the ``?`` marks of the coders
    (for the ``picked`` codings), the condition keeping segments every coder coded (empty
    with ``all_segments``), and their parameters so far (the caller appends its own)."""
    shared = (
        ""
        if all_segments
        else "AND p.segment_id IN (SELECT segment_id FROM picked GROUP BY segment_id "
        "HAVING count(DISTINCT coder) = ?) "
    )
    parameters: list[object] = [*names]
    if not all_segments:
        parameters.append(len(names))
    return ", ".join("?" * len(names)), shared, parameters


def open_units(
    conn: sqlite3.Connection,
    coders: Sequence[str],
    *,
    all_segments: bool = False,
    agreements: bool = True,
) -> list[Unit]:
    """The undecided units of ``coders`` (agreements and disagreements; without
    ``agreements`` only disagreements), in segment order and codebook order within a segment.
    Validates the coders (see :func:`coder_set`)."""
    names = coder_set(conn, coders)
    marks, shared, parameters = _undecided_scope(names, all_segments)
    parameters.append(coders_key(names))
    rows = conn.execute(
        "WITH picked AS (SELECT segment_id, code_id, coder, start_char, end_char, memo "
        f"FROM codings WHERE coder IN ({marks}) AND superseded_by_run IS NULL) "
        "SELECT p.segment_id, p.code_id, p.coder, p.start_char, p.end_char, p.memo "
        "FROM picked p JOIN codes k ON k.code_id = p.code_id "
        f"WHERE 1 {shared}AND NOT EXISTS (SELECT 1 FROM adjudications a WHERE a.coders = ? "
        "AND a.segment_id = p.segment_id AND a.code_id = p.code_id) "
        "ORDER BY p.segment_id, k.ordinal, p.code_id, p.coder, p.start_char, p.end_char",
        parameters,
    ).fetchall()
    # Who applied and who did not, computed once per distinct set of appliers.
    outcomes: dict[frozenset[str], tuple[tuple[str, ...], tuple[str, ...]]] = {}
    units = []
    coding_of = itemgetter(2, 3, 4, 5)
    coder_of = itemgetter(2)
    for (segment_id, code_id), grouped in groupby(rows, itemgetter(0, 1)):
        group = list(grouped)
        appliers = frozenset(map(coder_of, group))
        if not agreements and len(appliers) == len(names):
            continue
        spans = tuple(map(UnitCoding._make, map(coding_of, group)))
        outcome = outcomes.get(appliers)
        if outcome is None:
            outcome = outcomes[appliers] = (
                tuple(sorted(appliers)),
                tuple(name for name in names if name not in appliers),
            )
        units.append(Unit(segment_id, code_id, outcome[0], outcome[1], spans))
    return units


def unit_contexts(conn: sqlite3.Connection, segment_ids: Iterable[int]) -> dict[int, UnitContext]:
    """``{segment_id: UnitContext}`` for the given segments."""
    wanted = sorted(set(segment_ids))
    contexts: dict[int, UnitContext] = {}
    for start in range(0, len(wanted), 900):
        part = wanted[start : start + 900]
        for segment_id, document, case_name, speaker, text, segment_start in conn.execute(
            "SELECT s.segment_id, d.name, k.name, s.speaker, s.text, s.start_char "
            "FROM segments s JOIN documents d ON d.document_id = s.document_id "
            f"JOIN cases k ON k.case_id = d.case_id WHERE s.segment_id IN "
            f"({', '.join('?' * len(part))})",
            part,
        ):
            contexts[int(segment_id)] = UnitContext(
                str(document), str(case_name), speaker, str(text), int(segment_start)
            )
    return contexts


def open_disagreement_count(
    conn: sqlite3.Connection, coders: Sequence[str], *, all_segments: bool = False
) -> int:
    """How many disagreements of ``coders`` have no decision yet: the units
    :func:`open_units` lists without agreements, counted by SQLite (``agree`` reports the
    number at millions of codings, where building every unit would take gigabytes)."""
    names = coder_set(conn, coders)
    marks, shared, parameters = _undecided_scope(names, all_segments)
    parameters += [coders_key(names), len(names)]
    (count,) = conn.execute(
        "WITH picked AS (SELECT segment_id, code_id, coder FROM codings "
        f"WHERE coder IN ({marks}) AND superseded_by_run IS NULL) "
        "SELECT count(*) FROM (SELECT 1 FROM picked p JOIN codes k ON k.code_id = p.code_id "
        f"WHERE 1 {shared}AND NOT EXISTS (SELECT 1 FROM adjudications a WHERE a.coders = ? "
        "AND a.segment_id = p.segment_id AND a.code_id = p.code_id) "
        "GROUP BY p.segment_id, p.code_id HAVING count(DISTINCT p.coder) < ?)",
        parameters,
    ).fetchone()
    return int(count)


def record_decisions(
    project: Project,
    coders: Sequence[str],
    decisions: Sequence[tuple[Unit, Decision]],
    *,
    consensus: str,
    decided_by: str,
) -> AdjudicationResult:
    """Write ``decisions`` (each with the open unit it decides) in one journaled transaction:
    an ``adjudications`` row each, and for a keep the consensus coder's codings (one per
    distinct span of the applying coders; a span the consensus coder already has is kept
    as it is). The caller has matched every decision to an open unit of ``coders``."""
    names = coder_set(project.conn, coders)
    check_consensus(names, consensus)
    key = coders_key(names)
    decided_at = now_utc()
    kept = sum(1 for _, decision in decisions if decision.keep)
    summary = (
        f"adjudicate {', '.join(names)} as {consensus}: {kept} kept, "
        f"{len(decisions) - kept} dropped"
    )
    with journaled(project, "adjudicate", summary, compact_runs=True) as conn:
        first, last_coding = conn.execute(
            "SELECT (SELECT coalesce(max(adjudication_id), 0) FROM adjudications), "
            "(SELECT coalesce(max(coding_id), 0) FROM codings)"
        ).fetchone()
        try:
            _insert_decisions(conn, first, key, decisions, consensus, decided_by, decided_at)
        except sqlite3.IntegrityError as error:
            raise ConflictError(
                "a unit was decided meanwhile (by another session); nothing written"
            ) from error
        added = conn.executemany(
            "INSERT OR IGNORE INTO codings (segment_id, code_id, coder, origin, start_char, "
            "end_char, memo, created_at) VALUES (?, ?, ?, 'manual', ?, ?, ?, ?)",
            (
                (unit.segment_id, unit.code_id, consensus, start, end, decision.note, decided_at)
                for unit, decision in decisions
                if decision.keep
                for start, end in sorted({(c.start_char, c.end_char) for c in unit.codings})
            ),
        ).rowcount
        # The row triggers are silent in a compact entry: journal the new rows in bulk.
        journal_inserts(conn, "adjudications", "adjudication_id", first)
        journal_inserts(conn, "codings", "coding_id", last_coding)
    new_codings = range(last_coding + 1, last_coding + 1 + added)
    return AdjudicationResult(kept, len(decisions) - kept, added, first + 1, new_codings)


def _insert_decisions(
    conn: sqlite3.Connection,
    first: int,
    key: str,
    decisions: Sequence[tuple[Unit, Decision]],
    consensus: str,
    decided_by: str,
    decided_at: str,
) -> None:
    applied_json: dict[tuple[str, ...], str] = {}
    for unit, _ in decisions:
        if unit.applied_by not in applied_json:
            applied_json[unit.applied_by] = json.dumps(list(unit.applied_by), ensure_ascii=False)
    conn.executemany(
        "INSERT INTO adjudications (adjudication_id, segment_id, code_id, coders, "
        "applied_by, decision, agreed, consensus_coder, decided_by, decided_at, note) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            (
                first + number, unit.segment_id, unit.code_id, key,
                applied_json[unit.applied_by],
                "keep" if decision.keep else "drop", int(unit.agreed), consensus,
                decided_by, decided_at, decision.note,
            )
            for number, (unit, decision) in enumerate(decisions, start=1)
        ),
    )  # fmt: skip


def take_back(project: Project, adjudication_id: int, coding_ids: range = range(0)) -> None:
    """Undo one decision of a terminal session: delete its row and the consensus codings it
    wrote (``coding_ids``, from its :class:`AdjudicationResult`), as one journaled change."""
    summary = f"take back adjudication {adjudication_id}"
    with journaled(project, "adjudicate", summary) as conn:
        if coding_ids:
            conn.execute(
                "DELETE FROM codings WHERE coding_id BETWEEN ? AND ?",
                (coding_ids.start, coding_ids.stop - 1),
            )
        conn.execute("DELETE FROM adjudications WHERE adjudication_id = ?", (adjudication_id,))


# --------------------------------------------------------------------------------------------
# The scripted form in bulk: units, decision rows and writes in SQL


class DecisionRow(NamedTuple):
    """One decision as a decisions file gives it (parsed, not yet matched to a unit)."""

    #: Where the row is (the file's line), to report it and to keep the file's order.
    line: int
    segment_id: int
    code_id: str
    #: True keep, False drop, None left open (an empty decision).
    keep: bool | None
    note: str | None
    #: The coders the row says applied the code, sorted; None when the file does not say.
    applied_by: tuple[str, ...] | None


class RowMismatch(NamedTuple):
    """The first decision row that does not fit an open disagreement."""

    line: int
    #: False: no open disagreement of the coders has that segment and code (unknown
    #: segment or code, decided already, an agreement, never coded). True: it is open, but
    #: the row's ``applied_by`` is not who applied the code now.
    is_open: bool
    #: Who applied the code now (when open).
    applied_by: tuple[str, ...]


@dataclass(frozen=True)
class BatchResult:
    """What :meth:`DecisionBatch.write` wrote, and what stays open."""

    written: AdjudicationResult
    agreements_kept: int
    left_open: int


#: Page cache of a batch's connection while it writes (KiB; SQLite's default is 2,000).
_BATCH_CACHE_KIB = 64 * 1024
#: Temporary tables of a batch (one connection's own; dropped when the batch ends).
_BATCH_TABLES = (
    "adjudication_coders", "adjudication_units", "adjudication_sets", "adjudication_decisions",
)  # fmt: skip


class DecisionBatch:
    """The open units of a set of coders, decision rows checked against them, and the writes,
    inside one journaled transaction (use :func:`decision_batch`).

    The open units are one ``GROUP BY`` over the coders' current codings into a temporary
    table: each (segment, code) with the set of coders who applied it as a bit mask (coder
    ``i`` of the sorted names is bit ``1 << i``), so that "every coder applied it" is
    ``applied = full`` and a row's ``applied_by`` is compared as one integer. The rows, the
    same units and the same spans as :func:`open_units` and :func:`record_decisions` (a test
    holds them together).
    """

    def __init__(
        self, conn: sqlite3.Connection, names: tuple[str, ...], *, consensus: str,
        decided_by: str,
    ) -> None:  # fmt: skip
        self.conn = conn
        self.names = names
        self.key = coders_key(names)
        self.consensus = consensus
        self.decided_by = decided_by
        self.decided_at = now_utc()
        self.bits = {name: 1 << number for number, name in enumerate(names)}
        self.full = (1 << len(names)) - 1
        self._masks: dict[tuple[str, ...], int] = {}

    def _stage_units(self, all_segments: bool) -> None:
        conn = self.conn
        for table in _BATCH_TABLES:
            conn.execute(f"DROP TABLE IF EXISTS temp.{table}")
        conn.execute("CREATE TEMP TABLE adjudication_coders (coder TEXT PRIMARY KEY, bit INTEGER)")
        conn.executemany("INSERT INTO temp.adjudication_coders VALUES (?, ?)", self.bits.items())
        conn.execute(
            "CREATE TEMP TABLE adjudication_units (segment_id INTEGER NOT NULL, "
            "code_id TEXT NOT NULL, applied INTEGER NOT NULL, PRIMARY KEY (segment_id, code_id)) "
            "WITHOUT ROWID"
        )
        # Each coder's bit once per unit however many spans they coded: the sum of the
        # distinct bits is the set of coders who applied it.
        conn.execute(
            "INSERT INTO temp.adjudication_units (segment_id, code_id, applied) "
            "SELECT c.segment_id, c.code_id, sum(DISTINCT b.bit) FROM codings c "
            "JOIN temp.adjudication_coders b ON b.coder = c.coder "
            "WHERE c.superseded_by_run IS NULL GROUP BY c.segment_id, c.code_id"
        )
        if not all_segments:
            # Only segments every coder coded (with any code, decided or not).
            every_coder = " AND ".join(f"max(applied & {bit}) > 0" for bit in self.bits.values())
            conn.execute(
                "DELETE FROM temp.adjudication_units WHERE segment_id IN (SELECT segment_id "
                f"FROM temp.adjudication_units GROUP BY segment_id HAVING NOT ({every_coder}))"
            )
        conn.execute(
            "DELETE FROM temp.adjudication_units AS u WHERE EXISTS (SELECT 1 FROM "
            "adjudications a WHERE a.coders = ? AND a.segment_id = u.segment_id "
            "AND a.code_id = u.code_id)",
            (self.key,),
        )
        conn.execute(
            "CREATE TEMP TABLE adjudication_sets (applied INTEGER PRIMARY KEY, applied_by TEXT)"
        )
        masks = [row[0] for row in conn.execute("SELECT DISTINCT applied FROM adjudication_units")]
        conn.executemany(
            "INSERT INTO temp.adjudication_sets VALUES (?, ?)",
            ((mask, json.dumps(list(self._names_of(mask)), ensure_ascii=False)) for mask in masks),
        )
        conn.execute(
            "CREATE TEMP TABLE adjudication_decisions (line INTEGER PRIMARY KEY, "
            "segment_id INTEGER NOT NULL, code_id TEXT NOT NULL, keep INTEGER, note TEXT, "
            "listed INTEGER)"
        )

    def _names_of(self, mask: int) -> tuple[str, ...]:
        return tuple(name for name, bit in self.bits.items() if mask & bit)

    def _mask(self, listed: tuple[str, ...] | None) -> int | None:
        """The bit mask of a row's ``applied_by`` (-1 when it names someone else, or a coder
        twice: it can match no unit)."""
        if listed is None:
            return None
        mask = self._masks.get(listed)
        if mask is None:
            known = all(name in self.bits for name in listed) and len(set(listed)) == len(listed)
            mask = sum(self.bits[name] for name in listed) if known else -1
            self._masks[listed] = mask
        return mask

    def open_counts(self) -> tuple[int, int]:
        """How many open disagreements and open agreements there are (before any write)."""
        disagreements, agreements = self.conn.execute(
            "SELECT count(*) FILTER (WHERE applied != ?), count(*) FILTER (WHERE applied = ?) "
            "FROM temp.adjudication_units",
            (self.full, self.full),
        ).fetchone()
        return int(disagreements), int(agreements)

    def add(self, rows: Iterable[DecisionRow]) -> RowMismatch | None:
        """Stage decision rows (lines ascending; a unit at most once) and check them: the
        first row, by line, that is not an open disagreement of the coders or whose
        ``applied_by`` is not who applied the code now, else None. Rows with no decision
        are checked too, and left open."""
        mask = self._mask
        self.conn.executemany(
            "INSERT INTO temp.adjudication_decisions VALUES (?, ?, ?, ?, ?, ?)",
            (
                (row.line, row.segment_id, row.code_id, row.keep, row.note, mask(row.applied_by))
                for row in rows
            ),
        )
        mismatch = self.conn.execute(
            "SELECT d.line, u.applied FROM temp.adjudication_decisions d "
            "LEFT JOIN temp.adjudication_units u ON u.segment_id = d.segment_id "
            "AND u.code_id = d.code_id WHERE u.applied IS NULL OR u.applied = ? "
            "OR d.listed != u.applied ORDER BY d.line LIMIT 1",
            (self.full,),
        ).fetchone()
        if mismatch is None:
            return None
        line, applied = mismatch
        is_open = applied is not None and applied != self.full
        return RowMismatch(int(line), is_open, self._names_of(applied) if is_open else ())

    def write(self, *, keep_agreed: bool) -> BatchResult:
        """Write the staged decisions (in line order) and, with ``keep_agreed``, a keep for
        every open agreement (in segment and codebook order): an ``adjudications`` row each,
        and for every keep the consensus coder's codings (one per distinct span the applying
        coders used; a span the consensus coder already has is kept as it is), all journaled
        as inserts of this entry."""
        conn = self.conn
        check_consensus(self.names, self.consensus)
        disagreements, _agreements = self.open_counts()
        first, last_coding = conn.execute(
            "SELECT (SELECT coalesce(max(adjudication_id), 0) FROM adjudications), "
            "(SELECT coalesce(max(coding_id), 0) FROM codings)"
        ).fetchone()
        provenance = (self.key, self.consensus, self.decided_by, self.decided_at)
        decided = conn.execute(
            "INSERT INTO adjudications (segment_id, code_id, coders, applied_by, decision, "
            "agreed, consensus_coder, decided_by, decided_at, note) "
            "SELECT d.segment_id, d.code_id, ?, s.applied_by, "
            "CASE WHEN d.keep THEN 'keep' ELSE 'drop' END, 0, ?, ?, ?, d.note "
            "FROM temp.adjudication_decisions d JOIN temp.adjudication_units u "
            "ON u.segment_id = d.segment_id AND u.code_id = d.code_id "
            "JOIN temp.adjudication_sets s ON s.applied = u.applied "
            "WHERE d.keep IS NOT NULL ORDER BY d.line",
            provenance,
        ).rowcount
        (kept,) = conn.execute(
            "SELECT count(*) FROM temp.adjudication_decisions WHERE keep"
        ).fetchone()
        agreements_kept = 0
        if keep_agreed:
            agreements_kept = conn.execute(
                "INSERT INTO adjudications (segment_id, code_id, coders, applied_by, decision, "
                "agreed, consensus_coder, decided_by, decided_at) "
                "SELECT u.segment_id, u.code_id, ?, s.applied_by, 'keep', 1, ?, ?, ? "
                "FROM temp.adjudication_units u JOIN codes k ON k.code_id = u.code_id "
                "JOIN temp.adjudication_sets s ON s.applied = u.applied WHERE u.applied = ? "
                "ORDER BY u.segment_id, k.ordinal, u.code_id",
                (*provenance, self.full),
            ).rowcount
        kept += agreements_kept
        added = conn.execute(
            "INSERT OR IGNORE INTO codings (segment_id, code_id, coder, origin, start_char, "
            "end_char, memo, created_at) "
            "SELECT a.segment_id, a.code_id, ?, 'manual', c.start_char, c.end_char, a.note, ? "
            "FROM adjudications a JOIN codings c ON c.segment_id = a.segment_id "
            "AND c.code_id = a.code_id JOIN temp.adjudication_coders b ON b.coder = c.coder "
            "WHERE a.adjudication_id > ? AND a.decision = 'keep' AND c.superseded_by_run IS NULL "
            "GROUP BY a.adjudication_id, c.start_char, c.end_char "
            "ORDER BY a.adjudication_id, c.start_char, c.end_char",
            (self.consensus, self.decided_at, first),
        ).rowcount
        # The row triggers are silent in a compact entry: journal the new rows in bulk.
        journal_inserts(conn, "adjudications", "adjudication_id", first)
        journal_inserts(conn, "codings", "coding_id", last_coding)
        dropped = decided + agreements_kept - kept
        set_summary(
            conn,
            f"adjudicate {', '.join(self.names)} as {self.consensus}: {kept} kept, "
            f"{dropped} dropped",
        )
        written = AdjudicationResult(
            kept, dropped, added, first + 1, range(last_coding + 1, last_coding + 1 + added)
        )
        return BatchResult(written, agreements_kept, disagreements - decided)


#: Tables a batch inserts one row per decision into: their (silent) journal triggers are
#: dropped for the batch's transaction (see :func:`qualcode.store.journal.journaled`).
_BULK_TABLES = ("codings", "adjudications")


@contextmanager
def decision_batch(
    project: Project,
    coders: Sequence[str],
    *,
    consensus: str,
    decided_by: str,
    all_segments: bool = False,
) -> Iterator[DecisionBatch]:
    """A :class:`DecisionBatch` over the open units of ``coders``, in one journaled
    transaction (kind ``adjudicate``): an exception in the block writes nothing. The coders
    are validated (see :func:`coder_set`); the consensus coder is checked when the batch
    writes, after the caller has checked its rows."""
    names = coder_set(project.conn, coders)
    summary = f"adjudicate {', '.join(names)} as {consensus}"
    cache = project.conn.execute("PRAGMA cache_size").fetchone()[0]
    # The consensus codings land at random places in the codings indexes: with SQLite's
    # default 2 MB page cache, each insert reads index pages back from the file.
    project.conn.execute(f"PRAGMA cache_size = {-_BATCH_CACHE_KIB}")
    try:
        with journaled(
            project, "adjudicate", summary, compact_runs=True, bulk_tables=_BULK_TABLES
        ) as conn:
            batch = DecisionBatch(conn, names, consensus=consensus, decided_by=decided_by)
            batch._stage_units(all_segments)
            try:
                yield batch
            finally:
                for table in _BATCH_TABLES:
                    conn.execute(f"DROP TABLE IF EXISTS temp.{table}")
    finally:
        project.conn.execute(f"PRAGMA cache_size = {int(cache)}")
