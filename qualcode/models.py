"""Plain data passed between readers, the layout detector, the segmenter and the store.

All offsets are zero-based, end-exclusive Unicode code points into the document's normalised
text (DESIGN.md section 3): for every span, ``text[start_char:end_char]`` is the spoken text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, NamedTuple

#: The largest integer SQLite stores: ids and counts above it are refused as usage errors
#: (``OverflowError`` otherwise).
MAX_ID = 2**63 - 1

Role = Literal["interviewer", "respondent"]
Unit = Literal["turn", "sentence", "paragraph"]
UNITS: tuple[Unit, ...] = ("turn", "sentence", "paragraph")


@dataclass(slots=True)
class Turn:
    """What one speaker said without interruption, or a header block before the first turn.

    ``start_char``/``end_char`` cover the spoken text only: a label such as ``采访者：`` or a
    timestamp stays in the document text but outside the span. Times are seconds.

    Not frozen, like :class:`Segment`: the layout detector builds two per turn of every
    transcript, and a frozen dataclass's ``__init__`` is slower by half. Treat turns as
    values: code that needs a changed turn builds a new one.
    """

    start_char: int
    end_char: int
    speaker: str | None = None
    role: Role | None = None
    start_time: float | None = None
    end_time: float | None = None
    is_header: bool = False


@dataclass(slots=True)
class ReadResult:
    """What a format reader hands to the importer.

    ``text`` is already normalised (str, ``\\n`` newlines, NFC, no BOM). ``turns`` is filled by
    readers of structured formats (subtitles, turn tables); for free text it is ``None`` and
    the layout detector finds the turns.
    """

    text: str
    encoding: str
    source_format: str
    turns: list[Turn] | None = None


@dataclass(slots=True)
class Segment:
    """A citable unit of a document: a turn, a sentence or a paragraph.

    Not frozen on purpose: a million of these are built per large import, and a frozen
    dataclass's ``__init__`` is about four times slower to run.
    """

    ordinal: int
    start_char: int
    end_char: int
    speaker: str | None = None
    role: Role | None = None
    start_time: float | None = None
    end_time: float | None = None


Scope = Literal["respondent", "all", "interviewer"]
SCOPES: tuple[Scope, ...] = ("respondent", "all", "interviewer")


@dataclass(frozen=True, slots=True)
class CodeRules:
    """The automatic-coding rules of one code, as read from a codebook.

    ``keywords`` are literals (Chinese matched on characters, English on whole words),
    ``exclude`` phrases veto a keyword hit they overlap, ``patterns`` are regular expressions,
    ``lemmas`` are English lemmas matched through spaCy's lookup table. ``scope`` says which
    turns count as evidence: ``respondent`` (default: everything but interviewer turns),
    ``all`` or ``interviewer``. ``prefixes`` are keywords open at the end (a dictionary's
    ``protect*``, stored without the ``*``): they match any word that starts with them.
    """

    code_id: str
    keywords: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    lemmas: tuple[str, ...] = ()
    scope: Scope = "respondent"
    prefixes: tuple[str, ...] = ()


class Match(NamedTuple):
    """One rule firing inside a text: offsets into the original (not normalised) text.

    A named tuple rather than a dataclass: an auto-coding run creates one per hit, millions
    per run, and a tuple is built about three times faster than a frozen dataclass.
    """

    code_id: str
    rule_kind: Literal["keyword", "pattern", "lemma"]
    rule: str
    start_char: int
    end_char: int
