"""Suggestions from ``autocode --mode suggest``: list them, accept or reject them, undo that.

A suggestion is a keyword, pattern or lemma hit that a ``suggest`` run stored instead of coding
it. A researcher decides each one, in ``qualcode review`` or with ``qualcode suggestions``.

How an accepted suggestion is recorded (provenance, DESIGN.md section 3):

- The coding it creates is ``origin = 'manual'`` with ``coder`` = the reviewer: a person
  decided it, so it counts as human coding (agreement, exports filtered by origin) and later
  auto-coding runs never supersede it.
- The coding keeps the suggestion's ``run_id``, ``rule_kind`` and ``rule`` and its exact span.
  So in ``codings_view`` a coding with ``origin = 'manual'`` and a non-null ``run_id`` is a
  reviewed suggestion, and its rule says which keyword or pattern proposed it.
- The suggestion row becomes ``status = 'accepted'`` with ``decided_by``, ``decided_at`` and
  ``coding_id`` pointing at that coding. If the reviewer had already coded exactly that span
  with that code, no second coding is made: the suggestion points at the existing one.

A rejected suggestion keeps its row (``status = 'rejected'``, ``decided_by``, ``decided_at``)
so that ``qualcode agree`` can later compare rules with coders on rejections too.

Every decision is one transaction. Deciding a suggestion that is no longer pending is a
:class:`~qualcode.errors.ConflictError`; an unknown id is a
:class:`~qualcode.errors.NotFoundError`. A batch (several ids) is all or nothing.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from qualcode.errors import ConflictError, NotFoundError, UsageError
from qualcode.store.codings import Span, code_in_transaction
from qualcode.store.journal import journaled
from qualcode.store.project import Project, now_utc
from qualcode.store.rows import SuggestionRow, typed_row

Status = Literal["pending", "accepted", "rejected"]
STATUSES: tuple[Status, ...] = ("pending", "accepted", "rejected")

#: Fields of one suggestion row, as listed by ``qualcode suggestions list --format json``.
SUGGESTION_FIELDS = (
    "suggestion_id", "run_id", "segment_id", "document", "case_name", "speaker", "role",
    "code", "code_name", "rule_kind", "rule", "start_char", "end_char", "quote", "status",
    "decided_by", "decided_at", "coding_id",
)  # fmt: skip

_SELECT = """
SELECT
    g.suggestion_id, g.run_id, g.segment_id, d.name AS document, k.name AS case_name,
    s.speaker, s.role, g.code_id AS code, coalesce(co.name_zh, co.name_en, '') AS code_name,
    g.rule_kind, g.rule, g.start_char, g.end_char,
    substr(s.text, g.start_char - s.start_char + 1, g.end_char - g.start_char) AS quote,
    g.status, g.decided_by, g.decided_at, g.coding_id
