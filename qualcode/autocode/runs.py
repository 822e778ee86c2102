"""Automatic coding runs: the codebook's rules over stored segments, with provenance.

A run reads as three steps: select the segments some selected rule may code
(:func:`qualcode.store.runs.segment_batches`, or ranges of ids a worker reads itself), match
every rule of every selected code in one pass per batch (:mod:`qualcode.autocode.matching`,
Aho-Corasick; in worker processes for large runs), and store the hits
(:func:`qualcode.store.runs.store_run`): one transaction with a run row (codebook version and
hash, parameters, tool version, time) and one automatic coding per hit, each with its run id,
the rule that fired and its exact span. Runs never touch manual codings. An ``apply`` run
marks earlier automatic codings of the segments it processed as superseded (kept for
``autocode diff``); a ``suggest`` run stores suggestions for
review. This module has no SQL: that is :mod:`qualcode.store.runs`.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from qualcode.codebook.model import Codebook
from qualcode.errors import NotFoundError, UsageError
from qualcode.models import CodeRules, Match
from qualcode.parallel import ordered_map, worker_count
from qualcode.store.codebooks import current_codebook
from qualcode.store.project import Project
from qualcode.store.runs import (
    MODES,
    Hit,
    Mode,
    RunRecord,
    SegmentReader,
    count_segments,
    last_segment_id,
    run_results,
    seen_through,
    segment_batches,
    segment_ranges,
    store_run,
)

#: From this many segments on, an apply run writes its codings with the table's secondary
#: indexes and journal triggers dropped and recreates them afterwards (same transaction):
#: measured on 670,000 codings, about 4 s instead of 9.5 s.
BULK_SEGMENTS = 50_000
#: From this many segments on, matching runs in worker processes beside the writes; below it,
#: starting a worker and compiling the rules there costs more than it saves.
PARALLEL_SEGMENTS = 100_000


@dataclass
class AutocodeOptions:
    """Parameters of one run; they are stored with it."""

    mode: Mode = "apply"
    only_new: bool = False
    dry_run: bool = False
    codes: tuple[str, ...] = ()
    run_by: str = "unknown"

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise UsageError(f"unknown mode {self.mode!r}: use apply or suggest")


@dataclass
class CodeTally:
    segments: int = 0
    hits: int = 0


@dataclass
class AutocodeReport:
    """What a run did (or, for a dry run, would do)."""

    run_id: int | None
    mode: Mode
    dry_run: bool
    segments_processed: int
    codings: int
    per_code: dict[str, CodeTally] = field(default_factory=dict)

    def rows(self, codebook_order: Sequence[str]) -> list[dict[str, Any]]:
        """One row per code that fired, in codebook order."""
        return [
            {"code": code_id, "segments": tally.segments, "hits": tally.hits}
            for code_id in codebook_order
            if (tally := self.per_code.get(code_id)) is not None
        ]


def select_rules(codebook: Codebook, codes: Sequence[str]) -> list[CodeRules]:
    """Rules of the selected codes and their sub-codes (all codes when none are given)."""
    if not codes:
        return codebook.rules()
    selected: set[str] = set()
    for code_id in codes:
        selected.add(codebook.get(code_id).code_id)
        selected.update(code.code_id for code in codebook.descendants(code_id))
    return [rules for rules in codebook.rules() if rules.code_id in selected]


def _in_scope(scope: str, role: str | None) -> bool:
    if scope == "all":
        return True
    if scope == "interviewer":
        return role == "interviewer"
    return role != "interviewer"


def run_autocode(project: Project, options: AutocodeOptions) -> AutocodeReport:
    """Match the current codebook's rules over the segments and store (or report) the hits."""
    codebook = current_codebook(project)
    rules = select_rules(codebook, options.codes)
    if not rules:
        raise NotFoundError(
            "no code in the selection has keywords, patterns, lemmas or proximity rules"
        )
    scopes = {rule.code_id: rule.scope for rule in rules}
    through = last_segment_id(project)
    after = (
        seen_through(project, codebook.content_hash, options.mode, options.codes)
        if options.only_new
        else 0
    )
    # Every segment in the range counts as processed, also those no selected rule can code
    # (interviewer turns under respondent scope), which are not even read.
    processed = count_segments(project, after, through)
    report = AutocodeReport(None, options.mode, options.dry_run, processed, 0)
    hits_by_batch = (
        _tallied(report, batch_hits)
        for batch_hits in _batch_hits(project, rules, after, through, report)
    )
    if options.dry_run:
        for rows in hits_by_batch:
            report.codings += len(rows)
        return report
    record = RunRecord(
        codebook_hash=codebook.content_hash,
        mode=options.mode,
        codes=options.codes,
        only_new=options.only_new,
        run_by=options.run_by,
        after_segment_id=after,
        through_segment_id=through,
        code_ids=tuple(scopes),
        segments_processed=processed,
        bulk=processed >= BULK_SEGMENTS,
    )
    summary = f"autocode {options.mode}" + (f" {','.join(options.codes)}" if options.codes else "")
    report.run_id, report.codings = store_run(project, record, summary, hits_by_batch)
    return report


@dataclass(frozen=True)
class BatchHits:
    """The in-scope hits of one batch of segments, and per code its hits and coded segments."""

    hits: list[Hit]
    tallies: dict[str, tuple[int, int]]


