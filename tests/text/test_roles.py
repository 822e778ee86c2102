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
