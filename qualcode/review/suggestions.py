"""The terminal review session: decide suggestions one at a time, with undo.

Three layers, so that the logic is testable without a terminal:

- :class:`ReviewState` is a small pure state machine: the queue of suggestion ids, which one
  is current, what each key means (:data:`KEYS`) and the undo history. No database, no I/O.
- :class:`ReviewSession` ties the state to the project: every decision (accept, reject, code
  the segment with another code, memo) and every undo is written at once, in its own
  transaction, through :mod:`qualcode.store.suggestions` and :mod:`qualcode.store.codings`.
  Quitting or Ctrl-C at any moment therefore keeps everything decided so far.
- :func:`run_review` renders with prompt_toolkit: it prints one suggestion (segment text with
  the matched span highlighted, the previous segment for context, case, speaker, code id and
  name, the rule that fired, codes already on the segment), reads one key, and prompts for a
  code id (with completion) or a memo text when the key asks for one. Its ``input`` and
  ``output`` can be a pipe and a dummy, which is how the tests and ``--input`` drive it.

The queue is the pending suggestions matching the filters when the session starts, in reading
order. Skipped suggestions stay pending for the next session. Suggestions decided by someone
else while the session runs are passed over.

The queue state (:class:`QueueState`), the session loop (:func:`drive`, told by a
:class:`SessionScreen` what to show and ask) and :func:`read_key` are shared with the segment
session (:mod:`qualcode.review.segments`, plain ``qualcode review``).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Literal, Protocol, TypeVar

from qualcode.errors import ConflictError, QualcodeError
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

if TYPE_CHECKING:
    from prompt_toolkit.completion import Completer
    from prompt_toolkit.formatted_text import StyleAndTextTuples
    from prompt_toolkit.input import Input
    from prompt_toolkit.output import Output


class Command(enum.Enum):
    ACCEPT = "accept"
    REJECT = "reject"
    SKIP = "skip"
    CODE = "code"
    MEMO = "memo"
    UNDO = "undo"
    QUIT = "quit"


#: What each key does in a review session.
KEYS: dict[str, Command] = {
    "a": Command.ACCEPT,
    "r": Command.REJECT,
    "s": Command.SKIP,
    "c": Command.CODE,
    "m": Command.MEMO,
    "u": Command.UNDO,
    "q": Command.QUIT,
}

KEY_HELP = "[a]ccept  [r]eject  [s]kip  [c]ode  [m]emo  [u]ndo  [q]uit"


def command_for(key: str) -> Command | None:
    """The command bound to ``key`` (case-insensitive), or ``None`` for any other key."""
    return KEYS.get(key.lower())


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


class _Positioned(Protocol):
    @property
    def position(self) -> int: ...


EntryT = TypeVar("EntryT", bound=_Positioned)


@dataclass
class QueueState(Generic[EntryT]):
    """A queue of ids, which one is current, and the undo history. Pure: no I/O.

    Shared by both review sessions: the suggestion queue (:class:`ReviewState`) and the
    segment queue (:class:`qualcode.review.segments.SegmentState`). Undo pops the last
    recorded action and returns to the queue position it was taken at.
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
        if command is Command.QUIT:
            self.quit = True
            return "Quit: every decision so far is saved."
        if command is Command.UNDO:
            return self._undo()
        current = self.state.current
        if current is None:
            return "No more suggestions."
        try:
            status = self._apply(command, current, text)
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


# Rendering with prompt_toolkit -------------------------------------------------------------

STYLE = {
    "header": "bold",
    "dim": "#888888",
    "code": "bold ansicyan",
    "match": "reverse bold",
    "keys": "ansigreen",
    "status": "ansiyellow",
}


def _card(session: ReviewSession, context: SuggestionContext) -> StyleAndTextTuples:
    """The formatted text shown for one suggestion."""
    suggestion = context.suggestion
    speaker = suggestion["speaker"] or "(no speaker)"
    role = f" ({suggestion['role']})" if suggestion["role"] else ""
    code_name = f" {suggestion['code_name']}" if suggestion["code_name"] else ""
    lines: StyleAndTextTuples = [
        ("class:header", f"── {session.state.progress()} · suggestion "
                         f"{suggestion['suggestion_id']} · run {suggestion['run_id']} ──\n"),
        ("", f"case {suggestion['case_name']} · {suggestion['document']} · segment "
             f"{suggestion['segment_id']} · {speaker}{role}\n"),
        ("", "code "), ("class:code", f"{suggestion['code']}{code_name}"),
        ("", f" · {suggestion['rule_kind']} "), ("class:code", f"{suggestion['rule']}\n"),
    ]  # fmt: skip
    if context.previous_text is not None:
        previous = context.previous_text
        if len(previous) > 160:
            previous = "…" + previous[-159:]
        lines.append(("class:dim", f"  {previous}\n"))
    text = context.text
    lines += [
        ("", "> " + text[: context.span_start]),
        ("class:match", text[context.span_start : context.span_end]),
        ("", text[context.span_end :] + "\n"),
    ]
    if context.existing_codes:
        lines.append(("class:dim", f"already coded: {', '.join(context.existing_codes)}\n"))
    return lines


