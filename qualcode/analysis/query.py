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
- ``cases`` keeps codings in documents of those cases; ``coders`` the codings by those coders
  (automatic codings have the coder ``auto``, so ``coders=("li", "auto")`` keeps li's codings
  and the automatic ones).
- ``agreed=K`` (the coder policy of ``--agreed K``): a coding counts only where at least K
  distinct coders applied *the same code* to *the same segment* (any span inside it), among
  the codings the other conditions keep. Every automatic coding counts as one coder, the
  auto-coder, whatever run wrote it. With ``coders`` it is K among those coders; with
  ``origin="manual"`` the auto-coder is not one of them. Agreement is decided per code, then
  rolled up: a theme column counts a segment when some code under it (or the theme itself)
  was applied by K coders, never because one coder chose ``grid.a`` and another ``grid.b``.
  That keeps the relation the same at every level, so a row's total is the same for
  ``--level theme`` and ``--level code`` (the invariant of complete matrices), and a theme
  number never claims an agreement that no code-level number shows. The codings that count
  are those of every agreeing coder, so ``count`` counts each of their codings and coverage
  unites their spans; ``segments``, ``percent``, ``presence`` and ``respondents`` count units
  and are unaffected by how many coders agreed.

Query plan: the relation scans the ``codings`` table in storage order (``NOT INDEXED``) and
looks segments and documents up by primary key in that order (``CROSS JOIN`` fixes the join
order). Autocode runs and review sessions write codings in segment order, so the lookups walk
the segments table sequentially. Left to itself SQLite's planner reads the codings table
through ``codings_segment`` or ``codings_code`` in random order, which at a million codings is
about ten times slower (``bench/bench_matrix.py``).

Unknown codes and cases are :class:`~qualcode.errors.NotFoundError` with a hint, so a typo
never produces an empty table that looks like a finding.

Every other read that an analysis, agreement or report number rests on lives here too, as a
named function that says what it counts, in sections: the codings relation and its filter;
cases and their attributes; codes; segments and documents; the matrix (bulk counts, coverage
spans, cell quotes); quotes; co-occurrence; word frequencies; agreement between coders; rules
against a coder and samples; the project summary. Reads that belong to a writer (what a run
just wrote, where an imported coding goes) live beside the writer in :mod:`qualcode.store`.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal, TypedDict

from qualcode.errors import NotFoundError, UsageError
from qualcode.store.names import closest, not_found, require_name

Origin = Literal["manual", "auto", "all"]
ORIGINS: tuple[Origin, ...] = ("manual", "auto", "all")

#: Columns of the relation :func:`filtered_codings_sql` selects.
FILTERED_COLUMNS = (
    "coding_id", "segment_id", "document_id", "case_id", "code_id", "coder", "origin",
    "start_char", "end_char", "role", "run_id", "rule", "created_at", "memo",
)  # fmt: skip


@dataclass(frozen=True)
class CodingFilter:
    """Which current codings count. Empty tuples and ``None`` mean no restriction."""

    #: Only codings by these coders (``auto`` names the automatic codings).
    coders: tuple[str, ...] = ()
    origin: Origin = "all"
    codes: tuple[str, ...] = ()
    cases: tuple[str, ...] = ()
    #: A coding counts only where at least this many distinct coders (the auto-coder is one)
    #: applied its code to its segment; ``None``: every coding counts on its own.
    agreed: int | None = None
    #: Only codings in respondent turns (segments not marked ``interviewer``). Matrices set it
    #: unless asked for every speaker; :func:`coding_chunks` leaves it to its caller, which
    #: knows each segment's role from :func:`segment_arrays`.
    respondents_only: bool = False

    def __post_init__(self) -> None:
        if self.origin not in ORIGINS:
            raise UsageError(f"unknown origin {self.origin!r}: use manual, auto or all")
        if self.agreed is not None:
            if self.agreed < 1:
                raise UsageError(f"--agreed must be at least 1, got {self.agreed}")
            listed = len(set(self.coders))
            if listed and self.agreed > listed:
                raise UsageError(
                    f"--agreed {self.agreed} can never hold among the {listed} coder"
                    f"{'s' if listed != 1 else ''} given with --coder"
                )
            if self.origin == "auto" and self.agreed > 1:
                raise UsageError(
                    f"--agreed {self.agreed} can never hold with --origin auto: every automatic "
                    "coding counts as one coder, the auto-coder"
                )


