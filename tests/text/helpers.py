"""Helpers of the speaker-turn tests: the turns of a text, as the importer finds them."""

from __future__ import annotations

from qualcode.models import Turn
from qualcode.text.labels import stamp_line_time
from qualcode.text.roles import assign_roles
from qualcode.text.turns import detect_turns


def turns_of(text: str) -> list[Turn]:
    """Turns with roles, as ``qualcode import`` finds them in free text."""
    return assign_roles(detect_turns(text), text)


def spoken(text: str) -> list[tuple[str | None, str | None, str]]:
    """(speaker, role, spoken text) of every turn that is not a header."""
    return [
        (turn.speaker, turn.role, text[turn.start_char : turn.end_char])
        for turn in turns_of(text)
        if not turn.is_header
    ]


def headers(text: str) -> list[str]:
    """The text of every header turn."""
    return [text[turn.start_char : turn.end_char] for turn in turns_of(text) if turn.is_header]


def check_invariants(text: str, turns: list[Turn]) -> None:
    """Turns in order, inside the text, not overlapping, non-empty and stripped."""
    previous_end = 0
    for turn in turns:
        assert previous_end <= turn.start_char < turn.end_char <= len(text)
        piece = text[turn.start_char : turn.end_char]
        assert piece == piece.strip()
        assert stamp_line_time(piece) is None, "a turn that is only a time stamp"
        previous_end = turn.end_char
