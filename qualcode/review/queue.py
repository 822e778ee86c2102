"""What the review sessions share: the queue with its undo history, and the one key map.

A review session walks a fixed queue of ids (suggestions in ``qualcode review --suggestions``,
segments in plain ``qualcode review``, disagreements in ``qualcode adjudicate``), one at a
time, and records every action so that undo can revert it and go back to where it was taken.
An action that finds the project held by another command is tried again
(:func:`retry_while_busy`) and, if it still cannot be written, stays pending on the same
card. The sessions are driven by the same keys: :data:`KEYS` says what every key means, and
each session kind picks the keys it offers (:data:`SUGGESTION_KEYS`, :data:`SEGMENT_KEYS`,
:data:`ADJUDICATION_KEYS`), so a key never means two things. No database, no terminal.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

from qualcode.errors import BusyError


class Command(enum.Enum):
    """What a key asks a review session to do."""

    ACCEPT = "accept"
    REJECT = "reject"
    SKIP = "skip"
    CODE = "code"
    UNCODE = "uncode"
    MEMO = "memo"
    NEXT = "next"
    BACK = "back"
    UNDO = "undo"
    LIST = "list"
    KEEP = "keep"
    DROP = "drop"
    QUIT = "quit"


#: What each key means, in every review session.
KEYS: dict[str, Command] = {
    "a": Command.ACCEPT,
    "r": Command.REJECT,
    "s": Command.SKIP,
    "c": Command.CODE,
    "x": Command.UNCODE,
    "m": Command.MEMO,
    "n": Command.NEXT,
    "b": Command.BACK,
    "u": Command.UNDO,
    "l": Command.LIST,
    "k": Command.KEEP,
    "d": Command.DROP,
    "q": Command.QUIT,
}

#: How the key bar names each key.
_LABELS: dict[str, str] = {
    "a": "[a]ccept",
    "r": "[r]eject",
    "s": "[s]kip",
    "c": "[c]ode",
    "x": "[x] uncode",
    "m": "[m]emo",
    "n": "[n]ext",
    "b": "[b]ack",
    "u": "[u]ndo",
    "l": "[l]ist codes",
    "k": "[k]eep",
    "d": "[d]rop",
    "q": "[q]uit",
}


@dataclass(frozen=True)
class KeyMap:
    """The keys one kind of session offers, in the order its key bar shows them."""

    keys: tuple[str, ...]

    def __post_init__(self) -> None:
        unknown = [key for key in self.keys if key not in KEYS]
        if unknown:
            raise ValueError(f"keys without a command: {unknown}")

    def command_for(self, key: str) -> Command | None:
        """The command bound to ``key`` (either case), or ``None`` if this session lacks it."""
        key = key.lower()
        return KEYS[key] if key in self.keys else None

    @property
    def commands(self) -> list[Command]:
        """The commands of this session, in key bar order."""
        return [KEYS[key] for key in self.keys]

    @property
    def help(self) -> str:
        """The key bar: ``[a]ccept  [r]eject  ...``."""
        return "  ".join(_LABELS[key] for key in self.keys)


#: The suggestion queue (``qualcode review --suggestions``).
SUGGESTION_KEYS = KeyMap(tuple("arscmuq"))
#: The segment queue (plain ``qualcode review``).
SEGMENT_KEYS = KeyMap(tuple("cxarmnbulq"))
#: The disagreements of an adjudication (``qualcode adjudicate``).
ADJUDICATION_KEYS = KeyMap(tuple("kdsuq"))


class _Positioned(Protocol):
    @property
    def position(self) -> int: ...


EntryT = TypeVar("EntryT", bound=_Positioned)


@dataclass
class QueueState(Generic[EntryT]):
    """A queue of ids, which one is current, and the undo history. Pure: no I/O.

    Shared by both review sessions: the suggestion queue
    (:class:`qualcode.review.suggestions.ReviewState`) and the segment queue
    (:class:`qualcode.review.segments.SegmentState`). Undo pops the last recorded action and
    returns to the queue position it was taken at.
    """

    queue: Sequence[int]
    position: int = 0
    history: list[EntryT] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.queue)

    @property
    def current(self) -> int | None:
        """The id on screen, or ``None`` once past the end."""
        return self.queue[self.position] if self.position < len(self.queue) else None

    @property
    def finished(self) -> bool:
        return self.position >= len(self.queue)

    def progress(self) -> str:
        """``"12/340"``: the current item's place in the queue."""
        return f"{min(self.position + 1, self.total)}/{self.total}"

    def advance(self) -> None:
        if not self.finished:
            self.position += 1

    def record(self, entry: EntryT) -> None:
        """Remember an action for undo."""
        self.history.append(entry)

    def undo(self) -> EntryT | None:
        """Forget the last action and go back to where it was taken; ``None`` if none."""
        if not self.history:
            return None
        entry = self.history.pop()
        self.position = entry.position
        return entry


# Another command writing ---------------------------------------------------------------------

#: How often a review action is tried while another command holds the project. Each try
#: waits up to the project's ``--wait`` seconds, so a key pressed during the final write of a
#: long auto-coding run lands once it ends; the action is never half-written.
BUSY_ATTEMPTS = 3

ResultT = TypeVar("ResultT")


def retry_while_busy(action: Callable[[], ResultT]) -> ResultT:
    """Run ``action`` (one write of a review session), trying again up to
    :data:`BUSY_ATTEMPTS` times in all while the project is busy; the last
    :class:`~qualcode.errors.BusyError` propagates."""
    for _attempt in range(BUSY_ATTEMPTS - 1):
        try:
            return action()
        except BusyError:
            continue
    return action()


def busy_status(error: BusyError) -> str:
    """The status line after the tries ran out: nothing written, and the card stays."""
    return f"Not saved yet: {error}. The card stays: press the key again to retry."
