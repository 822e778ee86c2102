"""``qualcode merge PATH``: bring a second coder's manual codings and memos into this project.

The other project file is opened read-only (it is a colleague's work: never migrated, never
changed). Its documents are matched to ours by content hash (so names may differ), and its
segments by document and ``start_char``/``end_char`` (the same file imported with the same
unit gives the same segments). What is brought in:

- every manual coding (including accepted suggestions), with its coder's name, span, memo,
  rule and time as they are there. The run id of an accepted suggestion is dropped, since
  runs are per project. Automatic codings are not merged (they are reproducible: run
  ``qualcode autocode`` here) and are only counted;
- every memo, its target translated (segment id, code id, document name).

Nothing is duplicated: a coding is already here when this project has a manual coding of the
same segment, code, coder and span; a memo when it has one on the same target by the same
coder with the same text. So merging the same file twice adds nothing the second time.

What cannot be placed is reported, one line per problem, and skipped: a document this
project does not have, a document whose segments differ here, a code this codebook lacks
(or has retired). The merge is one transaction, journaled as kind ``merge`` (``qualcode undo``
takes it back).
"""

from __future__ import annotations

import sqlite3
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qualcode.errors import UsageError
from qualcode.store.journal import journaled, set_summary
from qualcode.store.project import Project, open_project_readonly


@dataclass
class MergeResult:
    """What :func:`merge_project` brought in, left alone and could not place."""

    source: str
    codings_added: int = 0
    codings_present: int = 0
    memos_added: int = 0
    memos_present: int = 0
    auto_skipped: int = 0
    #: One line per problem, in the order documents, segments, codes.
    conflicts: list[str] = field(default_factory=list)


@dataclass
class _Other:
    """Everything read from the other project."""

    documents: dict[int, tuple[str, str]]  # document_id -> (name, content_hash)
    segments: dict[int, tuple[int, int, int]]  # segment_id -> (document_id, start, end)
    codings: list[sqlite3.Row]
    memos: list[sqlite3.Row]
    auto_codings: int


def _read_other(path: Path) -> _Other:
    other = open_project_readonly(path)
    try:
        conn = other.conn
        return _Other(
            documents={
                int(row[0]): (str(row[1]), str(row[2]))
                for row in conn.execute("SELECT document_id, name, content_hash FROM documents")
            },
            segments={
                int(row[0]): (int(row[1]), int(row[2]), int(row[3]))
                for row in conn.execute(
                    "SELECT segment_id, document_id, start_char, end_char FROM segments"
                )
            },
            codings=conn.execute(
                "SELECT segment_id, code_id, coder, rule_kind, rule, start_char, end_char, memo, "
                "created_at FROM codings WHERE origin = 'manual' ORDER BY coding_id"
            ).fetchall(),
            memos=conn.execute(
                "SELECT target_kind, target, coder, text, created_at FROM memos ORDER BY memo_id"
            ).fetchall(),
            auto_codings=int(
                conn.execute(
                    "SELECT count(*) FROM codings WHERE origin = 'auto' "
                    "AND superseded_by_run IS NULL"
                ).fetchone()[0]
            ),
        )
    finally:
        other.close()


class _Placer:
    """Translates the other project's ids into ours and tallies what cannot be placed."""

    def __init__(self, conn: sqlite3.Connection, other: _Other) -> None:
        self.conn = conn
        self.other = other
        self.local_documents = {
            str(row[0]): (int(row[1]), str(row[2]))
            for row in conn.execute("SELECT content_hash, document_id, name FROM documents")
        }
        self.codes = {
            str(row[0]): bool(row[1]) for row in conn.execute("SELECT code_id, active FROM codes")
        }
        self.segment_ids: dict[int, dict[tuple[int, int], int]] = {}
        self.missing_documents: dict[str, Counter[str]] = defaultdict(Counter)
        self.missing_segments: dict[str, Counter[str]] = defaultdict(Counter)
        self.unmatched_segments: dict[str, set[int]] = defaultdict(set)
        self.missing_codes: dict[str, Counter[str]] = defaultdict(Counter)

    def _local_document(self, other_document_id: int, what: str) -> tuple[int, str] | None:
        name, content_hash = self.other.documents[other_document_id]
        local = self.local_documents.get(content_hash)
        if local is None:
            self.missing_documents[name][what] += 1
        return local

    def segment(self, other_segment_id: int, what: str) -> int | None:
        """Our segment with the same document and span, or ``None`` (tallied)."""
        document_id, start_char, end_char = self.other.segments[other_segment_id]
        local = self._local_document(document_id, what)
        if local is None:
            return None
        spans = self.segment_ids.get(local[0])
        if spans is None:
            spans = self.segment_ids[local[0]] = {
                (int(row[1]), int(row[2])): int(row[0])
                for row in self.conn.execute(
                    "SELECT segment_id, start_char, end_char FROM segments WHERE document_id = ?",
                    (local[0],),
                )
            }
        segment_id = spans.get((start_char, end_char))
        if segment_id is None:
            name = self.other.documents[document_id][0]
            self.missing_segments[name][what] += 1
            self.unmatched_segments[name].add(other_segment_id)
        return segment_id

    def document_name(self, other_name: str, what: str) -> str | None:
        for document_id, (name, _hash) in self.other.documents.items():
            if name == other_name:
                local = self._local_document(document_id, what)
                return None if local is None else local[1]
        return None

    def code(self, code_id: str, what: str) -> bool:
        if self.codes.get(code_id):
            return True
        self.missing_codes[code_id][what] += 1
        return False

    def conflicts(self) -> list[str]:
        lines = [
            f"document {name!r} is not in this project (no document with the same content): "
            f"{_counts(counts)} not merged"
            for name, counts in self.missing_documents.items()
        ]
        lines += [
            f"document {name!r}: {len(self.unmatched_segments[name])} of its segments there "
            f"have no segment with the same span here (segmented differently?): "
            f"{_counts(counts)} not merged"
            for name, counts in self.missing_segments.items()
        ]
        lines += [
            f"code {code_id!r} is "
            + ("retired in" if code_id in self.codes else "not in")
            + f" this project's codebook: {_counts(counts)} not merged"
            for code_id, counts in sorted(self.missing_codes.items())
        ]
        return lines


