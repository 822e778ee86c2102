"""The terminal side of the review sessions, drawn and read with prompt_toolkit.

The sessions themselves (queue, actions on the project, undo) are in :mod:`qualcode.review`;
this module shows them and reads keys:

- :func:`read_key`, :func:`ask` and :func:`printer` read one key, prompt for a line (with
  completion) and print formatted text in the sessions' style;
- :func:`drive` is the one session loop, told by a :class:`SessionScreen` what to show and ask;
- :func:`run_review` draws the suggestion queue
  (:class:`qualcode.review.suggestions.ReviewSession`): the segment text with the matched span
  highlighted, the previous segment for context, case, speaker, code, the rule that fired and
  codes already on the segment;
- :func:`run_segment_review` draws the segment queue
  (:class:`qualcode.review.segments.SegmentSession`): one segment with progress, case, document,
  speaker and role, the previous segment, the codes already on it (code, name, coder, manual or
  auto) and its pending suggestions, numbered;
- :func:`run_adjudication` draws the open disagreements of ``qualcode adjudicate``
  (:class:`qualcode.review.adjudication.AdjudicationSession`): where the segment is, its text
  with every coded span highlighted, who applied the code (quote and memo) and who did not.

``input`` and ``output`` can be a pipe and a dummy, which is how the tests and ``review
--input`` drive a session; by default they are the terminal. prompt_toolkit is imported inside
the functions, so that ``qualcode --help`` does not load it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from qualcode.review.adjudication import (
    AdjudicationCard,
    AdjudicationSession,
    AdjudicationSummary,
)
from qualcode.review.queue import (
    ADJUDICATION_KEYS,
    SEGMENT_KEYS,
    SUGGESTION_KEYS,
    Command,
    KeyMap,
    QueueState,
)
from qualcode.review.segments import (
    CodeRow,
    SegmentCard,
    SegmentSession,
    SegmentSummary,
    code_names,
)
from qualcode.review.suggestions import ReviewSession, ReviewSummary

if TYPE_CHECKING:
    from prompt_toolkit.completion import Completer, WordCompleter
    from prompt_toolkit.formatted_text import StyleAndTextTuples
    from prompt_toolkit.input import Input
    from prompt_toolkit.output import Output

    from qualcode.store.rows import SegmentCoding, SuggestionRow
    from qualcode.store.suggestions import SuggestionContext

STYLE = {
    "header": "bold",
    "dim": "#888888",
    "code": "bold ansicyan",
    "match": "reverse bold",
    "keys": "ansigreen",
    "status": "ansiyellow",
}


# Reading keys and lines, printing ------------------------------------------------------------


def read_key(
    keys: Iterable[str], bar: str, input: Input | None, output: Output | None
) -> str | None:
    """Show ``bar`` and wait for one of ``keys`` (either case); return it in lower case.

    ``None`` for Ctrl-D, which quits; Ctrl-C raises :class:`KeyboardInterrupt`.
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


def read_command(
    key_map: KeyMap, state: QueueState[Any], input: Input | None, output: Output | None
) -> Command:
    """Show the key bar with the progress and wait for one of the session's keys (Ctrl-C:
    :class:`KeyboardInterrupt`; Ctrl-D: quit)."""
    key = read_key(key_map.keys, f"{state.progress()}  {key_map.help} ", input, output)
    command = None if key is None else key_map.command_for(key)
    return Command.QUIT if command is None else command


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


# The session loop ----------------------------------------------------------------------------


class _Session(Protocol):
    """What :func:`drive` needs of a review session."""

    @property
    def done(self) -> bool: ...
    @property
    def quit(self) -> bool: ...
    @property
    def state(self) -> QueueState[Any]: ...
    def apply(self, command: Command, text: str | None = None) -> str: ...


CardT = TypeVar("CardT")


@dataclass(frozen=True)
class SessionScreen(Generic[CardT]):
    """How one kind of session looks and talks: what :func:`drive` calls for it.

    ``card`` gives what to show for the current item (``None`` when the session is over),
    ``render`` draws it, ``keys`` are the keys the session offers, ``question`` says what to
    ask before a command (prompt and completer) or ``None``, ``redraw`` lists the commands
    after which the card is drawn again, and ``end`` is printed when the queue runs out.
    """

    card: Callable[[], CardT | None]
    render: Callable[[CardT], StyleAndTextTuples]
    keys: KeyMap
    question: Callable[[Command, CardT], tuple[str, Completer | None] | None]
    redraw: frozenset[Command]
    end: str


