"""Speaker labels: the grammar of a label at the start of a line, and the lexicon behind it.

:func:`split_speaker_label` reads one line. The layouts it knows, Chinese and English:

- ``Name: text`` and ``Name：text`` (full-width colon), ``Q:``/``A:``, ``问：``/``答：``;
- a timestamp, then a label: ``[00:00:01.750] 采访者：text``, ``00:01:02 Speaker 1: text``;
  or a label, then a timestamp: ``采访者 [00:00:05]：text``, ``Speaker 1 (0:03): text``;
- the same in Markdown bold: ``**采访者：**text``, ``**采访者**：text``, ``**[00:01] 采访者**``,
  also bold around the whole turn (``**采访者：text**``: the closing ``**`` stays outside);
- a label alone on its line, the text in the following line(s) or paragraph(s):
  ``采访者：``, ``**Jane Doe**``, ``[00:01] 采访者``;
- a speaker line with a time, the text on the following lines: ``说话人 1 00:00``,
  ``Jane Doe  12:34``;
- bracket labels: ``【访谈者】text``, ``[Interviewer] text``.

**Which label-like prefixes count.** Plenty of ordinary sentences start with ``words:``
("注意：", "我说：大家要戴口罩", "Note:", "10:30", "http://"). :func:`split_speaker_label`
first keeps only plausible labels: at most :data:`MAX_LABEL_CHARS` characters, at least one
letter, no sentence punctuation (。，；！？ and their ASCII forms, quotes, ``#*<>|/``...), not a
clock time (a digit on both sides of the colon), not a URL scheme (``http:`` followed by
``//``), not reported speech (a name ending in 说/表示/指出..., or "said"/"asked"...), and not a
word listed as metadata or as a remark opener (``关键词``, ``注意``, ``Note``...; data in
``qualcode/data/layout_words.yml``). Of those candidates, :func:`confirmed_speaker_labels`
keeps, looking at the whole transcript,

1. every label that is a role word (``qualcode/data/speaker_roles.yml``: 采访者, 受访者, Q,
   A, Interviewer...), even once: these words say they are labels;
2. a label with a timestamp whose speaker starts at least :data:`MIN_RECURRENCE` lines;
3. any other label whose speaker starts at least :data:`MIN_RECURRENCE` lines, provided the
   transcript is a conversation: at least two distinct speakers are role words or recur. A
   name that recurs alone ("小结：" twice in an essay) is not a dialogue.

A prefix seen once that is neither a role word nor part of a recurring conversation stays
text. The price is that a named speaker who speaks only once is not recognised (their line
joins the previous turn); that is rarer, and less harmful, than cutting a respondent's answer
at every "我的看法是：".

The lexicon (role words, metadata keys, words that are never speakers, question words) is
loaded once from the data files by :func:`lexicon`. :func:`candidate_labels` finds the labels
of many lines at once, with a cache of verdicts per line head (:func:`plain_label`), which the
fast path of :mod:`qualcode.text.turns` shares.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import operator
import re
from collections import Counter
from collections.abc import Callable
from importlib import resources
from typing import Any, NamedTuple, cast

from qualcode.models import Role

#: The longest speaker label, in code points ("社区党委书记王建国" is 9, "Interviewer (Jane)"
#: 18). A longer prefix before a colon is a sentence, not a label.
MAX_LABEL_CHARS = 20


#: How many lines a name label must start before it counts (see the module docstring).
MIN_RECURRENCE = 2


_SPACE = "[ \\t\\u3000]"
_BOLD = r"(?:\*\*|__)"
#: A clock time: ``mm:ss``, ``h:mm:ss``, with optional fractions (``.750`` or SRT's ``,750``).
CLOCK_TIME = r"\d{1,3}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?"
_CLOCK_TIME = re.compile(f"({CLOCK_TIME})")

#: Indentation, Markdown bold, and a timestamp (bracketed, or bare and followed by a space).
_PREFIX = re.compile(
    rf"\s*(?P<bold>{_BOLD})?{_SPACE}*"
    rf"(?:[\[(（【]{_SPACE}*(?P<time>{CLOCK_TIME}){_SPACE}*[\])）】]{_SPACE}*"
    rf"|(?P<bare_time>{CLOCK_TIME}){_SPACE}+)?"
    rf"(?P<bold_after_time>{_BOLD})?{_SPACE}*"
)
_BRACKET_LABEL = re.compile(
    rf"[【\[](?P<name>[^\]】\n]{{1,40}})[】\]]{_SPACE}*{_BOLD}?{_SPACE}*"
    rf"(?:[:：]{_SPACE}*{_BOLD}?)?{_SPACE}*"
)
#: What may follow the colon of a label before the spoken text: spaces and a closing ``**``.
_AFTER_COLON = re.compile(rf"{_SPACE}*{_BOLD}?{_SPACE}*")
_AFTER_COLON_STARTERS = frozenset(" \t\u3000*_")
#: The first characters a label prefix (indentation, bold, timestamp) can start with; any
#: other first character means there is no prefix, which skips a regular expression per line.
_PREFIX_STARTERS = frozenset(" \t\u3000*_[(（【0123456789")
#: How far into a line the colon of a label may be: the longest name plus bold and spaces.
_COLON_SCAN = 2 * MAX_LABEL_CHARS
#: How far into a line a label's mark (colon, bracket, bold) may be, timestamps included.
_HINT_SCAN = _COLON_SCAN + 24
#: The longest line ``说话人 1 00:00`` / ``Jane Doe  12:34`` can be: name, bold, spaces, time.
_TIMED_LINE_LIMIT = 72
#: The last character of such a line: the time's last digit, a closing bracket or bold.
_TIMED_LINE_ENDINGS = frozenset("0123456789])）*_")
_BARE_LABEL = re.compile(rf"(?P<name>[^:：\n*]{{1,40}}?){_SPACE}*(?P<close>{_BOLD})?\s*$")
_TIMED_NAME_LINE = re.compile(
    rf"\s*{_BOLD}?(?P<name>[^:：\n*]{{1,40}}?){_BOLD}?{_SPACE}+"
    rf"[\[(（]?(?P<time>{CLOCK_TIME})[\])）]?{_SPACE}*{_BOLD}?\s*$"
)
#: ``采访者 [00:00:05]：text``, ``Speaker 1 (0:03): text``: a name, a time, then a colon.
_NAME_TIME_COLON = re.compile(
    rf"\s*{_BOLD}?(?P<name>[^:：\n*\[(（【]{{1,40}}?)(?:{_SPACE}+[\[(（【]?|[\[(（【])"
    rf"(?P<time>{CLOCK_TIME})[\])）】]?{_SPACE}*{_BOLD}?{_SPACE}*[:：]"
    rf"{_SPACE}*{_BOLD}?{_SPACE}*"
)
#: Lines without any of these characters cannot hold a label: the fast path for long texts.
_LABEL_HINT = re.compile(r"[:：\]】*_]")
#: A line with a label has one of those characters within :data:`_HINT_SCAN` characters.
_LABEL_HINT_NEAR_START = re.compile(rf"[^:：\]】*_]{{0,{_HINT_SCAN - 1}}}+[:：\]】*_]")
#: The head of a line with a plain ``Name：`` label, the commonest layout: no indentation, bold
#: or timestamp first (the first character is not one of :data:`_PREFIX_STARTERS`), the first
#: colon within :data:`_COLON_SCAN` characters and not followed by ``//``, then what
#: :data:`_AFTER_COLON` takes. It always matches: the head is empty on any other line. Labels
#: recur, so the verdict on each distinct head is computed once (:func:`plain_label`).
_PLAIN_HEAD_PATTERN = (
    rf"(?![ \t\u3000*_\[(（【0-9])[^:：\n]{{1,{_COLON_SCAN}}}+[:：](?!//)"
    rf"{_SPACE}*+{_BOLD}?{_SPACE}*+"
)
_PLAIN_HEAD = re.compile(f"(?:{_PLAIN_HEAD_PATTERN})?")
#: Splits ``"\n" + text`` into the text before the first line with a plain head, then each
#: such head with the newline before it, and the text after it up to the next one.
PLAIN_HEAD_LINES = re.compile(f"(\n{_PLAIN_HEAD_PATTERN})")
#: A time stamp right after a label's colon (``采访者: [00:00:01.900] text``): bracketed, or a
#: bare ``h:mm:ss`` (a bare ``10:30`` after a colon is as likely something said as a stamp).
_STAMP_AFTER_COLON = (
    rf"(?:[\[(（【]{_SPACE}*(?P<stamp>{CLOCK_TIME}){_SPACE}*[\])）】]"
    rf"|(?P<bare_stamp>\d{{1,2}}:\d{{2}}:\d{{2}}(?:[.,]\d{{1,3}})?)(?![\d:]))"
)
_STAMP_AFTER_LABEL = re.compile(rf"{_STAMP_AFTER_COLON}{_SPACE}*")
#: The first characters of such a stamp: a cheap test before the regular expression.
_STAMP_STARTERS = frozenset("[(（【0123456789")
#: A label's colon and a stamp anywhere in a text (:func:`has_label_then_stamp`).
_LABEL_THEN_STAMP = re.compile(rf"[:：]{_SPACE}*{_STAMP_AFTER_COLON}")
#: A name (no sentence punctuation), its colon and a time stamp, inside a paragraph.
_RUN_TOGETHER_LABEL = re.compile(
    rf"(?P<name>[^:：。，,；;！!？?…、\]】）)\"“”\n]{{1,{MAX_LABEL_CHARS}}}){_SPACE}*[:：]{_SPACE}*"
    rf"{_STAMP_AFTER_COLON}{_SPACE}*"
)
#: Every clock time has this: a text without it has no stamp (a fast literal scan first).
_CLOCK_TIME_HINT = re.compile(r":\d\d")
#: A line that is nothing but a time stamp: ``00:01``, ``01:02:03.5``, ``[00:01]``, ``(00:01)``.
_STAMP_LINE = (
    rf"{_SPACE}*(?:[\[(（【]{_SPACE}*(?P<time>{CLOCK_TIME}){_SPACE}*[\])）】]"
    rf"|(?P<bare>{CLOCK_TIME})){_SPACE}*"
)
_STAMP_ONLY_LINE = re.compile(_STAMP_LINE)
#: A clock time with two-digit minutes or hours first (``00:05``), as recorders write them.
_PADDED_CLOCK = re.compile(r"\d\d:\d\d")
#: Whether a text has such a line, found from the newline before it (a fast literal scan).
_STAMP_LINE_AFTER_NEWLINE = re.compile(rf"\n{_STAMP_LINE}(?=\n|$)")
_BAD_NAME_CHARACTERS = frozenset('。，,；;！!？?、“”"《》#*<>|/\\=@&%$^~`{}')
_HAS_LETTER = re.compile(r"[^\W\d_]")
#: A numbering or note after a role word: "受访者1", "Respondent 2", "受访者（王）", "受访者A".
_ROLE_SUFFIX = re.compile(
    r"^(?P<base>.+?)(?:[\s_#-]*\d+|\s*[(（][^)）]*[)）]|[\s_-]+[A-Za-z]|(?<=[^\x00-\x7f])[A-Za-z])$"
)


#: Getters for ``map``: a part of every label or regular-expression match, in C.
_SPEAKER_OF = operator.attrgetter("speaker")
_LABEL_OF = operator.itemgetter(1)
_MATCHED_TEXT = cast(Callable[[re.Match[str] | None], str], operator.itemgetter(0))


class SpeakerLabel(NamedTuple):
    """A label found at the start of a line by :func:`split_speaker_label`.

    ``text_offset`` is where the spoken text starts in the line (the line's length when the
    text follows on the next lines); ``timed`` says a timestamp came with the label.
    """

    speaker: str
    start_time: float | None
    text_offset: int
    timed: bool


@dataclasses.dataclass(frozen=True)
class Lexicon:
    """The data files, loaded once: role words and the words that guard against false labels."""

    roles: dict[str, Role]
    metadata_keys: frozenset[str]
    transcript_headings: frozenset[str]
    not_speakers: frozenset[str]
    reporting_suffixes: tuple[str, ...]
    reporting_words: frozenset[str]
    question: re.Pattern[str]


def split_speaker_label(line: str) -> SpeakerLabel | None:
    """The speaker label at the start of ``line`` (one line, no ``\\n``), or ``None``.

    Purely about this line: whether the label counts also depends on the rest of the
    transcript (see the module docstring and :func:`detect_turns`).
    """
    if line[:1] not in _PREFIX_STARTERS:  # the common case, kept short: it runs on every line
        found = _colon_label(line, 0)
        if found is not None:
            return with_stamp_after(line, SpeakerLabel(found[0], None, found[1], False))
        return _label_with_time_after_name(line)
    if _LABEL_HINT.search(line, 0, _HINT_SCAN) is None:
        return None
    prefix = _PREFIX.match(line)
    assert prefix is not None  # every group in the prefix is optional
    time_text = prefix["time"] or prefix["bare_time"]
    position = prefix.end()
    label = _bracket_label(line, position) or _colon_label(line, position)
    if label is None and (time_text or prefix["bold"] or prefix["bold_after_time"]):
        label = _bare_label(line, position, needs_close=not time_text)
    if label is None:
        return None if time_text else _label_with_time_after_name(line)
    speaker, text_offset = label
    start_time = parse_clock_time(time_text) if time_text else None
    if time_text and start_time is None:
        return None
    return with_stamp_after(line, SpeakerLabel(speaker, start_time, text_offset, bool(time_text)))


def with_stamp_after(line: str, label: SpeakerLabel) -> SpeakerLabel:
    """``label``, with the time stamp that follows it in ``line`` taken as its start time.

    ``采访者: [00:00:01.900] 您好`` is the label ``采访者`` at 1.9 s, and the text starts at
    ``您好``. A bare ``mm:ss`` after the colon is text (``受访者：10:30 开会``, ``采访者：2:30``)
    unless it is all the line holds and written as a recorder writes it, with two-digit minutes
    (``采访者：00:05``): then it is the turn's time, so that no segment is only a time stamp. A
    label that has a time already keeps it (the stamp is then text).
    """
    offset = label.text_offset
    if label.start_time is not None or line[offset : offset + 1] not in _STAMP_STARTERS:
        return label
    match = _STAMP_AFTER_LABEL.match(line, offset)
    if match is None:
        whole = _STAMP_ONLY_LINE.fullmatch(line, offset)
        if whole is None or not _PADDED_CLOCK.match(whole["time"] or whole["bare"]):
            return label
        start_time = parse_clock_time(whole["time"] or whole["bare"])
        if start_time is None:
            return label
        return SpeakerLabel(label.speaker, start_time, len(line), True)
    start_time = parse_clock_time(match["stamp"] or match["bare_stamp"])
    if start_time is None:
        return label
    return SpeakerLabel(label.speaker, start_time, match.end(), True)


def run_together_labels(
    text: str, start: int, end: int, speakers: set[str]
) -> list[tuple[int, int, SpeakerLabel]]:
    """Labels with a time stamp inside ``text[start:end]``: ``(label start, text start, label)``.

    A label here is a role word (by the lexicon) or one of ``speakers`` (speaker keys), right
    before a colon and a time stamp (``受访者: [00:00:09.100]``). The longest such name that
    ends at the colon is taken, and a Latin name must start at a word boundary.
    """
    found: list[tuple[int, int, SpeakerLabel]] = []
    for match in _RUN_TOGETHER_LABEL.finditer(text, start, end):
        candidate = match["name"]
        for offset in range(len(candidate)):
            name = candidate[offset:].strip()
            if not name or (
                offset
                and candidate[offset - 1].isascii()
                and candidate[offset - 1].isalnum()
                and candidate[offset].isascii()
                and candidate[offset].isalnum()
            ):
                continue  # fmt: skip
            if role_for_label(name) is not None or speaker_key(name) in speakers:
                seconds = parse_clock_time(match["stamp"] or match["bare_stamp"])
                if seconds is not None:
                    label_start = match.start("name") + offset
                    label_start += len(candidate[offset:]) - len(candidate[offset:].lstrip())
                    found.append((label_start, match.end(), SpeakerLabel(name, seconds, 0, True)))
                break
    return found


def has_label_then_stamp(text: str) -> bool:
    """Whether a label's colon and a time stamp follow each other somewhere in ``text``."""
    return _CLOCK_TIME_HINT.search(text) is not None and _LABEL_THEN_STAMP.search(text) is not None


