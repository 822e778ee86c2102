"""Quotes: one row per current coding, long format, streamed with flat memory.

A row carries everything a researcher filters or pivots on in a spreadsheet, R or pandas:
the coding and segment ids, document, case, **every case attribute as its own column**,
speaker, role, start and end time, the code id and name, **each level of the code path as its
own column** (``level_1`` is the theme's name, ``level_2`` the next code's and so on, empty
below the code's own depth), coder, origin, run and rule, the coded quote and the whole
segment text. Which codings appear is decided by the shared
:class:`~qualcode.analysis.query.CodingFilter` (the same as for matrices).

Rows come straight from the database cursor (case attributes and code paths are looked up in
small in-memory maps), so memory stays flat however many codings a project has.

Column names: the fixed names below keep the names of ``codings_view`` (``code``, ``theme``,
``quote`` ...). An attribute whose name clashes with a fixed column is prefixed ``case_``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from qualcode.analysis.query import (
    CodingFilter,
    attribute_names,
    case_attribute_values,
    case_names,
    code_names,
    deepest_code_depth,
    quote_sources,
)
from qualcode.codebook.model import Language
from qualcode.store.project import Project

#: Columns before the case attributes.
LEADING_FIELDS = ("coding_id", "segment_id", "document", "case_name")
#: Columns between the attributes and the code path levels.
MIDDLE_FIELDS = ("speaker", "role", "start_time", "end_time", "code", "code_name", "theme")
#: Columns after the code path levels.
TRAILING_FIELDS = (
    "coder", "origin", "run_id", "rule", "start_char", "end_char", "quote", "segment_text",
    "memo", "created_at",
)  # fmt: skip
#: The compact columns of the terminal table.
TABLE_FIELDS = (
    "coding_id", "segment_id", "case_name", "speaker", "code", "coder", "origin", "quote",
    "memo",
)  # fmt: skip


@dataclass(frozen=True)
class QuoteColumns:
    """The column names of a quotes table and where the attributes and levels come from."""

    fields: tuple[str, ...]
    attributes: tuple[tuple[str, str], ...]  # (column name, attribute name)
    levels: int


def quote_columns(project: Project) -> QuoteColumns:
    """Column names for this project's quotes: fixed ones, attributes, code path levels."""
    conn = project.conn
    fixed = set(LEADING_FIELDS + MIDDLE_FIELDS + TRAILING_FIELDS)
    attributes = tuple(
        (f"case_{name}" if name in fixed else name, name) for name in attribute_names(conn)
    )
    levels = deepest_code_depth(conn) + 1
    fields = (
        LEADING_FIELDS
        + tuple(column for column, _ in attributes)
        + MIDDLE_FIELDS
        + tuple(f"level_{number}" for number in range(1, levels + 1))
        + TRAILING_FIELDS
    )
    return QuoteColumns(fields, attributes, levels)


def _path_names(code_id: str, names: dict[str, str], levels: int) -> list[str | None]:
    parts = code_id.split(".")
    path: list[str | None] = [
        names.get(".".join(parts[: depth + 1]), parts[depth]) for depth in range(len(parts))
    ]
    return path + [None] * (levels - len(path))


def iter_quotes(
    project: Project,
    filters: CodingFilter,
    *,
    columns: QuoteColumns | None = None,
    language: Language = "zh",
) -> Iterator[dict[str, Any]]:
    """Rows (dicts keyed by ``columns.fields``) of the codings passing ``filters``.

    Ordered by segment, then span start, then code. The filter is validated (unknown code or
    case: NotFoundError) when this is called, before any row is produced, so a caller can
    check first and open its output file afterwards.
    """
    columns = columns or quote_columns(project)
    sources = quote_sources(project.conn, filters)
    return _quote_rows(project, sources, columns, language)


def _quote_rows(
    project: Project, cursor: Iterable[Any], columns: QuoteColumns, language: Language
) -> Iterator[dict[str, Any]]:
    conn = project.conn
    attributes = case_attribute_values(conn)
    cases = case_names(conn)
    names = code_names(conn, language)
    paths: dict[str, list[str | None]] = {}
    level_fields = [f"level_{number}" for number in range(1, columns.levels + 1)]
    for (coding_id, segment_id, document, case_id, speaker, role, start_time, end_time,
         code_id, coder, origin, run_id, rule, start_char, end_char, quote, segment_text,
         memo, created_at) in cursor:  # fmt: skip
        row: dict[str, Any] = {
            "coding_id": coding_id,
            "segment_id": segment_id,
            "document": document,
            "case_name": cases[case_id],
        }
        own = attributes.get(case_id, {})
        for column, name in columns.attributes:
            row[column] = own.get(name)
        path = paths.get(code_id)
        if path is None:
            path = paths[code_id] = _path_names(code_id, names, columns.levels)
        row.update(
            speaker=speaker, role=role, start_time=start_time, end_time=end_time, code=code_id,
            code_name=names.get(code_id, code_id), theme=code_id.partition(".")[0],
        )  # fmt: skip
        row.update(zip(level_fields, path, strict=True))
        row.update(
            coder=coder, origin=origin, run_id=run_id, rule=rule, start_char=start_char,
            end_char=end_char, quote=quote, segment_text=segment_text, memo=memo,
            created_at=created_at,
        )  # fmt: skip
        yield row
