"""Shared fixtures: an isolated project per test and a CLI runner with separate streams."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from qualcode.cli import app
from qualcode.project import Project, open_project

REPOSITORY = Path(__file__).resolve().parent.parent
SAMPLES = REPOSITORY / "transcripts"


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
