"""Opening a project: the only place that connects to the database and applies migrations.

A project is one SQLite file (DESIGN.md section 3). :func:`open_project` returns a
:class:`Project` whose :meth:`Project.transaction` groups writes that belong together, so a
crash or Ctrl-C leaves the file as it was before or after, never in between.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from qualcode._version import __version__
from qualcode.errors import BusyError, ProjectError
from qualcode.store.defaults import DB_ENV, DEFAULT_DB, DEFAULT_WAIT_SECONDS

#: The schema version this qualcode writes: the number of migrations in
#: :mod:`qualcode.store.migrations` (a test holds the two together). It is stamped in the
#: file header (``PRAGMA user_version``) so that opening a current project costs one query
#: and a project from a newer qualcode is refused before anything is read or written.
SCHEMA_VERSION = 9
#: ``PRAGMA application_id`` of a qualcode project ("QCOD"): tells our files from other SQLite.
APPLICATION_ID = 0x51434F44

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
    """An open project file.

    ``wait_seconds`` is how long a write waits for another process that holds the project;
    while this one holds it (inside :meth:`transaction`) a small owner file next to the
    project (:func:`owner_path`) says which command does, so that the waiting one can say so.
    """

    path: Path
    conn: sqlite3.Connection
    wait_seconds: float = DEFAULT_WAIT_SECONDS

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Run the block in one transaction: commit on success, roll back on any exception.

        ``BaseException`` is caught on purpose so that Ctrl-C (KeyboardInterrupt) rolls back
        too; the exception is always re-raised. When another process holds the project
        longer than ``wait_seconds``, :class:`~qualcode.errors.BusyError` names it and
        nothing was written.
        """
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            if is_lock_error(error):
                raise BusyError(f"{self.path}: {busy_message(self.path)}") from error
            raise
        owner = _claim_owner(self.path)
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            _release_owner(owner)
            raise
        try:
            self.conn.execute("COMMIT")
        finally:
            _release_owner(owner)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def owner_path(db_path: Path) -> Path:
    """The file that names the command writing to ``db_path`` while it writes."""
    return db_path.with_name(db_path.name + "-owner")


def is_lock_error(error: sqlite3.OperationalError) -> bool:
    """Whether SQLite gave up waiting for another connection's lock."""
    text = str(error)
    return "database is locked" in text or "database is busy" in text


def current_command() -> str:
    """This process's command line, short: ``qualcode autocode --only-new``."""
    words = [Path(sys.argv[0]).name if sys.argv and sys.argv[0] else "python", *sys.argv[1:]]
    command = " ".join(words)
    return command if len(command) <= 80 else command[:77] + "..."


def _claim_owner(db_path: Path) -> Path | None:
    """Write who holds the project (pid, command, since when); best effort, never fails."""
    path = owner_path(db_path)
    record = json.dumps(
        {"pid": os.getpid(), "command": current_command(), "since": now_utc()},
        ensure_ascii=False,
    )
    try:
        path.write_text(record, encoding="utf-8")
    except OSError:
        return None
    return path


def _release_owner(path: Path | None) -> None:
    if path is None:
        return
    with suppress(OSError):
        path.unlink()


