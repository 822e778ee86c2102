"""Speaker turns in free text: who speaks where, and from when.

The importer calls ``assign_roles(detect_turns(text), text)`` (roles from
:mod:`qualcode.text.roles`) on the stored text of every free-text document (``.txt``, ``.md``,
``.docx``). Each :class:`~qualcode.models.Turn` covers the spoken text only: labels
(``采访者：``, ``【受访者】``, ``**[00:01] Jane**``) and timestamps stay in the document text,
outside the span, and ``text[start_char:end_char]`` is the spoken text without surrounding
whitespace. Which line starts with a label, and which labels count, is
:mod:`qualcode.text.labels`.

A turn runs from its label to the next label line, across blank lines. Lines before the first
label (title, keywords, a list of who was interviewed, a date) are header turns
(``is_header=True``): kept in the text, but not evidence, so they give no segments. A header
is short (at most :data:`MAX_HEADER_LINES` non-blank lines and :data:`MAX_HEADER_CHARS`
characters); anything longer before the first label is unlabelled talk, split as below. Without
any label, each paragraph (blank-line separated; each line when the text has no blank lines)
is a turn with speaker ``None``, except leading lines of metadata fields (``关键词：…``,
``Date: …``), which are the header.

Two paths find the same turns: :func:`_plain_label_turns`, fast, for transcripts whose every
label is a plain ``Name：`` at the start of a line (the commonest kind), and
:func:`_turns_line_by_line` for any text. A test holds them equal.
"""

from __future__ import annotations

import functools
import itertools
import operator
import re
from collections.abc import Iterable, Sequence
from typing import NamedTuple, cast

from qualcode.models import Role, Turn
from qualcode.text.labels import (
    PLAIN_HEAD_LINES,
    Deferred,
    SpeakerLabel,
    candidate_labels,
    confirmed_speaker_labels,
    has_label_then_stamp,
    has_stamp_line,
    heading_key,
    is_metadata_line,
    is_transcript_heading,
    plain_label,
    recurring_stamped_names,
    role_for_label,
    run_together_labels,
    speaker_key,
    stamp_line_time,
)

#: Every clock time has this; a text without it has no time stamp to look for.
_CLOCK_TIME = re.compile(r":\d\d")

#: The largest header block before the first label: more non-blank lines or characters than
#: this, and what comes before the first label is unlabelled talk, not a header.
MAX_HEADER_LINES = 15
MAX_HEADER_CHARS = 1000


def detect_turns(text: str) -> list[Turn]:
    """The turns of a free-text transcript, in order, without roles (see the module docstring)."""
    plain = _plain_label_turns(text)
    if plain is not None:
        return plain
    turns = _turns_line_by_line(text)
    if has_label_then_stamp(text):
        turns = _split_run_together_turns(text, turns)
    return turns


class _Boundary(NamedTuple):
    """Where a turn starts: a speaker label, or a line that is only a time stamp.

    The fields of :class:`~qualcode.text.labels.SpeakerLabel`; a time stamp line continues the
    speaker before it (``None`` before any label), as a paragraph without a label does.
    """

    speaker: str | None
    start_time: float | None
    text_offset: int
    timed: bool


def _turns_line_by_line(text: str) -> list[Turn]:
    """:func:`detect_turns` for any text: every line tried for a label or a time stamp."""
    lines = text.split("\n")
    line_starts = _line_starts(lines)
    labels: list[tuple[int, SpeakerLabel | _Boundary]]
    labels = list(confirmed_speaker_labels(candidate_labels(lines)))
    if has_stamp_line(text):
        labels = _with_stamp_lines(lines, labels)
    if not labels:
        return _unlabelled_turns(text, lines, line_starts)
    first_label = labels[0][0]
    turns = _header_turns(text, lines[:first_label], line_starts[:first_label])
    ends = [line_starts[index] for index, _label in labels[1:]]
    ends.append(len(text))
    starts = [line_starts[index] + label.text_offset for index, label in labels]
    pieces = [text[start:end] for start, end in zip(starts, ends, strict=True)]
    return turns + _spoken_turns(text, starts, pieces, list(map(_LABEL_OF, labels)))


def only_time_stamps(text: str) -> bool:
    """Whether every non-blank line of ``text`` is a time stamp (and there is one): a file
    with times and no words, which has nothing to segment."""
    lines = [line for line in text.split("\n") if line.strip()]
    return bool(lines) and all(stamp_line_time(line) is not None for line in lines)


