"""QualCoder projects: reading ``data.qda`` and importing it into a qualcode project.

The QualCoder project of these tests is made with QualCoder's own schema (its CREATE TABLE
statements, copied with attribution into ``tests/fixtures/qualcoder/schema.sql``), filled the
way QualCoder fills it: positions are Python string offsets into ``source.fulltext``.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from qualcode.errors import InputError
from qualcode.flows.qualcoder import import_qualcoder
from qualcode.importing.qualcoder import read_qualcoder_project
from qualcode.store.project import Project
from tests.conftest import FIXTURES, Cli, write_codebook

SCHEMA = (FIXTURES / "qualcoder" / "schema.sql").read_text(encoding="utf-8")

INTERVIEW = (
    "访谈者：请介绍一下社区的网格化管理。\n"
    "书记：我们社区分了六个网格，每个网格有一名网格员。\n"
    "访谈者：疫情期间志愿者多吗？\n"
    "书记：志愿者很多，有两百多人报名。\n"
)
#: Windows line ends, as QualCoder keeps them when a text file had them.
ENGLISH = "Interviewer: How do volunteers help?\r\nChair: Volunteers 🙂 run the food bank.\r\n"


def position(text: str, quote: str) -> tuple[int, int]:
    start = text.index(quote)
    return start, start + len(quote)


class QualCoderProjectBuilder:
    """A QualCoder project folder ``NAME.qda/data.qda`` created with QualCoder's schema."""

    def __init__(self, folder: Path, name: str = "study.qda") -> None:
        self.folder = folder / name
        self.folder.mkdir(parents=True)
        self.database = self.folder / "data.qda"
        self.connection = sqlite3.connect(self.database)
        self.connection.executescript(SCHEMA)
        self.connection.execute(
            "INSERT INTO project VALUES ('v16', '2026-01-01 10:00:00', 'a study', "
            "'QualCoder 3.6', 0, 0, 'anna', '', null, null, null)"
        )

    def source(self, source_id: int, name: str, fulltext: str | None, memo: str = "") -> None:
        self.connection.execute(
            "INSERT INTO source (id, name, fulltext, mediapath, memo, owner, date) "
            "VALUES (?, ?, ?, ?, ?, 'anna', '2026-01-01 10:00:00')",
            (source_id, name, fulltext, None if fulltext else f"/images/{name}", memo),
        )

    def category(self, category_id: int, name: str, parent: int | None, memo: str = "") -> None:
        self.connection.execute(
            "INSERT INTO code_cat (catid, name, owner, date, memo, supercatid) "
            "VALUES (?, ?, 'anna', '2026-01-01', ?, ?)",
            (category_id, name, memo, parent),
        )

    def code(
        self,
        code_id: int,
        name: str,
        category: int | None,
        *,
        color: str = "#1f77b4",
        memo: str = "",
        parent_code: int | None = None,
    ) -> None:
        self.connection.execute(
            "INSERT INTO code_name (cid, name, memo, catid, owner, date, color, supercid) "
            "VALUES (?, ?, ?, ?, 'anna', '2026-01-01', ?, ?)",
            (code_id, name, memo, category, color, parent_code),
        )

    def coding(
        self,
        code_id: int,
        source_id: int,
        start: int,
        end: int,
        seltext: str,
        owner: str = "anna",
        memo: str = "",
    ) -> None:
        self.connection.execute(
            "INSERT INTO code_text (cid, fid, seltext, pos0, pos1, owner, date, memo, important) "
            "VALUES (?, ?, ?, ?, ?, ?, '2026-01-02 09:00:00', ?, null)",
            (code_id, source_id, seltext, start, end, owner, memo),
        )

    def case(self, case_id: int, name: str, sources: list[tuple[int, int]], memo: str = "") -> None:
        self.connection.execute(
            "INSERT INTO cases (caseid, name, memo, owner, date) VALUES (?, ?, ?, 'anna', '')",
            (case_id, name, memo),
        )
        for source_id, length in sources:
            self.connection.execute(
                "INSERT INTO case_text (caseid, fid, pos0, pos1, owner, date, memo) "
                "VALUES (?, ?, 0, ?, 'anna', '', '')",
                (case_id, source_id, length),
            )

    def attribute(self, name: str, kind: str, value_type: str, values: dict[int, str]) -> None:
        self.connection.execute(
            "INSERT OR IGNORE INTO attribute_type (name, date, owner, memo, caseOrFile, "
            "valuetype) VALUES (?, '', 'anna', '', ?, ?)",
            (name, kind, value_type),
        )
        for target_id, value in values.items():
            self.connection.execute(
                "INSERT INTO attribute (name, attr_type, value, id, date, owner) "
                "VALUES (?, ?, ?, ?, '', 'anna')",
                (name, kind, value, target_id),
            )

    def annotation(self, source_id: int, start: int, end: int, memo: str) -> None:
        self.connection.execute(
            "INSERT INTO annotation (fid, pos0, pos1, memo, owner, date) "
            "VALUES (?, ?, ?, ?, 'ben', '')",
            (source_id, start, end, memo),
        )

    def save(self) -> Path:
        self.connection.commit()
        self.connection.close()
        return self.folder


