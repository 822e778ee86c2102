"""Theme matrices: cases (or values of a case attribute) x themes (or codes), with totals.

:func:`build_matrix` computes a :class:`Matrix` from the codings that pass the options'
:class:`~qualcode.analysis.query.CodingFilter` (the one query layer, so every output format
shows the same numbers). Renderers (terminal table, CSV, XLSX, Markdown, JSON, heatmap, HTML)
take the :class:`Matrix` as it is and never recompute anything.

Decisions, so that a researcher can predict every number:

- **Rows.** ``by="case"``: every case of the project (or those in ``filters.cases``), in the
  order they were created (a cases CSV's row order). ``by=<attribute>``: one row per distinct
  value of that case attribute among those cases, numbers first in numeric order, then text;
  cases without the attribute form a last row labelled :data:`MISSING_LABEL`. Every segment
  belongs to exactly one document, case and row, so rows never overlap.
- **Columns.** ``level="theme"`` (default): the top-level themes, in codebook order. A theme
  column counts codings of the theme and of every code below it. ``level="code"``: every code
  below the themes, in codebook order, each column again including its own sub-codes (so a
  parent's column contains its children's codings); ``depth=N`` keeps the codes at depth N
  (1 = the codes directly under the themes), so that no column contains another.
  A code-level matrix is complete: every coding counts in some column, so a row's total is
  the same at every level and depth. A code shallower than the chosen depth that has no
  sub-codes (a theme without sub-codes, such as the demo's smart governance) is a column of
  its own; where codings sit on a code that has sub-codes but is shallower than the columns
  (a coding of the theme ``grid`` itself), a column ``grid (itself)`` labelled "(theme
  itself)" (or "(code itself)") holds them. That column exists when any current coding, by
  anyone, sits there, so matrices of different coders have the same columns. Codings of a
  retired code count where its nearest current ancestor's own codings count.
  ``filters.codes`` keeps only the columns that the selected codes fall in.
- **Empty rows and columns are kept** (all zeros), so that absence is visible.
- **Population.** Every measure counts respondent turns only (every segment not marked
  ``interviewer``): a question is not evidence. ``all_speakers=True`` counts every turn. The
  same population is the numerator's and the denominator's, so ``segments``, ``percent``,
  ``coverage`` and ``respondents`` agree on what they count. :data:`BASES` says each
  measure's numerator and denominator; the JSON output carries both.
- **Measures** (a cell is one row x one column):

  ``segments`` (default) distinct segments with at least one coding in the column;
  ``count`` codings; ``presence`` 1 if the cell has any coded segment, else 0;
  ``percent`` coded segments as a percentage of the row's segments (so at most 100);
  ``coverage`` coded characters (overlapping spans counted once) as a percentage of the
  characters of the row's segments (headers and text between turns are in no segment and in
  no base); ``respondents`` distinct documents (one interview is one respondent) with a
  coded segment. ``percent`` and ``coverage`` are rounded to one decimal; the others are
  integers.
- **Totals.** A row total is the measure over the union of the row's columns (a segment coded
  under two themes counts once, so a row total can be less than the sum of its cells). A
  column total is the measure over all rows, which for counting measures equals the sum of
  the column because rows never overlap. For ``presence`` the totals count the cells that are
  1 (how many themes a case mentions, how many cases mention a theme). ``grand_total`` is the
  measure over the whole table (for presence: the number of cells that are 1).
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from itertools import repeat
from typing import Any, Literal

from qualcode.analysis.query import (
    CodingFilter,
    QuoteCoding,
    all_code_ids,
    attribute_names,
    case_attribute_values,
    case_ids,
    case_names,
    cell_quotes,
    characters_per_case,
    coded_code_ids,
    coding_chunks,
    coverage_spans,
    document_cases,
    documents_per_case,
    expand_codes,
    largest_segment_id,
    policy_fields,
    segment_chunks,
    segments_per_case,
    unknown_grouping,
)
from qualcode.codebook.model import Code, Language
from qualcode.errors import UsageError
from qualcode.store.codebooks import current_codebook
from qualcode.store.project import Project

Measure = Literal["segments", "count", "presence", "percent", "coverage", "respondents"]
MEASURES: tuple[Measure, ...] = (
    "segments", "count", "presence", "percent", "coverage", "respondents",
)  # fmt: skip
Level = Literal["theme", "code"]
LEVELS: tuple[Level, ...] = ("theme", "code")
#: Row label of the cases that do not have the ``by`` attribute.
MISSING_LABEL = "(none)"
#: Added to a code id for the column of the codings on that code itself (not its sub-codes).
ITSELF_SUFFIX = " (itself)"
#: Per measure: (numerator, denominator), in words, for --help, captions and the JSON output.
#: "segments" means segments of the population: respondent turns unless all speakers count.
BASES: dict[Measure, tuple[str, str]] = {
    "segments": ("distinct coded segments", "segments"),
    "count": ("codings", "segments"),
    "presence": ("1 if any segment is coded, else 0", "segments"),
    "percent": ("distinct coded segments", "segments"),
    "coverage": ("coded characters, overlaps once", "characters in segments"),
    "respondents": ("documents with a coded segment", "documents"),
}

Number = int | float


@dataclass(frozen=True)
class MatrixOptions:
    """What :func:`build_matrix` computes; see the module docstring for the semantics."""

    by: str = "case"
    level: Level = "theme"
    depth: int | None = None
    measure: Measure = "segments"
    filters: CodingFilter = field(default_factory=CodingFilter)
    #: Up to this many representative quotes per cell (0: none).
    quotes: int = 0
    #: Language of the column labels (code names); the other is the fallback.
    language: Language = "zh"
    #: Count interviewer turns too (default: respondent turns only, numerator and base).
    all_speakers: bool = False

    def __post_init__(self) -> None:
        if self.measure not in MEASURES:
            raise UsageError(f"unknown measure {self.measure!r}: use {', '.join(MEASURES)}")
        if self.level not in LEVELS:
            raise UsageError(f"unknown level {self.level!r}: use theme or code")
        if self.depth is not None and self.depth < 0:
            raise UsageError("depth must be 0 (themes) or more")
        if self.quotes < 0:
            raise UsageError("the number of quotes per cell cannot be negative")


@dataclass(frozen=True)
class QuoteRow:
    """One representative quote of a matrix cell: a whole coded segment."""

    segment_id: int
    document: str
    case_name: str
    speaker: str | None
    role: str | None
    text: str
    #: The segment's start in its document (a coding's span in ``text`` starts at
    #: ``coding["start_char"] - segment_start``).
    segment_start: int = 0
    #: The codings that put the segment in the cell: code, coder, origin, rule, span, memo.
    codings: tuple[QuoteCoding, ...] = ()

    def spans(self) -> list[tuple[int, int]]:
        """The coded spans as offsets into ``text``, sorted, overlapping ones merged."""
        merged: list[tuple[int, int]] = []
        for start, end in sorted(
            (coding["start_char"] - self.segment_start, coding["end_char"] - self.segment_start)
            for coding in self.codings
        ):
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], end))
            else:
                merged.append((start, end))
        return merged

    def as_dict(self) -> dict[str, Any]:
        return {
            "segment_id": self.segment_id,
            "document": self.document,
            "case_name": self.case_name,
            "speaker": self.speaker,
            "role": self.role,
            "text": self.text,
            "codings": [dict(coding) for coding in self.codings],
        }


@dataclass(frozen=True)
class Matrix:
    """A finished theme matrix: labels, cell values, totals and optional quotes.

    Index conventions: ``cells[i][j]`` is row ``i`` x column ``j``; every per-row list has
    ``len(row_labels)`` entries and every per-column list ``len(column_ids)``.

    Attributes:
        measure: which measure the numbers are (see the module docstring).
        by: ``"case"`` or the case attribute the rows group by.
        level: ``"theme"`` or ``"code"``; ``depth`` the code depth when one was chosen.
        row_labels: case names, or attribute values as text (:data:`MISSING_LABEL` for cases
            without the attribute).
        row_cases: for each row, the names of the cases in it (one name when ``by="case"``).
        column_ids: full dotted code ids (``grid``, ``grid.checkpoints``) in codebook order.
        column_labels: display names of those codes (in ``language``, else the other, else id).
        cells: the values; ``int`` for segments/count/presence/respondents, ``float`` rounded
            to one decimal for percent/coverage. Empty rows and columns are all zeros.
        row_totals, column_totals, grand_total: see "Totals" in the module docstring.
        row_bases: the denominators of the measure (:data:`BASES`): the row's segments in the
            population, its characters in segments for ``coverage``, its documents for
            ``respondents``. Useful as an "N" column.
        quotes: ``{(i, j): [QuoteRow, ...]}`` for cells with quotes when ``options.quotes``
            was set: up to that many distinct coded segments per cell, respondent turns first,
            then in document order. Cells without quotes have no key.
        options: the options the matrix was built with (filters included).
        codebook_name: the name of the codebook the columns come from.
    """

    measure: Measure
    by: str
    level: Level
    depth: int | None
    row_labels: list[str]
    row_cases: list[list[str]]
    column_ids: list[str]
    column_labels: list[str]
    cells: list[list[Number]]
    row_totals: list[Number]
    column_totals: list[Number]
    grand_total: Number
    row_bases: list[int]
    quotes: dict[tuple[int, int], list[QuoteRow]]
    options: MatrixOptions
    codebook_name: str
    #: The numerator behind each cell (``numerators[i][j]``): equal to the cell for the
    #: counting measures, the coded segments or characters for percent and coverage.
    numerators: list[list[int]] = field(default_factory=list)

    @property
    def population(self) -> str:
        """Which turns count: ``respondent turns`` (default) or ``all turns``."""
        return "all turns" if self.options.all_speakers else "respondent turns"

    @property
    def max_cell(self) -> Number:
        """The largest cell value (0 for an empty matrix): the top of a colour scale."""
        return max((value for row in self.cells for value in row), default=0)

    def records(self) -> list[dict[str, Any]]:
        """One dict per row: ``row`` label, one key per column id, then ``total``.

        The shape of the CSV, Markdown and terminal table bodies (without the totals row).
        """
        return [
            {"row": label, **dict(zip(self.column_ids, values, strict=True)), "total": total}
            for label, values, total in zip(
                self.row_labels, self.cells, self.row_totals, strict=True
            )
        ]

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready description of the whole matrix (the ``--format json`` output)."""
        return {
            "measure": self.measure,
            "by": self.by,
            "level": self.level,
            "depth": self.depth,
            "codebook": self.codebook_name,
            "population": self.population,
            "numerator": BASES[self.measure][0],
            "denominator": BASES[self.measure][1],
            "policy": policy_fields(self.options.filters),
            "filters": {
                "codes": list(self.options.filters.codes),
                "cases": list(self.options.filters.cases),
            },
            "columns": [
                {"id": code_id, "label": label, "total": total}
                for code_id, label, total in zip(
                    self.column_ids, self.column_labels, self.column_totals, strict=True
                )
            ],
            "rows": [
                {
                    "label": label,
                    "cases": cases,
                    "base": base,
                    "numerators": self.numerators[row_index] if self.numerators else [],
                    "cells": values,
                    "total": total,
                    "quotes": {
                        self.column_ids[j]: [quote.as_dict() for quote in quotes]
                        for (i, j), quotes in sorted(self.quotes.items())
                        if i == row_index
                    },
                }
                for row_index, (label, cases, base, values, total) in enumerate(
                    zip(
                        self.row_labels,
                        self.row_cases,
                        self.row_bases,
                        self.cells,
                        self.row_totals,
                        strict=True,
                    )
                )
            ],
            "grand_total": self.grand_total,
        }