def project_owner(db_path: Path) -> dict[str, Any] | None:
    """The command that holds ``db_path`` for writing, if its owner file names a live process."""
    try:
        record = json.loads(owner_path(db_path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or not isinstance(record.get("pid"), int):
        return None
    try:
        os.kill(record["pid"], 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass  # alive, another user's
    return record


def busy_message(db_path: Path) -> str:
    """One line saying that (and, where known, by which command) the project is held."""
    owner = project_owner(db_path)
    if owner is None:
        holder = "another program is writing to it"
    else:
        holder = (
            f"'{owner.get('command')}' (pid {owner['pid']}, since {owner.get('since')}) is "
            "writing to it"
        )
    return (
        f"busy: {holder}; nothing was changed. Try again when it is done, or give it "
        "longer with --wait SECONDS"
    )


def _connect(path: Path, wait_seconds: float) -> sqlite3.Connection:
    # isolation_level=None: we issue BEGIN/COMMIT ourselves, so transactions are explicit.
    # timeout: SQLite's busy timeout, how long a statement waits for another process's lock.
    conn = sqlite3.connect(path, isolation_level=None, timeout=wait_seconds)
    conn.row_factory = sqlite3.Row
    return conn


def _configure(conn: sqlite3.Connection) -> None:
    """Pragmas of a writable project; WAL changes the file, so only once it is known ours."""
    conn.execute("PRAGMA foreign_keys = ON")
    if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")


def _is_empty(conn: sqlite3.Connection) -> bool:
    """No table, index, view or trigger: a new (or zero-byte) file."""
    return bool(conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0)


def schema_stamp(conn: sqlite3.Connection) -> tuple[int, int]:
    """``(application_id, user_version)`` from the file header: one query, no table read."""
    row = conn.execute(
        "SELECT a.application_id, u.user_version FROM pragma_application_id a, "
        "pragma_user_version u"
    ).fetchone()
    return int(row[0]), int(row[1])


def _stamp_schema(conn: sqlite3.Connection) -> None:
    """Record in the header that this file is a qualcode project at :data:`SCHEMA_VERSION`."""
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _refuse_newer(db_path: Path, application_id: int, version: int) -> None:
    """A project a newer qualcode wrote is not read or written: its tables may differ."""
    if application_id == APPLICATION_ID and version > SCHEMA_VERSION:
        raise ProjectError(
            f"{db_path}: made by a newer qualcode (schema {version}); upgrade qualcode "
            f"(this one, {__version__}, knows schema {SCHEMA_VERSION})"
        )


def _is_current(application_id: int, version: int) -> bool:
    return application_id == APPLICATION_ID and version == SCHEMA_VERSION


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
    except sqlite3.OperationalError as error:
        conn.close()
        if is_lock_error(error):
            raise BusyError(f"{db_path}: {busy_message(db_path)}") from error
        raise ProjectError(f"{db_path}: not a usable qualcode project ({error})") from error
    except sqlite3.DatabaseError as error:
        conn.close()
        raise ProjectError(f"{db_path}: not a usable qualcode project ({error})") from error
    except ProjectError:
        conn.close()
        raise


def open_project(
    path: str | Path | None = None, *, create: bool = False, wait_seconds: float | None = None
) -> Project:
    """Open the project at ``path`` (default :func:`default_db_path`), migrating it to date.

    With ``create=False`` a missing file is an error that tells the user to run
    ``qualcode init``; with ``create=True`` the file is created. An empty database becomes a
    project; a database with tables but no record of qualcode's migrations is refused before
    anything is written, so that ``--db`` pointed at someone's own SQLite file never adds our
    tables to it. A project written by a newer qualcode (a higher schema version in its
    header) is refused before anything is read or written.

    A project at the current schema version is recognised from its header with one query;
    sqlite-utils (and numpy with it) is imported only when there is something to migrate.
    ``wait_seconds`` is how long a statement waits for another process's lock (default
    :data:`DEFAULT_WAIT_SECONDS`, the CLI's ``--wait``).
    """
    db_path = Path(path) if path is not None else default_db_path()
    if not db_path.exists() and not create:
        raise ProjectError(f"no project at {db_path}: run 'qualcode init' first or pass --db PATH")
    if db_path.exists() and db_path.is_dir():
        raise ProjectError(f"{db_path} is a directory, not a project file")
    wait = DEFAULT_WAIT_SECONDS if wait_seconds is None else wait_seconds
    try:
        conn = _connect(db_path, wait)
    except sqlite3.DatabaseError as error:
        raise ProjectError(f"{db_path}: not a usable qualcode project ({error})") from error
    with _closed_on_error(conn, db_path):
        application_id, version = schema_stamp(conn)
        _refuse_newer(db_path, application_id, version)
        if not _is_current(application_id, version):
            _migrate(conn, db_path)
        else:
            _configure(conn)
    return Project(path=db_path, conn=conn, wait_seconds=wait)


def _migrate(conn: sqlite3.Connection, db_path: Path) -> None:
    """Make a new file a project, or bring an older project to :data:`SCHEMA_VERSION`."""
    from sqlite_utils import Database

    from qualcode.store.migrations import migrations

    empty = _is_empty(conn)
    if not empty and not _has_qualcode_migrations(conn):
        raise _not_a_project(db_path)
    if empty:
        conn.execute(f"PRAGMA page_size = {NEW_PROJECT_PAGE_SIZE}")
    _configure(conn)
    migrations.apply(Database(conn))
    _stamp_schema(conn)


def open_project_readonly(path: str | Path) -> Project:
    """Open an existing project read-only: never migrated, never changed, never created.

    For another coder's file (``agree --other``, ``merge``): it must stay exactly as it is.
    A file that is not SQLite, or an SQLite database without qualcode's migrations, is
    refused with one line naming it; so is a project an older qualcode made and that still
    needs migrating (opening it once with ``--db`` brings it up to date), and one a newer
    qualcode made.
    """
    db_path = Path(path)
    if not db_path.is_file():
        raise ProjectError(f"{db_path}: no such project file")
    with db_path.open("rb") as handle:
        if handle.read(16) != b"SQLite format 3\x00":
            raise ProjectError(f"{db_path}: not a qualcode project (not an SQLite file)")
    conn = sqlite3.connect(
        f"{db_path.resolve().as_uri()}?mode=ro", uri=True, timeout=DEFAULT_WAIT_SECONDS
    )
    conn.row_factory = sqlite3.Row
    with _closed_on_error(conn, db_path):
        application_id, version = schema_stamp(conn)
        _refuse_newer(db_path, application_id, version)
        if not _is_current(application_id, version):
            _check_readonly_schema(conn, db_path)
    return Project(path=db_path, conn=conn)


def _check_readonly_schema(conn: sqlite3.Connection, db_path: Path) -> None:
    from sqlite_utils import Database

    from qualcode.store.migrations import migrations

    if not _has_qualcode_migrations(conn):
        raise _not_a_project(db_path)
    if migrations.pending(Database(conn)):
        raise ProjectError(
            f"{db_path}: made by an older qualcode; run any qualcode command with "
            f"--db {db_path} once to update it"
        )


def project_exists(path: str | Path | None = None) -> bool:
    """Whether a project file exists at ``path`` (default :func:`default_db_path`)."""
    db_path = Path(path) if path is not None else default_db_path()
    return db_path.is_file()


#: What ``qualcode info`` counts, each with the query that counts it.
_COUNTS = (
    ("cases", "SELECT count(*) FROM cases"),
    ("documents", "SELECT count(*) FROM documents"),
    ("segments", "SELECT count(*) FROM segments"),
    ("codes", "SELECT count(*) FROM codes WHERE active = 1"),
    ("manual_codings", "SELECT count(*) FROM codings WHERE origin = 'manual'"),
    (
        "auto_codings",
        "SELECT count(*) FROM codings WHERE origin = 'auto' AND superseded_by_run IS NULL",
    ),
    ("pending_suggestions", "SELECT count(*) FROM suggestions WHERE status = 'pending'"),
    ("memos", "SELECT count(*) FROM memos"),
    ("autocode_runs", "SELECT count(*) FROM autocode_runs"),
    ("journal_entries", "SELECT count(*) FROM journal_entries WHERE undone_at IS NULL"),
)


def project_info(project: Project) -> dict[str, Any]:
    """The project's file, schema version, the qualcode that reads it, and what it holds.

    Read in one read transaction, so the counts belong to one moment even while another
    command writes.
    """
    conn = project.conn
    info: dict[str, Any] = {
        "project": str(project.path),
        "schema_version": schema_stamp(conn)[1],
        "qualcode_version": __version__,
        "file_bytes": project.path.stat().st_size if project.path.is_file() else 0,
    }
    conn.execute("BEGIN")
    try:
        for name, sql in _COUNTS:
            info[name] = int(conn.execute(sql).fetchone()[0])
    finally:
        conn.execute("COMMIT")
    return info