def recurring_stamped_names(text: str) -> set[str]:
    """Speaker keys of names that come before a colon and a time stamp at least
    :data:`MIN_RECURRENCE` times in ``text`` (``小周: [00:00:01.900] … 小周: [00:00:15] …``):
    speakers of a conversation run together in paragraphs, as a recurring timed label is."""
    counts = Counter(
        speaker_key(name)
        for match in _RUN_TOGETHER_LABEL.finditer(text)
        if _is_plausible_name(name := match["name"].strip())
    )
    return {key for key, count in counts.items() if count >= MIN_RECURRENCE}


def stamp_line_time(line: str) -> float | None:
    """The time of a line that is only a time stamp (``00:01``, ``[00:00:01]``), else ``None``."""
    match = _STAMP_ONLY_LINE.fullmatch(line)
    if match is None:
        return None
    return parse_clock_time(match["time"] or match["bare"])


def has_stamp_line(text: str) -> bool:
    """Whether some line of ``text`` is only a time stamp (see :func:`stamp_line_time`)."""
    if _CLOCK_TIME_HINT.search(text) is None:
        return False
    for match in _STAMP_LINE_AFTER_NEWLINE.finditer(text):
        if parse_clock_time(match["time"] or match["bare"]) is not None:
            return True
    return stamp_line_time(text.partition("\n")[0]) is not None


