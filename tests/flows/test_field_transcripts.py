"""Field transcripts as speech-recognition services and people export them, read from real files.

Bare time stamps between paragraphs, turns run together in one paragraph, and the header
blocks of exports: every layout is written as a real .txt, .md and .docx (python-docx) file
and imported the way ``qualcode import`` prepares it; speakers, roles, start times and exact
offsets are checked.
"""

from __future__ import annotations

import json
from pathlib import Path

import docx
import pytest

from qualcode.flows.importing import ImportOptions, prepare_document
from qualcode.store.documents import PreparedDocument
from tests.conftest import Cli, write

#: A transcript of bare time stamps alternating with text, no speaker names, in the forms the
#: issue lists (mm:ss, hh:mm:ss, fractions, brackets and parentheses).
STAMPS_ONLY = [
    "柴机社区访谈录音",
    "",
    "00:01",
    "您好，请先介绍一下社区的网格是怎么划分的。",
    "",
    "00:00:09",
    "我们一共划了八个网格，每个网格有一个网格员。",
    "",
    "[00:41]",
    "卡口是怎么设置的？",
    "",
    "(01:02:03.5)",
    "小区只留一个出入口，",
    "志愿者轮流值守。",
]

#: Several turns run together in one paragraph, each label followed by a time stamp.
RUN_TOGETHER = [
    "采访者: [00:00:01.900] 您好，请问网格是怎么划分的？受访者: [00:00:09.100] 我们一共划了八个"
    "网格。采访者: [00:00:15.000] 卡口呢？",
    "受访者: [00:00:20.500] 只留一个出入口。",
]

#: A Chinese speech-recognition export: title, date and duration, keywords, 文字记录.
CHINESE_EXPORT = [
    "柴机社区访谈",
    "2023年05月10日 15:15|45分钟12秒",
    "",
    "关键词:",
    "社区、网格员、疫情防控、志愿者、卡口、"
    + "、".join(f"关键词{number}" for number in range(120)),
    "",
    "文字记录:",
    "说话人 1 00:00",
    "您好，请先介绍一下社区的情况？",
    "",
    "说话人 2 00:08",
    "社区在新吴区，常住人口一万多。",
    "",
    "说话人 1 00:45",
    "疫情期间最重要的工作是什么？",
    "",
    "说话人 2 01:02",
    "排查返锡人员。",
]

#: An English export: title, date line, SUMMARY KEYWORDS and SPEAKERS blocks.
ENGLISH_EXPORT = [
    "Community interview Chaiji",
    "Wed, May 10, 2023 3:15PM • 45:12",
    "",
    "SUMMARY KEYWORDS",
    ", ".join(["community", "grid workers", "volunteers"] + [f"topic {n}" for n in range(150)]),
    "",
    "SPEAKERS",
    "Speaker 1, Speaker 2",
    "",
    "Speaker 1  00:00",
    "Could you tell me how the grid was organised?",
    "",
    "Speaker 2  00:08",
    "We had eight grids.",
    "",
    "Speaker 1  00:45",
    "And what was hardest?",
    "",
    "Speaker 2  01:02",
    "Finding people who had come back.",
]


def write_layout(folder: Path, name: str, lines: list[str]) -> Path:
    """The transcript as a file of the kind ``name`` says: lines of text, or Word paragraphs."""
    path = folder / name
    if path.suffix == ".docx":
        document = docx.Document()
        for line in lines:
            document.add_paragraph(line)
        document.save(str(path))
    else:
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def prepared(path: Path) -> PreparedDocument:
    return prepare_document(path, ImportOptions())


def turns(document: PreparedDocument) -> list[tuple[str | None, str | None, float | None, str]]:
    """(speaker, role, start time, text) of every segment; each text cut from the document."""
    return [
        (segment.speaker, segment.role, segment.start_time,
         document.text[segment.start_char : segment.end_char])
        for segment in document.segments
    ]  # fmt: skip


@pytest.mark.parametrize("name", ["stamps.txt", "stamps.md", "stamps.docx"])
def test_time_stamp_lines_start_turns_and_are_no_segment_text(tmp_path: Path, name: str) -> None:
    document = prepared(write_layout(tmp_path, name, STAMPS_ONLY))
    assert turns(document) == [
        (None, None, 1.0, "您好，请先介绍一下社区的网格是怎么划分的。"),
        (None, None, 9.0, "我们一共划了八个网格，每个网格有一个网格员。"),
        (None, None, 41.0, "卡口是怎么设置的？"),
        (None, None, 3723.5, "小区只留一个出入口，\n志愿者轮流值守。"),
    ]
    text = document.text
    first = document.segments[0]
    assert (first.start_char, first.end_char) == (
        text.index("您好"),
        text.index("您好") + len("您好，请先介绍一下社区的网格是怎么划分的。"),
    )


