"""The whole pipeline on the shipped sample interviews, for ``qualcode demo``.

The samples live in the source tree (``transcripts/`` next to the package), which is where an
editable install (the README's first command) finds them; ``samples`` can point elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from qualcode.cases import CasesImport, import_cases
from qualcode.errors import NotFoundError
from qualcode.importing.pipeline import FileOutcome, ImportOptions, import_paths
from qualcode.project import open_project

REPOSITORY_ROOT = Path(__file__).resolve().parent.parent
SAMPLES = REPOSITORY_ROOT / "transcripts"
CASES_FILE = "communities.csv"
DEMO_DB = "qualcode.db"


@dataclass
class DemoReport:
    """What the demo built, for the CLI to print."""

    db_path: Path
    cases: CasesImport
    files: list[FileOutcome] = field(default_factory=list)


def run_demo(
    directory: Path,
    *,
    samples: Path = SAMPLES,
    on_file: Callable[[FileOutcome], None] | None = None,
) -> DemoReport:
    """Build (or bring up to date) a project in ``directory`` from the sample interviews.

    Running it again changes nothing: every sample is recognised by its content hash.
    """
    cases_file = samples / CASES_FILE
    if not cases_file.is_file():
        raise NotFoundError(
            f"sample interviews not found in {samples}: run the demo from a source checkout "
            "(pip install -e .) or pass --samples PATH"
        )
    directory.mkdir(parents=True, exist_ok=True)
    db_path = directory / DEMO_DB
    with open_project(db_path, create=True) as project:
        cases = import_cases(project, cases_file)
        files = import_paths(project, [samples], ImportOptions(), on_file=on_file)
    return DemoReport(db_path=db_path, cases=cases, files=files)
