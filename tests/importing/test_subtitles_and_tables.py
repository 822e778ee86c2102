"""Subtitle (.srt, .vtt) and turn-table (.csv) readers: text, turns, times, encodings, errors."""

from __future__ import annotations

import codecs
import csv
import io
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qualcode.errors import InputError
from qualcode.importing.readers import read_file
from qualcode.importing.subtitles import read_srt, read_vtt
from qualcode.importing.table import read_turn_table
from qualcode.models import ReadResult
from qualcode.text.decoding import normalise_text
from tests.conftest import Cli, write

SRT = (
    "1\n"
    "00:00:02,000 --> 00:00:08,627\n"
    "采访者：书记您好，能先介绍一下社区吗？\n"
    "\n"
    "2\n"
    "00:00:09,467 --> 00:00:18,236\n"
    "受访者：庄桥社区是一个老社区，\n"
    "最早的房子是九十年代初建的。\n"
    "\n"
    "3\n"
    "00:00:18,276 --> 00:00:23,950\n"
    "<i>现在一千九百多户</i>，老人多。\n"
    "\n"
)

VTT = (
    "WEBVTT - 水秀社区\n"
    "Kind: captions\n"
    "\n"
    "NOTE 示例访谈，不是真实记录。\n"
    "第二行注释。\n"
    "\n"
    "STYLE\n"
    "::cue { color: yellow }\n"
    "\n"
    "intro\n"
    "00:01.000 --> 00:08.817 align:start\n"
    "<v 采访者>书记您好，能先介绍一下吗？</v>\n"
    "\n"
    "00:00:11.762 --> 00:00:16.484\n"
    "<v.loud Li Wei>谢谢 &amp; 您好，<c.yellow>基础</c>打得早。\n"
    "\n"
    "00:00:16.524 --> 00:00:24.817\n"
    "没有说话人的一句。\n"
)


def turn_rows(result: ReadResult) -> list[tuple[object, ...]]:
    """(speaker, role, start, end, spoken text) per turn, checking the offset invariant."""
    assert result.turns is not None
    rows: list[tuple[object, ...]] = []
    previous_end = 0
    for turn in result.turns:
        assert previous_end <= turn.start_char < turn.end_char <= len(result.text)
        piece = result.text[turn.start_char : turn.end_char]
        assert piece == piece.strip()
        rows.append((turn.speaker, turn.role, turn.start_time, turn.end_time, piece))
        previous_end = turn.end_char
    assert normalise_text(result.text) == result.text
    return rows


# SubRip ----------------------------------------------------------------------------------------


def test_srt_cues_become_turns_with_times_and_prefix_speakers() -> None:
    result = read_srt(Path("z.srt"), SRT.encode("utf-8"))
    assert result.source_format == "srt"
    assert result.encoding == "utf-8"
    assert result.text == (
        "采访者：书记您好，能先介绍一下社区吗？\n"
        "受访者：庄桥社区是一个老社区，\n最早的房子是九十年代初建的。\n"
        "现在一千九百多户，老人多。"
    )
    assert turn_rows(result) == [
        ("采访者", "interviewer", 2.0, 8.627, "书记您好，能先介绍一下社区吗？"),
        ("受访者", "respondent", 9.467, 23.95,
         "庄桥社区是一个老社区，\n最早的房子是九十年代初建的。\n现在一千九百多户，老人多。"),
    ]  # fmt: skip


@pytest.mark.parametrize("encoding", ["gb18030", "utf-16", "utf-16-be", "utf-8-sig"])
@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_srt_in_other_encodings_and_line_endings(encoding: str, newline: str) -> None:
    data = SRT.replace("\n", newline).encode(encoding)
    if encoding == "utf-16-be":
        data = codecs.BOM_UTF16_BE + data
    result = read_srt(Path("z.srt"), data)
    assert turn_rows(result) == turn_rows(read_srt(Path("z.srt"), SRT.encode("utf-8")))
    assert result.encoding == {"gb18030": "gb18030", "utf-8-sig": "utf-8-sig"}.get(
        encoding, "utf-16"
    )


def test_srt_in_big5() -> None:
    srt = "1\r\n00:00:01,000 --> 00:00:03,000\r\n採訪者：社區有多少網格員？\r\n\r\n"
    srt += "2\r\n00:00:04,000 --> 00:00:06,000\r\n受訪者：八個，還有志願者。\r\n"
    result = read_srt(Path("tw.srt"), srt.encode("big5"))
    assert result.encoding in ("big5", "cp950", "big5hkscs")
    assert [(row[0], row[4]) for row in turn_rows(result)] == [
        ("採訪者", "社區有多少網格員？"),
        ("受訪者", "八個，還有志願者。"),
    ]


