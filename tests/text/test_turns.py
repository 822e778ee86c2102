"""Speaker turns in free text: layouts, headers, the offset invariant, and the fast path."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qualcode.models import Turn
from qualcode.text.labels import candidate_labels, split_speaker_label
from qualcode.text.turns import _new_turns, _plain_label_turns, _turns_line_by_line, detect_turns
from tests.text.helpers import check_invariants, headers, spoken, turns_of

INTERVIEW = (
    "柴机社区访谈（示例）\n"
    "关键词：网格化；疫情防控\n"
    "访谈对象：柴机社区党委书记\n"
    "\n"
    "采访者：您好，请问社区是怎么划分网格的？\n"
    "受访者：我们一共划了八个网格。\n"
    "采访者：卡口是怎么设置的？\n"
    "受访者：小区只留一个出入口。\n"
)


# Layouts -----------------------------------------------------------------------------------------


def test_chinese_role_labels_with_header_block() -> None:
    assert spoken(INTERVIEW) == [
        ("采访者", "interviewer", "您好，请问社区是怎么划分网格的？"),
        ("受访者", "respondent", "我们一共划了八个网格。"),
        ("采访者", "interviewer", "卡口是怎么设置的？"),
        ("受访者", "respondent", "小区只留一个出入口。"),
    ]
    assert headers(INTERVIEW) == [
        "柴机社区访谈（示例）",
        "关键词：网格化；疫情防控",
        "访谈对象：柴机社区党委书记",
    ]
    check_invariants(INTERVIEW, turns_of(INTERVIEW))


def test_timestamp_then_label() -> None:
    text = "[00:00:01.750] 采访者：您好？\n[00:01:02] 受访者：好的。\n"
    turns = [turn for turn in turns_of(text) if not turn.is_header]
    assert [(turn.speaker, turn.start_time) for turn in turns] == [
        ("采访者", 1.75),
        ("受访者", 62.0),
    ]
    assert [text[turn.start_char : turn.end_char] for turn in turns] == ["您好？", "好的。"]


def test_markdown_bold_labels_with_text_on_the_same_line() -> None:
    text = (
        "# 访谈\n\n**[00:00:05] 采访者：** 书记您好。\n\n**受访者**：您好。\n\n**采访者：**谢谢。\n"
    )
    assert spoken(text) == [
        ("采访者", "interviewer", "书记您好。"),
        ("受访者", "respondent", "您好。"),
        ("采访者", "interviewer", "谢谢。"),
    ]
    assert turns_of(text)[1].start_time == 5.0


def test_bold_label_with_text_in_following_paragraphs() -> None:
    text = (
        "**[00:01] 采访者**\n\n您好，先介绍一下？\n\n"
        "**[00:09] 受访者**\n\n第一段回答。\n\n第二段回答。\n"
    )
    assert spoken(text) == [
        ("采访者", "interviewer", "您好，先介绍一下？"),
        ("受访者", "respondent", "第一段回答。\n\n第二段回答。"),
    ]
    assert [turn.start_time for turn in turns_of(text)] == [1.0, 9.0]


def test_bold_around_label_and_text() -> None:
    text = "**采访者：您好？**\n**受访者：好的，**很好**。**\n"
    assert spoken(text) == [
        ("采访者", "interviewer", "您好？"),
        ("受访者", "respondent", "好的，**很好**。"),
    ]


def test_label_alone_on_its_line() -> None:
    text = "采访者：\n您好？\n受访者：\n好的，\n我说两点。\n"
    assert spoken(text) == [
        ("采访者", "interviewer", "您好？"),
        ("受访者", "respondent", "好的，\n我说两点。"),
    ]


def test_speaker_line_with_time_then_text() -> None:
    text = (
        "说话人 1 00:00\n您好，请先介绍一下社区的情况？\n\n"
        "说话人 2 00:08\n社区在新吴区，常住人口一万多。\n\n"
        "说话人 1 00:45\n疫情期间最重要的工作是什么？\n\n"
        "说话人 2 01:02:03\n排查返锡人员。\n"
    )
    turns = turns_of(text)
    assert [(turn.speaker, turn.role, turn.start_time) for turn in turns] == [
        ("说话人 1", "interviewer", 0.0),
        ("说话人 2", "respondent", 8.0),
        ("说话人 1", "interviewer", 45.0),
        ("说话人 2", "respondent", 3723.0),
    ]
    assert text[turns[3].start_char : turns[3].end_char] == "排查返锡人员。"


def test_bracket_labels() -> None:
    text = "安溪社区访谈\n社区\t安溪\n【访谈者】社区怎么组织应急队伍？\n【受访者】我们靠党员。\n"
    assert spoken(text) == [
        ("访谈者", "interviewer", "社区怎么组织应急队伍？"),
        ("受访者", "respondent", "我们靠党员。"),
    ]
    assert headers(text) == ["安溪社区访谈", "社区\t安溪"]
    english = "[Interviewer] Who helped?\n[Respondent] Volunteers.\n"
    assert spoken(english) == [
        ("Interviewer", "interviewer", "Who helped?"),
        ("Respondent", "respondent", "Volunteers."),
    ]


def test_turn_runs_until_the_next_label_across_blank_lines() -> None:
    text = "采访者：第一问？\n\n受访者：第一段。\n\n第二段，没有标签。\n\n采访者：第二问？\n"
    assert spoken(text)[1] == ("受访者", "respondent", "第一段。\n\n第二段，没有标签。")


def test_long_unlabelled_talk_before_the_first_label_is_not_a_header() -> None:
    paragraphs = [f"第{number}段没有标签的谈话，网格员上门排查。" for number in range(20)]
    text = "关键词：网格\n\n" + "\n\n".join(paragraphs) + "\n\n问：还有吗？\n"
    assert headers(text) == ["关键词：网格"]
    assert spoken(text)[0] == (None, None, paragraphs[0])
    assert spoken(text)[-1] == ("问", "interviewer", "还有吗？")
    assert len(spoken(text)) == 21


# Without labels -------------------------------------------------------------------------------


def test_no_labels_paragraphs_are_turns() -> None:
    text = "第一段第一行\n第一段第二行\n\n  第二段  \n\n\n第三段\n"
    assert spoken(text) == [
        (None, None, "第一段第一行\n第一段第二行"),
        (None, None, "第二段"),
        (None, None, "第三段"),
    ]


def test_no_labels_and_no_blank_lines_each_line_is_a_turn() -> None:
    text = "第一行。\n第二行。\n\n"
    assert spoken(text) == [(None, None, "第一行。"), (None, None, "第二行。")]


def test_no_labels_leading_metadata_lines_are_the_header() -> None:
    text = "关键词：网格\n- 日期：2021年3月\nDate: 2021-03-01\n\n正文第一段。\n\n时间：下午再说。\n"
    assert headers(text) == ["关键词：网格\n- 日期：2021年3月\nDate: 2021-03-01"]
    assert [piece for _, _, piece in spoken(text)] == ["正文第一段。", "时间：下午再说。"]


def test_empty_and_blank_text() -> None:
    assert detect_turns("") == []
    assert detect_turns(" \n\u3000\n") == []


# Offsets with emoji, CJK extension B and combining marks ------------------------------------------


def test_offsets_are_code_points_with_astral_characters() -> None:
    text = "𠀀标题👍🏽\n采访者：😀你好𠀁？\n受访者：👍🏽好的，𪚥。\n"
    assert spoken(text) == [
        ("采访者", "interviewer", "😀你好𠀁？"),
        ("受访者", "respondent", "👍🏽好的，𪚥。"),
    ]


_SPOKEN_CHARACTERS = st.one_of(
    st.sampled_from(
        "社区网格员志愿者居民的了是不在有人这中我说注意吗呢😀👍🏽𠀀𠀁𪚥 ，。？！：:【】[]*abcXYZ"
    ),
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp")),
)
_LABELS = st.sampled_from(
    ["采访者：", "受访者：", "Q: ", "A: ", "【访谈者】", "[Interviewer] ", "**受访者：**",
     "[00:00:01.750] 采访者：", "注意：", "我说：", "10:30 ", "王书记：", "Jane: ", "",
     "00:01\n", "[00:00:05]\n", "受访者: [00:00:09.100] ", "采访者：01:02:03 "]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            _LABELS, st.text(_SPOKEN_CHARACTERS, max_size=30), st.sampled_from(["\n", "\n\n"])
        ),
        max_size=12,
    )
)
def test_any_text_keeps_the_offset_invariant(lines: list[tuple[str, str, str]]) -> None:
    text = "".join(label + body + end for label, body, end in lines)
    turns = turns_of(text)
    check_invariants(text, turns)


_PLAIN_SPOKEN = st.text(
    st.sampled_from("社区网格员志愿者居民好的吗。，？😀👍🏽𠀀𠀁𪚥abc XYZ"), min_size=1, max_size=40
).filter(lambda body: body.strip() != "")


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["采访者", "受访者", "问", "答", "Interviewer"]), _PLAIN_SPOKEN),
        min_size=1,
        max_size=15,
    ),
    st.sampled_from(["：", ": ", "：\n", ":  \n\n"]),
)
def test_labelled_transcripts_give_back_every_turn(
    turns: list[tuple[str, str]], separator: str
) -> None:
    text = "标题\n关键词：测试\n\n" + "".join(
        f"{speaker}{separator}{body}\n" for speaker, body in turns
    )
    assert [(speaker, body) for speaker, _role, body in spoken(text)] == [
        (speaker, body.strip()) for speaker, body in turns
    ]
    assert headers(text) == ["标题", "关键词：测试"]


# The fast paths agree with the rules line by line ------------------------------------------------


_FAST_PATH_LINES = st.one_of(
    st.tuples(
        st.sampled_from(
            ["采访者", "受访者", "问", "答", "Q", "A", "Interviewer", "受访者1", "Speaker 2",
             "王书记", "Jane", "注意", "关键词", "我说", "http", "10", "甲" * 21, "居民²", ""]
        ),
        st.sampled_from(["：", ":", ": ", "：\u3000", "：**", "**：", ":\t**  ", "://", "：1"]),
        st.text(_SPOKEN_CHARACTERS, max_size=12),
    ).map("".join),
    st.sampled_from(
        ["", " ", "标题", "关键词：测试", "[00:01] 采访者：好", "**受访者：**好的",
         "【访谈者】社区", "说话人 1 00:00", "采访者 [00:00:05]：您好", "10:30 开会", "好的**",
         "__", "\u3000", "00:01", "[00:00:05]", "(01:02:03.5)", "采访者: [00:00:01.900] 您好",
         "好的。受访者: [00:00:09] 嗯", "受访者：1:02:03 好"]
    ),
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(_FAST_PATH_LINES, max_size=14), st.sampled_from(["", "\n", "\n\n"]))
def test_the_plain_label_path_finds_what_the_line_rules_find(lines: list[str], end: str) -> None:
    text = "\n".join(lines) + end
    fast = _plain_label_turns(text)
    assert fast is None or fast == _turns_line_by_line(text)
    assert candidate_labels(text.split("\n")) == [
        (index, label)
        for index, line in enumerate(text.split("\n"))
        if (label := split_speaker_label(line)) is not None
    ]


@pytest.mark.parametrize(
    "text",
    [
        "采访者：您好\n受访者：好的\n",  # a label on the first line
        "标题\n关键词：网格\n\n采访者：您好？\n\n受访者：好的。\n\n",
        "采访者：\n您好，\n请问？\n受访者：\n好的。",  # the text on the following lines
        "受访者1：12点开会\n受访者1：好\n采访者：2:30\n",  # a digit after a digit and colon
        "Q:  **您好**\nA: 好的**\n",
        "采访者：您好\n[00:01] 受访者：好的\n",  # another layout: the line-by-line path
        "甲：一\n乙：二\n甲：三\n",  # names that recur in a conversation
        "小结：一\n正文\n小结：二\n",  # a name that recurs alone: no label
    ],
)
def test_the_plain_label_path_on_typical_layouts(text: str) -> None:
    fast = _plain_label_turns(text)
    assert fast is None or fast == _turns_line_by_line(text)
    assert detect_turns(text) == _turns_line_by_line(text)


def test_turns_built_column_by_column_equal_turns_built_one_by_one() -> None:
    built = _new_turns(
        [0, 5], [4, 9], ["采访者", None], ["interviewer", None], [1.5, None], [2.0, None],
        [False, True],
    )  # fmt: skip
    assert built == [
        Turn(0, 4, "采访者", "interviewer", 1.5, 2.0, False),
        Turn(5, 9, None, None, None, None, True),
    ]
    assert [type(turn) for turn in built] == [Turn, Turn]
    with pytest.raises(ValueError, match="one value per turn"):
        _new_turns([0], [1], [], [None], [None], [None], [False])


def test_an_export_heading_and_its_list_lead_an_unlabelled_transcript() -> None:
    text = "SUMMARY KEYWORDS\ngrid, volunteers\n\nFirst paragraph.\n\nSecond paragraph.\n"
    assert headers(text) == ["SUMMARY KEYWORDS\ngrid, volunteers"]
    assert [piece for _, _, piece in spoken(text)] == ["First paragraph.", "Second paragraph."]
