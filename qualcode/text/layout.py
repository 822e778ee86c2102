"""Speaker turns in free text: who speaks where, from when, and on which side of the interview.

The importer calls ``assign_roles(detect_turns(text), text)`` on the stored text of every
free-text document (``.txt``, ``.md``, ``.docx``). Each :class:`~qualcode.models.Turn` covers
the spoken text only: labels (``采访者：``, ``【受访者】``, ``**[00:01] Jane**``) and timestamps
stay in the document text, outside the span, and ``text[start_char:end_char]`` is the spoken
text without surrounding whitespace.

Layouts recognised at the start of a line, Chinese and English:

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

A turn runs from its label to the next label line, across blank lines. Lines before the first
label (title, keywords, a list of who was interviewed, a date) are header turns
(``is_header=True``): kept in the text, but not evidence, so they give no segments. A header
is short (at most :data:`MAX_HEADER_LINES` non-blank lines and :data:`MAX_HEADER_CHARS`
characters); anything longer before the first label is unlabelled talk, split as below. Without
any label, each paragraph (blank-line separated; each line when the text has no blank lines)
is a turn with speaker ``None``, except leading lines of metadata fields (``关键词：…``,
``Date: …``), which are the header.

**Which label-like prefixes count.** Plenty of ordinary sentences start with ``words:``
("注意：", "我说：大家要戴口罩", "Note:", "10:30", "http://"). :func:`split_speaker_label`
first keeps only plausible labels: at most :data:`MAX_LABEL_CHARS` characters, at least one
letter, no sentence punctuation (。，；！？ and their ASCII forms, quotes, ``#*<>|/``...), not a
clock time (a digit on both sides of the colon), not a URL scheme (``http:`` followed by
``//``), not reported speech (a name ending in 说/表示/指出..., or "said"/"asked"...), and not a
word listed as metadata or as a remark opener (``关键词``, ``注意``, ``Note``...; data in
``qualcode/data/layout_words.yml``). Of those candidates, :func:`detect_turns` accepts

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

**Roles** come from the role lexicon (also for numbered labels such as ``受访者2`` or
``Respondent B``). When the labels are names, the speaker with the clearly largest share of
question turns is the interviewer and the other named speakers are respondents; see
:func:`assign_roles`.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import operator
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from importlib import resources
from typing import Any, NamedTuple, cast

import yaml

from qualcode.models import Role, Turn

#: The longest speaker label, in code points ("社区党委书记王建国" is 9, "Interviewer (Jane)"
#: 18). A longer prefix before a colon is a sentence, not a label.
MAX_LABEL_CHARS = 20
#: The largest header block before the first label: more non-blank lines or characters than
#: this, and what comes before the first label is unlabelled talk, not a header.
MAX_HEADER_LINES = 15
MAX_HEADER_CHARS = 1000
#: How many lines a name label must start before it counts (see the module docstring).
MIN_RECURRENCE = 2
#: With names as labels, the interviewer must have at least this share of question turns...
_MIN_QUESTION_SHARE = 0.5
#: ... and a share this much larger than any other speaker's, or no role is assigned.
_MIN_QUESTION_MARGIN = 0.3

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
#: recur, so the verdict on each distinct head is computed once (:func:`_plain_label`).
_PLAIN_HEAD_PATTERN = (
    rf"(?![ \t\u3000*_\[(（【0-9])[^:：\n]{{1,{_COLON_SCAN}}}+[:：](?!//)"
    rf"{_SPACE}*+{_BOLD}?{_SPACE}*+"
)
_PLAIN_HEAD = re.compile(f"(?:{_PLAIN_HEAD_PATTERN})?")
#: Splits ``"\n" + text`` into the text before the first line with a plain head, then each
#: such head with the newline before it, and the text after it up to the next one.
_PLAIN_HEAD_LINES = re.compile(f"(\n{_PLAIN_HEAD_PATTERN})")
_BAD_NAME_CHARACTERS = frozenset('。，,；;！!？?、“”"《》#*<>|/\\=@&%$^~`{}')
_HAS_LETTER = re.compile(r"[^\W\d_]")
#: A numbering or note after a role word: "受访者1", "Respondent 2", "受访者（王）", "受访者A".
_ROLE_SUFFIX = re.compile(
    r"^(?P<base>.+?)(?:[\s_#-]*\d+|\s*[(（][^)）]*[)）]|[\s_-]+[A-Za-z]|(?<=[^\x00-\x7f])[A-Za-z])$"
)


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
class _Lexicon:
    """The data files, loaded once: role words and the words that guard against false labels."""

    roles: dict[str, Role]
    metadata_keys: frozenset[str]
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
            return SpeakerLabel(found[0], None, found[1], False)
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
    return SpeakerLabel(speaker, start_time, text_offset, start_time is not None)


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
    roles = _lexicon().roles
    key = _speaker_key(label)
    if key in roles:
        return roles[key]
    numbered = _ROLE_SUFFIX.match(key)
    return roles.get(numbered["base"].strip()) if numbered else None


def detect_turns(text: str) -> list[Turn]:
    """The turns of a free-text transcript, in order, without roles (see the module docstring)."""
    plain = _plain_label_turns(text)
    return plain if plain is not None else _turns_line_by_line(text)


def _turns_line_by_line(text: str) -> list[Turn]:
    """:func:`detect_turns` for any text: every line tried for a label."""
    lines = text.split("\n")
    line_starts = _line_starts(lines)
    labels = confirmed_speaker_labels(_candidate_labels(lines))
    if not labels:
        return _unlabelled_turns(text, lines, line_starts)
    first_label = labels[0][0]
    turns = _header_turns(text, lines[:first_label], line_starts[:first_label])
    ends = [line_starts[index] for index, _label in labels[1:]]
    ends.append(len(text))
    starts = [line_starts[index] + label.text_offset for index, label in labels]
    pieces = [text[start:end] for start, end in zip(starts, ends, strict=True)]
    return turns + _spoken_turns(text, starts, pieces, list(map(_LABEL_OF, labels)))


def _plain_label_turns(text: str) -> list[Turn] | None:
    """What :func:`detect_turns` finds, if every label in ``text`` is a plain ``Name：``.

    The fast path for the commonest transcripts: one regular expression splits the text at
    the lines that start with a plain head (:data:`_PLAIN_HEAD`), so the text after each
    head up to the next one is the turn. ``None`` (take the general path) unless every such
    line from the first label on is a label that counts, with its text right after the head,
    and no other line holds a label.
    """
    # parts: the text before the first head, then each head (with the newline before it,
    # hence the one added for the first line) and the text after it.
    parts = _PLAIN_HEAD_LINES.split("\n" + text)
    heads, rests = parts[1::2], parts[2::2]
    verdicts: list[SpeakerLabel | _Deferred | None] = list(map(_plain_label_of_line, heads))
    # Settle the deferred verdicts (false, like None): first those before the first plain
    # label, as one of them may become the first label, then the others if there are any.
    first = next(itertools.compress(range(len(verdicts)), verdicts), len(verdicts))
    deferred: Iterable[int] = range(first)
    if not all(verdicts[first:]):
        deferred = itertools.compress(range(len(verdicts)), map(operator.not_, verdicts))
    for index in deferred:
        verdict = verdicts[index]
        if isinstance(verdict, _Deferred):
            label = verdict.settle(heads[index][1:] + rests[index].partition("\n")[0])
            if label is not None and label.text_offset != len(heads[index]) - 1:
                return None  # the text starts elsewhere in the line
            verdicts[index] = label
    first = next(itertools.compress(range(len(verdicts)), verdicts), len(verdicts))
    labels = cast(list[SpeakerLabel], verdicts[first:])
    if not labels or not all(labels) or not _all_count(labels):
        return None
    # The other lines: before the first head, and after the first line of each turn.
    if parts[0] and _candidate_labels(parts[0][1:].split("\n")):
        return None
    longer = itertools.compress(rests, map(operator.contains, rests, itertools.repeat("\n")))
    within = "\n".join(map(_AFTER_FIRST_LINE, map(_SPLIT_FIRST_LINE, longer)))
    if within and _candidate_labels(within.split("\n")):
        return None
    # Where each part ends in the text: the parts make up "\n" + text.
    part_ends = list(itertools.accumulate(map(len, parts), initial=-1))[1:]
    first_line_start = part_ends[2 * first] + 1
    header_lines = text[: first_line_start - 1].split("\n") if first_line_start else []
    turns = _header_turns(text, header_lines, _line_starts(header_lines))
    return turns + _spoken_turns(text, part_ends[2 * first + 1 :: 2], rests[first:], labels)


@functools.lru_cache(maxsize=4096)
def _plain_label_of_line(newline_and_head: str) -> SpeakerLabel | _Deferred:
    """:func:`_plain_label` of a head found with the newline before it."""
    return _plain_label(newline_and_head[1:])


def _all_count(labels: list[SpeakerLabel]) -> bool:
    """Whether :func:`confirmed_speaker_labels` keeps all of ``labels`` (of all lines)."""
    speakers = set(map(_SPEAKER_OF, labels))
    if all(role_for_label(_speaker_key(speaker)) is not None for speaker in speakers):
        return True
    candidates = list(enumerate(labels))
    return len(confirmed_speaker_labels(candidates)) == len(candidates)


def _header_turns(text: str, lines: list[str], line_starts: list[int]) -> list[Turn]:
    """The turns of the lines before the first label: a header, or unlabelled talk if long."""
    if _is_header_sized(lines):
        return _line_turns(text, lines, line_starts, range(len(lines)), is_header=True)
    return _unlabelled_turns(text, lines, line_starts)


def assign_roles(turns: list[Turn], text: str) -> list[Turn]:
    """The same turns with ``role`` set per speaker where it can be told.

    A role already on a turn (from a turn table's role column) is kept, and given to the
    speaker's other turns too. Otherwise a speaker whose label is a role word gets that role.
    The other named speakers: if some speaker is an interviewer (by role word or given role),
    they are respondents; if not, and there are at least two of them, the one with the
    clearly largest share of questions is the interviewer and the others respondents. A
    question is a turn containing ？ or ?, ending with a particle such as 吗 or 呢, or opening
    with a question word (both lists in ``layout_words.yml``); "clearly" means at least half
    of the speaker's turns, and a share 0.3 above anyone else's. An unclear signal leaves the
    role ``None``: a wrong role would silently skew every respondent-only analysis.
    """
    roles: dict[str, Role] = {}
    given_roles = list(map(_ROLE_OF, turns))
    any_given = given_roles.count(None) < len(given_roles)
    if any_given:
        for turn in turns:
            if turn.role is not None and turn.speaker is not None:
                roles.setdefault(_speaker_key(turn.speaker), turn.role)
    speakers = list(map(_SPEAKER_OF, turns))
    is_headers = list(map(_IS_HEADER_OF, turns))
    unknown: set[str] = set()
    for speaker in set(itertools.compress(speakers, map(operator.not_, is_headers))):
        if speaker is None or _speaker_key(speaker) in roles:
            continue
        role = role_for_label(speaker)
        if role is not None:
            roles[_speaker_key(speaker)] = role
        else:
            unknown.add(_speaker_key(speaker))
    unknown -= roles.keys()
    if unknown:
        roles.update(_roles_of_named_speakers(turns, text, unknown, roles))
    by_label = {
        speaker: roles.get(_speaker_key(speaker))
        for speaker in set(speakers)
        if speaker is not None
    }
    if not any(by_label.values()):
        return list(turns)
    if any_given:
        return [
            Turn(
                turn.start_char, turn.end_char, turn.speaker, by_label[turn.speaker],
                turn.start_time, turn.end_time, turn.is_header,
            )
            if turn.role is None and turn.speaker is not None and not turn.is_header
            else turn
            for turn in turns
        ]  # fmt: skip
    # No role given: every turn gets its speaker's role, except headers (which keep None).
    new_roles: list[Role | None] = list(map(by_label.get, speakers))
    for index in itertools.compress(range(len(turns)), is_headers):
        new_roles[index] = None
    return _new_turns(
        list(map(_START_CHAR_OF, turns)),
        list(map(_END_CHAR_OF, turns)),
        speakers,
        new_roles,
        list(map(_START_TIME_OF, turns)),
        list(map(_END_TIME_OF, turns)),
        is_headers,
    )


def _roles_of_named_speakers(
    turns: Sequence[Turn], text: str, names: set[str], known: dict[str, Role]
) -> dict[str, Role]:
    """Roles for speakers whose labels are names, by the rule in :func:`assign_roles`."""
    if "interviewer" in known.values():
        return dict.fromkeys(names, "respondent")
    interviewer = _clear_questioner(turns, text, names)
    if interviewer is None:
        return {}
    return {name: "interviewer" if name == interviewer else "respondent" for name in names}


def _clear_questioner(turns: Sequence[Turn], text: str, names: set[str]) -> str | None:
    """The speaker (key) among ``names`` who clearly asks most, or ``None``."""
    if len(names) < 2:
        return None
    question = _lexicon().question
    asked: Counter[str] = Counter()
    spoken: Counter[str] = Counter()
    for turn in turns:
        key = _speaker_key(turn.speaker) if turn.speaker is not None else None
        if key not in names or turn.is_header:
            continue
        assert key is not None
        spoken[key] += 1
        if question.search(text[turn.start_char : turn.end_char]):
            asked[key] += 1
    shares = sorted(((asked[key] / spoken[key], key) for key in spoken), reverse=True)
    if len(shares) < 2:
        return None
    (top_share, top), (second_share, _second) = shares[0], shares[1]
    if top_share >= _MIN_QUESTION_SHARE and top_share - second_share >= _MIN_QUESTION_MARGIN:
        return top
    return None


def confirmed_speaker_labels(
    candidates: list[tuple[int, SpeakerLabel]],
) -> list[tuple[int, SpeakerLabel]]:
    """The candidates that count as labels, by the three rules of the module docstring.

    ``candidates`` are ``(position, label)`` pairs from :func:`split_speaker_label` for every
    line of one transcript (or first line of every subtitle cue), in order.
    """
    keys = list(map(_speaker_key, map(_SPEAKER_OF, map(_LABEL_OF, candidates))))
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


def _candidate_labels(lines: list[str]) -> list[tuple[int, SpeakerLabel]]:
    """``(index, split_speaker_label(line))`` for every line with a label, in order.

    The same labels as calling :func:`split_speaker_label` on each line, found faster: the
    plain head of each line (:data:`_PLAIN_HEAD`) is matched, and the verdict on it looked up
    in a cache, by ``map`` in C. Python rules run only on the lines without a plain label
    that have a label's mark (:data:`_LABEL_HINT`) near the start, as any label has.
    """
    heads = map(_MATCHED_TEXT, map(_PLAIN_HEAD.match, lines))
    verdicts: list[SpeakerLabel | _Deferred | None] = list(map(_plain_label, heads))
    if not all(verdicts):  # some deferred (false, like None)
        deferred = map(operator.not_, verdicts)
        marked = map(bool, map(_LABEL_HINT_NEAR_START.match, lines))
        for index in itertools.compress(range(len(verdicts)), map(operator.and_, deferred, marked)):
            verdict = verdicts[index]
            assert isinstance(verdict, _Deferred)
            verdicts[index] = verdict.settle(lines[index])
    # A SpeakerLabel is a non-empty tuple, so true; None and unsettled verdicts are false.
    labels = cast(list[SpeakerLabel | None], verdicts)
    indexes = itertools.compress(range(len(labels)), labels)
    return list(zip(indexes, filter(None, labels), strict=True))


def _spoken_turns(
    text: str, starts: list[int], pieces: list[str], labels: list[SpeakerLabel]
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


class _Deferred:
    """A verdict on a line's plain head that needs the rest of the line: see :meth:`settle`."""

    def __bool__(self) -> bool:
        """False, like ``None``: not a label yet, so ``all(verdicts)`` says all are labels."""
        return False

    def settle(self, line: str) -> SpeakerLabel | None:
        """``split_speaker_label(line)``, knowing what the verdict on the head says."""
        raise NotImplementedError


class _AnyLayout(_Deferred):
    """No plain head: the line is tried against every layout, if it has a label mark at all."""

    def settle(self, line: str) -> SpeakerLabel | None:
        if _LABEL_HINT.search(line, 0, _HINT_SCAN) is None:
            return None
        return split_speaker_label(line)


class _TimeAfterName(_Deferred):
    """A plain head that is no label: only ``Name 00:01`` or ``Name [00:01]：`` is left."""

    def settle(self, line: str) -> SpeakerLabel | None:
        return _label_with_time_after_name(line)


@dataclasses.dataclass(frozen=True, slots=True)
class _UnlessDigitFollows(_Deferred):
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
def _plain_label(head: str) -> SpeakerLabel | _Deferred:
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
    lexicon = _lexicon()
    key = _speaker_key(name)
    if key in lexicon.roles:
        return True
    if key in lexicon.metadata_keys or key in lexicon.not_speakers:
        return False
    if key.endswith(lexicon.reporting_suffixes):
        return False
    return key.split()[-1] not in lexicon.reporting_words


def _is_header_sized(lines: list[str]) -> bool:
    """Whether the lines before the first label are short enough to be a header block.

    A title, keywords, a date and who was interviewed take a few lines. Pages of text before
    the first label are talk that was not labelled (or a label-like line deep inside an
    unlabelled text), and must not vanish from the evidence as a "header".
    """
    non_blank = [line for line in lines if line.strip()]
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
        in_header = in_header and all(_is_metadata_line(lines[i]) for i in range(first, last + 1))
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


def _is_metadata_line(line: str) -> bool:
    """``关键词：网格化`` or ``Date: 2020-03-01``: a header field, by ``layout_words.yml``."""
    prefix = _PREFIX.match(line)
    assert prefix is not None  # every group in the prefix is optional
    found = _colon_name(line, prefix.end())
    if found is None:
        return False
    field = found[0].lstrip("-*+>•· \t")  # a Markdown list item or quote: "- 日期：…"
    return _speaker_key(field) in _lexicon().metadata_keys


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
_START_CHAR_OF = operator.attrgetter("start_char")
_END_CHAR_OF = operator.attrgetter("end_char")
_SPEAKER_OF = operator.attrgetter("speaker")
_ROLE_OF = operator.attrgetter("role")
_START_TIME_OF = operator.attrgetter("start_time")
_END_TIME_OF = operator.attrgetter("end_time")
_IS_HEADER_OF = operator.attrgetter("is_header")
_LABEL_OF = operator.itemgetter(1)
_MATCHED_TEXT = cast(Callable[[re.Match[str] | None], str], operator.itemgetter(0))
_SPLIT_FIRST_LINE = operator.methodcaller("partition", "\n")
_AFTER_FIRST_LINE = operator.itemgetter(2)


@functools.lru_cache(maxsize=4096)
def _speaker_key(speaker: str) -> str:
    """What makes two labels the same speaker: case (Latin) and spacing do not count."""
    return " ".join(speaker.split()).casefold()


@functools.cache
def _lexicon() -> _Lexicon:
    """Load ``speaker_roles.yml`` and ``layout_words.yml`` from the package, once."""
    role_words = _load_word_lists("speaker_roles.yml")
    words = _load_word_lists("layout_words.yml")
    roles: dict[str, Role] = {}
    role_names: tuple[Role, ...] = ("interviewer", "respondent")
    for role in role_names:
        for word in role_words[role]:
            roles[_speaker_key(word)] = role
    endings = "|".join(re.escape(word) for word in words["question_endings"])
    openings = "|".join(
        rf"{re.escape(word)}\b" if word.isascii() else re.escape(word)
        for word in words["question_openings"]
    )
    question = rf"[?？]|(?:{endings})[\s。.!！…~～]*$|^\s*(?:{openings})"
    return _Lexicon(
        roles=roles,
        metadata_keys=frozenset(_speaker_key(word) for word in words["metadata_keys"]),
        not_speakers=frozenset(_speaker_key(word) for word in words["not_speakers"]),
        reporting_suffixes=tuple(words["reporting_suffixes"]),
        reporting_words=frozenset(_speaker_key(word) for word in words["reporting_words"]),
        question=re.compile(question, re.IGNORECASE),
    )


def _load_word_lists(file_name: str) -> dict[str, list[str]]:
    """A data file of named word lists; a malformed file is a packaging bug, hence ValueError."""
    raw = (resources.files("qualcode") / "data" / file_name).read_text(encoding="utf-8")
    loaded: Any = yaml.safe_load(raw)
    if not isinstance(loaded, dict) or not all(
        isinstance(words, list) and all(isinstance(word, str) for word in words)
        for words in loaded.values()
    ):
        raise ValueError(f"qualcode/data/{file_name} must map names to lists of words")
    return cast(dict[str, list[str]], loaded)