def test_srt_tags_and_blank_lines_inside_a_cue() -> None:
    srt = (
        "1\n00:00:01,000 --> 00:00:02,000\n"
        "{\\an8}<b>Interviewer:</b> <font color=red>Hi?</font>\n\n"
        "2\n00:00:03,000 --> 00:00:04,500\nRespondent: first part\n\nsecond part\n"
    )
    rows = turn_rows(read_srt(Path("x.srt"), srt.encode()))
    assert rows == [
        ("Interviewer", "interviewer", 1.0, 2.0, "Hi?"),
        ("Respondent", "respondent", 3.0, 4.5, "first part\nsecond part"),
    ]


def test_srt_without_labels_has_no_speakers_and_false_prefixes_stay_text() -> None:
    srt = (
        "1\n00:00:01,000 --> 00:00:02,000\n注意：戴口罩。\n\n"
        "2\n00:00:02,000 --> 00:00:03,000\n我说：大家好。\n"
    )
    result = read_srt(Path("x.srt"), srt.encode())
    assert [(row[0], row[4]) for row in turn_rows(result)] == [
        (None, "注意：戴口罩。"),
        (None, "我说：大家好。"),
    ]


def test_srt_with_recurring_name_prefixes() -> None:
    srt = "".join(
        f"{number}\n00:00:0{number},000 --> 00:00:0{number},900\n{line}\n\n"
        for number, line in enumerate(
            [
                "Jane: How big is the grid?",
                "Li: Eight blocks.",
                "Jane: Who helps?",
                "Li: Volunteers.",
            ],
            start=1,
        )
    )
    rows = turn_rows(read_srt(Path("x.srt"), srt.encode()))
    assert [(row[0], row[1], row[4]) for row in rows] == [
        ("Jane", "interviewer", "How big is the grid?"),
        ("Li", "respondent", "Eight blocks."),
        ("Jane", "interviewer", "Who helps?"),
        ("Li", "respondent", "Volunteers."),
    ]


@pytest.mark.parametrize(
    ("srt", "line", "problem"),
    [
        ("1\n00:00:01,000 -> 00:00:02,000\nhi\n", 2, "expected a timing line"),
        ("1\n00:00:01 --> 00:00:02,000\nhi\n", 2, "malformed timing line"),
        ("1\n00:00:01,000 --> 00:00:02,000\nhi\n\n2\n", 5, "cue number without a timing line"),
        ("1\n00:00:05,000 --> 00:00:02,000\nhi\n", 2, "cue ends before it starts"),
        ("1\n00:00:75,000 --> 00:00:76,000\nhi\n", 2, "60 or more"),
        ("just some text\nwithout cues\n", 1, "expected a timing line"),
    ],
)
def test_srt_errors_name_file_and_line(srt: str, line: int, problem: str) -> None:
    with pytest.raises(InputError) as raised:
        read_srt(Path("bad.srt"), srt.encode())
    assert raised.value.line == line
    assert problem in raised.value.problem
    assert str(raised.value).startswith(f"bad.srt:{line}: ")
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize("data", [b"", b"\n\n  \n", b"1\n00:00:01,000 --> 00:00:02,000\n<i></i>\n"])
def test_srt_without_cue_text(data: bytes) -> None:
    with pytest.raises(InputError) as raised:
        read_srt(Path("empty.srt"), data)
    assert raised.value.path == "empty.srt"


# WebVTT ----------------------------------------------------------------------------------------


def test_vtt_skips_header_note_style_and_reads_voices() -> None:
    result = read_vtt(Path("s.vtt"), VTT.encode("utf-8"))
    assert result.source_format == "vtt"
    assert result.text == (
        "书记您好，能先介绍一下吗？\n谢谢 & 您好，基础打得早。\n没有说话人的一句。"
    )
    assert turn_rows(result) == [
        ("采访者", "interviewer", 1.0, 8.817, "书记您好，能先介绍一下吗？"),
        ("Li Wei", "respondent", 11.762, 16.484, "谢谢 & 您好，基础打得早。"),
        (None, None, 16.524, 24.817, "没有说话人的一句。"),
    ]


def test_vtt_in_utf16_with_crlf() -> None:
    result = read_vtt(Path("s.vtt"), VTT.replace("\n", "\r\n").encode("utf-16"))
    assert result.encoding == "utf-16"
    assert turn_rows(result) == turn_rows(read_vtt(Path("s.vtt"), VTT.encode()))


