"""``agree --rules`` per kind: keyword rules, proximity rules and learned suggestions against a
coder, per code and pooled, on the shipped samples with the two illustrative coders.

Every number is recomputed here from the public views and scikit-learn's own tools, without
the library's comparison code: the reference is the coder's manual codings closed upwards
through the code tree; keyword and proximity rules predict where their automatic codings
are; learned suggestions predict where scikit-learn's ``cross_val_predict`` (same pipeline,
same stratified folds, seed 0) says so, for the codes whose mean fold precision reaches 0.7.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from qualcode.autocode.classifier import features_of
from qualcode.cli import app

LI, WANG = "li (illustrative)", "wang (illustrative)"
PROXIMITY = ("all_of", "near")


@pytest.fixture(scope="module")
def demo_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    result = CliRunner().invoke(app, ["demo", "--dir", str(folder)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return folder / "qualcode.db"


def closed(codes: set[str], parents: dict[str, str | None]) -> set[str]:
    result = set(codes)
    for code in codes:
        parent = parents[code]
        while parent is not None:
            result.add(parent)
            parent = parents[parent]
    return result


def tally(
    reference: dict[int, set[str]], predicted: dict[int, set[str]], parents: dict[str, str | None]
) -> dict[str, list[int]]:
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for segment, codes in reference.items():
        found = closed(predicted.get(segment, set()), parents)
        for code in codes | found:
            if code in codes and code in found:
                counts[code][0] += 1
            elif code in found:
                counts[code][1] += 1
            else:
                counts[code][2] += 1
    return counts


def learned_predictions(
    conn: sqlite3.Connection, coder: str, parents: dict[str, str | None], min_precision: float
) -> dict[int, set[str]]:
    """scikit-learn's out-of-fold predictions per code with at least 10 positives."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import make_scorer, precision_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict, cross_validate
    from sklearn.pipeline import Pipeline

    rows = conn.execute(
        "SELECT DISTINCT s.segment_id, s.text FROM segments s JOIN codings c "
        "ON c.segment_id = s.segment_id WHERE c.coder = ? AND c.origin = 'manual' "
        "AND (s.role IS NULL OR s.role <> 'interviewer') ORDER BY s.segment_id",
        (coder,),
    ).fetchall()
    codes_of: dict[int, set[str]] = defaultdict(set)
    for segment, code in conn.execute(
        "SELECT segment_id, code FROM codings_view WHERE coder = ? AND origin = 'manual'", (coder,)
    ):
        codes_of[segment] |= closed({code}, parents)
    predicted: dict[int, set[str]] = defaultdict(set)
    for code in parents:
        labels = [int(code in codes_of[segment]) for segment, _text in rows]
        if sum(labels) < 10:
            continue
        pipeline = Pipeline(
            [
                ("features", TfidfVectorizer(analyzer=features_of, sublinear_tf=True)),
                ("classifier", LogisticRegression(solver="liblinear", class_weight="balanced")),
            ]
        )
        folds = StratifiedKFold(n_splits=min(5, sum(labels)), shuffle=True, random_state=0)
        texts = [text for _segment, text in rows]
        precision = cross_validate(
            pipeline, texts, labels, cv=folds, scoring=make_scorer(precision_score, zero_division=0)
        )
        if round(float(precision["test_score"].mean()), 4) < min_precision:
            continue
        for (segment, _text), value in zip(
            rows, cross_val_predict(pipeline, texts, labels, cv=folds), strict=True
        ):
            if value:
                predicted[segment].add(code)
    return predicted


def scores(counts: list[int]) -> tuple[int, int, int]:
    return counts[0], counts[1], counts[2]


@pytest.mark.slow
@pytest.mark.parametrize("coder", [LI, WANG])
def test_each_kind_is_measured_against_the_coder_as_recomputed(
    demo_project: Path, coder: str
) -> None:
    result = CliRunner().invoke(
        app,
        ["--db", str(demo_project), "agree", "--coders", coder, "--rules", "--format", "json"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    report: dict[str, Any] = json.loads(result.stdout)

    conn = sqlite3.connect(demo_project)
    parents = dict(conn.execute("SELECT code_id, parent_id FROM codes"))
    reference: dict[int, set[str]] = defaultdict(set)
    for segment, code in conn.execute(
        "SELECT segment_id, code FROM codings_view WHERE coder = ? AND origin = 'manual'", (coder,)
    ):
        reference[segment] |= closed({code}, parents)
    by_rule_kind: dict[str, dict[int, set[str]]] = defaultdict(lambda: defaultdict(set))
    for segment, code, rule_kind in conn.execute(
        "SELECT c.segment_id, v.code, c.rule_kind FROM codings c "
        "JOIN codings_view v ON v.coding_id = c.coding_id WHERE v.origin = 'auto'"
    ):
        kind = "proximity" if rule_kind in PROXIMITY else "keyword"
        by_rule_kind[kind][segment].add(code)
        by_rule_kind["rules"][segment].add(code)
    by_rule_kind["learned"] = learned_predictions(conn, coder, parents, 0.7)
    conn.close()

    rows = {(row["kind"], row["code"]): row for row in report["by_kind"]}
    pooled = {row["kind"]: row for row in report["pooled"]}
    for kind in ("rules", "keyword", "proximity", "learned"):
        counts = tally(reference, by_rule_kind[kind], parents)
        for (row_kind, code), row in rows.items():
            if row_kind == kind:
                expected = scores(counts.get(code, [0, 0, 0]))
                got = (row["true_positives"], row["false_positives"], row["false_negatives"])
                assert got == expected, (kind, code)
        totals = [sum(tally_[index] for tally_ in counts.values()) for index in range(3)]
        row = pooled[kind]
        assert (row["true_positives"], row["false_positives"], row["false_negatives"]) == tuple(
            totals
        ), kind
        assert row["recall"] == round(totals[0] / (totals[0] + totals[2]), 4)
        # The same decisions in every pooled row: each coded (segment, code) is found or missed.
        assert totals[0] + totals[2] == sum(len(codes) for codes in reference.values())
    learned_codes = {code for kind, code in rows if kind == "learned"}
    assert learned_codes, "a learned model suggests for at least one code on the samples"
    assert {"keyword", "proximity", "learned", "rules"} == {kind for kind, _code in rows}
    suggesting = {row["code"] for row in report["learned"] if row["suggests"]}
    assert suggesting <= learned_codes
