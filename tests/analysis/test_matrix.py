"""Theme matrices on a small fixture study, checked against plain SQL computed in the test.

The fixture (:func:`build_study`) is shared by the export, quotes and co-occurrence tests: three
communities (one without interviews, so its row is empty), a codebook with a never-used theme
(an empty column), automatic codings from a real autocode run and manual codings by two coders.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from qualcode.analysis.matrix import MISSING_LABEL, MatrixOptions, build_matrix
from qualcode.analysis.query import CodingFilter
from qualcode.autocode.runs import AutocodeOptions, run_autocode
from qualcode.errors import NotFoundError
from qualcode.models import Segment
from qualcode.store.cases import AttributeValue, set_case_attributes
from qualcode.store.codebooks import load_into_project
from qualcode.store.codings import Span, code_segment
from qualcode.store.documents import PreparedDocument, store_document
from qualcode.store.project import Project
from tests.conftest import FIXTURES, Cli, write

CODEBOOK = (FIXTURES / "codebooks" / "mini_three_levels.yml").read_text(encoding="utf-8")

#: (speaker, role, text) per line; each line is one segment.
INTERVIEWS = {
    "chaiji.txt": ("柴机社区", [
        ("采访者", "interviewer", "有没有谣言？"),
        ("受访者", "respondent", "我们设了卡口，网格员值守。"),
        ("受访者", "respondent", "微信群里有人传谣言。"),
        ("受访者", "respondent", "夜里也有人守卡口。"),
    ]),
    "huazhuang.txt": ("华庄社区", [
        ("采访者", "interviewer", "谣言多吗？"),
        ("受访者", "respondent", "谣言不多，网格员很忙。"),
        ("受访者", "respondent", "我们靠志愿者。"),
    ]),
}  # fmt: skip

ATTRIBUTES: dict[str, dict[str, AttributeValue]] = {
    "柴机社区": {"district": "梁溪区", "community_type": "老旧小区", "households": 3200},
    "华庄社区": {"district": "滨湖区", "community_type": "商品房小区", "households": 5100},
    "清名社区": {"district": "梁溪区", "households": 900},
}
CASES = ("柴机社区", "华庄社区", "清名社区")
THEMES = ["grid", "opinion", "shortfalls"]


def build_study(project: Project, folder: Path) -> dict[str, list[int]]:
    """Store the fixture study; return the segment ids of each document, in order."""
    from qualcode.store.cases import ensure_case

    with project.transaction() as conn:
        for name in CASES:
            ensure_case(conn, name)
    for name, attributes in ATTRIBUTES.items():
        set_case_attributes(project, name, attributes)
    for document_name, (case_name, lines) in INTERVIEWS.items():
        text = ""
        segments = []
        for ordinal, (speaker, role, line) in enumerate(lines):
            start = len(text) + len(speaker) + 1
            text += f"{speaker}：{line}\n"
            segments.append(Segment(ordinal, start, start + len(line), speaker, role))  # type: ignore[arg-type]
        prepared = PreparedDocument(
            name=document_name, source_path=document_name, text=text, encoding="utf-8",
            source_format="txt", language="zh", unit="turn", segments=segments,
        )  # fmt: skip
        store_document(project, prepared, case_name=case_name)
    load_into_project(project, write(folder / "mini.yml", CODEBOOK))
    run_autocode(project, AutocodeOptions(run_by="test"))
    ids: dict[str, list[int]] = {}
    for document_name in INTERVIEWS:
        ids[document_name] = [
            row[0]
            for row in project.conn.execute(
                "SELECT s.segment_id FROM segments s JOIN documents d USING (document_id) "
                "WHERE d.name = ? ORDER BY s.ordinal",
                (document_name,),
            )
        ]
    chaiji, huazhuang = ids["chaiji.txt"], ids["huazhuang.txt"]
    code_segment(project, chaiji[3], "grid.checkpoints.night", coder="li")
    code_segment(project, chaiji[0], "opinion.rumours", coder="li")
    code_segment(project, chaiji[1], "grid.checkpoints", coder="wang", span=Span(quote="卡口"))
    code_segment(project, huazhuang[1], "grid.workers", coder="wang", span=Span(quote="网格员"))
    # An accepted suggestion: a manual coding that keeps the run and rule it came from.
    code_segment(project, huazhuang[2], "shortfalls.staff", coder="wang", run_id=1,
                 rule="志愿者", rule_kind="keyword")  # fmt: skip
    return ids


@pytest.fixture
def study(project: Project, tmp_path: Path) -> dict[str, list[int]]:
    return build_study(project, tmp_path)


#: The default population of every measure, as a condition on the segment ``s``.
RESPONDENT = "s.role IS NOT 'interviewer'"


def expected_segments(
    conn: sqlite3.Connection, case_name: str, theme: str, where: str = "1"
) -> int:
    """Distinct segments of a case with any current coding under a theme, in plain SQL."""
    return int(
        conn.execute(
            "SELECT count(DISTINCT c.segment_id) FROM codings c "
            "JOIN segments s ON s.segment_id = c.segment_id "
            "JOIN documents d ON d.document_id = s.document_id "
            "JOIN cases k ON k.case_id = d.case_id "
            "WHERE c.superseded_by_run IS NULL AND k.name = ? "
            f"AND (c.code_id = ? OR c.code_id LIKE ? || '.%') AND {where}",
            (case_name, theme, theme),
        ).fetchone()[0]
    )


def test_cells_equal_distinct_segments_computed_independently(
    project: Project, study: dict[str, list[int]]
) -> None:
    matrix = build_matrix(project, MatrixOptions(all_speakers=True))
    assert matrix.row_labels == list(CASES)
    assert matrix.column_ids == THEMES
    assert matrix.column_labels == ["网格化治理", "舆情引导", "治理短板"]
    for i, case_name in enumerate(CASES):
        for j, theme in enumerate(THEMES):
            assert matrix.cells[i][j] == expected_segments(project.conn, case_name, theme)
    assert matrix.cells == [[2, 2, 0], [1, 1, 1], [0, 0, 0]]
    # Row totals count a segment once even when it has two themes (华庄 segment 1).
    assert matrix.row_totals == [4, 2, 0]
    assert matrix.column_totals == [3, 3, 1]
    assert matrix.grand_total == 6
    # By default only respondent turns count: li's coding of the question 有没有谣言 does not.
    respondents = build_matrix(project, MatrixOptions())
    for i, case_name in enumerate(CASES):
        for j, theme in enumerate(THEMES):
            assert respondents.cells[i][j] == expected_segments(
                project.conn, case_name, theme, RESPONDENT
            )
    assert respondents.cells == [[2, 1, 0], [1, 1, 1], [0, 0, 0]]
    assert respondents.row_totals == [3, 2, 0]
    assert respondents.grand_total == 5


def test_empty_rows_and_columns_are_kept(project: Project, study: dict[str, list[int]]) -> None:
    matrix = build_matrix(project, MatrixOptions(filters=CodingFilter(origin="auto")))
    assert matrix.row_labels == list(CASES)
    assert matrix.column_ids == THEMES
    assert matrix.cells == [[2, 1, 0], [1, 1, 0], [0, 0, 0]]


def test_filters_by_coder_and_origin(project: Project, study: dict[str, list[int]]) -> None:
    conn = project.conn
    for filters, where in (
        (CodingFilter(coders=("li",)), "c.coder = 'li'"),
        (CodingFilter(coders=("wang",)), "c.coder = 'wang'"),
        (CodingFilter(origin="manual"), "c.origin = 'manual'"),
        (CodingFilter(origin="auto"), "c.origin = 'auto'"),
    ):
        for all_speakers, condition in ((True, where), (False, f"{where} AND {RESPONDENT}")):
            matrix = build_matrix(
                project, MatrixOptions(filters=filters, all_speakers=all_speakers)
            )
            expected = [
                [expected_segments(conn, case_name, theme, condition) for theme in THEMES]
                for case_name in CASES
            ]
            assert matrix.cells == expected, (filters, all_speakers)
    # The accepted suggestion counts as manual.
    manual = build_matrix(
        project, MatrixOptions(filters=CodingFilter(origin="manual"), all_speakers=True)
    )
    assert manual.cells == [[2, 1, 0], [1, 0, 1], [0, 0, 0]]
    li = MatrixOptions(filters=CodingFilter(coders=("li",)), all_speakers=True)
    assert build_matrix(project, li).cells == [[1, 1, 0], [0, 0, 0], [0, 0, 0]]


def test_filters_by_code_and_case(project: Project, study: dict[str, list[int]]) -> None:
    matrix = build_matrix(
        project,
        MatrixOptions(filters=CodingFilter(codes=("grid.checkpoints",), cases=("柴机社区",))),
    )
    assert matrix.row_labels == ["柴机社区"]
    assert matrix.column_ids == ["grid"]
    assert matrix.cells == [[2]]
    with pytest.raises(NotFoundError, match=r"grid\.checkpoint'.*did you mean 'grid\.checkpoints'"):
        build_matrix(project, MatrixOptions(filters=CodingFilter(codes=("grid.checkpoint",))))
    with pytest.raises(NotFoundError, match="no case named '柴机'"):
        build_matrix(project, MatrixOptions(filters=CodingFilter(cases=("柴机",))))


def test_by_attribute_groups_cases(project: Project, study: dict[str, list[int]]) -> None:
    by_district = build_matrix(project, MatrixOptions(by="district", all_speakers=True))
    assert by_district.row_labels == ["梁溪区", "滨湖区"]
    assert by_district.row_cases == [["柴机社区", "清名社区"], ["华庄社区"]]
    assert by_district.cells == [[2, 2, 0], [1, 1, 1]]
    assert build_matrix(project, MatrixOptions(by="district")).cells == [[2, 1, 0], [1, 1, 1]]
    by_type = build_matrix(project, MatrixOptions(by="community_type", all_speakers=True))
    assert by_type.row_labels == ["商品房小区", "老旧小区", MISSING_LABEL]
    assert by_type.cells == [[1, 1, 1], [2, 2, 0], [0, 0, 0]]
    by_size = build_matrix(project, MatrixOptions(by="households"))
    assert by_size.row_labels == ["900", "3200", "5100"]  # numbers sort as numbers
    with pytest.raises(NotFoundError, match="unknown case attribute 'distrct'"):
        build_matrix(project, MatrixOptions(by="distrct"))


def test_code_level_and_depth(project: Project, study: dict[str, list[int]]) -> None:
    codes = build_matrix(project, MatrixOptions(level="code", all_speakers=True))
    assert codes.column_ids == [
        "grid.checkpoints", "grid.checkpoints.night", "grid.workers", "opinion.rumours",
        "shortfalls.staff",
    ]  # fmt: skip
    # grid.checkpoints includes its sub-code night: segments 1 and 3 of 柴机.
    assert codes.cells[0] == [2, 1, 1, 2, 0]
    depth = build_matrix(project, MatrixOptions(level="code", depth=2, all_speakers=True))
    # Depth 2 is complete: the codings on grid.checkpoints itself (the keyword 卡口) have a
    # column, and the codes without sub-codes above depth 2 are columns of their own.
    assert depth.column_ids == [
        "grid.checkpoints (itself)", "grid.checkpoints.night", "grid.workers",
        "opinion.rumours", "shortfalls.staff",
    ]  # fmt: skip
    assert depth.column_labels[0] == "卡口 (code itself)"
    themes = build_matrix(project, MatrixOptions(all_speakers=True))
    assert depth.row_totals == codes.row_totals == themes.row_totals


def test_measures(project: Project, study: dict[str, list[int]]) -> None:
    def cells(measure: str, all_speakers: bool = False) -> list[list[int | float]]:
        options = MatrixOptions(measure=measure, all_speakers=all_speakers)  # type: ignore[arg-type]
        return build_matrix(project, options).cells

    conn = project.conn
    for all_speakers, role in ((False, "AND role IS NOT 'interviewer'"), (True, "")):
        count = [
            [
                conn.execute(
                    "SELECT count(*) FROM codings_view v JOIN segments_view USING (segment_id) "
                    f"WHERE v.case_name = ? AND theme = ? {role}",
                    (case_name, theme),
                ).fetchone()[0]
                for theme in THEMES
            ]
            for case_name in CASES
        ]
        assert cells("count", all_speakers) == count
    assert cells("presence") == [[1, 1, 0], [1, 1, 1], [0, 0, 0]]
    assert cells("respondents") == [[1, 1, 0], [1, 1, 1], [0, 0, 0]]
    # 柴机 has 3 respondent segments; grid covers 2 of them, opinion 1 (the interviewer
    # segment li coded does not count); 华庄 has 2 respondent segments.
    assert cells("percent") == [[66.7, 33.3, 0.0], [50.0, 50.0, 50.0], [0.0, 0.0, 0.0]]
    # With every speaker, numerator and base both take the interviewer turns in: 柴机 has 4
    # segments, grid on 2, opinion on 2 (the question li coded); 华庄 3 segments.
    assert cells("percent", all_speakers=True) == [
        [50.0, 50.0, 0.0], [33.3, 33.3, 33.3], [0.0, 0.0, 0.0],
    ]  # fmt: skip
    percent = build_matrix(project, MatrixOptions(measure="percent"))
    assert percent.row_bases == [3, 2, 0]
    assert percent.as_dict()["rows"][0]["numerators"] == [2, 1, 0]
    assert (percent.as_dict()["population"], percent.as_dict()["denominator"]) == (
        "respondent turns", "segments",
    )  # fmt: skip
    presence = build_matrix(project, MatrixOptions(measure="presence"))
    assert presence.row_totals == [2, 3, 0]
    assert presence.column_totals == [2, 2, 1]
    assert presence.grand_total == 5


def test_coverage_counts_overlapping_spans_once(
    project: Project, study: dict[str, list[int]]
) -> None:
    matrix = build_matrix(project, MatrixOptions(measure="coverage"))
    # The base is the characters of the row's respondent turns (not the document's headers,
    # labels and questions), counted independently from the stored segments.
    respondent_chars = project.conn.execute(
        "SELECT sum(end_char - start_char) FROM segments_view "
        "WHERE case_name = '柴机社区' AND role IS NOT 'interviewer'"
    ).fetchone()[0]
    assert respondent_chars == len(
        "我们设了卡口，网格员值守。微信群里有人传谣言。夜里也有人守卡口。"
    )
    # grid in 柴机: 卡口 (auto, and wang's identical span) and 网格员 in segment 1, 卡口 and the
    # whole of segment 3 (night, li) which contains the second 卡口.
    grid_chars = 2 + 3 + len("夜里也有人守卡口。")
    assert matrix.cells[0][0] == round(100 * grid_chars / respondent_chars, 1)
    assert matrix.row_bases[0] == respondent_chars
    assert matrix.as_dict()["rows"][0]["numerators"][0] == grid_chars
    assert matrix.row_bases[2] == 0 and matrix.cells[2] == [0.0, 0.0, 0.0]
    # Every speaker: li's coding of the whole question (opinion) counts, over every segment.
    everyone = build_matrix(project, MatrixOptions(measure="coverage", all_speakers=True))
    all_chars = project.conn.execute(
        "SELECT sum(end_char - start_char) FROM segments_view WHERE case_name = '柴机社区'"
    ).fetchone()[0]
    assert everyone.row_bases[0] == all_chars
    assert everyone.cells[0][0] == round(100 * grid_chars / all_chars, 1)


def test_quotes_per_cell(project: Project, study: dict[str, list[int]]) -> None:
    matrix = build_matrix(project, MatrixOptions(quotes=1))
    quote = matrix.quotes[(0, 1)][0]
    # Respondent turns come first, so the interviewer segment li coded is not the example.
    assert (quote.segment_id, quote.case_name, quote.speaker, quote.text) == (
        study["chaiji.txt"][2],
        "柴机社区",
        "受访者",
        "微信群里有人传谣言。",
    )
    assert (2, 0) not in matrix.quotes
    assert all(len(quotes) == 1 for quotes in matrix.quotes.values())
    everything = build_matrix(project, MatrixOptions(quotes=10, all_speakers=True))
    assert [q.segment_id for q in everything.quotes[(0, 1)]] == [
        study["chaiji.txt"][2],
        study["chaiji.txt"][0],
    ]
    # By default the question is not in the population, so it is no quote either.
    respondents = build_matrix(project, MatrixOptions(quotes=10))
    assert [q.segment_id for q in respondents.quotes[(0, 1)]] == [study["chaiji.txt"][2]]


def test_cli_matrix_table_and_errors(
    cli: Cli, project: Project, study: dict[str, list[int]]
) -> None:
    result = cli("matrix", "--format", "csv", "--all-speakers")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (
        "case,网格化治理,舆情引导,治理短板,total\n"
        "柴机社区,2,2,0,4\n"
        "华庄社区,1,1,1,2\n"
        "清名社区,0,0,0,0\n"
        "total,3,3,1,6\n"
    )
    respondents = cli("matrix", "--format", "csv")
    assert respondents.stdout.splitlines()[1] == "柴机社区,2,1,0,3"
    bad_by = cli("matrix", "--by", "distrct")
    assert bad_by.exit_code == 1
    assert bad_by.stderr == (
        "Error: unknown case attribute 'distrct' for --by; did you mean 'district'? Use one of "
        "case, district, community_type, households\n"
    )
    bad_code = cli("matrix", "--codes", "grid.nope")
    assert bad_code.exit_code == 1
    assert bad_code.stderr.startswith("Error: no code 'grid.nope'")
    assert bad_code.stderr.count("\n") == 1
    no_output = cli("matrix", "--format", "xlsx")
    assert no_output.exit_code == 2
    assert no_output.stderr == "Error: --format xlsx needs -o FILE\n"
    as_json = json.loads(
        cli("matrix", "--by", "district", "--format", "json", "--all-speakers").stdout
    )
    assert [row["cells"] for row in as_json["rows"]] == [[2, 2, 0], [1, 1, 1]]
    assert as_json["population"] == "all turns"


def test_cli_help_shows_examples(cli: Cli) -> None:
    for command in ("matrix", "cooccur", "quotes"):
        result = cli(command, "--help")
        assert result.exit_code == 0
        assert "Example" in result.stdout, command


def test_cli_matrix_without_codebook_is_one_error_line(cli: Cli, project: Project) -> None:
    result = cli("matrix")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: the project has no codebook: load one with 'qualcode codebook load FILE'\n"
    )


def test_empty_matrix_renders_in_every_format(cli: Cli, project: Project, tmp_path: Path) -> None:
    load_into_project(project, write(tmp_path / "mini.yml", CODEBOOK))
    matrix = build_matrix(project, MatrixOptions())
    assert (matrix.row_labels, matrix.cells, matrix.column_totals) == ([], [], [0, 0, 0])
    assert cli("matrix", "--format", "csv").stdout == (
        "case,网格化治理,舆情引导,治理短板,total\ntotal,0,0,0,0\n"
    )
    assert cli("matrix").exit_code == 0
    assert cli("matrix", "--format", "xlsx", "-o", str(tmp_path / "m.xlsx")).exit_code == 0


@pytest.mark.parametrize(
    "filters",
    [
        CodingFilter(),
        CodingFilter(origin="manual"),
        CodingFilter(origin="auto", codes=("opinion",)),
        CodingFilter(coders=("wang",), cases=("华庄社区",)),
        CodingFilter(codes=("grid.checkpoints", "shortfalls"), cases=("柴机社区", "清名社区")),
    ],
)
def test_bulk_arrays_select_what_the_sql_relation_selects(
    project: Project, study: dict[str, list[int]], filters: CodingFilter
) -> None:
    """The matrix counts from coding_chunks + segment_arrays; quotes, coverage and cooccur
    read filtered_codings_sql. Both must select exactly the same codings."""
    from qualcode.analysis.query import coding_chunks, filtered_codings_sql, segment_arrays

    conn = project.conn
    sql, parameters = filtered_codings_sql(conn, filters)
    expected = sorted(
        (row[0], row[1]) for row in conn.execute(f"SELECT segment_id, code_id FROM ({sql})",
                                                 parameters)
    )  # fmt: skip
    selected_segments = set(segment_arrays(conn, filters).segment_ids)
    bulk = sorted(
        (segment_id, code_id)
        for segment_ids, code_ids in coding_chunks(conn, filters, chunk=3)
        for segment_id, code_id in zip(segment_ids, code_ids, strict=True)
        if segment_id in selected_segments
    )
    assert bulk == expected
    assert expected  # every case of the parametrisation selects something
