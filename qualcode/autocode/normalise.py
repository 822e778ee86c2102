"""Text normalised for matching, with a map from every normalised offset back to the original.

Rules and texts are compared after Unicode NFKC and case folding (:func:`normalise`):
full-width ``ＷｅＣｈａｔ１２３，`` equals ``wechat123,``, half-width katakana equals full-width,
``ﬁ`` equals ``fi``; then line breaks inside a paragraph are folded
(:func:`qualcode.text.folding.fold_line_breaks`: nothing between two Chinese characters, one
space elsewhere), so that ``主要靠网`` / ``格员`` on two subtitle lines is ``主要靠网格员``.
Matching happens in normalised text, but every offset qualcode stores
points into the *original* text, so a normalised text carries a map back to it
(:func:`normalise_with_origins`, :class:`NormalisedText`). A span that would start or end
*inside* the expansion of one original character (``株`` inside ``㈱``) has no original offset
and :meth:`NormalisedText.original_span` says so with ``None``.

Three speeds, the same result: ASCII text is only lower-cased; text whose special characters
each normalise to one character is replaced in place (offsets unchanged, no map); only text
with expanding or combining characters, or with a line break to fold, builds a map.
:func:`normalise_many` does this for a whole chunk of texts at once (numpy masks over the
code points), which is what :meth:`qualcode.autocode.matching.Matcher.match_many` searches.
The module is pure: no database, no rules.
"""

from __future__ import annotations

import bisect
import functools
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from qualcode.text.folding import LINE_BREAK_CHARACTERS, fold_line_breaks, has_line_break

#: What joins texts in a chunk (:func:`normalise_many`): a word boundary that no keyword contains.
SEPARATOR = "\n"


def character_class(ranges: Iterable[tuple[int, int]]) -> str:
    """The body of a regular-expression character class for code point ranges."""
    return "".join(
        re.escape(chr(low)) if low == high else f"{re.escape(chr(low))}-{re.escape(chr(high))}"
        for low, high in ranges
    )


def normalise(text: str) -> str:
    """``text`` as rules and texts are compared: Unicode NFKC, case folded, line breaks folded.

    Keywords, exclusion phrases and lemma forms go through this function; texts go through
    :func:`normalise_with_origins`, which gives the same string plus offsets.
    """
    normalised = unicodedata.normalize("NFKC", text).casefold()
    if has_line_break(normalised):
        return fold_line_breaks(normalised).text
    return normalised


def _normalise_character(text: str) -> str:
    """NFKC and case folding only: what one character or cluster normalises to."""
    return unicodedata.normalize("NFKC", text).casefold()


@dataclass(frozen=True, slots=True)
class NormalisedText:
    """A text after :func:`normalise`, with the way back to the original.

    ``origins`` is ``None`` when every character normalised to exactly one character and no
    line break was folded, so normalised and original offsets are the same (the common case).
    Otherwise it has ``len(text) + 1`` entries: ``origins[i]`` is the original offset where
    normalised offset ``i`` begins, or ``-1`` when ``i`` falls inside the expansion of one
    original character (or of a base character composed with its combining marks); the last
    entry is the length of the original text.

    ``ends`` is set when a line break was folded (:mod:`qualcode.text.folding`): ``ends[j]`` is
    the original offset where a span *ending* at normalised offset ``j`` ends (``-1`` inside
    an expansion), which leaves out the whitespace of a fold right after the span. Without
    it, a span ends where the next character begins: ``origins[j]``.
    """

    text: str
    origins: list[int] | None
    ends: list[int] | None = None

    @property
    def end_origins(self) -> list[int] | None:
        """The map for the ends of spans: ``ends``, or ``origins`` when nothing was folded."""
        return self.origins if self.ends is None else self.ends

    def original_span(self, start: int, end: int) -> tuple[int, int] | None:
        """Original offsets of normalised ``[start, end)``, or ``None`` if they fall inside."""
        origins = self.origins
        if origins is None:
            return start, end
        ends = origins if self.ends is None else self.ends
        original_start, original_end = origins[start], ends[end]
        if original_start < 0 or original_end < 0:
            return None
        return original_start, original_end


@dataclass(frozen=True, slots=True)
class _CharacterTables:
    """What the normaliser needs to know about characters, worked out once per process.

    ``special`` finds every character that case folding alone does not normalise.
    ``simple`` maps those that normalise to exactly one character, independent of their
    neighbours (full-width ``，`` to ``,``); the others (``…`` to ``...``, ``ß`` to ``ss``,
    combining marks) are complex and are normalised in small clusters. ``interacting`` holds
    the characters that may compose or reorder with the character before them.
    """

    special: re.Pattern[str]
    special_set: frozenset[str]
    simple: dict[str, str]
    interacting: frozenset[str]


