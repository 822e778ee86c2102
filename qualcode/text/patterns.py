"""Regular expressions from codebooks, checked for catastrophic backtracking before they run.

Python's ``re`` backtracks: a pattern such as ``(a+)+$`` takes time exponential in the length
of a segment that almost matches, and one such rule would keep ``autocode`` busy for minutes
or hours on a single long answer. :func:`backtracking_risk` looks at the structure of a pattern
(as Python's own regular expression parser reads it) for the two shapes that cause this:

- a variable-length repeat inside a repeat that may run long (``(a+)+``, ``(\\w+\\s?)*``,
  ``(?:a{1,3})+``): the same text can be split between the two in exponentially many ways;
- alternatives that can start with the same character inside such a repeat (``(a|a)*``,
  ``(\\w|\\d)+``): each character can be taken by either branch.

The check is conservative: it can refuse a pattern that would in fact run fast (``(\\w+\\s)+``),
and the message says how to rewrite it (a repeat of one kind, ``[\\w\\s]+``, or a bounded outer
repeat, ``(?:\\w+\\s){1,5}``). Patterns that are not valid regular expressions are left to the
caller to report.
"""

from __future__ import annotations

import re
from re import _constants as constants  # type: ignore[attr-defined]
from re import _parser as parser  # type: ignore[attr-defined]
from typing import Any

#: An outer repeat with at most this many rounds cannot make backtracking explode.
_SHORT_REPEAT = 10
_REPEATS = (constants.MAX_REPEAT, constants.MIN_REPEAT)
#: A first character that may be anything (or that this check does not work out).
_ANY = "any"


def backtracking_risk(pattern: str) -> str | None:
    """Why ``pattern`` may backtrack catastrophically, in a few words; ``None`` if it cannot."""
    try:
        parsed = parser.parse(pattern)
    except (re.error, OverflowError, RecursionError):
        return None
    return _risk(list(parsed), inside_long_repeat=False)


def _risk(items: list[tuple[Any, Any]], *, inside_long_repeat: bool) -> str | None:
    for operator, argument in items:
        if operator in _REPEATS:
            low, high, body = argument
            long_repeat = high is constants.MAXREPEAT or high > _SHORT_REPEAT
            if inside_long_repeat and high != low and high >= 2:
                return "a repeat inside a repeat (like (a+)+) can take exponential time"
            found = _risk(list(body), inside_long_repeat=inside_long_repeat or long_repeat)
        elif operator is constants.SUBPATTERN:
            found = _risk(list(argument[-1]), inside_long_repeat=inside_long_repeat)
        elif operator is constants.BRANCH:
            found = _overlapping_alternatives(argument[1]) if inside_long_repeat else None
            found = found or next(
                (
                    reason
                    for branch in argument[1]
                    if (reason := _risk(list(branch), inside_long_repeat=inside_long_repeat))
                ),
                None,
            )
        elif operator in (constants.ASSERT, constants.ASSERT_NOT):
            found = _risk(list(argument[1]), inside_long_repeat=inside_long_repeat)
        else:
            found = None
        if found is not None:
            return found
    return None


def _overlapping_alternatives(branches: list[Any]) -> str | None:
    """A reason if two of ``branches`` (inside a long repeat) may start with one character."""
    seen: set[int] = set()
    for branch in branches:
        first = _first_characters(list(branch))
        if first is None:
            continue  # an empty branch takes no character
        if isinstance(first, str) or first & seen:
            return (
                "alternatives that can start with the same character inside a repeat (like "
                "(ab|a.)+) can take exponential time"
            )
        seen |= first
    return None


def _first_characters(items: list[tuple[Any, Any]]) -> set[int] | str | None:
    """The code points ``items`` can start with, :data:`_ANY`, or ``None`` if it is empty."""
    for operator, argument in items:
        if operator is constants.LITERAL:
            return {argument}
        if operator is constants.IN:
            characters: set[int] = set()
            for kind, value in argument:
                if kind is constants.LITERAL:
                    characters.add(value)
                elif kind is constants.RANGE and value[1] - value[0] < 256:
                    characters.update(range(value[0], value[1] + 1))
                else:
                    return _ANY
            return characters
        if operator is constants.SUBPATTERN:
            return _first_characters(list(argument[-1])) or _ANY
        if operator is constants.AT:
            continue
        return _ANY
    return None


def backtracking_problem(pattern: str) -> str | None:
    """The one line that refuses ``pattern`` if :func:`backtracking_risk` finds a risk, else
    ``None``: shared by codebook validation and the matcher."""
    risk = backtracking_risk(pattern)
    if risk is None:
        return None
    return (
        f"pattern '{pattern}' could run for minutes on one segment: {risk}; rewrite it with "
        "one repeat ([\\w\\s]+) or a bounded outer repeat ({1,5})"
    )
