"""Whole projects in and out as REFI-QDA ``.qdpx`` (NVivo, ATLAS.ti, MAXQDA, QualCoder).

Export reads the project through :mod:`qualcode.store.exchange` and writes it with
:mod:`qualcode.exporting.qdpx`. Import reads the whole file with
:mod:`qualcode.importing.qdpx` first, plans every document, code, coding and memo, and only
then writes them all in one journaled transaction: a file with a problem changes nothing.
"""

from __future__ import annotations

from pathlib import Path

from qualcode._version import __version__
from qualcode.errors import NotFoundError, UsageError
from qualcode.exporting.qdpx import ExportSummary, ProjectExport, write_qdpx
from qualcode.store import exchange
from qualcode.store.codebooks import current_codebook
from qualcode.store.project import Project

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
