"""``qualcode import qualcoder PATH``: a QualCoder project into this one (see flows.qualcoder)."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING

import typer

from qualcode.cli.context import open_cli_project
from qualcode.cli.output import message, write_json
from qualcode.errors import UsageError

if TYPE_CHECKING:
    from qualcode.cli.importing import ProjectImportRequest
    from qualcode.flows.qualcoder import QualCoderImport


def import_qualcoder_project(ctx: typer.Context, request: ProjectImportRequest) -> None:
    """Import one QualCoder project folder (or its ``data.qda``) and report what came in."""
    from qualcode.cli.importing import ReportFormat
    from qualcode.flows.importing import ImportOptions
    from qualcode.flows.qualcoder import import_qualcoder

    if len(request.paths) != 1:
        raise UsageError(
            "give one QualCoder project: qualcode import qualcoder PROJECT.qda "
            "(the project folder or its data.qda file)"
        )
    options = ImportOptions(unit=request.unit, language=request.language)
    with open_cli_project(ctx, create=True) as project:
        report = import_qualcoder(project, request.paths[0], options)
    if request.report is ReportFormat.json:
        write_json(asdict(report))
        return
    for line in describe_import(report):
        message(line)


def describe_import(report: QualCoderImport) -> list[str]:
    """The report lines: documents, codes, codings, cases, memos, and what stayed out."""
    lines = [
        f"{report.path}: {len(report.documents_added)} documents added"
        + (f", {len(report.documents_present)} already here" if report.documents_present else ""),
    ]
    if report.codebook_version is not None:
        lines.append(
            f"codebook version {report.codebook_version}, {report.codes_added} codes added"
        )
    split = f" ({report.codings_split} over several segments, stored per segment)"
    lines.append(
        f"{report.codings_added} codings added"
        + (f", {report.codings_present} already here" if report.codings_present else "")
        + (split if report.codings_split else "")
    )
    lines.append(
        f"{len(report.cases)} cases, {report.attributes_set} attribute values, "
        f"{report.memos_added} memos added"
    )
    lines.extend(f"not imported: {line}" for line in report.not_imported)
    return lines
