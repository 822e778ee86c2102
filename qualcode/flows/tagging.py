"""``qualcode tag``: import new interviews and auto-code what is new, idempotently.

Tagging is ``import`` followed by an ``--only-new`` auto-coding run, so running it twice on
the same files adds nothing the second time (the files are skipped by content hash and no
segment is new to the codebook).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qualcode.autocode.runs import AutocodeOptions, run_autocode
from qualcode.flows.importing import ImportOptions, import_paths
from qualcode.store.codings import run_codings_per_document
from qualcode.store.project import Project


@dataclass
class TagResult:
    rows: list[dict[str, Any]] = field(default_factory=list)
    run_id: int | None = None
    codings: int = 0
    new_segments: int = 0
    failed: int = 0


def tag_paths(
    project: Project, paths: Iterable[Path], options: ImportOptions, *, run_by: str
) -> TagResult:
    """Import ``paths`` and auto-code segments no run of the current codebook has seen."""
    from qualcode.store.codebooks import current_codebook

    current_codebook(project)  # fail before importing when there is no codebook
    outcomes = import_paths(project, list(paths), options)
    result = TagResult(failed=sum(outcome.status == "failed" for outcome in outcomes))
    added = [outcome for outcome in outcomes if outcome.status in ("added", "replaced")]
    per_document: dict[str, tuple[set[str], int]] = {}
    if added:
        report = run_autocode(project, AutocodeOptions(only_new=True, run_by=run_by))
        result.run_id = report.run_id
        result.codings = report.codings
        result.new_segments = report.segments_processed
        per_document = run_codings_per_document(project.conn, report.run_id or 0)
    for outcome in outcomes:
        codes, codings = per_document.get(outcome.document or "", (set(), 0))
        result.rows.append({
            "path": outcome.path, "status": outcome.status, "document": outcome.document,
            "case_name": outcome.case_name, "segments": outcome.segments,
            "codes": len(codes) if outcome.status != "skipped" else 0,
            "codings": codings if outcome.status != "skipped" else 0,
            "message": outcome.message,
        })  # fmt: skip
    return result
