"""The README's generated sections (cog) match the code: the command table and the matrix."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import REPOSITORY


def test_readme_is_up_to_date_with_the_commands_and_the_demo_matrix() -> None:
    cog = str(Path(sys.executable).with_name("cog"))
    result = subprocess.run(
        [cog, "--check", "README.md"], cwd=REPOSITORY, capture_output=True, text=True
    )
    assert result.returncode == 0, f"run 'cog -r README.md': {result.stdout}{result.stderr}"


def test_readme_opens_with_the_two_commands_and_ci_runs_the_test_one() -> None:
    readme = (REPOSITORY / "README.md").read_text(encoding="utf-8")
    blocks = [block.split("```", 1)[0].strip() for block in readme.split("```bash\n")[1:3]]
    assert blocks[0].endswith("qualcode demo")
    assert blocks[1].endswith("python -m pytest")
    assert blocks[1] in (REPOSITORY / ".ci" / "run").read_text(encoding="utf-8")
