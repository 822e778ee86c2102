"""Keyword-in-context search over segments, Chinese and English.

Queries of three or more characters go through an FTS5 trigram index (``segments_fts``);
shorter queries, common in Chinese (``网格``, ``卡``), fall back to a scan with ``instr``.
The index is kept current at import: a document's segments are indexed in the transaction that
stores them, and a replaced document's are removed in the one that deletes them, so no search
ever writes (and none holds the write lock while it builds an index). Indexing costs a
share of import time measured in ``bench/bench_import.py`` (bench/README.md).
"""

from __future__ import annotations

import sqlite3
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from qualcode.errors import UsageError
from qualcode.store.project import Project

#: Trigram index needs at least this many characters in a query.
TRIGRAM_MINIMUM = 3


def index_document_segments(conn: sqlite3.Connection, document_id: int) -> None:
    """Add a document's segments to the index (the caller's transaction: the import's)."""
    conn.execute(
        "INSERT INTO segments_fts (rowid, text) "
        "SELECT segment_id, text FROM segments WHERE document_id = ?",
        (document_id,),
    )


def forget_segments(conn: sqlite3.Connection, document_id: int) -> None:
    """Remove a document's segments from the index (caller's transaction), before they go."""
    conn.execute(
        "INSERT INTO segments_fts (segments_fts, rowid, text) "
        "SELECT 'delete', segment_id, text FROM segments WHERE document_id = ?",
        (document_id,),
    )


@dataclass
class SearchHit:
    """A segment containing the query, with the positions of every occurrence in its text."""

    segment: dict[str, Any]
    spans: list[tuple[int, int]] = field(default_factory=list)


def _fts_phrase(query: str) -> str:
    return '"' + query.replace('"', '""') + '"'


def _occurrences(text: str, query: str) -> list[tuple[int, int]]:
    """Non-overlapping occurrences, case-insensitive for text whose case folding keeps length."""
    haystack, needle = text, query
    folded = text.casefold()
    if len(folded) == len(text):
        haystack, needle = folded, query.casefold()
    spans = []
    position = haystack.find(needle)
    while position != -1 and needle:
        spans.append((position, position + len(needle)))
        position = haystack.find(needle, position + len(needle))
    return spans


def search(
    project: Project,
    query: str,
    *,
    case_name: str | None = None,
    document: str | None = None,
    speaker: str | None = None,
    limit: int | None = None,
) -> Iterator[SearchHit]:
    """Segments containing ``query`` (case-insensitive for Latin), in segment order."""
    query = unicodedata.normalize("NFC", query).strip()
    if not query:
        raise UsageError("the search query is empty")
    clauses: list[str] = []
    parameters: list[Any] = []
    if len(query) >= TRIGRAM_MINIMUM:
        clauses.append(
            "v.segment_id IN (SELECT rowid FROM segments_fts WHERE segments_fts MATCH ?)"
        )
        parameters.append(_fts_phrase(query))
    else:
        # instr is exact; lower() folds ASCII only, which is what short Latin queries need.
        clauses.append("instr(lower(v.text), lower(?)) > 0")
        parameters.append(query)
    for column, value in (("case_name", case_name), ("document", document), ("speaker", speaker)):
        if value is not None:
            clauses.append(f"v.{column} = ?")
            parameters.append(value)
    sql = f"SELECT v.* FROM segments_view v WHERE {' AND '.join(clauses)} ORDER BY v.segment_id"
    found = 0
    for row in project.conn.execute(sql, parameters):
        segment = dict(row)
        spans = _occurrences(segment["text"], query)
        if not spans:
            continue
        yield SearchHit(segment, spans)
        found += 1
        if limit is not None and found >= limit:
            return
