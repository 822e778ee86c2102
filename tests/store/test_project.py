"""Opening project files: someone else's SQLite database is refused and left exactly as it was."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlite_utils import Database

from qualcode.errors import ProjectError
from qualcode.store.migrations import migrations
from qualcode.store.project import NEW_PROJECT_PAGE_SIZE, open_project, open_project_readonly
from tests.conftest import Cli


def foreign_database(path: Path) -> Path:
    """A user's own SQLite file, with a table whose name clashes with one of ours."""
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE documents (title TEXT)")
    conn.execute("INSERT INTO documents VALUES ('field notes')")
    conn.commit()
    conn.close()
    return path


def files_next_to(path: Path) -> list[str]:
    return sorted(entry.name for entry in path.parent.iterdir())


def refusal(path: Path) -> str:
    return f"{path} is a SQLite database but not a qualcode project (it was left unchanged)"


@pytest.mark.parametrize("create", [False, True])
def test_a_foreign_database_is_refused_and_unchanged(tmp_path: Path, create: bool) -> None:
    path = foreign_database(tmp_path / "notes.sqlite")
    before = path.read_bytes()
    with pytest.raises(ProjectError) as raised:
        open_project(path, create=create)
    assert str(raised.value) == refusal(path)
    assert path.read_bytes() == before
    assert files_next_to(path) == ["notes.sqlite"]


def test_a_foreign_database_with_other_migrations_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other-app.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE _sqlite_migrations (migration_set TEXT, name TEXT, applied_at TEXT)")
    conn.execute("INSERT INTO _sqlite_migrations VALUES ('otherapp', 'm001', '2026-01-01')")
    conn.commit()
    conn.close()
    with pytest.raises(ProjectError) as raised:
        open_project(path)
    assert str(raised.value) == refusal(path)


def test_cli_on_a_foreign_database_is_one_error_line(tmp_path: Path) -> None:
    path = foreign_database(tmp_path / "notes.sqlite")
    before = path.read_bytes()
    cli = Cli(path)
    for command in (["segments"], ["init"], ["docs", "list"]):
        result = cli(*command)
        assert (result.exit_code, result.stdout, result.stderr) == (
            1, "", f"Error: {refusal(path)}\n",
        ), command  # fmt: skip
    assert path.read_bytes() == before
    conn = sqlite3.connect(path)
    assert [row[0] for row in conn.execute("SELECT name FROM sqlite_master")] == ["documents"]
    conn.close()


def test_an_empty_file_becomes_a_project(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    path.write_bytes(b"")
    with open_project(path) as project:
        assert project.conn.execute("SELECT count(*) FROM documents").fetchone()[0] == 0
    with open_project(tmp_path / "new.db", create=True) as project:
        assert project.conn.execute("SELECT count(*) FROM codings").fetchone()[0] == 0


def test_new_projects_get_large_pages_and_older_files_keep_theirs(tmp_path: Path) -> None:
    """16 KiB pages make large imports faster; an existing file's page size cannot change."""
    with open_project(tmp_path / "new.db", create=True) as project:
        assert project.conn.execute("PRAGMA page_size").fetchone()[0] == NEW_PROJECT_PAGE_SIZE
    path = older_project(tmp_path / "old.db")
    with open_project(path) as project:
        assert project.conn.execute("PRAGMA page_size").fetchone()[0] == 4096
        assert project.conn.execute("SELECT count(*) FROM codings").fetchone()[0] == 0


def older_project(path: Path) -> Path:
    """A project as the first qualcode release left it: only the first migration applied."""
    conn = sqlite3.connect(path)
    migrations.apply(Database(conn), stop_before="m002_codebook_codings_runs")
    conn.close()
    return path


def test_an_older_project_is_migrated(tmp_path: Path) -> None:
    path = older_project(tmp_path / "old.db")
    with open_project(path) as project:
        applied = [migration.name for migration in migrations.applied(Database(project.conn))]
    assert applied == [
        "m001_documents_segments_cases",
        "m002_codebook_codings_runs",
        "m003_journal",
        "m004_proximity_provenance",
        "m005_learned_models",
        "m006_speaker_roles_orphaned_codings",
        "m007_journal_imports",
        "m008_adjudications_coding_memos",
        "m009_segments_line_break_index",
    ]


def test_readonly_opens_a_project_without_changing_it(tmp_path: Path) -> None:
    path = tmp_path / "colleague.db"
    open_project(path, create=True).close()
    before = path.read_bytes()
    with open_project_readonly(path) as project:
        assert project.conn.execute("SELECT count(*) FROM segments").fetchone()[0] == 0
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            project.conn.execute("INSERT INTO cases (name, created_at) VALUES ('x', 'now')")
    assert path.read_bytes() == before


def test_readonly_refuses_what_is_not_a_current_project(tmp_path: Path) -> None:
    foreign = foreign_database(tmp_path / "notes.sqlite")
    before = foreign.read_bytes()
    with pytest.raises(ProjectError) as raised:
        open_project_readonly(foreign)
    assert str(raised.value) == refusal(foreign)
    assert foreign.read_bytes() == before
    old = older_project(tmp_path / "old.db")
    with pytest.raises(ProjectError) as raised:
        open_project_readonly(old)
    assert str(raised.value) == (
        f"{old}: made by an older qualcode; run any qualcode command with --db {old} once to "
        "update it"
    )
    with pytest.raises(ProjectError) as raised:
        open_project_readonly(tmp_path / "missing.db")
    assert str(raised.value) == f"{tmp_path / 'missing.db'}: no such project file"


def test_merge_refuses_a_foreign_database_and_leaves_it_alone(cli: Cli, tmp_path: Path) -> None:
    cli("init")
    foreign = foreign_database(tmp_path / "notes.sqlite")
    before = foreign.read_bytes()
    result = cli("merge", str(foreign))
    assert (result.exit_code, result.stderr) == (1, f"Error: {refusal(foreign)}\n")
    assert foreign.read_bytes() == before
