"""Speaker turns into citable segments: whole turns, sentences or paragraphs.

Every segment is a span of the document text (code points, end-exclusive), trimmed of
surrounding whitespace and never empty, so ``text[start_char:end_char]`` is exactly what a
researcher quotes (DESIGN.md section 3). Header turns (``Turn.is_header``) give no segments:
their text stays in the document but is not evidence.

Sentences are found with Chinese rules (pure regular expressions, fast), with spaCy's
rule-based sentencizer for English, or with both for mixed text. No segment is longer than
``max_chars``: a longer turn, paragraph or sentence is split at sentence boundaries, then at
clause boundaries, then at whitespace, and only as a last resort anywhere, but never inside
an emoji sequence or between a letter and its combining mark.

Times: a turn split into several segments only knows when it started and ended, so its first
segment keeps ``start_time``, its last keeps ``end_time`` and the times in between are
``None``. Interpolating by character position would store guesses that look like facts.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from qualcode.errors import UsageError
from qualcode.models import UNITS, Segment, Turn, Unit
from qualcode.text.language import HAN_CHARACTER_CLASS, LATIN_CHARACTER_CLASS, detect_language

if TYPE_CHECKING:
    from spacy.pipeline import Sentencizer

#: The longest segment, in code points. A thousand Chinese characters are about four minutes
#: of speech, or several paragraphs; a thousand English characters about 170 words, a long
#: paragraph. A longer block is no longer a quote: it swamps a matrix cell or a review screen,
#: and a code attached to it says little about where in the block the evidence is.
MAX_SEGMENT_CHARS = 1000

#: Languages ``segment_document`` and ``split_sentences`` accept. "mixed" and "auto" both
#: decide per span (each turn, paragraph or sentence being split) with ``detect_language``.
LANGUAGES: tuple[str, ...] = ("zh", "en", "mixed", "auto")

#: Characters that always end a Chinese sentence, alone or in runs ("？！", "……").
_FULL_WIDTH_TERMINATORS = "。！？；…｡⋯"
#: Characters that end an English sentence inside English text as well: the unambiguous
#: full-width stops. ("…" and "；" are left out: in English they occur inside sentences.)
_FULL_WIDTH_STOPS = "。！？｡"
#: Half-width terminators; in Chinese text they end a sentence when followed by whitespace,
#: a CJK character or an opening quote, or at the end of the span (not in "a!b" or "3?x").
_HALF_WIDTH_TERMINATORS = "!?;"
#: Closing quotes and brackets that stay with the sentence they close.
_CLOSERS = "”’」』）】》〉〕〗〙〛｣\"')]}"
#: Opening quotes and brackets; a sentence may start with one.
_OPENERS = "“‘「『（【《〈〔〖〘〚｢"
#: What may follow a half-width terminator that ends a Chinese sentence, besides whitespace.
_CJK_FOLLOWERS = (
    HAN_CHARACTER_CLASS
    + "\u3000-\u303f"  # CJK symbols and punctuation
    + "\u3040-\u30ff"  # kana
    + "\uac00-\ud7af"  # Hangul syllables
    + "\uff00-\uffef"  # half-width and full-width forms
    + re.escape(_OPENERS)
)
_LINE_BREAKS = "\n\u2028\u2029"
#: Where a sentence too long for one segment may be split, after the character.
_CLAUSE_PUNCTUATION = frozenset("，,；;、")


def _terminator_run(terminators: str) -> str:
    """A whole run of terminators with at least one of ``terminators``, then closers.

    The look-behind and possessive quantifiers make a long run ("!!!!...") cost linear time:
    a match never starts inside a run and never backtracks into one.
    """
    any_terminator = re.escape(terminators + _HALF_WIDTH_TERMINATORS)
    return (
        f"(?<![{any_terminator}])[{re.escape(_HALF_WIDTH_TERMINATORS)}]*+"
        f"[{re.escape(terminators)}][{any_terminator}]*+[{re.escape(_CLOSERS)}]*+"
    )


def _half_width_run(terminators: str) -> str:
    """A whole run of half-width terminators and closers, then what may follow in Chinese."""
    any_terminator = re.escape(terminators + _HALF_WIDTH_TERMINATORS)
    return (
        f"(?<![{any_terminator}])[{re.escape(_HALF_WIDTH_TERMINATORS)}]++"
        f"[{re.escape(_CLOSERS)}]*+(?=\\s|[{_CJK_FOLLOWERS}]|\\Z)"
    )


_CHINESE_BOUNDARY = re.compile(
    _terminator_run(_FULL_WIDTH_TERMINATORS)
    + "|"
    + _half_width_run(_FULL_WIDTH_TERMINATORS)
    + f"|[{_LINE_BREAKS}]"
)
_ENGLISH_HARD_BOUNDARY = re.compile(_terminator_run(_FULL_WIDTH_STOPS) + f"|[{_LINE_BREAKS}]")
_LATIN_LETTER = re.compile(f"[{LATIN_CHARACTER_CLASS}]")
_BLANK_LINE = re.compile(f"[{_LINE_BREAKS}][^\\S{_LINE_BREAKS}]*[{_LINE_BREAKS}]")
_LINE_BREAK = re.compile(f"[{_LINE_BREAKS}]")


@dataclass(frozen=True, slots=True)
class _SentenceRules:
    """How sentences are found in one language.

    ``boundary`` matches text that ends a sentence. When ``use_spacy`` is set, every piece
    between such matches goes through spaCy's sentencizer too; ``spacy_needs_latin`` limits
    that to pieces containing a Latin letter (mixed text: Chinese pieces skip spaCy).
    """

    boundary: re.Pattern[str]
    use_spacy: bool
    spacy_needs_latin: bool


_CHINESE_RULES = _SentenceRules(_CHINESE_BOUNDARY, use_spacy=False, spacy_needs_latin=False)
_ENGLISH_RULES = _SentenceRules(_ENGLISH_HARD_BOUNDARY, use_spacy=True, spacy_needs_latin=False)
_MIXED_RULES = _SentenceRules(_CHINESE_BOUNDARY, use_spacy=True, spacy_needs_latin=True)


def segment_document(
    text: str,
    turns: Sequence[Turn],
    unit: Unit,
    *,
    language: str = "zh",
    max_chars: int = MAX_SEGMENT_CHARS,
) -> list[Segment]:
    """The segments of a document, numbered from 0 in document order.

    ``turns`` must be in document order, inside ``text`` and not overlapping (a ``ValueError``
    otherwise: that is a bug in the reader or layout detector, not bad input). ``unit`` is
    ``"turn"`` (one segment per turn), ``"paragraph"`` or ``"sentence"``; ``language`` is one
    of ``LANGUAGES``. Each segment carries its turn's speaker and role; see the module
    docstring for times.

    The common case, a turn of at most ``max_chars`` with unit ``"turn"``, costs a strip and
    a length check: imports of a million turns stay fast.
    """
    _check_options(unit, language, max_chars)
    segments: list[Segment] = []
    whole_turns = unit == "turn"
    text_length = len(text)
    previous_end = 0
    for turn in turns:
        start = turn.start_char
        end = turn.end_char
        if start < previous_end or end < start or end > text_length:
            raise ValueError(
                f"turn {start}..{end} is out of order, overlapping or outside the text "
                f"(length {text_length}, previous turn ended at {previous_end})"
            )
        previous_end = end
        if turn.is_header:
            continue
        raw = text[start:end]
        stripped = raw.strip()
        if not stripped:
            continue
        if len(stripped) != len(raw):
            start += len(raw) - len(raw.lstrip())
            end = start + len(stripped)
        if whole_turns and end - start <= max_chars:
            segments.append(
                Segment(
                    len(segments),
                    start,
                    end,
                    turn.speaker,
                    turn.role,
                    turn.start_time,
                    turn.end_time,
                )
            )
        else:
            spans = _unit_spans(text, start, end, unit, language, max_chars)
            _append_turn_pieces(segments, turn, spans)
    return segments


def split_sentences(text: str, start: int, end: int, language: str) -> list[tuple[int, int]]:
    """Sentence spans inside ``text[start:end]``, trimmed of whitespace, empty ones dropped.

    Chinese: a sentence ends after a run of 。！？；… (so "？！" and "……" stay together),
    after half-width !?; followed by whitespace, a CJK character or an opening quote, and at
    every line break; closing quotes and brackets stay with the sentence ("他说：“好。”").
    English: line breaks and full-width stops, then spaCy's rule-based sentencizer ("Dr. Smith"
    is not a sentence end). Mixed: the Chinese rules, then spaCy on pieces with Latin letters.
    ``language`` "mixed" or "auto" picks the rules from the span's own text. No boundary falls
    inside an emoji sequence or before a combining mark.
    """
    if language not in LANGUAGES:
        raise UsageError(f"unknown language {language!r}: use one of {', '.join(LANGUAGES)}")
    rules = _rules_for(language, text, start, end)
    cuts = [match.end() for match in rules.boundary.finditer(text, start, end)]
    if rules.use_spacy:
        cuts = _with_spacy_cuts(text, start, end, cuts, rules.spacy_needs_latin)
    return _spans_between(text, start, end, _cluster_safe_cuts(text, start, end, cuts))


def _check_options(unit: str, language: str, max_chars: int) -> None:
    """Reject an unknown unit or language, or a limit that leaves no room for text."""
    if unit not in UNITS:
        raise UsageError(f"unknown unit {unit!r}: use one of {', '.join(UNITS)}")
    if language not in LANGUAGES:
        raise UsageError(f"unknown language {language!r}: use one of {', '.join(LANGUAGES)}")
    if max_chars < 1:
        raise UsageError(f"the longest segment must be at least 1 character, not {max_chars}")


def _append_turn_pieces(
    segments: list[Segment], turn: Turn, spans: Sequence[tuple[int, int]]
) -> None:
    """Append one segment per span of ``turn``; only the first and last keep a time."""
    last_index = len(spans) - 1
    for index, (start, end) in enumerate(spans):
        segments.append(
            Segment(
                len(segments),
                start,
                end,
                turn.speaker,
                turn.role,
                turn.start_time if index == 0 else None,
                turn.end_time if index == last_index else None,
            )
        )


def _unit_spans(
    text: str, start: int, end: int, unit: str, language: str, max_chars: int
) -> list[tuple[int, int]]:
    """The spans of one trimmed, non-empty turn for ``unit``, each at most ``max_chars``."""
    if unit == "sentence":
        return [
            piece
            for sentence_start, sentence_end in split_sentences(text, start, end, language)
            for piece in _within_limit(text, sentence_start, sentence_end, max_chars)
        ]
    if unit == "paragraph":
        return [
            piece
            for paragraph_start, paragraph_end in _paragraph_spans(text, start, end)
            for piece in _packed_sentences(
                text, paragraph_start, paragraph_end, language, max_chars
            )
        ]
    return _packed_sentences(text, start, end, language, max_chars)


def _paragraph_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Paragraphs of ``text[start:end]``, trimmed, empty ones dropped.

    When the span has a blank line, paragraphs are separated by blank lines (prose, Markdown,
    hard-wrapped text); otherwise every line is a paragraph (Word exports and most transcripts
    put one paragraph per line).
    """
    separator = _BLANK_LINE if _BLANK_LINE.search(text, start, end) else _LINE_BREAK
    spans: list[tuple[int, int]] = []
    piece_start = start
    for match in separator.finditer(text, start, end):
        _append_trimmed(spans, text, piece_start, match.start())
        piece_start = match.end()
    _append_trimmed(spans, text, piece_start, end)
    return spans


