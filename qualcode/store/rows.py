"""The rows the store hands to the layers above, as typed dictionaries.

Each one names the columns of one read (a view or a listing) and their Python types, so that
strict type checking follows a field from the SQL to the command that prints it. They are
plain ``dict`` objects at run time (``sqlite3.Row`` turned into a ``dict``), so JSON and CSV
writers take them as they are. Listings whose keys depend on the project (``cases list``
has one key per case attribute, ``quotes`` one per attribute and code level) stay
``dict[str, Any]``: a typed dictionary cannot name keys it does not know.
"""

from __future__ import annotations

import sqlite3
from typing import Any, TypedDict, TypeVar, cast

RowType = TypeVar("RowType")


def typed_row(row: sqlite3.Row, row_type: type[RowType]) -> RowType:
    """``row`` as a ``dict`` with the keys of ``row_type`` (the SELECT names them)."""
    return cast(RowType, dict(row))


class SegmentRow(TypedDict):
    """A row of ``segments_view`` (DESIGN.md section 3)."""

    segment_id: int
    document: str
    case_name: str
    ordinal: int
    speaker: str | None
    role: str | None
    start_char: int
    end_char: int
    start_time: float | None
    end_time: float | None
    text: str


class DocumentListing(TypedDict):
    """One document of ``qualcode docs list``."""

    document_id: int
    document: str
    case_name: str
    language: str
    encoding: str
    source_format: str
    unit: str
    segments: int
    characters: int
    content_hash: str
    imported_at: str


class DocumentRecord(TypedDict):
    """A document's fields and its full stored text (``qualcode docs show``)."""

    document_id: int
    document: str
    case_name: str
    content_hash: str
    encoding: str
    language: str
    source_format: str
    source_path: str | None
    unit: str
    imported_at: str
    text: str


class CodebookVersionRow(TypedDict):
    """One loaded codebook version."""

    version_id: int
    name: str
    version_label: str | None
    content_hash: str
    source_path: str | None
    loaded_at: str


class CodeRow(TypedDict):
    """A current code with its keyword count and its current codings by origin."""

    code_id: str
    parent_id: str | None
    theme_id: str
    depth: int
    name_zh: str | None
    name_en: str | None
    keywords: int | None
    manual: int
    auto: int


class SuggestionRow(TypedDict):
    """A suggestion with where it is and what it proposes (``SUGGESTION_FIELDS``)."""

    suggestion_id: int
    run_id: int
    segment_id: int
    document: str
    case_name: str
    speaker: str | None
    role: str | None
    code: str
    code_name: str
    rule_kind: str
    rule: str
    start_char: int
    end_char: int
    quote: str
    status: str
    decided_by: str | None
    decided_at: str | None
    coding_id: int | None


class MemoRow(TypedDict):
    """A row of the ``memos`` table."""

    memo_id: int
    target_kind: str
    target: str
    coder: str
    text: str
    created_at: str


class PreviousSegment(TypedDict):
    """The segment before another one in its document, as the review card shows it."""

    speaker: str | None
    role: str | None
    text: str


class SegmentCoding(TypedDict):
    """A current coding on a segment, as the review card shows it."""

    coding_id: int
    code: str
    code_name: str
    coder: str
    origin: str
    rule_kind: str | None
    rule: str | None
    quote: str
    #: The memo written with the coding, if any.
    memo: str | None


class SegmentMemo(TypedDict):
    """A memo on a segment, as the review card shows it."""

    memo_id: int
    coder: str
    text: str


class HistoryEntry(TypedDict):
    """One journal entry (``qualcode history``)."""

    entry_id: int
    created_at: str
    kind: str
    summary: str
    undone: bool
    undone_at: str | None


#: A whole ``codings`` row, every column, kept to be written back as it was (undo).
CodingsTableRow = dict[str, Any]