# --------------------------------------------------------------------------------------------
# Rows and columns


def _sort_key(value: Any) -> tuple[int, float, str]:
    if isinstance(value, int | float):
        return (0, float(value), "")
    return (1, 0.0, str(value))


def _label(value: Any) -> str:
    return str(value)


def _rows(
    project: Project, options: MatrixOptions
) -> tuple[list[str], list[list[int]], dict[int, str]]:
    """Row labels, the case ids in each row, and ``{case_id: case_name}``."""
    conn = project.conn
    names = case_names(conn)
    if options.filters.cases:
        chosen = set(case_ids(conn, options.filters.cases))
        ordered = [case_id for case_id in sorted(names) if case_id in chosen]
    else:
        ordered = sorted(names)
    if options.by == "case":
        return [names[case_id] for case_id in ordered], [[case_id] for case_id in ordered], names
    known = attribute_names(conn)
    if options.by not in known:
        raise unknown_grouping(options.by, ["case", *known])
    values = case_attribute_values(conn)
    groups: dict[Any, list[int]] = defaultdict(list)
    missing: list[int] = []
    for case_id in ordered:
        own = values.get(case_id, {})
        if options.by in own and own[options.by] is not None:
            groups[own[options.by]].append(case_id)
        else:
            missing.append(case_id)
    keys = sorted(groups, key=_sort_key)
    labels = [_label(key) for key in keys]
    members = [groups[key] for key in keys]
    if missing:
        labels.append(MISSING_LABEL)
        members.append(missing)
    return labels, members, names