def drive(
    session: _Session, screen: SessionScreen[CardT], input: Input | None, output: Output | None
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
            command = read_command(screen.keys, session.state, input, output)
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


# The suggestion queue ------------------------------------------------------------------------


def suggestion_card(session: ReviewSession, context: SuggestionContext) -> StyleAndTextTuples:
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
    learned = context.learned
    if learned is not None:
        lines.append(
            ("", f"score {learned.score:.2f} · model {learned.model_id} learned from "
                 f"{learned.coder}'s coding of {learned.examples} segments "
                 f"({learned.positives} with the code), cross-validated precision "
                 f"{learned.precision:.2f}, recall {learned.recall:.2f}, F1 {learned.f1:.2f} · "
                 f"training {learned.training_hash[:12]}\n")
        )  # fmt: skip
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
        render=lambda context: suggestion_card(session, context),
        keys=SUGGESTION_KEYS,
        question=question,
        redraw=frozenset({Command.UNDO, Command.CODE, Command.MEMO}),
        end="No more pending suggestions in this selection.",
    )
    drive(session, screen, input, output)
    return session.summary


# The segment queue ---------------------------------------------------------------------------


def code_completer(codes: Sequence[CodeRow]) -> WordCompleter:
    """Completion over the ids and names of ``codes``, matching anywhere in them (``卡`` finds
    ``卡口``, ``check`` finds ``grid.checkpoints``); each candidate shows what it stands for."""
    from prompt_toolkit.completion import WordCompleter

    meta: dict[str, str] = {}
    for code in codes:
        meta[str(code["code_id"])] = " / ".join(code_names(code))
        for name in code_names(code):
            meta.setdefault(name, str(code["code_id"]))
    return WordCompleter(
        list(meta), meta_dict=meta, ignore_case=True, match_middle=True, sentence=True
    )


def _who(row: Mapping[str, Any]) -> str:
    speaker = row["speaker"] or "(no speaker)"
    return f"{speaker} ({row['role']})" if row["role"] else speaker