FROM suggestions g
JOIN segments s ON s.segment_id = g.segment_id
JOIN documents d ON d.document_id = s.document_id
JOIN cases k ON k.case_id = d.case_id
JOIN codes co ON co.code_id = g.code_id
"""


@dataclass(frozen=True)
class SuggestionFilter:
    """Which suggestions to list or decide in bulk; ``None`` means no filter.

    ``code`` selects its sub-codes too (``--code grid`` finds ``grid.checkpoints``).
    """

    status: str | None = "pending"
    code: str | None = None
    case_name: str | None = None
    run_id: int | None = None

    def __post_init__(self) -> None:
        if self.status is not None and self.status not in STATUSES:
            raise UsageError(f"unknown status {self.status!r}: use pending, accepted or rejected")


def _where(filters: SuggestionFilter) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    parameters: list[Any] = []
    if filters.status is not None:
        clauses.append("g.status = ?")
        parameters.append(filters.status)
    if filters.code is not None:
        clauses.append("(g.code_id = ? OR g.code_id LIKE ? ESCAPE '\\')")
        parameters += [filters.code, filters.code.replace("_", "\\_") + ".%"]
    if filters.case_name is not None:
        clauses.append("k.name = ?")
        parameters.append(filters.case_name)
    if filters.run_id is not None:
        clauses.append("g.run_id = ?")
        parameters.append(filters.run_id)
    return (f"WHERE {' AND '.join(clauses)}" if clauses else ""), parameters


def _check_filters(conn: sqlite3.Connection, filters: SuggestionFilter) -> None:
    """Unknown filter values are errors, not silently empty listings."""
    if filters.code is not None and (
        conn.execute(
            "SELECT 1 FROM codes WHERE code_id = ? OR code_id LIKE ? ESCAPE '\\' LIMIT 1",
            (filters.code, filters.code.replace("_", "\\_") + ".%"),
        ).fetchone()
        is None
    ):
        from qualcode.store.names import not_found

        known = [row[0] for row in conn.execute("SELECT code_id FROM codes ORDER BY ordinal")]
        raise not_found(
            "code", filters.code, known, "qualcode codebook show", " in the project's codebook"
        )
    if filters.case_name is not None:
        from qualcode.store.names import require_name

        require_name(conn, "case", filters.case_name)
    if (
        filters.run_id is not None
        and conn.execute(
            "SELECT 1 FROM autocode_runs WHERE run_id = ?", (filters.run_id,)
        ).fetchone()
        is None
    ):
        raise NotFoundError(f"no auto-coding run {filters.run_id} (see 'qualcode autocode runs')")


def list_suggestions(project: Project, filters: SuggestionFilter) -> list[SuggestionRow]:
    """Suggestions matching ``filters`` in reading order: by segment, then by position."""
    _check_filters(project.conn, filters)
    where, parameters = _where(filters)
    rows = project.conn.execute(
        f"{_SELECT} {where} ORDER BY g.segment_id, g.start_char, g.end_char, g.suggestion_id",
        parameters,
    )
    return [typed_row(row, SuggestionRow) for row in rows]


def segment_suggestions(project: Project, segment_id: int) -> list[SuggestionRow]:
    """The pending suggestions on one segment in text order (review numbers them 1, 2, ...)."""
    rows = project.conn.execute(
        f"{_SELECT} WHERE g.segment_id = ? AND g.status = 'pending' "
        "ORDER BY g.start_char, g.end_char, g.suggestion_id",
        (segment_id,),
    )
    return [typed_row(row, SuggestionRow) for row in rows]


def get_suggestion(project: Project, suggestion_id: int) -> SuggestionRow:
    """One suggestion row (fields :data:`SUGGESTION_FIELDS`)."""
    return _fetch(project.conn, suggestion_id)


def _fetch(conn: sqlite3.Connection, suggestion_id: int) -> SuggestionRow:
    row = conn.execute(f"{_SELECT} WHERE g.suggestion_id = ?", (suggestion_id,)).fetchone()
    if row is None:
        raise NotFoundError(
            f"no suggestion {suggestion_id} (see 'qualcode suggestions list --status all')"
        )
    return typed_row(row, SuggestionRow)


@dataclass(frozen=True)
class SuggestionContext:
    """What a reviewer needs to judge one suggestion."""

    suggestion: SuggestionRow
    #: The whole segment text; the suggested span is ``text[span_start:span_end]``.
    text: str
    span_start: int
    span_end: int
    previous_text: str | None
    #: Codes already on the segment (current codings), with origin, e.g. ``grid.x (manual)``.
    existing_codes: list[str]
    #: For a learned suggestion: its score and the model that made it; otherwise ``None``.
    learned: LearnedNote | None = None


@dataclass(frozen=True)
class LearnedNote:
    """What a reviewer is told about a learned suggestion: the model's probability for this
    segment, and which model said so (whose coding it learned, from how many segments, how
    good it was in cross-validation, and the start of its training data's hash)."""

    score: float
    model_id: int
    coder: str
    examples: int
    positives: int
    precision: float
    recall: float
    f1: float
    training_hash: str


def suggestion_context(project: Project, suggestion_id: int) -> SuggestionContext:
    """The suggestion with its segment text, the span within it, the preceding segment and
    the codes the segment already has."""
    conn = project.conn
    suggestion = _fetch(conn, suggestion_id)
    segment = conn.execute(
        "SELECT document_id, ordinal, start_char, text FROM segments WHERE segment_id = ?",
        (suggestion["segment_id"],),
    ).fetchone()
    previous = conn.execute(
        "SELECT text FROM segments WHERE document_id = ? AND ordinal < ? "
        "ORDER BY ordinal DESC LIMIT 1",
        (segment["document_id"], segment["ordinal"]),
    ).fetchone()
    existing = [
        f"{row[0]} ({row[1]})"
        for row in conn.execute(
            "SELECT DISTINCT code_id, origin FROM codings WHERE segment_id = ? "
            "AND superseded_by_run IS NULL ORDER BY code_id, origin",
            (suggestion["segment_id"],),
        )
    ]
    learned_row = conn.execute(
        "SELECT g.score, m.model_id, m.coder, m.examples, m.positives, m.precision, m.recall, "
        "m.f1, m.training_hash FROM suggestions g "
        "JOIN learned_models m ON m.model_id = g.model_id WHERE g.suggestion_id = ?",
        (suggestion_id,),
    ).fetchone()
    offset = int(segment["start_char"])
    return SuggestionContext(
        suggestion=suggestion,
        text=str(segment["text"]),
        span_start=int(suggestion["start_char"]) - offset,
        span_end=int(suggestion["end_char"]) - offset,
        previous_text=None if previous is None else str(previous[0]),
        existing_codes=existing,
        learned=None if learned_row is None else LearnedNote(*learned_row),
    )


@dataclass(frozen=True)
class Decision:
    """The outcome of accepting or rejecting one suggestion.

    ``coding_created`` says whether accepting made a new coding (``False`` when the reviewer
    had already coded that span with that code), so that an undo removes only what it made.
    """

    suggestion_id: int
    status: Status
    coding_id: int | None = None
    coding_created: bool = False


def _require_pending(conn: sqlite3.Connection, suggestion_id: int) -> sqlite3.Row:
    row = conn.execute(
        "SELECT suggestion_id, run_id, segment_id, code_id, rule_kind, rule, start_char, "
        "end_char, status, decided_by FROM suggestions WHERE suggestion_id = ?",
        (suggestion_id,),
    ).fetchone()
    if row is None:
        raise NotFoundError(
            f"no suggestion {suggestion_id} (see 'qualcode suggestions list --status all')"
        )
    if row["status"] != "pending":
        raise ConflictError(
            f"suggestion {suggestion_id} was already {row['status']} by {row['decided_by']}"
        )
    return row  # type: ignore[no-any-return]


def _accept(conn: sqlite3.Connection, suggestion_id: int, coder: str, memo: str | None) -> Decision:
    row = _require_pending(conn, suggestion_id)
    segment_start = conn.execute(
        "SELECT start_char FROM segments WHERE segment_id = ?", (row["segment_id"],)
    ).fetchone()[0]
    result = code_in_transaction(
        conn,
        int(row["segment_id"]),
        str(row["code_id"]),
        coder=coder,
        span=Span(
            start=int(row["start_char"]) - int(segment_start),
            end=int(row["end_char"]) - int(segment_start),
        ),
        memo=memo,
        run_id=int(row["run_id"]),
        rule=str(row["rule"]),
        rule_kind=str(row["rule_kind"]),
    )
    conn.execute(
        "UPDATE suggestions SET status = 'accepted', decided_by = ?, decided_at = ?, "
        "coding_id = ? WHERE suggestion_id = ?",
        (coder, now_utc(), result.coding_id, suggestion_id),
    )
    return Decision(suggestion_id, "accepted", result.coding_id, result.created)


def _reject(conn: sqlite3.Connection, suggestion_id: int, coder: str) -> Decision:
    _require_pending(conn, suggestion_id)
    conn.execute(
        "UPDATE suggestions SET status = 'rejected', decided_by = ?, decided_at = ? "
        "WHERE suggestion_id = ?",
        (coder, now_utc(), suggestion_id),
    )
    return Decision(suggestion_id, "rejected")


def accept_suggestion(
    project: Project, suggestion_id: int, *, coder: str, memo: str | None = None
) -> Decision:
    """Accept a pending suggestion as ``coder``'s coding of its span (one transaction)."""
    with journaled(project, "accept", f"accept suggestion {suggestion_id} ({coder})") as conn:
        return _accept(conn, suggestion_id, coder, memo)


def reject_suggestion(project: Project, suggestion_id: int, *, coder: str) -> Decision:
    """Reject a pending suggestion (one transaction); no coding is made."""
    with journaled(project, "reject", f"reject suggestion {suggestion_id} ({coder})") as conn:
        return _reject(conn, suggestion_id, coder)


def _unique(suggestion_ids: Iterable[int]) -> list[int]:
    return list(dict.fromkeys(suggestion_ids))


def accept_suggestions(
    project: Project, suggestion_ids: Sequence[int], *, coder: str
) -> list[Decision]:
    """Accept several suggestions in one transaction: all of them, or (on any error) none."""
    ids = _unique(suggestion_ids)
    with journaled(project, "accept", f"accept {len(ids)} suggestions ({coder})") as conn:
        return [
            _accept(conn, suggestion_id, coder, None) for suggestion_id in _unique(suggestion_ids)
        ]


def reject_suggestions(
    project: Project, suggestion_ids: Sequence[int], *, coder: str
) -> list[Decision]:
    """Reject several suggestions in one transaction: all of them, or (on any error) none."""
    ids = _unique(suggestion_ids)
    with journaled(project, "reject", f"reject {len(ids)} suggestions ({coder})") as conn:
        return [_reject(conn, suggestion_id, coder) for suggestion_id in _unique(suggestion_ids)]


def pending_ids(project: Project, filters: SuggestionFilter) -> list[int]:
    """Ids of the pending suggestions matching ``filters``, in reading order."""
    if filters.status != "pending":
        filters = SuggestionFilter("pending", filters.code, filters.case_name, filters.run_id)
    return [int(row["suggestion_id"]) for row in list_suggestions(project, filters)]


def reopen_suggestion(project: Project, decision: Decision) -> None:
    """Undo ``decision``: the suggestion is pending again, and the coding its acceptance made
    (only if it made one) is removed. One transaction.

    Refuses (:class:`ConflictError`) if the suggestion's state is no longer what the decision
    left, e.g. someone else reopened or decided it meanwhile.
    """
    summary = f"reopen suggestion {decision.suggestion_id} ({decision.status} before)"
    with journaled(project, "reopen", summary) as conn:
        row = conn.execute(
            "SELECT status, coding_id FROM suggestions WHERE suggestion_id = ?",
            (decision.suggestion_id,),
        ).fetchone()
        if row is None:
            raise NotFoundError(f"no suggestion {decision.suggestion_id}")
        if row["status"] != decision.status:
            raise ConflictError(
                f"suggestion {decision.suggestion_id} is now {row['status']}, "
                f"not {decision.status}: nothing undone"
            )
        conn.execute(
            "UPDATE suggestions SET status = 'pending', decided_by = NULL, decided_at = NULL, "
            "coding_id = NULL WHERE suggestion_id = ?",
            (decision.suggestion_id,),
        )
        if decision.coding_created and decision.coding_id is not None:
            _delete_manual_coding(conn, decision.coding_id)


def remove_coding(project: Project, coding_id: int) -> None:
    """Delete one manual coding by id (the undo of coding a segment in review)."""
    with journaled(project, "uncode", f"remove coding {coding_id}") as conn:
        _delete_manual_coding(conn, coding_id)


def _delete_manual_coding(conn: sqlite3.Connection, coding_id: int) -> None:
    removed = conn.execute(
        "DELETE FROM codings WHERE coding_id = ? AND origin = 'manual'", (coding_id,)
    ).rowcount
    if not removed:
        raise NotFoundError(f"no manual coding {coding_id}")


def remove_memo(project: Project, memo_id: int) -> None:
    """Delete one memo by id (the undo of writing a memo in review)."""
    with journaled(project, "memo-delete", f"remove memo {memo_id}") as conn:
        if not conn.execute("DELETE FROM memos WHERE memo_id = ?", (memo_id,)).rowcount:
            raise NotFoundError(f"no memo {memo_id}")


def count_by_status(project: Project, filters: SuggestionFilter) -> dict[str, int]:
    """How many suggestions matching ``filters`` (status ignored) are in each status."""
    where, parameters = _where(
        SuggestionFilter(None, filters.code, filters.case_name, filters.run_id)
    )
    counts: dict[str, int] = dict.fromkeys(STATUSES, 0)
    for status, count in project.conn.execute(
        "SELECT g.status, count(*) FROM suggestions g "
        "JOIN segments s ON s.segment_id = g.segment_id "
        "JOIN documents d ON d.document_id = s.document_id "
        f"JOIN cases k ON k.case_id = d.case_id {where} GROUP BY g.status",
        parameters,
    ):
        counts[str(status)] = int(count)
    return counts