class _BatchMatcher:
    """The selected rules compiled once per process, applied to batches of segment rows.

    A worker process builds its own from the rules (see :func:`_batch_hits`), so the
    automaton is never sent between processes; only segment rows and hits are.
    """

    def __init__(self, rules: Sequence[CodeRules]) -> None:
        from qualcode.autocode.matching import compile_matcher

        self.matcher = compile_matcher(rules)
        scopes = {rule.code_id: rule.scope for rule in rules}
        self.codes_for_role = {
            role: frozenset(code_id for code_id, scope in scopes.items() if _in_scope(scope, role))
            for role in (None, "interviewer", "respondent")
        }

    def __call__(self, batch: list[Any]) -> BatchHits:
        """Hits with document offsets for rows ``(segment_id, role, start_char, text)``."""
        hits: list[Hit] = []
        all_matches: Iterator[list[Match]] = self.matcher.match_many(row[3] for row in batch)
        for (segment_id, role, start_char, _text), matches in zip(batch, all_matches, strict=True):
            if not matches:
                continue
            allowed = self.codes_for_role[role]
            for code_id, rule_kind, rule, start, end, spans in matches:
                if code_id in allowed:
                    hits.append(
                        (segment_id, code_id, rule_kind, rule, start_char + start,
                         start_char + end, _spans_json(spans, start_char) if spans else None)
                    )  # fmt: skip
        return BatchHits(hits, _tallies(hits))


def _spans_json(spans: tuple[tuple[int, int], ...], offset: int) -> str:
    """A proximity hit's term spans as stored: ``[[start, end], ...]`` in document offsets."""
    return json.dumps([[offset + start, offset + end] for start, end in spans])


def _tallies(hits: list[Hit]) -> dict[str, tuple[int, int]]:
    """Per code: its hits and the distinct segments it codes."""
    hit_counts = Counter(hit[1] for hit in hits)
    segment_counts = Counter(code_id for _segment, code_id in {hit[:2] for hit in hits})
    return {code_id: (count, segment_counts[code_id]) for code_id, count in hit_counts.items()}


def _tallied(report: AutocodeReport, batch_hits: BatchHits) -> list[Hit]:
    """Add a batch's tallies to the report; return its hits."""
    for code_id, (hits, segments) in batch_hits.tallies.items():
        tally = report.per_code.setdefault(code_id, CodeTally())
        tally.hits += hits
        tally.segments += segments
    return batch_hits.hits


#: The matcher and segment reader of a worker process, built by :func:`_set_up_worker`.
_worker_matcher: _BatchMatcher | None = None
_worker_reader: SegmentReader | None = None


def _set_up_worker(rules: Sequence[CodeRules], db_path: str, wait_seconds: float) -> None:
    global _worker_matcher, _worker_reader
    _worker_matcher = _BatchMatcher(rules)
    _worker_reader = SegmentReader(db_path, [rule.scope for rule in rules], wait_seconds)


def _match_in_worker(segment_range: tuple[int, int]) -> BatchHits:
    assert _worker_matcher is not None and _worker_reader is not None, "worker not set up"
    return _worker_matcher(_worker_reader(segment_range))


def _batch_hits(
    project: Project,
    rules: Sequence[CodeRules],
    after: int,
    through: int,
    report: AutocodeReport,
) -> Iterator[BatchHits]:
    """Each batch's hits, in segment order: matched in worker processes for large runs.

    Matching is Python-bound and writing is SQLite-bound, so from ``PARALLEL_SEGMENTS``
    segments on, workers match later batches while this process stages the hits of earlier
    ones. Each worker compiles the rules and reads its ranges of segments itself, through its
    own connection: this process then never reads, pickles or sends a text (about 1.5 s of
    its time at 1,000,000 segments). The results are the same as matching here.
    """
    workers = worker_count()
    if report.segments_processed < PARALLEL_SEGMENTS or workers < 1:
        scopes = [rule.scope for rule in rules]
        return map(_BatchMatcher(rules), segment_batches(project, after, through, scopes))
    return ordered_map(
        _match_in_worker,
        segment_ranges(after, through),
        workers=workers,
        setup=_set_up_worker,
        setup_args=(rules, str(project.path), project.wait_seconds),
    )


def diff_runs(project: Project, run_a: int, run_b: int) -> list[dict[str, Any]]:
    """Segments that gained or lost codes from run A to run B, over segments both processed."""
    first, second = run_results(project, run_a), run_results(project, run_b)
    first_pairs, second_pairs = first.pairs, second.pairs
    lower = max(first.after_segment_id, second.after_segment_id)
    upper = min(first.through_segment_id, second.through_segment_id)

    def both_processed(pair: tuple[int, str]) -> bool:
        return lower < pair[0] <= upper

    changes: dict[tuple[int, str], str] = {}
    for pair in first_pairs - second_pairs:
        if both_processed(pair):
            changes[pair] = "lost"
    for pair in second_pairs - first_pairs:
        if both_processed(pair):
            changes[pair] = "gained"
    grouped: dict[int, dict[str, list[str]]] = defaultdict(lambda: {"gained": [], "lost": []})
    for (segment_id, code_id), change in sorted(changes.items()):
        grouped[segment_id][change].append(code_id)
    return [
        {"segment_id": segment_id, "gained": value["gained"], "lost": value["lost"]}
        for segment_id, value in sorted(grouped.items())
    ]
