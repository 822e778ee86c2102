"""Where a span of an old text lies in a corrected version of it.

A researcher fixes a typo, deletes a filler or rewrites a garbled sentence in a transcript that
is already coded. :class:`Alignment` diffs the two texts (diff-match-patch, character by
character, which suits Chinese as well as English) and maps every old span to the new text:

- the span's start moves with the text after it, its end with the text before it, so text
  inserted exactly at a span's edge stays outside the span, and text inserted inside it is in;
- ``kept`` counts the span's characters that are unchanged in the new text. A span none of
  whose characters changed is ``carried``; one that kept at least half is ``changed`` (its new
  quote is what the new text says there); one that kept less is ``gone``.

Offsets are code points, like every offset in qualcode. diff-match-patch is imported inside
:class:`Alignment`; it diffs line by line first and then character by character inside the
lines that changed, with its time limit off, so the result does not depend on the machine's
speed (a 50,000-character interview with 300 edits: about 0.3 s; bench/bench_replace.py).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Literal

SpanFate = Literal["carried", "changed", "gone"]

_EQUAL = 0
_DELETE = -1


@dataclass(frozen=True, slots=True)
class MappedSpan:
    """An old span in the new text: ``new_text[start:end]``, and how much of it survived."""

    start: int
    end: int
    kept: int
    fate: SpanFate


class Alignment:
    """The diff of ``old`` and ``new``, ready to map old offsets and spans to new ones."""

    def __init__(self, old: str, new: str) -> None:
        from diff_match_patch import diff_match_patch

        differ = diff_match_patch()
        differ.Diff_Timeout = 0  # no cut-off that would make the mapping coarse on a slow day
        diffs: list[tuple[int, str]] = differ.diff_main(old, new)  # line mode first
        # Runs of unchanged text: old start, new start, length (sorted by old start).
        self._equal_old: list[int] = []
        self._equal_new: list[int] = []
        self._equal_length: list[int] = []
        # Where each old position's deleted or inserted stretch lands in the new text.
        old_position = new_position = 0
        for operation, piece in diffs:
            if operation == _EQUAL:
                self._equal_old.append(old_position)
                self._equal_new.append(new_position)
                self._equal_length.append(len(piece))
                old_position += len(piece)
                new_position += len(piece)
            elif operation == _DELETE:
                old_position += len(piece)
            else:
                new_position += len(piece)
        self.old_length = old_position
        self.new_length = new_position

    def map_position(self, position: int, *, edge: Literal["start", "end"]) -> int:
        """Where old ``position`` is in the new text.

        Inside unchanged text, the same character. Inside or at the edge of a change, a start
        goes to the end of the change in the new text (after anything inserted there) and an
        end to its beginning (before it), so spans do not grow into inserted text.
        """
        if edge == "start":
            # The unchanged run holding the character at ``position``, else the next run.
            index = bisect.bisect_right(self._equal_old, position) - 1
            if index >= 0 and position - self._equal_old[index] < self._equal_length[index]:
                return self._equal_new[index] + position - self._equal_old[index]
            following = index + 1
            if following < len(self._equal_old):
                return self._equal_new[following]
            return self.new_length
        # An end: the unchanged run holding the character before ``position``, else the end
        # of the run before the change (or the text's start).
        index = bisect.bisect_left(self._equal_old, position) - 1
        if index < 0:
            return 0
        offset = min(position - self._equal_old[index], self._equal_length[index])
        return self._equal_new[index] + offset

    def kept_characters(self, start: int, end: int) -> int:
        """How many characters of old ``[start, end)`` are unchanged in the new text."""
        kept = 0
        index = max(bisect.bisect_right(self._equal_old, start) - 1, 0)
        while index < len(self._equal_old) and self._equal_old[index] < end:
            run_start = self._equal_old[index]
            run_end = run_start + self._equal_length[index]
            kept += max(0, min(end, run_end) - max(start, run_start))
            index += 1
        return kept

    def map_span(self, start: int, end: int) -> MappedSpan:
        """Old ``[start, end)`` in the new text, with its fate (see the module docstring)."""
        new_start = self.map_position(start, edge="start")
        new_end = self.map_position(end, edge="end")
        kept = self.kept_characters(start, end)
        length = end - start
        if new_end <= new_start or 2 * kept < length:
            return MappedSpan(new_start, max(new_start, new_end), kept, "gone")
        unchanged = kept == length and new_end - new_start == length
        return MappedSpan(new_start, new_end, kept, "carried" if unchanged else "changed")