def _with_stamp_lines(
    lines: list[str], labels: list[tuple[int, SpeakerLabel | _Boundary]]
) -> list[tuple[int, SpeakerLabel | _Boundary]]:
    """``labels`` and the lines that are only a time stamp, in line order.

    A stamp line starts a turn at its time, continuing the speaker before it. A stamp line
    followed (blank lines aside) by a label without a time gives that label its time instead,
    so that no turn is empty and no time is lost.
    """
    label_lines = {index for index, _label in labels}
    stamps: list[tuple[int, SpeakerLabel | _Boundary | float]] = [
        (index, seconds)
        for index, line in enumerate(lines)
        if index not in label_lines and (seconds := stamp_line_time(line)) is not None
    ]
    events = sorted([*labels, *stamps], key=operator.itemgetter(0))
    merged: list[tuple[int, SpeakerLabel | _Boundary]] = []
    speaker: str | None = None
    skip_next = False
    for position, (index, event) in enumerate(events):
        if skip_next:
            skip_next = False
            continue
        if not isinstance(event, float):
            speaker = event.speaker
            merged.append((index, event))
            continue
        boundary = _Boundary(speaker, event, len(lines[index]), True)
        if position + 1 < len(events):
            next_index, next_event = events[position + 1]
            if (
                isinstance(next_event, SpeakerLabel)
                and next_event.start_time is None
                and not any(line.strip() for line in lines[index + 1 : next_index])
            ):
                # The label's turn starts at the stamp line, its text where the label says.
                lines_between = sum(len(line) + 1 for line in lines[index:next_index])
                speaker = next_event.speaker
                boundary = _Boundary(speaker, event, lines_between + next_event.text_offset, True)
                skip_next = True
        merged.append((index, boundary))
    return merged


def _split_run_together_turns(text: str, turns: list[Turn]) -> list[Turn]:
    """``turns``, with every label-and-stamp inside a turn starting a new turn there.

    ``采访者: [00:00:01.900] 您好？受访者: [00:00:09.100] 好的。`` in one paragraph is two turns.
    Inside a paragraph only a role word, a speaker of this transcript, or a name that comes
    with a stamp more than once counts, followed by its colon and a time stamp
    (:func:`~qualcode.text.labels.run_together_labels`): a name and a time said in passing
    do not.
    """
    speakers = {speaker_key(turn.speaker) for turn in turns if turn.speaker is not None}
    speakers |= recurring_stamped_names(text)
    result: list[Turn] = []
    for turn in turns:
        if turn.is_header:
            result.append(turn)
            continue
        start, speaker, start_time = turn.start_char, turn.speaker, turn.start_time
        for label_start, label_end, label in run_together_labels(
            text, turn.start_char, turn.end_char, speakers
        ):
            span = _stripped_span(text, start, label_start)
            if span is not None:
                result.append(Turn(span[0], span[1], speaker, turn.role, start_time))
            start, speaker, start_time = label_end, label.speaker, label.start_time
        if start == turn.start_char:
            result.append(turn)
            continue
        span = _stripped_span(text, start, turn.end_char)
        if span is not None:
            result.append(Turn(span[0], span[1], speaker, None, start_time, turn.end_time))
    return result


