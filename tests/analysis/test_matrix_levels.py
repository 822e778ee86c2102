"""Code-level matrices are complete: every coding counts in some column at every level.

Checked on the shipped demo and on generated codebooks of depth 1 to 4 with codings on every
kind of code (themes, codes with sub-codes, leaves), each cell against an independent SQL
count over ``codings_view`` and each row total against the theme-level total.
"""

from __future__ import annotations

import random
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from qualcode.analysis.cooccur import CooccurOptions, build_cooccurrence
from qualcode.analysis.matrix import ITSELF_SUFFIX, MatrixOptions, build_matrix
from qualcode.analysis.query import CodingFilter
from qualcode.models import Role, Segment
from qualcode.store.cases import ensure_case
from qualcode.store.codebooks import load_into_project
from qualcode.store.codings import code_segment
from qualcode.store.documents import PreparedDocument, store_document
from qualcode.store.project import Project, open_project
from tests.conftest import write

#: The population condition: respondent turns (the default) or every turn.
POPULATION = {False: "AND s.role IS NOT 'interviewer'", True: ""}


def independent_cell(
    conn: sqlite3.Connection, case_name: str, column_id: str, all_speakers: bool = False
) -> int:
    """Distinct segments of a case coded under a column, counted from codings_view."""
    if column_id.endswith(ITSELF_SUFFIX):
        code = column_id.removesuffix(ITSELF_SUFFIX)
        condition, parameters = "code = ?", [code]
    else:
        condition, parameters = "(code = ? OR code LIKE ? || '.%')", [column_id, column_id]
    return int(
        conn.execute(
            "SELECT count(DISTINCT v.segment_id) FROM codings_view v JOIN segments_view s "
            "ON s.segment_id = v.segment_id WHERE v.case_name = ? AND "
            + condition
            + f" {POPULATION[all_speakers]}",
            [case_name, *parameters],
        ).fetchone()[0]
    )


def independent_row_total(
    conn: sqlite3.Connection, case_name: str, all_speakers: bool = False
) -> int:
    """Distinct coded segments of a case, whatever the code."""
    return int(
        conn.execute(
            "SELECT count(DISTINCT v.segment_id) FROM codings_view v JOIN segments_view s "
            f"ON s.segment_id = v.segment_id WHERE v.case_name = ? {POPULATION[all_speakers]}",
            (case_name,),
        ).fetchone()[0]
    )


def check_complete(project: Project, depths: list[int | None]) -> None:
    """Every level/depth: each cell and row total equals the independent count."""
    conn = project.conn
    for everyone in (False, True):
        theme = build_matrix(project, MatrixOptions(all_speakers=everyone))
        expected_totals = [independent_row_total(conn, name, everyone) for name in theme.row_labels]
        assert theme.row_totals == expected_totals
        theme_count = build_matrix(project, MatrixOptions(measure="count", all_speakers=everyone))
        for depth in depths:
            options = MatrixOptions(level="code", depth=depth, all_speakers=everyone)
            matrix = build_matrix(project, options)
            assert matrix.row_totals == expected_totals, f"depth {depth}"
            assert matrix.grand_total == theme.grand_total
            for i, case_name in enumerate(matrix.row_labels):
                assert matrix.cells[i] == [
                    independent_cell(conn, case_name, column_id, everyone)
                    for column_id in matrix.column_ids
                ], f"depth {depth}, row {case_name}, all speakers {everyone}"
            count = build_matrix(project, replace(options, measure="count"))
            assert count.row_totals == theme_count.row_totals


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from qualcode.flows.demo import run_demo

    folder = tmp_path_factory.mktemp("demo-levels")
    return run_demo(folder).db_path


