"""Schema versions and start-up: a project says which schema it has, newer ones are refused
untouched, and everyday commands on a current project load only what they need."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlite_utils import Database

from qualcode import __version__
from qualcode.errors import ProjectError
from qualcode.store.migrations import migrations
from qualcode.store.project import (
    APPLICATION_ID,
    SCHEMA_VERSION,
    open_project,
    open_project_readonly,
    schema_stamp,
)
from tests.conftest import REPOSITORY, Cli, prepare_interview


def test_schema_version_is_the_number_of_migrations() -> None:
    """A new migration must raise SCHEMA_VERSION, or current projects would never get it."""
    assert len(migrations.pending(Database(sqlite3.connect(":memory:")))) == SCHEMA_VERSION


def test_a_new_project_records_its_schema_version(tmp_path: Path) -> None:
    with open_project(tmp_path / "new.db", create=True) as project:
        assert schema_stamp(project.conn) == (APPLICATION_ID, SCHEMA_VERSION)


def test_an_older_project_is_migrated_and_stamped(tmp_path: Path) -> None:
    """A project from before the header stamp (user_version 0) is brought up to date."""
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    migrations.apply(Database(conn), stop_before="m003_journal")
    conn.close()
    with open_project(path) as project:
        assert schema_stamp(project.conn) == (APPLICATION_ID, SCHEMA_VERSION)
        assert project.conn.execute("SELECT count(*) FROM journal_entries").fetchone()[0] == 0


def newer_project(path: Path) -> bytes:
    """A project as a future qualcode with one more migration would leave it; its bytes."""
    open_project(path, create=True).close()
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE future_things (thing_id INTEGER PRIMARY KEY)")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    return path.read_bytes()


def test_a_newer_project_is_refused_and_left_unchanged(cli: Cli, db_path: Path) -> None:
    before = newer_project(db_path)
    refusal = (
        f"{db_path}: made by a newer qualcode (schema {SCHEMA_VERSION + 1}); upgrade qualcode "
        f"(this one, {__version__}, knows schema {SCHEMA_VERSION})"
    )
    for command in (["segments"], ["init"], ["import", "nothing.txt"], ["info"], ["undo"]):
        result = cli(*command)
        assert (result.exit_code, result.stdout, result.stderr) == (
            1, "", f"Error: {refusal}\n"
        ), command  # fmt: skip
    assert db_path.read_bytes() == before
    assert sorted(entry.name for entry in db_path.parent.iterdir()) == [db_path.name]
    with pytest.raises(ProjectError) as raised:
        open_project_readonly(db_path)
    assert str(raised.value) == refusal
    assert db_path.read_bytes() == before


def test_version_and_info(cli: Cli, tmp_path: Path) -> None:
    result = cli("--version")
    assert (result.exit_code, result.stdout) == (
        0, f"qualcode {__version__} (project schema {SCHEMA_VERSION})\n",
    )  # fmt: skip
    prepare_interview(cli, tmp_path)
    assert cli("code", "2", "grid").exit_code == 0
    assert cli("memo", "2", "worth a second look").exit_code == 0
    result = cli("info", "--format", "json")
    assert result.exit_code == 0, result.stderr
    info = json.loads(result.stdout)
    assert info["schema_version"] == SCHEMA_VERSION
    assert info["qualcode_version"] == __version__
    counts = {name: value for name, value in info.items() if isinstance(value, int)}
    counts.pop("file_bytes")
    assert counts == {
        "schema_version": SCHEMA_VERSION, "cases": 1, "documents": 1, "segments": 4,
        "codes": 6, "manual_codings": 1, "auto_codings": 0, "pending_suggestions": 0,
        "memos": 1, "autocode_runs": 0, "journal_entries": 4,
    }  # fmt: skip


#: Modules an everyday command on a current project must not load: the migration machinery
#: (sqlite-utils, and numpy with it), language tools, spreadsheet and chart writers, YAML, and
#: pydantic (typer converts options with it unless qualcode.cli.coercion does).
HEAVY = (
    "sqlite_utils", "numpy", "spacy", "jieba", "openpyxl", "matplotlib", "yaml", "pydantic",
)  # fmt: skip


def imported_modules(project: Path, *arguments: str) -> set[str]:
    """Top-level names of every module ``python -m qualcode ARGUMENTS`` imported."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "qualcode", "--db", str(project), *arguments],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    names = set()
    for line in result.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip())
    return names


