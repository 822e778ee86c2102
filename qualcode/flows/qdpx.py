"""Whole projects in and out as REFI-QDA ``.qdpx`` (NVivo, ATLAS.ti, MAXQDA, QualCoder).

Export (:func:`export_qdpx`, in :mod:`qualcode.flows.qdpx_export` so that exporting does not
load the importing flow) reads the project through :mod:`qualcode.store.exchange` and writes
it with :mod:`qualcode.exporting.qdpx`. Import streams the file through
:mod:`qualcode.importing.qdpx` and writes each source (document, segments, codings) as soon as
it is read, all in one journaled transaction that is rolled back if anything in the file is
wrong: a file with a problem changes nothing, and memory does not grow with the codings.
"""

from __future__ import annotations

import bisect
import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from qualcode.codebook.qdc import codes_to_codebook, slug_of, split_trailer
from qualcode.errors import InputError, NotFoundError
from qualcode.flows.importing import ImportOptions, Language, prepare_text
from qualcode.flows.qdpx_export import ORIGIN as ORIGIN
from qualcode.flows.qdpx_export import export_qdpx as export_qdpx
from qualcode.importing.qdpx import QdaNote, QdaProject, QdaSource, read_qdpx
from qualcode.models import UNITS, ReadResult, Segment, Unit
from qualcode.store import exchange
from qualcode.store.cases import AttributeValue, ensure_case, write_attributes
from qualcode.store.codebooks import current_codebook, store_codebook
from qualcode.store.documents import PreparedDocument, store_document_in_transaction
from qualcode.store.journal import journal_inserts, journaled, set_summary
from qualcode.store.project import Project, now_utc

# Import ---------------------------------------------------------------------------------------

#: At most this many problems are listed in the error; the rest are counted.
MAX_LISTED_PROBLEMS = 20
_AUTO_DESCRIPTION = re.compile(
    r"^qualcode auto-coding: run (\d+), (keyword|pattern|lemma|all_of|near|rule) ?(.*)$"
)


@dataclass
class QdpxImportOptions:
    """Options of ``qualcode import qdpx``: ``strict`` refuses a file with missing sources;
    ``unit`` and ``language`` segment sources that do not say how (qualcode's own exports do)."""

    strict: bool = False
    unit: Unit = "turn"
    language: Language = "auto"


@dataclass
class QdpxImport:
    """What importing a ``.qdpx`` did."""

    path: str
    origin: str | None
    documents_added: list[str] = field(default_factory=list)
    documents_present: list[str] = field(default_factory=list)
    missing_sources: list[str] = field(default_factory=list)
    codes: int = 0
    codebook_version: int | None = None
    codings_added: int = 0
    codings_present: int = 0
    auto_codings: int = 0
    memos_added: int = 0
    cases: int = 0
    coders: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.path}: {len(self.documents_added)} documents added, "
            f"{len(self.documents_present)} already present, {self.codes} codes, "
            f"{self.codings_added} codings added ({self.codings_present} already present, "
            f"{self.auto_codings} automatic), {self.memos_added} memos, {self.cases} cases, "
            f"coders: {', '.join(self.coders) or 'none'}"
        )


class QdpxProblems(InputError):
    """A project file with problems at several places; ``problems`` holds each one."""

    def __init__(self, path: str | Path, problems: list[str]) -> None:
        self.problems = problems
        listed = problems[:MAX_LISTED_PROBLEMS]
        if len(problems) > MAX_LISTED_PROBLEMS:
            listed.append(f"... and {len(problems) - MAX_LISTED_PROBLEMS} more problems")
        super().__init__(path, f"{len(problems)} problems, nothing imported:\n" + "\n".join(listed))


@dataclass(slots=True)
class _PlannedCoding:
    start_char: int
    end_char: int
    code_id: str
    coder: str
    created_at: str
    auto: tuple[int, str | None, str | None] | None  # (run, rule kind, rule) of an auto-coding
    #: Notes of the coding and of its selection: they come after the sources in the file, so
    #: a coding with notes is written once every note is read.
    note_guids: tuple[str, ...] = ()


@dataclass(slots=True)
class _PlannedMemo:
    """A note on a selection without a coding: a memo on the segment that holds the span."""

    start_char: int
    end_char: int
    coder: str
    note_guids: tuple[str, ...]
    created_at: str


@dataclass
class _PlannedSource:
    source: QdaSource
    name: str
    case_name: str
    prepared: PreparedDocument
    codings: list[_PlannedCoding] = field(default_factory=list)
    segment_memos: list[_PlannedMemo] = field(default_factory=list)


