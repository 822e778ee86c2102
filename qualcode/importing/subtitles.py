"""Readers for subtitle transcripts: SubRip (``.srt``) and WebVTT (``.vtt``).

Transcription services and video tools export interviews as subtitles: numbered cues with a
start and end time, sometimes with the speaker in a WebVTT voice tag (``<v Jane Doe>``) or as
a prefix in the cue text (``采访者：…``, ``Jane: …``).

The stored document text is the cue texts in order, one cue per line (a cue of several lines
keeps its line breaks). Cue numbers, timing lines, the WebVTT header and its ``NOTE``,
``STYLE`` and ``REGION`` blocks are dropped, and so are markup tags (``<i>``, ``<v Jane>``,
``<c.yellow>``, ``{\\an8}``); WebVTT character references (``&amp;``) are resolved. Each cue is
a turn with the cue's times in seconds. A speaker prefix stays in the text but outside the
turn's span, as in free text, and is recognised by the same rules as there
(:mod:`qualcode.text.labels`: a role word, or a name that recurs in a conversation). A cue without
a prefix continues the speaker of the last prefixed cue, as a turn in free text runs until the
next label; a voice tag names the speaker of its own cue only. Consecutive cues of one named
speaker are one turn (from the first cue's start to the last cue's end): subtitle tools cut
cues every few seconds, often mid-sentence, and a turn is what a speaker said without
interruption. A cue that repeats a prefix label starts a new turn, so that no label ever lies
inside a turn's span; cues without any speaker stay one turn each.

Bad input is one :class:`~qualcode.errors.InputError` naming the file and line: a malformed
timing line, a cue number or identifier without a timing line, a cue that ends before it
starts, a WebVTT file without its ``WEBVTT`` signature, or no cue at all.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from qualcode.errors import InputError
from qualcode.models import ReadResult, Turn
from qualcode.text.decoding import decode_bytes, normalise_text, raise_if_blank
from qualcode.text.labels import (
    SpeakerLabel,
    confirmed_speaker_labels,
    parse_clock_time,
    split_speaker_label,
)
from qualcode.text.roles import assign_roles

_TIMESTAMP = r"(?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3}"
_TIMING_LINE = re.compile(rf"\s*(?P<start>{_TIMESTAMP})\s*-->\s*(?P<end>{_TIMESTAMP})(?:\s.*)?")
_CUE_NUMBER = re.compile(r"\s*\d+\s*")
_VOICE_TAG = re.compile(r"<v(?:\.[^\s>]*)?\s+(?P<name>[^>]+)>")
_TAG = re.compile(r"</?[A-Za-z][^>]*>|<\d[^>]*>|\{\\[^}]*\}")
_VTT_SKIPPED_BLOCKS = ("NOTE", "STYLE", "REGION")
_EXAMPLE_TIMING = {"srt": "00:00:01,000 --> 00:00:04,000", "vtt": "00:00:01.000 --> 00:00:04.000"}


@dataclass(frozen=True, slots=True)
class _Cue:
    """One cue: its text (tags removed, normalised), its times and its voice-tag speaker."""

    text: str
    start_time: float
    end_time: float
    voice: str | None


def read_srt(path: Path, data: bytes) -> ReadResult:
    """Read a SubRip file (see the module docstring); raises :class:`InputError`."""
    text, encoding = _decode(path, data)
    cues = list(_srt_cues(path, text.split("\n")))
    return _result(path, cues, encoding, "srt")


def read_vtt(path: Path, data: bytes) -> ReadResult:
    """Read a WebVTT file (see the module docstring); raises :class:`InputError`."""
    text, encoding = _decode(path, data)
    lines = text.split("\n")
    if not re.match(r"WEBVTT(?:[ \t]|$)", lines[0]):
        raise InputError(path, "is not a WebVTT file: the first line must be 'WEBVTT'", line=1)
    cues = list(_vtt_cues(path, lines))
    return _result(path, cues, encoding, "vtt")


def _decode(path: Path, data: bytes) -> tuple[str, str]:
    if not data:
        raise InputError(path, "is empty (0 bytes)")
    text, encoding = decode_bytes(data, path)
    raise_if_blank(text, path)
    return text, encoding


def _blocks(lines: list[str]) -> Iterator[tuple[int, list[str]]]:
    """Runs of non-blank lines with the one-based line number of their first line."""
    block: list[str] = []
    first_line = 0
    for number, line in enumerate(lines, start=1):
        if line.strip():
            if not block:
                first_line = number
            block.append(line)
        elif block:
            yield first_line, block
            block = []
    if block:
        yield first_line, block


def _srt_cues(path: Path, lines: list[str]) -> Iterator[_Cue]:
    """Cues of a SubRip file; a block of text without timing continues the previous cue.

    SubRip has no way to put a blank line inside a cue, yet files made by hand do: such a
    block after a cue is taken as more of that cue's text rather than refused.
    """
    previous: _Cue | None = None
    for first_line, block in _blocks(lines):
        timing_index = 1 if _CUE_NUMBER.fullmatch(block[0]) else 0
        if timing_index == 1 and len(block) == 1:
            raise InputError(path, "cue number without a timing line", line=first_line)
        timing = block[timing_index]
        if "-->" not in timing:
            if timing_index == 0 and previous is not None:
                previous = _Cue(
                    _join(previous.text, _cue_text(block, "srt")),
                    previous.start_time, previous.end_time, previous.voice,
                )  # fmt: skip
                continue
            raise InputError(
                path,
                f"expected a timing line like '{_EXAMPLE_TIMING['srt']}', found {timing.strip()!r}",
                line=first_line + timing_index,
            )
        if previous is not None:
            yield previous
        previous = _cue(path, block, timing_index, first_line, "srt")
    if previous is not None:
        yield previous


def _vtt_cues(path: Path, lines: list[str]) -> Iterator[_Cue]:
    """Cues of a WebVTT file: the header block, NOTE, STYLE and REGION blocks are skipped."""
    for index, (first_line, block) in enumerate(_blocks(lines)):
        if index == 0:
            _check_vtt_header(path, block, first_line)
            continue
        if block[0].split(maxsplit=1)[0] in _VTT_SKIPPED_BLOCKS:
            continue
        timing_index = 0 if "-->" in block[0] else 1
        if timing_index == 1 and (len(block) == 1 or "-->" not in block[1]):
            raise InputError(
                path,
                f"expected a timing line like '{_EXAMPLE_TIMING['vtt']}' after cue identifier "
                f"{block[0].strip()!r}",
                line=first_line + 1,
            )
        yield _cue(path, block, timing_index, first_line, "vtt")


def _check_vtt_header(path: Path, block: list[str], first_line: int) -> None:
    """The header block must not run into the first cue: a blank line separates them."""
    for offset, line in enumerate(block):
        if "-->" in line:
            raise InputError(
                path,
                "the WEBVTT header must be followed by a blank line before the first cue",
                line=first_line + offset,
            )


def _cue(path: Path, block: list[str], timing_index: int, first_line: int, kind: str) -> _Cue:
    """Parse one cue block whose timing line is ``block[timing_index]``."""
    line_number = first_line + timing_index
    match = _TIMING_LINE.fullmatch(block[timing_index])
    if match is None:
        raise InputError(
            path,
            f"malformed timing line {block[timing_index].strip()!r} "
            f"(expected '{_EXAMPLE_TIMING[kind]}')",
            line=line_number,
        )
    start_time, end_time = parse_clock_time(match["start"]), parse_clock_time(match["end"])
    if start_time is None or end_time is None:
        raise InputError(path, "timing line has minutes or seconds of 60 or more", line=line_number)
    if end_time < start_time:
        raise InputError(path, "cue ends before it starts", line=line_number)
    payload = block[timing_index + 1 :]
    voice = next(
        (match["name"].strip() for line in payload if (match := _VOICE_TAG.search(line))), None
    )
    return _Cue(_cue_text(payload, kind), start_time, end_time, voice or None)


def _cue_text(lines: list[str], kind: str) -> str:
    """Cue lines without tags, stripped, blank ones dropped, normalised (NFC) as one text."""
    cleaned = (_TAG.sub("", line) for line in lines)
    if kind == "vtt":
        cleaned = (html.unescape(line) for line in cleaned)
    return normalise_text("\n".join(line.strip() for line in cleaned if line.strip()))


def _join(first: str, second: str) -> str:
    return "\n".join(part for part in (first, second) if part)


def _result(path: Path, cues: list[_Cue], encoding: str, source_format: str) -> ReadResult:
    """Lay the cues out as one text and one turn per cue, with speakers and roles."""
    cues = [cue for cue in cues if cue.text]
    if not cues:
        example = _EXAMPLE_TIMING[source_format]
        raise InputError(path, f"no subtitle cues found (expected timing lines like '{example}')")
    labels = _prefix_labels(cues)
    pieces: list[str] = []
    turns: list[Turn] = []
    offset = 0
    speaker: str | None = None
    for cue, label in zip(cues, labels, strict=True):
        text_offset = 0
        if label is not None:
            speaker, text_offset = label.speaker, label.text_offset
        body = cue.text[text_offset:]
        start = offset + text_offset + len(body) - len(body.lstrip())
        end = offset + len(cue.text.rstrip())
        if end > start:
            turn = Turn(start, end, speaker=cue.voice or speaker,
                        start_time=cue.start_time, end_time=cue.end_time)  # fmt: skip
            previous = turns[-1] if turns else None
            if (
                previous is not None
                and label is None
                and turn.speaker is not None
                and turn.speaker == previous.speaker
            ):
                turn = Turn(previous.start_char, end, speaker=turn.speaker,
                            start_time=previous.start_time, end_time=cue.end_time)  # fmt: skip
                turns[-1] = turn
            else:
                turns.append(turn)
        pieces.append(cue.text)
        offset += len(cue.text) + 1
    text = "\n".join(pieces)
    return ReadResult(text, encoding, source_format, assign_roles(turns, text))


def _prefix_labels(cues: list[_Cue]) -> list[SpeakerLabel | None]:
    """The speaker prefix of each cue's first line, where the layout rules accept one."""
    candidates = [
        (index, label)
        for index, cue in enumerate(cues)
        if (label := split_speaker_label(cue.text.split("\n", 1)[0])) is not None
    ]
    labels: list[SpeakerLabel | None] = [None] * len(cues)
    for index, label in confirmed_speaker_labels(candidates):
        labels[index] = label
    return labels
