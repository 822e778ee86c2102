"""The learned-suggestion classifier against spaCy's textcat on blank pipelines: F1 and speed.

Run:  .venv/bin/python bench/bench_textcat.py [--coded 2000] [--epochs 10]

``autocode --mode suggest --learned`` uses scikit-learn (TF-IDF of character 1-3-grams and
English words, then a logistic regression: :mod:`qualcode.autocode.classifier`). This bench
puts spaCy's ``textcat`` beside it, on blank pipelines only (nothing downloaded): ``spacy.blank
("zh")``, whose default segmenter reads Chinese by characters, as keyword matching does. Two
textcat models: the linear bag-of-n-grams (``spacy.TextCatBOW.v3``, n-grams up to 3 tokens,
the closest to ours) and spaCy's default ensemble (``spacy.TextCatEnsemble.v2``: the BOW part
plus a CNN over hashed embeddings, no pretrained vectors). Each is trained ``--epochs`` epochs
(minibatches of 32 shuffled with a fixed seed, ``spacy.util.fix_random_seed(0)``).

All three are cross-validated on exactly the same stratified folds
(:func:`qualcode.autocode.classifier.folds_for`): per fold, fit on the training part, predict
the test part (positive at probability 0.5), F1 of the positive class; mean over the folds.
Time is the CPU time (``time.process_time``) and wall time of fitting and predicting, summed
over the folds; the load average is printed, since the machine is shared.

Data sets:

- ``demo``: the shipped samples with ``li (illustrative)``'s manual coding (``qualcode demo``),
  every code with at least 10 coded respondent segments (the default ``--min-examples``), one
  binary task per code on li's 58 coded segments;
- ``generated``: the first ``--coded`` respondent turns of ``bench_autocode``'s generated
  project, labelled as ``bench_learning`` labels them (a turn holds one of the generator's
  topic phrases or not).
"""

from __future__ import annotations

import os
import random
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench_autocode import generated_project, parse_arguments
from bench_learning import TOPIC_WORDS

from qualcode.analysis.query import manual_codes_by_segment
from qualcode.autocode.classifier import examples_of, folds_for, make_pipeline, scope_texts
from qualcode.flows.demo import run_demo
from qualcode.store.codebooks import current_codebook
from qualcode.store.project import open_project

Task = tuple[str, list[str], list[int]]
Classifier = Callable[[list[str], list[int], list[str]], list[int]]


def sklearn_classifier(train: list[str], labels: list[int], test: list[str]) -> list[int]:
    return [int(value) for value in make_pipeline().fit(train, labels).predict(test)]


def spacy_classifier(architecture: str, epochs: int) -> Classifier:
    def classify(train: list[str], labels: list[int], test: list[str]) -> list[int]:
        import importlib

        import spacy
        from spacy.training import Example

        util: Any = importlib.import_module("spacy.util")
        util.fix_random_seed(0)
        nlp = spacy.blank("zh")
        model: dict[str, object] = {"@architectures": architecture, "exclusive_classes": True}
        if architecture == "spacy.TextCatBOW.v3":
            model.update(ngram_size=3, no_output_layer=False)
        else:
            model = {}  # the default ensemble of the textcat factory
        textcat: Any = nlp.add_pipe("textcat", config={"model": model} if model else {})
        textcat.add_label("yes")
        textcat.add_label("no")
        examples = [
            Example.from_dict(
                nlp.make_doc(text), {"cats": {"yes": float(label), "no": float(1 - label)}}
            )
            for text, label in zip(train, labels, strict=True)
        ]
        optimizer = nlp.initialize(lambda: examples)
        generator = random.Random(0)
        for _epoch in range(epochs):
            generator.shuffle(examples)
            for batch in util.minibatch(examples, size=32):
                nlp.update(batch, sgd=optimizer, drop=0.0)
        return [int(doc.cats["yes"] >= 0.5) for doc in nlp.pipe(test, batch_size=256)]

    return classify


def f1_of(predicted: Sequence[int], actual: Sequence[int]) -> float:
    true_positives = sum(1 for p, a in zip(predicted, actual, strict=True) if p and a)
    total = sum(predicted) + sum(actual)
    return 2 * true_positives / total if total else 0.0


def evaluate(
    classifier: Classifier, texts: list[str], labels: list[int]
) -> tuple[float, float, float]:
    """Mean F1 over the folds, CPU seconds, wall seconds."""
    scores = []
    started, started_cpu = time.perf_counter(), time.process_time()
    for train, test in folds_for(labels):
        predicted = classifier(
            [texts[i] for i in train], [labels[i] for i in train], [texts[i] for i in test]
        )
        scores.append(f1_of(predicted, [labels[i] for i in test]))
    return (
        sum(scores) / len(scores),
        time.process_time() - started_cpu,
        time.perf_counter() - started,
    )


def demo_tasks() -> list[Task]:
    coder = "li (illustrative)"
    with tempfile.TemporaryDirectory() as folder:
        report = run_demo(Path(folder))
        with open_project(report.db_path) as project:
            codebook = current_codebook(project)
            coded = manual_codes_by_segment(project.conn, coder)
            tasks = []
            for code in codebook.codes:
                subtree = {code.code_id, *(c.code_id for c in codebook.descendants(code.code_id))}
                examples = examples_of(scope_texts(project, code.rules.scope), coded, subtree)
                if examples.positives >= 10:
                    tasks.append((f"demo {code.code_id}", examples.texts, examples.labels))
    return tasks


def generated_task(segments: int, coded: int, out: Path) -> Task:
    with generated_project(out / f"autocode_{segments}.db", segments) as project:
        rows = project.conn.execute(
            "SELECT text FROM segments WHERE role = 'respondent' ORDER BY segment_id LIMIT ?",
            (coded,),
        ).fetchall()
    texts = [str(row[0]) for row in rows]
    labels = [int(any(word in text for word in TOPIC_WORDS)) for text in texts]
    return (f"generated ({len(texts)} turns, {sum(labels)} topic)", texts, labels)


def main() -> None:
    arguments = parse_arguments(__doc__, 100_000, coded=2_000, epochs=10)
    classifiers: list[tuple[str, Classifier]] = [
        ("scikit-learn tfidf+logistic", sklearn_classifier),
        ("spaCy textcat BOW", spacy_classifier("spacy.TextCatBOW.v3", arguments.epochs)),
        ("spaCy textcat ensemble", spacy_classifier("ensemble", arguments.epochs)),
    ]
    tasks = demo_tasks()
    tasks.append(generated_task(arguments.segments, arguments.coded, arguments.out))
    print(f"load average {os.getloadavg()[0]:.1f}; {arguments.epochs} epochs for textcat")
    print("| task | classifier | mean F1 | CPU s | wall s |")
    print("|---|---|---:|---:|---:|")
    for name, texts, labels in tasks:
        for label, classifier in classifiers:
            f1, cpu, wall = evaluate(classifier, texts, labels)
            print(f"| {name} | {label} | {f1:.3f} | {cpu:.1f} | {wall:.1f} |", flush=True)
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
