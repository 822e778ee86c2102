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

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from qualcode.analysis.query import manual_coders, manual_codes_by_segment
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
from qualcode.store.runs import last_segment_id, segment_batches

#: Fields of one row of the per-code report.
LEARNED_FIELDS = (
    "code", "examples", "positives", "folds", "precision", "recall", "f1", "model_id",
    "suggestions", "status",
)  # fmt: skip

#: Probability from which a segment gets a suggestion.
THRESHOLD = 0.5
SEED = 0
MAX_FOLDS = 5


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


@dataclass(frozen=True)
class CrossValidation:
    """Mean precision, recall and F1 over the folds, and the folds used (test indexes)."""

    precision: float
    recall: float
    f1: float
    folds: list[list[int]]


#: What the pipeline is, for the training hash (a new pipeline must change this text).
PIPELINE = (
    "tfidf(sublinear; char 1-3-grams + English words) | logistic regression(liblinear, balanced)"
)
_ENGLISH_WORD = re.compile(r"[a-z]{2,}")


def features_of(text: str) -> list[str]:
    """The features of a text: its character 1-, 2- and 3-grams (lower case), and its English
    words marked ``w:`` (a text without English simply has none)."""
    lower = text.lower()
    grams = [
        lower[start : start + size] for size in (1, 2, 3) for start in range(len(lower) - size + 1)
    ]
    return grams + ["w:" + word for word in _ENGLISH_WORD.findall(lower)]


def make_pipeline() -> Any:
    """The classifier: TF-IDF of :func:`features_of`, then a logistic regression."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    return Pipeline(
        [
            ("features", TfidfVectorizer(analyzer=features_of, sublinear_tf=True)),
            ("classifier", LogisticRegression(solver="liblinear", class_weight="balanced")),
        ]
    )


def folds_for(labels: Sequence[int]) -> list[tuple[list[int], list[int]]]:
    """Stratified folds (train, test indexes): as many as the rarer class allows, up to 5."""
    from sklearn.model_selection import StratifiedKFold

    positives = sum(labels)
    splits = min(MAX_FOLDS, positives, len(labels) - positives)
    if splits < 2:
        return []
    splitter = StratifiedKFold(n_splits=splits, shuffle=True, random_state=SEED)
    return [
        (train.tolist(), test.tolist())
        for train, test in splitter.split([[0]] * len(labels), labels)
    ]


def cross_validate(texts: Sequence[str], labels: Sequence[int]) -> CrossValidation | None:
    """Fit on each fold's training part, score its test part; mean precision, recall, F1.

    A fold with no predicted positives has precision 0 (as scikit-learn reports it with
    ``zero_division=0``). ``None`` when there are too few examples of a class for two folds.
    """
    folds = folds_for(labels)
    if not folds:
        return None
    precisions, recalls, f1s = [], [], []
    for train, test in folds:
        model = make_pipeline().fit([texts[i] for i in train], [labels[i] for i in train])
        predicted = model.predict([texts[i] for i in test]).tolist()
        actual = [labels[i] for i in test]
        true_positives = sum(1 for p, a in zip(predicted, actual, strict=True) if p and a)
        predicted_positives = sum(predicted)
        actual_positives = sum(actual)
        precision = true_positives / predicted_positives if predicted_positives else 0.0
        recall = true_positives / actual_positives if actual_positives else 0.0
        f1 = (
            2 * true_positives / (predicted_positives + actual_positives)
            if predicted_positives + actual_positives
            else 0.0
        )
        precisions.append(precision)
        recalls.append(recall)
        f1s.append(f1)
    return CrossValidation(
        precision=sum(precisions) / len(folds),
        recall=sum(recalls) / len(folds),
        f1=sum(f1s) / len(folds),
        folds=[test for _train, test in folds],
    )


def training_hash(segment_ids: Sequence[int], texts: Sequence[str], labels: Sequence[int]) -> str:
    """SHA-256 of the training data and the model's settings: what identifies a model."""
    payload = json.dumps(
        {
            "format": "qualcode-learned-1",
            "pipeline": PIPELINE,
            "examples": [[s, t, y] for s, t, y in zip(segment_ids, texts, labels, strict=True)],
        },
        ensure_ascii=False,
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


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
            texts_by_scope[scope] = {
                segment_id: text
                for batch in segment_batches(project, 0, last_segment_id(project), [scope])
                for segment_id, _role, _start, text in batch
            }
        texts = texts_by_scope[scope]
        subtree = {code.code_id, *(child.code_id for child in codebook.descendants(code.code_id))}
        examples = sorted(segment for segment in coded if segment in texts)
        labels = [int(bool(coded[segment] & subtree)) for segment in examples]
        row: dict[str, Any] = dict.fromkeys(LEARNED_FIELDS)
        row.update(code=code.code_id, examples=len(examples), positives=sum(labels))
        report.codes.append(row)
        if sum(labels) < options.min_examples:
            row["status"] = f"skipped: {sum(labels)} coded segments, needs {options.min_examples}"
            continue
        example_texts = [texts[segment] for segment in examples]
        digest = training_hash(examples, example_texts, labels)
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
                    examples=len(examples),
                    positives=sum(labels),
                    folds=len(validation.folds),
                    precision=round(validation.precision, 4),
                    recall=round(validation.recall, 4),
                    f1=round(validation.f1, 4),
                    training=json.dumps([[s, y] for s, y in zip(examples, labels, strict=True)]),
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
        scores = (
            fitted.predict_proba([texts[segment] for segment in unseen])[:, 1].tolist()
            if unseen
            else []
        )
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
