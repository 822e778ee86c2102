"""Speaker labels: which line prefixes are labels, which count in a transcript, the lexicon."""

from __future__ import annotations

import tomllib
from importlib import resources

import pytest

from qualcode.text.labels import (
    MAX_LABEL_CHARS,
    SpeakerLabel,
    candidate_labels,
    has_stamp_line,
    parse_clock_time,
    role_for_label,
    split_speaker_label,
    stamp_line_time,
)
from tests.conftest import REPOSITORY
from tests.text.helpers import spoken

# Which lines start with a label ------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "10:30 大家到会议室开会",
        "下午3:30开会",
        "http://example.com/a 是通知的链接",
        "好的，我说：大家要戴口罩",
        "他们问：为什么要排查？",
        "我们社区当时遇到的最大的一个困难方面就是人手：九个人。",
        "My neighbour said: wear a mask.",
        "Note: this is a remark.",
        "关键词：网格",
        "[1] 参见附件",
        "[link](http://example.com) text",
        "2021: a year of change",
        "",
        "没有冒号的普通一句话",
        "**重点**后面还有内容",
        "下午3:30：开会",
    ],
)
def test_lines_that_are_not_labels(line: str) -> None:
    label = split_speaker_label(line)
    assert label is None or (line.startswith("10:30") and label.speaker == "大家到会议室开会")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("采访者：您好", SpeakerLabel("采访者", None, 4, False)),
        ("Interviewer:  Hello", SpeakerLabel("Interviewer", None, 14, False)),
        ("  受访者 ： 好的", SpeakerLabel("受访者", None, 8, False)),
        ("[00:00:01.750] 采访者：您好", SpeakerLabel("采访者", 1.75, 19, True)),
        ("00:01:02 Speaker 1: text", SpeakerLabel("Speaker 1", 62.0, 20, True)),
        ("**采访者：**您好", SpeakerLabel("采访者", None, 8, False)),
        ("**采访者**：您好", SpeakerLabel("采访者", None, 8, False)),
        ("**[00:01] 采访者**", SpeakerLabel("采访者", 1.0, 15, True)),
        ("[00:01] **采访者**：您好", SpeakerLabel("采访者", 1.0, 16, True)),
        ("说话人 1 00:00", SpeakerLabel("说话人 1", 0.0, 11, True)),
        ("Jane Doe  12:34", SpeakerLabel("Jane Doe", 754.0, 15, True)),
        ("【访谈者】社区", SpeakerLabel("访谈者", None, 5, False)),
        ("【受访者】：社区", SpeakerLabel("受访者", None, 6, False)),
        ("[Interviewer] Hi", SpeakerLabel("Interviewer", None, 14, False)),
        ("Q: Hi", SpeakerLabel("Q", None, 3, False)),
        ("王书记（社区党委）：好", SpeakerLabel("王书记（社区党委）", None, 10, False)),
        ("采访者 [00:00:05]：您好", SpeakerLabel("采访者", 5.0, 15, True)),
        ("Speaker 1 (0:03): Hi", SpeakerLabel("Speaker 1", 3.0, 18, True)),
    ],
)
def test_split_speaker_label(line: str, expected: SpeakerLabel) -> None:
    assert split_speaker_label(line) == expected


def test_label_length_limit() -> None:
    assert split_speaker_label("甲" * MAX_LABEL_CHARS + "：好") is not None
    assert split_speaker_label("甲" * (MAX_LABEL_CHARS + 1) + "：好") is None


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("00:00:01.750", 1.75), ("00:00:01,5", 1.5), ("12:34", 754.0), ("1:02:03", 3723.0),
     ("3:75", None), ("1:60:00", None), ("abc", None), ("12", None)],
)  # fmt: skip
def test_parse_clock_time(value: str, seconds: float | None) -> None:
    assert parse_clock_time(value) == seconds


def test_role_for_label() -> None:
    assert role_for_label("受访者A") == "respondent"
    assert role_for_label("respondent 2") == "respondent"
    assert role_for_label("INTERVIEWER") == "interviewer"
    assert role_for_label("王书记") is None
    assert role_for_label("QA") is None


# Which labels count in a transcript --------------------------------------------------------------


