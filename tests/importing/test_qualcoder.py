"""Reading a QualCoder project (``data.qda``): what it holds, and what is refused.

The projects are made with QualCoder's own schema (``tests/importing/qualcoder_project.py``).
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from qualcode.errors import InputError
from qualcode.importing.qualcoder import read_qualcoder_project
from tests.importing.qualcoder_project import (
    INTERVIEW,
    QualCoderProjectBuilder,
    study_project,
)

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
