"""Every command that takes a name answers a name that matches nothing with exit status 1, one
error line and the closest known names, and writes nothing (issue 13, item 6).

The project is the shared fixture study: cases 柴机社区/华庄社区/清名社区, coders li, wang and
auto, speakers 采访者/受访者, the case attribute district, documents chaiji.txt/huazhuang.txt.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from qualcode.store.project import Project
from tests.analysis.test_matrix import build_study
from tests.conftest import Cli

#: (command line, what the error line must contain).
WRONG_NAMES: list[tuple[list[str], str]] = [
    (["matrix", "--coder", "lii"], "no coder 'lii'; did you mean 'li'?"),
    (["matrix", "--case", "柴机"], "no case named '柴机'; did you mean '柴机社区'?"),
    (["matrix", "--codes", "gird"], "no code 'gird' in the project's codebook; did you mean"),
    (["matrix", "--by", "distrct"], "case attribute 'distrct' for --by; did you mean 'district'?"),
    (["quotes", "--coder", "Wang"], "no coder 'Wang'; did you mean 'wang'?"),
    (["quotes", "--case", "华庄"], "no case named '华庄'; did you mean '华庄社区'?"),
    (["quotes", "--code", "opinion.rumour"], "did you mean 'opinion.rumours'"),
    (["cooccur", "--coder", "lii"], "no coder 'lii'; did you mean 'li'?"),
    (["freq", "--coder", "lii"], "no coder 'lii'; did you mean 'li'?"),
    (["freq", "--by", "distrct"], "did you mean 'district'?"),
    (["search", "卡口", "--case", "柴机"], "no case named '柴机'; did you mean '柴机社区'?"),
    (["search", "卡口", "--doc", "chaiji"], "no document 'chaiji'; did you mean 'chaiji.txt'?"),
    (["search", "卡口", "--speaker", "受访"], "no speaker '受访'; did you mean '受访者'?"),
    (["segments", "--case", "柴机"], "no case '柴机'; did you mean '柴机社区'?"),
    (["segments", "--doc", "chaiji"], "no document 'chaiji'; did you mean 'chaiji.txt'?"),
    (["segments", "--speaker", "受访"], "no speaker '受访'; did you mean '受访者'?"),
    (["segments", "--role", "respondant"], "no role 'respondant'; did you mean 'respondent'?"),
    (["segments", "--code", "gird"], "no code 'gird' in the project's codebook; did you mean"),
    (["agree", "--coders", "li,wnag"], "no codings by coder 'wnag'; did you mean 'wang'?"),
    (["sample", "--size", "2", "--coded-by", "lii"], "no coder 'lii'; did you mean 'li'?"),
    (["suggestions", "list", "--code", "gird"], "did you mean 'grid'?"),
    (["suggestions", "list", "--case", "柴机"], "no case named '柴机'; did you mean '柴机社区'?"),
    (["docs", "show", "chaiji"], "did you mean 'chaiji.txt'?"),
]  # fmt: skip


@pytest.fixture
def study(project: Project, tmp_path: Path) -> None:
    build_study(project, tmp_path)


@pytest.mark.parametrize(("arguments", "expected"), WRONG_NAMES, ids=lambda value: str(value))
def test_a_wrong_name_is_an_error_with_the_closest_names(
    cli: Cli, study: None, arguments: list[str], expected: str
) -> None:
    result = cli(*arguments)
    assert result.exit_code == 1, result.stdout + result.stderr
    assert result.stderr.startswith("Error: ")
    assert result.stderr.count("\n") == 1
    assert expected in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(
    "arguments",
    [
        ["report", "-o", "{folder}/report.html", "--coder", "lii"],
        ["chart", "matrix", "-o", "{folder}/heatmap.png", "--coder", "lii"],
        ["matrix", "--coder", "lii", "-o", "{folder}/matrix.csv"],
        ["quotes", "--case", "柴机", "-o", "{folder}/quotes.csv"],
    ],
)
def test_a_wrong_name_writes_no_file(
    cli: Cli, study: None, tmp_path: Path, arguments: list[str]
) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    result = cli(*(argument.format(folder=folder) for argument in arguments))
    assert result.exit_code == 1
    assert "did you mean" in result.stderr
    assert list(folder.iterdir()) == []


def test_sample_draws_respondent_turns_unless_all_speakers(
    cli: Cli, study: None, project: Project
) -> None:
    """Issue 13 item 7: questions are not drawn for double coding by default."""
    import json

    conn = project.conn
    respondent_turns = dict(
        conn.execute(
            "SELECT case_name, count(*) FROM segments_view WHERE role IS NOT 'interviewer' "
            "GROUP BY case_name"
        ).fetchall()
    )
    every_turn = dict(
        conn.execute("SELECT case_name, count(*) FROM segments_view GROUP BY case_name").fetchall()
    )
    drawn = json.loads(cli("sample", "--size", "100", "--format", "json").stdout)
    assert {row["role"] for row in drawn} == {"respondent"}
    assert {name: [row["case_name"] for row in drawn].count(name) for name in every_turn} == (
        respondent_turns
    )
    everyone = json.loads(
        cli("sample", "--size", "100", "--all-speakers", "--format", "json").stdout
    )
    assert "interviewer" in {row["role"] for row in everyone}
    assert len(everyone) == sum(every_turn.values())
