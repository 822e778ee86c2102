"""Every schema change of a qualcode project, named and in order.

The schema exists here and nowhere else: tests and library code create projects through
:func:`qualcode.store.project.open_project`, which applies whatever is pending. A migration that has
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

        -- AUTOINCREMENT: ids are never reused, so "segments newer than run N" is well defined.
        CREATE TABLE segments (
            segment_id INTEGER PRIMARY KEY AUTOINCREMENT,
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

        -- Trigram index over segment text, filled lazily by qualcode.store.search (see there).
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


@migrations()
def m002_codebook_codings_runs(db: Database) -> None:
    """Codebook versions and codes, manual and automatic codings, runs, suggestions, memos.

    Codings point at codes by their dotted id with ``ON UPDATE CASCADE``, so renaming or moving
    a code carries its codings along. An automatic coding is never deleted by a later run: it
    is marked ``superseded_by_run`` so that runs can be compared; the views show current ones.
    """
    db.executescript(
        """
        CREATE TABLE codebook_versions (
            version_id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            version_label TEXT,
            content_hash TEXT NOT NULL,
            source_path TEXT,
            codebook_yaml TEXT NOT NULL,
            loaded_at TEXT NOT NULL
        );

        CREATE TABLE codes (
            code_id TEXT PRIMARY KEY,
            parent_id TEXT REFERENCES codes(code_id) ON UPDATE CASCADE,
            theme_id TEXT NOT NULL,
            name_zh TEXT,
            name_en TEXT,
            description_zh TEXT,
            description_en TEXT,
            color TEXT,
            depth INTEGER NOT NULL,
            ordinal INTEGER NOT NULL,
            rules TEXT NOT NULL DEFAULT '{}',
            -- 0 when the current codebook version no longer has the code; its codings stay.
            active INTEGER NOT NULL DEFAULT 1,
            version_id INTEGER REFERENCES codebook_versions(version_id)
        );
        CREATE INDEX codes_theme ON codes(theme_id);

        CREATE TABLE autocode_runs (
            run_id INTEGER PRIMARY KEY,
            version_id INTEGER NOT NULL REFERENCES codebook_versions(version_id),
            codebook_hash TEXT NOT NULL,
            mode TEXT NOT NULL CHECK (mode IN ('apply', 'suggest')),
            parameters TEXT NOT NULL,
            tool_version TEXT NOT NULL,
            run_by TEXT NOT NULL,
            through_segment_id INTEGER NOT NULL,
            segments_processed INTEGER NOT NULL DEFAULT 0,
            codings_added INTEGER NOT NULL DEFAULT 0,
            started_at TEXT NOT NULL,
            finished_at TEXT
        );

        CREATE TABLE codings (
            coding_id INTEGER PRIMARY KEY,
            segment_id INTEGER NOT NULL REFERENCES segments(segment_id),
            code_id TEXT NOT NULL REFERENCES codes(code_id) ON UPDATE CASCADE,
            coder TEXT NOT NULL,
            origin TEXT NOT NULL CHECK (origin IN ('manual', 'auto')),
            run_id INTEGER REFERENCES autocode_runs(run_id),
            rule_kind TEXT CHECK (rule_kind IN ('keyword', 'pattern', 'lemma')),
            rule TEXT,
            start_char INTEGER NOT NULL,
            end_char INTEGER NOT NULL CHECK (end_char > start_char),
            memo TEXT,
            created_at TEXT NOT NULL,
            superseded_by_run INTEGER REFERENCES autocode_runs(run_id),
            CHECK (origin = 'manual' OR run_id IS NOT NULL)
        );
        CREATE INDEX codings_segment ON codings(segment_id);
        CREATE INDEX codings_code ON codings(code_id);
        CREATE INDEX codings_run ON codings(run_id);
        CREATE UNIQUE INDEX codings_manual_unique
            ON codings(segment_id, code_id, coder, start_char, end_char)
            WHERE origin = 'manual';

        CREATE TABLE suggestions (
            suggestion_id INTEGER PRIMARY KEY,
            run_id INTEGER NOT NULL REFERENCES autocode_runs(run_id),
            segment_id INTEGER NOT NULL REFERENCES segments(segment_id),
            code_id TEXT NOT NULL REFERENCES codes(code_id) ON UPDATE CASCADE,
            rule_kind TEXT NOT NULL,
            rule TEXT NOT NULL,
            start_char INTEGER NOT NULL,
            end_char INTEGER NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'accepted', 'rejected')),
            decided_by TEXT,
            decided_at TEXT,
            coding_id INTEGER REFERENCES codings(coding_id) ON DELETE SET NULL
        );
        CREATE INDEX suggestions_segment ON suggestions(segment_id, status);

        CREATE TABLE memos (
            memo_id INTEGER PRIMARY KEY,
            target_kind TEXT NOT NULL CHECK (target_kind IN ('segment', 'code', 'document')),
            target TEXT NOT NULL,
            coder TEXT NOT NULL,
            text TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE INDEX memos_target ON memos(target_kind, target);

        CREATE VIEW codings_view AS
        SELECT
            c.coding_id, c.segment_id, d.name AS document, k.name AS case_name,
            c.code_id AS code, co.theme_id AS theme, c.coder, c.origin, c.run_id, c.rule,
            c.start_char, c.end_char,
            substr(s.text, c.start_char - s.start_char + 1, c.end_char - c.start_char) AS quote,
            c.created_at
        FROM codings c
        JOIN segments s ON s.segment_id = c.segment_id
        JOIN documents d ON d.document_id = s.document_id
        JOIN cases k ON k.case_id = d.case_id
        JOIN codes co ON co.code_id = c.code_id
        WHERE c.superseded_by_run IS NULL;
        """
    )


#: Tables whose rows are coding state, journaled for ``qualcode undo`` (see qualcode.store.journal).
JOURNALED_TABLES = (
    "codebook_versions", "codes", "autocode_runs", "codings", "suggestions", "memos",
)  # fmt: skip
#: Rows an auto-coding run writes in bulk; a compact entry journals them as one 'run' change.
RUN_ROW_TABLES = ("codings", "suggestions")


def create_journal_triggers(
    db: Database,
    table: str,
    operations: tuple[str, ...] = ("insert", "update", "delete"),
    *,
    compact: bool = False,
) -> None:
    """(Re)create the AFTER INSERT/UPDATE/DELETE triggers (or those of ``operations``) that
    journal ``table``.

    The old row is stored as a JSON object of every column, read from the table as it is now,
    so a later migration that changes a journaled table must call this again for it.
    ``compact`` (always so for :data:`RUN_ROW_TABLES`): the triggers stay silent in a compact
    entry, whose writer journals its bulk inserts itself
    (:func:`qualcode.store.journal.journal_inserts`).
    """
    columns = [row[1] for row in db.execute(f"PRAGMA table_info({table})").fetchall()]
    old_row = "json_object(" + ", ".join(f"'{name}', OLD.{name}" for name in columns) + ")"
    # Triggers in the main schema cannot see temp tables, so the active entry lives in
    # journal_state; with no active entry the WHEN clause is false and nothing is recorded.
    if compact or table in RUN_ROW_TABLES:
        when = "(SELECT compact_runs FROM journal_state WHERE entry_id IS NOT NULL) = 0"
    else:
        when = "(SELECT entry_id FROM journal_state) IS NOT NULL"
    for operation, event, row_id, old in (
        ("insert", "INSERT", "NEW.rowid", "NULL"),
        ("update", "UPDATE", "OLD.rowid", old_row),
        ("delete", "DELETE", "OLD.rowid", old_row),
    ):
        if operation not in operations:
            continue
        db.execute(f"DROP TRIGGER IF EXISTS journal_{table}_{operation}")
        db.execute(
            f"""
            CREATE TRIGGER journal_{table}_{operation} AFTER {event} ON {table}
            WHEN {when}
            BEGIN
                INSERT INTO journal_changes (entry_id, table_name, operation, row_id, old_row)
                SELECT entry_id, '{table}', '{operation}', {row_id}, {old}
                FROM journal_state;
            END
            """
        )


@migrations()
def m003_journal(db: Database) -> None:
    """The journal behind ``qualcode history`` and ``qualcode undo`` (see qualcode.store.journal).

    An entry is one journaled operation; its changes are the row changes the triggers saw while
    it was the active entry in ``journal_state`` (one row, set and cleared inside the
    operation's transaction, so it is never left set after a commit or a rollback).
    """
    db.executescript(
        """
        CREATE TABLE journal_entries (
            entry_id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            summary TEXT NOT NULL,
            created_at TEXT NOT NULL,
            undone_at TEXT
        );

        -- old_row: the row before an update or delete, as a JSON object of its columns.
        -- 'run': an auto-coding run journaled compactly; row_id is its run_id (undo deletes the
        -- run's codings and suggestions and clears the superseded_by_run marks it set).
        CREATE TABLE journal_changes (
            change_id INTEGER PRIMARY KEY,
            entry_id INTEGER NOT NULL REFERENCES journal_entries(entry_id),
            table_name TEXT NOT NULL,
            operation TEXT NOT NULL CHECK (operation IN ('insert', 'update', 'delete', 'run')),
            row_id INTEGER NOT NULL,
            old_row TEXT
        );
        CREATE INDEX journal_changes_entry ON journal_changes(entry_id, change_id);

        CREATE TABLE journal_state (
            state_id INTEGER PRIMARY KEY CHECK (state_id = 1),
            entry_id INTEGER REFERENCES journal_entries(entry_id),
            compact_runs INTEGER NOT NULL DEFAULT 0
        );
        INSERT INTO journal_state (state_id) VALUES (1);
        """
    )
    for table in JOURNALED_TABLES:
        create_journal_triggers(db, table)


@migrations()
def m004_proximity_provenance(db: Database) -> None:
    """Automatic codings and suggestions from proximity rules (``all_of``, ``near``).

    ``rule_kind`` of a coding may also be ``all_of`` or ``near``; a new ``spans`` column holds
    each term's span of such a hit as JSON ``[[start, end], ...]`` (document offsets; NULL for
    other rules). Widening the CHECK changes nothing on disk, so it is done the way SQLite
    documents for such changes (section 7 of its ALTER TABLE page): the table's definition is
    edited in the schema, not rebuilt, which keeps a migration of a million codings instant.
    The journal triggers are recreated, since they list every column.
    """
    old_check = "CHECK (rule_kind IN ('keyword', 'pattern', 'lemma'))"
    new_check = "CHECK (rule_kind IN ('keyword', 'pattern', 'lemma', 'all_of', 'near'))"
    schema_version = db.execute("PRAGMA schema_version").fetchone()[0]
    db.execute("PRAGMA writable_schema = ON")
    db.execute(
        "UPDATE sqlite_master SET sql = replace(sql, ?, ?) "
        "WHERE type = 'table' AND name = 'codings'",
        (old_check, new_check),
    )
    db.execute(f"PRAGMA schema_version = {int(schema_version) + 1}")
    db.execute("PRAGMA writable_schema = OFF")
    for table in RUN_ROW_TABLES:
        db.execute(f"ALTER TABLE {table} ADD COLUMN spans TEXT")
        create_journal_triggers(db, table)


@migrations()
def m005_learned_models(db: Database) -> None:
    """Models learned from a coder's manual coding, and learned suggestions' scores.

    A model row keeps what identifies and judges it (code, coder, SHA-256 of the training
    data, the examples as JSON ``[[segment_id, label], ...]``, cross-validated precision,
    recall and F1), not fitted weights: see :mod:`qualcode.flows.learning`. A suggestion made
    by a model has ``rule_kind`` ``learned``, its probability in ``score`` and its model in
    ``model_id``.
    """
    db.executescript(
        """
        CREATE TABLE learned_models (
            model_id INTEGER PRIMARY KEY,
            code_id TEXT NOT NULL REFERENCES codes(code_id) ON UPDATE CASCADE,
            coder TEXT NOT NULL,
            training_hash TEXT NOT NULL,
            examples INTEGER NOT NULL,
            positives INTEGER NOT NULL,
            folds INTEGER NOT NULL,
            precision REAL NOT NULL,
            recall REAL NOT NULL,
            f1 REAL NOT NULL,
            training TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE INDEX learned_models_lookup ON learned_models(code_id, coder, training_hash);
        ALTER TABLE suggestions ADD COLUMN score REAL;
        ALTER TABLE suggestions ADD COLUMN model_id INTEGER REFERENCES learned_models(model_id);
        """
    )
    create_journal_triggers(db, "suggestions")


@migrations()
def m006_speaker_roles_orphaned_codings(db: Database) -> None:
    """Roles set by hand per document and speaker label (``qualcode speakers set``), and
    codings whose text a corrected transcript no longer has (``qualcode codings orphaned``).

    The roles themselves stay on the segments, where every analysis reads them; this table
    remembers which were set by hand, so that ``qualcode speakers`` can say how each role was
    decided. Both are journaled for ``qualcode undo``: this table fully, ``segments`` for
    updates only (an import writes segments outside any journal entry, and a trigger that
    fired per inserted segment would slow every import down; ``import --replace`` journals
    the segments it deletes and inserts itself, see qualcode.store.replacing).

    An orphaned coding keeps what it was: document, code, coder, origin, the old offsets and
    quote, its memo, and when the replacement orphaned it. Nothing deletes it silently.
    """
    db.executescript(
        """
        CREATE TABLE speaker_roles (
            document_id INTEGER NOT NULL REFERENCES documents(document_id) ON DELETE CASCADE,
            speaker TEXT NOT NULL,
            role TEXT NOT NULL CHECK (role IN ('interviewer', 'respondent')),
            PRIMARY KEY (document_id, speaker)
        );

        CREATE TABLE orphaned_codings (
            orphan_id INTEGER PRIMARY KEY,
            document_id INTEGER NOT NULL REFERENCES documents(document_id) ON DELETE CASCADE,
            coding_id INTEGER NOT NULL,
            code_id TEXT NOT NULL REFERENCES codes(code_id) ON UPDATE CASCADE,
            coder TEXT NOT NULL,
            origin TEXT NOT NULL,
            run_id INTEGER,
            rule TEXT,
            old_start_char INTEGER NOT NULL,
            old_end_char INTEGER NOT NULL,
            quote TEXT NOT NULL,
            memo TEXT,
            created_at TEXT NOT NULL,
            orphaned_at TEXT NOT NULL
        );
        CREATE INDEX orphaned_codings_document ON orphaned_codings(document_id);
        """
    )
    create_journal_triggers(db, "speaker_roles")
    create_journal_triggers(db, "orphaned_codings")
    create_journal_triggers(db, "segments", operations=("update",))


#: Case tables journaled from m007 on: an import that creates a case (or sets attributes on
#: one) is undone with it.
JOURNALED_CASE_TABLES = ("cases", "case_attributes")


@migrations()
def m007_journal_imports(db: Database) -> None:
    """Imports are journaled, so ``undo`` walks back through them to the empty project.

    Documents and their segments are journaled compactly by qualcode.store.journal (one change
    per document, a replaced document's rows kept in it); cases and case attributes by the
    same triggers as the coding tables.
    """
    for table in JOURNALED_CASE_TABLES:
        create_journal_triggers(db, table)


@migrations()
def m008_adjudications_coding_memos(db: Database) -> None:
    """Adjudication decisions (``qualcode adjudicate``), and the coding memo in ``codings_view``.

    One ``adjudications`` row per settled (segment, code) of a set of coders: ``coders`` is
    the JSON array of the adjudicated coders (sorted), ``applied_by`` those of them who had
    applied the code, ``decision`` keep or drop, ``agreed`` 1 where every coder had applied it
    (an agreement accepted with ``--keep-agreed``), ``consensus_coder`` whose codings a keep
    wrote, ``decided_by``/``decided_at`` who decided and when, ``note`` an optional reason. A
    (coders, segment, code) is decided once; decisions follow a renamed code and go with a
    deleted segment. Journaled like every coding-state table, so ``qualcode undo`` takes an
    adjudication back with its consensus codings; its triggers are compact (silent while an
    adjudication journals its own bulk inserts, one INSERT ... SELECT per table).

    ``codings_view`` gains ``memo`` (the memo written with the coding) as its last column, so
    that readers selecting columns by position keep working.
    """
    db.executescript(
        """
        CREATE TABLE adjudications (
            adjudication_id INTEGER PRIMARY KEY,
            segment_id INTEGER NOT NULL REFERENCES segments(segment_id) ON DELETE CASCADE,
            code_id TEXT NOT NULL REFERENCES codes(code_id) ON UPDATE CASCADE,
            coders TEXT NOT NULL,
            applied_by TEXT NOT NULL,
            decision TEXT NOT NULL CHECK (decision IN ('keep', 'drop')),
            agreed INTEGER NOT NULL CHECK (agreed IN (0, 1)),
            consensus_coder TEXT NOT NULL,
            decided_by TEXT NOT NULL,
            decided_at TEXT NOT NULL,
            note TEXT
        );
        CREATE UNIQUE INDEX adjudications_unit ON adjudications(coders, segment_id, code_id);
        CREATE INDEX adjudications_segment ON adjudications(segment_id);

        DROP VIEW codings_view;
        CREATE VIEW codings_view AS
        SELECT
            c.coding_id, c.segment_id, d.name AS document, k.name AS case_name,
            c.code_id AS code, co.theme_id AS theme, c.coder, c.origin, c.run_id, c.rule,
            c.start_char, c.end_char,
            substr(s.text, c.start_char - s.start_char + 1, c.end_char - c.start_char) AS quote,
            c.created_at, c.memo
        FROM codings c
        JOIN segments s ON s.segment_id = c.segment_id
        JOIN documents d ON d.document_id = s.document_id
        JOIN cases k ON k.case_id = d.case_id
        JOIN codes co ON co.code_id = c.code_id
        WHERE c.superseded_by_run IS NULL;

        CREATE VIEW adjudications_view AS
        SELECT
            a.adjudication_id, a.segment_id, d.name AS document, k.name AS case_name,
            a.code_id AS code, a.coders, a.applied_by, a.decision, a.agreed, a.consensus_coder,
            a.decided_by, a.decided_at, a.note
        FROM adjudications a
        JOIN segments s ON s.segment_id = a.segment_id
        JOIN documents d ON d.document_id = s.document_id
        JOIN cases k ON k.case_id = d.case_id;
        """
    )
    create_journal_triggers(db, "adjudications", compact=True)


@migrations()
def m009_segments_line_break_index(db: Database) -> None:
    """A partial index of the segments whose text holds a line break.

    ``\\n`` is stored text's only line break (:func:`qualcode.text.decoding.normalise_text`).
    Search decides most segments in SQL with a substring test, which a line break inside a turn
    can fool (``网\\n格员``): those segments are checked on their folded text in Python. This
    index lists them without a second pass over every text, for one ``instr`` per segment
    stored (bench/README.md, "Search").
    """
    db.execute(
        "CREATE INDEX segments_line_break ON segments(segment_id) WHERE instr(text, char(10)) > 0"
    )
