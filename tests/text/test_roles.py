"""Speaker roles: role words, who asks the questions, roles given by a table, and caution."""

from __future__ import annotations

import pytest

from qualcode.models import Turn
from qualcode.text.roles import assign_roles
from tests.text.helpers import spoken, turns_of


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Q: How many staff?\nA: Nine.\n", [("Q", "interviewer"), ("A", "respondent")]),
        ("问：有多少人？\n答：九个。\n", [("问", "interviewer"), ("答", "respondent")]),
        ("问:有多少人？\n答:九个。\n", [("问", "interviewer"), ("答", "respondent")]),
        (
            "interviewer: how many?\nRESPONDENT: nine\n",
            [("interviewer", "interviewer"), ("RESPONDENT", "respondent")],
        ),
        (
            "主持人：大家好？\n受访者1：我先说。\n受访者2：我补充。\n",
            [("主持人", "interviewer"), ("受访者1", "respondent"), ("受访者2", "respondent")],
        ),
        (
            "Moderator: Go ahead?\nRespondent B: Fine.\nInterviewee (Li): Yes.\n",
            [
                ("Moderator", "interviewer"),
                ("Respondent B", "respondent"),
                ("Interviewee (Li)", "respondent"),
            ],
        ),
    ],
)
def test_role_word_labels(text: str, expected: list[tuple[str, str]]) -> None:
    assert [(speaker, role) for speaker, role, _ in spoken(text)] == expected


def test_english_names_with_times_roles_by_questions() -> None:
    text = (
        "Jane Doe  12:34\nHow did the grid work?\n\n"
        "Li Wei  12:40\nEvery grid had a worker.\n\n"
        "Jane Doe  13:02\nAnd who paid for the masks?\n\n"
        "Li Wei  13:10\nThe street office did.\n"
    )
    assert spoken(text) == [
        ("Jane Doe", "interviewer", "How did the grid work?"),
        ("Li Wei", "respondent", "Every grid had a worker."),
        ("Jane Doe", "interviewer", "And who paid for the masks?"),
        ("Li Wei", "respondent", "The street office did."),
    ]
    assert turns_of(text)[0].start_time == 754.0


def test_names_next_to_a_role_word_interviewer_are_respondents() -> None:
    text = "记者：网格员多吗？\n张书记：不多。\n记者：怎么办？\n张书记：靠志愿者。\n"
    assert [(speaker, role) for speaker, role, _ in spoken(text)] == [
        ("记者", "interviewer"), ("张书记", "respondent"),
        ("记者", "interviewer"), ("张书记", "respondent"),
    ]  # fmt: skip


def test_questions_without_question_marks() -> None:
    text = (
        "老王：社区有多少网格员吗。\n小李：八个，怎么说呢，不够用。\n"
        "老王：请问志愿者从哪里来\n小李：党员带头，什么人都有。\n"
    )
    assert [(speaker, role) for speaker, role, _ in spoken(text)] == [
        ("老王", "interviewer"), ("小李", "respondent"),
        ("老王", "interviewer"), ("小李", "respondent"),
    ]  # fmt: skip
    english = (
        "Ann: How did the grid start\nBo: When the first case came, people who lived here helped.\n"
        "Ann: Tell me about the volunteers\nBo: Which ones came first, I cannot say.\n"
    )
    assert [role for _, role, _ in spoken(english)] == [
        "interviewer", "respondent", "interviewer", "respondent",
    ]  # fmt: skip


def test_no_clear_questioner_leaves_roles_unknown() -> None:
    text = "Alice: I think so?\nBob: Why?\nAlice: Because.\nBob: Fine.\n"
    assert [(speaker, role) for speaker, role, _ in spoken(text)] == [
        ("Alice", None), ("Bob", None), ("Alice", None), ("Bob", None),
    ]  # fmt: skip


def test_explicit_roles_are_kept() -> None:
    text = "甲：问题？\n乙：回答。\n"
    turns = [Turn(2, 5, "甲", "respondent"), Turn(8, 11, "乙")]
    assert [turn.role for turn in assign_roles(turns, text)] == ["respondent", None]


