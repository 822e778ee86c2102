"""Agreement between coders, read from one project or from two (``--other``).

What is compared
    Each coder's current codings (any origin; automatic codings have the coder ``auto``). At the
    segment level a coder "applied" a code to a segment when any of their codings of that code
    lies in it, whatever its span. At the character level (``unit="char"``) every character of
    a compared segment is a unit, and a coder applied a code to it when one of their codings
    of that code covers it.

Which units
    By default the segments that every compared coder coded with anything: a segment nobody
    looked at says nothing about agreement. With ``all_segments=True``, every segment. The
    report says which (``unit_basis``).

Rows
    One row per code that any compared coder applied on the units (in codebook order), then a
    pooled row (``code == "(all codes)"``) whose units are all (segment, code) pairs of those
    codes. With ``variable=PARENT`` a single row instead: the sub-codes of PARENT are the values
    of one nominal variable (a coding of a deeper descendant counts as its sub-code); a unit a
    coder left without any of them is missing for that coder, and giving one unit two of them
    is an error that names the coder and the segments.

Second project
    With ``other=PATH`` each coder is read from this project if it has codings by that coder,
    else from the other file. Documents are matched by content hash and segments by document and
    ``start_char``/``end_char``; only segments present in both projects are units. The other
    file is opened read-only and never migrated or written.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any, Literal

from qualcode.agreement import statistics
from qualcode.analysis.query import (
    CodedSpan,
    SegmentKey,
    code_order,
    coded_units,
    coder_spans,
    current_coders,
    segment_keys,
)
from qualcode.errors import ConflictError, NotFoundError, ProjectError, UsageError
from qualcode.store.names import closest
from qualcode.store.project import Project, open_project_readonly

UnitKind = Literal["segment", "char"]
UNIT_KINDS: tuple[UnitKind, ...] = ("segment", "char")
POOLED = "(all codes)"
BASIS_CODED = "segments coded by every compared coder"
BASIS_ALL = "all segments"

Pattern = tuple[Any, ...]


@dataclass(frozen=True)
class AgreementOptions:
    """What ``qualcode agree`` compares and how."""

    coders: tuple[str, ...]
    all_segments: bool = False
    unit: UnitKind = "segment"
    variable: str | None = None
    bootstrap: int = 0
    seed: int = 0
    other: Path | None = None

    def __post_init__(self) -> None:
        if len(self.coders) < 2:
            raise UsageError("compare at least two coders, e.g. --coders li,wang")
        if len(set(self.coders)) != len(self.coders):
            raise UsageError(f"a coder is named twice in --coders {','.join(self.coders)}")
        if self.unit not in UNIT_KINDS:
            raise UsageError(f"unknown unit {self.unit!r}: use segment or char")
        if self.bootstrap < 0:
            raise UsageError("--bootstrap must be a positive number of samples")
        if self.bootstrap and self.unit == "char":
            raise UsageError("--bootstrap resamples independent units: use it with --unit segment")


@dataclass
class AgreementReport:
    """Agreement rows and what they were computed on."""

    coders: tuple[str, ...]
    unit: UnitKind
    unit_basis: str
    segments: int
    sources: dict[str, str]
    documents_matched: int | None = None
    rows: list[dict[str, Any]] = field(default_factory=list)
    #: Disagreements of these coders not yet settled by ``qualcode adjudicate`` (on the same
    #: segments as the statistics); ``None`` when comparing with another project's file.
    open_disagreements: int | None = None


def open_other_project(path: Path) -> Project:
    """Open another coder's project file read-only, after checking that it is one.

    Read-only on purpose (:func:`qualcode.store.project.open_project_readonly`): comparing must
    never migrate or change a colleague's file, nor turn an unrelated SQLite database into a
    project.
    """
    if not path.is_file():
        raise ProjectError(f"{path}: no such project file (--other)")
    return open_project_readonly(path)


def _describe_coders(project: Project, other: Project | None) -> str:
    here = ", ".join(current_coders(project.conn)) or "none"
    text = f"coders in this project: {here}"
    if other is not None:
        text += f"; in {other.path}: {', '.join(current_coders(other.conn)) or 'none'}"
    return text


def _load_coders(
    project: Project, other: Project, coders: Sequence[str]
) -> tuple[list[dict[SegmentKey, list[CodedSpan]]], dict[str, str]]:
    """Every coder's spans by segment key, each from the project that has them (``--other``)."""
    sources = _sources(project, other, coders)
    decisions = [
        coder_spans(project.conn if source == str(project.path) else other.conn, coder)
        for coder, source in sources.items()
    ]
    return decisions, sources


def _sources(project: Project, other: Project | None, coders: Sequence[str]) -> dict[str, str]:
    """Which project file each coder is read from: this one if it has codings by the coder,
    else ``other``; a coder in neither is a NotFoundError naming the closest names."""
    here = set(current_coders(project.conn))
    there = set(current_coders(other.conn)) if other is not None else set()
    sources = {}
    for coder in coders:
        if coder in here:
            sources[coder] = str(project.path)
        elif other is not None and coder in there:
            sources[coder] = str(other.path)
        else:
            close = closest(coder, here | there)
            hint = "; did you mean " + " or ".join(f"'{name}'" for name in close) + "?"
            raise NotFoundError(
                f"no codings by coder '{coder}'{hint if close else ''} "
                f"({_describe_coders(project, other)})"
            )
    return sources