def parse_clock_time(value: str) -> float | None:
    """Seconds from ``h:mm:ss``, ``mm:ss`` (fractions after ``.`` or ``,``), else ``None``.

    Minutes and seconds must be below 60, so "3:75" is not a time.
    """
    if _CLOCK_TIME.fullmatch(value) is None:
        return None
    whole, _, fraction = value.replace(",", ".").partition(".")
    parts = [int(part) for part in whole.split(":")]
    if any(part >= 60 for part in parts[1:]):
        return None
    seconds = 0
    for part in parts:
        seconds = seconds * 60 + part
    return seconds + (float(f"0.{fraction}") if fraction else 0.0)


@functools.lru_cache(maxsize=4096)
def role_for_label(label: str) -> Role | None:
    """The role a label names by the lexicon ("采访者", "Respondent 2"), else ``None``."""
    roles = lexicon().roles
    key = speaker_key(label)
    if key in roles:
        return roles[key]
    numbered = _ROLE_SUFFIX.match(key)
    return roles.get(numbered["base"].strip()) if numbered else None


def confirmed_speaker_labels(
    candidates: list[tuple[int, SpeakerLabel]],
) -> list[tuple[int, SpeakerLabel]]:
    """The candidates that count as labels, by the three rules of the module docstring.

    ``candidates`` are ``(position, label)`` pairs from :func:`split_speaker_label` for every
    line of one transcript (or first line of every subtitle cue), in order.
    """
    keys = list(map(speaker_key, map(_SPEAKER_OF, map(_LABEL_OF, candidates))))
    counts = Counter(keys)
    role_words = {key for key in counts if role_for_label(key) is not None}
    if len(role_words) == len(counts):  # all role words, as in most transcripts: all count
        return list(candidates)
    recurring = {key for key, count in counts.items() if count >= MIN_RECURRENCE}
    conversation = len(role_words | recurring) >= 2
    return [
        candidate
        for key, candidate in zip(keys, candidates, strict=True)
        if key in role_words or (key in recurring and (conversation or candidate[1].timed))
    ]


