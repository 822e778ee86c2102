"""``qualcode adjudicate`` in its scripted form: list the open disagreements of a set of coders
as a CSV, read a CSV of decisions back, and write them as consensus codings.

The CSV is the same both ways (:data:`DECISION_FIELDS`): ``--list FILE.csv`` writes one row
per open disagreement with an empty ``decision`` column; a person fills in ``keep`` or
``drop`` (and optionally a ``note``) and ``--decisions FILE.csv`` reads it. Only
``segment_id``, ``code`` and ``decision`` are required; when ``applied_by`` is there it must
still match, so that a decision taken on an older listing is not applied to a unit whose
codings changed since. Rows with an empty decision stay open. Coder names in ``applied_by``
and ``not_applied_by`` are separated by ``; ``.

Every row is checked before anything is written: a malformed row, an unknown decision, a
row that no longer matches an open disagreement (decided meanwhile, recoded, or never one)
or a unit decided twice is one error naming the file and line, and the project is unchanged.
``keep_agreed`` adds a keep for every open agreement (every coder applied the code). All
decisions are checked and written in one journaled transaction, in SQL
(:func:`~qualcode.store.adjudications.decision_batch`): the same rows the terminal session
writes one at a time with :func:`~qualcode.store.adjudications.record_decisions`.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from operator import attrgetter
from pathlib import Path
from typing import Any

from qualcode.errors import InputError, UsageError
from qualcode.exporting.tables import open_output
from qualcode.store.adjudications import (
    AdjudicationResult,
    DecisionRow,
    RowMismatch,
    coder_set,
    decision_batch,
    open_units,
    unit_contexts,
)
from qualcode.store.project import Project
from qualcode.text.csv_tables import header_key, read_csv_table

#: Columns of the disagreements listing and of a decisions file, in order.
DECISION_FIELDS = (
    "segment_id", "code", "applied_by", "not_applied_by", "decision", "note", "document",
    "case_name", "speaker", "quotes", "memos", "text",
)  # fmt: skip
#: The columns a decisions file must have.
REQUIRED_DECISION_FIELDS = ("segment_id", "code", "decision")
#: Accepted spellings of the two decisions (compared without case).
KEEP_WORDS = frozenset({"keep", "k", "yes", "y", "保留"})
DROP_WORDS = frozenset({"drop", "d", "no", "n", "删除", "舍弃"})
#: Separator of coder names in ``applied_by`` and ``not_applied_by``.
CODER_SEPARATOR = "; "


@dataclass(frozen=True)
class AdjudicateOptions:
    """What a scripted adjudication does."""

    coders: tuple[str, ...]
    consensus: str
    decided_by: str
    decisions: Path | None = None
    keep_agreed: bool = False
    all_segments: bool = False


@dataclass(frozen=True)
class ScriptedResult:
    """The decisions written, and how many disagreements were left open."""

    written: AdjudicationResult
    agreements_kept: int
    left_open: int


def disagreement_rows(
    project: Project, coders: Sequence[str], *, all_segments: bool = False
) -> Iterator[dict[str, Any]]:
    """One row (:data:`DECISION_FIELDS`) per open disagreement of ``coders``, in segment
    order: the unit, who applied the code and who did not, an empty decision and note, where
    it is, each coder's coded quote and memo, and the segment text."""
    units = open_units(project.conn, coders, all_segments=all_segments, agreements=False)
    contexts = unit_contexts(project.conn, (unit.segment_id for unit in units))
    for unit in units:
        context = contexts[unit.segment_id]

        def quote(start: int, end: int, context: Any = context) -> str:
            return str(context.text[start - context.segment_start : end - context.segment_start])

        yield {
            "segment_id": unit.segment_id,
            "code": unit.code_id,
            "applied_by": CODER_SEPARATOR.join(unit.applied_by),
            "not_applied_by": CODER_SEPARATOR.join(unit.not_applied_by),
            "decision": "",
            "note": "",
            "document": context.document,
            "case_name": context.case_name,
            "speaker": context.speaker,
            "quotes": CODER_SEPARATOR.join(
                f"{coding.coder}: {quote(coding.start_char, coding.end_char)}"
                for coding in unit.codings
            ),
            "memos": CODER_SEPARATOR.join(
                f"{coding.coder}: {coding.memo}" for coding in unit.codings if coding.memo
            ),
            "text": context.text,
        }


def write_disagreements(
    project: Project, coders: Sequence[str], path: Path | None, *, all_segments: bool = False
) -> int:
    """Write the open disagreements as a decisions CSV to ``path`` (stdout when ``None``;
    with a BOM, so that Excel shows Chinese); return how many rows."""
    from qualcode.exporting.tables import write_csv

    rows = list(disagreement_rows(project, coders, all_segments=all_segments))
    with open_output(path, excel=path is not None) as stream:
        write_csv(
            stream, DECISION_FIELDS, ([row[name] for name in DECISION_FIELDS] for row in rows)
        )
    return len(rows)


def _columns(path: Path, header: list[str]) -> dict[str, int]:
    keys = [header_key(name) for name in header]
    columns = {
        name: keys.index(header_key(name)) for name in DECISION_FIELDS if header_key(name) in keys
    }
    missing = [name for name in REQUIRED_DECISION_FIELDS if name not in columns]
    if missing:
        raise InputError(
            path,
            f"no {', '.join(missing)} column (a decisions file has segment_id, code and "
            "decision; 'qualcode adjudicate --list FILE.csv' writes one to fill in)",
            line=1,
        )
    return columns


def _decision_word(path: Path, line: int, word: str) -> bool | None:
    folded = word.strip().casefold()
    if not folded:
        return None
    if folded in KEEP_WORDS:
        return True
    if folded in DROP_WORDS:
        return False
    raise InputError(path, f"decision '{word.strip()}' is neither keep nor drop", line=line)