def test_vtt_prefix_speakers() -> None:
    vtt = (
        "WEBVTT\n\n00:01.000 --> 00:02.000\n问：多少人？\n\n"
        "00:02.000 --> 00:03.000\n答：九个。\n\n00:03.000 --> 00:04.000\n都是兼职。\n"
    )
    assert [
        (row[0], row[1], row[4]) for row in turn_rows(read_vtt(Path("q.vtt"), vtt.encode()))
    ] == [
        ("问", "interviewer", "多少人？"),
        ("答", "respondent", "九个。\n都是兼职。"),
    ]


@pytest.mark.parametrize(
    ("vtt", "line", "problem"),
    [
        ("00:01.000 --> 00:02.000\nhi\n", 1, "first line must be 'WEBVTT'"),
        ("WEBVTT\n\nintro\nhi\n", 4, "expected a timing line"),
        ("WEBVTT\n00:01.000 --> 00:02.000\nhi\n", 2, "followed by a blank line"),
        ("WEBVTT\n\n00:01.000 --> 00:0x.000\nhi\n", 3, "malformed timing line"),
        ("WEBVTT\n\nNOTE only a note\n", None, "no subtitle cues found"),
    ],
)
def test_vtt_errors(vtt: str, line: int | None, problem: str) -> None:
    with pytest.raises(InputError) as raised:
        read_vtt(Path("bad.vtt"), vtt.encode())
    assert raised.value.line == line
    assert problem in raised.value.problem


_CUE_TEXT = st.text(
    st.sampled_from("社区网格员志愿者，。？😀👍🏽𠀀𠀁𪚥abc XYZ：:<>&e\u0301"),
    min_size=1,
    max_size=30,
).filter(lambda text: text.strip() != "")


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(["", "采访者：", "受访者：", "Q: "]), _CUE_TEXT), min_size=1)
)
def test_any_cues_keep_the_offset_invariant(cues: list[tuple[str, str]]) -> None:
    srt = "".join(
        f"{number}\n00:00:{number % 60:02d},000 --> 00:00:{number % 60:02d},500\n{label}{text}\n\n"
        for number, (label, text) in enumerate(cues)
    )
    try:
        result = read_srt(Path("p.srt"), srt.encode("utf-8"))
    except InputError as error:
        assert "no subtitle cues" in error.problem  # every cue was only tags or spaces
        return
    turn_rows(result)


# Turn tables -----------------------------------------------------------------------------------


def test_turn_table_with_varied_header_names() -> None:
    table = (
        " Start Time ,SPEAKER, Text ,end_time,Role\n"
        "00:00:03.5,Jane Doe,How did the grid work?,00:00:08,interviewer\n"
        "0:09,李书记,每个网格一个网格员。,12.25,\n"
        "15,,No speaker on this row.,,\n"
        "16,Jane Doe,  ,,\n"
    )
    result = read_turn_table(Path("t.csv"), table.encode())
    assert result.source_format == "csv"
    assert result.text == (
        "Jane Doe: How did the grid work?\n李书记：每个网格一个网格员。\nNo speaker on this row."
    )
    assert turn_rows(result) == [
        ("Jane Doe", "interviewer", 3.5, 8.0, "How did the grid work?"),
        ("李书记", "respondent", 9.0, 12.25, "每个网格一个网格员。"),
        (None, None, 15.0, None, "No speaker on this row."),
    ]


def test_chinese_turn_table_in_gb18030_with_roles_from_speaker_labels() -> None:
    table = (
        "时间,说话人,内容\r\n00:00:03,访谈者,主任您好？\r\n"
        '00:00:09,受访者,"第一行，\r\n第二行。"\r\n'
    )
    result = read_turn_table(Path("c.csv"), table.encode("gb18030"))
    assert result.encoding == "gb18030"
    assert turn_rows(result) == [
        ("访谈者", "interviewer", 3.0, None, "主任您好？"),
        ("受访者", "respondent", 9.0, None, "第一行，\n第二行。"),
    ]


def test_tab_separated_table_in_a_csv_file() -> None:
    table = "timestamp\tname\tcontent\n00:01\tQ\tHow many?\n00:02\tA\tNine, all part-time.\n"
    rows = turn_rows(read_turn_table(Path("t.csv"), codecs.BOM_UTF8 + table.encode()))
    assert rows == [
        ("Q", "interviewer", 1.0, None, "How many?"),
        ("A", "respondent", 2.0, None, "Nine, all part-time."),
    ]


def test_table_with_only_a_text_column() -> None:
    rows = turn_rows(read_turn_table(Path("t.csv"), "发言内容\n第一句。\n\n第二句。\n".encode()))
    assert rows == [(None, None, None, None, "第一句。"), (None, None, None, None, "第二句。")]