def _plain_label_turns(text: str) -> list[Turn] | None:
    """What :func:`detect_turns` finds, if every label in ``text`` is a plain ``Name：``.

    The fast path for the commonest transcripts: one regular expression splits the text at
    the lines that start with a plain head (:data:`_PLAIN_HEAD`), so the text after each
    head up to the next one is the turn. ``None`` (take the general path) unless every such
    line from the first label on is a label that counts, with its text right after the head,
    and no other line holds a label.
    """
    if has_label_then_stamp(text) or has_stamp_line(text):
        return None  # stamps after labels or on their own lines: the general path
    # parts: the text before the first head, then each head (with the newline before it,
    # hence the one added for the first line) and the text after it.
    parts = PLAIN_HEAD_LINES.split("\n" + text)
    heads, rests = parts[1::2], parts[2::2]
    verdicts: list[SpeakerLabel | Deferred | None] = list(map(_plain_label_of_line, heads))
    # Settle the deferred verdicts (false, like None): first those before the first plain
    # label, as one of them may become the first label, then the others if there are any.
    first = next(itertools.compress(range(len(verdicts)), verdicts), len(verdicts))
    deferred: Iterable[int] = range(first)
    if not all(verdicts[first:]):
        deferred = itertools.compress(range(len(verdicts)), map(operator.not_, verdicts))
    for index in deferred:
        verdict = verdicts[index]
        if isinstance(verdict, Deferred):
            label = verdict.settle(heads[index][1:] + rests[index].partition("\n")[0])
            if label is not None and label.text_offset != len(heads[index]) - 1:
                return None  # the text starts elsewhere in the line
            verdicts[index] = label
    first = next(itertools.compress(range(len(verdicts)), verdicts), len(verdicts))
    labels = cast(list[SpeakerLabel], verdicts[first:])
    if not labels or not all(labels) or not _all_count(labels):
        return None
    # The other lines: before the first head, and after the first line of each turn.
    if parts[0] and candidate_labels(parts[0][1:].split("\n")):
        return None
    if _CLOCK_TIME.search(text) is not None and any(
        stamp_line_time(rest.partition("\n")[0]) is not None for rest in rests[first:]
    ):
        return None  # a label with only a time stamp (``采访者：00:05``): the general path
    longer = itertools.compress(rests, map(operator.contains, rests, itertools.repeat("\n")))
    within = "\n".join(map(_AFTER_FIRST_LINE, map(_SPLIT_FIRST_LINE, longer)))
    if within and candidate_labels(within.split("\n")):
        return None
    # Where each part ends in the text: the parts make up "\n" + text.
    part_ends = list(itertools.accumulate(map(len, parts), initial=-1))[1:]
    first_line_start = part_ends[2 * first] + 1
    header_lines = text[: first_line_start - 1].split("\n") if first_line_start else []
    turns = _header_turns(text, header_lines, _line_starts(header_lines))
    return turns + _spoken_turns(text, part_ends[2 * first + 1 :: 2], rests[first:], labels)


@functools.lru_cache(maxsize=4096)
def _plain_label_of_line(newline_and_head: str) -> SpeakerLabel | Deferred:
    """:func:`plain_label` of a head found with the newline before it."""
    return plain_label(newline_and_head[1:])


def _all_count(labels: list[SpeakerLabel]) -> bool:
    """Whether :func:`confirmed_speaker_labels` keeps all of ``labels`` (of all lines)."""
    speakers = set(map(_SPEAKER_OF, labels))
    if all(role_for_label(speaker_key(speaker)) is not None for speaker in speakers):
        return True
    candidates = list(enumerate(labels))
    return len(confirmed_speaker_labels(candidates)) == len(candidates)


def _header_turns(text: str, lines: list[str], line_starts: list[int]) -> list[Turn]:
    """The turns of the lines before the first label: a header, or unlabelled talk if long."""
    if _is_header_sized(lines):
        return _line_turns(text, lines, line_starts, range(len(lines)), is_header=True)
    return _unlabelled_turns(text, lines, line_starts)


def _spoken_turns(
    text: str,
    starts: list[int],
    pieces: list[str],
    labels: Sequence[SpeakerLabel | _Boundary],
) -> list[Turn]:
    """The turns of ``labels``: each piece of text without surrounding whitespace or closing bold.

    ``pieces[i]`` starts at ``starts[i]`` in ``text`` and runs to the next label's line; it is
    narrowed as by :func:`_stripped_span` and :func:`_without_closing_bold`, and gives no turn
    if nothing is left.
    """
    start_chars: list[int] = []
    end_chars: list[int] = []
    dropped: list[int] = []
    for start, piece in zip(starts, pieces, strict=True):
        stripped = piece.strip()
        if not stripped:
            dropped.append(len(start_chars) + len(dropped))
            continue
        if piece[0].isspace():
            start += len(piece) - len(piece.lstrip())
        end = start + len(stripped)
        if stripped[-1] in "*_":
            span = _without_closing_bold(text, start, end)
            if span is None:
                dropped.append(len(start_chars) + len(dropped))
                continue
            start, end = span
        start_chars.append(start)
        end_chars.append(end)
    speakers: list[str | None] = list(map(_SPEAKER_OF, labels))
    start_times: list[float | None] = list(map(_START_TIME_OF, labels))
    for index in reversed(dropped):
        del speakers[index], start_times[index]
    nothing: list[None] = [None] * len(start_chars)
    not_header = [False] * len(start_chars)
    return _new_turns(start_chars, end_chars, speakers, nothing, start_times, nothing, not_header)


def _is_header_sized(lines: list[str]) -> bool:
    """Whether the lines before the first label are a header block, not unlabelled talk.

    A title, keywords, a date and who was interviewed take a few lines. Pages of text before
    the first label are talk that was not labelled (or a label-like line deep inside an
    unlabelled text), and must not vanish from the evidence as a "header" - unless they end
    the way speech-recognition exports end their header, with a transcript heading
    (``文字记录：``) or a heading and one line (``SPEAKERS`` and the list of speakers).
    """
    non_blank = [line for line in lines if line.strip()]
    if any(map(is_transcript_heading, non_blank[-2:])):
        return True
    return (
        len(non_blank) <= MAX_HEADER_LINES
        and sum(len(line) for line in non_blank) <= MAX_HEADER_CHARS
    )


