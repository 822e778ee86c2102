"""The whole pipeline on the shipped sample interviews, for ``qualcode demo``.

Import the samples and their cases table, load the shipped codebook, auto-code what is new,
bring in the illustrative coders' manual codings when they are shipped, and write the
communities x themes matrix as CSV and XLSX and the HTML report into the demo folder. Every
step is idempotent, so running the demo again adds nothing and rewrites the same files.

The samples live in the source tree (``transcripts/`` next to the package), which is where an
editable install (the README's first command) finds them; ``samples`` can point elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from qualcode.analysis.matrix import Matrix, MatrixOptions, build_matrix
from qualcode.autocode.runs import AutocodeOptions, AutocodeReport, run_autocode
from qualcode.errors import NotFoundError
from qualcode.flows.importing import FileOutcome, ImportOptions, import_paths
from qualcode.store.cases import CasesImport, import_cases
from qualcode.store.codebooks import LoadReport, load_into_project
from qualcode.store.project import Project, open_project

REPOSITORY_ROOT = Path(__file__).resolve().parents[2]
SAMPLES = REPOSITORY_ROOT / "transcripts"
CODEBOOK = REPOSITORY_ROOT / "codebooks" / "community_governance.yml"
CASES_FILE = "communities.csv"
#: Manual codings of the samples by two illustrative coders (for ``qualcode agree``).
DEMO_CODINGS_FILE = "demo_codings.csv"
DEMO_DB = "qualcode.db"
#: Files the demo writes next to the project.
MATRIX_CSV = "themes_by_community.csv"
MATRIX_XLSX = "themes_by_community.xlsx"
REPORT_HTML = "report.html"
#: Representative quotes per cell in the XLSX and the report.
QUOTES_PER_CELL = 3


@dataclass
class DemoReport:
    """What the demo built, for the CLI to print."""

    db_path: Path
    cases: CasesImport
    files: list[FileOutcome] = field(default_factory=list)
    codebook: LoadReport | None = None
    autocode: AutocodeReport | None = None
    manual_codings: str | None = None
    matrix: Matrix | None = None
    outputs: list[Path] = field(default_factory=list)


def run_demo(
    directory: Path,
    *,
    samples: Path = SAMPLES,
    codebook: Path = CODEBOOK,
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
        report = DemoReport(
            db_path=db_path,
            cases=import_cases(project, cases_file),
            files=import_paths(project, [samples], ImportOptions(), on_file=on_file),
        )
        report.codebook = load_into_project(project, codebook)
        report.autocode = run_autocode(project, AutocodeOptions(only_new=True, run_by="demo"))
        report.manual_codings = _import_demo_codings(project, samples / DEMO_CODINGS_FILE)
        report.matrix, report.outputs = _write_outputs(project, directory)
    return report


def _import_demo_codings(project: Project, path: Path) -> str | None:
    """Bring in the illustrative coders' codings, if the samples ship them; say what happened."""
    if not path.is_file():
        return None
    from qualcode.flows.codings_import import import_codings

    return import_codings(project, path).summary()


def _write_outputs(project: Project, directory: Path) -> tuple[Matrix, list[Path]]:
    """The communities x themes matrix as CSV (with a BOM, for Excel), XLSX and HTML report."""
    from qualcode.exporting.matrix import export_matrix
    from qualcode.exporting.report import write_report
    from qualcode.exporting.tables import ExportFormat
    from qualcode.store.codebooks import current_codebook

    options = MatrixOptions(quotes=QUOTES_PER_CELL)
    matrix = build_matrix(project, options)
    csv_path, xlsx_path, report_path = (
        directory / MATRIX_CSV, directory / MATRIX_XLSX, directory / REPORT_HTML,
    )  # fmt: skip
    export_matrix(matrix, ExportFormat.csv, csv_path, excel=True)
    export_matrix(matrix, ExportFormat.xlsx, xlsx_path, codebook=current_codebook(project))
    write_report(project, options, report_path)
    return matrix, [csv_path, xlsx_path, report_path]
