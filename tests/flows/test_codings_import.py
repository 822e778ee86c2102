"""``qualcode codings import``: manual codings from a spreadsheet, checked row by row first."""

from __future__ import annotations

from pathlib import Path

import pytest

from qualcode.errors import InputError
from qualcode.flows.codings_import import CodingsFileError, CodingsImport, import_codings
from qualcode.models import Role, Segment
from qualcode.store.codebooks import load_into_project
from qualcode.store.documents import PreparedDocument, store_document
from qualcode.store.journal import history
from qualcode.store.project import Project, open_project
from tests.conftest import CODEBOOK, Cli, write

CHAIJI = (
    "采访者：卡口怎么设？\n"
    "受访者：我们设了卡口，网格员白天值守卡口。\n"
    "采访者：有没有谣言？\n"
    "受访者：有人说菜价涨了三倍，我们马上辟谣。\n"
)
XINAN = "说话人 1：人手够吗？\n说话人 2：远远不够，网格员一个人管八百人。\n"


def turns(text: str, roles: list[Role]) -> list[Segment]:
    """One segment per line, the speaker label (up to the first colon) outside the span."""
    segments, offset = [], 0
    for ordinal, (line, role) in enumerate(zip(text.splitlines(), roles, strict=True)):
        start = offset + line.index("：") + 1
        segments.append(Segment(ordinal, start, offset + len(line), role=role))
        offset += len(line) + 1
    return segments