# A labelled set: inferred roles are right or unknown, never wrong ---------------------------

#: (transcript, the true role of each speaker). Layouts: Chinese and English name labels,
#: ``说话人 N 00:00`` lines, bracket labels, Markdown bold, run-together turns, time-stamped
#: labels; interviewers who talk at length, respondents who ask back, greetings first.
LABELLED = [
    ("老王：社区有多少网格员？\n小李：八个。\n老王：够用吗？\n小李：不够用。\n",
     {"老王": "interviewer", "小李": "respondent"}),
    ("说话人 1 00:00\n请介绍一下社区？\n\n说话人 2 00:08\n社区在新吴区。\n\n"
     "说话人 1 00:45\n最难的是什么？\n\n说话人 2 01:02\n排查人员。\n",
     {"说话人 1": "interviewer", "说话人 2": "respondent"}),
    ("说话人 1 00:07\n我先讲一下项目的背景，我们看了很多材料。\n\n"
     "说话人 2 00:20\n好的，我们设了卡口。\n\n"
     "说话人 1 00:45\n我们也注意到有些社区有谣言。\n\n说话人 2 01:02\n是的，您看还有什么问题吗？\n",
     {"说话人 1": "interviewer", "说话人 2": "respondent"}),
    ("Jane Doe  00:00\nHow did the grid work?\n\nLi Wei  00:10\nEvery grid had a worker.\n\n"
     "Jane Doe  00:30\nWho paid for the masks?\n\nLi Wei  00:41\nThe street office did.\n",
     {"Jane Doe": "interviewer", "Li Wei": "respondent"}),
    ("Ann: Thanks for coming.\nBo: Happy to. Shall we start?\nAnn: Yes. Tell me about the grid.\n"
     "Bo: It had eight parts.\nAnn: And the volunteers?\nBo: Party members first.\n",
     {"Ann": "interviewer", "Bo": "respondent"}),
    ("【王记者】社区有几个卡口？\n【张书记】三个。\n【王记者】谁值守？\n【张书记】志愿者。\n",
     {"王记者": "interviewer", "张书记": "respondent"}),
    ("**李老师**：请问您在社区工作多久了？\n**陈主任**：十七年。\n**李老师**：疫情时最忙的是哪段？\n"
     "**陈主任**：春节前后。\n", {"李老师": "interviewer", "陈主任": "respondent"}),
    ("小周: [00:00:01.900] 您好，社区怎么组织的？小吴: [00:00:09.100] 我们分了网格。"
     "小周: [00:00:15.000] 有困难吗？小吴: [00:00:20.000] 人手不够。\n",
     {"小周": "interviewer", "小吴": "respondent"}),
    ("[00:01] Tom: Good morning.\n[00:05] Sue: Morning! Is the recorder on?\n"
     "[00:09] Tom: It is. What did your team do first?\n[00:20] Sue: We counted residents.\n",
     {"Tom": "interviewer", "Sue": "respondent"}),
    ("甲：我说一下情况。\n乙：好的。\n甲：情况就是这样。\n乙：明白。\n",
     {"甲": "respondent", "乙": "interviewer"}),
    ("Alice: I think so?\nBob: Why?\nAlice: Because.\nBob: Fine.\n",
     {"Alice": "respondent", "Bob": "interviewer"}),
    ("记者：网格员多吗？\n张书记：不多，您觉得呢？\n记者：我不好说。\n张书记：靠志愿者。\n",
     {"记者": "interviewer", "张书记": "respondent"}),
]  # fmt: skip


def test_inferred_roles_on_a_labelled_set_are_never_wrong() -> None:
    told: set[tuple[int, str]] = set()
    for number, (text, truth) in enumerate(LABELLED):
        for speaker, role, _text in spoken(text):
            assert speaker in truth, (text, speaker)
            assert role in (None, truth[speaker]), (text, speaker, role)
            if role is not None:
                told.add((number, speaker))
    assert len(told) >= 14  # of 24 speakers: the rest stay unknown, which is allowed
