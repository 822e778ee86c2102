"""The package's shape, as DESIGN.md section 2 draws it, held by tests.

- Layers: ``[tool.importlinter]`` in pyproject.toml lists them top to bottom; a module imports
  only from its own layer or from one below it. import-linter checks every import it finds,
  those inside functions included, so an arrow that points up fails here.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import REPOSITORY


def test_every_import_points_down() -> None:
    linter = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(linter), "--no-cache"], cwd=REPOSITORY, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout
