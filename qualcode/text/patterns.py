"""Regular expressions from codebooks, checked for catastrophic backtracking before they run.

Python's ``re`` backtracks: a pattern such as ``(a+)+$`` takes time exponential in the length
of a segment that almost matches, and one such rule would keep ``autocode`` busy for minutes
or hours on a single long answer. :func:`backtracking_risk` looks at the structure of a pattern
(as Python's own regular expression parser reads it) for the shapes that cause this, inside a
repeat that may run long (``+``, ``*``, ``{n,}`` or more than ten rounds):

- a part of varying length (an inner repeat, an optional part, a choice with an empty branch)
  that can stop where what follows it could start, the next round of the outer repeat
  included: ``(a+)+``, ``(\\w+\\s?)*``, ``(aa?)+``, ``(a|aa)+``, ``(a+a+)+``. The same text can
  then be split between rounds in exponentially many ways;
- alternatives that can start with the same character: ``(ab|a.)+``.

What each part may start with is worked out from literals, character sets and the classes
``\\d``, ``\\w`` and ``\\s``, so ``(x\\d+y)+`` or ``(?:第\\d+条)+`` pass: the next character
decides. Anything this check cannot work out counts as any character, so it errs on the side of
refusing, and the message says how to rewrite a pattern (a repeat of one kind, ``[\\w\\s]+``,
or a bounded outer repeat, ``{1,5}``). Patterns that are not valid regular expressions are
left to the caller to report.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from re import _constants as constants  # type: ignore[attr-defined]
from re import _parser as parser  # type: ignore[attr-defined]
from typing import Any

#: An outer repeat with at most this many rounds cannot make backtracking explode.
_SHORT_REPEAT = 10
_REPEATS = (constants.MAX_REPEAT, constants.MIN_REPEAT)


@dataclass(frozen=True)
class _First:
    """Characters a piece of a pattern may start with: code points, the categories ``\\d``,
    ``\\w`` and ``\\s``, or anything at all (what this check does not work out)."""

    characters: frozenset[int] = frozenset()
    categories: frozenset[str] = frozenset()
    anything: bool = False

    def __or__(self, other: _First) -> _First:
        return _First(
            self.characters | other.characters,
            self.categories | other.categories,
            self.anything or other.anything,
        )

    def overlaps(self, other: _First) -> bool:
        if not (self.characters or self.categories or self.anything):
            return False
        if not (other.characters or other.categories or other.anything):
            return False
        if self.anything or other.anything or self.characters & other.characters:
            return True
        if any(_in_categories(c, other.categories) for c in self.characters):
            return True
        if any(_in_categories(c, self.categories) for c in other.characters):
            return True
        return bool(
            _CATEGORY_OVERLAPS & {(x, y) for x in self.categories for y in other.categories}
        )


_NOTHING = _First()
_ANYTHING = _First(anything=True)
_CATEGORIES = {
    constants.CATEGORY_DIGIT: "digit",
    constants.CATEGORY_WORD: "word",
    constants.CATEGORY_SPACE: "space",
}
#: Pairs of categories that share characters (every digit is a word character).
_CATEGORY_OVERLAPS = {
    ("digit", "digit"), ("word", "word"), ("space", "space"), ("digit", "word"), ("word", "digit"),
}  # fmt: skip


def _in_categories(code_point: int, categories: frozenset[str]) -> bool:
    character = chr(code_point)
    return (
        ("digit" in categories and character.isdigit())
        or ("word" in categories and (character.isalnum() or character == "_"))
        or ("space" in categories and character.isspace())
    )


def backtracking_risk(pattern: str) -> str | None:
    """Why ``pattern`` may backtrack catastrophically, in a few words; ``None`` if it cannot."""
    try:
        parsed = parser.parse(pattern)
    except (re.error, OverflowError, RecursionError):
        return None
    return _risk(list(parsed), _NOTHING, inside_long_repeat=False)


def _is_long(high: Any) -> bool:
    return bool(high is constants.MAXREPEAT or high > _SHORT_REPEAT)


def _risk(items: list[tuple[Any, Any]], follow: _First, *, inside_long_repeat: bool) -> str | None:
    """Walk ``items`` (followed by text starting with ``follow``) for an ambiguous piece inside
    a long repeat: a variable-length repeat, or a choice, that can stop where what follows it
    could start (the next round of the outer repeat included), or alternatives that start
    alike. Each such piece doubles the ways to match on every round."""
    for index, (operator, argument) in enumerate(items):
        rest, rest_may_be_empty = _first(items[index + 1 :])
        after = rest | follow if rest_may_be_empty else rest
        found: str | None = None
        if operator in _REPEATS:
            low, high, body = argument
            body_first, _ = _first(list(body))
            if inside_long_repeat and high != low and body_first.overlaps(after):
                return "a repeat inside a repeat (like (a+)+) can take exponential time"
            long_repeat = _is_long(high)
            inner_follow = body_first | after if high != low else after
            found = _risk(
                list(body), inner_follow, inside_long_repeat=inside_long_repeat or long_repeat
            )
        elif operator is constants.SUBPATTERN:
            found = _risk(list(argument[-1]), after, inside_long_repeat=inside_long_repeat)
        elif operator is constants.BRANCH:
            branches = [list(branch) for branch in argument[1]]
            if inside_long_repeat:
                found = _overlapping_alternatives(branches, after)
            for branch in branches:
                found = found or _risk(branch, after, inside_long_repeat=inside_long_repeat)
        elif operator in (constants.ASSERT, constants.ASSERT_NOT):
            found = _risk(list(argument[1]), _NOTHING, inside_long_repeat=inside_long_repeat)
        if found is not None:
            return found
    return None


def _overlapping_alternatives(branches: list[list[tuple[Any, Any]]], after: _First) -> str | None:
    """A reason if two of ``branches`` (inside a long repeat) may start with one character, or
    one may be empty while another starts like what follows the choice."""
    seen = _NOTHING
    may_be_empty = False
    for branch in branches:
        first, empty = _first(branch)
        if first.overlaps(seen):
            return (
                "alternatives that can start with the same character inside a repeat (like "
                "(ab|a.)+) can take exponential time"
            )
        seen = seen | first
        may_be_empty = may_be_empty or empty
    if may_be_empty and seen.overlaps(after):
        return (
            "an optional part that can start like what follows it inside a repeat (like "
            "(a|aa)+) can take exponential time"
        )
    return None


def _first(items: list[tuple[Any, Any]]) -> tuple[_First, bool]:
    """What ``items`` may start with, and whether they may match empty text."""
    result = _NOTHING
    for operator, argument in items:
        first, may_be_empty = _first_of(operator, argument)
        result = result | first
        if not may_be_empty:
            return result, False
    return result, True


def _first_of(operator: Any, argument: Any) -> tuple[_First, bool]:
    if operator is constants.LITERAL:
        return _First(frozenset({argument})), False
    if operator is constants.IN:
        return _first_of_set(argument), False
    if operator is constants.SUBPATTERN:
        return _first(list(argument[-1]))
    if operator in _REPEATS:
        low, _high, body = argument
        first, may_be_empty = _first(list(body))
        return first, may_be_empty or low == 0
    if operator is constants.BRANCH:
        result, may_be_empty = _NOTHING, False
        for branch in argument[1]:
            first, empty = _first(list(branch))
            result, may_be_empty = result | first, may_be_empty or empty
        return result, may_be_empty
    if operator in (constants.AT, constants.ASSERT, constants.ASSERT_NOT):
        return _NOTHING, True
    if operator in (constants.NOT_LITERAL, constants.ANY):
        return _ANYTHING, False
    return _ANYTHING, True  # group references, conditionals: anything, possibly empty


def _first_of_set(members: list[tuple[Any, Any]]) -> _First:
    characters: set[int] = set()
    categories: set[str] = set()
    for kind, value in members:
        if kind is constants.LITERAL:
            characters.add(value)
        elif kind is constants.RANGE and value[1] - value[0] < 1024:
            characters.update(range(value[0], value[1] + 1))
        elif kind is constants.CATEGORY and value in _CATEGORIES:
            categories.add(_CATEGORIES[value])
        else:
            return _ANYTHING
    return _First(frozenset(characters), frozenset(categories))


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