def test_reported_speech_is_not_a_speaker() -> None:
    text = (
        "采访者：居民配合吗？\n"
        "受访者：一开始不配合。开会的时候我说：大家要戴口罩。\n"
        "我说：大家要戴口罩。\n"
        "他说：好的。\n"
        "我说：再说一遍。\n"
    )
    turns = spoken(text)
    assert [speaker for speaker, _, _ in turns] == ["采访者", "受访者"]
    assert turns[1][2].endswith("我说：再说一遍。")


def test_remark_openers_are_not_speakers_even_when_they_recur() -> None:
    text = "注意：出门戴口罩。\n今天开会。\n注意：回家洗手。\n"
    assert [speaker for speaker, _, _ in spoken(text)] == [None, None, None]
    labelled = "采访者：要注意什么？\n受访者：两点。\n注意：戴口罩。\n注意：洗手。\n"
    assert [speaker for speaker, _, _ in spoken(labelled)] == ["采访者", "受访者"]


def test_a_name_label_seen_once_is_text() -> None:
    text = "我们的看法是：居民要参与。\n第二行。\n"
    assert [speaker for speaker, _, _ in spoken(text)] == [None, None]


def test_a_name_that_recurs_alone_is_not_a_conversation() -> None:
    text = "小结：第一点。\n中间一段话。\n小结：第二点。\n"
    assert [speaker for speaker, _, _ in spoken(text)] == [None, None, None]


def test_recurring_names_in_a_conversation_are_speakers() -> None:
    text = (
        "王记者：社区有多少网格员？\n张书记：八个。\n"
        "王记者：够用吗？\n张书记：不够用，还要靠志愿者。\n"
    )
    assert spoken(text) == [
        ("王记者", "interviewer", "社区有多少网格员？"),
        ("张书记", "respondent", "八个。"),
        ("王记者", "interviewer", "够用吗？"),
        ("张书记", "respondent", "不够用，还要靠志愿者。"),
    ]


def test_a_timestamped_phrase_is_a_label_only_when_it_recurs() -> None:
    text = "10:30 大家到会议室开会\n然后讨论。\n"
    assert [speaker for speaker, _, _ in spoken(text)] == [None, None]


# Data files --------------------------------------------------------------------------------------


def test_data_files_ship_with_the_package() -> None:
    data = resources.files("qualcode") / "data"
    for name in ("speaker_roles.yml", "layout_words.yml", "turn_table_columns.yml"):
        assert (data / name).is_file()
    pyproject = tomllib.loads((REPOSITORY / "pyproject.toml").read_text(encoding="utf-8"))
    package_data = pyproject["tool"]["setuptools"]["package-data"]["qualcode"]
    assert any(pattern in ("data/*", "data/*.yml") for pattern in package_data)


# Time stamps ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("采访者: [00:00:01.900] 您好", SpeakerLabel("采访者", 1.9, 20, True)),
        ("受访者：01:02:03 好的", SpeakerLabel("受访者", 3723.0, 13, True)),
        ("Respondent: (00:09) Fine", SpeakerLabel("Respondent", 9.0, 20, True)),
        ("采访者：2:30", SpeakerLabel("采访者", None, 4, False)),  # said, not a stamp
        ("采访者：10:30 开会", SpeakerLabel("采访者", None, 4, False)),
        ("采访者：00:05", SpeakerLabel("采访者", 5.0, 9, True)),  # only a stamp: no text
        ("采访者：[00:05]", SpeakerLabel("采访者", 5.0, 11, True)),
    ],
)
def test_a_stamp_after_the_label_is_its_start_time(line: str, expected: SpeakerLabel) -> None:
    assert split_speaker_label(line) == expected
    assert candidate_labels([line]) == [(0, expected)]


@pytest.mark.parametrize(
    ("line", "seconds"),
    [("00:01", 1.0), ("00:00:01", 1.0), ("01:02:03.5", 3723.5), ("[00:01]", 1.0),
     ("(00:01)", 1.0), (" 【00:41】 ", 41.0), ("00:01 好", None), ("3:75", None), ("好", None)],
)  # fmt: skip
def test_stamp_line_time(line: str, seconds: float | None) -> None:
    assert stamp_line_time(line) == seconds
    assert has_stamp_line(f"标题\n{line}\n正文") == (seconds is not None)
