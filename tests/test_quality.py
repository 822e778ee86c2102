"""The quality bar as tests, so that CI (which runs pytest) holds it: ruff and strict mypy.

CONTRIBUTING.md asks for a clean ruff check, ruff format and mypy before every commit; these
tests make a change that skips them fail on a clean checkout instead of relying on memory.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPOSITORY

SOURCES = ["qualcode", "tests", "bench", "scripts"]


def _tool(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


@pytest.mark.parametrize(
    "command",
    [
        ["ruff", "check", *SOURCES],
        ["ruff", "format", "--check", *SOURCES],
        ["mypy", "qualcode", "tests"],
        # The benchmarks import their generator as a sibling module, as they run: from bench/.
        ["mypy", "--strict", "--ignore-missing-imports", "--explicit-package-bases", "bench"],
    ],
    ids=["ruff-check", "ruff-format", "mypy", "mypy-bench"],
)
def test_tool_is_clean(command: list[str]) -> None:
    result = subprocess.run(
        [_tool(command[0]), *command[1:]], cwd=REPOSITORY, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
