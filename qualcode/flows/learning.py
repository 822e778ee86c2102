"""Suggestions learned from a researcher's manual coding: ``autocode --mode suggest --learned``.

For each code that a coder has applied by hand to at least ``min_examples`` segments in the
code's scope (the code or any of its sub-codes: coding ``grid.checkpoints`` says ``grid``
applies), a linear classifier learns from that coder's segments which ones get the code, and
suggests it on the segments the coder has not coded yet. What happens, so that a researcher
can predict it:

- **Examples.** The segments the coder coded with anything, in the code's scope: positive
  when coded with the code or a sub-code, negative otherwise (a segment the coder never looked
  at is no evidence either way). A code with fewer than ``min_examples`` positives is skipped,
  with a line saying so.
- **Model.** scikit-learn: TF-IDF of character 1-3-grams (Chinese is read as characters, as
  keyword matching reads it; also catches English word pieces) and of English words, then a
  logistic regression (liblinear, balanced class weights). Deterministic: no randomness in
  training, folds shuffled with a fixed seed.
- **Quality first.** Before suggesting, each code's model is cross-validated on the coder's
  examples (stratified, up to 5 folds, seed 0): precision, recall and F1 per fold, averaged.
  Only codes whose cross-validated precision reaches ``min_precision`` (default 0.7) make
  suggestions; the others are reported and skipped.
- **Suggestions, never codings.** The models are fitted on all the examples and score every
  in-scope segment the coder has not coded; a segment with probability 0.5 or more gets a
  suggestion (the whole segment, rule kind ``learned``, rule ``model N``, and the score) in
  one run, for ``qualcode review --suggestions``. A suggestion is skipped where the coder's
  manual coding of the code already is.
- **Provenance.** Each model is stored in the project (``learned_models``): the SHA-256 of its
  training data (segment ids, texts, labels and the pipeline's settings), the examples
  themselves (segment ids and labels) and its cross-validated scores; a run's suggestions name
  their model. The fitted weights are not stored: the model is refitted from its examples
  when used, which gives the same weights every time (liblinear has no randomness here), and
  a project file shared by a colleague never holds a pickle that loading would execute.
  Training again on the same data reuses the stored model and its scores.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from qualcode.analysis.query import manual_coders, manual_codes_by_segment
from qualcode.autocode.classifier import (
    cross_validate,
    examples_of,
    make_pipeline,
    scope_texts,
    training_hash,
)
from qualcode.errors import NotFoundError, UsageError
from qualcode.store.codebooks import current_codebook
from qualcode.store.learned import (
    LearnedModel,
    LearnedSuggestion,
    find_model,
    store_learned_run,
    store_model,
)
from qualcode.store.project import Project

#: Fields of one row of the per-code report.
LEARNED_FIELDS = (
    "code", "examples", "positives", "folds", "precision", "recall", "f1", "model_id",
    "suggestions", "status",
)  # fmt: skip

#: Probability from which a segment gets a suggestion.
THRESHOLD = 0.5
#: Segments scored at a time: the TF-IDF matrix of a million turns alone would take gigabytes.
SCORING_BATCH = 50_000


@dataclass(frozen=True)
class LearnedOptions:
    """What ``--learned`` does; see the module docstring."""

    coder: str | None = None
    min_examples: int = 10
    min_precision: float = 0.7
    codes: tuple[str, ...] = ()
    run_by: str = "unknown"

    def __post_init__(self) -> None:
        if self.min_examples < 2:
            raise UsageError(f"--min-examples must be at least 2, not {self.min_examples}")
        if not 0 <= self.min_precision <= 1:
            raise UsageError(f"--min-precision must be from 0 to 1, not {self.min_precision}")


@dataclass
class LearnedReport:
    """Per code: examples, cross-validated scores, and what was suggested or why not."""

    coder: str
    run_id: int | None = None
    suggestions: int = 0
    codes: list[dict[str, Any]] = field(default_factory=list)


def learn_and_suggest(project: Project, options: LearnedOptions) -> LearnedReport:
    """Train per code, report cross-validated scores, store suggestions (module docstring)."""
    codebook = current_codebook(project)
    coders = manual_coders(project.conn)
    if not coders:
        raise NotFoundError("--learned needs manual coding to learn from, and there is none")
    coder = options.coder
    if coder is None:
        if len(coders) > 1:
            raise UsageError(
                f"several coders coded this project; choose one with --coder ({', '.join(coders)})"
            )
        coder = coders[0]
    elif coder not in coders:
        raise NotFoundError(f"no manual codings by coder '{coder}' (coders: {', '.join(coders)})")
    coded = manual_codes_by_segment(project.conn, coder)
    texts_by_scope: dict[str, dict[int, str]] = {}
    report = LearnedReport(coder)
    selected = [codebook.get(code_id) for code_id in options.codes] or list(codebook.codes)
    pending: list[LearnedSuggestion] = []
    for code in selected:
        scope = code.rules.scope
        if scope not in texts_by_scope:
            texts_by_scope[scope] = scope_texts(project, scope)
        texts = texts_by_scope[scope]
        subtree = {code.code_id, *(child.code_id for child in codebook.descendants(code.code_id))}
        examples = examples_of(texts, coded, subtree)
        row: dict[str, Any] = dict.fromkeys(LEARNED_FIELDS)
        row.update(code=code.code_id, examples=len(examples.labels), positives=examples.positives)
        report.codes.append(row)
        if examples.positives < options.min_examples:
            row["status"] = (
                f"skipped: {examples.positives} coded segments, needs {options.min_examples}"
            )
            continue
        example_texts, labels = examples.texts, examples.labels
        digest = training_hash(examples.segment_ids, example_texts, labels)
        model = find_model(project, code.code_id, coder, digest)
        if model is None:
            validation = cross_validate(example_texts, labels)
            if validation is None:
                row["status"] = "skipped: too few uncoded examples to cross-validate"
                continue
            model = store_model(
                project,
                LearnedModel(
                    model_id=0,
                    code_id=code.code_id,
                    coder=coder,
                    training_hash=digest,
                    examples=len(labels),
                    positives=sum(labels),
                    folds=len(validation.folds),
                    precision=round(validation.precision, 4),
                    recall=round(validation.recall, 4),
                    f1=round(validation.f1, 4),
                    training=json.dumps(
                        [[s, y] for s, y in zip(examples.segment_ids, labels, strict=True)]
                    ),
                ),
            )
        row.update(
            folds=model.folds,
            precision=model.precision,
            recall=model.recall,
            f1=model.f1,
            model_id=model.model_id,
        )
        if model.precision < options.min_precision:
            row["status"] = (
                f"skipped: cross-validated precision {model.precision} < {options.min_precision}"
            )
            continue
        fitted = make_pipeline().fit(example_texts, labels)
        unseen = [segment for segment in texts if segment not in coded]
        scores: list[float] = []
        for start in range(0, len(unseen), SCORING_BATCH):
            batch = [texts[segment] for segment in unseen[start : start + SCORING_BATCH]]
            scores += fitted.predict_proba(batch)[:, 1].tolist()
        found = [
            LearnedSuggestion(segment, code.code_id, round(score, 4), model.model_id)
            for segment, score in zip(unseen, scores, strict=True)
            if score >= THRESHOLD
        ]
        row["suggestions"] = len(found)
        row["status"] = "suggested"
        pending.extend(found)
    if any(row["status"] == "suggested" for row in report.codes):
        report.run_id, report.suggestions = store_learned_run(
            project,
            codebook_hash=codebook.content_hash,
            parameters={
                "learned": True,
                "coder": coder,
                "min_examples": options.min_examples,
                "min_precision": options.min_precision,
                "codes": list(options.codes),
            },
            run_by=options.run_by,
            suggestions=pending,
        )
    return report