def expand_codes(conn: sqlite3.Connection, codes: Iterable[str]) -> list[str]:
    """The given code ids and every code below them (retired ones included: their codings stay).

    Raises :class:`NotFoundError` for an id that is not a current code.
    """
    active = [row[0] for row in conn.execute("SELECT code_id FROM codes WHERE active")]
    known = set(active)
    expanded: dict[str, None] = {}
    for code_id in codes:
        if code_id not in known:
            raise not_found(
                "code", code_id, active, "qualcode codebook show", " in the project's codebook"
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
        require_name(conn, "case", name)
        ids.append(
            int(conn.execute("SELECT case_id FROM cases WHERE name = ?", (name,)).fetchone()[0])
        )
    return ids


def policy_fields(filters: CodingFilter) -> dict[str, Any]:
    """The coder policy ``filters`` applies, as JSON-ready fields: ``origin``, ``coders``
    (empty: every coder) and ``agreed`` (1: every coding counts on its own)."""
    return {
        "origin": filters.origin,
        "coders": list(filters.coders),
        "agreed": filters.agreed or 1,
    }


def policy_text(filters: CodingFilter) -> str:
    """The coder policy as one sentence for captions, report headers and notes: which
    codings count and, with ``agreed``, when a segment counts for a code."""
    origin = {"all": "manual and automatic", "manual": "manual", "auto": "automatic"}
    who = f"by {', '.join(filters.coders)}" if filters.coders else "by every coder"
    text = f"counted: {origin[filters.origin]} codings {who}"
    agreed = filters.agreed or 1
    if agreed == 1:
        return text + ", each on its own"
    among = "of those coders" if filters.coders else "coders"
    return (
        f"{text}; a segment counts for a code when at least {agreed} {among} applied it "
        "(the auto-coder is one coder)"
    )


def filter_phrases(filters: CodingFilter) -> list[str]:
    """The codes and cases ``filters`` narrows to, as phrases for a caption (the coder
    policy is :func:`policy_text`)."""
    phrases = []
    if filters.codes:
        phrases.append("codes " + ", ".join(filters.codes))
    if filters.cases:
        phrases.append("cases " + ", ".join(filters.cases))
    if filters.respondents_only:
        phrases.append("respondent turns")
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
    if filters.coders:
        coders = sorted(set(filters.coders))
        for coder in coders:
            require_name(conn, "coder", coder)
        clauses.append(f"{alias}coder IN ({', '.join('?' * len(coders))})")
        parameters += coders
    if filters.origin != "all":
        clauses.append(f"{alias}origin = ?")
        parameters.append(filters.origin)
    if (filters.agreed or 1) > 1:
        _load_agreed_pairs(conn, filters)
        clauses.append(f"({alias}segment_id, {alias}code_id) IN temp.{_AGREED_PAIRS}")
    return " AND ".join(clauses), parameters


#: Temporary table of the (segment_id, code_id) pairs that reach a filter's ``agreed``.
_AGREED_PAIRS = "qc_agreed_pairs"


def _agreed_pairs_sql(conn: sqlite3.Connection, filters: CodingFilter) -> tuple[str, list[Any]]:
    """A ``SELECT segment_id, code_id, codings`` of the (segment, code) pairs that at least
    ``filters.agreed`` distinct coders applied (every automatic coding counting as one coder,
    the auto-coder), among the codings the filter's coder, origin and code conditions keep;
    ``codings`` is how many of those codings the pair has.

    One ``GROUP BY`` in SQLite: it sorts the codings once, which at a million codings where
    most pairs are coded twice or more is several times faster than gathering each pair's
    coders in Python (``bench/bench_policy.py``).
    """
    from dataclasses import replace

    base = replace(filters, agreed=None, cases=(), respondents_only=False)
    where, parameters = _codings_where(conn, base)
    return (
        "SELECT segment_id, code_id, count(*) AS codings FROM codings "
        f"WHERE {where} GROUP BY segment_id, code_id "
        "HAVING count(DISTINCT iif(origin = 'auto', '', 'by ' || coder)) >= ?",
        [*parameters, filters.agreed or 1],
    )


def _load_agreed_pairs(conn: sqlite3.Connection, filters: CodingFilter) -> None:
    """(Re)fill ``temp.qc_agreed_pairs`` with the pairs of :func:`_agreed_pairs_sql`, for the
    SQL-side reads (quotes, co-occurrence, coverage, cell quotes). Temporary tables live in
    the connection only and never touch the project file."""
    sql, parameters = _agreed_pairs_sql(conn, filters)
    conn.execute(f"DROP TABLE IF EXISTS temp.{_AGREED_PAIRS}")
    conn.execute(
        f"CREATE TEMP TABLE {_AGREED_PAIRS} (segment_id INTEGER NOT NULL, code_id TEXT NOT NULL, "
        "PRIMARY KEY (segment_id, code_id)) WITHOUT ROWID"
    )
    conn.execute(
        f"INSERT INTO temp.{_AGREED_PAIRS} SELECT segment_id, code_id FROM ({sql})", parameters
    )


def filtered_codings_sql(conn: sqlite3.Connection, filters: CodingFilter) -> tuple[str, list[Any]]:
    """A ``SELECT`` of the current codings passing ``filters``, and its parameters.

    Columns: see :data:`FILTERED_COLUMNS` (``case_id`` and ``role`` come from the segment's
    document and the segment). Use it as a CTE: ``WITH fc AS (<sql>) SELECT ... FROM fc``.
    Validates the filter against the project first (unknown code or case: NotFoundError).
    """
    where, parameters = _codings_where(conn, filters, "c.", "d.case_id")
    sql = (
        "SELECT c.coding_id, c.segment_id, s.document_id, d.case_id, c.code_id, c.coder, "
        "c.origin, c.start_char, c.end_char, s.role, c.run_id, c.rule, c.created_at, c.memo "
        "FROM codings c NOT INDEXED CROSS JOIN segments s ON s.segment_id = c.segment_id "
        "CROSS JOIN documents d ON d.document_id = s.document_id "
        f"WHERE {where}" + (" AND s.role IS NOT 'interviewer'" if filters.respondents_only else "")
    )
    return sql, parameters


def unknown_grouping(by: str, known: Sequence[str]) -> NotFoundError:
    """The error for a ``--by`` that is neither a fixed grouping nor a case attribute: the
    closest names, then every name that would do (exit status 1, like every unknown name)."""
    close = closest(by, known)
    hint = ("; did you mean " + " or ".join(f"'{name}'" for name in close) + "?") if close else ""
    return NotFoundError(
        f"unknown case attribute '{by}' for --by{hint} Use one of {', '.join(known)}"
        if close
        else f"unknown case attribute '{by}' for --by: use one of {', '.join(known)}"
    )


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
    """The segments whose codings pass the filter's case condition (all cases by default),
    all at once: :func:`segment_chunks` joined up (small projects; counting reads the chunks)."""
    whole = SegmentArrays([], [], [])
    for part in segment_chunks(conn, filters):
        whole.segment_ids.extend(part.segment_ids)
        whole.document_ids.extend(part.document_ids)
        whole.respondent.extend(part.respondent)
    return whole


def segment_chunks(
    conn: sqlite3.Connection, filters: CodingFilter, chunk: int = 100_000
) -> Iterator[SegmentArrays]:
    """:func:`segment_arrays` in pieces of at most ``chunk`` consecutive segment ids, so that
    a caller filling tables indexed by segment holds one piece of lists at a time (a list of a
    million Python ints is some 36 MB; three of them for three million segments, 300 MB)."""
    import json

    where, parameters = "", []
    if filters.cases:
        ids = case_ids(conn, filters.cases)
        where = f"AND d.case_id IN ({', '.join('?' * len(ids))})"
        parameters = list(ids)
    top = largest_segment_id(conn)
    lower = 0
    while lower < top:
        upper = lower + chunk
        segment_ids, document_ids, respondent = conn.execute(
            "SELECT json_group_array(s.segment_id), json_group_array(s.document_id), "
            "json_group_array(s.role IS NOT 'interviewer') FROM segments s "
            "JOIN documents d ON d.document_id = s.document_id "
            f"WHERE s.segment_id > ? AND s.segment_id <= ? {where}",
            [lower, upper, *parameters],
        ).fetchone()
        lower = upper
        yield SegmentArrays(
            json.loads(segment_ids),
            json.loads(document_ids),
            [bool(x) for x in json.loads(respondent)],
        )


def coding_chunks(
    conn: sqlite3.Connection,
    filters: CodingFilter,
    chunk: int = 250_000,
    *,
    distinct_pairs: bool = False,
) -> Iterator[tuple[list[int], list[str]]]:
    """``(segment_ids, code_ids)`` of the current codings passing the filter's coder, origin
    and code conditions, as parallel lists of at most ``chunk`` codings.

    Together with :func:`segment_arrays` (which applies the case condition) this is the same
    selection as :func:`filtered_codings_sql`, in a shape that can be counted with C-speed
    builtins: a million codings cost two JSON arrays per chunk instead of a million rows.
    ``distinct_pairs``: a (segment, code) may come once however many codings it has, which
    is all that counting segments or documents needs (under ``agreed`` it saves a pass over
    every agreeing coder's codings).
    """
    import json

    if (filters.agreed or 1) > 1:
        yield from _agreed_chunks(conn, filters, chunk, distinct_pairs)
        return
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


def _agreed_chunks(
    conn: sqlite3.Connection, filters: CodingFilter, chunk: int, distinct_pairs: bool
) -> Iterator[tuple[list[int], list[str]]]:
    """:func:`coding_chunks` under ``agreed``: each agreed pair once per coding it has (so
    ``count`` counts every agreeing coder's codings), or once with ``distinct_pairs``,
    straight from :func:`_agreed_pairs_sql`."""
    import json
    from itertools import chain, repeat

    sql, parameters = _agreed_pairs_sql(conn, filters)
    segment_ids, code_ids, codings = conn.execute(
        "SELECT json_group_array(segment_id), json_group_array(code_id), "
        f"json_group_array(codings) FROM ({sql})",
        parameters,
    ).fetchone()
    segments, codes = json.loads(segment_ids), json.loads(code_ids)
    if not distinct_pairs:
        counts = json.loads(codings)
        segments = list(chain.from_iterable(map(repeat, segments, counts)))
        codes = list(chain.from_iterable(map(repeat, codes, counts)))
    for lower in range(0, len(segments), chunk):
        yield segments[lower : lower + chunk], codes[lower : lower + chunk]


# --------------------------------------------------------------------------------------------
# Cases


def case_names(conn: sqlite3.Connection) -> dict[int, str]:
    """``{case_id: name}`` of every case, in the order the cases were created."""
    return {
        int(case_id): str(name)
        for case_id, name in conn.execute("SELECT case_id, name FROM cases ORDER BY case_id")
    }


def attribute_values(conn: sqlite3.Connection, name: str) -> set[Any]:
    """The distinct values (not NULL) that cases have for the attribute ``name``."""
    return {
        value
        for (value,) in conn.execute(
            "SELECT DISTINCT value FROM case_attributes WHERE name = ? AND value IS NOT NULL",
            (name,),
        )
    }


# --------------------------------------------------------------------------------------------
# Codes


def all_code_ids(conn: sqlite3.Connection) -> list[str]:
    """Every code id the project has ever had (retired ones too: their codings stay)."""
    return [str(row[0]) for row in conn.execute("SELECT code_id FROM codes")]


def coded_code_ids(conn: sqlite3.Connection) -> set[str]:
    """Ids of the codes (retired ones too) that have at least one current coding, by anyone.

    Decides which "(theme itself)" columns a code-level matrix has, independently of any
    coder or origin filter, so that matrices of two coders have the same columns.
    """
    return {
        str(row[0])
        for row in conn.execute(
            "SELECT k.code_id FROM codes k WHERE EXISTS (SELECT 1 FROM codings c "
            "WHERE c.code_id = k.code_id AND c.superseded_by_run IS NULL)"
        )
    }


def code_names(conn: sqlite3.Connection, language: Literal["zh", "en"]) -> dict[str, str]:
    """``{code_id: name}`` in ``language``, else the other language, else the id."""
    names = {}
    for code_id, name_zh, name_en in conn.execute("SELECT code_id, name_zh, name_en FROM codes"):
        first, second = (name_zh, name_en) if language == "zh" else (name_en, name_zh)
        names[str(code_id)] = first or second or str(code_id)
    return names


def deepest_code_depth(conn: sqlite3.Connection) -> int:
    """The depth of the deepest code (0 when there are only themes, or no codes)."""
    return int(conn.execute("SELECT coalesce(max(depth), 0) FROM codes").fetchone()[0])


def theme_labels(conn: sqlite3.Connection) -> dict[str, str]:
    """``{theme_id: Chinese name, else English name, else id}``, current themes first."""
    return {
        str(row["code_id"]): str(row["name_zh"] or row["name_en"] or row["code_id"])
        for row in conn.execute(
            "SELECT code_id, name_zh, name_en FROM codes WHERE depth = 0 "
            "ORDER BY active DESC, ordinal"
        )
    }


def code_parents(conn: sqlite3.Connection) -> dict[str, str | None]:
    """``{code_id: parent_id}`` (``None`` for a theme) of every code."""
    return {
        str(code_id): parent_id
        for code_id, parent_id in conn.execute("SELECT code_id, parent_id FROM codes")
    }


def code_order(conn: sqlite3.Connection) -> dict[str, int]:
    """``{code_id: position}``: current codes in codebook order, then retired ones."""
    rows = conn.execute("SELECT code_id FROM codes ORDER BY active DESC, ordinal")
    return {str(row[0]): position for position, row in enumerate(rows)}


def codes_with_rules(conn: sqlite3.Connection) -> tuple[dict[str, int], set[str]]:
    """``({code_id: position in codebook order}, ids of the current codes that have rules)``.

    A code has rules when it has at least one keyword, prefix, pattern or lemma.
    """
    import json

    order: dict[str, int] = {}
    with_rules: set[str] = set()
    rows = conn.execute("SELECT code_id, rules, active FROM codes ORDER BY ordinal")
    for position, (code_id, rules, active) in enumerate(rows):
        order[code_id] = position
        data = json.loads(rules)
        if active and any(
            data.get(kind) for kind in ("keywords", "prefixes", "patterns", "lemmas", "proximity")
        ):
            with_rules.add(code_id)
    return order, with_rules


# --------------------------------------------------------------------------------------------
# Segments and documents


def document_cases(conn: sqlite3.Connection) -> dict[int, int]:
    """``{document_id: case_id}`` of every document."""
    return {
        int(document_id): int(case_id)
        for document_id, case_id in conn.execute("SELECT document_id, case_id FROM documents")
    }


def largest_segment_id(conn: sqlite3.Connection) -> int:
    """The largest segment id (0 without segments): the size of arrays indexed by segment."""
    return int(conn.execute("SELECT coalesce(max(segment_id), 0) FROM segments").fetchone()[0])


def segments_per_case(conn: sqlite3.Connection, *, respondent_only: bool) -> dict[int, int]:
    """``{case_id: segments}`` in the case's documents; with ``respondent_only`` the segments
    that are not interviewer turns (cases without segments have no key)."""
    role = "WHERE s.role IS NOT 'interviewer' " if respondent_only else ""
    return {
        int(case_id): int(count)
        for case_id, count in conn.execute(
            "SELECT d.case_id, count(*) FROM segments s "
            f"JOIN documents d ON d.document_id = s.document_id {role}GROUP BY d.case_id"
        )
    }


def characters_per_case(conn: sqlite3.Connection, *, respondent_only: bool) -> dict[int, int]:
    """``{case_id: characters}`` in the segments of the case's documents (with
    ``respondent_only``, in its respondent turns): headers and text between turns are not
    part of any population, so they are in no base."""
    role = "WHERE s.role IS NOT 'interviewer' " if respondent_only else ""
    return {
        int(case_id): int(count)
        for case_id, count in conn.execute(
            "SELECT d.case_id, sum(s.end_char - s.start_char) FROM segments s "
            f"JOIN documents d ON d.document_id = s.document_id {role}GROUP BY d.case_id"
        )
    }


def documents_per_case(conn: sqlite3.Connection) -> dict[int, int]:
    """``{case_id: documents}`` (one interview is one respondent)."""
    return {
        int(case_id): int(count)
        for case_id, count in conn.execute(
            "SELECT case_id, count(*) FROM documents GROUP BY case_id"
        )
    }


# --------------------------------------------------------------------------------------------
# Matrix cells: spans for coverage and representative quotes

#: Temporary tables mapping a case to its matrix row and a code to its column(s).
_ROW_SLOTS = "qc_matrix_rows"
_COLUMN_SLOTS = "qc_matrix_columns"


@contextmanager
def _slot_maps(
    conn: sqlite3.Connection,
    case_rows: Mapping[int, int],
    column_pairs: Iterable[tuple[str, int]],
) -> Iterator[None]:
    """Case -> row and code -> column maps as temporary tables, for the SQL-side queries."""
    load_temp_map(conn, _ROW_SLOTS, "INTEGER", case_rows.items())
    load_temp_map(conn, _COLUMN_SLOTS, "TEXT", column_pairs)
    try:
        yield
    finally:
        conn.execute(f"DROP TABLE IF EXISTS temp.{_ROW_SLOTS}")
        conn.execute(f"DROP TABLE IF EXISTS temp.{_COLUMN_SLOTS}")


def coverage_spans(
    conn: sqlite3.Connection,
    filters: CodingFilter,
    case_rows: Mapping[int, int],
    column_pairs: Iterable[tuple[str, int]],
) -> Iterator[tuple[int, int, int, int, int]]:
    """``(row, column, document_id, start_char, end_char)`` of the distinct coded spans that
    pass ``filters``, one per matrix cell they fall in.

    ``case_rows`` maps a case id to its matrix row; ``column_pairs`` are ``(code_id, column)``
    pairs (a code may count in several columns). Codings of other cases or codes are left out.
    The coverage measure unites these spans per cell and per row.
    """
    with _slot_maps(conn, case_rows, column_pairs):
        sql, parameters = filtered_codings_sql(conn, filters)
        yield from conn.execute(
            f"WITH fc AS ({sql}) SELECT DISTINCT r.slot, m.slot, fc.document_id, fc.start_char, "
            f"fc.end_char FROM fc JOIN temp.{_COLUMN_SLOTS} m ON m.key = fc.code_id "
            f"JOIN temp.{_ROW_SLOTS} r ON r.key = fc.case_id",
            parameters,
        )


class QuoteCoding(TypedDict):
    """A coding that puts a quoted segment in its cell: which code, who, how, where, memo."""

    code: str
    coder: str
    origin: str
    rule: str | None
    start_char: int
    end_char: int
    memo: str | None


class CellQuote(TypedDict):
    """One representative coded segment of a matrix cell (row x column), with the codings
    (passing the filter, under the cell's column) that put it there."""

    row: int
    column: int
    segment_id: int
    document: str
    case_id: int
    speaker: str | None
    role: str | None
    text: str
    #: The segment's start in the document: a coding's span in ``text`` starts at
    #: ``start_char - segment_start``.
    segment_start: int
    codings: list[QuoteCoding]


def cell_quotes(
    conn: sqlite3.Connection,
    filters: CodingFilter,
    case_rows: Mapping[int, int],
    column_pairs: Iterable[tuple[str, int]],
    per_cell: int,
) -> list[CellQuote]:
    """Up to ``per_cell`` distinct coded segments per matrix cell, from the codings passing
    ``filters``: respondent turns first, then in segment order; ordered by row, column, rank.

    ``case_rows`` and ``column_pairs`` map cases and codes to cells as in :func:`coverage_spans`.
    """
    import json

    with _slot_maps(conn, case_rows, column_pairs):
        sql, parameters = filtered_codings_sql(conn, filters)
        # The codings of one quoted segment under its column, by the segment index.
        where, coding_parameters = _codings_where(conn, filters, "q.")
        codings_sql = (
            "(SELECT json_group_array(json_object('code', q.code_id, 'coder', q.coder, "
            "'origin', q.origin, 'rule', q.rule, 'start_char', q.start_char, 'end_char', "
            "q.end_char, 'memo', q.memo)) FROM (SELECT * FROM codings q "
            f"WHERE q.segment_id = ranked.segment_id AND {where} AND q.code_id IN "
            f"(SELECT key FROM temp.{_COLUMN_SLOTS} WHERE slot = ranked.col) "
            "ORDER BY q.start_char, q.code_id, q.coding_id) q)"
        )
        return [
            CellQuote(
                row=row,
                column=column,
                segment_id=segment_id,
                document=document,
                case_id=int(case_id),
                speaker=speaker,
                role=role,
                text=text,
                segment_start=int(segment_start),
                codings=json.loads(codings),
            )
            for (
                row,
                column,
                segment_id,
                document,
                case_id,
                speaker,
                role,
                text,
                segment_start,
                codings,
            ) in conn.execute(
                f"WITH fc AS ({sql}), pairs AS ("
                "SELECT DISTINCT r.slot AS row, m.slot AS col, fc.segment_id, fc.role "
                f"FROM fc JOIN temp.{_COLUMN_SLOTS} m ON m.key = fc.code_id "
                f"JOIN temp.{_ROW_SLOTS} r ON r.key = fc.case_id), "
                "ranked AS (SELECT row, col, segment_id, row_number() OVER (PARTITION BY row, "
                "col ORDER BY role IS 'interviewer', segment_id) AS rank FROM pairs) "
                "SELECT ranked.row, ranked.col, s.segment_id, d.name, d.case_id, s.speaker, "
                f"s.role, s.text, s.start_char, {codings_sql} "
                "FROM ranked JOIN segments s ON s.segment_id = ranked.segment_id "
                "JOIN documents d ON d.document_id = s.document_id WHERE ranked.rank <= ? "
                "ORDER BY ranked.row, ranked.col, ranked.rank",
                [*parameters, *coding_parameters, per_cell],
            )
        ]


# --------------------------------------------------------------------------------------------
# Quotes (one row per coding)

#: What :func:`quote_sources` yields per coding, in this order.
QUOTE_SOURCE_COLUMNS = (
    "coding_id", "segment_id", "document", "case_id", "speaker", "role", "start_time",
    "end_time", "code_id", "coder", "origin", "run_id", "rule", "start_char", "end_char",
    "quote", "segment_text", "memo", "created_at",
)  # fmt: skip


def quote_sources(conn: sqlite3.Connection, filters: CodingFilter) -> Iterator[Sequence[Any]]:
    """Every coding passing ``filters`` with its segment, document and coded quote, as rows of
    :data:`QUOTE_SOURCE_COLUMNS`, ordered by segment, span start, code and coding id.

    ``quote`` is ``document_text[start_char:end_char]`` (cut from the segment's text). Rows come
    straight from the cursor so that a million codings stream in flat memory. The filter is
    validated (unknown code or case: NotFoundError) when this is called, before any row.
    """
    sql, parameters = filtered_codings_sql(conn, filters)
    cursor: Iterator[Sequence[Any]] = conn.execute(
        f"WITH fc AS ({sql}) "
        "SELECT fc.coding_id, fc.segment_id, d.name, fc.case_id, s.speaker, s.role, "
        "s.start_time, s.end_time, fc.code_id, fc.coder, fc.origin, fc.run_id, fc.rule, "
        "fc.start_char, fc.end_char, "
        "substr(s.text, fc.start_char - s.start_char + 1, fc.end_char - fc.start_char), "
        "s.text, fc.memo, fc.created_at "
        "FROM fc JOIN segments s ON s.segment_id = fc.segment_id "
        "JOIN documents d ON d.document_id = fc.document_id "
        "ORDER BY fc.segment_id, fc.start_char, fc.code_id, fc.coding_id",
        parameters,
    )
    return cursor


# --------------------------------------------------------------------------------------------
# Co-occurrence

_COOCCUR_COLUMNS = "qc_cooccur_columns"


def cooccurrence_counts(
    conn: sqlite3.Connection,
    filters: CodingFilter,
    column_pairs: Iterable[tuple[str, int]],
    unit: Literal["segment", "document"],
) -> list[tuple[int, int, int]]:
    """``(column_a, column_b, units)``: how many units (segments or documents) have at least
    one coding passing ``filters`` under column a and at least one under column b.

    ``column_pairs`` maps codes to columns (``(code_id, column)``, a code may count in several).
    Pairs with no unit in common are left out; ``(a, a)`` counts the units coded under a.
    """
    sql, parameters = filtered_codings_sql(conn, filters)
    unit_column = "fc.segment_id" if unit == "segment" else "fc.document_id"
    load_temp_map(conn, _COOCCUR_COLUMNS, "TEXT", column_pairs)
    try:
        return [
            (int(column_a), int(column_b), int(both))
            for column_a, column_b, both in conn.execute(
                f"WITH fc AS ({sql}), units AS (SELECT DISTINCT {unit_column} AS unit, "
                f"m.slot AS col FROM fc JOIN temp.{_COOCCUR_COLUMNS} m ON m.key = fc.code_id) "
                "SELECT a.col, b.col, count(*) FROM units a JOIN units b ON a.unit = b.unit "
                "GROUP BY a.col, b.col",
                parameters,
            )
        ]
    finally:
        conn.execute(f"DROP TABLE IF EXISTS temp.{_COOCCUR_COLUMNS}")


# --------------------------------------------------------------------------------------------
# Word frequencies

Speakers = Literal["respondent", "all", "interviewer"]
SPEAKERS: tuple[Speakers, ...] = ("respondent", "all", "interviewer")


def segment_themes(conn: sqlite3.Connection, filters: CodingFilter) -> dict[int, list[str]]:
    """``{segment_id: [theme_id, ...]}``: the themes under which each segment has at least one
    coding passing ``filters`` (segments without such a coding have no key)."""
    return dict(segment_themes_in_order(conn, filters))


def segment_themes_in_order(
    conn: sqlite3.Connection, filters: CodingFilter
) -> Iterator[tuple[int, list[str]]]:
    """:func:`segment_themes` as ``(segment_id, [theme_id, ...])`` in segment order, read as
    it goes: what a pass over the segments in order needs, without a dict of every coded
    segment (hundreds of MB at millions of segments)."""
    sql, parameters = filtered_codings_sql(conn, filters)
    current: int | None = None
    themes: list[str] = []
    for segment_id, theme_id in conn.execute(
        f"WITH fc AS ({sql}) SELECT DISTINCT fc.segment_id, k.theme_id FROM fc "
        "JOIN codes k ON k.code_id = fc.code_id ORDER BY fc.segment_id",
        parameters,
    ):
        if segment_id != current:
            if current is not None:
                yield current, themes
            current, themes = int(segment_id), []
        themes.append(str(theme_id))
    if current is not None:
        yield current, themes


def _speaker_clause(speakers: Speakers) -> str:
    if speakers == "respondent":
        return "(s.role IS NULL OR s.role != 'interviewer')"
    if speakers == "interviewer":
        return "s.role = 'interviewer'"
    return "1"


def segment_texts(
    conn: sqlite3.Connection, speakers: Speakers, key: Literal["none", "case"] | tuple[str]
) -> Iterator[tuple[int, str, Any]]:
    """``(segment_id, text, key)`` of every segment of ``speakers``, in segment order.

    ``speakers``: ``respondent`` (every segment not marked interviewer), ``interviewer`` or
    ``all``. ``key`` is what comes third: ``"none"`` (``None``), ``"case"`` (the case's name), or
    ``(attribute,)`` (the case's value of that attribute, ``None`` when it has none).
    """
    parameters: list[Any] = []
    if key == "none":
        key_sql = "NULL"
    elif key == "case":
        key_sql = "c.name"
    else:
        key_sql = (
            "(SELECT a.value FROM case_attributes a WHERE a.case_id = c.case_id AND a.name = ?)"
        )
        parameters.append(key[0])
    for segment_id, text, group_key in conn.execute(
        f"SELECT s.segment_id, s.text, {key_sql} AS group_key FROM segments s "
        "JOIN documents d ON d.document_id = s.document_id "
        "JOIN cases c ON c.case_id = d.case_id "
        f"WHERE {_speaker_clause(speakers)} ORDER BY s.segment_id",
        parameters,
    ):
        yield int(segment_id), str(text), group_key


# --------------------------------------------------------------------------------------------
# Agreement between coders

#: A segment as two projects with the same documents both know it:
#: (document content hash, start_char, end_char).
SegmentKey = tuple[str, int, int]
#: One coding inside a segment: (code_id, start_char, end_char).
CodedSpan = tuple[str, int, int]


def current_coders(conn: sqlite3.Connection) -> list[str]:
    """Coders with current codings (any origin; ``auto`` for automatic ones), sorted."""
    return [
        str(row[0])
        for row in conn.execute(
            "SELECT DISTINCT coder FROM codings WHERE superseded_by_run IS NULL ORDER BY coder"
        )
    ]


def segment_keys(conn: sqlite3.Connection) -> dict[SegmentKey, int]:
    """``{(content_hash, start_char, end_char): segment_id}`` of every segment."""
    rows = conn.execute(
        "SELECT d.content_hash, s.start_char, s.end_char, s.segment_id FROM segments s "
        "JOIN documents d ON d.document_id = s.document_id"
    )
    return {(row[0], row[1], row[2]): row[3] for row in rows}


def coder_spans(conn: sqlite3.Connection, coder: str) -> dict[SegmentKey, list[CodedSpan]]:
    """``coder``'s current codings (any origin), grouped by the segment they lie in."""
    spans: dict[SegmentKey, list[CodedSpan]] = defaultdict(list)
    rows = conn.execute(
        "SELECT d.content_hash, s.start_char, s.end_char, c.code_id, c.start_char, c.end_char "
        "FROM codings c JOIN segments s ON s.segment_id = c.segment_id "
        "JOIN documents d ON d.document_id = s.document_id "
        "WHERE c.coder = ? AND c.superseded_by_run IS NULL",
        (coder,),
    )
    for row in rows:
        spans[row[0], row[1], row[2]].append((row[3], row[4], row[5]))
    return spans


def coded_units(
    conn: sqlite3.Connection, coders: Sequence[str], *, all_segments: bool = False
) -> Iterator[tuple[SegmentKey, int, list[list[CodedSpan]]]]:
    """``(key, segment_id, spans)`` per segment that every one of ``coders`` coded (or, with
    ``all_segments``, per segment), in key order; ``spans[i]`` is coder i's current codings in
    it (any origin), as :func:`coder_spans` gives them.

    One sorted pass over the codings of those coders, a segment at a time: what agreement
    needs without holding every segment's key (hundreds of MB at millions of segments).
    """
    position = {coder: index for index, coder in enumerate(coders)}
    marks = ", ".join("?" * len(coders))
    coded = f"c.coder IN ({marks}) AND c.superseded_by_run IS NULL"
    if all_segments:
        rows = conn.execute(
            "SELECT d.content_hash, s.start_char, s.end_char, s.segment_id, c.coder, c.code_id, "
            "c.start_char, c.end_char FROM segments s "
            "JOIN documents d ON d.document_id = s.document_id "
            f"LEFT JOIN codings c ON c.segment_id = s.segment_id AND {coded} "
            "ORDER BY d.content_hash, s.start_char, s.end_char",
            list(coders),
        )
    else:
        rows = conn.execute(
            "SELECT d.content_hash, s.start_char, s.end_char, s.segment_id, c.coder, c.code_id, "
            "c.start_char, c.end_char FROM codings c "
            "JOIN segments s ON s.segment_id = c.segment_id "
            "JOIN documents d ON d.document_id = s.document_id "
            f"WHERE {coded} ORDER BY d.content_hash, s.start_char, s.end_char",
            list(coders),
        )
    key: SegmentKey | None = None
    segment_id = 0
    spans: list[list[CodedSpan]] = []
    for content_hash, start, end, segment, coder, code_id, code_start, code_end in rows:
        if key is None or key != (content_hash, start, end):
            if key is not None and (all_segments or all(spans)):
                yield key, segment_id, spans
            key, segment_id = (content_hash, start, end), segment
            spans = [[] for _ in coders]
        if coder is not None:
            spans[position[coder]].append((code_id, code_start, code_end))
    if key is not None and (all_segments or all(spans)):
        yield key, segment_id, spans


# --------------------------------------------------------------------------------------------
# Auto-coding rules against a coder, and samples for double coding


def manual_coders(conn: sqlite3.Connection) -> list[str]:
    """Coders with current manual codings, sorted."""
    return [
        str(row[0])
        for row in conn.execute(
            "SELECT DISTINCT coder FROM codings WHERE origin = 'manual' "
            "AND superseded_by_run IS NULL ORDER BY coder"
        )
    ]


def manual_codes_by_segment(conn: sqlite3.Connection, coder: str) -> dict[int, set[str]]:
    """``{segment_id: {code_id, ...}}``: the codes ``coder`` applied by hand to each segment
    (current manual codings, whatever their span)."""
    coded: dict[int, set[str]] = defaultdict(set)
    for segment_id, code_id in conn.execute(
        "SELECT segment_id, code_id FROM codings WHERE coder = ? AND origin = 'manual' "
        "AND superseded_by_run IS NULL",
        (coder,),
    ):
        coded[int(segment_id)].add(str(code_id))
    return coded


def auto_codings(conn: sqlite3.Connection) -> Iterator[tuple[int, str, str | None, str | None]]:
    """``(segment_id, code_id, rule_kind, rule)`` of every current automatic coding."""
    for segment_id, code_id, rule_kind, rule in conn.execute(
        "SELECT segment_id, code_id, rule_kind, rule FROM codings WHERE origin = 'auto' "
        "AND superseded_by_run IS NULL"
    ):
        yield int(segment_id), str(code_id), rule_kind, rule


class SampleSegment(TypedDict):
    """A segment that can be drawn for double coding (columns of ``segments_view``)."""

    segment_id: int
    document: str
    case_name: str
    ordinal: int
    speaker: str | None
    role: str | None
    text: str


#: The fields of :class:`SampleSegment`, in output order.
SAMPLE_FIELDS = ("segment_id", "document", "case_name", "ordinal", "speaker", "role", "text")


def sample_population(
    conn: sqlite3.Connection, coded_by: str | None, *, all_speakers: bool = False
) -> list[SampleSegment]:
    """The segments a sample is drawn from, in segment order: respondent turns (every segment
    not marked ``interviewer``; with ``all_speakers`` every segment), and with ``coded_by``
    only those with at least one current coding by that coder."""
    clauses = [] if all_speakers else ["role IS NOT 'interviewer'"]
    parameters: list[Any] = []
    if coded_by is not None:
        clauses.append(
            "segment_id IN (SELECT segment_id FROM codings WHERE coder = ? "
            "AND superseded_by_run IS NULL)"
        )
        parameters.append(coded_by)
    where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    sql = "SELECT " + ", ".join(SAMPLE_FIELDS) + " FROM segments_view" + where
    return [
        SampleSegment(
            segment_id=row[0],
            document=row[1],
            case_name=row[2],
            ordinal=row[3],
            speaker=row[4],
            role=row[5],
            text=row[6],
        )
        for row in conn.execute(sql + " ORDER BY segment_id", parameters)
    ]


# --------------------------------------------------------------------------------------------
# Project summary


@dataclass(frozen=True)
class ProjectSummary:
    """Counts describing a project, for the top of the report."""

    documents: int
    cases: int
    segments: int
    #: Segments not marked as interviewer turns.
    respondent_segments: int
    #: ``(origin, coder, codings)`` for the current codings, manual first.
    codings: list[tuple[str, str, int]]


def project_summary(conn: sqlite3.Connection) -> ProjectSummary:
    """Documents, cases, segments (all and respondent) and current codings by origin/coder."""
    documents, cases = conn.execute(
        "SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM cases)"
    ).fetchone()
    segments, respondent = conn.execute(
        "SELECT count(*), count(*) FILTER (WHERE role IS NOT 'interviewer') FROM segments"
    ).fetchone()
    codings = [
        (str(origin), str(coder), int(count))
        for origin, coder, count in conn.execute(
            "SELECT origin, coder, count(*) FROM codings WHERE superseded_by_run IS NULL "
            "GROUP BY origin, coder ORDER BY origin DESC, coder"
        )
    ]
    return ProjectSummary(int(documents), int(cases), int(segments), int(respondent), codings)


# --------------------------------------------------------------------------------------------
# Memos


class MemoListing(TypedDict):
    """A memo and what it is attached to (``qualcode memos``).

    ``target_kind`` is ``segment``, ``code`` or ``document`` for memos written with ``qualcode
    memo`` (``memo_id`` is theirs), or ``coding`` for a memo written with a coding (``code
    ... --memo``, an imported codings table's memo column); then ``target`` is the coding id and
    ``memo_id`` is ``None``.
    """

    memo_id: int | None
    target_kind: str
    target: str
    attached_to: str
    coder: str
    text: str
    created_at: str


def memo_listing(conn: sqlite3.Connection) -> list[MemoListing]:
    """Every memo: those on segments, codes and documents (by memo id), then the memos of
    current codings (by coding id), each with a readable description of what it is on."""
    rows = conn.execute(
        "SELECT * FROM (SELECT m.memo_id AS memo_id, m.target_kind AS kind, m.target AS target, "
        "CASE m.target_kind "
        "WHEN 'segment' THEN 'segment ' || m.target || coalesce(' (' || v.document || ', ' "
        "|| v.case_name || ')', '') "
        "WHEN 'code' THEN 'code ' || m.target "
        "|| coalesce(' ' || coalesce(k.name_zh, k.name_en), '') "
        "ELSE 'document ' || m.target END, m.coder, m.text, m.created_at FROM memos m "
        "LEFT JOIN segments_view v ON m.target_kind = 'segment' "
        "AND v.segment_id = CAST(m.target AS INTEGER) "
        "LEFT JOIN codes k ON m.target_kind = 'code' AND k.code_id = m.target "
        "UNION ALL "
        "SELECT NULL, 'coding', CAST(c.coding_id AS TEXT), 'coding ' || c.coding_id || ': ' "
        "|| c.code_id || ' on segment ' || c.segment_id || ' (' || d.name || ', ' || k.name "
        "|| ')', c.coder, c.memo, c.created_at FROM codings c "
        "JOIN segments s ON s.segment_id = c.segment_id "
        "JOIN documents d ON d.document_id = s.document_id JOIN cases k ON k.case_id = d.case_id "
        "WHERE c.memo IS NOT NULL AND c.memo <> '' AND c.superseded_by_run IS NULL "
        ") ORDER BY kind = 'coding', memo_id, CAST(target AS INTEGER)"
    )
    return [
        MemoListing(
            memo_id=row[0],
            target_kind=row[1],
            target=str(row[2]),
            attached_to=row[3],
            coder=row[4],
            text=row[5],
            created_at=row[6],
        )
        for row in rows
    ]
