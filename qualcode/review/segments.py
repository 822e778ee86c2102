"""The segment review session: code segments one at a time, from scratch, with undo.

This is ``qualcode review`` (``--suggestions`` gives the suggestion queue of
:mod:`qualcode.review.suggestions`). The same two layers, so that the logic is testable without a
terminal:

- :class:`SegmentState` is pure: the queue of segment ids, which one is current, and the undo
  history. Next and back move through the queue; actions are recorded with the position they
  were taken at.
- :class:`SegmentSession` ties the state to the project: coding, uncoding, accepting or
  rejecting a suggestion on the segment, a memo, and every undo are written at once, each in
  its own transaction, through :mod:`qualcode.store.codings` and :mod:`qualcode.store.suggestions`.
  Quitting, Ctrl-C or the end of the keys at any moment keeps everything done so far.

The screen (:func:`qualcode.cli.screen.run_segment_review`) shows one segment at a time with
progress, case, document, speaker and role, the previous segment for context, the codes already
on it and its pending suggestions, numbered; its keys are
:data:`qualcode.review.queue.SEGMENT_KEYS`.

The queue is fixed when the session starts (:func:`qualcode.store.codings.select_segments`):
coding a segment of an ``--uncoded`` queue keeps it in the queue, so that back and undo still
reach it.

A code is named at the prompt by its id, its Chinese or English name (any case), the last part
of its id when only one code has it (``checkpoints``), or its number in the code list that
``l`` prints (the codebook's order; the numbers do not change during a session).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from qualcode.errors import BusyError, NotFoundError, QualcodeError, UsageError
from qualcode.review.queue import (
    SEGMENT_KEYS,
    Command,
    QueueState,
    busy_status,
    retry_while_busy,
)
from qualcode.store.codebooks import code_rows
from qualcode.store.codings import (
    RemovedCodings,
    SegmentDetails,
    SegmentSelection,
    add_memo,
    code_segment,
    restore_codings,
    segment_details,
    select_segments,
    take_codings,
)
from qualcode.store.project import Project
from qualcode.store.rows import SuggestionRow
from qualcode.store.suggestions import (
    Decision,
    accept_suggestion,
    reject_suggestion,
    remove_coding,
    remove_memo,
    reopen_suggestion,
    segment_suggestions,
)

CodeRow = Mapping[str, Any]


# Naming codes at the prompt ---------------------------------------------------------------


def code_names(code: CodeRow) -> list[str]:
    """The code's Chinese and English names, those it has."""
    return [str(name) for name in (code["name_zh"], code["name_en"]) if name]


def code_label(code: CodeRow) -> str:
    """``grid.checkpoints 卡口 / Checkpoints``: the id and the names, as lists show a code."""
    return " ".join([str(code["code_id"]), " / ".join(code_names(code))]).strip()


def resolve_code(text: str, codes: Sequence[CodeRow]) -> str:
    """The id of the code ``text`` names: a number in ``codes`` (from 1), an id, a name
    (Chinese or English, any case), the last part of an id that only one code has, or else
    a part of one code's id or names (``五步`` for ``网格治理"五步法"``), tried in that order.

    An unknown code is a :class:`NotFoundError` naming the closest one; a name that several
    codes share, or a number outside the list, is a :class:`UsageError`.
    """
    wanted = text.strip()
    if not codes:
        raise NotFoundError("the project has no codebook: load one with 'qualcode codebook load'")
    if not wanted:
        raise UsageError("no code given")
    if wanted.isascii() and wanted.isdigit():
        number = int(wanted)
        if not 1 <= number <= len(codes):
            raise UsageError(f"no code number {number}: the list ('l') has 1 to {len(codes)}")
        return str(codes[number - 1]["code_id"])
    folded = wanted.casefold()
    for found in (
        [code for code in codes if code["code_id"] == wanted],
        [code for code in codes if folded in (name.casefold() for name in code_names(code))],
        [code for code in codes if str(code["code_id"]).rpartition(".")[2] == wanted],
        [code for code in codes if folded in code_label(code).casefold()],
    ):
        if len(found) == 1:
            return str(found[0]["code_id"])
        if found:
            ids = ", ".join(str(code["code_id"]) for code in found[:5])
            more = ", …" if len(found) > 5 else ""
            raise UsageError(f"{wanted!r} matches several codes ({ids}{more}): give the id")
    raise NotFoundError(_unknown_code(wanted, codes))


