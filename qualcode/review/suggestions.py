"""The suggestion review session: decide suggestions one at a time, with undo.

Two layers here, so that the logic is testable without a terminal (the screen is drawn by
:mod:`qualcode.cli.screen`):

- :class:`ReviewState` is a small pure state machine: the queue of suggestion ids, which one
  is current and the undo history (:class:`qualcode.review.queue.QueueState`). The keys are
  :data:`qualcode.review.queue.SUGGESTION_KEYS`. No database, no I/O.
- :class:`ReviewSession` ties the state to the project: every decision (accept, reject, code
  the segment with another code, memo) and every undo is written at once, in its own
  transaction, through :mod:`qualcode.store.suggestions` and :mod:`qualcode.store.codings`.
  Quitting or Ctrl-C at any moment therefore keeps everything decided so far.

The queue is the pending suggestions matching the filters when the session starts, in reading
order. Skipped suggestions stay pending for the next session. Suggestions decided by someone
else while the session runs are passed over.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from qualcode.errors import BusyError, ConflictError, QualcodeError
from qualcode.review.queue import (
    SUGGESTION_KEYS,
    Command,
    QueueState,
    busy_status,
    retry_while_busy,
)
from qualcode.store.project import Project
from qualcode.store.suggestions import (
    Decision,
    SuggestionContext,
    SuggestionFilter,
    accept_suggestion,
    get_suggestion,
    pending_ids,
    reject_suggestion,
    remove_coding,
    remove_memo,
    reopen_suggestion,
    suggestion_context,
)


@dataclass(frozen=True)
class Entry:
    """One undoable action, with the queue position it was taken at.

    ``decision`` for accept/reject; ``coding_id`` for coding the segment with another code;
    ``memo_id`` for a memo.
    """

    kind: Literal["decision", "coding", "memo"]
    position: int
    suggestion_id: int
    decision: Decision | None = None
    coding_id: int | None = None
    memo_id: int | None = None


class ReviewState(QueueState[Entry]):
    """The suggestion queue: a decision (accept/reject) moves to the next suggestion; skip
    moves on without a record; coding the segment or writing a memo stays where it is."""

    def record(self, entry: Entry) -> None:
        super().record(entry)
        if entry.kind == "decision":
            self.advance()


@dataclass
class ReviewSummary:
    accepted: int = 0
    rejected: int = 0
    coded: int = 0
    memos: int = 0
    skipped: int = 0
    undone: int = 0


class ReviewSession:
    """A review session over one project: applies commands and writes them at once."""

    def __init__(self, project: Project, *, coder: str, filters: SuggestionFilter) -> None:
        self.project = project
        self.coder = coder
        self.filters = filters
        self.state = ReviewState(pending_ids(project, filters))
        self.summary = ReviewSummary()
        self.quit = False
        self._settle()

    @property
    def done(self) -> bool:
        return self.quit or self.state.finished

    def _settle(self) -> None:
        """Pass over suggestions that are no longer pending (decided elsewhere meanwhile)."""
        while (current := self.state.current) is not None:
            if get_suggestion(self.project, current)["status"] == "pending":
                return
            self.state.advance()

    def context(self) -> SuggestionContext | None:
        """What to show for the current suggestion, or ``None`` when the session is over."""
        current = self.state.current
        return None if current is None else suggestion_context(self.project, current)

    def apply(self, command: Command, text: str | None = None) -> str:
        """Carry out ``command`` on the current suggestion; return a one-line status.

        Errors the user can fix (an unknown code id, an empty memo) come back as the status
        and change nothing; the session goes on.
        """
        if command not in SUGGESTION_KEYS.commands:
            return f"Not changed: '{command.value}' is not a suggestion review command."
        if command is Command.QUIT:
            self.quit = True
            return "Quit: every decision so far is saved."
        if command is Command.UNDO:
            return self._undo()
        current = self.state.current
        if current is None:
            return "No more suggestions."
        try:
            status = retry_while_busy(lambda: self._apply(command, current, text))
        except BusyError as error:
            return busy_status(error)
        except ConflictError as error:
            self.state.advance()
            status = f"Not changed: {error}"
        except QualcodeError as error:
            status = f"Not changed: {error}"
        self._settle()
        return status

    def _apply(self, command: Command, current: int, text: str | None) -> str:
        from qualcode.store.codings import add_memo, code_segment

        position = self.state.position
        if command is Command.ACCEPT:
            decision = accept_suggestion(self.project, current, coder=self.coder)
            self.state.record(Entry("decision", position, current, decision=decision))
            self.summary.accepted += 1
            return f"Accepted suggestion {current} (coding {decision.coding_id})."
        if command is Command.REJECT:
            decision = reject_suggestion(self.project, current, coder=self.coder)
            self.state.record(Entry("decision", position, current, decision=decision))
            self.summary.rejected += 1
            return f"Rejected suggestion {current}."
        if command is Command.SKIP:
            self.state.advance()
            self.summary.skipped += 1
            return f"Skipped suggestion {current}."
        segment_id = int(get_suggestion(self.project, current)["segment_id"])
        if command is Command.CODE:
            code_id = (text or "").strip()
            if not code_id:
                return "No code given: nothing coded."
            result = code_segment(self.project, segment_id, code_id, coder=self.coder)
            if not result.created:
                return f"Segment {segment_id} already has {code_id} by {self.coder}."
            self.state.record(Entry("coding", position, current, coding_id=result.coding_id))
            self.summary.coded += 1
            return f"Coded segment {segment_id} with {code_id}."
        memo = (text or "").strip()
        if not memo:
            return "Empty memo: nothing written."
        memo_id = add_memo(self.project, "segment", str(segment_id), memo, coder=self.coder)
        self.state.record(Entry("memo", position, current, memo_id=memo_id))
        self.summary.memos += 1
        return f"Memo {memo_id} on segment {segment_id}."

    def _undo(self) -> str:
        entry = self.state.undo()
        if entry is None:
            return "Nothing to undo."
        try:
            if entry.decision is not None:
                reopen_suggestion(self.project, entry.decision)
                if entry.decision.status == "accepted":
                    self.summary.accepted -= 1
                else:
                    self.summary.rejected -= 1
                what = f"{entry.decision.status} suggestion {entry.suggestion_id}"
            elif entry.coding_id is not None:
                remove_coding(self.project, entry.coding_id)
                self.summary.coded -= 1
                what = f"coding {entry.coding_id}"
            else:
                assert entry.memo_id is not None
                remove_memo(self.project, entry.memo_id)
                self.summary.memos -= 1
                what = f"memo {entry.memo_id}"
        except QualcodeError as error:
            self._settle()
            return f"Could not undo: {error}"
        self.summary.undone += 1
        return f"Undone: {what}."
