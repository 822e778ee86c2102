"""Keyword-in-context search over segments, Chinese and English.

The query syntax (all words, ``"phrases"``, ``OR``, ``NOT``, ``word*``) is parsed by
:mod:`qualcode.text.search_query`; ``--regex`` patterns are scanned (:func:`search_pattern`).
Terms of three or more characters go through an FTS5 trigram index (``segments_fts``);
shorter ones, common in Chinese (``网格``, ``卡``), through a scan with ``instr``.

The index is not written at import: trigram indexing costs more CPU than storing the segments
themselves (bench/README.md, "Search index"), far above the 15% of import time it was allowed.
Instead a stored watermark says how far the index reaches, and :func:`update_search_index`
extends it in short batches, each its own write transaction of a fraction of a second, taken
only when no other command is writing (it never waits for the lock) and for at most a time
budget per search. Segments above the watermark are searched by a scan, so every search is
complete whatever the index's state, a search never waits for a writer, and no command holds
the write lock for long to build the index. A replaced document's indexed segments are removed
from the index in the transaction that deletes them.
"""

from __future__ import annotations

import os
import re
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from qualcode.errors import UsageError
from qualcode.store.project import Project, is_lock_error
from qualcode.store.rows import SegmentRow, typed_row
from qualcode.text.folding import fold_line_breaks, has_line_break
from qualcode.text.search_query import Query, Term, parse_query

_WATERMARK_KEY = "fts_indexed_through_segment_id"
#: Trigram index needs at least this many characters in a query.
TRIGRAM_MINIMUM = 3
#: Segments indexed per write transaction: about 0.1 s of work, so a command waiting to
#: write (a ``code``, a review key press) waits at most that long.
INDEX_BATCH = 5_000
#: Segments (by id range) from which a count is split across threads, and how many at most.
PARALLEL_COUNT_MINIMUM = 100_000
PARALLEL_COUNT_THREADS = 4
#: Seconds a search spends extending the index before it answers (the rest by scan).
INDEX_BUDGET_SECONDS = 0.25


def _watermark(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT value FROM settings WHERE key = ?", (_WATERMARK_KEY,)).fetchone()
    return int(row[0]) if row is not None else 0


def update_search_index(
    project: Project,
    *,
    budget_seconds: float | None = INDEX_BUDGET_SECONDS,
    batch: int = INDEX_BATCH,
) -> int:
    """Index segments beyond the watermark in batches; return how many were indexed.

    Stops when everything is indexed, when ``budget_seconds`` have passed (``None``: no
    limit) or as soon as another command holds the write lock: each batch is tried without
    waiting, so this never blocks (or is blocked) for longer than one batch.
    """
    started = time.monotonic()
    indexed = 0
    while budget_seconds is None or time.monotonic() - started < budget_seconds:
        added = _index_batch(project, batch)
        if added is None or added == 0:
            break
        indexed += added
    return indexed


def _index_batch(project: Project, batch: int) -> int | None:
    """Index the next ``batch`` segments in one transaction; ``None`` if the lock is taken."""
    conn = project.conn
    (busy_timeout,) = conn.execute("PRAGMA busy_timeout").fetchone()
    conn.execute("PRAGMA busy_timeout = 0")
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as error:
        if is_lock_error(error):
            return None
        raise
    finally:
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout)}")
    try:
        indexed_through = _watermark(conn)
        last = conn.execute(
            "SELECT max(segment_id), count(*) FROM (SELECT segment_id FROM segments "
            "WHERE segment_id > ? ORDER BY segment_id LIMIT ?)",
            (indexed_through, batch),
        ).fetchone()
        if last[0] is None:
            conn.execute("COMMIT")
            return 0
        conn.execute(
            "INSERT INTO segments_fts (rowid, text) SELECT segment_id, text FROM segments "
            "WHERE segment_id > ? AND segment_id <= ?",
            (indexed_through, last[0]),
        )
        conn.execute(
            "INSERT INTO settings (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (_WATERMARK_KEY, last[0]),
        )
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return int(last[1])