def test_time_stamp_lines_between_labelled_turns_give_their_time(tmp_path: Path) -> None:
    lines = ["00:01", "采访者：您好？", "", "[00:05]", "", "受访者：好的。", "00:09", "还有一点。"]
    document = prepared(write_layout(tmp_path, "mixed.txt", lines))
    assert turns(document) == [
        ("采访者", "interviewer", 1.0, "您好？"),
        ("受访者", "respondent", 5.0, "好的。"),
        ("受访者", "respondent", 9.0, "还有一点。"),
    ]


@pytest.mark.parametrize("name", ["bare.txt", "bare.docx"])
def test_a_label_with_only_a_bare_time_is_no_segment(tmp_path: Path, name: str) -> None:
    lines = ["采访者：您好。", "受访者：00:05", "采访者：00:09", "请问有几个？", "受访者：八个。"]
    document = prepared(write_layout(tmp_path, name, lines))
    assert turns(document) == [
        ("采访者", "interviewer", None, "您好。"),
        ("采访者", "interviewer", 9.0, "请问有几个？"),
        ("受访者", "respondent", None, "八个。"),
    ]


@pytest.mark.parametrize("name", ["together.txt", "together.md", "together.docx"])
def test_run_together_turns_are_separate_turns(tmp_path: Path, name: str) -> None:
    document = prepared(write_layout(tmp_path, name, RUN_TOGETHER))
    assert turns(document) == [
        ("采访者", "interviewer", 1.9, "您好，请问网格是怎么划分的？"),
        ("受访者", "respondent", 9.1, "我们一共划了八个网格。"),
        ("采访者", "interviewer", 15.0, "卡口呢？"),
        ("受访者", "respondent", 20.5, "只留一个出入口。"),
    ]
    for segment in document.segments:
        assert "[" not in document.text[segment.start_char : segment.end_char]


def test_a_name_and_time_said_in_passing_do_not_split_a_turn(tmp_path: Path) -> None:
    lines = ["采访者：您好？", "受访者：会议通知写着 时间: [10:30] 开会，大家都来了。"]
    document = prepared(write_layout(tmp_path, "passing.txt", lines))
    assert [speaker for speaker, _role, _time, _text in turns(document)] == ["采访者", "受访者"]


@pytest.mark.parametrize("name", ["export.txt", "export.docx"])
@pytest.mark.parametrize("lines", [CHINESE_EXPORT, ENGLISH_EXPORT], ids=["chinese", "english"])
def test_export_headers_stay_header_however_long(
    tmp_path: Path, name: str, lines: list[str]
) -> None:
    document = prepared(write_layout(tmp_path, name, lines))
    spoken = turns(document)
    interviewer, respondent = (
        lines[-11].rsplit(" ", 1)[0].strip(),
        lines[-8].rsplit(" ", 1)[0].strip(),
    )
    assert [(speaker, role, time) for speaker, role, time, _text in spoken] == [
        (interviewer, "interviewer", 0.0),
        (respondent, "respondent", 8.0),
        (interviewer, "interviewer", 45.0),
        (respondent, "respondent", 62.0),
    ]
    assert [text for _speaker, _role, _time, text in spoken] == lines[-10::3]


def test_a_file_of_time_stamps_only_is_one_error(cli: Cli, tmp_path: Path) -> None:
    cli("init")
    path = write(tmp_path / "stamps.txt", "00:01\n\n00:05\n[00:09]\n")
    result = cli("import", str(path))
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        f"failed   {path}: contains only time stamps, no spoken text",
        "0 added, 0 replaced, 0 skipped, 1 failed",
    ]
    assert json.loads(cli("docs", "list", "--format", "json").stdout) == []


@pytest.mark.parametrize(
    "text_header",
    ["words", " Words ", "内容", "utterance", "TRANSCRIPT", "content", "文本", "发言", "转写",
     "", "remarks"],
)  # fmt: skip
def test_turn_table_text_column_by_name_or_as_the_one_left(
    tmp_path: Path, text_header: str
) -> None:
    table = (
        f" Start Time , Speaker ,{text_header}\n"
        "00:00:01,采访者,网格怎么划分？\n"
        '00:00:05,受访者,"我们划了八个网格，\n每个网格一个网格员。"\n'
    )
    path = tmp_path / "turns.csv"
    path.write_text(table, encoding="utf-8")
    document = prepared(path)
    assert turns(document) == [
        ("采访者", "interviewer", 1.0, "网格怎么划分？"),
        ("受访者", "respondent", 5.0, "我们划了八个网格，\n每个网格一个网格员。"),
    ]


def test_a_turn_table_with_two_candidate_text_columns_is_one_error(
    cli: Cli, tmp_path: Path
) -> None:
    cli("init")
    path = write(tmp_path / "turns.csv", "time,speaker,notes,remarks\n00:01,A,x,y\n")
    result = cli("import", str(path))
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines()[0] == (
        f"failed   {path}:1: no text column; found columns: time, speaker, notes, remarks "
        "(2 could be the text: 'notes', 'remarks'; name one 'text')"
    )
    assert json.loads(cli("docs", "list", "--format", "json").stdout) == []