def test_demo_totals_agree_across_levels(demo_db: Path) -> None:
    with open_project(demo_db) as project:
        check_complete(project, [None, 1, 2])
        matrix = build_matrix(project, MatrixOptions(level="code"))
        # The demo's theme without sub-codes is a column, and codings on a theme itself are.
        assert "smart" in matrix.column_ids
        assert "grid" + ITSELF_SUFFIX in matrix.column_ids
        itself = matrix.column_ids.index("grid" + ITSELF_SUFFIX)
        assert matrix.column_labels[itself].endswith("(theme itself)")
        assert matrix.column_totals[itself] > 0
        # --codes smart at code level is the smart column, with its codings.
        smart = build_matrix(
            project, MatrixOptions(level="code", filters=CodingFilter(codes=("smart",)))
        )
        assert smart.column_ids == ["smart"]
        assert smart.column_totals == [
            sum(independent_cell(project.conn, name, "smart") for name in smart.row_labels)
        ]
        assert smart.grand_total > 0


def test_demo_cooccurrence_has_the_same_columns(demo_db: Path) -> None:
    with open_project(demo_db) as project:
        matrix = build_matrix(project, MatrixOptions(level="code"))
        cooccurrence = build_cooccurrence(project, CooccurOptions(level="code"))
        assert cooccurrence.code_ids == matrix.column_ids
        # The diagonal counts the segments coded under each column, as the column total does.
        assert [cooccurrence.counts[j][j] for j in range(len(matrix.column_ids))] == (
            matrix.column_totals
        )


def generated_codebook(depth: int, seed: int) -> tuple[str, list[str]]:
    """A YAML codebook of the given depth (themes at depth 0) and all its code ids."""
    generator = random.Random(seed)
    lines = ["name: generated", "codes:"]
    ids: list[str] = []

    def add(prefix: str, level: int, indent: str) -> None:
        for index in range(generator.randint(1, 3)):
            code_id = f"c{level}{index}"
            full = f"{prefix}.{code_id}" if prefix else code_id
            ids.append(full)
            lines.extend([f"{indent}- id: {code_id}", f"{indent}  name: 代码{full}"])
            # Some codes stop early (leaves above the deepest level), one branch goes deep.
            if level < depth and (index == 0 or generator.random() < 0.6):
                lines.append(f"{indent}  codes:")
                add(full, level + 1, indent + "    ")

    add("", 0, "  ")
    return "\n".join(lines) + "\n", ids


@pytest.mark.parametrize("depth", [0, 1, 2, 3])
def test_generated_codebooks_are_complete_at_every_depth(
    project: Project, tmp_path: Path, depth: int
) -> None:
    yaml_text, code_ids = generated_codebook(depth, seed=depth)
    load_into_project(project, write(tmp_path / "generated.yml", yaml_text))
    generator = random.Random(100 + depth)
    with project.transaction() as conn:
        for case in ("A", "B", "C"):
            ensure_case(conn, case)
    for number, case in enumerate(("A", "B", "C", "A")):
        lines = [f"第{number}段第{line}句话。" for line in range(12)]
        text = "\n".join(lines)
        segments, start = [], 0
        for ordinal, line in enumerate(lines):
            role: Role = "interviewer" if ordinal % 3 == 0 else "respondent"
            segments.append(Segment(ordinal, start, start + len(line), "甲", role))
            start += len(line) + 1
        prepared = PreparedDocument(
            name=f"doc{number}.txt", source_path=f"doc{number}.txt", text=text,
            encoding="utf-8", source_format="txt", language="zh", unit="turn",
            segments=segments,
        )  # fmt: skip
        store_document(project, prepared, case_name=case)
    segment_ids = [int(row[0]) for row in project.conn.execute("SELECT segment_id FROM segments")]
    chosen = {
        (
            generator.choice(segment_ids),
            generator.choice(code_ids),
            generator.choice(["li", "wang"]),
        )
        for _ in range(60)
    }
    for segment_id, code_id, coder in sorted(chosen):
        code_segment(project, segment_id, code_id, coder=coder)
    check_complete(project, [None, *range(1, depth + 2)])
