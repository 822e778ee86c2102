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

#: The consensus coder's name when ``qualcode adjudicate`` is given none (``--as``).
DEFAULT_CONSENSUS = "consensus"

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
    the layout detector finds the turns. ``controls_removed`` counts the control characters and
    terminal escape sequences taken out of the text (see
    :func:`qualcode.importing.readers.read_file`).
    """

    text: str
    encoding: str
    source_format: str
    turns: list[Turn] | None = None
    controls_removed: int = 0


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


ProximityKind = Literal["all_of", "near"]
RuleKind = Literal["keyword", "pattern", "lemma", "all_of", "near"]

#: How far apart (in characters) the two terms of a ``near`` pair may be when the codebook
#: does not say.
NEAR_WITHIN = 10


@dataclass(frozen=True, slots=True)
class Proximity:
    """A rule that fires when all its terms occur together.

    ``all_of``: every term in the same sentence (``within`` None) or, with ``within``, in a
    stretch where the characters between the terms add up to at most ``within``. ``near``: a
    pair of terms at most ``within`` characters apart (default :data:`NEAR_WITHIN`). Terms
    are matched like keywords (normalised, whole words for Latin letters), in any order.
    """

    kind: ProximityKind
    terms: tuple[str, ...]
    within: int | None = None

    def describe(self) -> str:
        """The rule as a coding's provenance shows it: ``人手 + 不够`` or ``a + b (within 20)``."""
        joined = " + ".join(self.terms)
        return joined if self.within is None else f"{joined} (within {self.within})"


@dataclass(frozen=True, slots=True)
class CodeRules:
    """The automatic-coding rules of one code, as read from a codebook.

    ``keywords`` are literals (Chinese matched on characters, English on whole words),
    ``exclude`` phrases veto a keyword hit they overlap, ``patterns`` are regular expressions,
    ``lemmas`` are English lemmas matched through spaCy's lookup table, ``proximity`` the
    ``all_of`` and ``near`` rules (:class:`Proximity`). ``scope`` says which turns count as
    evidence: ``respondent`` (default: everything but interviewer turns), ``all`` or
    ``interviewer``. ``prefixes`` are keywords open at the end (a dictionary's ``protect*``,
    stored without the ``*``): they match any word that starts with them.
    """

    code_id: str
    keywords: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    lemmas: tuple[str, ...] = ()
    scope: Scope = "respondent"
    prefixes: tuple[str, ...] = ()
    proximity: tuple[Proximity, ...] = ()


class Match(NamedTuple):
    """One rule firing inside a text: offsets into the original (not normalised) text.

    A named tuple rather than a dataclass: an auto-coding run creates one per hit, millions
    per run, and a tuple is built about three times faster than a frozen dataclass.
    ``spans`` is empty except for proximity rules: there it holds each term's span, and
    ``start_char``/``end_char`` run from the first term's start to the last term's end.
    """

    code_id: str
    rule_kind: RuleKind
    rule: str
    start_char: int
    end_char: int
    spans: tuple[tuple[int, int], ...] = ()