#: Decision words as they are usually written, looked up before the general spelling check.
_DECISION_OF = {
    **{word: True for word in KEEP_WORDS}, **{word: False for word in DROP_WORDS},
    **{word.upper(): True for word in KEEP_WORDS}, **{word.upper(): False for word in DROP_WORDS},
    **{word.title(): True for word in KEEP_WORDS}, **{word.title(): False for word in DROP_WORDS},
}  # fmt: skip
#: Segment ids SQLite can hold; a larger number names no segment.
_LARGEST_ID = 2**63 - 1


def read_decisions(path: Path) -> tuple[list[DecisionRow], InputError | None]:
    """The rows of the decisions file at ``path``, in file order, up to the first that is
    wrong by itself; and the error of that row (``None`` when there is none).

    A row is wrong by itself when its ``segment_id`` is not a number, its decision is neither
    keep nor drop (nor empty), or it decides a unit an earlier row decided; the rows are
    returned up to that one (a unit decided twice: including it), because a row before it
    that does not fit an open disagreement is the error to report first (see
    :func:`_first_error`). A file that cannot be read, or lacks a required column, raises
    :class:`InputError` at once."""
    header, rows = read_csv_table(path)
    columns = _columns(path, header)
    width = max(columns.values()) + 1
    segment_column, code_column = columns["segment_id"], columns["code"]
    decision_column, note_column = columns["decision"], columns.get("note")
    applied_column = columns.get("applied_by")
    listed_of: dict[str, tuple[str, ...]] = {}
    first_line: dict[tuple[int, str], int] = {}
    parsed: list[DecisionRow] = []
    append = parsed.append
    for line, row in rows:
        if len(row) < width:
            row = row + [""] * (width - len(row))
        segment_text = row[segment_column].strip().lstrip("'")
        if not segment_text.isdigit():
            return parsed, InputError(
                path, f"segment_id '{segment_text}' is not a number", line=line
            )
        segment_id, code_id = int(segment_text), row[code_column].strip()
        word = row[decision_column]
        keep = _DECISION_OF.get(word)
        if keep is None and word:
            try:
                keep = _decision_word(path, line, word)
            except InputError as error:
                return parsed, error
        if segment_id > _LARGEST_ID:
            return parsed, _not_open(path, line, segment_id, code_id)
        listed = None
        if applied_column is not None:
            text = row[applied_column]
            listed = listed_of.get(text)
            if listed is None:
                listed = listed_of[text] = tuple(
                    sorted(name.strip() for name in text.split(";") if name.strip())
                )
        note = (row[note_column].strip() or None) if note_column is not None else None
        append(DecisionRow(line, segment_id, code_id, keep, note, listed))
        first = first_line.setdefault((segment_id, code_id), line)
        if first != line:
            return parsed, InputError(
                path,
                f"segment {segment_id}, code '{code_id}' is decided twice (first on line {first})",
                line=line,
            )
    return parsed, None


def _not_open(path: Path, line: int, segment_id: int, code_id: str) -> InputError:
    return InputError(
        path,
        f"segment {segment_id}, code '{code_id}' is not an open disagreement of "
        "these coders (decided already, recoded since, or never one); list the open "
        "ones with 'qualcode adjudicate --list'",
        line=line,
    )


def _first_error(
    path: Path, rows: list[DecisionRow], mismatch: RowMismatch | None, pending: InputError | None
) -> InputError | None:
    """The error of the first row, by line, that cannot be applied: a row that does not fit
    an open disagreement (``mismatch``, found in SQL) before or on the line of the first
    row wrong by itself (``pending``), else that one. On one line, the checks run as a
    person reads the row: the number and the decision, then the unit, then its
    ``applied_by``, then whether it was decided before."""
    if mismatch is None or (pending is not None and (pending.line or 0) < mismatch.line):
        return pending
    row = rows[bisect_left(rows, mismatch.line, key=attrgetter("line"))]
    if not mismatch.is_open:
        return _not_open(path, row.line, row.segment_id, row.code_id)
    return InputError(
        path,
        f"segment {row.segment_id}, code '{row.code_id}': applied_by says "
        f"'{CODER_SEPARATOR.join(row.applied_by or ())}' but now "
        f"'{CODER_SEPARATOR.join(mismatch.applied_by)}' applied it; list again",
        line=row.line,
    )


def adjudicate_scripted(project: Project, options: AdjudicateOptions) -> ScriptedResult:
    """Apply a decisions file and/or keep every open agreement, in one journaled transaction.

    The file is read first, then matched against the open units and written in SQL
    (:func:`~qualcode.store.adjudications.decision_batch`), all in the one transaction, so
    no other session decides a unit in between.

    Raises :class:`UsageError` when there is nothing to do (neither a file nor
    ``keep_agreed``), :class:`InputError` for a bad decisions file (nothing written)."""
    if options.decisions is None and not options.keep_agreed:
        raise UsageError(
            "nothing to decide: give --decisions FILE.csv and/or --keep-agreed "
            "(or run in a terminal to decide one by one)"
        )
    coder_set(project.conn, options.coders)
    rows: list[DecisionRow] = []
    pending: InputError | None = None
    if options.decisions is not None:
        rows, pending = read_decisions(options.decisions)
    with decision_batch(
        project, options.coders, consensus=options.consensus, decided_by=options.decided_by,
        all_segments=options.all_segments,
    ) as batch:  # fmt: skip
        if options.decisions is not None:
            error = _first_error(options.decisions, rows, batch.add(rows), pending)
            if error is not None:
                raise error
        result = batch.write(keep_agreed=options.keep_agreed)
    return ScriptedResult(result.written, result.agreements_kept, result.left_open)
