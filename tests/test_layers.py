"""The package's shape, as CONTRIBUTING.md draws it, held by tests.

- Layers: ``[tool.importlinter]`` in pyproject.toml lists them top to bottom; a module imports
  only from its own layer or from one below it. import-linter checks every import it finds,
  those inside functions included, so an arrow that points up fails here.
- SQL in two places: ``.execute(``, ``.executemany(`` and ``.executescript(`` on a project run
  only under ``qualcode/store/`` (writes, and reads that belong to a writer) and in
  ``qualcode/analysis/query.py`` (the one read layer every number comes from). The one other
  module allowed SQL is :data:`FOREIGN_READERS`: readers of another tool's SQLite file, opened
  read-only as an input format like a .docx, never the project.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPOSITORY

PACKAGE = REPOSITORY / "qualcode"
SQL_CALL = re.compile(r"\.(execute|executemany|executescript)\(")
SQL_HOMES = (PACKAGE / "store", PACKAGE / "analysis" / "query.py")
#: QualCoder keeps its projects in SQLite; reading one is the reader's job (importing/ sits
#: below store/ and never touches the project).
FOREIGN_READERS = (PACKAGE / "importing" / "qualcoder.py",)


def test_every_import_points_down() -> None:
    linter = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(linter), "--no-cache"], cwd=REPOSITORY, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


def _may_run_sql(path: Path) -> bool:
    return path in FOREIGN_READERS or any(
        path == home or home in path.parents for home in SQL_HOMES
    )


def test_sql_runs_only_in_store_and_the_query_layer() -> None:
    stray = [
        f"{path.relative_to(REPOSITORY)}:{number}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if not _may_run_sql(path)
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if SQL_CALL.search(line)
    ]
    assert stray == []


def test_the_sql_check_can_fail() -> None:
    # The rule above is worth something only if it sees a call where one does not belong.
    assert SQL_CALL.search("rows = project.conn.execute(sql, parameters)")
    assert not _may_run_sql(PACKAGE / "analysis" / "matrix.py")
    assert not _may_run_sql(PACKAGE / "cli" / "search.py")
    assert _may_run_sql(PACKAGE / "store" / "codings.py")
    assert _may_run_sql(PACKAGE / "analysis" / "query.py")