def candidate_labels(lines: list[str]) -> list[tuple[int, SpeakerLabel]]:
    """``(index, split_speaker_label(line))`` for every line with a label, in order.

    The same labels as calling :func:`split_speaker_label` on each line, found faster: the
    plain head of each line (:data:`_PLAIN_HEAD`) is matched, and the verdict on it looked up
    in a cache, by ``map`` in C. Python rules run only on the lines without a plain label
    that have a label's mark (:data:`_LABEL_HINT`) near the start, as any label has.
    """
    heads = map(_MATCHED_TEXT, map(_PLAIN_HEAD.match, lines))
    verdicts: list[SpeakerLabel | Deferred | None] = list(map(plain_label, heads))
    if not all(verdicts):  # some deferred (false, like None)
        deferred = map(operator.not_, verdicts)
        marked = map(bool, map(_LABEL_HINT_NEAR_START.match, lines))
        for index in itertools.compress(range(len(verdicts)), map(operator.and_, deferred, marked)):
            verdict = verdicts[index]
            assert isinstance(verdict, Deferred)
            verdicts[index] = verdict.settle(lines[index])
    # A SpeakerLabel is a non-empty tuple, so true; None and unsettled verdicts are false.
    labels = cast(list[SpeakerLabel | None], verdicts)
    indexes = itertools.compress(range(len(labels)), labels)
    found = list(zip(indexes, filter(None, labels), strict=True))
    for position, (index, label) in enumerate(found):  # a stamp after the label's colon
        offset = label.text_offset
        if label.start_time is None and lines[index][offset : offset + 1] in _STAMP_STARTERS:
            found[position] = (index, with_stamp_after(lines[index], label))
    return found


