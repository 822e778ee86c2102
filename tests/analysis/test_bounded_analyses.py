"""The analyses that read a project in chunks or as a stream (so that their memory stays flat at
millions of segments) give what the ways that held everything in memory gave.

Checked on the demo project and on a generated one with three coders who agree and disagree
on purpose (``tests.analysis.test_policy.generated``): matrix cells against an independent SQL
count, ``agree`` against the same comparison made from every segment's key in memory (the
two-project path, which still reads that way), the open-disagreement count against the units
``adjudicate`` lists, the themes ``freq`` groups by against the dict they came from, and
``codings import`` against writing the checked rows one by one as it did before.
"""

from __future__ import annotations

import csv
import random
from dataclasses import replace
from pathlib import Path

import pytest

from qualcode.agreement.compare import AgreementOptions, compare_coders
from qualcode.analysis.freq import _ThemesInOrder
from qualcode.analysis.matrix import MatrixOptions, Measure, build_matrix
from qualcode.analysis.query import (
    CodingFilter,
    segment_arrays,
    segment_chunks,
    segment_themes,
    segment_themes_in_order,
)
from qualcode.errors import ConflictError
from qualcode.flows.codings_import import import_codings, plan_codings
from qualcode.store.adjudications import (
    Decision,
    open_disagreement_count,
    open_units,
    record_decisions,
)
from qualcode.store.codings import Span, code_in_transaction
from qualcode.store.journal import journaled
from qualcode.store.project import open_project
from tests.analysis.test_policy import CODERS, generated

DEMO_CODERS = ("li (illustrative)", "wang (illustrative)")


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from qualcode.flows.demo import run_demo

    return run_demo(tmp_path_factory.mktemp("demo-bounded")).db_path


