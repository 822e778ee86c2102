"""Every schema change of a qualcode project, named and in order.

The schema exists here and nowhere else: tests and library code create projects through
:func:`qualcode.project.open_project`, which applies whatever is pending. A migration that has
shipped is never edited; a change is a new ``mNNN_`` function at the end.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlite_utils.migrations import Migrations

if TYPE_CHECKING:
    from sqlite_utils import Database

migrations = Migrations("qualcode")


@migrations()
def m001_documents_segments_cases(db: Database) -> None:
    """Cases with attributes, documents with their normalised text, segments, lazy FTS index."""
    db.executescript(
        """
        CREATE TABLE settings (
            key TEXT PRIMARY KEY,
            value
        );

        CREATE TABLE cases (
            case_id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL
        );

        -- One row per (case, attribute). Values keep their SQLite type: numbers stay numbers.
        -- The rowid keeps the order in which attributes were first defined.
        CREATE TABLE case_attributes (
            case_id INTEGER NOT NULL REFERENCES cases(case_id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            value,
            PRIMARY KEY (case_id, name)
        );

        -- A case may be named in a cases CSV by file name before the file is imported.
        CREATE TABLE case_files (
            file_name TEXT PRIMARY KEY,
            case_id INTEGER NOT NULL REFERENCES cases(case_id) ON DELETE CASCADE
        ) WITHOUT ROWID;

        CREATE TABLE documents (
            document_id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            case_id INTEGER NOT NULL REFERENCES cases(case_id),
            content_hash TEXT NOT NULL UNIQUE,
            text TEXT NOT NULL,
            encoding TEXT NOT NULL,
            language TEXT NOT NULL,
            source_format TEXT NOT NULL,
            source_path TEXT,
            unit TEXT NOT NULL CHECK (unit IN ('turn', 'sentence', 'paragraph')),
            imported_at TEXT NOT NULL
        );
        CREATE INDEX documents_case ON documents(case_id);

        CREATE TABLE segments (
            segment_id INTEGER PRIMARY KEY,
            document_id INTEGER NOT NULL REFERENCES documents(document_id) ON DELETE CASCADE,
            ordinal INTEGER NOT NULL,
            speaker TEXT,
            role TEXT CHECK (role IN ('interviewer', 'respondent')),
            start_char INTEGER NOT NULL CHECK (start_char >= 0),
            end_char INTEGER NOT NULL CHECK (end_char > start_char),
            start_time REAL,
            end_time REAL,
            text TEXT NOT NULL
        );
        CREATE UNIQUE INDEX segments_document_ordinal ON segments(document_id, ordinal);

        -- Trigram index over segment text, filled lazily by qualcode.search (see there).
        CREATE VIRTUAL TABLE segments_fts USING fts5(
            text, content='segments', content_rowid='segment_id', tokenize='trigram'
        );

        CREATE VIEW segments_view AS
        SELECT
            s.segment_id, d.name AS document, c.name AS case_name, s.ordinal, s.speaker,
            s.role, s.start_char, s.end_char, s.start_time, s.end_time, s.text
        FROM segments s
        JOIN documents d ON d.document_id = s.document_id
        JOIN cases c ON c.case_id = d.case_id;
        """
    )