@dataclass(frozen=True)
class Column:
    """One matrix (or co-occurrence) column: a code with everything below it, or with
    ``itself`` only the codings on the code itself (its sub-codes have columns of their own)."""

    code: Code
    itself: bool = False

    @property
    def column_id(self) -> str:
        """The code id, or for an "itself" column the code id and :data:`ITSELF_SUFFIX`."""
        return self.code.code_id + ITSELF_SUFFIX if self.itself else self.code.code_id

    @property
    def depth(self) -> int:
        return self.code.depth

    def label(self, language: Language) -> str:
        """The code's name; an "itself" column adds "(theme itself)" or "(code itself)"."""
        name = self.code.display_name(language)
        if not self.itself:
            return name
        return f"{name} ({'theme' if self.code.is_theme else 'code'} itself)"


def _nearest_current(code_id: str, current: set[str]) -> str | None:
    """``code_id`` if it is a current code, else its nearest current ancestor (or None)."""
    parts = code_id.split(".")
    for length in range(len(parts), 0, -1):
        candidate = ".".join(parts[:length])
        if candidate in current:
            return candidate
    return None


def select_columns(
    project: Project, level: Level, depth: int | None, codes: tuple[str, ...] = ()
) -> tuple[list[Column], list[tuple[str, int]]]:
    """The columns for ``level``/``depth`` (see the module docstring), in codebook order,
    and the ``(code_id, column)`` pairs that map every code (retired ones too) to the columns
    it counts in. ``codes`` (a filter) keeps the columns the selected codes fall in.
    """
    codebook = current_codebook(project)
    conn = project.conn
    parents = {code.parent_id for code in codebook if code.parent_id is not None}
    if level == "theme" or depth == 0:
        columns = [Column(code) for code in codebook.themes()]
    else:
        # A column per code at the depth (every code below the themes without a depth), and
        # per shallower code without sub-codes: together they hold every coding but those on
        # shallower codes with sub-codes, which go to "itself" columns below.
        columns = [
            Column(code)
            for code in codebook
            if (code.depth == depth if depth is not None else not code.is_theme)
            or (code.code_id not in parents and code.depth < (depth or 1))
        ]
    all_codes = all_code_ids(conn)
    pairs = [
        (code_id, index)
        for index, column in enumerate(columns)
        for code_id in all_codes
        if code_id == column.code.code_id or code_id.startswith(column.code.code_id + ".")
    ]
    if level == "code" and depth != 0:
        columns, pairs = _with_itself_columns(conn, codebook.codes, columns, pairs)
    if codes:
        selected = set(expand_codes(conn, codes))
        kept = [
            index
            for index, column in enumerate(columns)
            if any(
                chosen == column.code.code_id
                or column.code.code_id.startswith(chosen + ".")
                or (not column.itself and chosen.startswith(column.code.code_id + "."))
                for chosen in selected
            )
        ]
        renumber = {old: new for new, old in enumerate(kept)}
        columns = [columns[index] for index in kept]
        pairs = [(code_id, renumber[index]) for code_id, index in pairs if index in renumber]
    return columns, pairs


