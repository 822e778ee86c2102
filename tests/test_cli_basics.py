"""The command line's contract: help with examples, light start-up, errors as one line."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer.main
from typer._click.utils import make_default_short_help
from typer.core import TyperGroup
from typer.testing import CliRunner

from qualcode.cli import COMMANDS, QualcodeGroup, app, load_commands
from tests.conftest import Cli


def _all_command_paths() -> list[list[str]]:
    """Every command and every group (``qualcode``, ``qualcode codebook``, ...) by its path."""
    group = typer.main.get_command(app)
    paths: list[list[str]] = []

    def walk(command: object, prefix: list[str]) -> None:
        paths.append(prefix)
        for name, sub in (getattr(command, "commands", None) or {}).items():
            walk(sub, [*prefix, name])

    walk(group, [])
    return paths


@pytest.mark.parametrize("command", _all_command_paths(), ids=lambda path: " ".join(path) or "-")
def test_every_command_help_shows_an_example(command: list[str]) -> None:
    result = CliRunner().invoke(app, [*command, "--help"])
    assert result.exit_code == 0
    assert "Example: qualcode" in result.stdout


def test_help_does_not_import_spacy_or_jieba() -> None:
    """Nor the store's journal and search or the review sessions: a command module that
    imports them at its top makes every command start slower (adjudicate's did)."""
    code = (
        "import sys\n"
        "from qualcode.cli import app\n"
        "try:\n    app(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = ('spacy', 'jieba', 'sqlite_utils', 'docx', 'numpy', 'matplotlib',\n"
        "         'qualcode.store.journal', 'qualcode.store.search', 'qualcode.review.queue')\n"
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert output.strip().splitlines()[-1] == "[]"


def _command_modules() -> dict[str, str]:
    """Every command that a module of ``qualcode.cli`` registers, with that module's name."""
    import pkgutil

    import qualcode.cli

    owners: dict[str, str] = {}
    for module in pkgutil.iter_modules(qualcode.cli.__path__):
        imported = importlib.import_module(f"qualcode.cli.{module.name}")
        if callable(getattr(imported, "register", None)):
            for name in load_commands(module.name):
                assert name not in owners, f"{name} registered by {owners[name]} and {module.name}"
                owners[name] = module.name
    return owners


def test_the_lazy_command_table_names_every_command_and_its_module() -> None:
    """``qualcode --help`` lists the commands from COMMANDS without importing them: a command
    added without its row there (or moved to another module) fails here, not in front of a
    user."""
    assert {name: module for name, module, _ in COMMANDS} == _command_modules()
    assert len({name for name, _, _ in COMMANDS}) == len(COMMANDS)


@pytest.mark.parametrize(("name", "module_name", "summary"), COMMANDS, ids=lambda x: str(x)[:20])
def test_the_lazy_help_line_is_the_commands_own(name: str, module_name: str, summary: str) -> None:
    """The one-line help in the listing is what click makes of the command's own help, at
    every width the terminal may give it."""
    command = load_commands(module_name)[name]
    assert not command.hidden and not command.deprecated and command.short_help is None
    for limit in range(10, 200):
        assert make_default_short_help(summary, limit) == command.get_short_help_str(limit), limit


def test_the_listing_is_the_one_the_loaded_commands_give() -> None:
    """Same commands, same order, same lines as typer lists them once every module is loaded."""
    group = typer.main.get_command(app)
    assert isinstance(group, QualcodeGroup)
    lazy = CliRunner().invoke(app, ["--help"], terminal_width=80).stdout
    loaded = [group.commands[name] for name in list(group.commands)]  # every module imported
    assert len(loaded) == len(COMMANDS)
    context = group.make_context("qualcode", ["--help"], resilient_parsing=True)
    for width in (50, 80, 120):
        formatter = context.make_formatter()
        formatter.width = width
        TyperGroup.format_commands(group, context, formatter)
        eager = formatter.getvalue()
        formatter = context.make_formatter()
        formatter.width = width
        group.format_commands(context, formatter)
        assert formatter.getvalue() == eager
    assert "\nCommands:\n  init " in lazy
    assert [line.split()[0] for line in lazy.split("Commands:\n")[1].splitlines()
            if line.startswith("  ") and not line.startswith("   ")] == [
        name for name, _, _ in COMMANDS
    ]  # fmt: skip


def test_an_unknown_command_is_a_usage_error_with_the_closest_name() -> None:
    result = CliRunner().invoke(app, ["segmnts"])
    assert result.exit_code == 2
    assert result.stderr.endswith("Error: No such command 'segmnts'. Did you mean 'segments'?\n")
    result = CliRunner().invoke(app, ["cases", "lst"])
    assert result.exit_code == 2
    assert result.stderr.endswith("Error: No such command 'lst'. Did you mean 'list', 'set'?\n")


def test_python_dash_m_runs_the_cli() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "qualcode", "--help"], capture_output=True, text=True, check=True
    )
    assert "import" in result.stdout


def test_init_creates_then_leaves_alone(cli: Cli, db_path: Path) -> None:
    first = cli("init")
    assert first.exit_code == 0
    assert first.stderr == f"Created project {db_path}.\n"
    assert db_path.is_file()
    second = cli("init")
    assert second.exit_code == 0
    assert second.stderr == f"Project {db_path} already exists; nothing changed.\n"


