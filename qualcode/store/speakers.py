"""Speakers per document and their roles: what ``qualcode speakers`` lists and sets.

Roles live on the segments (``segments.role``), where auto-coding scope, review, sampling,
matrices and agreement read them, so setting a role there changes all of them at once. A role
set by hand is also remembered in ``speaker_roles``, to say how each role was decided:

- ``label``: the label is a role word (采访者, Respondent 2, ``speaker_roles.yml``);
- ``table``: a turn table gave it (its role column or, without one, who asks);
- ``questions``: inferred from who asks the questions, or because another speaker is the
  interviewer (:func:`qualcode.text.roles.assign_roles`);
- ``set``: by ``qualcode speakers set`` or ``qualcode import --interviewer/--respondent``
  (naming the interviewer makes the document's other speakers without a role respondents);
- ``unknown``: no role; respondent-only measures leave this speaker out.

Setting is journaled, so ``qualcode undo`` takes it back.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, TypedDict

from qualcode.errors import NotFoundError
from qualcode.models import Role
from qualcode.store.journal import journaled
from qualcode.store.project import Project
from qualcode.text.labels import lexicon, role_for_label, speaker_key

ROLES: tuple[Role, ...] = ("interviewer", "respondent")
Decision = Literal["label", "table", "questions", "set", "unknown"]

#: Fields of one row of ``qualcode speakers``.
SPEAKER_FIELDS = (
    "document", "speaker", "turns", "characters", "question_share", "first_words", "role",
    "decided",
)  # fmt: skip
#: How many characters of a speaker's first turn ``first_words`` shows.
FIRST_WORDS_CHARS = 24


class SpeakerRow(TypedDict):
    """One speaker of one document, as ``qualcode speakers`` lists it."""

    document: str
    speaker: str
    turns: int
    characters: int
    question_share: float
    first_words: str
    role: Role | None
    decided: Decision


@dataclass(frozen=True)
class RolesSet:
    """What :func:`set_speaker_role` changed: documents and segments, and the roles given."""

    documents: list[str]
    segments: int
    others_made_respondents: int


def list_speakers(project: Project, document: str | None = None) -> list[SpeakerRow]:
    """Every (document, speaker label) with its turns, characters, share of questions, first
    words, role and how the role was decided, in document order then order of appearance.

    A turn is a run of consecutive segments of one speaker (a segment when imported by turn).
    """
    conn = project.conn
    if document is not None:
        _document_id(conn, document)
    rows = conn.execute(
        """
        SELECT d.document_id, d.name, d.source_format, s.speaker, s.role, s.text, s.ordinal,
            r.role IS NOT NULL AS was_set
        FROM segments s
        JOIN documents d ON d.document_id = s.document_id
        LEFT JOIN speaker_roles r ON r.document_id = s.document_id AND r.speaker = s.speaker
        WHERE (:document IS NULL OR d.name = :document)
        ORDER BY d.document_id, s.ordinal
        """,
        {"document": document},
    ).fetchall()
    question = lexicon().question
    speakers: dict[tuple[int, str], SpeakerRow] = {}
    asked: dict[tuple[int, str], int] = {}
    previous: tuple[int, str | None] | None = None
    for document_id, name, source_format, speaker, role, text, _ordinal, was_set in rows:
        current = (document_id, speaker)
        if speaker is None:
            previous = current
            continue
        key = (document_id, speaker)
        row = speakers.get(key)
        if row is None:
            row = speakers[key] = SpeakerRow(
                document=name, speaker=speaker, turns=0, characters=0, question_share=0.0,
                first_words=_first_words(text), role=role,
                decided=_decision(speaker, role, source_format, bool(was_set)),
            )  # fmt: skip
            asked[key] = 0
        row["characters"] += len(text)
        if current != previous:
            row["turns"] += 1
            asked[key] += question.search(text) is not None
        previous = current
    for key, row in speakers.items():
        row["question_share"] = round(asked[key] / row["turns"], 2) if row["turns"] else 0.0
    return list(speakers.values())


def documents_with_unknown_roles(project: Project, documents: Sequence[str]) -> list[str]:
    """Those of ``documents`` with a labelled speaker whose role could not be told."""
    unknown = {
        str(row[0])
        for row in project.conn.execute(
            "SELECT DISTINCT d.name FROM segments s JOIN documents d USING (document_id) "
            "WHERE s.speaker IS NOT NULL AND s.role IS NULL"
        )
    }
    return [name for name in documents if name in unknown]


def roles_summary(project: Project) -> dict[str, str]:
    """Per document name, its roles in a word or two for ``docs list``: ``known``,
    ``2 of 3 unknown`` or ``no speakers``."""
    summary: dict[str, str] = {}
    for name, speakers, unknown in project.conn.execute(
        """
        SELECT d.name, count(DISTINCT s.speaker),
            count(DISTINCT CASE WHEN s.role IS NULL THEN s.speaker END)
        FROM documents d LEFT JOIN segments s ON s.document_id = d.document_id
        GROUP BY d.document_id
        """
    ):
        if not speakers:
            summary[name] = "no speakers"
        elif not unknown:
            summary[name] = "known"
        else:
            summary[name] = f"{unknown} of {speakers} unknown"
    return summary


def set_speaker_role(
    project: Project, label: str, role: str, documents: Sequence[str] = ()
) -> RolesSet:
    """Give every turn of speaker ``label`` the role ``role``, in ``documents`` (default:
    every document with that label), in one journaled transaction.

    ``label`` matches as labels do (case and spacing of Latin letters aside). Naming the
    interviewer also makes the other speakers of those documents that have no role yet
    respondents. Raises :class:`UsageError` for an unknown role and :class:`NotFoundError`
    for an unknown document or a label that none of the documents has; nothing changes then.
    """
    if role not in ROLES:
        raise NotFoundError(f"unknown role {role!r}: use interviewer or respondent")
    conn = project.conn
    document_ids = [_document_id(conn, name) for name in documents]
    matches = _labels_in(conn, label, document_ids)
    if not matches:
        where = f"in {', '.join(documents)}" if documents else "in any document"
        raise NotFoundError(f"no speaker {label!r} {where} (see 'qualcode speakers')")
    names = sorted({name for _document_id, name, _speaker in matches})
    summary = f"speakers set {label!r} {role} in {', '.join(names)}"
    segments = others = 0
    with journaled(project, "speakers-set", summary) as transaction:
        for document_id, _name, speaker in matches:
            segments += _write_role(transaction, document_id, speaker, role)
            if role == "interviewer":
                others += _others_become_respondents(transaction, document_id)
    return RolesSet(names, segments, others)


def set_roles_of_labels(
    project: Project, document: str, interviewers: Sequence[str], respondents: Sequence[str]
) -> int:
    """``import --interviewer/--respondent``: set the roles of those labels that ``document``
    has (others are left alone); return how many labels were set."""
    document_id = _document_id(project.conn, document)
    wanted = [(label, "interviewer") for label in interviewers]
    wanted += [(label, "respondent") for label in respondents]
    found = [
        (speaker, role)
        for label, role in wanted
        for _document_id, _name, speaker in _labels_in(project.conn, label, [document_id])
    ]
    if not found:
        return 0
    summary = f"speakers set at import in {document}: " + ", ".join(
        f"{speaker!r} {role}" for speaker, role in found
    )
    with journaled(project, "speakers-set", summary) as transaction:
        for speaker, role in found:
            _write_role(transaction, document_id, speaker, role)
        if any(role == "interviewer" for _speaker, role in found):
            _others_become_respondents(transaction, document_id)
    return len(found)


def _write_role(conn: sqlite3.Connection, document_id: int, speaker: str, role: str) -> int:
    """Set the role on the speaker's segments and remember it was set; segments changed."""
    conn.execute(
        "INSERT INTO speaker_roles (document_id, speaker, role) VALUES (?, ?, ?) "
        "ON CONFLICT (document_id, speaker) DO UPDATE SET role = excluded.role "
        "WHERE role IS NOT excluded.role",
        (document_id, speaker, role),
    )
    return conn.execute(
        "UPDATE segments SET role = ? WHERE document_id = ? AND speaker = ? AND role IS NOT ?",
        (role, document_id, speaker, role),
    ).rowcount


