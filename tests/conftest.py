"""Shared fixtures: an isolated project per test and a CLI runner with separate streams."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from qualcode.cli import app
from qualcode.store.project import Project, open_project

REPOSITORY = Path(__file__).resolve().parent.parent
SAMPLES = REPOSITORY / "transcripts"
FIXTURES = REPOSITORY / "tests" / "fixtures"

#: A four-turn interview (Chaiji) and the six-code ``mini`` codebook whose keywords it contains:
#: the small coded project that many tests start from.
INTERVIEW = (FIXTURES / "chaiji.txt").read_text(encoding="utf-8")
CODEBOOK = (FIXTURES / "codebooks" / "mini.yml").read_text(encoding="utf-8")


@pytest.fixture(autouse=True)
def isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads or writes a project outside its own tmp_path, or picks up a coder name."""
    monkeypatch.delenv("QUALCODE_DB", raising=False)
    monkeypatch.delenv("QUALCODE_CODER", raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "study.db"


@pytest.fixture
def project(db_path: Path) -> Iterator[Project]:
    with open_project(db_path, create=True) as opened:
        yield opened


class Cli:
    """Runs ``qualcode --db <db_path> ...`` in-process and returns click's Result."""

    def __init__(self, db_path: Path) -> None:
        self.db_path = db_path
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None) -> Result:
        return self.runner.invoke(
            app, ["--db", str(self.db_path), *args], input=input, catch_exceptions=False
        )


@pytest.fixture
def cli(db_path: Path) -> Cli:
    return Cli(db_path)


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    """Write a test transcript and return its path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


def write_codebook(folder: Path, text: str = CODEBOOK) -> Path:
    """Write the ``mini`` codebook (or a variant of it) to ``folder/mini.yml``; return the path."""
    return write(folder / "mini.yml", text)


def prepare_interview(cli: Cli, folder: Path, interview: str = INTERVIEW) -> None:
    """Import ``interview`` as ``folder/chaiji.txt`` and load the ``mini`` codebook, by the CLI."""
    assert cli("import", str(write(folder / "chaiji.txt", interview))).exit_code == 0
    assert cli("codebook", "load", str(write_codebook(folder))).exit_code == 0