def _unknown_code(wanted: str, codes: Sequence[CodeRow]) -> str:
    import difflib

    known = {str(code["code_id"]): str(code["code_id"]) for code in codes}
    known.update({name: str(code["code_id"]) for code in codes for name in code_names(code)})
    close = difflib.get_close_matches(wanted, list(known), n=1)
    hint = f"; did you mean '{known[close[0]]}'?" if close else " ('l' lists the codes)"
    return f"no code '{wanted}' in the project's codebook{hint}"


def numbered_codes(codes: Sequence[CodeRow]) -> str:
    """The code list that ``l`` prints: number, id indented by depth, names."""
    if not codes:
        return "The project has no codebook: load one with 'qualcode codebook load'."
    width = len(str(len(codes)))
    return "\n".join(
        f"{number:>{width}}  {'  ' * int(code['depth'])}{code_label(code)}"
        for number, code in enumerate(codes, start=1)
    )


# The pure state ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SegmentEntry:
    """One undoable action, with the queue position it was taken at.

    ``coding_id`` for coding the segment, ``removed`` for uncoding it, ``decision`` for
    accepting or rejecting a suggestion, ``memo_id`` for a memo.
    """

    kind: Literal["coding", "uncoding", "decision", "memo"]
    position: int
    segment_id: int
    coding_id: int | None = None
    removed: RemovedCodings | None = None
    decision: Decision | None = None
    memo_id: int | None = None


class SegmentState(QueueState[SegmentEntry]):
    """The segment queue: next and back move through it (next past the last segment
    finishes it); actions stay on their segment."""

    def next(self) -> None:
        self.advance()

    def back(self) -> bool:
        """Go to the previous segment; ``False`` (and stay) on the first one."""
        if self.position == 0:
            return False
        self.position -= 1
        return True


# The session ------------------------------------------------------------------------------


@dataclass
class SegmentSummary:
    coded: int = 0
    uncoded: int = 0
    accepted: int = 0
    rejected: int = 0
    memos: int = 0
    undone: int = 0


@dataclass(frozen=True)
class SegmentCard:
    """What the screen shows for the current segment."""

    details: SegmentDetails
    #: Pending suggestions on the segment, numbered from 1 in this order.
    suggestions: list[SuggestionRow]

    def own_codes(self, coder: str) -> list[str]:
        """Codes ``coder`` applied by hand to this segment, each once, in codebook order."""
        return _own_codes(self.details, coder)


def _own_codes(details: SegmentDetails, coder: str) -> list[str]:
    return list(
        dict.fromkeys(
            str(coding["code"])
            for coding in details.codings
            if coding["origin"] == "manual" and coding["coder"] == coder
        )
    )