def _others_become_respondents(conn: sqlite3.Connection, document_id: int) -> int:
    """Speakers of the document without a role become respondents (set); how many."""
    speakers = [
        str(row[0])
        for row in conn.execute(
            "SELECT DISTINCT speaker FROM segments WHERE document_id = ? "
            "AND speaker IS NOT NULL AND role IS NULL",
            (document_id,),
        )
    ]
    for speaker in speakers:
        _write_role(conn, document_id, speaker, "respondent")
    return len(speakers)


def _labels_in(
    conn: sqlite3.Connection, label: str, document_ids: Sequence[int]
) -> list[tuple[int, str, str]]:
    """``(document_id, document name, speaker)`` of the speakers that ``label`` names."""
    wanted = speaker_key(label)
    rows = conn.execute(
        "SELECT DISTINCT s.document_id, d.name, s.speaker FROM segments s "
        "JOIN documents d USING (document_id) WHERE s.speaker IS NOT NULL "
        "ORDER BY s.document_id"
    ).fetchall()
    return [
        (int(document_id), str(name), str(speaker))
        for document_id, name, speaker in rows
        if speaker_key(speaker) == wanted and (not document_ids or document_id in document_ids)
    ]


def _document_id(conn: sqlite3.Connection, name: str) -> int:
    row = conn.execute("SELECT document_id FROM documents WHERE name = ?", (name,)).fetchone()
    if row is None:
        raise NotFoundError(f"no document {name!r} (see 'qualcode docs list')")
    return int(row[0])


def _first_words(text: str) -> str:
    words = " ".join(text.split())
    return words if len(words) <= FIRST_WORDS_CHARS else words[: FIRST_WORDS_CHARS - 1] + "…"


def _decision(speaker: str, role: str | None, source_format: str, was_set: bool) -> Decision:
    if was_set:
        return "set"
    if role is None:
        return "unknown"
    if role_for_label(speaker) is not None:
        return "label"
    return "table" if source_format == "csv" else "questions"