def study_project(folder: Path) -> Path:
    """A small coded study: two text sources, a picture, categories, codes, two coders."""
    project = QualCoderProjectBuilder(folder)
    project.source(1, "chaiji.txt", INTERVIEW, memo="first interview")
    project.source(2, "volunteers.txt", ENGLISH)
    project.source(3, "map.png", None)
    project.category(1, "网格化治理", None, memo="grid governance")
    project.category(2, "资源", None)
    project.category(3, "人员", 2)
    project.code(1, "网格员", 1, memo="grid workers")
    project.code(2, "网格划分", None, parent_code=1)
    project.code(3, "志愿者", 3, color="#FF7F0E")
    project.code(4, "Food bank", None)
    for code_id, quote, owner in (
        (1, "每个网格有一名网格员", "anna"),
        (2, "分了六个网格", "anna"),
        (3, "志愿者很多", "ben"),
        (3, "志愿者很多，有两百多人报名", "anna"),
    ):
        project.coding(code_id, 1, *position(INTERVIEW, quote), quote, owner=owner)
    # The emoji counts one code point (as QualCoder counts); CRLF stays in fulltext.
    project.coding(3, 2, *position(ENGLISH, "Volunteers 🙂 run"), "Volunteers 🙂 run", memo="key")
    project.coding(4, 2, *position(ENGLISH, "food bank"), "food bank", owner="ben")
    project.case(1, "Chaiji", [(1, len(INTERVIEW))], memo="urban community")
    project.case(2, "Riverside", [(2, len(ENGLISH))])
    project.attribute("district", "case", "character", {1: "Liangxi", 2: "Binhu"})
    project.attribute("households", "case", "numeric", {1: "3200", 2: "1800"})
    project.attribute("interviewer", "file", "character", {1: "Li"})
    project.annotation(1, *position(INTERVIEW, "两百多人"), "check the exact number")
    return project.save()


# --------------------------------------------------------------------------------------------
# Reading


def test_reading_finds_sources_codes_codings_cases_and_memos(tmp_path: Path) -> None:
    folder = study_project(tmp_path)
    project = read_qualcoder_project(folder)
    assert project.database_version == "v16"
    assert project.default_coder == "anna"
    assert [source.name for source in project.sources] == ["chaiji.txt", "volunteers.txt"]
    assert project.media_sources == ["map.png"]
    assert [(c.name, c.parent_id) for c in project.categories] == [
        ("网格化治理", None), ("资源", None), ("人员", 2),
    ]  # fmt: skip
    assert [(c.name, c.category_id, c.parent_code_id) for c in project.codes] == [
        ("网格员", 1, None), ("网格划分", None, 1), ("志愿者", 3, None), ("Food bank", None, None),
    ]  # fmt: skip
    assert len(project.codings) == 6
    assert {coding.owner for coding in project.codings} == {"anna", "ben"}
    assert [(case.name, case.source_ids) for case in project.cases] == [
        ("Chaiji", (1,)), ("Riverside", (2,)),
    ]  # fmt: skip
    assert {(a.kind, a.name, a.value, a.numeric) for a in project.attributes} >= {
        ("case", "households", "3200", True),
        ("file", "interviewer", "Li", False),
    }
    assert project.annotations[0].memo == "check the exact number"