#: Blocks known to hold no character that normalisation changes or that interacts with its
#: neighbours (Han ideographs, Hangul syllables, surrogates, private use, unassigned planes):
#: skipped when the character tables are built, which keeps building them well under 0.1 s.
_STABLE_BLOCKS = (
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xAC00, 0xD7A3),
    (0xD800, 0xF8FF),
    (0x20000, 0x2F7FF),
    (0x2FA20, 0xDFFFF),
    (0xE0200, 0x10FFFF),
)

#: Hangul vowel and trailing consonant jamo: they compose with the character before them by
#: algorithm, not through the decomposition table.
_HANGUL_COMPOSING_JAMO = (*range(0x1161, 0x1176), *range(0x11A8, 0x11C3))


def _code_points_to_examine() -> Iterator[int]:
    """Every code point outside ``_STABLE_BLOCKS``."""
    next_code_point = 0
    for low, high in _STABLE_BLOCKS:
        yield from range(next_code_point, low)
        next_code_point = high + 1
    yield from range(next_code_point, 0x110000)


def _composing_second_characters() -> frozenset[str]:
    """Characters that can be the second half of a canonical composition (``e`` + U+0301)."""
    seconds = {chr(code_point) for code_point in _HANGUL_COMPOSING_JAMO}
    for code_point in _code_points_to_examine():
        decomposition = unicodedata.decomposition(chr(code_point))
        if decomposition and not decomposition.startswith("<"):
            parts = decomposition.split()
            if len(parts) == 2:
                seconds.add(chr(int(parts[1], 16)))
    return frozenset(seconds)


def _ranges_of(characters: Iterable[str]) -> list[tuple[int, int]]:
    """Sorted, merged code point ranges covering ``characters``."""
    ranges: list[tuple[int, int]] = []
    for code_point in sorted(ord(character) for character in characters):
        if ranges and ranges[-1][1] == code_point - 1:
            ranges[-1] = (ranges[-1][0], code_point)
        else:
            ranges.append((code_point, code_point))
    return ranges


@functools.cache
def _character_tables() -> _CharacterTables:
    """Classify every character that normalisation touches (see :class:`_CharacterTables`)."""
    composing_seconds = _composing_second_characters()
    simple: dict[str, str] = {}
    special: list[str] = []
    interacting: set[str] = set()
    for code_point in _code_points_to_examine():
        character = chr(code_point)
        decomposed = unicodedata.normalize("NFKD", character)
        if (
            unicodedata.combining(decomposed[0])
            or decomposed[0] in composing_seconds
            or character in composing_seconds
        ):
            interacting.add(character)
            special.append(character)
            continue
        normalised = _normalise_character(character)
        if len(normalised) == 1 and normalised == character.casefold():
            continue
        special.append(character)
        if (
            len(normalised) == 1
            and _normalise_character(normalised) == normalised
            and normalised not in composing_seconds
            and not unicodedata.combining(normalised)
        ):
            simple[character] = normalised
    return _CharacterTables(
        special=re.compile(f"[{character_class(_ranges_of(special))}]"),
        special_set=frozenset(special),
        simple=simple,
        interacting=frozenset(interacting),
    )


def normalise_with_origins(text: str) -> NormalisedText:
    """``normalise(text)``, with a map from its offsets back to ``text``.

    Line breaks are folded after NFKC and case folding (:func:`_with_folded_line_breaks`);
    a text without one pays a few substring tests for it.
    """
    normalised = _normalise_unfolded(text)
    if has_line_break(normalised.text):
        return _with_folded_line_breaks(normalised)
    return normalised


def _with_folded_line_breaks(normalised: NormalisedText) -> NormalisedText:
    """``normalised`` with its line breaks folded, its offset maps composed with the fold's."""
    folded = fold_line_breaks(normalised.text, known_to_break=True)
    if folded.origins is None or folded.ends is None:
        return normalised
    origins = normalised.origins
    if origins is None:
        return NormalisedText(folded.text, folded.origins, folded.ends)
    return NormalisedText(
        folded.text,
        [origins[position] for position in folded.origins],
        [origins[position] for position in folded.ends],
    )