@pytest.mark.parametrize(
    ("table", "line", "problem"),
    [
        ("time,speaker\n00:01,A\n", 1, "no text column; found columns: time, speaker"),
        ("case,file,district\nChaiji,chaiji.md,Liangxi\n", 1,
         "no text column; found columns: case, file, district"),
        ("time,speaker,text\n00:01,A,hi\nsoon,B,hello\n", 3, "cannot read time 'soon'"),
        ("time,speaker,text\n00:01,A,\n", None, "no row has text in column 'text'"),
        (",,\n", None, "has no header row"),
    ],
)  # fmt: skip
def test_turn_table_errors(table: str, line: int | None, problem: str) -> None:
    with pytest.raises(InputError) as raised:
        read_turn_table(Path("bad.csv"), table.encode())
    assert raised.value.line == line
    assert problem in raised.value.problem
    assert str(raised.value).startswith("bad.csv")


def test_turn_table_line_numbers_count_multi_line_cells() -> None:
    table = 'time,text\n00:01,"one\ntwo"\nlater,three\n'
    with pytest.raises(InputError) as raised:
        read_turn_table(Path("bad.csv"), table.encode())
    assert raised.value.line == 4


_CELL = st.text(st.sampled_from('社区网格员，。？😀👍🏽𠀀𪚥abc XYZ：:,;"\t\n'), max_size=25)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(_CELL, _CELL), min_size=1, max_size=10))
def test_any_table_gives_back_every_text_cell(rows: list[tuple[str, str]]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["Speaker", "Text"])
    writer.writerows(rows)
    expected = [(speaker.strip() or None, text.strip()) for speaker, text in rows if text.strip()]
    try:
        result = read_turn_table(Path("p.csv"), buffer.getvalue().encode("utf-8"))
    except InputError as error:
        assert not expected and "no row has text" in error.problem
        return
    assert [(row[0], row[4]) for row in turn_rows(result)] == expected


# Through the importer --------------------------------------------------------------------------


def test_read_file_dispatches_subtitles_and_tables(tmp_path: Path) -> None:
    assert read_file(write(tmp_path / "a.SRT", SRT)).source_format == "srt"
    assert read_file(write(tmp_path / "a.vtt", VTT)).source_format == "vtt"
    assert read_file(write(tmp_path / "a.csv", "text\nhi\n")).source_format == "csv"


def test_import_subtitles_and_table_through_the_cli(cli: Cli, tmp_path: Path) -> None:
    write(tmp_path / "in" / "z.srt", SRT, encoding="gb18030")
    write(tmp_path / "in" / "s.vtt", VTT)
    write(tmp_path / "in" / "c.csv", "时间,说话人,内容\n00:03,访谈者,您好？\n00:09,受访者,好的。\n")
    result = cli("import", str(tmp_path / "in"))
    assert result.exit_code == 0, result.stderr
    segments = json.loads(cli("segments", "--format", "json").stdout)
    by_document: dict[str, list[tuple[object, ...]]] = {}
    for row in segments:
        by_document.setdefault(row["document"], []).append(
            (row["speaker"], row["role"], row["start_time"], row["text"])
        )
    assert by_document["c.csv"] == [
        ("访谈者", "interviewer", 3.0, "您好？"),
        ("受访者", "respondent", 9.0, "好的。"),
    ]
    assert by_document["z.srt"][0] == (
        "采访者",
        "interviewer",
        2.0,
        "书记您好，能先介绍一下社区吗？",
    )
    assert by_document["s.vtt"][1] == ("Li Wei", "respondent", 11.762, "谢谢 & 您好，基础打得早。")
    for name in ("c.csv", "z.srt", "s.vtt"):
        text = json.loads(cli("docs", "show", name, "--format", "json").stdout)["text"]
        for row in segments:
            if row["document"] == name:
                assert text[row["start_char"] : row["end_char"]] == row["text"]


def test_consecutive_cues_of_one_speaker_are_one_turn_unless_the_label_repeats() -> None:
    """A turn is what one speaker said without interruption; no label lies inside a span."""
    srt = (
        "1\n00:00:01,000 --> 00:00:02,000\n受访者：第一句，\n\n"
        "2\n00:00:02,000 --> 00:00:03,000\n接着说。\n\n"
        "3\n00:00:03,000 --> 00:00:04,000\n受访者：又一句。\n"
    )
    rows = turn_rows(read_srt(Path("r.srt"), srt.encode()))
    assert [(row[2], row[3], row[4]) for row in rows] == [
        (1.0, 3.0, "第一句，\n接着说。"),
        (3.0, 4.0, "又一句。"),
    ]
