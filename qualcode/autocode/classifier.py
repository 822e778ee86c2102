"""The text classifier behind learned suggestions, and the examples it learns from.

Shared by ``autocode --mode suggest --learned`` (:mod:`qualcode.flows.learning`, which trains
and suggests) and ``agree --rules`` (:mod:`qualcode.agreement.rules`, which measures the
learned suggestions against a coder the way it measures keyword and proximity rules), so both
see the same examples, the same pipeline and the same folds.

- **Examples** of a code for a coder: the segments in the code's scope that the coder coded
  with anything, positive when coded with the code or one of its sub-codes (a segment the coder
  never looked at is no evidence either way).
- **Model**: TF-IDF of character 1-3-grams (Chinese is read as characters, as keyword matching
  reads it; also catches English word pieces) and of English words, then a logistic regression
  (liblinear, balanced class weights): no randomness in training.
- **Folds**: stratified, as many as the rarer class allows up to 5, shuffled with seed 0.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from qualcode.store.project import Project
from qualcode.store.runs import last_segment_id, segment_batches

SEED = 0
MAX_FOLDS = 5

#: What the pipeline is, for the training hash (a new pipeline must change this text).
PIPELINE = (
    "tfidf(sublinear; char 1-3-grams + English words) | logistic regression(liblinear, balanced)"
)
_ENGLISH_WORD = re.compile(r"[a-z]{2,}")


@dataclass(frozen=True)
class Examples:
    """One code's training examples for one coder, in segment order."""

    segment_ids: list[int]
    texts: list[str]
    labels: list[int]

    @property
    def positives(self) -> int:
        return sum(self.labels)


@dataclass(frozen=True)
class CrossValidation:
    """Mean precision, recall and F1 over the folds, and the folds used (test indexes)."""

    precision: float
    recall: float
    f1: float
    folds: list[list[int]]


def scope_texts(project: Project, scope: str) -> dict[int, str]:
    """``{segment_id: text}`` of every segment a rule of ``scope`` may code."""
    return {
        segment_id: text
        for batch in segment_batches(project, 0, last_segment_id(project), [scope])
        for segment_id, _role, _start, text in batch
    }


def examples_of(texts: dict[int, str], coded: dict[int, set[str]], subtree: set[str]) -> Examples:
    """The segments of ``texts`` the coder coded (``coded``), labelled 1 when one of their
    codes is in ``subtree`` (the code and its sub-codes)."""
    segment_ids = sorted(segment for segment in coded if segment in texts)
    return Examples(
        segment_ids=segment_ids,
        texts=[texts[segment] for segment in segment_ids],
        labels=[int(bool(coded[segment] & subtree)) for segment in segment_ids],
    )


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


def out_of_fold_predictions(texts: Sequence[str], labels: Sequence[int]) -> list[int] | None:
    """Each example's prediction (0 or 1) by the model fitted on the folds that do not hold it
    (the folds of :func:`folds_for`): how the learned suggestions would have done on the
    coder's own segments had the coder not coded them. ``None`` when two folds are impossible."""
    folds = folds_for(labels)
    if not folds:
        return None
    predicted = [0] * len(labels)
    for train, test in folds:
        model = make_pipeline().fit([texts[i] for i in train], [labels[i] for i in train])
        for index, value in zip(
            test, model.predict([texts[i] for i in test]).tolist(), strict=True
        ):
            predicted[index] = int(value)
    return predicted


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
