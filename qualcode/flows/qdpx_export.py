"""Whole projects out as REFI-QDA ``.qdpx`` (NVivo, ATLAS.ti, MAXQDA, QualCoder).

Export reads the project through :mod:`qualcode.store.exchange` and writes it with
:mod:`qualcode.exporting.qdpx`. It lives apart from the import (:mod:`qualcode.flows.qdpx`,
which re-exports it) so that ``qualcode export qdpx`` does not load the whole reading,
segmenting and storing flow that importing a project needs.
"""

from __future__ import annotations

from pathlib import Path

from qualcode._version import __version__
from qualcode.errors import NotFoundError, UsageError
from qualcode.exporting.qdpx import ExportSummary, ProjectExport, write_qdpx
from qualcode.store import exchange
from qualcode.store.codebooks import current_codebook
from qualcode.store.project import Project

#: What qualcode writes as the origin of a project (and of its auto-coding runs).
ORIGIN = f"qualcode {__version__}"


def export_qdpx(project: Project, out: Path) -> ExportSummary:
    """Write the whole project to ``out`` as a REFI-QDA 1.0 project (see
    :mod:`qualcode.exporting.qdpx` for what goes where)."""
    if out.is_dir():
        raise UsageError(f"{out} is a folder: give a file name such as {out / 'project.qdpx'}")
    if not out.parent.exists():
        raise UsageError(f"{out.parent} does not exist")
    conn = project.conn
    try:
        codebook = current_codebook(project)
    except NotFoundError:
        codebook = None
    export = ProjectExport(
        name=project.path.stem,
        origin=ORIGIN,
        codebook=codebook,
        coders=exchange.coders(conn),
        cases=exchange.exported_cases(conn),
        documents=exchange.exported_documents(conn),
        codings=lambda: exchange.exported_codings(conn),
        memos=exchange.exported_memos(conn),
        coded_code_ids=exchange.coded_code_ids(conn),
    )
    return write_qdpx(export, out)
