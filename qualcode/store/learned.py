"""Models learned from manual coding, and the suggestion runs they make (see
:mod:`qualcode.flows.learning`)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from qualcode.store.codebooks import current_version_id
from qualcode.store.journal import journaled
from qualcode.store.project import Project, now_utc


@dataclass(frozen=True)
class LearnedModel:
    """One code's model: whose coding it learned, from what (hash and examples), how good.

    ``training`` is JSON ``[[segment_id, label], ...]``; ``precision``, ``recall`` and ``f1``
    are the cross-validated means over ``folds`` folds.
    """

    model_id: int
    code_id: str
    coder: str
    training_hash: str
    examples: int
    positives: int
    folds: int
    precision: float
    recall: float
    f1: float
    training: str


@dataclass(frozen=True)
class LearnedSuggestion:
    """A code suggested for a whole segment by a model, with the model's probability."""

    segment_id: int
    code_id: str
    score: float
    model_id: int


def find_model(
    project: Project, code_id: str, coder: str, training_hash: str
) -> LearnedModel | None:
    """The stored model of ``code_id`` learned from ``coder`` on exactly this training data."""
    row = project.conn.execute(
        "SELECT model_id, code_id, coder, training_hash, examples, positives, folds, "
        "precision, recall, f1, training FROM learned_models "
        "WHERE code_id = ? AND coder = ? AND training_hash = ? ORDER BY model_id LIMIT 1",
        (code_id, coder, training_hash),
    ).fetchone()
    return None if row is None else LearnedModel(*row)


def store_model(project: Project, model: LearnedModel) -> LearnedModel:
    """Store ``model`` (its ``model_id`` is ignored) and return it with its new id."""
    with project.transaction() as conn:
        model_id = int(
            conn.execute(
                "INSERT INTO learned_models (code_id, coder, training_hash, examples, positives, "
                "folds, precision, recall, f1, training, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    model.code_id, model.coder, model.training_hash, model.examples,
                    model.positives, model.folds, model.precision, model.recall, model.f1,
                    model.training, now_utc(),
                ),
            ).lastrowid
            or 0
        )  # fmt: skip
    return replace(model, model_id=model_id)


def store_learned_run(
    project: Project,
    *,
    codebook_hash: str,
    parameters: dict[str, Any],
    run_by: str,
    suggestions: Sequence[LearnedSuggestion],
) -> tuple[int, int]:
    """One ``suggest`` run holding the learned suggestions, journaled like any run.

    A suggestion is skipped where the segment already has a manual coding of the code or a
    pending learned suggestion of it. Returns the run id and how many were added.
    """
    from qualcode._version import __version__

    with journaled(project, "autocode", "autocode suggest --learned", compact_runs=True) as conn:
        through = int(
            conn.execute("SELECT coalesce(max(segment_id), 0) FROM segments").fetchone()[0]
        )
        run_id = int(
            conn.execute(
                "INSERT INTO autocode_runs (version_id, codebook_hash, mode, parameters, "
                "tool_version, run_by, through_segment_id, started_at) "
                "VALUES (?, ?, 'suggest', ?, ?, ?, ?, ?)",
                (
                    current_version_id(project), codebook_hash,
                    json.dumps({**parameters, "after_segment_id": 0}), __version__, run_by,
                    through, now_utc(),
                ),
            ).lastrowid
            or 0
        )  # fmt: skip
        added = 0
        for suggestion in suggestions:
            exists = conn.execute(
                "SELECT 1 FROM codings WHERE segment_id = ? AND code_id = ? AND origin = 'manual' "
                "UNION ALL SELECT 1 FROM suggestions WHERE segment_id = ? AND code_id = ? "
                "AND rule_kind = 'learned' AND status = 'pending' LIMIT 1",
                (suggestion.segment_id, suggestion.code_id) * 2,
            ).fetchone()
            if exists is not None:
                continue
            conn.execute(
                "INSERT INTO suggestions (run_id, segment_id, code_id, rule_kind, rule, "
                "start_char, end_char, score, model_id) "
                "SELECT ?, segment_id, ?, 'learned', ?, start_char, end_char, ?, ? "
                "FROM segments WHERE segment_id = ?",
                (
                    run_id, suggestion.code_id, f"model {suggestion.model_id}", suggestion.score,
                    suggestion.model_id, suggestion.segment_id,
                ),
            )  # fmt: skip
            added += 1
        conn.execute(
            "UPDATE autocode_runs SET segments_processed = ?, codings_added = ?, finished_at = ? "
            "WHERE run_id = ?",
            (through, added, now_utc(), run_id),
        )
    return run_id, added