class Deferred:
    """A verdict on a line's plain head that needs the rest of the line: see :meth:`settle`."""

    def __bool__(self) -> bool:
        """False, like ``None``: not a label yet, so ``all(verdicts)`` says all are labels."""
        return False

    def settle(self, line: str) -> SpeakerLabel | None:
        """``split_speaker_label(line)``, knowing what the verdict on the head says."""
        raise NotImplementedError


class _AnyLayout(Deferred):
    """No plain head: the line is tried against every layout, if it has a label mark at all."""

    def settle(self, line: str) -> SpeakerLabel | None:
        if _LABEL_HINT.search(line, 0, _HINT_SCAN) is None:
            return None
        return split_speaker_label(line)


class _TimeAfterName(Deferred):
    """A plain head that is no label: only ``Name 00:01`` or ``Name [00:01]：`` is left."""

    def settle(self, line: str) -> SpeakerLabel | None:
        return _label_with_time_after_name(line)


@dataclasses.dataclass(frozen=True, slots=True)
class _UnlessDigitFollows(Deferred):
    """``受访者1：`` is a label unless a digit follows the colon: ``1:30`` is a clock time."""

    label: SpeakerLabel

    def settle(self, line: str) -> SpeakerLabel | None:
        colon_end = self.label.text_offset
        if line[colon_end : colon_end + 1].isdigit():
            return _label_with_time_after_name(line)
        return self.label


