"""Which codings count (the coder policy) is explicit, settable and stated everywhere.

Each analysis command (``matrix``, ``quotes``, ``report``, ``chart matrix``, ``cooccur``,
``freq``) runs with each coder policy (every coding; manual only; one coder; two coders;
``--agreed 2`` and ``3``, with and without coders) on the demo project and on a generated one
whose coders agree and disagree on purpose; every number is recomputed by an independent SQL
query over ``codings_view`` here.
"""

from __future__ import annotations

import json
import random
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from qualcode.analysis.cooccur import CooccurOptions, build_cooccurrence
from qualcode.analysis.matrix import MatrixOptions, build_matrix
from qualcode.analysis.query import CodingFilter, policy_text, segment_themes
from qualcode.analysis.quotes import iter_quotes
from qualcode.cli import app
from qualcode.errors import NotFoundError, UsageError
from qualcode.models import Role, Segment
from qualcode.store.cases import ensure_case
from qualcode.store.codebooks import load_into_project
from qualcode.store.codings import Span, code_segment
from qualcode.store.documents import PreparedDocument, store_document
from qualcode.store.project import Project, open_project
from tests.conftest import write

LI, WANG = "li (illustrative)", "wang (illustrative)"

#: (command-line options, the same policy as a filter), on the demo's coders.
DEMO_POLICIES: list[tuple[list[str], CodingFilter]] = [
    ([], CodingFilter()),
    (["--origin", "manual"], CodingFilter(origin="manual")),
    (["--coder", LI], CodingFilter(coders=(LI,))),
    (["--coder", LI, "--coder", WANG], CodingFilter(coders=(LI, WANG))),
    (["--agreed", "2"], CodingFilter(agreed=2)),
    (["--agreed", "3"], CodingFilter(agreed=3)),
    (["--origin", "manual", "--agreed", "2"], CodingFilter(origin="manual", agreed=2)),
    (["--coder", f"{LI},auto", "--agreed", "2"], CodingFilter(coders=(LI, "auto"), agreed=2)),
]


def independent_where(filters: CodingFilter) -> tuple[str, list[object]]:
    """The policy as a condition on ``codings_view v``, written out independently: the
    coder and origin conditions, and for ``agreed`` the (segment, code) pairs that at least K
    distinct coders (all automatic codings one coder) applied among the codings kept."""
    clauses: list[str] = ["1"]
    parameters: list[object] = []
    if filters.coders:
        clauses.append(f"v.coder IN ({', '.join('?' * len(filters.coders))})")
        parameters += list(filters.coders)
    if filters.origin != "all":
        clauses.append("v.origin = ?")
        parameters.append(filters.origin)
    base = " AND ".join(clauses)
    if (filters.agreed or 1) > 1:
        clauses.append(
            "EXISTS (SELECT 1 FROM codings_view w WHERE w.segment_id = v.segment_id "
            "AND w.code = v.code AND "
            + base.replace("v.", "w.")
            + " GROUP BY w.segment_id, w.code HAVING count(DISTINCT CASE w.origin "
            "WHEN 'auto' THEN '(auto)' ELSE 'by ' || w.coder END) >= ?)"
        )
        parameters = parameters + parameters + [filters.agreed]
    return " AND ".join(clauses), parameters


def theme_cells(
    conn: sqlite3.Connection, filters: CodingFilter, measure: str = "segments"
) -> dict[tuple[str, str], int]:
    """``{(case, theme): number}`` over respondent turns: distinct segments or codings."""
    where, parameters = independent_where(filters)
    what = "count(DISTINCT v.segment_id)" if measure == "segments" else "count(*)"
    return {
        (str(case), str(theme)): int(number)
        for case, theme, number in conn.execute(
            f"SELECT v.case_name, v.theme, {what} FROM codings_view v JOIN segments_view s "
            f"ON s.segment_id = v.segment_id WHERE s.role IS NOT 'interviewer' AND {where} "
            "GROUP BY v.case_name, v.theme",
            parameters,
        )
    }


def row_totals(conn: sqlite3.Connection, filters: CodingFilter) -> dict[str, int]:
    where, parameters = independent_where(filters)
    return {
        str(case): int(number)
        for case, number in conn.execute(
            "SELECT v.case_name, count(DISTINCT v.segment_id) FROM codings_view v JOIN "
            "segments_view s ON s.segment_id = v.segment_id WHERE s.role IS NOT 'interviewer' "
            f"AND {where} GROUP BY v.case_name",
            parameters,
        )
    }


