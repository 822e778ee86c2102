"""Importing files into a project: read, find turns, segment, store; one report line per file.

Every file is handled on its own: a bad file is reported (one line naming it) and the others
still import; each document is stored in its own transaction, so an interruption keeps every
document already written and never leaves a partial one.

Reading, finding turns and segmenting (the CPU-heavy part) run in worker processes when there
are many files, while this process stores the documents in order: SQLite has one writer, and
preparing a document costs more than storing it. Workers ignore Ctrl-C; the importing process
handles it, so an interruption prints one line, not a traceback per worker.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from qualcode.errors import ConflictError, InputError, UsageError
from qualcode.models import UNITS, ReadResult, Unit
from qualcode.parallel import ordered_map, worker_count
from qualcode.store.cases import AttributeValue, case_for_file
from qualcode.store.documents import PreparedDocument, store_document
from qualcode.store.project import Project
from qualcode.store.replacing import needs_alignment, replace_coded_document
from qualcode.store.speakers import documents_with_unknown_roles, set_roles_of_labels
from qualcode.text.csv_tables import (
    looks_like_cases_table,
    looks_like_codings_table,
    read_csv_table,
)

Language = Literal["auto", "zh", "en"]
LANGUAGES: tuple[Language, ...] = ("auto", "zh", "en")
FileStatus = Literal["added", "replaced", "skipped", "failed"]

#: From this many files on, documents are prepared in worker processes (starting the workers
#: costs more than it saves for a few files).
PARALLEL_FILES = 8

#: File names a folder scan passes over: project documentation, not interviews.
_NOT_TRANSCRIPTS = ("readme", "license", "licence", "changelog")


@dataclass
class ImportOptions:
    """Options of ``qualcode import`` (and ``qualcode tag``)."""

    case_name: str | None = None
    attributes: Mapping[str, AttributeValue] = field(default_factory=dict)
    unit: Unit = "turn"
    language: Language = "auto"
    replace: bool = False
    #: Speaker labels whose turns are the interviewer's / a respondent's, in every document
    #: imported that has them (``import --interviewer/--respondent``).
    interviewers: tuple[str, ...] = ()
    respondents: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise UsageError(f"unknown unit {self.unit!r}: use one of {', '.join(UNITS)}")
        if self.language not in LANGUAGES:
            raise UsageError(
                f"unknown language {self.language!r}: use one of {', '.join(LANGUAGES)}"
            )


@dataclass
class FileOutcome:
    """What happened to one file."""

    path: str
    status: FileStatus
    document: str | None = None
    case_name: str | None = None
    segments: int = 0
    message: str = ""
    #: Control characters and terminal escape sequences removed from the text.
    controls_removed: int = 0
    #: Some labelled speaker of the document has no role (see ``qualcode speakers``).
    roles_unknown: bool = False


def collect_files(paths: Iterable[Path]) -> tuple[list[tuple[Path, str]], list[FileOutcome]]:
    """Expand folders into the transcript files they hold, in a stable (sorted) order.

    Each file comes with its document name: its path relative to the folder it was found in
    (``A/int01.txt`` and ``B/int01.txt`` from ``import multi/`` are two documents), or its
    file name when it was named on the command line.

    Files named on the command line are always attempted. Inside folders, hidden files,
    README/LICENSE files, unsupported extensions and case attribute tables (a CSV with case
    and file columns, as ``qualcode cases import`` reads) are passed over; the latter two are
    reported as skipped so nothing disappears silently.
    """
    from qualcode.importing.readers import is_supported

    files: list[tuple[Path, str]] = []
    passed_over: list[FileOutcome] = []
    for path in paths:
        if path.is_dir():
            for candidate in sorted(p for p in path.rglob("*") if p.is_file()):
                relative_parts = candidate.relative_to(path).parts
                if any(part.startswith(".") for part in relative_parts):
                    continue
                if candidate.stem.lower() in _NOT_TRANSCRIPTS:
                    continue
                if not is_supported(candidate):
                    continue
                table = _table_kind(candidate) if candidate.suffix.lower() == ".csv" else None
                if table is not None:
                    passed_over.append(FileOutcome(str(candidate), "skipped", message=table))
                    continue
                files.append((candidate, "/".join(relative_parts)))
        else:
            files.append((path, path.name))
    return files, passed_over


def _table_kind(path: Path) -> str | None:
    """Why a folder scan passes over a CSV that is a cases or codings table, else ``None``."""
    try:
        header, _rows = read_csv_table(path)
    except InputError:
        return None
    if looks_like_cases_table(header):
        return "case attribute table, not a transcript"
    if looks_like_codings_table(header):
        return "codings table, not a transcript (see 'qualcode codings import')"
    return None


def prepare_document(
    path: Path, options: ImportOptions, name: str | None = None
) -> PreparedDocument:
    """Read and segment one file without touching the project; ``name`` defaults to the
    file name."""
    return _prepare(path, options, name)[0]


def _prepare(
    path: Path, options: ImportOptions, name: str | None = None
) -> tuple[PreparedDocument, int]:
    """:func:`prepare_document`, and how many control characters the reader removed."""
    from qualcode.importing.readers import read_file

    if not path.exists():
        raise InputError(path, "no such file")
    result = read_file(path)
    return prepare_text(name or path.name, str(path), result, options), result.controls_removed


def prepare_text(
    name: str, source_path: str, result: ReadResult, options: ImportOptions
) -> PreparedDocument:
    """Find turns in (or take them from) a read text and segment it; touches no project.

    For readers of files and of texts that arrive inside another file (a REFI-QDA project's
    sources). Raises :class:`InputError` naming ``source_path`` if nothing is left to segment.
    """
    from qualcode.text.language import detect_language
    from qualcode.text.roles import assign_roles
    from qualcode.text.segmenting import segment_document
    from qualcode.text.turns import detect_turns, only_time_stamps

    turns = result.turns
    if turns is None:
        turns = assign_roles(detect_turns(result.text), result.text)
    language = options.language if options.language != "auto" else detect_language(result.text)
    segments = segment_document(result.text, turns, options.unit, language=language)
    if not segments:
        if only_time_stamps(result.text):
            raise InputError(source_path, "contains only time stamps, no spoken text")
        raise InputError(source_path, "contains no text to segment (only headers or whitespace)")
    return PreparedDocument(
        name=name,
        source_path=source_path,
        text=result.text,
        encoding=result.encoding,
        source_format=result.source_format,
        language=language,
        unit=options.unit,
        segments=segments,
    )


#: A prepared document with the number of control characters removed from it, or why the
#: file could not be prepared (the message of its InputError).
Prepared = tuple[PreparedDocument, int] | str


def _prepare_or_explain(file: tuple[Path, str], options: ImportOptions) -> Prepared:
    """:func:`_prepare`, with bad input turned into its message (picklable)."""
    path, name = file
    try:
        return _prepare(path, options, name)
    except InputError as error:
        return str(error)


def _prepared_in_order(files: list[tuple[Path, str]], options: ImportOptions) -> Iterator[Prepared]:
    """Each file prepared, in order: in worker processes (:mod:`qualcode.parallel`) when
    there are many files, while this process stores what is ready."""
    workers = worker_count()
    if len(files) < PARALLEL_FILES or workers < 1:
        return (_prepare_or_explain(file, options) for file in files)
    return ordered_map(
        functools.partial(_prepare_or_explain, options=options), files, workers=workers
    )


def import_file(project: Project, path: Path, options: ImportOptions) -> FileOutcome:
    """Import one file; bad input and name conflicts become a ``failed`` outcome."""
    return _store_prepared(project, path, _prepare_or_explain((path, path.name), options), options)


def _store_prepared(
    project: Project, path: Path, prepared: Prepared, options: ImportOptions
) -> FileOutcome:
    if isinstance(prepared, str):
        return FileOutcome(str(path), "failed", message=prepared)
    document, controls_removed = prepared
    if options.replace and needs_alignment(project.conn, document):
        report = replace_coded_document(project, document)
        if options.interviewers or options.respondents:  # as for a new document, below
            set_roles_of_labels(project, document.name, options.interviewers, options.respondents)
        return FileOutcome(
            str(path), "replaced", document=document.name, segments=len(document.segments),
            case_name=_case_of(project, document.name), message=report.summary(),
            controls_removed=controls_removed,
            roles_unknown=bool(documents_with_unknown_roles(project, [document.name])),
        )  # fmt: skip
    try:
        case_name = options.case_name or case_for_file(project.conn, path.name) or path.stem
        stored = store_document(
            project, document, case_name=case_name,
            case_attributes=options.attributes, replace=options.replace,
        )  # fmt: skip
    except (InputError, ConflictError) as error:
        return FileOutcome(str(path), "failed", message=str(error))
    roles_unknown = False
    if stored.status != "skipped":
        if options.interviewers or options.respondents:
            set_roles_of_labels(project, document.name, options.interviewers, options.respondents)
            roles_unknown = bool(documents_with_unknown_roles(project, [document.name]))
        else:
            roles_unknown = _has_unknown_roles(document)
    return FileOutcome(
        str(path),
        stored.status,
        document=document.name,
        case_name=stored.case_name,
        segments=len(document.segments) if stored.status != "skipped" else 0,
        message=stored.message,
        controls_removed=controls_removed,
        roles_unknown=roles_unknown,
    )


def _case_of(project: Project, document: str) -> str:
    from qualcode.store.documents import get_document

    return str(get_document(project, document)["case_name"])


def _has_unknown_roles(document: PreparedDocument) -> bool:
    """Whether a labelled speaker of the prepared document has no role."""
    columns = document.segment_columns
    if None not in columns.roles:
        return False
    return any(
        speaker is not None and role is None
        for speaker, role in zip(columns.speakers, columns.roles, strict=True)
    )


def import_paths(
    project: Project,
    paths: Iterable[Path],
    options: ImportOptions,
    on_file: Callable[[FileOutcome], None] | None = None,
) -> list[FileOutcome]:
    """Import files and folders; return (and pass to ``on_file``) one outcome per file."""
    files, outcomes = collect_files(paths)
    for skipped in outcomes:
        if on_file is not None:
            on_file(skipped)
    for (path, _name), prepared in zip(files, _prepared_in_order(files, options), strict=True):
        outcome = _store_prepared(project, path, prepared, options)
        outcomes.append(outcome)
        if on_file is not None:
            on_file(outcome)
    return outcomes