_ANY_LAYOUT = _AnyLayout()
_TIME_AFTER_NAME = _TimeAfterName()


@functools.lru_cache(maxsize=4096)
def plain_label(head: str) -> SpeakerLabel | Deferred:
    """The verdict of :func:`split_speaker_label` on every line that starts with ``head``.

    ``head`` is a :data:`_PLAIN_HEAD` match. The rules of :func:`_colon_label` see no further
    than the head, except two: the colon must not be followed by ``//`` (the head's pattern
    excludes that) or, after a digit, by a digit (left to :class:`_UnlessDigitFollows`).
    """
    if not head:
        return _ANY_LAYOUT
    found = _colon_label(head, 0)
    if found is None:
        return _TIME_AFTER_NAME
    label = SpeakerLabel(found[0], None, found[1], False)
    if head[-1] in ":：" and head[-2].isdigit():
        return _UnlessDigitFollows(label)
    return label


def _bracket_label(line: str, position: int) -> tuple[str, int] | None:
    """``【访谈者】`` or ``[Interviewer]``, not a Markdown link ``[text](url)``."""
    match = _BRACKET_LABEL.match(line, position)
    if match is None or line[match.end() : match.end() + 1] in ("(", "["):
        return None
    name = match["name"].strip()
    if not _is_plausible_name(name) or _CLOCK_TIME.fullmatch(name):
        return None
    return name, match.end()


