"""The one query layer every analysis number comes from: which codings count.

Matrices, quotes and co-occurrence all start from :func:`filtered_codings_sql`, the current
codings (automatic codings superseded by a later run are left out, as in ``codings_view``)
that pass a :class:`CodingFilter`. Because every table, file and chart is computed from this
one relation, the terminal table, CSV, XLSX, Markdown, JSON and HTML outputs agree exactly.

Filter semantics, so that a researcher can predict the numbers:

- ``origin="manual"`` keeps codings made by people. A suggestion accepted in review is stored
  as a manual coding (``origin = 'manual'``; its ``run_id`` and ``rule`` keep where it came
  from), so accepted suggestions count as manual-reviewed. Pending and rejected suggestions are
  never codings and never count. ``origin="auto"`` keeps the current automatic codings,
  ``"all"`` both.
- ``codes`` keeps codings of those codes *and all their sub-codes* (``grid`` means
  ``grid``, ``grid.checkpoints``, ``grid.checkpoints.night`` ...).
- ``cases`` keeps codings in documents of those cases; ``coder`` the codings by that coder
  (automatic codings have the coder ``auto``).

Query plan: the relation scans the ``codings`` table in storage order (``NOT INDEXED``) and
looks segments and documents up by primary key in that order (``CROSS JOIN`` fixes the join
order). Autocode runs and review sessions write codings in segment order, so the lookups walk
the segments table sequentially. Left to itself SQLite's planner reads the codings table
through ``codings_segment`` or ``codings_code`` in random order, which at a million codings is
about ten times slower (``bench/bench_matrix.py``).

Unknown codes and cases are :class:`~qualcode.errors.NotFoundError` with a hint, so a typo
never produces an empty table that looks like a finding.
"""

from __future__ import annotations

import difflib
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from qualcode.errors import NotFoundError, UsageError

Origin = Literal["manual", "auto", "all"]
ORIGINS: tuple[Origin, ...] = ("manual", "auto", "all")

#: Columns of the relation :func:`filtered_codings_sql` selects.
FILTERED_COLUMNS = (
    "coding_id", "segment_id", "document_id", "case_id", "code_id", "coder", "origin",
    "start_char", "end_char", "role", "run_id", "rule", "created_at",
)  # fmt: skip


@dataclass(frozen=True)
class CodingFilter:
    """Which current codings count. Empty tuples and ``None`` mean no restriction."""

    coder: str | None = None
    origin: Origin = "all"
    codes: tuple[str, ...] = ()
    cases: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.origin not in ORIGINS:
            raise UsageError(f"unknown origin {self.origin!r}: use manual, auto or all")


def _hint(value: str, known: Sequence[str], listing: str) -> str:
    close = difflib.get_close_matches(value, list(known), n=1)
    return f"; did you mean '{close[0]}'?" if close else f" (see '{listing}')"


def expand_codes(conn: sqlite3.Connection, codes: Iterable[str]) -> list[str]:
    """The given code ids and every code below them (retired ones included: their codings stay).

    Raises :class:`NotFoundError` for an id that is not a current code.
    """
    active = [row[0] for row in conn.execute("SELECT code_id FROM codes WHERE active")]
    known = set(active)
    expanded: dict[str, None] = {}
    for code_id in codes:
        if code_id not in known:
            raise NotFoundError(
                f"no code '{code_id}' in the project's codebook"
                + _hint(code_id, active, "qualcode codebook show")
            )
        pattern = code_id.replace("\\", "\\\\").replace("_", "\\_").replace("%", "\\%") + ".%"
        expanded[code_id] = None
        for (child,) in conn.execute(
            "SELECT code_id FROM codes WHERE code_id LIKE ? ESCAPE '\\' ORDER BY ordinal",
            (pattern,),
        ):
            expanded[str(child)] = None
    return list(expanded)


def case_ids(conn: sqlite3.Connection, names: Iterable[str]) -> list[int]:
    """Ids of the named cases; :class:`NotFoundError` for a name the project does not have."""
    ids = []
    for name in names:
        row = conn.execute("SELECT case_id FROM cases WHERE name = ?", (name,)).fetchone()
        if row is None:
            known = [str(row[0]) for row in conn.execute("SELECT name FROM cases")]
            raise NotFoundError(
                f"no case named {name!r}" + _hint(name, known, "qualcode cases list")
            )
        ids.append(int(row[0]))
    return ids


def filter_phrases(filters: CodingFilter) -> list[str]:
    """The coder, codes and cases ``filters`` narrows to, as phrases for a caption."""
    phrases = []
    if filters.coder:
        phrases.append(f"coder {filters.coder}")
    if filters.codes:
        phrases.append("codes " + ", ".join(filters.codes))
    if filters.cases:
        phrases.append("cases " + ", ".join(filters.cases))
    return phrases


