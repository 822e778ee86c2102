"""The adjudication session: walk the open disagreements of a set of coders, keep or drop each.

As in the other review sessions, the logic is here and the terminal in
:mod:`qualcode.cli.screen` (:func:`~qualcode.cli.screen.run_adjudication`):

- the queue is the open disagreements (:func:`qualcode.store.adjudications.open_units`) when
  the session starts, in segment order; skipped ones stay open for the next session;
- every keep or drop is written at once, in its own journaled transaction
  (:func:`~qualcode.store.adjudications.record_decisions`), so quitting or Ctrl-C keeps every
  decision so far, and ``qualcode undo`` takes each back like any other change;
- ``u`` takes the last decision of the session back (its row and the consensus codings it
  wrote) and returns to it;
- with ``keep_agreed``, every open agreement is kept first, in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from qualcode.errors import ConflictError
from qualcode.review.queue import ADJUDICATION_KEYS, Command, QueueState
from qualcode.store.adjudications import (
    Decision,
    Unit,
    UnitContext,
    open_units,
    record_decisions,
    take_back,
    unit_contexts,
)
from qualcode.store.project import Project


@dataclass(frozen=True)
class AdjudicationEntry:
    """One decision of the session, for undo: where it was taken and what it wrote."""

    position: int
    adjudication_id: int
    keep: bool
    coding_ids: range = range(0)


@dataclass(frozen=True)
class AdjudicationCard:
    """What the screen shows for the current disagreement."""

    unit: Unit
    context: UnitContext
    code_name: str | None


@dataclass
class AdjudicationSummary:
    kept: int = 0
    dropped: int = 0
    skipped: int = 0
    undone: int = 0
    agreements_kept: int = 0


class AdjudicationSession:
    """An adjudication over one project: applies keep/drop/skip/undo and writes at once."""

    def __init__(
        self,
        project: Project,
        coders: tuple[str, ...],
        *,
        consensus: str,
        decided_by: str,
        all_segments: bool = False,
        keep_agreed: bool = False,
    ) -> None:
        from qualcode.store.codebooks import code_rows

        self.project = project
        self.coders = coders
        self.consensus = consensus
        self.decided_by = decided_by
        self.summary = AdjudicationSummary()
        units = open_units(project.conn, coders, all_segments=all_segments)
        agreements = [unit for unit in units if unit.agreed]
        if keep_agreed and agreements:
            record_decisions(
                project, coders,
                [(unit, Decision(unit.segment_id, unit.code_id, True)) for unit in agreements],
                consensus=consensus, decided_by=decided_by,
            )  # fmt: skip
            self.summary.agreements_kept = len(agreements)
        self.units = [unit for unit in units if not unit.agreed]
        self.contexts = unit_contexts(project.conn, (unit.segment_id for unit in self.units))
        self.names = {
            str(row["code_id"]): row["name_zh"] or row["name_en"] for row in code_rows(project)
        }
        self.state: QueueState[AdjudicationEntry] = QueueState(list(range(len(self.units))))
        self.quit = False

    @property
    def done(self) -> bool:
        return self.quit or self.state.finished

    def card(self) -> AdjudicationCard | None:
        """The current disagreement, or ``None`` when the session is over."""
        current = self.state.current
        if current is None:
            return None
        unit = self.units[current]
        return AdjudicationCard(unit, self.contexts[unit.segment_id], self.names.get(unit.code_id))

    def apply(self, command: Command, text: str | None = None) -> str:
        """Carry out ``command`` on the current disagreement; return a one-line status."""
        if command not in ADJUDICATION_KEYS.commands:
            return f"Not changed: '{command.value}' is not an adjudication command."
        if command is Command.QUIT:
            self.quit = True
            return "Quit: every decision so far is saved."
        if command is Command.UNDO:
            return self._undo()
        current = self.state.current
        if current is None:
            return "No more disagreements."
        unit = self.units[current]
        where = f"segment {unit.segment_id}, {unit.code_id}"
        if command is Command.SKIP:
            self.state.advance()
            self.summary.skipped += 1
            return f"Skipped {where}: still open."
        keep = command is Command.KEEP
        note = (text or "").strip() or None
        try:
            written = record_decisions(
                self.project, self.coders,
                [(unit, Decision(unit.segment_id, unit.code_id, keep, note))],
                consensus=self.consensus, decided_by=self.decided_by,
            )  # fmt: skip
        except ConflictError as error:
            self.state.advance()
            return f"Not changed: {error}"
        self.state.record(
            AdjudicationEntry(
                self.state.position, written.first_adjudication_id, keep, written.coding_ids
            )
        )
        self.state.advance()
        if keep:
            self.summary.kept += 1
            return f"Kept {where} as {self.consensus}'s coding."
        self.summary.dropped += 1
        return f"Dropped {where}."

    def _undo(self) -> str:
        entry = self.state.undo()
        if entry is None:
            return "Nothing to undo."
        take_back(self.project, entry.adjudication_id, entry.coding_ids)
        if entry.keep:
            self.summary.kept -= 1
        else:
            self.summary.dropped -= 1
        self.summary.undone += 1
        return "Undone: the decision is open again."