def _colon_label(line: str, position: int) -> tuple[str, int] | None:
    """``Name: text`` / ``Name：text``, not a clock time ("10:30") or a URL ("http://")."""
    found = _colon_name(line, position)
    if found is None:
        return None
    name, colon_at = found
    following = line[colon_at + 1 : colon_at + 3]
    if following[:1].isdigit() and line[colon_at - 1].isdigit():
        return None
    if following == "//" or not _is_plausible_name(name):
        return None
    if following[:1] not in _AFTER_COLON_STARTERS:
        return name, colon_at + 1
    after_colon = _AFTER_COLON.match(line, colon_at + 1)
    assert after_colon is not None  # everything in it is optional
    return name, after_colon.end()


def _colon_name(line: str, position: int) -> tuple[str, int] | None:
    """The text before the first colon near ``position`` (without bold), and the colon's index.

    Plain string searches rather than a regular expression: this runs on every line.
    """
    limit = position + _COLON_SCAN + 1
    half_width, full_width = line.find(":", position, limit), line.find("：", position, limit)
    if half_width < 0:
        colon = full_width
    else:
        colon = half_width if full_width < 0 else min(half_width, full_width)
    if colon <= position:
        return None
    name = line[position:colon].rstrip(" \t\u3000")
    return name.removesuffix("**").removesuffix("__").strip(), colon


def _bare_label(line: str, position: int, *, needs_close: bool) -> tuple[str, int] | None:
    """A label alone on its line after a timestamp or in bold: the text follows below."""
    match = _BARE_LABEL.match(line, position)
    if match is None or (needs_close and not match["close"]):
        return None
    name = match["name"].strip()
    return (name, len(line)) if _is_plausible_name(name) else None


def _label_with_time_after_name(line: str) -> SpeakerLabel | None:
    """``Jane Doe  12:34`` (the text below) or ``采访者 [00:00:05]：text``.

    Cheap tests first: both need a half-width colon near the start (the time's), and the
    first needs a short line ending like a time.
    """
    if line.find(":", 0, _HINT_SCAN) < 0:
        return None
    if len(line) <= _TIMED_LINE_LIMIT and line.rstrip()[-1:] in _TIMED_LINE_ENDINGS:
        label = _timed_name_line(line)
        if label is not None:
            return label
    match = _NAME_TIME_COLON.match(line)
    if match is None:
        return None
    name = match["name"].strip()
    start_time = parse_clock_time(match["time"])
    if start_time is None or not _is_plausible_name(name):
        return None
    return SpeakerLabel(name, start_time, match.end(), True)


def _timed_name_line(line: str) -> SpeakerLabel | None:
    """``说话人 1 00:00`` or ``Jane Doe  12:34``: a speaker and a time, the text below."""
    match = _TIMED_NAME_LINE.match(line)
    if match is None:
        return None
    name = match["name"].strip()
    start_time = parse_clock_time(match["time"])
    if start_time is None or not _is_plausible_name(name):
        return None
    return SpeakerLabel(name, start_time, len(line), timed=True)