def store(project: Project, name: str, text: str, case_name: str) -> None:
    roles: list[Role] = ["interviewer", "respondent"] * (text.count("\n") // 2)
    document = PreparedDocument(
        name=name, source_path=name, text=text, encoding="utf-8", source_format="txt",
        language="zh", unit="turn", segments=turns(text, roles),
    )  # fmt: skip
    assert store_document(project, document, case_name=case_name).status == "added"


@pytest.fixture
def study(db_path: Path, tmp_path: Path) -> Path:
    """A project with chaiji.md, xinan.txt and the mini codebook; returns the database path."""
    with open_project(db_path, create=True) as project:
        store(project, "chaiji.md", CHAIJI, "Chaiji")
        store(project, "xinan.txt", XINAN, "Xin'an")
        load_into_project(project, write(tmp_path / "mini.yml", CODEBOOK))
    return db_path


def manual_codings(db_path: Path) -> list[tuple[object, ...]]:
    with open_project(db_path) as project:
        rows = project.conn.execute(
            "SELECT document, code, coder, quote, start_char, end_char FROM codings_view "
            "WHERE origin = 'manual' ORDER BY coding_id"
        ).fetchall()
        memos = [row[0] for row in project.conn.execute("SELECT memo FROM codings")]
    return [(*row, memo) for row, memo in zip(rows, memos, strict=True)]


GOOD = """\
document,code,coder,quote,segment_ordinal,start_char,end_char,memo
chaiji.md,grid.grid_workers,li,网格员,,,,
chaiji.md,opinion.rumours,li,,3,,,the whole answer
xinan.txt,grid.grid_workers,wang,,,{start},{end},
chaiji.md,opinion.prices,wang,菜价涨了三倍,3,,,
"""


def good_file(tmp_path: Path) -> Path:
    start = XINAN.index("网格员")
    return write(tmp_path / "codings.csv", GOOD.format(start=start, end=start + 3))


def test_every_location_kind_becomes_a_manual_coding(study: Path, tmp_path: Path) -> None:
    path = good_file(tmp_path)
    with open_project(study) as project:
        result = import_codings(project, path)
        entries = history(project)
    assert result == CodingsImport(str(path), rows=4, added=4, already_present=0)
    assert result.summary() == "4 rows, 4 added, 0 already present"
    answer = CHAIJI.splitlines()[3].partition("：")[2]
    answer_start = CHAIJI.index(answer)
    assert manual_codings(study) == [
        ("chaiji.md", "grid.grid_workers", "li", "网格员", CHAIJI.index("网格员"),
         CHAIJI.index("网格员") + 3, None),
        ("chaiji.md", "opinion.rumours", "li", answer, answer_start, answer_start + len(answer),
         "the whole answer"),
        ("xinan.txt", "grid.grid_workers", "wang", "网格员", XINAN.index("网格员"),
         XINAN.index("网格员") + 3, None),
        ("chaiji.md", "opinion.prices", "wang", "菜价涨了三倍", CHAIJI.index("菜价"),
         CHAIJI.index("菜价") + 6, None),
    ]  # fmt: skip
    # The study's two documents were imported (journaled too) before these.
    assert [(entry["kind"], entry["summary"]) for entry in entries][:-2] == [
        ("codings-import", f"import 4 codings from {path}"),
        ("codebook-load", f"load codebook mini from {tmp_path / 'mini.yml'}"),
    ]


def test_importing_again_adds_nothing(study: Path, tmp_path: Path) -> None:
    path = good_file(tmp_path)
    with open_project(study) as project:
        import_codings(project, path)
        again = import_codings(project, path)
        entries = len(history(project))
    assert (again.added, again.already_present) == (0, 4)
    assert len(manual_codings(study)) == 4
    # Two document imports, the codebook, the first codings import; the second left no entry.
    assert entries == 4


def test_a_repeated_quote_needs_an_occurrence(study: Path, tmp_path: Path) -> None:
    ambiguous = write(
        tmp_path / "a.csv", "document,code,coder,quote\nchaiji.md,grid.checkpoints,li,卡口\n"
    )
    with open_project(study) as project, pytest.raises(InputError) as caught:
        import_codings(project, ambiguous)
    assert str(caught.value) == (
        f"{ambiguous}:2: quote '卡口' occurs 3 times in chaiji.md (segments 0, 1): "
        "add an occurrence column (1-based) or a segment_ordinal"
    )
    second = write(
        tmp_path / "b.csv",
        "Document, Code ,CODER,Quote,Occurrence\nchaiji.md,grid.checkpoints,li,卡口,3\n",
    )
    with open_project(study) as project:
        assert import_codings(project, second).added == 1
    position = CHAIJI.rindex("卡口")
    assert manual_codings(study)[0][3:6] == ("卡口", position, position + 2)


def test_chinese_headers_gb18030_and_tabs(study: Path, tmp_path: Path) -> None:
    text = "文档\t编码\t编码员\t段落 序号\t备注\nchaiji.md\tgrid.checkpoints\t李\t1\t卡口两处\n"
    path = write(tmp_path / "excel.csv", text, encoding="gb18030")
    with open_project(study) as project:
        assert import_codings(project, path).added == 1
    assert manual_codings(study)[0][1:3] + manual_codings(study)[0][6:] == (
        "grid.checkpoints", "李", "卡口两处"
    )  # fmt: skip


def test_every_problem_is_reported_with_its_line(study: Path, tmp_path: Path) -> None:
    path = write(
        tmp_path / "bad.csv",
        "document,code,coder,quote,segment_ordinal,start_char,end_char,memo\n"
        "chaiji.md,grid.checkpoint,li,卡口,,,,\n"
        '"chaiji.md",opinion.rumours,li,,3,,,"a memo\non two lines"\n'
        "chaji.md,opinion.rumours,li,辟谣,,,,\n"
        "chaiji.md,opinion.rumours,li,口罩,,,,\n"
        "chaiji.md,opinion.rumours,,,9,,,\n"
        "chaiji.md,opinion.rumours,li,,9,,,\n"
        f"chaiji.md,opinion.rumours,li,,,{CHAIJI.index('卡口')},{CHAIJI.index('谣言')},\n"
        "chaiji.md,opinion.rumours,li,,,,,\n",
    )
    with open_project(study) as project, pytest.raises(CodingsFileError) as caught:
        import_codings(project, path)
    assert [str(problem) for problem in caught.value.problems] == [
        f"{path}:2: no code 'grid.checkpoint' in the project's codebook; "
        "did you mean 'grid.checkpoints'?",
        f"{path}:5: no document named 'chaji.md' in the project; did you mean 'chaiji.md'?",
        f"{path}:6: quote '口罩' not found in chaiji.md",
        f"{path}:7: empty coder",
        f"{path}:8: chaiji.md has no segment 9 (ordinals 0-3)",
        f"{path}:9: offsets {CHAIJI.index('卡口')}:{CHAIJI.index('谣言')} do not lie inside "
        "one segment of chaiji.md",
        f"{path}:10: no location: give quote, segment_ordinal or start_char and end_char",
    ]
    assert manual_codings(study) == []


def test_cli_reports_added_and_already_present(cli: Cli, study: Path, tmp_path: Path) -> None:
    path = good_file(tmp_path)
    first = cli("codings", "import", str(path))
    assert (first.exit_code, first.stdout) == (0, "")
    assert first.stderr == f"{path}: 4 rows, 4 added, 0 already present\n"
    again = cli("codings", "import", str(path))
    assert (again.exit_code, again.stderr) == (0, f"{path}: 4 rows, all already present\n")


def test_cli_bad_file_changes_nothing(cli: Cli, study: Path, tmp_path: Path) -> None:
    path = write(
        tmp_path / "bad.csv",
        "document,code,coder,quote\n"
        "chaiji.md,grid.grid_workers,li,网格员\n"
        "chaiji.md,grid.checkpoints,li,卡口\n"
        "xinan.txt,opinion.rumor,wang,网格员\n",
    )
    result = cli("codings", "import", str(path))
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {path}: 2 problems, nothing imported:\n"
        f"{path}:3: quote '卡口' occurs 3 times in chaiji.md (segments 0, 1): "
        "add an occurrence column (1-based) or a segment_ordinal\n"
        f"{path}:4: no code 'opinion.rumor' in the project's codebook; "
        "did you mean 'opinion.rumours'?\n"
    )
    assert manual_codings(study) == []
    with open_project(study) as project:
        assert [entry["kind"] for entry in history(project)] == [
            "codebook-load", "import", "import",
        ]  # fmt: skip


