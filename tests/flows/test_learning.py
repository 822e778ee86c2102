"""``autocode --mode suggest --learned``: suggestions from models trained on manual coding.

The promises: cross-validated scores are what scikit-learn's own cross-validation gives on
the same folds; only codes with enough coded segments and enough precision suggest; learned
output is a suggestion with a score and its model, never a coding; the same project gives
the same suggestions; and bad requests are one line that changes nothing.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from qualcode.autocode.classifier import cross_validate, folds_for, make_pipeline
from qualcode.flows.learning import LearnedOptions, learn_and_suggest
from qualcode.store.codebooks import load_into_project
from qualcode.store.codings import code_segment
from qualcode.store.project import Project
from tests.conftest import Cli, write

SHORTAGE = ["口罩不够用了", "防护服根本买不到", "消毒液也缺", "一线的同志没有防护", "物资很紧张"]
OTHER = ["今天开了个会", "居民很配合", "我们建了微信群", "志愿者来帮忙", "小区很安静", "天气不错"]

CODEBOOK = """\
name: learning
codes:
  - id: supplies
    name: 物资短缺
  - id: other
    name: 其他
"""


def interview(seed: int = 3, turns: int = 60) -> tuple[str, list[bool]]:
    """A generated interview: respondent turns about supply shortages or about other things."""
    rng = random.Random(seed)
    lines, about_supplies = [], []
    for number in range(turns):
        lines.append(f"采访者：第{number}个问题是什么？")
        shortage = number % 3 == 0
        words = SHORTAGE if shortage else OTHER
        lines.append("受访者：" + "，".join(rng.sample(words, 2)) + "。")
        about_supplies.append(shortage)
    return "\n\n".join(lines) + "\n", about_supplies


@pytest.fixture
def coded_project(cli: Cli, project: Project, tmp_path: Path) -> Project:
    """60 respondent turns, the first 45 coded by li (supplies where they are about it)."""
    text, about_supplies = interview()
    assert cli("import", str(write(tmp_path / "talk.txt", text))).exit_code == 0
    load_into_project(project, write(tmp_path / "learning.yml", CODEBOOK))
    respondent = [
        int(row[0])
        for row in project.conn.execute(
            "SELECT segment_id FROM segments WHERE role = 'respondent' ORDER BY segment_id"
        )
    ]
    assert len(respondent) == 60
    for segment_id, shortage in list(zip(respondent, about_supplies, strict=True))[:45]:
        code_segment(project, segment_id, "supplies" if shortage else "other", coder="li")
    return project


def test_cross_validated_scores_are_scikit_learns_on_the_same_folds() -> None:
    from sklearn.model_selection import cross_validate as sklearn_cross_validate

    text, about_supplies = interview(seed=5, turns=40)
    texts = [line for line in text.split("\n\n") if line.startswith("受访者")]
    labels = [int(flag) for flag in about_supplies]
    ours = cross_validate(texts, labels)
    assert ours is not None
    folds = folds_for(labels)
    theirs = sklearn_cross_validate(
        make_pipeline(), texts, labels, cv=folds, scoring=("precision", "recall", "f1")
    )
    assert ours.folds == [test for _train, test in folds]
    assert ours.precision == pytest.approx(theirs["test_precision"].mean())
    assert ours.recall == pytest.approx(theirs["test_recall"].mean())
    assert ours.f1 == pytest.approx(theirs["test_f1"].mean())


def test_learned_suggestions_are_suggestions_with_a_score_and_a_model(
    coded_project: Project,
) -> None:
    project = coded_project
    codings_before = project.conn.execute("SELECT count(*) FROM codings").fetchone()[0]
    report = learn_and_suggest(project, LearnedOptions(coder="li", run_by="test"))
    rows = {row["code"]: row for row in report.codes}
    assert rows["supplies"]["positives"] == 15
    assert rows["supplies"]["precision"] >= 0.7
    assert rows["supplies"]["status"] == "suggested"
    assert rows["other"]["positives"] == 30
    assert project.conn.execute("SELECT count(*) FROM codings").fetchone()[0] == codings_before
    suggestions = project.conn.execute(
        "SELECT s.segment_id, s.code_id, s.rule_kind, s.rule, s.score, s.model_id, seg.text, "
        "seg.start_char, seg.end_char, s.start_char AS start, s.end_char AS end "
        "FROM suggestions s JOIN segments seg USING (segment_id) ORDER BY s.suggestion_id"
    ).fetchall()
    supplies = [row for row in suggestions if row["code_id"] == "supplies"]
    assert len(supplies) == 5  # the five uncoded turns about supplies, and nothing else
    for row in supplies:
        assert row["rule_kind"] == "learned" and row["rule"] == f"model {row['model_id']}"
        assert 0.5 <= row["score"] <= 1
        assert any(word in row["text"] for word in SHORTAGE)
        assert (row["start"], row["end"]) == (row["start_char"], row["end_char"])
    coded = {row[0] for row in project.conn.execute("SELECT segment_id FROM codings")}
    assert not coded & {row["segment_id"] for row in suggestions}
    model = project.conn.execute(
        "SELECT coder, training_hash, precision FROM learned_models WHERE code_id = 'supplies'"
    ).fetchone()
    assert model["coder"] == "li" and len(model["training_hash"]) == 64
    assert model["precision"] == rows["supplies"]["precision"]


def test_the_same_project_gives_the_same_suggestions(
    coded_project: Project, tmp_path: Path
) -> None:
    first = learn_and_suggest(coded_project, LearnedOptions(coder="li", codes=("supplies",)))
    again = learn_and_suggest(coded_project, LearnedOptions(coder="li", codes=("supplies",)))
    assert first.codes == again.codes  # the stored model is reused: same id, same scores
    assert again.suggestions == 0  # its suggestions are already pending
    models = coded_project.conn.execute("SELECT count(*) FROM learned_models").fetchone()[0]
    assert models == 1


def test_a_code_with_too_few_coded_segments_is_skipped_with_a_reason(
    coded_project: Project,
) -> None:
    report = learn_and_suggest(coded_project, LearnedOptions(coder="li", min_examples=16))
    rows = {row["code"]: row for row in report.codes}
    assert rows["supplies"]["status"] == "skipped: 15 coded segments, needs 16"


def test_bad_requests_are_one_line_and_change_nothing(cli: Cli, tmp_path: Path) -> None:
    text, _flags = interview(turns=6)
    assert cli("import", str(write(tmp_path / "talk.txt", text))).exit_code == 0
    assert cli("codebook", "load", str(write(tmp_path / "l.yml", CODEBOOK))).exit_code == 0
    result = cli("autocode", "--mode", "suggest", "--learned")
    assert (result.exit_code, result.stderr) == (
        1,
        "Error: --learned needs manual coding to learn from, and there is none\n",
    )
    result = cli("autocode", "--learned")
    assert result.exit_code == 2
    assert (
        result.stderr.splitlines()[-1]
        == "Error: --learned only suggests: use it with --mode suggest"
    )
    assert cli("autocode", "runs", "--format", "csv").stdout.strip().count("\n") == 0


def test_the_review_card_shows_a_learned_suggestions_score_and_model(
    coded_project: Project,
) -> None:
    from qualcode.cli.screen import suggestion_card
    from qualcode.review.suggestions import ReviewSession
    from qualcode.store.suggestions import SuggestionFilter

    learn_and_suggest(coded_project, LearnedOptions(coder="li", codes=("supplies",)))
    session = ReviewSession(coded_project, coder="li", filters=SuggestionFilter())
    context = session.context()
    assert context is not None and context.learned is not None
    stored = coded_project.conn.execute(
        "SELECT g.score, m.model_id, m.training_hash, m.precision FROM suggestions g "
        "JOIN learned_models m USING (model_id) WHERE g.suggestion_id = ?",
        (context.suggestion["suggestion_id"],),
    ).fetchone()
    text = "".join(fragment[1] for fragment in suggestion_card(session, context))
    assert f"score {stored['score']:.2f}" in text
    assert f"model {stored['model_id']} learned from li's coding of 45 segments" in text
    assert f"cross-validated precision {stored['precision']:.2f}" in text
    assert f"training {stored['training_hash'][:12]}" in text