def _normalise_unfolded(text: str) -> NormalisedText:
    """NFKC and case folding of ``text`` with a map back to it (no line breaks folded).

    Fast for the common case: ASCII text is only lower-cased; for other text the set of its
    characters is intersected with those that case folding alone does not normalise (a set
    operation in C, many times faster than a regular expression with thousands of ranges),
    and those that map to one
    character (full-width punctuation, letters and digits) are replaced in place, which keeps
    offsets. Only texts with expanding or combining characters (``……``, ``ß``, ``㈱``, ``é``
    written as two code points) take the slower path that builds an offset map.
    """
    if text.isascii():
        return NormalisedText(text.lower(), None)
    tables = _character_tables()
    special_characters = tables.special_set.intersection(text)
    if not special_characters:
        return NormalisedText(text.casefold(), None)
    replaced = text
    has_complex = False
    simple = tables.simple
    for character in special_characters:
        replacement = simple.get(character)
        if replacement is None:
            has_complex = True
        else:
            replaced = replaced.replace(character, replacement)
    if not has_complex:
        return NormalisedText(replaced.casefold(), None)
    return _normalise_in_clusters(text, replaced, tables)


@functools.cache
def _character_masks() -> tuple[Any, Any]:
    """Two boolean arrays over every code point: special characters, and complex ones.

    "Special" and "complex" as in :class:`_CharacterTables`. With them a whole chunk of
    text is classified in a few vectorised numpy operations instead of a hash lookup per
    character.
    """
    import numpy

    tables = _character_tables()
    special = numpy.zeros(0x110000, dtype=bool)
    complex_ = numpy.zeros(0x110000, dtype=bool)
    for character in tables.special_set:
        special[ord(character)] = True
        if character not in tables.simple:
            complex_[ord(character)] = True
    return special, complex_


@dataclass(frozen=True, slots=True)
class NormalisedChunk:
    """Many texts normalised at once: what :meth:`Matcher.match_many` searches.

    ``text`` is the normalised texts joined by ``SEPARATOR``; ``starts[i]`` is where text
    ``i`` begins in it. ``own[i]`` is the text's own :class:`NormalisedText` when it holds a
    character that changes length (it has an offset map), else ``None``: then its normalised
    form is the slice of ``text`` of its original length, with the same offsets.
    """

    text: str
    starts: list[int]
    lengths: list[int]
    own: list[NormalisedText | None]

    def text_at(self, index: int) -> NormalisedText:
        own = self.own[index]
        if own is not None:
            return own
        start = self.starts[index]
        return NormalisedText(self.text[start : start + self.lengths[index]], None)

    def index_of(self, position: int) -> int:
        """The text that a position of the joined text falls in."""
        return bisect.bisect_right(self.starts, position) - 1


def normalise_many(texts: Sequence[str]) -> NormalisedChunk:
    """:func:`normalise_with_origins` for each of ``texts``, done mostly once for all of them.

    The joined text is classified with numpy masks; characters that normalise to one
    character are replaced across the whole chunk with one ``str.replace`` each, and case
    folding runs once. Only texts holding a complex character (``……``, ``ß``, a combining
    mark) or a line break are normalised on their own, to get their offset maps; a chunk
    without a line break inside a text pays one count and a few substring tests for that.
    """
    joined = SEPARATOR.join(texts)
    chunk = _normalise_joined(texts, joined)
    with_line_breaks = _texts_with_line_breaks(texts, joined)
    if with_line_breaks:
        chunk = _with_own_texts(chunk, with_line_breaks, texts)
    return chunk


def _texts_with_line_breaks(texts: Sequence[str], joined: str) -> list[int]:
    """The indexes of ``texts`` holding a line break (``joined``: them joined by SEPARATOR)."""
    if joined.count(SEPARATOR) < len(texts) and not any(
        line_break in joined for line_break in LINE_BREAK_CHARACTERS if line_break != SEPARATOR
    ):
        return []
    return [index for index, text in enumerate(texts) if has_line_break(text)]


def _with_own_texts(
    chunk: NormalisedChunk, indexes: list[int], texts: Sequence[str]
) -> NormalisedChunk:
    """``chunk`` with the line breaks of the texts at ``indexes`` folded: those texts get
    their own offset maps (the chunk's normalisation composed with the fold)."""
    own = list(chunk.own)
    pieces: list[str] = []
    next_index = 0
    starts, lengths = chunk.starts, chunk.lengths
    for index in indexes:
        if next_index < index:  # the unchanged texts before it, in one slice
            pieces.append(chunk.text[starts[next_index] : starts[index] - 1])
        folded = _with_folded_line_breaks(chunk.text_at(index))
        if folded.origins is not None:
            own[index] = folded
        pieces.append(folded.text)
        next_index = index + 1
    if next_index < len(texts):
        pieces.append(chunk.text[starts[next_index] : starts[-1] + lengths[-1]])
    joined = SEPARATOR.join(pieces)
    new_lengths = [
        len(own_text.text) if (own_text := own[index]) is not None else lengths[index]
        for index in range(len(texts))
    ]
    new_starts: list[int] = []
    position = 0
    for length in new_lengths:
        new_starts.append(position)
        position += length + 1
    return NormalisedChunk(joined, new_starts, new_lengths, own)