def check_matrix(project: Project, filters: CodingFilter) -> None:
    """Theme cells (segments and count) and the row totals of every level against SQL."""
    conn = project.conn
    for measure in ("segments", "count"):
        matrix = build_matrix(project, MatrixOptions(measure=measure, filters=filters))
        expected = theme_cells(conn, filters, measure)
        for i, case in enumerate(matrix.row_labels):
            assert matrix.cells[i] == [
                expected.get((case, theme), 0) for theme in matrix.column_ids
            ], (filters, measure, case)
    totals = row_totals(conn, filters)
    theme_level = build_matrix(project, MatrixOptions(filters=filters))
    assert theme_level.row_totals == [totals.get(case, 0) for case in theme_level.row_labels]
    code_level = build_matrix(project, MatrixOptions(level="code", filters=filters))
    assert code_level.row_totals == theme_level.row_totals, filters


def independent_coding_ids(conn: sqlite3.Connection, filters: CodingFilter) -> list[int]:
    where, parameters = independent_where(filters)
    return sorted(
        int(row[0])
        for row in conn.execute(f"SELECT v.coding_id FROM codings_view v WHERE {where}", parameters)
    )


def independent_theme_segments(
    conn: sqlite3.Connection, filters: CodingFilter
) -> dict[int, list[str]]:
    where, parameters = independent_where(filters)
    themes: dict[int, list[str]] = {}
    for segment_id, theme in conn.execute(
        f"SELECT DISTINCT v.segment_id, v.theme FROM codings_view v WHERE {where} "
        "ORDER BY v.segment_id, v.theme",
        parameters,
    ):
        themes.setdefault(int(segment_id), []).append(str(theme))
    return themes


def check_every_reader(project: Project, filters: CodingFilter) -> None:
    """Matrix, quotes, co-occurrence and the themes of word frequencies, against SQL."""
    conn = project.conn
    check_matrix(project, filters)
    quotes = sorted(row["coding_id"] for row in iter_quotes(project, filters))
    assert quotes == independent_coding_ids(conn, filters)
    themes = {key: sorted(value) for key, value in segment_themes(conn, filters).items()}
    assert themes == independent_theme_segments(conn, filters)
    cooccurrence = build_cooccurrence(project, CooccurOptions(level="theme", filters=filters))
    where, parameters = independent_where(filters)
    per_theme = dict(
        conn.execute(
            f"SELECT v.theme, count(DISTINCT v.segment_id) FROM codings_view v WHERE {where} "
            "GROUP BY v.theme",
            parameters,
        ).fetchall()
    )
    assert [cooccurrence.counts[j][j] for j in range(len(cooccurrence.code_ids))] == [
        per_theme.get(theme, 0) for theme in cooccurrence.code_ids
    ]


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from qualcode.flows.demo import run_demo

    return run_demo(tmp_path_factory.mktemp("demo-policy")).db_path


@pytest.mark.parametrize(("arguments", "filters"), DEMO_POLICIES)
def test_demo_readers_follow_each_policy(
    demo_db: Path, arguments: list[str], filters: CodingFilter
) -> None:
    with open_project(demo_db) as project:
        check_every_reader(project, filters)


def test_demo_agreement_is_not_empty_and_narrows(demo_db: Path) -> None:
    """The demo's coders agree somewhere and disagree elsewhere, so the policies differ."""
    with open_project(demo_db) as project:
        every = build_matrix(project, MatrixOptions()).grand_total
        agreed = build_matrix(project, MatrixOptions(filters=CodingFilter(agreed=2))).grand_total
        both = build_matrix(
            project, MatrixOptions(filters=CodingFilter(coders=(LI, WANG), agreed=2))
        ).grand_total
    assert 0 < both < agreed < every