@pytest.mark.parametrize(
    ("arguments", "also_absent"),
    [
        (["segments", "--format", "json"], ("rich",)),
        (["segments"], ()),
        (["code", "2", "grid"], ("rich",)),
        (["search", "网格", "--format", "json"], ("rich",)),
        (["search", "网格员会"], ("rich.table",)),
    ],
)
def test_everyday_commands_load_only_what_they_need(
    cli: Cli, db_path: Path, tmp_path: Path, arguments: list[str], also_absent: tuple[str, ...]
) -> None:
    prepare_interview(cli, tmp_path)
    modules = imported_modules(db_path, *arguments)
    assert "qualcode.store.project" in modules  # the command did open the project
    loaded = sorted(
        name
        for name in modules
        for heavy in (*HEAVY, *also_absent)
        if name == heavy or name.startswith(heavy + ".")
    )
    assert loaded == [], arguments


#: The command modules (``qualcode.cli.*``) each command may load: its own and the modules
#: every command shares. The others stay unloaded (the lazy command table), and so do the
#: store's writers that a listing does not need (the search index, cases) or, for ``code``,
#: the search index.
MAIN = {"qualcode.cli", "qualcode.cli.coercion"}
SHARED = MAIN | {"qualcode.cli.context", "qualcode.cli.options", "qualcode.cli.output"}


@pytest.mark.parametrize(
    ("arguments", "command_modules", "absent"),
    [
        (["--help"], MAIN, ("qualcode.store.project", "sqlite3")),
        (
            ["matrix", "--help"],
            SHARED | {"qualcode.cli.analysis"},
            ("qualcode.store.project", "sqlite3"),
        ),
        (
            ["segments", "--format", "json"],
            SHARED | {"qualcode.cli.segments"},
            ("qualcode.store.search", "qualcode.store.cases", "qualcode.text.folding", "hashlib"),
        ),
        (
            ["code", "2", "grid"],
            SHARED | {"qualcode.cli.manual_coding"},
            ("qualcode.store.search",),
        ),
        (
            ["search", "网格", "--format", "json"],
            SHARED | {"qualcode.cli.search", "qualcode.cli.segments"},
            ("qualcode.store.journal", "qualcode.store.cases"),
        ),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, list) else "",
)
def test_a_command_loads_its_own_module_and_not_the_others(
    cli: Cli, db_path: Path, tmp_path: Path, arguments: list[str], command_modules: set[str],
    absent: tuple[str, ...],
) -> None:  # fmt: skip
    """Every command used to import all 21 command modules before it ran."""
    prepare_interview(cli, tmp_path)
    modules = imported_modules_in_full(db_path, *arguments)
    assert {name for name in modules if name.startswith("qualcode.cli")} == command_modules
    assert sorted(set(absent) & modules) == []
    for heavy in HEAVY:
        assert not any(name == heavy or name.startswith(heavy + ".") for name in modules)


def imported_modules_in_full(project: Path, *arguments: str) -> set[str]:
    """Full dotted names of every module in ``sys.modules`` when ``python -m qualcode --db
    PROJECT ARGUMENTS`` exits (``-X importtime`` does not see ``importlib.import_module``)."""
    code = (
        "import atexit, json, runpy, sys\n"
        "atexit.register(lambda: print(json.dumps(sorted(sys.modules)), file=sys.stderr))\n"
        f"sys.argv = ['qualcode', '--db', {str(project)!r}, *{arguments!r}]\n"
        "runpy.run_module('qualcode', run_name='__main__')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return set(json.loads(result.stderr.splitlines()[-1]))


def test_auto_coding_with_lemma_rules_does_not_load_spacy(
    cli: Cli, db_path: Path, tmp_path: Path
) -> None:
    """The shipped codebook has an English lemma rule: its forms come from spaCy's lookup
    table, read without importing spaCy (and thinc, pydantic, srsly with it; numpy is the
    normaliser's own)."""
    prepare_interview(cli, tmp_path)
    shipped = REPOSITORY / "codebooks" / "community_governance.yml"
    assert "lemmas:" in shipped.read_text(encoding="utf-8")
    assert cli("codebook", "load", str(shipped)).exit_code == 0
    modules = imported_modules_in_full(db_path, "autocode", "--dry-run")
    assert "qualcode.autocode.matching" in modules
    loaded = {name.split(".")[0] for name in modules}
    assert sorted(loaded & {"spacy", "thinc", "pydantic", "srsly"}) == []