def _normalise_joined(texts: Sequence[str], joined: str) -> NormalisedChunk:
    """:func:`normalise_many` without folding line breaks."""
    import numpy

    lengths = [len(text) for text in texts]
    original_starts: list[int] = []
    position = 0
    for length in lengths:
        original_starts.append(position)
        position += length + 1
    own: list[NormalisedText | None] = [None] * len(texts)
    if joined.isascii():
        return NormalisedChunk(joined.lower(), original_starts, lengths, own)
    special_mask, complex_mask = _character_masks()
    code_points = numpy.frombuffer(joined.encode("utf-32-le"), dtype=numpy.uint32)
    positions = numpy.flatnonzero(special_mask[code_points])
    if positions.size == 0:
        return NormalisedChunk(joined.casefold(), original_starts, lengths, own)
    simple = _character_tables().simple
    replaced = joined
    complex_present: list[str] = []
    for code_point in numpy.unique(code_points[positions]).tolist():
        character = chr(code_point)
        replacement = simple.get(character)
        if replacement is None:
            complex_present.append(character)
        else:
            replaced = replaced.replace(character, replacement)
    if not complex_present:
        return NormalisedChunk(replaced.casefold(), original_starts, lengths, own)
    # Texts with a complex character are normalised on their own; blanking those characters
    # keeps the chunk-wide case folding one character per character for the other texts.
    complex_positions = positions[complex_mask[code_points[positions]]]
    complex_texts = set(
        (numpy.searchsorted(original_starts, complex_positions, side="right") - 1).tolist()
    )
    for character in complex_present:
        replaced = replaced.replace(character, "\x00")
    folded = replaced.casefold()
    pieces: list[str] = []
    starts: list[int] = []
    position = 0
    for index, text in enumerate(texts):
        if index in complex_texts:
            normalised = own[index] = _normalise_unfolded(text)
            piece = normalised.text
        else:
            start = original_starts[index]
            piece = folded[start : start + lengths[index]]
        starts.append(position)
        pieces.append(piece)
        position += len(piece) + 1
    lengths = [len(piece) for piece in pieces]
    return NormalisedChunk(SEPARATOR.join(pieces), starts, lengths, own)


def _complex_clusters(text: str, tables: _CharacterTables) -> Iterator[tuple[int, int]]:
    """Spans of ``text`` that must be normalised together, in order, not overlapping.

    A complex character forms a cluster with the characters after it that interact with
    their predecessor (combining marks, Hangul jamo); an interacting character also pulls in
    the characters before it back to the first that does not interact (its base). Outside
    the clusters every character normalises to exactly one character on its own.
    """
    simple, interacting = tables.simple, tables.interacting
    cluster_start = cluster_end = -1
    for found in tables.special.finditer(text):
        position = found.start()
        character = text[position]
        if character in simple or position < cluster_end:
            continue
        start = position
        if character in interacting:
            while start > 0 and text[start] in interacting:
                start -= 1
        end = position + 1
        while end < len(text) and text[end] in interacting:
            end += 1
        if start < cluster_end:
            cluster_end = end
            continue
        if cluster_end >= 0:
            yield cluster_start, cluster_end
        cluster_start, cluster_end = start, end
    if cluster_end >= 0:
        yield cluster_start, cluster_end


def _normalise_in_clusters(text: str, replaced: str, tables: _CharacterTables) -> NormalisedText:
    """The slow path of :func:`normalise_with_origins`: build the text and its offset map.

    ``replaced`` is ``text`` with its simple characters already normalised (same length).
    Runs between clusters are case folded as they are (one character each); each cluster is
    normalised as a whole from the original characters.
    """
    pieces: list[str] = []
    origins: list[int] = []
    position = 0
    for cluster_start, cluster_end in _complex_clusters(text, tables):
        pieces.append(replaced[position:cluster_start].casefold())
        origins.extend(range(position, cluster_start))
        normalised_cluster = _normalise_character(text[cluster_start:cluster_end])
        pieces.append(normalised_cluster)
        origins.append(cluster_start)
        origins.extend([-1] * (len(normalised_cluster) - 1))
        position = cluster_end
    pieces.append(replaced[position:].casefold())
    origins.extend(range(position, len(text) + 1))
    return NormalisedText("".join(pieces), origins)