def import_qdpx(
    project: Project, path: Path, options: QdpxImportOptions | None = None
) -> QdpxImport:
    """Import a REFI-QDA project into ``project`` (new or not), all in one transaction.

    The file is read as a stream (:func:`qualcode.importing.qdpx.read_qdpx` with a source
    handler): the codebook, cases and users first, then each source as soon as it is read:
    its document, segments and codings are written and its selections dropped, so memory does
    not grow with the number of codings. Everything happens in one journaled transaction;
    problems (selections that do not fit their source, codings of unknown codes) are listed
    together once the whole file is read, and then the transaction is rolled back: a file
    with a problem changes nothing. See the README for what becomes what; in short: text
    sources become documents, codes join the codebook as a new version, each selection's
    codings become manual codings by the selection's ``creatingUser`` (the coding's own
    ``creatingUser`` only when the selection has none: NVivo writes on every Coding the user
    who last saved the project), variables become case attributes, notes become memos.
    """
    options = options or QdpxImportOptions()
    report = QdpxImport(str(path), None)
    summary = f"import {path}"
    # Journaled compactly: the imported runs' automatic codings as one change per run, the
    # manual codings by ``write_manual`` in one statement per batch, and the row triggers on
    # codings dropped for the transaction (see qualcode.store.journal.journaled).
    journal = journaled(
        project, "qdpx-import", summary, compact_runs=True, bulk_tables=("codings",)
    )
    with exchange.bulk_import(project), journal as conn:
        writer = _StreamingImport(project, conn, path, options, report)
        qda = read_qdpx(path, on_source=writer.add_source)
        writer.finish(qda)
        exchange.check_foreign_keys(conn)
        sources = len(report.documents_added) + len(report.documents_present)
        set_summary(conn, f"{summary}: {sources} sources; {report.codings_added} codings added")
    return report