def _packed_sentences(
    text: str, start: int, end: int, language: str, max_chars: int
) -> list[tuple[int, int]]:
    """``text[start:end]`` as few spans of whole sentences as fit in ``max_chars`` each.

    Sentences are packed greedily in order; a sentence longer than ``max_chars`` is split by
    ``_within_limit`` first. A span that already fits is returned as it is.
    """
    if end - start <= max_chars:
        return [(start, end)]
    pieces = [
        piece
        for sentence_start, sentence_end in split_sentences(text, start, end, language)
        for piece in _within_limit(text, sentence_start, sentence_end, max_chars)
    ]
    return _packed(pieces, max_chars)


def _packed(pieces: Iterable[tuple[int, int]], max_chars: int) -> list[tuple[int, int]]:
    """Join consecutive spans while the joined span (gaps included) fits in ``max_chars``."""
    packed: list[tuple[int, int]] = []
    for start, end in pieces:
        if packed and end - packed[-1][0] <= max_chars:
            packed[-1] = (packed[-1][0], end)
        else:
            packed.append((start, end))
    return packed


def _within_limit(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """A trimmed span split into trimmed pieces of at most ``max_chars`` each.

    Each piece ends at the last clause mark (，,；;、) in the second half of the window, else
    before the last whitespace, else after the last clause mark anywhere, else at the last
    grapheme boundary. Only a single grapheme cluster longer than ``max_chars`` (a long
    emoji ZWJ sequence with a tiny limit, say) makes a longer piece: clusters are never cut.
    """
    pieces: list[tuple[int, int]] = []
    position = start
    while end - position > max_chars:
        cut = _cut_position(text, position, position + max_chars, end)
        if cut >= end:
            break
        _append_trimmed(pieces, text, position, cut)
        position = cut
        while text[position].isspace():
            position += 1
    pieces.append((position, end))
    return pieces


def _cut_position(text: str, position: int, limit: int, end: int) -> int:
    """Where to end the piece starting at ``position`` so that it fits before ``limit``."""
    middle = position + (limit - position) // 2
    cut = _last_clause_cut(text, middle, limit)
    if cut is None:
        cut = _last_whitespace_cut(text, position + 1, limit)
    if cut is None:
        cut = _last_clause_cut(text, position, middle)
    if cut is None:
        cut = _grapheme_cut(text, position, limit, end)
    return cut


def _last_clause_cut(text: str, lowest: int, limit: int) -> int | None:
    """Just after the last clause mark at an index in ``[lowest, limit)``, if any."""
    for index in range(limit - 1, lowest - 1, -1):
        if text[index] in _CLAUSE_PUNCTUATION and _is_cluster_boundary(text, index + 1):
            return index + 1
    return None


def _last_whitespace_cut(text: str, lowest: int, limit: int) -> int | None:
    """The last whitespace at an index in ``[lowest, limit]``, if any."""
    for index in range(limit, lowest - 1, -1):
        if text[index].isspace() and _is_cluster_boundary(text, index):
            return index
    return None


def _grapheme_cut(text: str, position: int, limit: int, end: int) -> int:
    """The last grapheme boundary in ``(position, limit]``, or the first one after it."""
    for cut in range(limit, position, -1):
        if _is_cluster_boundary(text, cut):
            return cut
    cut = limit + 1
    while cut < end and not _is_cluster_boundary(text, cut):
        cut += 1
    return cut


_ZERO_WIDTH_JOINER = "\u200d"


def _is_cluster_boundary(text: str, index: int) -> bool:
    """Whether cutting before ``text[index]`` keeps user-perceived characters whole.

    An approximation of Unicode extended grapheme clusters (UAX #29) covering what
    transcripts contain: no cut before a combining mark, variation selector, ZWJ, emoji skin
    tone modifier, tag character (subdivision flags) or conjoining Hangul vowel or final; no
    cut after a ZWJ; regional indicators pair up into flags.
    """
    if index <= 0 or index >= len(text):
        return True
    preceding = text[index - 1]
    following = text[index]
    if preceding == _ZERO_WIDTH_JOINER or _extends_cluster(following):
        return False
    if _is_regional_indicator(following) and _is_regional_indicator(preceding):
        run_start = index - 1
        while run_start > 0 and _is_regional_indicator(text[run_start - 1]):
            run_start -= 1
        return (index - run_start) % 2 == 0
    return True


def _extends_cluster(char: str) -> bool:
    """Whether ``char`` belongs to the cluster of the character before it."""
    code_point = ord(char)
    if code_point < 0x300:
        return False
    return (
        unicodedata.category(char) in ("Mn", "Mc", "Me")
        or char == _ZERO_WIDTH_JOINER
        or 0x1F3FB <= code_point <= 0x1F3FF  # emoji skin tone modifiers
        or 0xE0020 <= code_point <= 0xE007F  # tag characters
        or 0x1160 <= code_point <= 0x11FF  # conjoining Hangul vowels and finals
        or code_point in (0xFF9E, 0xFF9F)  # half-width katakana sound marks
    )


def _is_regional_indicator(char: str) -> bool:
    """Whether ``char`` is one of the regional indicator letters that make up flags."""
    return 0x1F1E6 <= ord(char) <= 0x1F1FF


def _rules_for(language: str, text: str, start: int, end: int) -> _SentenceRules:
    """The sentence rules for ``language``, detected from the span for "mixed" and "auto"."""
    if language in ("mixed", "auto"):
        language = detect_language(text[start:end])
    if language == "zh":
        return _CHINESE_RULES
    if language == "en":
        return _ENGLISH_RULES
    return _MIXED_RULES


def _with_spacy_cuts(
    text: str, start: int, end: int, cuts: Sequence[int], needs_latin: bool
) -> list[int]:
    """``cuts`` with spaCy's sentence starts inside every piece between them added, in order."""
    all_cuts: list[int] = []
    piece_start = start
    for piece_end in [*cuts, end]:
        all_cuts.extend(_spacy_cuts(text, piece_start, piece_end, needs_latin))
        all_cuts.append(piece_end)
        piece_start = piece_end
    all_cuts.pop()
    return all_cuts


def _spacy_cuts(text: str, start: int, end: int, needs_latin: bool) -> list[int]:
    """Where spaCy's sentencizer starts a new sentence inside ``text[start:end]``.

    spaCy only ends a sentence at one of its punctuation characters, so pieces without any
    (and, for mixed text, pieces without Latin letters) skip the pipeline.
    """
    piece = text[start:end]
    if not _spacy_punctuation().search(piece):
        return []
    if needs_latin and not _LATIN_LETTER.search(piece):
        return []
    from qualcode.text.language import english_sentencizer

    document = english_sentencizer()(piece)
    return [start + sentence.start_char for sentence in document.sents][1:]


@functools.cache
def _spacy_punctuation() -> re.Pattern[str]:
    """Any of the characters after which spaCy's sentencizer may end a sentence."""
    from qualcode.text.language import english_sentencizer

    sentencizer = cast("Sentencizer", english_sentencizer().get_pipe("sentencizer"))
    characters = sentencizer.punct_chars
    return re.compile(f"[{re.escape(''.join(sorted(characters)))}]")


def _cluster_safe_cuts(text: str, start: int, end: int, cuts: Iterable[int]) -> list[int]:
    """``cuts`` moved forward to the next grapheme boundary, kept increasing."""
    safe: list[int] = []
    previous = start
    for cut in cuts:
        while start < cut < end and not _is_cluster_boundary(text, cut):
            cut += 1
        if cut > previous:
            safe.append(cut)
            previous = cut
    return safe


def _spans_between(text: str, start: int, end: int, cuts: Iterable[int]) -> list[tuple[int, int]]:
    """The trimmed, non-empty spans between ``start``, each cut and ``end``."""
    spans: list[tuple[int, int]] = []
    piece_start = start
    for cut in cuts:
        _append_trimmed(spans, text, piece_start, cut)
        piece_start = cut
    _append_trimmed(spans, text, piece_start, end)
    return spans


def _append_trimmed(spans: list[tuple[int, int]], text: str, start: int, end: int) -> None:
    """Append ``text[start:end]`` without surrounding whitespace, unless nothing is left."""
    piece = text[start:end]
    left_stripped = piece.lstrip()
    if left_stripped:
        trimmed_start = start + len(piece) - len(left_stripped)
        spans.append((trimmed_start, trimmed_start + len(left_stripped.rstrip())))
