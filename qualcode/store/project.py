"""Opening a project: the only place that connects to the database and applies migrations.

A project is one SQLite file (DESIGN.md section 3). :func:`open_project` returns a
:class:`Project` whose :meth:`Project.transaction` groups writes that belong together, so a
crash or Ctrl-C leaves the file as it was before or after, never in between.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from qualcode.errors import ProjectError

DEFAULT_DB = "qualcode.db"
DB_ENV = "QUALCODE_DB"

#: Page size of a new project file. Segment rows carry their text (a few hundred bytes of
#: UTF-8 each), so 16 KiB pages mean fewer pages written per document and fewer splits:
#: importing 1,000,000 segments stores about 0.7 us a segment faster than with SQLite's
#: default 4 KiB (bench/README.md). It can only be chosen before the file is first written.
NEW_PROJECT_PAGE_SIZE = 16384


def now_utc() -> str:
    """Current time as an ISO 8601 string in UTC, the format every ``*_at`` column uses."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def default_db_path() -> Path:
    """``$QUALCODE_DB`` if set, else ``./qualcode.db``."""
    return Path(os.environ.get(DB_ENV) or DEFAULT_DB)


@dataclass
class Project:
    """An open project file."""

    path: Path
    conn: sqlite3.Connection

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Run the block in one transaction: commit on success, roll back on any exception.

        ``BaseException`` is caught on purpose so that Ctrl-C (KeyboardInterrupt) rolls back
        too; the exception is always re-raised.
        """
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _connect(path: Path) -> sqlite3.Connection:
    # isolation_level=None: we issue BEGIN/COMMIT ourselves, so transactions are explicit.
    conn = sqlite3.connect(path, isolation_level=None)
    conn.row_factory = sqlite3.Row
    return conn


def _configure(conn: sqlite3.Connection) -> None:
    """Pragmas of a writable project; WAL changes the file, so only once it is known ours."""
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")


def _is_empty(conn: sqlite3.Connection) -> bool:
    """No table, index, view or trigger: a new (or zero-byte) file."""
    return bool(conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0)


def _has_qualcode_migrations(conn: sqlite3.Connection) -> bool:
    """Whether the database records having had qualcode's migrations applied."""
    from qualcode.store.migrations import migrations

    if (
        conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
            (migrations.migrations_table,),
        ).fetchone()
        is None
    ):
        return False
    row = conn.execute(
        f"SELECT 1 FROM [{migrations.migrations_table}] WHERE migration_set = ? LIMIT 1",
        (migrations.name,),
    ).fetchone()
    return row is not None


def _not_a_project(db_path: Path) -> ProjectError:
    return ProjectError(
        f"{db_path} is a SQLite database but not a qualcode project (it was left unchanged)"
    )


@contextmanager
def _closed_on_error(conn: sqlite3.Connection, db_path: Path) -> Iterator[None]:
    """Close ``conn`` when opening the project fails; an SQLite error becomes one line."""
    try:
        yield
    except sqlite3.DatabaseError as error:
        conn.close()
        raise ProjectError(f"{db_path}: not a usable qualcode project ({error})") from error
    except ProjectError:
        conn.close()
        raise


def open_project(path: str | Path | None = None, *, create: bool = False) -> Project:
    """Open the project at ``path`` (default :func:`default_db_path`), migrating it to date.

    With ``create=False`` a missing file is an error that tells the user to run
    ``qualcode init``; with ``create=True`` the file is created. An empty database becomes a
    project; a database with tables but no record of qualcode's migrations is refused before
    anything is written, so that ``--db`` pointed at someone's own SQLite file never adds our
    tables to it.
    """
    from sqlite_utils import Database

    from qualcode.store.migrations import migrations

    db_path = Path(path) if path is not None else default_db_path()
    if not db_path.exists() and not create:
        raise ProjectError(f"no project at {db_path}: run 'qualcode init' first or pass --db PATH")
    if db_path.exists() and db_path.is_dir():
        raise ProjectError(f"{db_path} is a directory, not a project file")
    try:
        conn = _connect(db_path)
    except sqlite3.DatabaseError as error:
        raise ProjectError(f"{db_path}: not a usable qualcode project ({error})") from error
    with _closed_on_error(conn, db_path):
        if not _is_empty(conn) and not _has_qualcode_migrations(conn):
            raise _not_a_project(db_path)
        if _is_empty(conn):
            conn.execute(f"PRAGMA page_size = {NEW_PROJECT_PAGE_SIZE}")
        _configure(conn)
        migrations.apply(Database(conn))
    return Project(path=db_path, conn=conn)


def open_project_readonly(path: str | Path) -> Project:
    """Open an existing project read-only: never migrated, never changed, never created.

    For another coder's file (``agree --other``, ``merge``): it must stay exactly as it is.
    A file that is not SQLite, or an SQLite database without qualcode's migrations, is
    refused with one line naming it; so is a project an older qualcode made and that still
    needs migrating (opening it once with ``--db`` brings it up to date).
    """
    from sqlite_utils import Database

    from qualcode.store.migrations import migrations

    db_path = Path(path)
    if not db_path.is_file():
        raise ProjectError(f"{db_path}: no such project file")
    with db_path.open("rb") as handle:
        if handle.read(16) != b"SQLite format 3\x00":
            raise ProjectError(f"{db_path}: not a qualcode project (not an SQLite file)")
    conn = sqlite3.connect(f"{db_path.resolve().as_uri()}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    with _closed_on_error(conn, db_path):
        if not _has_qualcode_migrations(conn):
            raise _not_a_project(db_path)
        if migrations.pending(Database(conn)):
            raise ProjectError(
                f"{db_path}: made by an older qualcode; run any qualcode command with "
                f"--db {db_path} once to update it"
            )
    return Project(path=db_path, conn=conn)


def project_exists(path: str | Path | None = None) -> bool:
    """Whether a project file exists at ``path`` (default :func:`default_db_path`)."""
    db_path = Path(path) if path is not None else default_db_path()
    return db_path.is_file()