class _StreamingImport:
    """Writes a REFI-QDA project source by source as the reader hands them over.

    The caller's transaction holds every write; :meth:`finish` raises (so the caller rolls
    back) if the file had a problem anywhere, after the whole file has been read so that every
    problem is listed. Once a problem is found nothing more is written.
    """

    def __init__(
        self,
        project: Project,
        conn: sqlite3.Connection,
        path: Path,
        options: QdpxImportOptions,
        report: QdpxImport,
    ) -> None:
        self.project = project
        self.conn = conn
        self.path = path
        self.options = options
        self.report = report
        self.started = False
        self.code_ids: dict[str, str] = {}
        self.users: dict[str, str] = {}
        self.case_of_source: dict[str, str] = {}
        self.names: set[str] = set()
        self.problems: list[str] = []
        #: new run id and codings added, by the run number an auto-coding's description names
        self.runs: dict[int, list[int]] = {}
        self.coders: set[str] = set()
        #: (run, rule kind, rule) of each distinct selection description (None: not automatic)
        self.provenance: dict[str, tuple[int, str | None, str | None] | None] = {}
        #: codings and memos that wait for the notes, with the segment that holds each
        self.noted_codings: list[tuple[int, _PlannedCoding]] = []
        self.noted_memos: list[tuple[int, _PlannedMemo]] = []
        #: (document name, note GUIDs) of each stored source with notes
        self.source_notes: list[tuple[str, list[str]]] = []

    def start(self, qda: QdaProject) -> None:
        """Store the codebook and the cases: they precede the sources in the file."""
        self.started = True
        self.report.origin = qda.origin
        try:
            existing = current_codebook(self.project)
        except NotFoundError:
            existing = None
        tree = codes_to_codebook(qda.codes, name=slug_of(qda.name), existing=existing, merge=True)
        self.code_ids = tree.code_ids
        if tree.codebook.codes:
            loaded = store_codebook(self.conn, tree.codebook, str(self.path))
            self.report.codebook_version = loaded.version_id
        self.report.codes = len(set(tree.code_ids.values()))
        self.users = {guid: user.name for guid, user in qda.users.items()}
        for case in qda.cases:
            for guid in case.source_guids:
                self.case_of_source.setdefault(guid, case.name)
        _write_cases(self.conn, qda, self.report)

    def add_source(self, qda: QdaProject, source: QdaSource) -> None:
        if not self.started:
            self.start(qda)
        if source.text is None:
            self.report.missing_sources.append(f"{source.name or source.guid} ({source.missing})")
            return
        self.problems.extend(source.problems)
        plan = self.plan(qda, source)
        refused = self.problems or (self.options.strict and self.report.missing_sources)
        if plan is not None and not refused:
            self.write(plan)

    def plan(self, qda: QdaProject, source: QdaSource) -> _PlannedSource | None:
        """The document of a source and its codings, segments fitted so every span fits."""
        _human, data = split_trailer(source.description)
        data = data or {}
        name = source.name or source.guid
        number = 2
        while name in self.names:
            name = f"{source.name} ({number})"
            number += 1
        self.names.add(name)
        unit: Unit = next((u for u in UNITS if u == data.get("unit")), self.options.unit)
        language: Language = next(
            (value for value in ("zh", "en") if value == data.get("language")),
            self.options.language,
        )
        import_options = ImportOptions(unit=unit, language=language)
        case_name = self.case_of_source.get(source.guid) or data.get("case") or Path(name).stem
        result = ReadResult(text=source.text or "", encoding="utf-8", source_format="qdpx")
        try:
            prepared = prepare_text(name, f"{qda.path}:{name}", result, import_options)
        except InputError as error:
            self.problems.append(str(error))
            return None
        plan = _PlannedSource(source, name, str(case_name), prepared)
        users = self.users
        code_ids = self.code_ids
        provenance = self.provenance
        planned = plan.codings
        now = now_utc()
        for selection in source.selections:
            if selection.start_char < 0:
                continue  # reported by the reader
            created_at = selection.created_at or now
            if not selection.codings:
                if selection.note_guids:
                    plan.segment_memos.append(
                        _PlannedMemo(
                            selection.start_char, selection.end_char,
                            _user_name(users, selection.creating_user), selection.note_guids,
                            created_at,
                        )
                    )  # fmt: skip
                continue
            description = selection.description
            auto = None
            if description:
                if description not in provenance:
                    provenance[description] = _auto_provenance(_AUTO_DESCRIPTION.match(description))
                auto = provenance[description]
            for coding in selection.codings:
                code_id = code_ids.get(coding.code_guid)
                if code_id is None:
                    where = f"line {selection.line}: " if selection.line else ""
                    self.problems.append(
                        f"{where}a coding in source '{name}' refers to code {coding.code_guid}, "
                        "which the codebook does not have"
                    )
                    continue
                user = selection.creating_user or coding.creating_user
                coder = "unknown" if user is None else users.get(user, user)
                notes = selection.note_guids
                if coding.note_guids:
                    notes = coding.note_guids + notes
                planned.append(
                    _PlannedCoding(
                        selection.start_char, selection.end_char, code_id, coder, created_at,
                        auto, notes,
                    )
                )  # fmt: skip
        spans = {(c.start_char, c.end_char): None for c in plan.codings}
        spans.update({(m.start_char, m.end_char): None for m in plan.segment_memos})
        plan.prepared.segments = fit_segments(plan.prepared.segments, list(spans))
        source.selections = []  # planned: free them
        return plan

    def write(self, plan: _PlannedSource) -> None:
        """Store one source's document and codings (those with notes wait for the notes)."""
        conn = self.conn
        report = self.report
        stored = store_document_in_transaction(
            conn, plan.prepared, case_name=plan.case_name,
            case_attributes=_attributes_of_source(plan),
        )  # fmt: skip
        if stored.status == "skipped":
            report.documents_present.append(plan.name)
        else:
            report.documents_added.append(plan.name)
        if plan.source.note_guids:
            self.source_notes.append((plan.name, plan.source.note_guids))
        segments = exchange.document_segments(conn, stored.document_id)
        starts = [segment.start_char for segment in segments]
        ends = [segment.end_char for segment in segments]
        ids = [segment.segment_id for segment in segments]

        def segment_of(start: int, end: int) -> int:
            index = bisect.bisect_right(starts, start) - 1
            if index < 0 or end > ends[index]:
                raise InputError(
                    self.path,
                    f"a selection {start}-{end} in source '{plan.name}' crosses the segments of "
                    "the document already in the project; nothing imported",
                )
            return ids[index]

        manual: list[tuple[object, ...]] = []
        automatic: dict[int, list[tuple[object, ...]]] = {}
        segment_ids: dict[tuple[int, int], int] = {}  # codings share spans: look each up once
        for coding in plan.codings:
            span = (coding.start_char, coding.end_char)
            segment_id = segment_ids.get(span, 0)
            if not segment_id:
                segment_id = segment_ids[span] = segment_of(*span)
            if coding.note_guids:
                self.noted_codings.append((segment_id, coding))
            elif coding.auto is None:
                manual.append(_manual_row(segment_id, coding, None))
                self.coders.add(coding.coder)
            else:
                run, rule_kind, rule = coding.auto
                automatic.setdefault(run, []).append(
                    (segment_id, coding.code_id, rule_kind, rule, coding.start_char,
                     coding.end_char, coding.created_at)
                )  # fmt: skip
        self.write_manual(manual)
        for run, rows in automatic.items():
            self.write_automatic(run, rows)
        for memo in plan.segment_memos:
            self.noted_memos.append((segment_of(memo.start_char, memo.end_char), memo))

    def write_manual(self, rows: list[tuple[object, ...]]) -> None:
        """Insert manual codings and journal the new ones: they are the rows above the largest
        coding id before the insert (automatic codings are journaled per run instead)."""
        if not rows:
            return
        before = exchange.largest_coding_id(self.conn)
        added = exchange.insert_manual_codings(self.conn, rows)
        if added:
            journal_inserts(self.conn, "codings", "coding_id", before)
        self.report.codings_added += added
        self.report.codings_present += len(rows) - added

    def write_automatic(self, run: int, rows: list[tuple[object, ...]]) -> None:
        """Automatic codings join one imported run per run of the original project."""
        entry = self.runs.get(run)
        if entry is None:
            version_id, codebook_hash = exchange.latest_codebook_version(self.conn)
            parameters = {"imported_from": str(self.path), "original_run": run}
            run_id = exchange.start_imported_run(
                self.conn, version_id, codebook_hash, parameters, ORIGIN
            )
            entry = self.runs[run] = [run_id, 0]
        added = exchange.add_imported_codings(self.conn, entry[0], rows)
        entry[1] += added
        self.report.auto_codings += added

    def finish(self, qda: QdaProject) -> None:
        """After the whole file: refuse it if it had problems, else write what waited for
        the notes and close the imported runs."""
        if not self.started:
            self.start(qda)
        report = self.report
        report.warnings = list(qda.warnings)
        if report.missing_sources and self.options.strict:
            raise InputError(
                self.path,
                "--strict: the archive lacks source(s) "
                + "; ".join(report.missing_sources)
                + "; nothing imported",
            )
        if self.problems:
            problems = self.problems
            raise (
                QdpxProblems(self.path, problems)
                if len(problems) > 1
                else InputError(self.path, problems[0])
            )
        notes = qda.notes
        manual: list[tuple[object, ...]] = []
        for segment_id, coding in self.noted_codings:
            memo = _notes_text(notes, coding.note_guids) or None
            if coding.auto is None:
                manual.append(_manual_row(segment_id, coding, memo))
                self.coders.add(coding.coder)
            else:
                run, rule_kind, rule = coding.auto
                self.write_automatic(
                    run,
                    [(segment_id, coding.code_id, rule_kind, rule, coding.start_char,
                      coding.end_char, coding.created_at)],
                )  # fmt: skip
        self.write_manual(manual)
        for run_id, added in self.runs.values():
            exchange.finish_imported_run(self.conn, run_id, added)
        memos = [
            ("segment", str(segment_id), memo.coder, text, memo.created_at)
            for segment_id, memo in self.noted_memos
            if (text := _notes_text(notes, memo.note_guids))
        ]
        report.memos_added += exchange.insert_memos(self.conn, memos)
        report.memos_added += _write_note_memos(
            self.conn, qda, self.code_ids, self.source_notes, self.users
        )
        report.coders = sorted(self.coders)


