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

The same comparison is made for each kind of automatic coding on its own, per code and
pooled (``by_kind`` and ``pooled``), so a researcher can see what each kind adds:

- ``rules``: every automatic coding, as above (keyword and proximity rules together, as an
  auto-coding run applies them);
- ``keyword``: the automatic codings of keywords, prefixes, patterns and lemmas only;
- ``proximity``: those of ``all_of`` and ``near`` rules only;
- ``learned``: what ``autocode --mode suggest --learned`` would suggest. Learned suggestions
  are only ever made on segments the coder has *not* coded, so the stored ones say nothing
  about the coder's own segments; instead each of the coder's segments gets the prediction of
  the model trained on the other folds (cross-validated, out-of-fold): the same examples,
  pipeline and folds :mod:`qualcode.autocode.classifier` gives ``autocode --learned``, so its
  suggestions are measured as they would have been made. Only codes with at least
  ``min_examples`` coded segments get a model, and, as in ``autocode --learned``, only those
  whose cross-validated precision (mean over the folds) reaches ``min_precision`` suggest
  anything; a code below either bar predicts nothing. Predictions are closed upwards through
  the code tree like codings.

A kind's per-code rows list the codes it has rules (or a model that suggests) for; its pooled
row sums true positives, false positives and misses over every code of the comparison (a code
the kind cannot find counts its coder's segments as misses), so the pooled rows of the four
kinds are over the same code-segment decisions and compare directly.

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
from qualcode.autocode.classifier import (
    examples_of,
    folds_for,
    out_of_fold_predictions,
    scope_texts,
)
from qualcode.errors import NotFoundError, UsageError
from qualcode.store.codebooks import current_codebook
from qualcode.store.names import require_name
from qualcode.store.project import Project

AUTO_CODER = "auto"
TOP = 10
#: The kinds of automatic coding measured apart, in output order.
KINDS = ("rules", "keyword", "proximity", "learned")
#: Rule kinds of proximity rules; every other rule kind counts as a keyword rule.
PROXIMITY_RULE_KINDS = frozenset({"all_of", "near"})


@dataclass
class RulesReport:
    """Precision, recall and F1 of the auto-coding rules against one coder."""

    coder: str
    units: int
    codes: list[dict[str, Any]] = field(default_factory=list)
    rules: list[dict[str, Any]] = field(default_factory=list)
    false_positive_rules: list[dict[str, Any]] = field(default_factory=list)
    missed_codes: list[dict[str, Any]] = field(default_factory=list)
    by_kind: list[dict[str, Any]] = field(default_factory=list)
    pooled: list[dict[str, Any]] = field(default_factory=list)
    learned: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "coder": self.coder,
            "units": self.units,
            "unit_basis": f"segments coded by {self.coder}",
            "codes": self.codes,
            "rules": self.rules,
            "false_positive_rules": self.false_positive_rules,
            "missed_codes": self.missed_codes,
            "by_kind": self.by_kind,
            "pooled": self.pooled,
            "learned": self.learned,
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


def _tally(
    human: dict[int, set[str]], predicted: dict[int, set[str]], parents: dict[str, str | None]
) -> dict[str, list[int]]:
    """``{code: [true positives, false positives, misses]}`` of ``predicted`` against
    ``human`` on the segments of ``human``, predictions closed upwards like the reference."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for segment_id, reference in human.items():
        found = _with_ancestors(predicted.get(segment_id, set()), parents)
        for code in reference | found:
            counts[code][(0 if code in found else 2) if code in reference else 1] += 1
    return counts


def _covered(codes: set[str], parents: dict[str, str | None]) -> set[str]:
    """The codes a kind can find: those it has rules (or a model) for, and every code above."""
    return _with_ancestors(codes, parents)


def _learned_predictions(
    project: Project,
    coded: dict[int, set[str]],
    min_examples: int,
    min_precision: float,
) -> tuple[dict[int, set[str]], list[dict[str, Any]]]:
    """Out-of-fold predictions of each code's learned model on the coder's segments (module
    docstring), and a row per code the coder used: examples, folds, cross-validated precision,
    whether it would suggest, and why not."""
    codebook = current_codebook(project)
    texts_by_scope: dict[str, dict[int, str]] = {}
    predicted: dict[int, set[str]] = defaultdict(set)
    rows: list[dict[str, Any]] = []
    for code in codebook.codes:
        scope = code.rules.scope
        if scope not in texts_by_scope:
            texts_by_scope[scope] = scope_texts(project, scope)
        subtree = {code.code_id, *(child.code_id for child in codebook.descendants(code.code_id))}
        examples = examples_of(texts_by_scope[scope], coded, subtree)
        if not examples.positives:
            continue
        row: dict[str, Any] = {
            "code": code.code_id, "examples": len(examples.labels),
            "positives": examples.positives, "folds": 0, "cv_precision": None,
            "suggests": False, "status": "",
        }  # fmt: skip
        rows.append(row)
        if examples.positives < min_examples:
            row["status"] = f"{examples.positives} coded segments, needs {min_examples}"
            continue
        predictions = out_of_fold_predictions(examples.texts, examples.labels)
        if predictions is None:
            row["status"] = "too few uncoded examples to cross-validate"
            continue
        folds = [test for _train, test in folds_for(examples.labels)]
        precisions = []
        for test in folds:
            hits = [index for index in test if predictions[index]]
            right = sum(examples.labels[index] for index in hits)
            precisions.append(right / len(hits) if hits else 0.0)
        precision = round(sum(precisions) / len(folds), 4)
        row.update(folds=len(folds), cv_precision=precision)
        if precision < min_precision:
            row["status"] = f"cross-validated precision {precision} < {min_precision}"
            continue
        row.update(suggests=True, status="suggests")
        for segment_id, value in zip(examples.segment_ids, predictions, strict=True):
            if value:
                predicted[segment_id].add(code.code_id)
    return predicted, rows


def compare_rules(
    project: Project, coder: str, *, min_examples: int = 10, min_precision: float = 0.7
) -> RulesReport:
    """Auto-coding against ``coder`` on the segments ``coder`` coded, all rules together and
    each kind apart (keyword rules, proximity rules, learned suggestions: module docstring).

    Both sides are closed upwards through the code tree before comparing: a coder who coded
    ``grid.checkpoints`` has said that ``grid`` applies, so a rule of the theme ``grid`` that
    fires there is right, and a theme-level row measures whether the rules found the theme
    where the coder did (whichever of its codes either side chose). ``min_examples`` and
    ``min_precision`` are ``autocode --learned``'s bars for a code to suggest.
    """
    _require_human(project, coder)
    parents = code_parents(project.conn)
    coded = manual_codes_by_segment(project.conn, coder)
    human = {segment_id: _with_ancestors(codes, parents) for segment_id, codes in coded.items()}
    predicted: dict[str, dict[int, set[str]]] = {kind: defaultdict(set) for kind in KINDS}
    fired: dict[tuple[str, str, str], set[int]] = defaultdict(set)
    any_auto = False
    for segment_id, code_id, rule_kind, rule in auto_codings(project.conn):
        any_auto = True
        if segment_id not in human:
            continue
        kind = "proximity" if rule_kind in PROXIMITY_RULE_KINDS else "keyword"
        predicted["rules"][segment_id].add(code_id)
        predicted[kind][segment_id].add(code_id)
        fired[code_id, rule_kind or "", rule or ""].add(segment_id)
    if not any_auto:
        raise NotFoundError("no automatic codings to compare: run 'qualcode autocode' first")
    predicted["learned"], learned_rows = _learned_predictions(
        project, coded, min_examples, min_precision
    )
    order, with_rules = codes_with_rules(project.conn)
    counts = {kind: _tally(human, predicted[kind], parents) for kind in KINDS}
    for code in with_rules:
        counts["rules"].setdefault(code, [0, 0, 0])
    positives: dict[str, int] = defaultdict(int)
    for reference in human.values():
        for code in reference:
            positives[code] += 1
    report = RulesReport(coder, len(human), learned=learned_rows)

    def in_order(codes: Any) -> list[str]:
        return sorted(codes, key=lambda code: (order.get(code, len(order)), code))

    for code in in_order(counts["rules"]):
        report.codes.append(
            {"code": code, "has_rules": code in with_rules, **_scores(*counts["rules"][code])}
        )
    rules_of_kind = _rule_codes_by_kind(project)
    rules_of_kind["rules"] = with_rules
    rules_of_kind["learned"] = {row["code"] for row in learned_rows if row["suggests"]}
    for kind in KINDS:
        covered = _covered(rules_of_kind[kind], parents)
        for code in in_order(covered):
            report.by_kind.append({"kind": kind, "code": code, **_scores(*counts[kind][code])})
        totals = [sum(tally[index] for tally in counts[kind].values()) for index in range(3)]
        report.pooled.append({"kind": kind, "codes": len(rules_of_kind[kind]), **_scores(*totals)})
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


def _rule_codes_by_kind(project: Project) -> dict[str, set[str]]:
    """``{"keyword": codes with keyword-like rules, "proximity": codes with proximity rules}``
    in the current codebook."""
    by_kind: dict[str, set[str]] = {"keyword": set(), "proximity": set()}
    for code in current_codebook(project).codes:
        rules = code.rules
        if rules.keywords or rules.prefixes or rules.patterns or rules.lemmas:
            by_kind["keyword"].add(code.code_id)
        if rules.proximity:
            by_kind["proximity"].add(code.code_id)
    return by_kind


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