def _with_itself_columns(
    conn: sqlite3.Connection,
    codebook_codes: Sequence[Code],
    columns: list[Column],
    pairs: list[tuple[str, int]],
) -> tuple[list[Column], list[tuple[str, int]]]:
    """Add an "itself" column for every code whose own codings (or a retired sub-code's) no
    column holds yet, in codebook order, and renumber the pairs to match."""
    covered = {code_id for code_id, _ in pairs}
    by_id = {code.code_id: code for code in codebook_codes}
    owners: dict[str, list[str]] = defaultdict(list)
    for code_id in coded_code_ids(conn) - covered:
        owner = _nearest_current(code_id, set(by_id))
        if owner is not None:  # a retired theme's codings count in no column, at any level
            owners[owner].append(code_id)
    if not owners:
        return columns, pairs
    position = {code_id: index for index, code_id in enumerate(by_id)}
    # (codebook position, itself first, old index or -1, column), sorted: an "itself" column
    # comes just before the sub-codes of its code.
    merged = sorted(
        [(position[column.code.code_id], 1, index, column) for index, column in enumerate(columns)]
        + [(position[owner], 0, -1, Column(by_id[owner], itself=True)) for owner in owners],
        key=lambda entry: (entry[0], entry[1], entry[2]),
    )
    renumber = {old: new for new, (_, _, old, _) in enumerate(merged) if old >= 0}
    new_pairs = [(code_id, renumber[index]) for code_id, index in pairs]
    for new, (_, _, old, column) in enumerate(merged):
        if old < 0:
            new_pairs += [(code_id, new) for code_id in sorted(owners[column.code.code_id])]
    return [column for _, _, _, column in merged], new_pairs