def index_document_segments(conn: sqlite3.Connection, document_id: int) -> None:
    """Index a document's segments that lie below the watermark (caller's transaction).

    For a document put back by ``undo`` with its old segment ids: those the index covered
    before go back in; any above the watermark are picked up with the rest.
    """
    conn.execute(
        "INSERT INTO segments_fts (rowid, text) SELECT segment_id, text FROM segments "
        "WHERE document_id = ? AND segment_id <= ?",
        (document_id, _watermark(conn)),
    )


def forget_segments(conn: sqlite3.Connection, document_id: int) -> None:
    """Remove a document's already-indexed segments from the index (caller's transaction)."""
    conn.execute(
        "INSERT INTO segments_fts (segments_fts, rowid, text) "
        "SELECT 'delete', segment_id, text FROM segments "
        "WHERE document_id = ? AND segment_id <= ?",
        (document_id, _watermark(conn)),
    )


def unindex_segment(conn: sqlite3.Connection, segment_id: int) -> None:
    """Remove one segment from the index if it is there (before the segment row is deleted)."""
    conn.execute(
        "INSERT INTO segments_fts (segments_fts, rowid, text) "
        "SELECT 'delete', segment_id, text FROM segments WHERE segment_id = ? AND segment_id <= ?",
        (segment_id, _watermark(conn)),
    )


def reindex_segment(conn: sqlite3.Connection, segment_id: int) -> None:
    """Index one segment written back below the watermark (by ``qualcode undo``)."""
    conn.execute(
        "INSERT INTO segments_fts (rowid, text) "
        "SELECT segment_id, text FROM segments WHERE segment_id = ? AND segment_id <= ?",
        (segment_id, _watermark(conn)),
    )


#: SQL true for a segment whose text holds a line break, answered from the partial index
#: ``segments_line_break`` (migration m009) instead of a second pass over every text. Stored
#: text has ``\n`` as its only line break (:func:`qualcode.text.decoding.normalise_text`).
_HAS_LINE_BREAK = (
    "v.segment_id IN (SELECT segment_id FROM segments WHERE instr(text, char(10)) > 0)"
)


@dataclass
class SearchHit:
    """A segment that satisfies the query, with the positions of every term it contains."""

    segment: SegmentRow
    spans: list[tuple[int, int]] = field(default_factory=list)


