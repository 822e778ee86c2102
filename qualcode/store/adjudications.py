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
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import groupby
from operator import itemgetter
from typing import NamedTuple

from qualcode.errors import ConflictError, UsageError
from qualcode.store.journal import journal_inserts, journaled
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
    marks = ", ".join("?" * len(names))
    shared = (
        ""
        if all_segments
        else "AND p.segment_id IN (SELECT segment_id FROM picked GROUP BY segment_id "
        "HAVING count(DISTINCT coder) = ?) "
    )
    parameters: list[object] = [*names]
    if not all_segments:
        parameters.append(len(names))
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
    marks = ", ".join("?" * len(names))
    shared = (
        ""
        if all_segments
        else "AND p.segment_id IN (SELECT segment_id FROM picked GROUP BY segment_id "
        "HAVING count(DISTINCT coder) = ?) "
    )
    parameters: list[object] = [*names]
    if not all_segments:
        parameters.append(len(names))
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
    if consensus in names:
        raise UsageError(f"the consensus coder '{consensus}' is one of the adjudicated coders")
    if not consensus.strip():
        raise UsageError("the consensus coder needs a name: --as NAME")
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