def _counts(counts: Counter[str]) -> str:
    return " and ".join(
        f"{counts[what]} {what if counts[what] != 1 else what[:-1]}"
        for what in ("codings", "memos")
        if counts[what]
    )


def merge_project(project: Project, other_path: Path) -> MergeResult:
    """Merge the other project's manual codings and memos into ``project`` (one transaction)."""
    if other_path.exists() and other_path.resolve() == project.path.resolve():
        raise UsageError(f"{other_path} is this project: nothing to merge")
    other = _read_other(other_path)
    result = MergeResult(str(other_path), auto_skipped=other.auto_codings)
    with journaled(project, "merge", f"merge from {other_path}") as conn:
        placer = _Placer(conn, other)
        for coding in other.codings:
            _merge_coding(conn, placer, coding, result)
        for memo in other.memos:
            _merge_memo(conn, placer, memo, result)
        result.conflicts = placer.conflicts()
        set_summary(
            conn,
            f"merge from {other_path}: {result.codings_added} codings, {result.memos_added} memos",
        )
    return result


def _merge_coding(
    conn: sqlite3.Connection, placer: _Placer, coding: sqlite3.Row, result: MergeResult
) -> None:
    segment_id = placer.segment(int(coding["segment_id"]), "codings")
    if segment_id is None or not placer.code(str(coding["code_id"]), "codings"):
        return
    key = (segment_id, coding["code_id"], coding["coder"], coding["start_char"],
           coding["end_char"])  # fmt: skip
    if conn.execute(
        "SELECT 1 FROM codings WHERE origin = 'manual' AND segment_id = ? AND code_id = ? "
        "AND coder = ? AND start_char = ? AND end_char = ?",
        key,
    ).fetchone():
        result.codings_present += 1
        return
    conn.execute(
        "INSERT INTO codings (segment_id, code_id, coder, origin, rule_kind, rule, start_char, "
        "end_char, memo, created_at) VALUES (?, ?, ?, 'manual', ?, ?, ?, ?, ?, ?)",
        (*key[:3], coding["rule_kind"], coding["rule"], *key[3:], coding["memo"],
         coding["created_at"]),
    )  # fmt: skip
    result.codings_added += 1


def _memo_target(placer: _Placer, memo: sqlite3.Row) -> str | None:
    kind, target = str(memo["target_kind"]), str(memo["target"])
    if kind == "segment":
        if not target.isdigit() or int(target) not in placer.other.segments:
            return None
        segment_id = placer.segment(int(target), "memos")
        return None if segment_id is None else str(segment_id)
    if kind == "code":
        return target if placer.code(target, "memos") else None
    return placer.document_name(target, "memos")


def _merge_memo(
    conn: sqlite3.Connection, placer: _Placer, memo: sqlite3.Row, result: MergeResult
) -> None:
    target = _memo_target(placer, memo)
    if target is None:
        return
    values: tuple[Any, ...] = (memo["target_kind"], target, memo["coder"], memo["text"])
    if conn.execute(
        "SELECT 1 FROM memos WHERE target_kind = ? AND target = ? AND coder = ? AND text = ?",
        values,
    ).fetchone():
        result.memos_present += 1
        return
    conn.execute(
        "INSERT INTO memos (target_kind, target, coder, text, created_at) VALUES (?, ?, ?, ?, ?)",
        (*values, memo["created_at"]),
    )
    result.memos_added += 1