def _pieces(
    unit: UnitKind, key: SegmentKey, per_coder: Sequence[Sequence[CodedSpan]]
) -> Iterator[tuple[tuple[frozenset[str], ...], int]]:
    """The units inside one segment: each coder's set of codes on it, and how many units."""
    if unit == "segment":
        yield tuple(frozenset(code for code, _, _ in spans) for spans in per_coder), 1
        return
    _, seg_start, seg_end = key
    points = {seg_start, seg_end}
    for spans in per_coder:
        for _, start, end in spans:
            points.update((min(max(start, seg_start), seg_end), min(max(end, seg_start), seg_end)))
    for low, high in pairwise(sorted(points)):
        labels = tuple(
            frozenset(code for code, start, end in spans if start <= low and end >= high)
            for spans in per_coder
        )
        yield labels, high - low


def compare_coders(project: Project, options: AgreementOptions) -> AgreementReport:
    """Agreement between ``options.coders`` per code and pooled, or for one variable."""
    other = open_other_project(options.other) if options.other is not None else None
    try:
        return _compare(project, other, options)
    finally:
        if other is not None:
            other.close()


def _compare(project: Project, other: Project | None, options: AgreementOptions) -> AgreementReport:
    values_of = _variable_values(project, options.variable) if options.variable else None
    if other is None:
        report, units, segment_ids = _units_here(project, options)
    else:
        report, units, segment_ids = _units_with_other(project, other, options)
    counted = _Counted(units)
    pieces = ((key, piece) for key, spans in counted for piece in _pieces(options.unit, key, spans))
    if values_of is not None:
        assert options.variable is not None
        patterns = _variable_patterns(pieces, values_of, options, segment_ids)
        counted.check(options)
        report.segments = counted.count
        report.rows.append(
            _row({"variable": options.variable}, patterns, options, report.unit_basis)
        )
        return report
    order = code_order(project.conn)
    per_code = _code_patterns(pieces, len(options.coders))
    counted.check(options)
    report.segments = counted.count
    pooled: Counter[Pattern] = Counter()
    for code in sorted(per_code, key=lambda code: (order.get(code, len(order)), code)):
        pooled.update(per_code[code])
        report.rows.append(_row({"code": code}, per_code[code], options, report.unit_basis))
    if per_code:
        report.rows.append(_row({"code": POOLED}, pooled, options, report.unit_basis))
    return report


#: The units to compare, in key order, each with every compared coder's spans in it.
Units = Iterable[tuple[SegmentKey, Sequence[Sequence[CodedSpan]]]]


class _Counted:
    """Passes units through and counts them: the report's segment count, known at the end
    of the one pass that computes the statistics."""

    def __init__(self, units: Units) -> None:
        self.units = units
        self.count = 0

    def __iter__(self) -> Iterator[tuple[SegmentKey, Sequence[Sequence[CodedSpan]]]]:
        for unit in self.units:
            self.count += 1
            yield unit

    def check(self, options: AgreementOptions) -> None:
        """No segment coded by every compared coder: say what to do."""
        if not self.count and not options.all_segments:
            raise NotFoundError(
                f"no segment is coded by all of {', '.join(options.coders)}: code some "
                "segments in common, or pass --all-segments"
            )


def _units_here(
    project: Project, options: AgreementOptions
) -> tuple[AgreementReport, Units, dict[SegmentKey, int]]:
    """Every coder from this project: the units come from one sorted pass over the coders'
    codings (:func:`~qualcode.analysis.query.coded_units`), a segment at a time, so that
    memory does not grow with the project. ``segment_ids`` fills as the units go by (the
    segment ids a --variable conflict names)."""
    sources = _sources(project, None, options.coders)
    basis = BASIS_ALL if options.all_segments else BASIS_CODED
    report = AgreementReport(options.coders, options.unit, basis, 0, sources)
    if len(set(options.coders)) >= 2:
        from qualcode.store.adjudications import open_disagreement_count

        report.open_disagreements = open_disagreement_count(
            project.conn, options.coders, all_segments=options.all_segments
        )
    segment_ids: dict[SegmentKey, int] = {}

    def units() -> Iterator[tuple[SegmentKey, Sequence[Sequence[CodedSpan]]]]:
        for key, segment_id, spans in coded_units(
            project.conn, options.coders, all_segments=options.all_segments
        ):
            if options.variable:
                segment_ids[key] = segment_id
            yield key, spans

    return report, units(), segment_ids