def _manual_row(segment_id: int, coding: _PlannedCoding, memo: str | None) -> tuple[object, ...]:
    """A manual coding's row as the writer inserts it (see ``write_manual``)."""
    return (
        segment_id, coding.code_id, coding.coder, coding.start_char, coding.end_char, memo,
        coding.created_at,
    )  # fmt: skip


def _auto_provenance(match: re.Match[str] | None) -> tuple[int, str | None, str | None] | None:
    """(run, rule kind, rule) from an automatic coding's description, if it is one."""
    if match is None:
        return None
    kind = match.group(2)
    return int(match.group(1)), (None if kind == "rule" else kind), match.group(3) or None


def _user_name(users: dict[str, str], guid: str | None) -> str:
    if guid is None:
        return "unknown"
    return users.get(guid, guid)


def _notes_text(notes: dict[str, QdaNote], guids: Sequence[str]) -> str:
    return "\n\n".join(notes[guid].text for guid in guids if guid in notes)


def fit_segments(segments: Sequence[Segment], spans: list[tuple[int, int]]) -> list[Segment]:
    """The segments, changed so that every span lies inside one segment.

    Another tool's selection may cross the segments qualcode would cut (a quote over two
    sentences) or fall between them (on a speaker label). Segments a span crosses are merged
    into one (speaker and role kept when they agree), a segment is widened over the part of a
    span that sticks out into the gap beside it, and a span that touches no segment becomes a
    segment of its own: each selection stays one coding with its exact quote.
    """
    ordered = sorted(segments, key=lambda segment: segment.start_char)
    starts = [segment.start_char for segment in ordered]
    joined = [False] * len(ordered)  # joined[i]: segment i merges with segment i + 1
    low = list(starts)
    high = [segment.end_char for segment in ordered]
    pieces: list[Segment] = []
    for start, end in spans:
        index = max(bisect.bisect_right(starts, start) - 1, 0)
        touched: list[int] = []
        while index < len(ordered) and ordered[index].start_char < end:
            if ordered[index].end_char > start:
                touched.append(index)
            index += 1
        if not touched:
            pieces.append(Segment(ordinal=0, start_char=start, end_char=end))
            continue
        for index in touched[:-1]:
            joined[index] = True
        low[touched[0]] = min(low[touched[0]], start)
        high[touched[-1]] = max(high[touched[-1]], end)
    current: Segment | None = None
    for index, segment in enumerate(ordered):
        piece = Segment(
            0, low[index], high[index], segment.speaker, segment.role, segment.start_time,
            segment.end_time,
        )  # fmt: skip
        if current is not None and joined[index - 1]:
            current = _combined(current, piece)
        else:
            if current is not None:
                pieces.append(current)
            current = piece
    if current is not None:
        pieces.append(current)
    pieces.sort(key=lambda segment: (segment.start_char, segment.end_char))
    fitted: list[Segment] = []
    for piece in pieces:
        if fitted and piece.start_char < fitted[-1].end_char:
            fitted[-1] = _combined(fitted[-1], piece)
        else:
            fitted.append(piece)
    for ordinal, segment in enumerate(fitted):
        segment.ordinal = ordinal
    return fitted


