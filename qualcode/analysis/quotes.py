"""Quotes: one row per current coding, with the segment it belongs to.

The rows are ``codings_view`` plus the speaker, role and full segment text, streamed from the
database so that long listings use flat memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from qualcode.project import Project

Origin = Literal["manual", "auto", "all"]

QUOTE_FIELDS = (
    "coding_id", "segment_id", "document", "case_name", "speaker", "role", "code", "theme",
    "coder", "origin", "run_id", "rule", "start_char", "end_char", "quote", "segment_text",
    "created_at",
)  # fmt: skip


@dataclass
class QuoteFilter:
    code: str | None = None
    case_name: str | None = None
    coder: str | None = None
    origin: Origin = "all"


def iter_quotes(project: Project, filters: QuoteFilter) -> Iterator[dict[str, Any]]:
    """Current codings matching ``filters`` in segment and span order."""
    clauses: list[str] = []
    parameters: list[Any] = []
    if filters.code is not None:
        clauses.append("(v.code = ? OR v.code LIKE ? ESCAPE '\\')")
        parameters += [filters.code, filters.code.replace("_", "\\_") + ".%"]
    for column, value in (("case_name", filters.case_name), ("coder", filters.coder)):
        if value is not None:
            clauses.append(f"v.{column} = ?")
            parameters.append(value)
    if filters.origin != "all":
        clauses.append("v.origin = ?")
        parameters.append(filters.origin)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    sql = (
        "SELECT v.coding_id, v.segment_id, v.document, v.case_name, s.speaker, s.role, v.code, "
        "v.theme, v.coder, v.origin, v.run_id, v.rule, v.start_char, v.end_char, v.quote, "
        "s.text AS segment_text, v.created_at FROM codings_view v "
        f"JOIN segments s ON s.segment_id = v.segment_id {where} "
        "ORDER BY v.segment_id, v.start_char, v.code"
    )
    for row in project.conn.execute(sql, parameters):
        yield dict(row)