def run(db: Path, *arguments: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["--db", str(db), *arguments], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(("arguments", "filters"), DEMO_POLICIES)
def test_each_command_states_the_policy_it_used(
    demo_db: Path, tmp_path: Path, arguments: list[str], filters: CodingFilter
) -> None:
    """Every analysis command takes every policy and says which one it used, in the
    terminal, in JSON, in the report and chart headers and in XLSX; the numbers it writes
    are the independent ones."""
    policy = policy_text(filters)
    fields = {
        "origin": filters.origin,
        "coders": list(filters.coders),
        "agreed": filters.agreed or 1,
    }
    conn = sqlite3.connect(demo_db)
    try:
        expected_cells = theme_cells(conn, filters)
        expected_ids = independent_coding_ids(conn, filters)
    finally:
        conn.close()
    # matrix: the terminal caption, the JSON field and the XLSX note; its numbers.
    status, table, _ = run(demo_db, "matrix", *arguments)
    assert status == 0 and "counted:" in table
    status, text, _ = run(demo_db, "matrix", *arguments, "--format", "json")
    data = json.loads(text)
    assert data["policy"] == fields
    assert {
        (row["label"], column["id"]): cell
        for row in data["rows"]
        for column, cell in zip(data["columns"], row["cells"], strict=True)
        if cell
    } == {key: value for key, value in expected_cells.items() if value}
    workbook_path = tmp_path / "matrix.xlsx"
    assert run(demo_db, "matrix", *arguments, "-o", str(workbook_path))[0] == 0
    sheet = load_workbook(workbook_path)["matrix"]
    assert any(policy in str(cell.value) for row in sheet.iter_rows() for cell in row)
    status, markdown, _ = run(demo_db, "matrix", *arguments, "--format", "md")
    assert policy in markdown
    # quotes: one row per counted coding; the policy on stderr and on an XLSX sheet.
    status, text, stderr = run(demo_db, "quotes", *arguments, "--format", "json")
    assert status == 0 and policy in stderr
    assert sorted(row["coding_id"] for row in json.loads(text)) == expected_ids
    quotes_path = tmp_path / "quotes.xlsx"
    assert run(demo_db, "quotes", *arguments, "-o", str(quotes_path))[0] == 0
    assert load_workbook(quotes_path)["policy"]["A2"].value == policy
    # cooccur: JSON field, terminal title, XLSX sheet.
    status, text, _ = run(demo_db, "cooccur", *arguments, "--format", "json")
    assert status == 0 and json.loads(text)["policy"] == fields
    assert "counted:" in run(demo_db, "cooccur", *arguments)[1]
    cooccur_path = tmp_path / "cooccur.xlsx"
    assert run(demo_db, "cooccur", *arguments, "-o", str(cooccur_path))[0] == 0
    assert load_workbook(cooccur_path)["policy"]["A2"].value == policy
    # report: the header states it.
    report_path = tmp_path / "report.html"
    assert run(demo_db, "report", *arguments, "--quotes", "1", "-o", str(report_path))[0] == 0
    import html

    assert html.escape(policy) in report_path.read_text(encoding="utf-8")
    # freq by theme says which codings put a segment under a theme.
    status, _, stderr = run(demo_db, "freq", *arguments, "--top", "2", "--format", "csv")
    assert status == 0 and policy in stderr


@pytest.mark.slow
@pytest.mark.parametrize(("arguments", "filters"), DEMO_POLICIES[::3])
def test_chart_takes_each_policy(
    demo_db: Path, tmp_path: Path, arguments: list[str], filters: CodingFilter
) -> None:
    path = tmp_path / "heatmap.svg"
    status, _, stderr = run(demo_db, "chart", "matrix", *arguments, "-o", str(path))
    assert status == 0, stderr
    assert path.stat().st_size > 0


def test_policies_that_can_never_hold_or_name_nobody_are_errors(demo_db: Path) -> None:
    with pytest.raises(UsageError, match="--agreed 3 can never hold among the 2 coders"):
        CodingFilter(coders=(LI, WANG), agreed=3)
    with pytest.raises(UsageError, match="--origin auto"):
        CodingFilter(origin="auto", agreed=2)
    with pytest.raises(UsageError, match="at least 1"):
        CodingFilter(agreed=0)
    with open_project(demo_db) as project, pytest.raises(NotFoundError, match="no coder 'li'"):
        build_matrix(project, MatrixOptions(filters=CodingFilter(coders=(LI, "li"), agreed=2)))
    status, _, stderr = run(demo_db, "matrix", "--coder", "li", "--coder", WANG)
    assert status == 1 and stderr.startswith("Error: no coder 'li'")


# --------------------------------------------------------------------------------------------
# A generated project: three coders and an auto-coder who agree and disagree on purpose

CODEBOOK = """\
name: generated
codes:
  - id: a
    name: 甲
    codes:
      - id: x
        name: 甲一
      - id: y
        name: 甲二
  - id: b
    name: 乙
    codes:
      - id: z
        name: 乙一
  - id: c
    name: 丙
"""
CODES = ("a", "a.x", "a.y", "b", "b.z", "c")
CODERS = ("ann", "bo", "cy")


def generated(project: Project, folder: Path, seed: int) -> None:
    """Three cases, four documents of 15 turns (every third a question), and for random
    (segment, code) pairs each coder (and a fake auto run) applying it with probability 1/2,
    sometimes twice with different spans, so every number of agreeing coders occurs."""
    load_into_project(project, write(folder / "generated.yml", CODEBOOK))
    generator = random.Random(seed)
    with project.transaction() as conn:
        for case in ("A", "B", "C"):
            ensure_case(conn, case)
        conn.execute(
            "INSERT INTO autocode_runs (run_id, version_id, codebook_hash, mode, parameters, "
            "tool_version, run_by, through_segment_id, started_at, finished_at) "
            "VALUES (1, 1, 'x', 'apply', '{}', 'test', 'test', 0, 'now', 'now')"
        )
    for number, case in enumerate(("A", "B", "C", "A")):
        lines = [f"第{number}段第{line}句话有十个字。" for line in range(15)]
        segments, start = [], 0
        for ordinal, line in enumerate(lines):
            role: Role = "interviewer" if ordinal % 3 == 0 else "respondent"
            segments.append(Segment(ordinal, start, start + len(line), "甲", role))
            start += len(line) + 1
        prepared = PreparedDocument(
            name=f"doc{number}.txt", source_path="generated", text="\n".join(lines),
            encoding="utf-8", source_format="txt", language="zh", unit="turn", segments=segments,
        )  # fmt: skip
        store_document(project, prepared, case_name=case)
    segment_ids = [int(row[0]) for row in project.conn.execute("SELECT segment_id FROM segments")]
    for segment_id in segment_ids:
        for code_id in generator.sample(CODES, 2):
            for coder in (*CODERS, "auto"):
                if generator.random() < 0.5:
                    continue
                spans = [None] if generator.random() < 0.8 else [(0, 3), (4, 8)]
                for span in spans:
                    add_coding(project, segment_id, code_id, coder, span)


def add_coding(
    project: Project, segment_id: int, code_id: str, coder: str, span: tuple[int, int] | None
) -> None:
    """A manual coding through the store, or an automatic one of run 1 (as a run writes it)."""
    start, end = span or (None, None)
    if coder != "auto":
        code_segment(project, segment_id, code_id, coder=coder, span=Span(start=start, end=end))
        return
    with project.transaction() as conn:
        first, last = conn.execute(
            "SELECT start_char, end_char FROM segments WHERE segment_id = ?", (segment_id,)
        ).fetchone()
        if span is not None:
            first, last = first + span[0], first + span[1]
        conn.execute(
            "INSERT INTO codings (segment_id, code_id, coder, origin, run_id, rule_kind, rule, "
            "start_char, end_char, created_at) VALUES (?, ?, 'auto', 'auto', 1, 'keyword', "
            "'句话', ?, ?, 'now')",
            (segment_id, code_id, first, last),
        )


GENERATED_POLICIES: Sequence[CodingFilter] = (
    CodingFilter(),
    CodingFilter(origin="manual"),
    CodingFilter(origin="auto"),
    CodingFilter(coders=("ann", "bo")),
    CodingFilter(agreed=2),
    CodingFilter(agreed=3),
    CodingFilter(agreed=4),
    CodingFilter(origin="manual", agreed=2),
    CodingFilter(origin="manual", agreed=3),
    CodingFilter(coders=("ann", "bo"), agreed=2),
    CodingFilter(coders=("ann", "auto"), agreed=2),
    CodingFilter(coders=("cy",), agreed=1),
    CodingFilter(agreed=2, codes=("a",), cases=("A", "C")),
)


@pytest.mark.parametrize("seed", [1, 2])
def test_generated_project_follows_each_policy(project: Project, tmp_path: Path, seed: int) -> None:
    generated(project, tmp_path, seed)
    # Every number of agreeing coders, 1 to 4, occurs somewhere.
    agreement = {
        int(row[0])
        for row in project.conn.execute(
            "SELECT count(DISTINCT CASE origin WHEN 'auto' THEN '' ELSE coder END) FROM "
            "codings_view GROUP BY segment_id, code"
        )
    }
    assert agreement == {1, 2, 3, 4}
    for filters in GENERATED_POLICIES:
        if filters.codes or filters.cases:
            check_filtered(project, filters)
        else:
            check_every_reader(project, filters)


def check_filtered(project: Project, filters: CodingFilter) -> None:
    """With codes and cases: agreement is decided on the codings of those codes, in those
    cases' documents; the quotes are exactly those."""
    where, parameters = independent_where(filters)
    expected = sorted(
        int(row[0])
        for row in project.conn.execute(
            f"SELECT v.coding_id FROM codings_view v WHERE {where} AND (v.code = ? OR v.code "
            f"LIKE ? || '.%') AND v.case_name IN ({', '.join('?' * len(filters.cases))})",
            [*parameters, *filters.codes, *filters.codes, *filters.cases],
        )
    )
    assert sorted(row["coding_id"] for row in iter_quotes(project, filters)) == expected
    assert expected