def _shorten(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else "…" + text[-(limit - 1) :]


def _coding_lines(codings: list[SegmentCoding], text: str) -> StyleAndTextTuples:
    if not codings:
        return [("class:dim", "codes: none yet\n")]
    lines: StyleAndTextTuples = [("", "codes:\n")]
    for coding in codings:
        # Automatic codings are recorded with the coder 'auto': say it once, with the rule.
        how = str(coding["origin"])
        if coding["coder"] != how:
            how = f"{coding['coder']} · {how}"
        if coding["origin"] == "auto":
            how += f" ({coding['rule_kind']} {coding['rule']})"
        quote = "" if coding["quote"] == text else f" 「{coding['quote']}」"
        lines += [
            ("", "  "),
            ("class:code", f"{coding['code']} {coding['code_name']}".strip()),
            ("", f" · {how}{quote}\n"),
        ]
        if coding["memo"]:
            lines.append(("class:dim", f"    memo: {coding['memo']}\n"))
    return lines


def _suggestion_lines(suggestions: list[SuggestionRow]) -> StyleAndTextTuples:
    if not suggestions:
        return []
    lines: StyleAndTextTuples = [("", "pending suggestions:\n")]
    for number, suggestion in enumerate(suggestions, start=1):
        lines += [
            ("", f"  {number}. "),
            ("class:code", f"{suggestion['code']} {suggestion['code_name']}".strip()),
            ("", f" · {suggestion['rule_kind']} {suggestion['rule']} 「{suggestion['quote']}」\n"),
        ]
    return lines


def segment_card(session: SegmentSession, card: SegmentCard) -> StyleAndTextTuples:
    """The formatted text shown for one segment."""
    segment = card.details.segment
    lines: StyleAndTextTuples = [
        ("class:header", f"── {session.state.progress()} · segment {segment['segment_id']} · "
                         f"case {segment['case_name']} · {segment['document']} ──\n"),
    ]  # fmt: skip
    previous = card.details.previous
    if previous is not None:
        lines.append(("class:dim", f"  {_who(previous)}: {_shorten(str(previous['text']))}\n"))
    lines += [("", f"{_who(segment)}\n"), ("", f"> {segment['text']}\n")]
    lines += _coding_lines(card.details.codings, str(segment["text"]))
    lines += _suggestion_lines(card.suggestions)
    lines += [
        ("class:dim", f"memo ({memo['coder']}): {memo['text']}\n") for memo in card.details.memos
    ]
    return lines


def _segment_question(
    command: Command, session: SegmentSession, card: SegmentCard
) -> tuple[str, Completer | None] | None:
    """What to ask before ``command`` (and the completion to offer), or ``None`` if nothing."""
    if command is Command.CODE:
        return "code (id, name, or number from 'l'): ", code_completer(session.codes)
    if command is Command.UNCODE:
        own = set(card.own_codes(session.coder))
        if not own:
            return None
        codes = [code for code in session.codes if code["code_id"] in own]
        return f"remove which of your codes ({', '.join(sorted(own))}): ", code_completer(codes)
    if command in (Command.ACCEPT, Command.REJECT) and len(card.suggestions) > 1:
        return f"{command.value} suggestion number (1-{len(card.suggestions)}): ", None
    if command is Command.MEMO:
        return "memo on this segment: ", None
    return None


#: Commands after which a segment's card is shown again: what is on it (or where) changed.
_SEGMENT_REDRAW = frozenset(
    {Command.CODE, Command.UNCODE, Command.ACCEPT, Command.REJECT, Command.MEMO, Command.UNDO}
)


def run_segment_review(
    session: SegmentSession, *, input: Input | None = None, output: Output | None = None
) -> SegmentSummary:
    """Run the interactive segment session (see :func:`drive`); ``input``/``output`` default
    to the terminal."""
    screen = SessionScreen(
        card=session.card,
        render=lambda card: segment_card(session, card),
        keys=SEGMENT_KEYS,
        question=lambda command, card: _segment_question(command, session, card),
        redraw=_SEGMENT_REDRAW,
        end="End of the segments in this selection.",
    )
    drive(session, screen, input, output)
    return session.summary


# The disagreements of an adjudication --------------------------------------------------------


def adjudication_card(session: AdjudicationSession, card: AdjudicationCard) -> StyleAndTextTuples:
    """The formatted text shown for one disagreement: where it is, the segment with every
    coded span highlighted, who applied the code (their quote and memo) and who did not."""
    unit, context = card.unit, card.context
    name = f" {card.code_name}" if card.code_name else ""
    speaker = context.speaker or "(no speaker)"
    lines: StyleAndTextTuples = [
        ("class:header", f"── {session.state.progress()} · segment {unit.segment_id} ──\n"),
        ("", f"case {context.case_name} · {context.document} · {speaker}\n"),
        ("", "code "), ("class:code", f"{unit.code_id}{name}\n"),
    ]  # fmt: skip
    spans = sorted(
        (coding.start_char - context.segment_start, coding.end_char - context.segment_start)
        for coding in unit.codings
    )
    text, cursor = context.text, 0
    lines.append(("", "> "))
    for start, end in spans:
        start = max(start, cursor)
        if end <= start:
            continue
        lines += [("", text[cursor:start]), ("class:match", text[start:end])]
        cursor = end
    lines.append(("", text[cursor:] + "\n"))
    for coding in unit.codings:
        quote = _shorten(
            text[
                coding.start_char - context.segment_start : coding.end_char - context.segment_start
            ]
        )
        memo = f" · memo: {coding.memo}" if coding.memo else ""
        lines.append(("", f"applied by {coding.coder}: “{quote}”{memo}\n"))
    lines.append(("class:dim", f"not applied by {', '.join(unit.not_applied_by)}\n"))
    return lines


def run_adjudication(
    session: AdjudicationSession, *, input: Input | None = None, output: Output | None = None
) -> AdjudicationSummary:
    """Run the interactive adjudication (see :func:`drive`): ``k`` keeps the code as the
    consensus coder's, ``d`` drops it, ``s`` leaves it open, ``u`` takes the last decision
    back, ``q`` quits. ``input``/``output`` default to the terminal."""
    screen = SessionScreen(
        card=session.card,
        render=lambda card: adjudication_card(session, card),
        keys=ADJUDICATION_KEYS,
        question=lambda command, card: None,
        redraw=frozenset({Command.UNDO}),
        end="No more open disagreements.",
    )
    drive(session, screen, input, output)
    return session.summary