def _fts_phrase(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _term_condition(term: Term, watermark: int, parameters: list[Any]) -> str:
    """SQL that holds for every segment containing ``term`` (and possibly a few more: the
    final word is :meth:`Term.spans`). Terms of three or more characters use the trigram
    index up to the watermark and a scan beyond it; shorter ones a scan (``instr``)."""
    if term.unicode_cased:
        return "1"  # SQL's lower() cannot fold É to é: every segment is checked
    if len(term.text) >= TRIGRAM_MINIMUM:
        parameters.extend([_fts_phrase(term.text), watermark, term.text])
        return (
            "(v.segment_id IN (SELECT rowid FROM segments_fts WHERE segments_fts MATCH ?) "
            f"OR (v.segment_id > ? AND {_contains(term)}))"
        )
    parameters.append(term.text)
    return _contains(term)


def _contains(term: Term) -> str:
    """SQL true exactly for texts that contain ``term`` (one ``?`` for its text), if it is
    :attr:`Term.sql_exact` (else for a superset). ``lower()`` folds ASCII only, which is what
    Latin terms need; Chinese needs no folding, so no lowered copy of every text."""
    if term.uncased:
        return "instr(v.text, ?) > 0"
    return "instr(lower(v.text), lower(?)) > 0"


def _require_names(
    project: Project, case_name: str | None, document: str | None, speaker: str | None
) -> None:
    """A case, document or speaker filter that matches nothing is an error, not no hits."""
    from qualcode.store.names import require_name

    if case_name is not None:
        require_name(project.conn, "case", case_name)
    if document is not None:
        require_name(project.conn, "document", document)
    if speaker is not None:
        require_name(project.conn, "speaker", speaker)


def search(
    project: Project,
    query: str | Query,
    *,
    case_name: str | None = None,
    document: str | None = None,
    speaker: str | None = None,
    limit: int | None = None,
) -> Iterator[SearchHit]:
    """Segments that satisfy ``query`` (the syntax of :mod:`qualcode.text.search_query`), in
    segment order, each with the spans of every term it contains.

    The clauses narrow the candidates in SQL (index or scan, per term); each candidate is
    then checked by the parsed query itself, which also applies exclusions, prefixes and
    Latin case folding, so what is listed is exactly what the syntax promises. A line break
    inside a turn hides no word: the check looks at the text with its line breaks folded
    (:mod:`qualcode.text.folding`: nothing between Chinese characters, a space between Latin
    words) and maps every span back to the stored text.
    """
    parsed = query if isinstance(query, Query) else parse_query(query)
    _require_names(project, case_name, document, speaker)
    if any(len(term.text) >= TRIGRAM_MINIMUM for term in parsed.terms):
        update_search_index(project)
    watermark = _watermark(project.conn)
    clauses: list[str] = []
    parameters: list[Any] = []
    for alternatives in parsed.clauses:
        conditions = [_term_condition(term, watermark, parameters) for term in alternatives]
        # A segment with a line break may hold a term cut in two by it: the check decides.
        conditions.append(_HAS_LINE_BREAK)
        clauses.append("(" + " OR ".join(conditions) + ")")

    filters = (case_name, document, speaker)
    yield from _checked(project, clauses, parameters, filters, _spans_of(parsed), limit)


def _spans_of(parsed: Query) -> Callable[[str], list[tuple[int, int]] | None]:
    """The check of one segment's text: the query's spans in it with its line breaks folded,
    in stored offsets, or ``None`` if it does not satisfy the query."""

    def spans(text: str) -> list[tuple[int, int]] | None:
        if not has_line_break(text):
            return parsed.spans(text)
        folded = fold_line_breaks(text, known_to_break=True)
        found = parsed.spans(folded.text)
        return None if found is None else [folded.stored_span(*span) for span in found]

    return spans


def count_matches(
    project: Project,
    query: str | Query,
    *,
    case_name: str | None = None,
    document: str | None = None,
    speaker: str | None = None,
) -> int:
    """How many segments :func:`search` lists for ``query`` with the same filters.

    A query SQL can decide (:attr:`Query.sql_exact`: no Latin prefixes and no non-ASCII
    cased letters; Chinese and English words alike) is counted in SQL over the segments
    without a line break, where a substring test is the exact test; the segments with one are
    checked as :func:`search` checks them. Nothing is built or indexed: one scan, however many
    hits. Other queries are counted by listing them.
    """
    parsed = query if isinstance(query, Query) else parse_query(query)
    filters = (case_name, document, speaker)
    if not parsed.sql_exact:
        return sum(
            1 for _ in search(project, parsed, case_name=case_name, document=document,
                              speaker=speaker)
        )  # fmt: skip
    _require_names(project, case_name, document, speaker)
    exact: list[str] = []
    parameters: list[Any] = []
    for alternatives in parsed.clauses:
        exact.append("(" + " OR ".join(_contains(term) for term in alternatives) + ")")
        parameters.extend(term.text for term in alternatives)
    for term in parsed.exclusions:
        exact.append(f"NOT {_contains(term)}")
        parameters.append(term.text)
    exact.append(f"NOT {_HAS_LINE_BREAK}")
    table = "segments_view" if any(value is not None for value in filters) else "segments"
    for column, value in zip(("case_name", "document", "speaker"), filters, strict=True):
        if value is not None:
            exact.append(f"v.{column} = ?")
            parameters.append(value)
    # lower() copies every text through SQLite's allocator, whose shared lock makes threads
    # slower than one connection (0.93 s on one, 1.11 s on two at 1M for "volunteers"): only
    # queries without Latin letters are split.
    parts = PARALLEL_COUNT_THREADS if all(term.uncased for term in parsed.terms) else 1
    without_breaks = _count_in_parallel(project, table, " AND ".join(exact), parameters, parts)
    with_breaks = _checked(project, [_HAS_LINE_BREAK], [], filters, _spans_of(parsed), None)
    return int(without_breaks) + sum(1 for _ in with_breaks)


def _count_in_parallel(
    project: Project, table: str, where: str, parameters: list[Any], threads: int
) -> int:
    """``count(*)`` of ``table v WHERE where``, the segment ids cut into one range per core
    (at most ``threads``), each counted by a thread on its own connection: SQLite lets go of
    Python's lock while it scans, so counting a Chinese term over a million texts takes 0.35 s
    instead of 0.57 s on two cores (bench/bench_search.py). Small projects
    are counted on the project's connection. Each connection reads its own snapshot: a count
    made while another command imports may see the import in one range and not another."""
    from concurrent.futures import ThreadPoolExecutor

    low, high = project.conn.execute(
        "SELECT min(segment_id), max(segment_id) FROM segments"
    ).fetchone()
    sql = f"SELECT count(*) FROM {table} v WHERE {where} AND v.segment_id BETWEEN ? AND ?"
    parts = min(os.cpu_count() or 1, threads)
    if low is None or high - low < PARALLEL_COUNT_MINIMUM or parts < 2:
        return int(project.conn.execute(sql, [*parameters, low, high]).fetchone()[0] or 0)
    edges = [low + (high - low + 1) * part // parts for part in range(parts + 1)]

    def count(part: int) -> int:
        conn = sqlite3.connect(project.path, timeout=project.wait_seconds)
        try:
            row = conn.execute(sql, [*parameters, edges[part], edges[part + 1] - 1]).fetchone()
            return int(row[0])
        finally:
            conn.close()

    with ThreadPoolExecutor(parts) as pool:
        return sum(pool.map(count, range(parts)))


def search_pattern(
    project: Project,
    pattern: str,
    *,
    case_name: str | None = None,
    document: str | None = None,
    speaker: str | None = None,
    limit: int | None = None,
) -> Iterator[SearchHit]:
    """Segments in which the regular expression ``pattern`` finds something (every segment
    the filters leave is scanned). Case-insensitive. A pattern that is not valid, or that
    could backtrack catastrophically (``(a+)+$``), is refused before anything is read."""
    from qualcode.text.patterns import backtracking_problem

    try:
        compiled = re.compile(pattern, re.IGNORECASE)
    except (re.error, OverflowError, RecursionError) as error:
        raise UsageError(
            f"--regex {pattern!r} is not a valid regular expression: {error}"
        ) from None
    problem = backtracking_problem(pattern)
    if problem is not None:
        raise UsageError(f"--regex: {problem}")
    _require_names(project, case_name, document, speaker)

    def spans(text: str) -> list[tuple[int, int]] | None:
        found = [match.span() for match in compiled.finditer(text) if match.end() > match.start()]
        return found or None

    yield from _checked(project, [], [], (case_name, document, speaker), spans, limit)


def _checked(
    project: Project,
    clauses: list[str],
    parameters: list[Any],
    filters: tuple[str | None, str | None, str | None],
    spans_of: Callable[[str], list[tuple[int, int]] | None],
    limit: int | None,
) -> Iterator[SearchHit]:
    """The candidate segments (``clauses`` and the filters, in segment order) whose text
    ``spans_of`` accepts, up to ``limit``."""
    for column, value in zip(("case_name", "document", "speaker"), filters, strict=True):
        if value is not None:
            clauses.append(f"v.{column} = ?")
            parameters.append(value)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    sql = f"SELECT v.* FROM segments_view v {where} ORDER BY v.segment_id"
    found = 0
    for row in project.conn.execute(sql, parameters):
        segment = typed_row(row, SegmentRow)
        spans = spans_of(segment["text"])
        if spans is None:
            continue
        yield SearchHit(segment, spans)
        found += 1
        if limit is not None and found >= limit:
            return