def _unlabelled_turns(text: str, lines: list[str], line_starts: list[int]) -> list[Turn]:
    """Paragraphs (or lines, when no blank line separates any) as turns without speakers."""
    starts: list[int] = []
    ends: list[int] = []
    is_headers: list[bool] = []
    in_header = True
    for first, last in _blocks(lines):
        in_header = in_header and (
            heading_key(lines[first]) is not None
            or all(is_metadata_line(lines[i]) for i in range(first, last + 1))
        )
        span = _stripped_span(text, line_starts[first], line_starts[last] + len(lines[last]))
        if span is not None:
            starts.append(span[0])
            ends.append(span[1])
            is_headers.append(in_header)
    nothing = [None] * len(starts)
    return _new_turns(starts, ends, nothing, nothing, nothing, nothing, is_headers)


def _blocks(lines: list[str]) -> list[tuple[int, int]]:
    """``(first, last)`` line indexes of paragraphs; single lines if no blank line separates."""
    blocks: list[tuple[int, int]] = []
    first: int | None = None
    for index, line in enumerate(lines):
        if line.strip():
            if first is None:
                first = index
        elif first is not None:
            blocks.append((first, index - 1))
            first = None
    if first is not None:
        blocks.append((first, len(lines) - 1))
    if len(blocks) == 1:
        first, last = blocks[0]
        blocks = [(index, index) for index in range(first, last + 1) if lines[index].strip()]
    return blocks


def _line_turns(
    text: str, lines: list[str], line_starts: list[int], indexes: range, *, is_header: bool
) -> list[Turn]:
    """One turn per non-blank line among ``indexes``."""
    starts: list[int] = []
    ends: list[int] = []
    for index in indexes:
        span = _stripped_span(text, line_starts[index], line_starts[index] + len(lines[index]))
        if span is not None:
            starts.append(span[0])
            ends.append(span[1])
    nothing = [None] * len(starts)
    return _new_turns(starts, ends, nothing, nothing, nothing, nothing, [is_header] * len(starts))


def _line_starts(lines: list[str]) -> list[int]:
    """Where each line starts in the text ``"\\n".join(lines)``: the lengths before it, plus
    one newline per line before it (summed in C)."""
    lengths_before = itertools.accumulate(map(len, lines), initial=0)
    return list(map(operator.add, lengths_before, range(len(lines))))


def _stripped_span(text: str, start: int, end: int) -> tuple[int, int] | None:
    """``(start, end)`` narrowed to exclude surrounding whitespace; ``None`` if nothing is left."""
    piece = text[start:end]
    stripped = piece.strip()
    if not stripped:
        return None
    new_start = start + len(piece) - len(piece.lstrip())
    return new_start, new_start + len(stripped)


def _without_closing_bold(text: str, start: int, end: int) -> tuple[int, int] | None:
    """A span without the ``**`` that closes bold opened before it (``**采访者：您好**``)."""
    closing = text[end - 2 : end]
    if closing not in ("**", "__") or text.count(closing, start, end) % 2 == 0:
        return start, end
    return _stripped_span(text, start, end - 2)


def _new_turns(
    start_chars: Sequence[int],
    end_chars: Sequence[int],
    speakers: Sequence[str | None],
    roles: Sequence[Role | None],
    start_times: Sequence[float | None],
    end_times: Sequence[float | None],
    is_headers: Sequence[bool],
) -> list[Turn]:
    """``[Turn(*fields) for fields in zip(start_chars, ...)]``, one ``map`` (a loop in C)."""
    columns = (start_chars, end_chars, speakers, roles, start_times, end_times, is_headers)
    if any(len(column) != len(start_chars) for column in columns):
        raise ValueError("every field needs one value per turn")
    return list(map(Turn, *columns))


#: Getters for ``map``: a field of every turn (or label), a part of every line, in C.
_SPEAKER_OF = operator.attrgetter("speaker")
_START_TIME_OF = operator.attrgetter("start_time")
_LABEL_OF = operator.itemgetter(1)
_SPLIT_FIRST_LINE = operator.methodcaller("partition", "\n")
_AFTER_FIRST_LINE = operator.itemgetter(2)
