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
decisions are written in one journaled transaction (:func:`record_decisions`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qualcode.errors import InputError, UsageError
from qualcode.exporting.tables import open_output
from qualcode.store.adjudications import (
    AdjudicationResult,
    Decision,
    Unit,
    open_units,
    record_decisions,
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


def read_decisions(path: Path, units: Sequence[Unit]) -> tuple[list[tuple[Unit, Decision]], int]:
    """The decisions of the file at ``path``, each matched to its open unit, and how many
    rows left their unit open (empty decision). Raises :class:`InputError` (file and line)
    at the first row that cannot be applied; nothing is written by this function."""
    header, rows = read_csv_table(path)
    columns = _columns(path, header)
    by_key = {unit.key: unit for unit in units}
    decided: dict[tuple[int, str], int] = {}
    matched: list[tuple[Unit, Decision]] = []
    left_open = 0

    width = max(columns.values()) + 1
    segment_column, code_column = columns["segment_id"], columns["code"]
    decision_column, note_column = columns["decision"], columns.get("note")
    applied_column = columns.get("applied_by")
    for line, row in rows:
        if len(row) < width:
            row = row + [""] * (width - len(row))
        segment_text = row[segment_column].strip().lstrip("'")
        if not segment_text.isdigit():
            raise InputError(path, f"segment_id '{segment_text}' is not a number", line=line)
        segment_id, code_id = int(segment_text), row[code_column].strip()
        keep = _decision_word(path, line, row[decision_column])
        unit = by_key.get((segment_id, code_id))
        if unit is None or unit.agreed:
            raise InputError(
                path,
                f"segment {segment_id}, code '{code_id}' is not an open disagreement of "
                "these coders (decided already, recoded since, or never one); list the open "
                "ones with 'qualcode adjudicate --list'",
                line=line,
            )
        if applied_column is not None:
            listed = tuple(
                sorted(name.strip() for name in row[applied_column].split(";") if name.strip())
            )
            if listed != unit.applied_by:
                raise InputError(
                    path,
                    f"segment {segment_id}, code '{code_id}': applied_by says "
                    f"'{CODER_SEPARATOR.join(listed)}' but now "
                    f"'{CODER_SEPARATOR.join(unit.applied_by)}' applied it; list again",
                    line=line,
                )
        if unit.key in decided:
            raise InputError(
                path,
                f"segment {segment_id}, code '{code_id}' is decided twice (first on line "
                f"{decided[unit.key]})",
                line=line,
            )
        decided[unit.key] = line
        if keep is None:
            left_open += 1
            continue
        note = row[note_column].strip() if note_column is not None else ""
        matched.append((unit, Decision(segment_id, code_id, keep, note or None)))
    return matched, left_open


def adjudicate_scripted(project: Project, options: AdjudicateOptions) -> ScriptedResult:
    """Apply a decisions file and/or keep every open agreement, in one journaled transaction.

    Raises :class:`UsageError` when there is nothing to do (neither a file nor
    ``keep_agreed``), :class:`InputError` for a bad decisions file (nothing written)."""
    if options.decisions is None and not options.keep_agreed:
        raise UsageError(
            "nothing to decide: give --decisions FILE.csv and/or --keep-agreed "
            "(or run in a terminal to decide one by one)"
        )
    units = open_units(
        project.conn, options.coders, all_segments=options.all_segments,
        agreements=options.keep_agreed,
    )  # fmt: skip
    decisions: list[tuple[Unit, Decision]] = []
    left_open = sum(1 for unit in units if not unit.agreed)
    if options.decisions is not None:
        decisions, _unanswered = read_decisions(options.decisions, units)
        left_open = left_open - len(decisions)
    agreements = 0
    if options.keep_agreed:
        for unit in units:
            if unit.agreed:
                decisions.append((unit, Decision(unit.segment_id, unit.code_id, True)))
                agreements += 1
    written = record_decisions(
        project, options.coders, decisions, consensus=options.consensus,
        decided_by=options.decided_by,
    )  # fmt: skip
    return ScriptedResult(written, agreements, left_open)