def test_cli_missing_columns(cli: Cli, study: Path, tmp_path: Path) -> None:
    no_coder = write(
        tmp_path / "no_coder.csv", "document,code,quote\nchaiji.md,grid.checkpoints,卡口\n"
    )
    result = cli("codings", "import", str(no_coder))
    assert (result.exit_code, result.stderr) == (
        1, f"Error: {no_coder}:1: missing column coder; header is document, code, quote\n"
    )  # fmt: skip
    nowhere = write(
        tmp_path / "nowhere.csv", "document,code,coder\nchaiji.md,grid.checkpoints,li\n"
    )
    result = cli("codings", "import", str(nowhere))
    assert (result.exit_code, result.stderr) == (
        1,
        f"Error: {nowhere}:1: no location column: need quote, segment_ordinal or start_char "
        "and end_char; header is document, code, coder\n",
    )
    assert manual_codings(study) == []


def test_cli_help_shows_an_example(cli: Cli) -> None:
    result = cli("codings", "import", "--help")
    assert result.exit_code == 0
    assert "Example: qualcode codings import team_codings.csv" in result.stdout
    assert "chaiji.md,grid.checkpoints,li,卡口,," in result.stdout


def test_cli_table_of_separators_only_is_one_error_line(
    cli: Cli, study: Path, tmp_path: Path
) -> None:
    path = write(tmp_path / "empty.csv", ",,,\n,,,\n")
    result = cli("codings", "import", str(path))
    assert (result.exit_code, result.stderr) == (
        1, f"Error: {path}: has no row with text (only separators)\n"
    )  # fmt: skip