@functools.lru_cache(maxsize=4096)
def _is_plausible_name(name: str) -> bool:
    """Short, with a letter, no sentence punctuation, and not a word that is never a speaker."""
    if not name or len(name) > MAX_LABEL_CHARS or _HAS_LETTER.search(name) is None:
        return False
    if any(character in _BAD_NAME_CHARACTERS for character in name):
        return False
    words = lexicon()
    key = speaker_key(name)
    if key in words.roles:
        return True
    if key in words.metadata_keys or key in words.not_speakers:
        return False
    if key.endswith(words.reporting_suffixes):
        return False
    return key.split()[-1] not in words.reporting_words


def is_metadata_line(line: str) -> bool:
    """``关键词：网格化`` or ``Date: 2020-03-01``: a header field, by ``layout_words.yml``."""
    prefix = _PREFIX.match(line)
    assert prefix is not None  # every group in the prefix is optional
    found = _colon_name(line, prefix.end())
    if found is None:
        return False
    field = found[0].lstrip("-*+>•· \t")  # a Markdown list item or quote: "- 日期：…"
    return speaker_key(field) in lexicon().metadata_keys


def heading_key(line: str) -> str | None:
    """The key of a line that is only a heading (``关键词：``, ``SUMMARY KEYWORDS``,
    ``**文字记录**``), a metadata key or a transcript heading, else ``None``."""
    if len(line) > 2 * MAX_LABEL_CHARS:
        return None
    key = speaker_key(line.strip(" \t\u3000#*_>-:："))
    words = lexicon()
    return key if key in words.metadata_keys or key in words.transcript_headings else None


def is_transcript_heading(line: str) -> bool:
    """``文字记录：`` or ``SPEAKERS``: a speech-recognition export's transcript starts below."""
    key = heading_key(line)
    return key is not None and key in lexicon().transcript_headings


@functools.lru_cache(maxsize=4096)
def speaker_key(speaker: str) -> str:
    """What makes two labels the same speaker: case (Latin) and spacing do not count."""
    return " ".join(speaker.split()).casefold()


@functools.cache
def lexicon() -> Lexicon:
    """Load ``speaker_roles.yml`` and ``layout_words.yml`` from the package, once."""
    role_words = _load_word_lists("speaker_roles.yml")
    words = _load_word_lists("layout_words.yml")
    roles: dict[str, Role] = {}
    role_names: tuple[Role, ...] = ("interviewer", "respondent")
    for role in role_names:
        for word in role_words[role]:
            roles[speaker_key(word)] = role
    endings = "|".join(re.escape(word) for word in words["question_endings"])
    openings = "|".join(
        rf"{re.escape(word)}\b" if word.isascii() else re.escape(word)
        for word in words["question_openings"]
    )
    question = rf"[?？]|(?:{endings})[\s。.!！…~～]*$|^\s*(?:{openings})"
    return Lexicon(
        roles=roles,
        metadata_keys=frozenset(speaker_key(word) for word in words["metadata_keys"]),
        transcript_headings=frozenset(speaker_key(word) for word in words["transcript_headings"]),
        not_speakers=frozenset(speaker_key(word) for word in words["not_speakers"]),
        reporting_suffixes=tuple(words["reporting_suffixes"]),
        reporting_words=frozenset(speaker_key(word) for word in words["reporting_words"]),
        question=re.compile(question, re.IGNORECASE),
    )


def _load_word_lists(file_name: str) -> dict[str, list[str]]:
    """A data file of named word lists; a malformed file is a packaging bug, hence ValueError.

    YAML is imported here, not at the top: listings that only read speaker labels (``docs
    list``) need no word lists."""
    import yaml

    raw = (resources.files("qualcode") / "data" / file_name).read_text(encoding="utf-8")
    loaded: Any = yaml.safe_load(raw)
    if not isinstance(loaded, dict) or not all(
        isinstance(words, list) and all(isinstance(word, str) for word in words)
        for words in loaded.values()
    ):
        raise ValueError(f"qualcode/data/{file_name} must map names to lists of words")
    return cast(dict[str, list[str]], loaded)