def make_generated(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "generated.db"
    with open_project(path, create=True) as project:
        generated(project, folder, seed=5)
    return path


@pytest.fixture(scope="module")
def generated_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_generated(tmp_path_factory.mktemp("generated-bounded"))


def independent_cells(
    db_path: Path, measure: Measure, all_speakers: bool
) -> dict[tuple[str, str], int]:
    """(case, theme) -> distinct segments, codings or documents, straight from the views."""
    counted = {
        "segments": "count(DISTINCT v.segment_id)",
        "count": "count(*)",
        "respondents": "count(DISTINCT v.document)",
    }[measure]
    role = "" if all_speakers else "AND s.role IS NOT 'interviewer'"
    with open_project(db_path) as project:
        return {
            (str(case), str(theme)): int(number)
            for case, theme, number in project.conn.execute(
                f"SELECT v.case_name, v.theme, {counted} FROM codings_view v "
                "JOIN segments s ON s.segment_id = v.segment_id "
                f"WHERE v.theme IS NOT NULL {role} GROUP BY v.case_name, v.theme"
            )
        }


@pytest.mark.parametrize("measure", ["segments", "count", "respondents"])
@pytest.mark.parametrize("all_speakers", [False, True])
@pytest.mark.parametrize("which", ["demo", "generated"])
def test_matrix_cells_equal_an_independent_count(
    request: pytest.FixtureRequest, which: str, measure: Measure, all_speakers: bool
) -> None:
    db_path: Path = request.getfixturevalue(f"{which}_db")
    with open_project(db_path) as project:
        matrix = build_matrix(project, MatrixOptions(measure=measure, all_speakers=all_speakers))
    cells = {
        (case, theme): value
        for case, values in zip(matrix.row_labels, matrix.cells, strict=True)
        for theme, value in zip(matrix.column_ids, values, strict=True)
        if value
    }
    assert cells == independent_cells(db_path, measure, all_speakers)
    assert cells  # something is counted


def test_segment_chunks_together_are_the_segment_arrays(generated_db: Path) -> None:
    with open_project(generated_db) as project:
        whole = segment_arrays(project.conn, CodingFilter())
        ids: list[int] = []
        for part in segment_chunks(project.conn, CodingFilter(), chunk=7):
            assert len(part.segment_ids) <= 7
            ids += part.segment_ids
    assert ids == whole.segment_ids
    assert len(ids) == 60


AGREEMENTS = [
    AgreementOptions(coders=CODERS[:2]),
    AgreementOptions(coders=CODERS[:2], all_segments=True),
    AgreementOptions(coders=CODERS, unit="char"),
    AgreementOptions(coders=CODERS[:2], bootstrap=200, seed=3),
    AgreementOptions(coders=CODERS[1:], variable="a"),
]


@pytest.mark.parametrize("options", AGREEMENTS)
def test_agree_streamed_equals_every_key_in_memory(
    generated_db: Path, options: AgreementOptions
) -> None:
    """The other-project path still builds every segment's key; given this very file as the
    other project, it compares the same coders on the same segments."""
    with open_project(generated_db) as project:
        try:
            streamed = compare_coders(project, options)
        except ConflictError as error:
            with pytest.raises(ConflictError) as again:
                compare_coders(project, replace(options, other=generated_db))
            assert str(again.value) == str(error)
            return
        in_memory = compare_coders(project, replace(options, other=generated_db))
    assert streamed.rows == in_memory.rows
    assert streamed.segments == in_memory.segments
    assert streamed.unit_basis == in_memory.unit_basis
    assert streamed.rows


def test_agree_streamed_on_the_demo(demo_db: Path) -> None:
    options = AgreementOptions(coders=DEMO_CODERS, bootstrap=100, seed=1)
    with open_project(demo_db) as project:
        streamed = compare_coders(project, options)
        in_memory = compare_coders(project, replace(options, other=demo_db))
    assert (streamed.rows, streamed.segments) == (in_memory.rows, in_memory.segments)


@pytest.mark.parametrize("all_segments", [False, True])
def test_open_disagreements_are_counted_as_adjudicate_lists_them(
    tmp_path: Path, all_segments: bool
) -> None:
    db_path = make_generated(tmp_path)
    with open_project(db_path) as project:
        for coders in (CODERS[:2], CODERS):
            units = open_units(project.conn, coders, all_segments=all_segments, agreements=False)
            count = open_disagreement_count(project.conn, coders, all_segments=all_segments)
            assert count == len(units) > 3
        # Decided units are no longer open.
        units = open_units(project.conn, CODERS[:2], agreements=False)
        decisions = [
            (unit, Decision(unit.segment_id, unit.code_id, keep=False)) for unit in units[:3]
        ]
        record_decisions(project, CODERS[:2], decisions, consensus="together", decided_by="test")
        after = open_units(project.conn, CODERS[:2], all_segments=all_segments, agreements=False)
        assert open_disagreement_count(project.conn, CODERS[:2], all_segments=all_segments) == len(
            after
        )


@pytest.mark.parametrize("filters", [CodingFilter(), CodingFilter(coders=CODERS[:1]),
                                     CodingFilter(agreed=2)])  # fmt: skip
def test_freq_themes_in_order_are_the_themes_by_segment(
    generated_db: Path, filters: CodingFilter
) -> None:
    with open_project(generated_db) as project:
        conn = project.conn
        by_segment = segment_themes(conn, filters)
        in_order = list(segment_themes_in_order(conn, filters))
        lookup = _ThemesInOrder(segment_themes_in_order(conn, filters))
        segment_ids = [int(row[0]) for row in conn.execute("SELECT segment_id FROM segments")]
        looked_up = {segment_id: lookup(segment_id, None) for segment_id in sorted(segment_ids)}
    assert [segment_id for segment_id, _ in in_order] == sorted(by_segment)
    assert dict(in_order) == by_segment
    assert looked_up == {segment_id: by_segment.get(segment_id, []) for segment_id in segment_ids}


def codings_table(path: Path, db_path: Path) -> Path:
    """Rows of every location kind, some repeated and some already in the project."""
    generator = random.Random(11)
    with open_project(db_path) as project:
        segments = project.conn.execute(
            "SELECT d.name, s.ordinal, s.start_char, s.end_char, s.text FROM segments s "
            "JOIN documents d ON d.document_id = s.document_id ORDER BY s.segment_id"
        ).fetchall()
    rows = [["document", "code", "coder", "segment_ordinal", "start_char", "end_char", "memo"]]
    for document, ordinal, start, end, _text in segments:
        for coder in ("ann", "dee"):
            code = generator.choice(["a", "a.x", "b.z", "c"])
            if generator.random() < 0.5:
                rows.append([document, code, coder, str(ordinal), "", "", ""])
            else:
                rows.append([document, code, coder, "", str(start + 1), str(end - 1), "memo"])
            if generator.random() < 0.2:
                rows.append(rows[-1])
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def test_codings_import_equals_writing_row_by_row(tmp_path: Path) -> None:
    staged = make_generated(tmp_path / "staged")
    one_by_one = make_generated(tmp_path / "one_by_one")
    table = codings_table(tmp_path / "codings.csv", staged)
    with open_project(staged) as project:
        result = import_codings(project, table)
    with open_project(one_by_one) as project:
        planned = plan_codings(project.conn, table)
        added = 0
        with journaled(project, "codings-import", f"import {len(planned)} codings") as conn:
            for row in planned:
                created = code_in_transaction(
                    conn, row.segment_id, row.code_id, coder=row.coder,
                    span=Span(start=row.start, end=row.end), memo=row.memo,
                )  # fmt: skip
                added += created.created
    assert (result.rows, result.added) == (len(planned), added)
    assert 0 < added < len(planned)
    query = (
        "SELECT coding_id, segment_id, code_id, coder, origin, start_char, end_char, memo "
        "FROM codings ORDER BY coding_id"
    )
    changes = "SELECT count(*) FROM journal_changes"
    with open_project(staged) as first, open_project(one_by_one) as second:
        assert first.conn.execute(query).fetchall() == second.conn.execute(query).fetchall()
        assert first.conn.execute(changes).fetchone() == second.conn.execute(changes).fetchone()