def test_missing_project_is_one_error_line(cli: Cli, db_path: Path) -> None:
    result = cli("docs", "list")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        f"Error: no project at {db_path}: run 'qualcode init' first or pass --db PATH\n"
    )


def test_not_a_database_is_one_error_line(cli: Cli, db_path: Path) -> None:
    db_path.write_bytes(b"this is not sqlite" * 100)
    result = cli("docs", "list")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {db_path}: not a usable qualcode project")
    assert len(result.stderr.splitlines()) == 1


def test_db_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "from-env.db"
    monkeypatch.setenv("QUALCODE_DB", str(target))
    result = CliRunner().invoke(app, ["init"])
    assert result.exit_code == 0
    assert target.is_file()


CASES_CSV = (
    "case,file,district,community_type,years_in_post\n"
    "Chaiji,chaiji.md,Liangxi,city centre / local residents,17\n"
    "Anxi,anxi.docx,Xishan,new industrial park / migrant workers,14\n"
)


def test_cases_import_and_list_typed(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "communities.csv"
    path.write_text(CASES_CSV, encoding="utf-8")
    result = cli("cases", "import", str(path))
    assert result.exit_code == 0, result.stderr
    assert result.stderr == f"{path}: 2 cases, 6 attribute values, 2 file names mapped\n"
    listed = json.loads(cli("cases", "list", "--format", "json").stdout)
    assert listed == [
        {"case_name": "Chaiji", "documents": 0, "segments": 0, "district": "Liangxi",
         "community_type": "city centre / local residents", "years_in_post": 17},
        {"case_name": "Anxi", "documents": 0, "segments": 0, "district": "Xishan",
         "community_type": "new industrial park / migrant workers", "years_in_post": 14},
    ]  # fmt: skip
    csv_out = cli("cases", "list", "--format", "csv").stdout
    assert csv_out.splitlines()[0] == (
        "case_name,documents,segments,district,community_type,years_in_post"
    )


def test_cases_set_types_values_and_rejects_unknown(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "communities.csv"
    path.write_text(CASES_CSV, encoding="utf-8")
    cli("cases", "import", str(path))
    assert cli("cases", "set", "Anxi", "--attr", "staff=6", "--attr", "ratio=0.5").exit_code == 0
    rows = json.loads(cli("cases", "list", "--format", "json").stdout)
    anxi = next(row for row in rows if row["case_name"] == "Anxi")
    assert anxi["staff"] == 6 and anxi["ratio"] == 0.5
    unknown = cli("cases", "set", "Nowhere", "--attr", "x=1")
    assert unknown.exit_code == 1
    assert unknown.stderr == "Error: no case named 'Nowhere' (see 'qualcode cases list')\n"
    malformed = cli("cases", "set", "Anxi", "--attr", "novalue")
    assert malformed.exit_code == 2
    assert malformed.stderr == "Error: attribute 'novalue' is not in the form key=value\n"


def test_cases_csv_without_case_column_names_file_and_line(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("district,type\nLiangxi,x\n", encoding="utf-8")
    result = cli("cases", "import", str(path))
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {path}:1: no case column: expected one of case, case_name, community, name; "
        "header is district, type\n"
    )
    assert json.loads(cli("cases", "list", "--format", "json").stdout) == []


TOO_BIG = str(2**63)
HUGE_INTEGER_COMMANDS = [
    ["code", TOO_BIG, "grid"],
    ["code", "1", "grid", "--start", TOO_BIG],
    ["uncode", TOO_BIG, "grid"],
    ["suggestions", "accept", TOO_BIG],
    ["suggestions", "reject", "1", TOO_BIG],
    ["suggestions", "list", "--run", TOO_BIG],
    ["review", "--run", TOO_BIG],
    ["autocode", "diff", "1", TOO_BIG],
    ["segments", "--limit", TOO_BIG],
    ["search", "grid", "--limit", TOO_BIG],
    ["history", "--limit", TOO_BIG],
    ["undo", TOO_BIG],
    ["matrix", "--quotes", TOO_BIG],
    ["matrix", "--level", "code", "--depth", TOO_BIG],
    ["report", "--quotes", TOO_BIG, "-o", "r.html"],
    ["freq", "--top", TOO_BIG],
    ["sample", "--size", TOO_BIG],
    ["agree", "--seed", TOO_BIG],
]


@pytest.mark.parametrize("command", HUGE_INTEGER_COMMANDS, ids=" ".join)
def test_integers_beyond_sqlite_are_usage_errors(cli: Cli, command: list[str]) -> None:
    """2**63 does not fit an SQLite INTEGER: typer refuses it instead of an OverflowError."""
    cli("init")
    result = cli(*command)
    assert result.exit_code == 2, result.stderr
    flat = " ".join(result.stderr.replace("│", " ").split())
    assert "Invalid value" in flat and str(2**63 - 1) in flat


def test_memo_on_a_huge_segment_id_is_a_usage_error(cli: Cli) -> None:
    cli("init")
    result = cli("memo", TOO_BIG, "a note")
    assert (result.exit_code, result.stderr) == (
        2,
        f"Error: segment id must be a number from 1 to {2**63 - 1}, got '{TOO_BIG}'\n",
    )
    assert cli("memo", "²", "a note").exit_code == 2
