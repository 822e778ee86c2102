"""A QualCoder project made for tests: QualCoder's own schema, filled the way QualCoder fills it.

The tables come from QualCoder's CREATE TABLE statements, copied with attribution into
``tests/fixtures/qualcoder/schema.sql``; positions are Python string offsets into
``source.fulltext``, as QualCoder writes them.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.conftest import FIXTURES

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