def _units_with_other(
    project: Project, other: Project, options: AgreementOptions
) -> tuple[AgreementReport, Units, dict[SegmentKey, int]]:
    """Coders from this project or the other one: segments matched by key in both."""
    decisions, sources = _load_coders(project, other, options.coders)
    segment_ids = segment_keys(project.conn)
    universe = set(segment_ids) & set(segment_keys(other.conn))
    matched = len({key[0] for key in universe})
    if not matched:
        raise NotFoundError(
            f"no segment of {other.path} matches one in this project (documents are "
            "matched by content hash, segments by start_char/end_char)"
        )
    if options.all_segments:
        units = sorted(universe)
        basis = BASIS_ALL
    else:
        units = sorted(key for key in universe if all(key in spans for spans in decisions))
        basis = BASIS_CODED
    report = AgreementReport(
        options.coders, options.unit, basis, len(units), sources, documents_matched=matched
    )
    return (
        report,
        ((key, [spans.get(key, []) for spans in decisions]) for key in units),
        segment_ids,
    )


def _variable_values(project: Project, parent: str) -> dict[str, str]:
    """Map each code below ``parent`` to the sub-code of ``parent`` it belongs to."""
    from qualcode.store.codebooks import current_codebook

    codebook = current_codebook(project)
    if parent not in codebook:
        raise NotFoundError(
            f"no code '{parent}' for --variable in the project's codebook "
            "(see 'qualcode codebook show')"
        )
    children = codebook.children(parent)
    if len(children) < 2:
        raise UsageError(
            f"--variable needs a code with at least two sub-codes; '{parent}' has {len(children)}"
        )
    values = {}
    for child in children:
        values[child.code_id] = child.code_id
        for descendant in codebook.descendants(child.code_id):
            values[descendant.code_id] = child.code_id
    return values


def _code_patterns(
    pieces: Iterable[tuple[SegmentKey, tuple[tuple[frozenset[str], ...], int]]], coders: int
) -> dict[str, Counter[Pattern]]:
    """For each code, how many units had each 0/1 pattern across coders."""
    per_code: dict[str, Counter[Pattern]] = defaultdict(Counter)
    total = 0
    for _, (labels, weight) in pieces:
        total += weight
        applied: set[str] = set()
        for coded in labels:
            applied |= coded
        for code in applied:
            per_code[code][tuple(int(code in coded) for coded in labels)] += weight
    for counts in per_code.values():
        counts[(0,) * coders] += total - sum(counts.values())
    return per_code


def _variable_patterns(
    pieces: Iterable[tuple[SegmentKey, tuple[tuple[frozenset[str], ...], int]]],
    values_of: dict[str, str],
    options: AgreementOptions,
    segment_ids: dict[SegmentKey, int],
) -> Counter[Pattern]:
    patterns: Counter[Pattern] = Counter()
    conflicts: dict[str, list[int]] = defaultdict(list)
    for key, (labels, weight) in pieces:
        pattern: list[str | None] = []
        for coder, coded in zip(options.coders, labels, strict=True):
            values = sorted({values_of[code] for code in coded if code in values_of})
            if len(values) > 1 and segment_ids[key] not in conflicts[coder]:
                conflicts[coder].append(segment_ids[key])
            pattern.append(values[0] if values else None)
        patterns[tuple(pattern)] += weight
    if any(conflicts.values()):
        coder, segments = next((coder, ids) for coder, ids in conflicts.items() if ids)
        shown = ", ".join(str(segment_id) for segment_id in sorted(segments)[:10])
        more = f" and {len(segments) - 10} more" if len(segments) > 10 else ""
        raise ConflictError(
            f"--variable {options.variable}: its sub-codes must exclude each other, but "
            f"{coder} gave more than one of them to segment(s) {shown}{more}; "
            "keep one per segment (see 'qualcode segments --code "
            f"{options.variable}')"
        )
    return patterns


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _row(
    label: dict[str, Any], patterns: Counter[Pattern], options: AgreementOptions, basis: str
) -> dict[str, Any]:
    units = list(patterns)
    weights = [patterns[unit] for unit in units]
    pairable = sum(
        weight
        for unit, weight in zip(units, weights, strict=True)
        if sum(value is not None for value in unit) >= 2
    )
    row: dict[str, Any] = {
        **label,
        "coders": list(options.coders),
        "unit": options.unit,
        "units": pairable,
        "unit_basis": basis,
        "percent_agreement": _rounded(statistics.percent_agreement(units, weights)),
    }
    if len(options.coders) == 2:
        row["cohen_kappa"] = _rounded(statistics.cohen_kappa(units, weights))
    else:
        row["fleiss_kappa"] = _rounded(statistics.fleiss_kappa(units, weights))
    row["krippendorff_alpha"] = _rounded(statistics.krippendorff_alpha(units, "nominal", weights))
    if options.bootstrap:
        interval = statistics.bootstrap_alpha(
            units, samples=options.bootstrap, seed=options.seed, weights=weights
        )
        row["krippendorff_alpha_low"] = _rounded(interval.low)
        row["krippendorff_alpha_high"] = _rounded(interval.high)
        row["bootstrap_samples"] = options.bootstrap
        row["seed"] = options.seed
    return row
