"""Line breaks inside a text folded away for matching, with a map back to the stored text.

Subtitle cues, Word soft line breaks and hard-wrapped text files break a turn into lines, and a
word or phrase can be cut in two (``主要靠网`` / ``格员``; ``grid`` / ``worker``). Matching
(auto-coding, search, keyness) looks at the *folded* text, where such a break no longer hides
the words, while every offset qualcode stores still points into the stored text.

The rule, so that a researcher can predict every hit:

- A **line break** is CRLF, LF, CR, vertical tab, form feed, NEL, U+2028 or U+2029 (the breaks
  :func:`qualcode.text.decoding.normalise_text` turns into ``\\n`` in stored text). A *fold* is
  a line break together with the spaces and tabs around it (any whitespace that is not itself
  a line break, such as U+3000 IDEOGRAPHIC SPACE), between two characters that are not
  whitespace.
- Between two characters of an **unspaced script** (Han ideographs of every block and
  extension, kana, Bopomofo, and CJK or full-width punctuation) a fold becomes **nothing**:
  ``主要靠网\\n格员`` is folded to ``主要靠网格员``.
- Anywhere else (Latin letters, digits, emoji, Hangul, which is written with spaces, or a
  Chinese character next to a Latin one) a fold becomes **one space**: ``grid \\r\\n worker``
  is folded to ``grid worker``.
- A **paragraph break** (whitespace holding two or more line breaks, a blank line) is left as
  it is: a phrase does not run on across paragraphs, and it still ends a sentence. So is
  whitespace at the very start or end of the text, where it joins nothing.
- Every other character is kept as it is.

:func:`fold_line_breaks` returns a :class:`FoldedText`: the folded string and the way back.
:meth:`FoldedText.stored_span` maps a span of the folded text to the stored text; it never
includes the whitespace of a fold at either edge of a span (the hit ``主要靠网`` in the folded
``主要靠网格员`` maps to ``主要靠网``, without the line break), and a span that covers a fold
covers its whole stored whitespace. So ``stored[start:end]`` is always the stored text of the
hit, and equals the folded hit whenever no fold lies inside it.

The module is pure (no database) and cheap when there is nothing to fold: a text without a
line break comes back as itself, with no map.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from qualcode.text.language import HAN_RANGES

#: What counts as a line break (one each; CRLF is one break).
LINE_BREAK_CHARACTERS = "\n\r\v\f\x85\u2028\u2029"

#: Scripts written without spaces between words (and their punctuation): a fold between two
#: of their characters becomes nothing. Hangul is not among them: Korean puts spaces
#: between words.
UNSPACED_RANGES: tuple[tuple[int, int], ...] = (
    *HAN_RANGES,
    (0x2E80, 0x2FDF),  # CJK and Kangxi radicals
    (0x3000, 0x303F),  # CJK symbols and punctuation (。、「」〇 ...)
    (0x3040, 0x30FF),  # Hiragana, Katakana
    (0x3100, 0x312F),  # Bopomofo
    (0x31A0, 0x31BF),  # Bopomofo Extended
    (0x31F0, 0x31FF),  # Katakana Phonetic Extensions
    (0xFE30, 0xFE4F),  # CJK compatibility forms (vertical punctuation)
    (0xFF01, 0xFF0F),  # full-width punctuation ！＂＃ ... ／
    (0xFF1A, 0xFF20),  # ：；＜＝＞？＠
    (0xFF3B, 0xFF40),  # ［＼］＾＿｀
    (0xFF5B, 0xFF65),  # ｛｜｝～ and half-width CJK punctuation
    (0xFF66, 0xFF9F),  # half-width katakana
    (0x1B000, 0x1B16F),  # kana supplements
)


def _character_class(ranges: Sequence[tuple[int, int]]) -> str:
    return "".join(
        re.escape(chr(low)) if low == high else f"{re.escape(chr(low))}-{re.escape(chr(high))}"
        for low, high in ranges
    )


#: Any one line break character.
_ANY_BREAK = re.compile(f"[{re.escape(LINE_BREAK_CHARACTERS)}]")
#: A run of whitespace, line breaks included (the information separators U+001C to U+001F,
#: which ``str.isspace`` counts, are not whitespace here).
_WHITESPACE_RUN = re.compile(r"[^\S\x1c-\x1f]*")
_LINE_BREAK = re.compile(f"\\r\\n|[{re.escape(LINE_BREAK_CHARACTERS)}]")
_UNSPACED = re.compile(f"[{_character_class(UNSPACED_RANGES)}]")


def has_line_break(text: str) -> bool:
    """Whether ``text`` holds a line break (then :func:`fold_line_breaks` may change it).

    Substring tests written out, the common ``\\n`` first: matching asks this of every text
    of a chunk that holds a line break somewhere.
    """
    if "\n" in text or "\r" in text or "\v" in text or "\f" in text:
        return True
    return not text.isascii() and ("\u2028" in text or "\x85" in text or "\u2029" in text)


@dataclass(frozen=True, slots=True)
class FoldedText:
    """A text with its line breaks folded (module docstring), and the way back to it.

    ``origins`` and ``ends`` are ``None`` when nothing was folded: then ``text`` is the stored
    text itself and offsets are the same. Otherwise both have ``len(text) + 1`` entries:
    ``origins[i]`` is the stored offset of folded character ``i`` (a space that stands for a
    fold: where the fold's whitespace begins), ``ends[j]`` the stored offset just after folded
    character ``j - 1`` (a fold's space: where its whitespace ends); ``origins[len(text)]`` and
    ``ends[len(text)]`` are the stored text's length, ``ends[0]`` is ``origins[0]``.
    """

    text: str
    origins: list[int] | None = None
    ends: list[int] | None = None

    @property
    def folded(self) -> bool:
        """Whether anything was folded (else ``text`` is the stored text)."""
        return self.origins is not None

    def stored_start(self, start: int) -> int:
        """The stored offset where a span starting at folded offset ``start`` starts."""
        return start if self.origins is None else self.origins[start]

    def stored_end(self, end: int) -> int:
        """The stored offset where a span ending at folded offset ``end`` (exclusive) ends."""
        return end if self.ends is None else self.ends[end]

    def stored_span(self, start: int, end: int) -> tuple[int, int]:
        """Stored ``(start, end)`` of folded ``[start, end)``; ``stored[start:end]`` is the
        span's own stored text (an empty span maps to an empty span)."""
        if self.origins is None or self.ends is None:
            return start, end
        stored_start = self.origins[start]
        return stored_start, (self.ends[end] if end > start else stored_start)


def fold_line_breaks(text: str, *, known_to_break: bool = False) -> FoldedText:
    """``text`` with every line break inside a paragraph folded (module docstring).

    Linear in the length of the text; a text without a line break is returned as it is, with
    no offset map, after a few substring tests (skipped when the caller has made them and
    says so with ``known_to_break``; a text without a break is still returned unchanged).
    """
    if not known_to_break and not has_line_break(text):
        return FoldedText(text)
    return _fold(text)


def _is_horizontal_space(character: str) -> bool:
    """Whitespace that is not a line break (space, tab, no-break space, U+3000 ...)."""
    return (
        character.isspace()
        and character not in LINE_BREAK_CHARACTERS
        and not "\x1c" <= character <= "\x1f"
    )


def _fold(text: str) -> FoldedText:
    """:func:`fold_line_breaks` for a text known to hold a line break.

    Finds each line break, widens it to the whole run of whitespace around it, and keeps the
    run (at an edge of the text, or holding two breaks or more) or replaces it by nothing or
    a space. The offset maps are built from ranges, one slice of kept text at a time.
    """
    length = len(text)
    pieces: list[str] = []
    origins: list[int] = []
    ends: list[int] = [0]
    position = 0  # stored offset up to which ``pieces`` holds the text
    search_from = 0
    while (found := _ANY_BREAK.search(text, search_from)) is not None:
        start = found.start()
        while start > 0 and _is_horizontal_space(text[start - 1]):
            start -= 1
        end = _WHITESPACE_RUN.match(text, start).end()  # type: ignore[union-attr]
        search_from = end
        if start == 0 or end == length:
            continue  # whitespace at an edge joins nothing
        if end - start > 1 and len(_LINE_BREAK.findall(text, start, end)) > 1:
            continue  # a paragraph break
        pieces.append(text[position:start])
        origins.extend(range(position, start))
        ends.extend(range(position + 1, start + 1))
        if _UNSPACED.match(text, start - 1) is None or _UNSPACED.match(text, end) is None:
            pieces.append(" ")
            origins.append(start)
            ends.append(end)
        position = end
    if not pieces:
        return FoldedText(text)
    pieces.append(text[position:])
    origins.extend(range(position, length + 1))
    ends.extend(range(position + 1, length + 1))
    return FoldedText("".join(pieces), origins, ends)
