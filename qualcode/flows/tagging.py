"""``qualcode tag`` and ``qualcode import --autocode``: import, then auto-code what is new.

Both are an import followed by an ``--only-new`` auto-coding run, so running them twice on
the same files adds nothing the second time (the files are skipped by content hash and no
segment is new to the codebook).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qualcode.autocode.runs import AutocodeOptions, AutocodeReport, run_autocode
from qualcode.errors import NotFoundError
from qualcode.flows.importing import FileOutcome, ImportOptions, import_paths
from qualcode.store.codings import run_codings_per_document
from qualcode.store.project import Project


@dataclass
class TagResult:
    rows: list[dict[str, Any]] = field(default_factory=list)
    run_id: int | None = None
    codings: int = 0
    new_segments: int = 0
    failed: int = 0


@dataclass
class ImportAutocodeResult:
    """What ``import --autocode`` did: each file's outcome, and the run (``None`` when no file
    brought anything new); per document its codes and codings of the run."""

    outcomes: list[FileOutcome]
    report: AutocodeReport | None = None
    per_document: dict[str, tuple[set[str], int]] = field(default_factory=dict)


def import_and_autocode(
    project: Project,
    paths: Iterable[Path],
    options: ImportOptions,
    *,
    run_by: str,
    on_file: Callable[[FileOutcome], None] | None = None,
) -> ImportAutocodeResult:
    """Import ``paths``, then auto-code the segments no run of the current codebook has seen.

    The run is an ``--only-new`` apply run: it codes every added document and, since a
    replacement's segments are new, every document replaced with ``--replace``, where it
    supersedes the automatic codings carried over from the old text with fresh hits. The
    codebook is checked before anything is imported, so a project without one (or without
    any rule) is left as it was.
    """
    from qualcode.autocode.runs import select_rules
    from qualcode.store.codebooks import current_codebook

    if not select_rules(current_codebook(project), ()):
        raise NotFoundError(
            "the codebook has no keywords, patterns, lemmas or proximity rules to auto-code with"
        )
    outcomes = import_paths(project, list(paths), options, on_file=on_file)
    result = ImportAutocodeResult(outcomes)
    if any(outcome.status in ("added", "replaced") for outcome in outcomes):
        result.report = run_autocode(project, AutocodeOptions(only_new=True, run_by=run_by))
        result.per_document = run_codings_per_document(project.conn, result.report.run_id or 0)
    return result


def tag_paths(
    project: Project, paths: Iterable[Path], options: ImportOptions, *, run_by: str
) -> TagResult:
    """Import ``paths`` and auto-code segments no run of the current codebook has seen."""
    imported = import_and_autocode(project, paths, options, run_by=run_by)
    outcomes = imported.outcomes
    result = TagResult(failed=sum(outcome.status == "failed" for outcome in outcomes))
    if imported.report is not None:
        result.run_id = imported.report.run_id
        result.codings = imported.report.codings
        result.new_segments = imported.report.segments_processed
    for outcome in outcomes:
        codes, codings = imported.per_document.get(outcome.document or "", (set(), 0))
        result.rows.append({
            "path": outcome.path, "status": outcome.status, "document": outcome.document,
            "case_name": outcome.case_name, "segments": outcome.segments,
            "codes": len(codes) if outcome.status != "skipped" else 0,
            "codings": codings if outcome.status != "skipped" else 0,
            "message": outcome.message,
        })  # fmt: skip
    return result