# --------------------------------------------------------------------------------------------
# Counting


@dataclass
class _Tally:
    """Numerators of one cell or one row total."""

    segments: int = 0
    codings: int = 0
    documents: int = 0
    characters: int = 0


def _layers(columns: list[Column], pairs: list[tuple[str, int]]) -> list[dict[str, int]]:
    """``code_id -> column`` maps in which each code counts in at most one column: columns
    are packed, shallowest first, into the first layer where none of their codes is mapped
    yet (columns of one depth never share a code, and "itself" columns share none with
    anything), so most matrices need one layer, a nested code-level one one per depth."""
    codes_of: dict[int, list[str]] = defaultdict(list)
    for code_id, column in pairs:
        codes_of[column].append(code_id)
    layers: list[dict[str, int]] = []
    for column in sorted(codes_of, key=lambda index: (columns[index].depth, index)):
        mine = codes_of[column]
        for layer in layers:
            if not any(code_id in layer for code_id in mine):
                break
        else:
            layer = {}
            layers.append(layer)
        layer.update(dict.fromkeys(mine, column))
    return layers


def _tallies(
    project: Project,
    options: MatrixOptions,
    case_rows: dict[int, int],
    row_count: int,
    layers: list[dict[str, int]],
    column_count: int,
) -> tuple[dict[tuple[int, int], _Tally], dict[int, _Tally]]:
    """Numerators per cell and per row, counted in bulk from the query layer's chunks.

    Cells are numbered ``row * width + column`` with one extra row and column that collect
    codings outside the table (other cases, codes outside the columns) and are dropped at the
    end. A unit (segment, or document for ``respondents``) counts once per cell: the distinct
    keys ``unit * width + column``. Everything is counted in numpy arrays (a few bytes per
    segment and per distinct key, read a chunk at a time), so memory stays flat in the size
    of the project where Python dicts and sets of a few million ints took hundreds of MB.
    """
    import numpy as np

    conn = project.conn
    filters = options.filters
    width = column_count + 1
    outside = row_count  # the extra row
    cases_of_documents = document_cases(conn)
    document_row = np.full(max(cases_of_documents, default=0) + 1, outside, dtype=np.int64)
    for document_id, case_id in cases_of_documents.items():
        document_row[document_id] = case_rows.get(case_id, outside)
    size = largest_segment_id(conn) + 1
    # Segments outside the filter's cases keep row ``outside``, document 0, not respondent.
    segment_row = np.full(size, outside, dtype=np.int32)
    segment_document = np.zeros(size, dtype=np.int32)
    respondent = np.zeros(size, dtype=np.bool_)
    for part in segment_chunks(conn, filters):
        ids = np.array(part.segment_ids, dtype=np.int64)
        documents = np.array(part.document_ids, dtype=np.int64)
        segment_row[ids] = document_row[documents]
        segment_document[ids] = documents
        respondent[ids] = part.respondent
    code_ids = all_code_ids(conn)
    code_number = {code_id: number for number, code_id in enumerate(code_ids)}
    unknown = len(code_ids)  # a slot for a code the tables do not know: in no column
    mapped = {code_id for layer in layers for code_id in layer}
    code_mapped = np.array([code_id in mapped for code_id in code_ids] + [False])
    every_code_mapped = bool(code_mapped[:unknown].all())
    layer_columns = [
        np.array([layer.get(code_id, column_count) for code_id in code_ids] + [column_count])
        for layer in layers
    ]
    measure = options.measure
    # Only what the measure needs is counted: each pass over a million codings costs.
    by_codings = measure == "count"
    by_documents = measure == "respondents"
    by_segments = not (by_codings or by_documents)
    cell_slots = (row_count + 1) * width
    cell_counts = np.zeros(cell_slots, dtype=np.int64)
    row_counts = np.zeros(row_count + 1, dtype=np.int64)
    pair_parts: list[Any] = []  # distinct unit * width + column keys, per chunk
    unit_parts: list[Any] = []  # distinct units with a coding in some column, per chunk
    # Keys in four bytes where they fit (they do up to hundreds of millions of segments).
    units_size = len(document_row) if by_documents else size
    key_type = np.int32 if units_size * width < 2**31 else np.int64
    chunks = coding_chunks(conn, filters, 100_000, distinct_pairs=not by_codings)
    for chunk_segments, chunk_codes in chunks:
        segment_ids = np.array(chunk_segments, dtype=np.int64)
        codes = np.fromiter(
            map(code_number.get, chunk_codes, repeat(unknown)), dtype=np.int64,
            count=len(chunk_codes),
        )  # fmt: skip
        if filters.respondents_only:
            # Interviewer turns are outside the population (and so are segments of other
            # cases, whose flag is False too: they would land in the extra row anyway).
            keep = respondent[segment_ids]
            segment_ids, codes = segment_ids[keep], codes[keep]
        # Codings of segments outside the filter's cases land in the extra row.
        rows = segment_row[segment_ids].astype(np.int64)
        in_columns = None if every_code_mapped else code_mapped[codes]
        if by_codings:
            counted = rows if in_columns is None else rows[in_columns]
            row_counts += np.bincount(counted, minlength=row_count + 1)
        else:
            units = segment_document[segment_ids].astype(np.int64) if by_documents else segment_ids
            chosen_units = units if in_columns is None else units[in_columns]
            _add_distinct(unit_parts, chosen_units.astype(key_type))
        for columns in layer_columns:
            chosen = columns[codes]
            if by_codings:
                cell_counts += np.bincount(rows * width + chosen, minlength=cell_slots)
            else:
                _add_distinct(pair_parts, (units * width + chosen).astype(key_type))
    if not by_codings:
        # Distinct (unit, column) pairs per cell; distinct units per row.
        unit_row = document_row if by_documents else segment_row
        keys = _distinct(pair_parts)
        for lower in range(0, len(keys), _SLICE):
            part = keys[lower : lower + _SLICE].astype(np.int64)
            cells_of_part = unit_row[part // width].astype(np.int64) * width + part % width
            cell_counts += np.bincount(cells_of_part, minlength=cell_slots)
        del keys
        row_counts = np.bincount(unit_row[_distinct(unit_parts)], minlength=row_count + 1)
    cells: dict[tuple[int, int], _Tally] = {}
    for cell in np.flatnonzero(cell_counts).tolist():
        row, column = divmod(cell, width)
        if row < row_count and column < column_count:
            cells[(row, column)] = _tally(int(cell_counts[cell]), by_segments, by_documents)
    totals = {
        row: _tally(int(row_counts[row]), by_segments, by_documents)
        for row in np.flatnonzero(row_counts).tolist()
        if row < row_count
    }
    if options.measure == "coverage":
        for row in range(row_count):
            totals.setdefault(row, _Tally())
        column_pairs = [(code_id, column) for layer in layers for code_id, column in layer.items()]
        _add_coverage(project, filters, case_rows, column_pairs, cells, totals)
    return cells, totals


#: Keys turned into cells this many at a time (bounded temporaries).
_SLICE = 1_000_000
#: Parts of distinct keys are merged into one when the newer ones hold more keys than this
#: (and than the last merge), so that a pair coded by several coders, or in several chunks,
#: is held about once.
_MERGE_AT = 2_000_000


def _add_distinct(parts: list[Any], values: Any) -> None:
    """Add the distinct ``values`` of one chunk to ``parts``, merging the parts when large."""
    parts.append(_sorted_distinct(values))
    # The new parts since the last merge against what that merge left (parts[0]): merging
    # only when they outgrow it keeps the merges' total work proportional to the keys.
    if sum(len(part) for part in parts[1:]) > max(_MERGE_AT, len(parts[0])):
        parts[:] = [_distinct(parts)]


def _distinct(parts: list[Any]) -> Any:
    """The distinct values of the arrays ``parts`` (emptied as they are merged), sorted; the
    merge sorts in place, so the peak is twice the keys, not four times."""
    import numpy as np

    if not parts:
        return np.zeros(0, dtype=np.int64)
    merged = np.concatenate(parts)
    parts.clear()
    merged.sort()
    if len(merged) < 2:
        return merged
    first = np.empty(len(merged), dtype=np.bool_)
    first[0] = True
    np.not_equal(merged[1:], merged[:-1], out=first[1:])
    return merged[first]


def _sorted_distinct(values: Any) -> Any:
    """The distinct values of the integer array ``values``, sorted: a sort and a comparison
    of neighbours (numpy's ``unique`` hashes, several times slower on millions of ints)."""
    import numpy as np

    ordered = np.sort(values)
    if len(ordered) < 2:
        return ordered
    first = np.empty(len(ordered), dtype=np.bool_)
    first[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    return ordered[first]


def _tally(count: int, by_segments: bool, by_documents: bool) -> _Tally:
    """A tally holding ``count`` as the numerator the measure reads."""
    if by_segments:
        return _Tally(segments=count)
    if by_documents:
        return _Tally(documents=count)
    return _Tally(codings=count)


def _union_length(spans: Iterable[tuple[int, int]]) -> int:
    """Characters covered by sorted ``(start, end)`` spans, overlaps counted once."""
    total = 0
    current_start = current_end = -1
    for start, end in spans:
        if start > current_end:
            total += current_end - current_start
            current_start, current_end = start, end
        elif end > current_end:
            current_end = end
    return total + current_end - current_start


def _add_coverage(
    project: Project,
    filters: CodingFilter,
    case_rows: dict[int, int],
    column_pairs: list[tuple[str, int]],
    cells: dict[tuple[int, int], _Tally],
    totals: dict[int, _Tally],
) -> None:
    """Add the coded characters (overlaps once) of every cell and row to their tallies."""
    spans_by_cell: dict[tuple[int, int, int], list[tuple[int, int]]] = defaultdict(list)
    spans_by_row: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)
    for row, col, document_id, start, end in coverage_spans(
        project.conn, filters, case_rows, column_pairs
    ):
        spans_by_cell[(row, col, document_id)].append((start, end))
        spans_by_row[(row, document_id)].append((start, end))
    for (row, col, _document), spans in spans_by_cell.items():
        cells[(row, col)].characters += _union_length(sorted(spans))
    for (row, _document), spans in spans_by_row.items():
        totals[row].characters += _union_length(sorted(set(spans)))


def _bases(
    project: Project, members: list[list[int]], measure: Measure, all_speakers: bool
) -> list[int]:
    """The denominator population of each row: see :data:`BASES`."""
    conn = project.conn
    if measure == "coverage":
        per_case = characters_per_case(conn, respondent_only=not all_speakers)
    elif measure == "respondents":
        per_case = documents_per_case(conn)
    else:
        per_case = segments_per_case(conn, respondent_only=not all_speakers)
    return [sum(per_case.get(case_id, 0) for case_id in cases) for cases in members]


def _numerator(tally: _Tally | None, measure: Measure) -> int:
    """What the measure counts in a cell before dividing (see :data:`BASES`)."""
    if tally is None:
        return 0
    if measure == "count":
        return tally.codings
    if measure == "respondents":
        return tally.documents
    if measure == "coverage":
        return tally.characters
    if measure == "presence":
        return 1 if tally.segments else 0
    return tally.segments


def _percent(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0


def _value(tally: _Tally | None, measure: Measure, base: int) -> Number:
    if tally is None:
        return 0.0 if measure in ("percent", "coverage") else 0
    if measure == "segments":
        return tally.segments
    if measure == "count":
        return tally.codings
    if measure == "presence":
        return 1 if tally.segments else 0
    if measure == "respondents":
        return tally.documents
    if measure == "percent":
        return _percent(tally.segments, base)
    return _percent(tally.characters, base)


def _sum_tallies(tallies: Iterable[_Tally | None]) -> _Tally:
    total = _Tally()
    for tally in tallies:
        if tally is not None:
            total.segments += tally.segments
            total.codings += tally.codings
            total.documents += tally.documents
            total.characters += tally.characters
    return total


# --------------------------------------------------------------------------------------------
# Quotes


def _cell_quotes(
    project: Project,
    options: MatrixOptions,
    names: dict[int, str],
    case_rows: dict[int, int],
    column_pairs: list[tuple[str, int]],
) -> dict[tuple[int, int], list[QuoteRow]]:
    quotes: dict[tuple[int, int], list[QuoteRow]] = {}
    for quote in cell_quotes(
        project.conn, options.filters, case_rows, column_pairs, options.quotes
    ):
        quotes.setdefault((quote["row"], quote["column"]), []).append(
            QuoteRow(
                quote["segment_id"],
                quote["document"],
                names[quote["case_id"]],
                quote["speaker"],
                quote["role"],
                quote["text"],
                quote["segment_start"],
                tuple(quote["codings"]),
            )
        )
    return quotes


# --------------------------------------------------------------------------------------------


def build_matrix(project: Project, options: MatrixOptions) -> Matrix:
    """Compute the matrix ``options`` describe (read-only; see the module docstring).

    Raises :class:`~qualcode.errors.UsageError` for an unknown ``by`` attribute and
    :class:`~qualcode.errors.NotFoundError` for an unknown code or case in the filters, or a
    project without a codebook.
    """
    options = replace(
        options, filters=replace(options.filters, respondents_only=not options.all_speakers)
    )
    labels, members, names = _rows(project, options)
    columns, column_pairs = select_columns(
        project, options.level, options.depth, options.filters.codes
    )
    case_rows = {case_id: i for i, cases in enumerate(members) for case_id in cases}
    layers = _layers(columns, column_pairs)
    cell_tallies, row_tallies = _tallies(
        project, options, case_rows, len(labels), layers, len(columns)
    )
    quotes: dict[tuple[int, int], list[QuoteRow]] = {}
    if options.quotes:
        quotes = _cell_quotes(project, options, names, case_rows, column_pairs)
    measure = options.measure
    bases = _bases(project, members, measure, options.all_speakers)
    cells = [
        [_value(cell_tallies.get((i, j)), measure, bases[i]) for j in range(len(columns))]
        for i in range(len(labels))
    ]
    base_sum = sum(bases)
    if measure == "presence":
        row_totals: list[Number] = [sum(row) for row in cells]
        column_totals: list[Number] = [
            sum(int(cells[i][j]) for i in range(len(labels))) for j in range(len(columns))
        ]
        grand_total: Number = sum(int(value) for value in row_totals)
    else:
        row_totals = [_value(row_tallies.get(i), measure, bases[i]) for i in range(len(labels))]
        column_totals = [
            _value(
                _sum_tallies(cell_tallies.get((i, j)) for i in range(len(labels))), measure,
                base_sum,
            )
            for j in range(len(columns))
        ]  # fmt: skip
        grand_total = _value(_sum_tallies(row_tallies.values()), measure, base_sum)
    return Matrix(
        measure=measure,
        by=options.by,
        level=options.level,
        depth=options.depth,
        row_labels=labels,
        row_cases=[[names[case_id] for case_id in cases] for cases in members],
        column_ids=[column.column_id for column in columns],
        column_labels=[column.label(options.language) for column in columns],
        cells=cells,
        row_totals=row_totals,
        column_totals=column_totals,
        grand_total=grand_total,
        row_bases=bases,
        quotes=quotes,
        options=options,
        codebook_name=current_codebook(project).name,
        numerators=[
            [_numerator(cell_tallies.get((i, j)), measure) for j in range(len(columns))]
            for i in range(len(labels))
        ],
    )