class SegmentSession:
    """A coding session over the segments of one project: every action is written at once."""

    def __init__(self, project: Project, *, coder: str, selection: SegmentSelection) -> None:
        self.project = project
        self.coder = coder
        self.selection = selection
        self.state = SegmentState(select_segments(project, selection))
        #: The numbered code list (``l``), fixed for the session.
        self.codes = code_rows(project)
        self.summary = SegmentSummary()
        self.quit = False

    @property
    def done(self) -> bool:
        return self.quit or self.state.finished

    def card(self) -> SegmentCard | None:
        """What to show for the current segment, or ``None`` when the session is over."""
        current = self.state.current
        if current is None:
            return None
        return SegmentCard(
            segment_details(self.project, current), segment_suggestions(self.project, current)
        )

    def apply(self, command: Command, text: str | None = None) -> str:
        """Carry out ``command`` on the current segment; return a one-line status ("" when
        there is nothing to say, e.g. after next).

        ``text`` is what the prompt read: a code (for code and uncode), a suggestion number
        (for accept and reject; not needed when the segment has one pending suggestion) or
        the memo. Errors the user can fix come back as the status and change nothing.
        """
        if command not in SEGMENT_KEYS.commands:
            return f"Not changed: '{command.value}' is not a segment review command."
        if command is Command.QUIT:
            self.quit = True
            return "Quit: everything done so far is saved."
        if command is Command.UNDO:
            return self._undo()
        if command is Command.LIST:
            return numbered_codes(self.codes)
        if command is Command.BACK:
            return "" if self.state.back() else "Already at the first segment."
        segment_id = self.state.current
        if segment_id is None:
            return "No more segments."
        if command is Command.NEXT:
            self.state.next()
            return ""
        try:
            return retry_while_busy(lambda: self._act(command, segment_id, text))
        except BusyError as error:
            return busy_status(error)
        except QualcodeError as error:
            return f"Not changed: {error}"

    def _act(self, command: Command, segment_id: int, text: str | None) -> str:
        if command is Command.CODE:
            return self._code(segment_id, text or "")
        if command is Command.UNCODE:
            return self._uncode(segment_id, text or "")
        if command is Command.MEMO:
            return self._memo(segment_id, text or "")
        return self._decide(segment_id, text, accept=command is Command.ACCEPT)

    def _label(self, code_id: str) -> str:
        return next(
            (code_label(code) for code in self.codes if code["code_id"] == code_id), code_id
        )

    def _code(self, segment_id: int, text: str) -> str:
        code_id = resolve_code(text, self.codes)
        result = code_segment(self.project, segment_id, code_id, coder=self.coder)
        if not result.created:
            return f"Segment {segment_id} already has {code_id} by {self.coder}."
        position = self.state.position
        self.state.record(SegmentEntry("coding", position, segment_id, coding_id=result.coding_id))
        self.summary.coded += 1
        return f"Coded segment {segment_id} with {self._label(code_id)}."

    def _uncode(self, segment_id: int, text: str) -> str:
        if not text.strip() and not _own_codes(
            segment_details(self.project, segment_id), self.coder
        ):
            return f"Segment {segment_id} has no codes by {self.coder} to remove."
        code_id = resolve_code(text, self.codes)
        removed = take_codings(self.project, segment_id, code_id, coder=self.coder)
        position = self.state.position
        self.state.record(SegmentEntry("uncoding", position, segment_id, removed=removed))
        self.summary.uncoded += 1
        return f"Removed {self._label(code_id)} from segment {segment_id}."

    def _memo(self, segment_id: int, text: str) -> str:
        memo = text.strip()
        if not memo:
            return "Empty memo: nothing written."
        memo_id = add_memo(self.project, "segment", str(segment_id), memo, coder=self.coder)
        self.state.record(SegmentEntry("memo", self.state.position, segment_id, memo_id=memo_id))
        self.summary.memos += 1
        return f"Memo {memo_id} on segment {segment_id}."

    def _decide(self, segment_id: int, text: str | None, *, accept: bool) -> str:
        number, suggestion = self._numbered_suggestion(segment_id, text)
        suggestion_id = int(suggestion["suggestion_id"])
        if accept:
            decision = accept_suggestion(self.project, suggestion_id, coder=self.coder)
            self.summary.accepted += 1
        else:
            decision = reject_suggestion(self.project, suggestion_id, coder=self.coder)
            self.summary.rejected += 1
        position = self.state.position
        self.state.record(SegmentEntry("decision", position, segment_id, decision=decision))
        verb = "Accepted" if accept else "Rejected"
        return (
            f"{verb} suggestion {number}: {suggestion['code']} "
            f"({suggestion['rule_kind']} {suggestion['rule']})."
        )

    def _numbered_suggestion(self, segment_id: int, text: str | None) -> tuple[int, SuggestionRow]:
        """The pending suggestion numbered ``text`` on the segment (the only one if ``text``
        is empty and there is only one)."""
        pending = segment_suggestions(self.project, segment_id)
        if not pending:
            raise NotFoundError(f"segment {segment_id} has no pending suggestions")
        wanted = (text or "").strip()
        if not wanted and len(pending) == 1:
            return 1, pending[0]
        if not (wanted.isascii() and wanted.isdigit()) or not 1 <= int(wanted) <= len(pending):
            raise UsageError(f"give a suggestion number from 1 to {len(pending)}, not {wanted!r}")
        return int(wanted), pending[int(wanted) - 1]

    def _undo(self) -> str:
        entry = self.state.undo()
        if entry is None:
            return "Nothing to undo."
        try:
            what = self._revert(entry)
        except QualcodeError as error:
            return f"Could not undo: {error}"
        self.summary.undone += 1
        return f"Undone: {what}."

    def _revert(self, entry: SegmentEntry) -> str:
        """Write the inverse of ``entry``; return what was undone, for the status."""
        if entry.decision is not None:
            reopen_suggestion(self.project, entry.decision)
            if entry.decision.status == "accepted":
                self.summary.accepted -= 1
            else:
                self.summary.rejected -= 1
            return f"{entry.decision.status} suggestion {entry.decision.suggestion_id}"
        if entry.removed is not None:
            restore_codings(self.project, entry.removed)
            self.summary.uncoded -= 1
            return f"uncoding on segment {entry.segment_id}"
        if entry.coding_id is not None:
            remove_coding(self.project, entry.coding_id)
            self.summary.coded -= 1
            return f"coding {entry.coding_id}"
        assert entry.memo_id is not None
        remove_memo(self.project, entry.memo_id)
        self.summary.memos -= 1
        return f"memo {entry.memo_id}"
