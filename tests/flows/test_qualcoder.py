"""Importing a QualCoder project into a qualcode project, by the library and by the command.

The projects are made with QualCoder's own schema (``tests/importing/qualcoder_project.py``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from qualcode.errors import InputError
from qualcode.flows.qualcoder import import_qualcoder
from qualcode.store.project import Project
from tests.conftest import Cli, write_codebook
from tests.importing.qualcoder_project import (
    INTERVIEW,
    QualCoderProjectBuilder,
    position,
    study_project,
)

# --------------------------------------------------------------------------------------------
# Importing into a qualcode project


def rows(project: Project, sql: str) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in project.conn.execute(sql)]


def test_importing_brings_documents_codes_codings_cases_and_memos(
    project: Project, tmp_path: Path
) -> None:
    folder = study_project(tmp_path / "qualcoder")
    report = import_qualcoder(project, folder)
    assert report.documents_added == ["chaiji.txt", "volunteers.txt"]
    assert report.media_skipped == ["map.png"]
    assert report.codings_added == 6 and report.codings_split == 0
    # Categories and codes are one tree; Chinese names keep their names under positional ids.
    assert rows(project, "SELECT code_id, name_zh, name_en, color FROM codes ORDER BY ordinal") == [
        ("category_1", "网格化治理", None, None),
        ("category_1.category_1", "网格员", None, "#1f77b4"),
        ("category_1.category_1.category_1", "网格划分", None, "#1f77b4"),
        ("category_2", "资源", None, None),
        ("category_2.category_1", "人员", None, None),
        ("category_2.category_1.category_1", "志愿者", None, "#ff7f0e"),
        ("food_bank", None, "Food bank", "#1f77b4"),
    ]
    codings = rows(
        project,
        "SELECT document, case_name, code, coder, origin, quote FROM codings_view "
        "ORDER BY document, start_char, code, coder",
    )
    assert codings == [
        ("chaiji.txt", "Chaiji", "category_1.category_1.category_1", "anna", "manual",
         "分了六个网格"),
        ("chaiji.txt", "Chaiji", "category_1.category_1", "anna", "manual", "每个网格有一名网格员"),
        ("chaiji.txt", "Chaiji", "category_2.category_1.category_1", "anna", "manual",
         "志愿者很多，有两百多人报名"),
        ("chaiji.txt", "Chaiji", "category_2.category_1.category_1", "ben", "manual", "志愿者很多"),
        ("volunteers.txt", "Riverside", "category_2.category_1.category_1", "anna", "manual",
         "Volunteers 🙂 run"),
        ("volunteers.txt", "Riverside", "food_bank", "ben", "manual", "food bank"),
    ]  # fmt: skip
    # Every coding is exact: the document text at its offsets is its quote.
    for text, start, end, quote in rows(
        project,
        "SELECT d.text, v.start_char, v.end_char, v.quote FROM codings_view v "
        "JOIN documents d ON d.name = v.document",
    ):
        assert text[start:end] == quote
    assert rows(
        project,
        "SELECT k.name, a.name, a.value, typeof(a.value) FROM case_attributes a "
        "JOIN cases k ON k.case_id = a.case_id ORDER BY k.name, a.name",
    ) == [
        ("Chaiji", "district", "Liangxi", "text"),
        ("Chaiji", "households", 3200, "integer"),
        ("Riverside", "district", "Binhu", "text"),
        ("Riverside", "households", 1800, "integer"),
    ]
    assert report.file_attributes_skipped == 1
    memos = rows(project, "SELECT target_kind, target, coder, text FROM memos ORDER BY memo_id")
    segment_of_annotation = rows(
        project, "SELECT segment_id FROM segments_view WHERE text LIKE '%两百多人%'"
    )[0][0]
    assert memos == [
        ("document", "chaiji.txt", "anna", "first interview"),
        ("code", "category_1", "anna", "grid governance"),
        ("code", "category_1.category_1", "anna", "grid workers"),
        ("document", "chaiji.txt", "anna", "case Chaiji: urban community"),
        ("segment", str(segment_of_annotation), "ben", "check the exact number"),
    ]
    assert any("map.png" in line for line in report.not_imported)


def test_importing_the_same_project_again_adds_nothing(project: Project, tmp_path: Path) -> None:
    folder = study_project(tmp_path / "qualcoder")
    import_qualcoder(project, folder)
    again = import_qualcoder(project, folder)
    assert again.documents_added == []
    assert again.documents_present == ["chaiji.txt", "volunteers.txt"]
    assert (again.codings_added, again.codings_present, again.memos_added) == (0, 6, 0)
    assert rows(project, "SELECT count(*) FROM codings") == [(6,)]


def test_a_coding_over_two_turns_stays_one_coding_with_its_exact_quote(
    project: Project, tmp_path: Path
) -> None:
    builder = QualCoderProjectBuilder(tmp_path)
    builder.source(1, "chaiji.txt", INTERVIEW)
    builder.code(1, "grid", None)
    quote = "每个网格有一名网格员。\n访谈者：疫情期间"
    builder.coding(1, 1, *position(INTERVIEW, quote), quote)
    report = import_qualcoder(project, builder.save())
    assert report.codings_split == 0
    # The two turns it crosses became one segment, so the coding keeps its exact quote.
    assert rows(project, "SELECT quote FROM codings_view") == [(quote,)]


def test_a_document_already_here_keeps_its_segments_and_the_coding_is_split(
    project: Project, cli: Cli, tmp_path: Path
) -> None:
    transcript = tmp_path / "chaiji.txt"
    transcript.write_text(INTERVIEW, encoding="utf-8")
    assert cli("import", str(transcript)).exit_code == 0
    builder = QualCoderProjectBuilder(tmp_path / "other_tool")
    builder.source(1, "chaiji.txt", INTERVIEW)
    builder.code(1, "grid", None)
    quote = "每个网格有一名网格员。\n访谈者：疫情期间"
    builder.coding(1, 1, *position(INTERVIEW, quote), quote)
    report = import_qualcoder(project, builder.save())
    assert report.documents_present == ["chaiji.txt"]
    assert report.codings_split == 1
    # The line break and the speaker label between the two turns are in no segment.
    quotes = rows(project, "SELECT quote FROM codings_view ORDER BY start_char")
    assert quotes == [("每个网格有一名网格员。",), ("疫情期间",)]


def test_a_bad_coding_leaves_the_project_unchanged(project: Project, tmp_path: Path) -> None:
    import_qualcoder(project, study_project(tmp_path / "first"))
    before = rows(project, "SELECT count(*) FROM documents UNION ALL SELECT count(*) FROM codings")
    builder = QualCoderProjectBuilder(tmp_path / "second")
    builder.source(1, "other.txt", "A different interview about the food bank.")
    builder.code(1, "food", None)
    builder.coding(1, 1, 30, 90, "food bank")
    with pytest.raises(InputError, match=r"code_text 1 .* lie outside the text"):
        import_qualcoder(project, builder.save())
    after = rows(project, "SELECT count(*) FROM documents UNION ALL SELECT count(*) FROM codings")
    assert after == before


def test_importing_keeps_the_codebook_already_in_the_project(
    project: Project, tmp_path: Path
) -> None:
    from qualcode.store.codebooks import load_into_project

    load_into_project(project, write_codebook(tmp_path))
    before = [row[0] for row in rows(project, "SELECT code_id FROM codes WHERE active")]
    import_qualcoder(project, study_project(tmp_path / "qualcoder"))
    after = [row[0] for row in rows(project, "SELECT code_id FROM codes WHERE active")]
    assert set(before) < set(after)
    assert "food_bank" in after


# --------------------------------------------------------------------------------------------
# The command


def test_the_import_command_takes_qualcoder_as_its_format(cli: Cli, tmp_path: Path) -> None:
    folder = study_project(tmp_path / "other_tool")
    result = cli("import", "qualcoder", str(folder))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert "2 documents added" in result.stderr
    assert "6 codings added" in result.stderr
    assert "not imported: 1 picture, audio or video sources: map.png" in result.stderr
    again = cli("import", "qualcoder", str(folder / "data.qda"), "--format", "json")
    assert again.exit_code == 0, again.stderr
    summary = json.loads(again.stdout)
    assert (summary["codings_added"], summary["codings_present"]) == (0, 6)
    quotes = cli("quotes", "--format", "json")
    assert quotes.exit_code == 0, quotes.stderr
    assert {row["coder"] for row in json.loads(quotes.stdout)} == {"anna", "ben"}


def test_the_import_command_reports_a_bad_project_in_one_line(cli: Cli, tmp_path: Path) -> None:
    builder = QualCoderProjectBuilder(tmp_path)
    builder.source(1, "a.txt", "Some words about the food bank.")
    builder.code(1, "food", None)
    builder.coding(1, 1, 0, 99, "Some")
    result = cli("import", "qualcoder", str(builder.save()))
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("Error: ") and "code_text 1" in result.stderr
    assert cli("docs", "list", "--format", "json").stdout.strip() in ("", "[]")


def test_project_options_that_do_not_apply_are_refused(cli: Cli, tmp_path: Path) -> None:
    folder = study_project(tmp_path / "other_tool")
    result = cli("import", "qualcoder", str(folder), "--case", "Chaiji")
    assert result.exit_code == 2
    assert "--case" in result.stderr
