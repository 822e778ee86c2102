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
from pathlib import Path

from qualcode.errors import ProjectError

DEFAULT_DB = "qualcode.db"
DB_ENV = "QUALCODE_DB"


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
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    return conn


def open_project(path: str | Path | None = None, *, create: bool = False) -> Project:
    """Open the project at ``path`` (default :func:`default_db_path`), migrating it to date.

    With ``create=False`` a missing file is an error that tells the user to run
    ``qualcode init``; with ``create=True`` the file is created.
    """
    from sqlite_utils import Database

    from qualcode.migrations import migrations

    db_path = Path(path) if path is not None else default_db_path()
    if not db_path.exists() and not create:
        raise ProjectError(f"no project at {db_path}: run 'qualcode init' first or pass --db PATH")
    if db_path.exists() and db_path.is_dir():
        raise ProjectError(f"{db_path} is a directory, not a project file")
    try:
        conn = _connect(db_path)
        database = Database(conn)
        migrations.apply(database)
    except sqlite3.DatabaseError as error:
        raise ProjectError(f"{db_path}: not a usable qualcode project ({error})") from error
    return Project(path=db_path, conn=conn)


def project_exists(path: str | Path | None = None) -> bool:
    """Whether a project file exists at ``path`` (default :func:`default_db_path`)."""
    db_path = Path(path) if path is not None else default_db_path()
    return db_path.is_file()
