"""Auto-coding rules measured against a human coder, and samples for double coding.

:func:`compare_rules` treats the coder's codings as the reference and the project's current
automatic codings (origin ``auto``, not superseded) as predictions, at the segment level, on
the segments that coder coded with anything (a segment they never looked at is no evidence
either way). Codes are matched exactly: an automatic ``grid.checkpoints`` does not count for a
human ``grid``. Per code: true and false positives, misses, precision, recall and F1. Per rule
(the keyword, pattern or lemma that fired): how often it fired on a segment the coder gave its
code (true positive) or not (false positive); its recall is the share of the code's reference
segments it finds. Then the rules with the most false positives and the codes with the most
misses, which is where a codebook is worth improving.

:func:`draw_sample` draws segments for a second coder, stratified by case so that every
community is represented in proportion to its size; the same seed gives the same sample. It
draws respondent turns only unless asked for every speaker: an interviewer's question is not
evidence, and double-coding it would inflate agreement with easy "nothing here" units.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from qualcode.analysis.query import (
    SampleSegment,
    auto_codings,
    code_parents,
    codes_with_rules,
    manual_coders,
    manual_codes_by_segment,
    sample_population,
)
from qualcode.errors import NotFoundError, UsageError
from qualcode.store.names import require_name
from qualcode.store.project import Project

AUTO_CODER = "auto"
TOP = 10


@dataclass
class RulesReport:
    """Precision, recall and F1 of the auto-coding rules against one coder."""

    coder: str
    units: int
    codes: list[dict[str, Any]] = field(default_factory=list)
    rules: list[dict[str, Any]] = field(default_factory=list)
    false_positive_rules: list[dict[str, Any]] = field(default_factory=list)
    missed_codes: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "coder": self.coder,
            "units": self.units,
            "unit_basis": f"segments coded by {self.coder}",
            "codes": self.codes,
            "rules": self.rules,
            "false_positive_rules": self.false_positive_rules,
            "missed_codes": self.missed_codes,
        }


def _ratio(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def _scores(true_positives: int, false_positives: int, misses: int) -> dict[str, Any]:
    precision = _ratio(true_positives, true_positives + false_positives)
    recall = _ratio(true_positives, true_positives + misses)
    f1 = _ratio(2 * true_positives, 2 * true_positives + false_positives + misses)
    return {
        "true_positives": true_positives,
        "false_positives": false_positives,
        "false_negatives": misses,
        "precision": precision,
        "recall": recall,
        "f1": f1,
    }


def _require_human(project: Project, coder: str) -> None:
    if coder == AUTO_CODER:
        raise UsageError("--rules compares the automatic codings with a human coder, not 'auto'")
    known = manual_coders(project.conn)
    if coder not in known:
        raise NotFoundError(
            f"no manual codings by coder '{coder}' (coders: {', '.join(known) or 'none'})"
        )


def _with_ancestors(codes: set[str], parents: dict[str, str | None]) -> set[str]:
    """``codes`` and every code above them: coding ``grid.checkpoints`` says ``grid`` applies."""
    closed = set(codes)
    for code in codes:
        parent = parents.get(code)
        while parent is not None and parent not in closed:
            closed.add(parent)
            parent = parents.get(parent)
    return closed


def compare_rules(project: Project, coder: str) -> RulesReport:
    """Auto-coding against ``coder`` on the segments ``coder`` coded.

    Both sides are closed upwards through the code tree before comparing: a coder who coded
    ``grid.checkpoints`` has said that ``grid`` applies, so a rule of the theme ``grid`` that
    fires there is right, and a theme-level row measures whether the rules found the theme
    where the coder did (whichever of its codes either side chose).
    """
    _require_human(project, coder)
    parents = code_parents(project.conn)
    human = {
        segment_id: _with_ancestors(codes, parents)
        for segment_id, codes in manual_codes_by_segment(project.conn, coder).items()
    }
    auto_codes: dict[int, set[str]] = defaultdict(set)
    fired: dict[tuple[str, str, str], set[int]] = defaultdict(set)
    any_auto = False
    for segment_id, code_id, rule_kind, rule in auto_codings(project.conn):
        any_auto = True
        if segment_id not in human:
            continue
        auto_codes[segment_id].add(code_id)
        fired[code_id, rule_kind or "", rule or ""].add(segment_id)
    if not any_auto:
        raise NotFoundError("no automatic codings to compare: run 'qualcode autocode' first")
    order, with_rules = codes_with_rules(project.conn)
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    positives: dict[str, int] = defaultdict(int)
    for segment_id, reference in human.items():
        predicted = _with_ancestors(auto_codes.get(segment_id, set()), parents)
        for code in reference | predicted:
            tally = counts[code]
            if code in reference:
                positives[code] += 1
                tally[0 if code in predicted else 2] += 1
            else:
                tally[1] += 1
    for code in with_rules:
        counts.setdefault(code, [0, 0, 0])
    report = RulesReport(coder, len(human))
    for code in sorted(counts, key=lambda code: (order.get(code, len(order)), code)):
        report.codes.append(
            {"code": code, "has_rules": code in with_rules, **_scores(*counts[code])}
        )
    for (code, rule_kind, rule), segments in sorted(
        fired.items(), key=lambda item: (order.get(item[0][0], len(order)), item[0])
    ):
        hits = sum(code in human[segment_id] for segment_id in segments)
        report.rules.append(
            {"code": code, "rule_kind": rule_kind, "rule": rule,
             **_scores(hits, len(segments) - hits, positives[code] - hits)}
        )  # fmt: skip
    report.false_positive_rules = sorted(
        (row for row in report.rules if row["false_positives"]),
        key=lambda row: (-row["false_positives"], row["code"], row["rule"]),
    )[:TOP]
    # Codes without rules of their own (themes above coded codes) are left out of the misses
    # to fix: their misses are their codes' misses, listed already.
    report.missed_codes = sorted(
        (row for row in report.codes if row["false_negatives"] and row["has_rules"]),
        key=lambda row: (-row["false_negatives"], row["code"]),
    )[:TOP]
    return report


def draw_sample(
    project: Project,
    size: int,
    seed: int,
    *,
    coded_by: str | None = None,
    all_speakers: bool = False,
) -> list[SampleSegment]:
    """``size`` segments drawn at random, stratified by case (proportional allocation).

    The population is the respondent turns (every segment not marked ``interviewer``), or
    with ``all_speakers`` every segment. Each case gets ``size * case_segments /
    all_segments`` segments of it, rounded by largest remainder, and a simple random sample
    within the case. With ``coded_by`` only the segments that coder coded are drawn from (to
    be coded again by a second coder). Rows come back ordered by case and segment id.
    """
    if size < 1:
        raise UsageError("--size must be at least 1")
    if coded_by is not None:
        require_name(project.conn, "coder", coded_by)
    by_case: dict[str, list[SampleSegment]] = defaultdict(list)
    for row in sample_population(project.conn, coded_by, all_speakers=all_speakers):
        by_case[row["case_name"]].append(row)
    population = sum(len(rows) for rows in by_case.values())
    if not population:
        raise NotFoundError(
            f"no segments coded by '{coded_by}' to sample from"
            if coded_by
            else "no segments to sample from: import transcripts first"
        )
    size = min(size, population)
    quotas = {case: size * len(rows) / population for case, rows in by_case.items()}
    allocation = {case: int(quota) for case, quota in quotas.items()}
    leftover = size - sum(allocation.values())
    for case in sorted(quotas, key=lambda case: (-(quotas[case] % 1), case))[:leftover]:
        allocation[case] += 1
    generator = random.Random(seed)
    sample: list[SampleSegment] = []
    for case in sorted(by_case):
        drawn = generator.sample(by_case[case], allocation[case])
        sample.extend(sorted(drawn, key=lambda row: row["segment_id"]))
    return sample