def read_key(
    keys: Iterable[str], bar: str, input: Input | None, output: Output | None
) -> str | None:
    """Show ``bar`` and wait for one of ``keys`` (either case); return it in lower case.

    ``None`` for Ctrl-D, which quits; Ctrl-C raises :class:`KeyboardInterrupt`. Shared by the
    suggestion and the segment session.
    """
    from prompt_toolkit.application import Application
    from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
    from prompt_toolkit.layout import FormattedTextControl, Layout, Window
    from prompt_toolkit.styles import Style

    bindings = KeyBindings()
    for key in keys:
        for variant in {key, key.upper()}:

            def choose(event: KeyPressEvent, key: str = key) -> None:
                event.app.exit(result=key)

            bindings.add(variant)(choose)

    @bindings.add("c-c")
    def interrupt(event: KeyPressEvent) -> None:
        event.app.exit(exception=KeyboardInterrupt())

    @bindings.add("c-d")
    def end(event: KeyPressEvent) -> None:
        event.app.exit(result=None)

    application: Application[str | None] = Application(
        # The bar wraps on narrow terminals rather than hiding the last keys.
        layout=Layout(Window(FormattedTextControl([("class:keys", bar)]), wrap_lines=True)),
        key_bindings=bindings,
        style=Style.from_dict(STYLE),
        input=input,
        output=output,
        erase_when_done=True,
    )
    return application.run()


def _read_command(session: ReviewSession, input: Input | None, output: Output | None) -> Command:
    """Show the key bar and wait for one bound key (Ctrl-C: KeyboardInterrupt; Ctrl-D: quit)."""
    key = read_key(KEYS, f"{session.state.progress()}  {KEY_HELP} ", input, output)
    return Command.QUIT if key is None else KEYS[key]


def ask(
    question: str, completer: Completer | None, input: Input | None, output: Output | None
) -> str | None:
    """A one-line prompt, with ``completer`` if given; ``None`` when cancelled (Ctrl-C).

    End of input (Ctrl-D on an empty line, or the end of scripted keys) raises
    :class:`EOFError`, which ends the session.
    """
    from prompt_toolkit.shortcuts import PromptSession

    prompt: PromptSession[str] = PromptSession(input=input, output=output)
    try:
        return prompt.prompt(question, completer=completer)
    except KeyboardInterrupt:
        return None


def printer(output: Output | None) -> Callable[[StyleAndTextTuples], None]:
    """A function that prints formatted text in the session's style to ``output``."""
    from prompt_toolkit.formatted_text import FormattedText
    from prompt_toolkit.shortcuts import print_formatted_text
    from prompt_toolkit.styles import Style

    style = Style.from_dict(STYLE)

    def show(text: StyleAndTextTuples) -> None:
        print_formatted_text(FormattedText(text), style=style, output=output)

    return show


class _Session(Protocol):
    """What :func:`drive` needs of a review session."""

    @property
    def done(self) -> bool: ...
    @property
    def quit(self) -> bool: ...
    @property
    def state(self) -> QueueState[Any]: ...
    def apply(self, command: Any, text: str | None = None) -> str: ...


CardT = TypeVar("CardT")
CommandT = TypeVar("CommandT")


@dataclass(frozen=True)
class SessionScreen(Generic[CardT, CommandT]):
    """How one kind of session looks and talks: what :func:`drive` calls for it.

    ``card`` gives what to show for the current item (``None`` when the session is over),
    ``render`` draws it, ``read_command`` waits for a key, ``question`` says what to ask
    before a command (prompt and completer) or ``None``, ``redraw`` lists the commands after
    which the card is drawn again, and ``end`` is printed when the queue runs out.
    """

    card: Callable[[], CardT | None]
    render: Callable[[CardT], StyleAndTextTuples]
    read_command: Callable[[Input | None, Output | None], CommandT]
    question: Callable[[CommandT, CardT], tuple[str, Completer | None] | None]
    redraw: frozenset[CommandT]
    end: str


def drive(
    session: _Session,
    screen: SessionScreen[CardT, CommandT],
    input: Input | None,
    output: Output | None,
) -> None:
    """Run a session until its queue is done, ``q``, Ctrl-D or end of input.

    Shows the card when the position changed (or after a command in ``screen.redraw``),
    reads a command, asks what it needs, applies it (each action commits at once) and
    prints its status. Ctrl-C raises :class:`KeyboardInterrupt`; nothing done is lost.
    """
    show = printer(output)
    shown: int | None = None
    while not session.done:
        card = screen.card()
        if card is None:
            break
        if shown != session.state.position:
            show(screen.render(card))
            shown = session.state.position
        try:
            command = screen.read_command(input, output)
            question = screen.question(command, card)
            text = None if question is None else ask(*question, input, output)
        except EOFError:
            break
        if question is not None and text is None:
            show([("class:status", "Cancelled.\n")])
            continue
        status = session.apply(command, text)
        if status:
            show([("class:status", status + "\n")])
        if command in screen.redraw:
            shown = None  # show the card again: what is on it (or where) changed
    if session.state.finished and not session.quit:
        show([("class:status", screen.end + "\n")])


def run_review(
    session: ReviewSession, *, input: Input | None = None, output: Output | None = None
) -> ReviewSummary:
    """Run the interactive suggestion session (see :func:`drive`); ``input``/``output``
    default to the terminal."""
    from prompt_toolkit.completion import WordCompleter

    from qualcode.store.codebooks import code_rows

    code_ids = [str(row["code_id"]) for row in code_rows(session.project)]
    completer = WordCompleter(code_ids, sentence=True) if code_ids else None

    def question(
        command: Command, _context: SuggestionContext
    ) -> tuple[str, Completer | None] | None:
        if command is Command.CODE:
            return "code id: ", completer
        if command is Command.MEMO:
            return "memo on this segment: ", None
        return None

    screen = SessionScreen(
        card=session.context,
        render=lambda context: _card(session, context),
        read_command=lambda input, output: _read_command(session, input, output),
        question=question,
        redraw=frozenset({Command.UNDO, Command.CODE, Command.MEMO}),
        end="No more pending suggestions in this selection.",
    )
    drive(session, screen, input, output)
    return session.summary