def test_positions_land_on_the_coded_text_after_normalising(tmp_path: Path) -> None:
    """CRLF becomes LF in qualcode's text, so positions after a line end move back by one."""
    project = read_qualcoder_project(study_project(tmp_path) / "data.qda")
    texts = {source.source_id: source.text for source in project.sources}
    assert "\r" not in texts[2]
    quotes = [texts[c.source_id][c.start_char : c.end_char] for c in project.codings]
    assert quotes == [
        "每个网格有一名网格员", "分了六个网格", "志愿者很多", "志愿者很多，有两百多人报名",
        "Volunteers 🙂 run", "food bank",
    ]  # fmt: skip


def test_utf16_positions_are_recognised_by_the_coded_text(tmp_path: Path) -> None:
    project = QualCoderProjectBuilder(tmp_path)
    text = "😀😀 grid workers 😀 and volunteers"
    project.source(1, "emoji.txt", text)
    project.code(1, "volunteers", None)
    start = text.index("volunteers")
    utf16_start = len(text[:start].encode("utf-16-le")) // 2
    project.coding(1, 1, utf16_start, utf16_start + len("volunteers"), "volunteers")
    read = read_qualcoder_project(project.save())
    coding = read.codings[0]
    assert read.sources[0].text[coding.start_char : coding.end_char] == "volunteers"


def test_the_project_file_is_opened_read_only_and_left_unchanged(tmp_path: Path) -> None:
    folder = study_project(tmp_path)
    database = folder / "data.qda"
    before = hashlib.sha256(database.read_bytes()).hexdigest()
    database.chmod(0o444)
    folder.chmod(0o555)
    try:
        assert len(read_qualcoder_project(folder).codings) == 6
    finally:
        folder.chmod(0o755)
        database.chmod(0o644)
    assert hashlib.sha256(database.read_bytes()).hexdigest() == before
    assert sorted(path.name for path in folder.iterdir()) == ["data.qda"]


@pytest.mark.parametrize(
    ("start", "end", "seltext", "problem"),
    [
        (0, 400, "x", "lie outside the text"),
        (4, 8, "not this", "is not the coded text 'not this'"),
        (8, 4, "x", "not a stretch of text"),
    ],
)
def test_a_coding_that_does_not_fit_its_source_is_refused_by_its_row(
    tmp_path: Path, start: int, end: int, seltext: str, problem: str
) -> None:
    project = QualCoderProjectBuilder(tmp_path)
    project.source(1, "chaiji.txt", INTERVIEW)
    project.code(1, "网格员", None)
    project.coding(1, 1, start, end, seltext)
    folder = project.save()
    with pytest.raises(InputError) as raised:
        read_qualcoder_project(folder)
    message = str(raised.value)
    assert message.startswith(f"{folder / 'data.qda'}: code_text 1 (source 'chaiji.txt'): ")
    assert problem in message


def test_what_is_not_a_qualcoder_project_is_named(tmp_path: Path) -> None:
    empty_folder = tmp_path / "empty.qda"
    empty_folder.mkdir()
    with pytest.raises(InputError, match=r"empty\.qda: not a QualCoder project: .*no data\.qda"):
        read_qualcoder_project(empty_folder)
    text_file = tmp_path / "notes.qda"
    text_file.write_text("hello", encoding="utf-8")
    with pytest.raises(InputError, match="not an SQLite database"):
        read_qualcoder_project(text_file)
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE source (id integer)").connection.close()
    with pytest.raises(InputError, match="it has no table 'project'"):
        read_qualcoder_project(other)


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


def test_a_coding_over_two_turns_is_stored_per_segment(project: Project, tmp_path: Path) -> None:
    builder = QualCoderProjectBuilder(tmp_path)
    builder.source(1, "chaiji.txt", INTERVIEW)
    builder.code(1, "grid", None)
    quote = "每个网格有一名网格员。\n访谈者：疫情期间"
    builder.coding(1, 1, *position(INTERVIEW, quote), quote)
    report = import_qualcoder(project, builder.save())
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
    assert cli("import", "qualcoder").exit_code == 2