def _codings_where(
    conn: sqlite3.Connection,
    filters: CodingFilter,
    alias: str = "",
    case_column: str | None = None,
) -> tuple[str, list[Any]]:
    """The filter's conditions on the ``codings`` table and their parameters.

    Column names get the prefix ``alias`` (``"c."`` where the query joins other tables). The
    filter's cases are a condition only where ``case_column`` names a column holding the case id.
    """
    clauses = [f"{alias}superseded_by_run IS NULL"]
    parameters: list[Any] = []
    if filters.codes:
        codes = expand_codes(conn, filters.codes)
        clauses.append(f"{alias}code_id IN ({', '.join('?' * len(codes))})")
        parameters += codes
    if filters.cases and case_column is not None:
        ids = case_ids(conn, filters.cases)
        clauses.append(f"{case_column} IN ({', '.join('?' * len(ids))})")
        parameters += ids
    if filters.coder is not None:
        clauses.append(f"{alias}coder = ?")
        parameters.append(filters.coder)
    if filters.origin != "all":
        clauses.append(f"{alias}origin = ?")
        parameters.append(filters.origin)
    return " AND ".join(clauses), parameters


def filtered_codings_sql(conn: sqlite3.Connection, filters: CodingFilter) -> tuple[str, list[Any]]:
    """A ``SELECT`` of the current codings passing ``filters``, and its parameters.

    Columns: see :data:`FILTERED_COLUMNS` (``case_id`` and ``role`` come from the segment's
    document and the segment). Use it as a CTE: ``WITH fc AS (<sql>) SELECT ... FROM fc``.
    Validates the filter against the project first (unknown code or case: NotFoundError).
    """
    where, parameters = _codings_where(conn, filters, "c.", "d.case_id")
    sql = (
        "SELECT c.coding_id, c.segment_id, s.document_id, d.case_id, c.code_id, c.coder, "
        "c.origin, c.start_char, c.end_char, s.role, c.run_id, c.rule, c.created_at "
        "FROM codings c NOT INDEXED CROSS JOIN segments s ON s.segment_id = c.segment_id "
        "CROSS JOIN documents d ON d.document_id = s.document_id "
        f"WHERE {where}"
    )
    return sql, parameters


def attribute_names(conn: sqlite3.Connection) -> list[str]:
    """Case attribute names in the order they were first defined (a cases CSV's order)."""
    return [
        str(row[0])
        for row in conn.execute(
            "SELECT name FROM case_attributes GROUP BY name ORDER BY min(rowid)"
        )
    ]


def case_attribute_values(conn: sqlite3.Connection) -> dict[int, dict[str, Any]]:
    """``{case_id: {attribute: value}}`` for every case that has attributes."""
    values: dict[int, dict[str, Any]] = {}
    for case_id, name, value in conn.execute("SELECT case_id, name, value FROM case_attributes"):
        values.setdefault(int(case_id), {})[str(name)] = value
    return values


def load_temp_map(
    conn: sqlite3.Connection, table: str, key_type: str, pairs: Iterable[tuple[Any, int]]
) -> None:
    """(Re)create ``temp.<table>(key, slot)`` and fill it; used to map cases/codes to cells.

    Temporary tables live in the connection only and never touch the project file.
    """
    conn.execute(f"DROP TABLE IF EXISTS temp.{table}")
    conn.execute(
        f"CREATE TEMP TABLE {table} (key {key_type} NOT NULL, slot INTEGER NOT NULL, "
        "PRIMARY KEY (key, slot)) WITHOUT ROWID"
    )
    conn.executemany(f"INSERT INTO temp.{table} VALUES (?, ?)", pairs)


@dataclass(frozen=True)
class SegmentArrays:
    """Every segment of the filter's cases as parallel lists, for counting in bulk."""

    segment_ids: list[int]
    document_ids: list[int]
    respondent: list[bool]  # role is not 'interviewer'


def segment_arrays(conn: sqlite3.Connection, filters: CodingFilter) -> SegmentArrays:
    """The segments whose codings pass the filter's case condition (all cases by default)."""
    import json

    where, parameters = "", []
    if filters.cases:
        ids = case_ids(conn, filters.cases)
        where = f"WHERE d.case_id IN ({', '.join('?' * len(ids))})"
        parameters = list(ids)
    segment_ids, document_ids, respondent = conn.execute(
        "SELECT json_group_array(s.segment_id), json_group_array(s.document_id), "
        "json_group_array(s.role IS NOT 'interviewer') FROM segments s "
        f"JOIN documents d ON d.document_id = s.document_id {where}",
        parameters,
    ).fetchone()
    return SegmentArrays(
        json.loads(segment_ids), json.loads(document_ids), [bool(x) for x in json.loads(respondent)]
    )


def coding_chunks(
    conn: sqlite3.Connection, filters: CodingFilter, chunk: int = 250_000
) -> Iterator[tuple[list[int], list[str]]]:
    """``(segment_ids, code_ids)`` of the current codings passing the filter's coder, origin
    and code conditions, as parallel lists of at most ``chunk`` codings.

    Together with :func:`segment_arrays` (which applies the case condition) this is the same
    selection as :func:`filtered_codings_sql`, in a shape that can be counted with C-speed
    builtins: a million codings cost two JSON arrays per chunk instead of a million rows.
    """
    import json

    where, parameters = _codings_where(conn, filters)
    top = int(conn.execute("SELECT coalesce(max(coding_id), 0) FROM codings").fetchone()[0])
    lower = 0
    while lower < top:
        upper = lower + chunk
        segment_ids, code_ids = conn.execute(
            "SELECT json_group_array(segment_id), json_group_array(code_id) FROM codings "
            f"WHERE coding_id > ? AND coding_id <= ? AND {where}",
            [lower, upper, *parameters],
        ).fetchone()
        lower = upper
        yield json.loads(segment_ids), json.loads(code_ids)