def _combined(first: Segment, second: Segment) -> Segment:
    """One segment over two that touch or overlap; speaker and role kept where they agree."""
    return Segment(
        ordinal=0,
        start_char=min(first.start_char, second.start_char),
        end_char=max(first.end_char, second.end_char),
        speaker=first.speaker if first.speaker == second.speaker else None,
        role=first.role if first.role == second.role else None,
        start_time=first.start_time,
        end_time=second.end_time if second.end_time is not None else first.end_time,
    )


def _write_cases(conn: sqlite3.Connection, qda: QdaProject, report: QdpxImport) -> None:
    """Every case with its variable values as attributes (sources' own values go to the case
    of the source, in :func:`_write_source`)."""
    for case in qda.cases:
        if not case.name:
            continue
        attributes = _attributes(qda, case.values)
        case_id = ensure_case(conn, case.name)
        if attributes:
            write_attributes(conn, case_id, attributes)
        report.cases += 1


def _attributes(
    qda: QdaProject, values: dict[str, str | int | float | bool]
) -> dict[str, AttributeValue]:
    named: dict[str, AttributeValue] = {}
    for guid, value in values.items():
        variable = qda.variables.get(guid)
        name = variable.name if variable is not None and variable.name else guid
        named[name] = int(value) if isinstance(value, bool) else value
    return named


def _attributes_of_source(plan: _PlannedSource) -> dict[str, AttributeValue]:
    return {
        name: (int(value) if isinstance(value, bool) else value)
        for name, value in plan.source.variable_values.items()
    }


def _write_note_memos(
    conn: sqlite3.Connection,
    qda: QdaProject,
    code_ids: dict[str, str],
    source_notes: list[tuple[str, list[str]]],
    users: dict[str, str],
) -> int:
    """Notes on codes and on sources become memos on codes and on documents."""
    rows: list[tuple[str, str, str, str, str]] = []

    def memo(kind: str, target: str, guid: str) -> None:
        note = qda.notes.get(guid)
        if note is not None and note.text.strip():
            coder = _user_name(users, note.creating_user)
            rows.append((kind, target, coder, note.text, note.created_at or now_utc()))

    for code, _parent in qda.all_codes():
        for guid in code.note_guids:
            memo("code", code_ids[code.guid], guid)
    for name, guids in source_notes:
        for guid in guids:
            memo("document", name, guid)
    return exchange.insert_memos(conn, rows)
