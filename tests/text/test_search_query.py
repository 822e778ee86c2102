"""The search syntax: what each form of query means, and one clear line for what it cannot."""

from __future__ import annotations

import pytest

from qualcode.errors import UsageError
from qualcode.text.search_query import Term, parse_query


def matches(query: str, text: str, exclude: tuple[str, ...] = ()) -> bool:
    return parse_query(query, exclude).spans(text) is not None


def test_words_separated_by_spaces_must_all_occur() -> None:
    assert matches("网格 志愿者", "网格员和志愿者一起巡查")
    assert not matches("网格 志愿者", "网格员一个人巡查")
    assert parse_query("网格 志愿者").spans("志愿者跟着网格员") == [(0, 3), (5, 7)]


def test_one_and_two_character_chinese_words_work_inside_every_form() -> None:
    assert matches("卡", "卡口有人值守")
    assert matches('"卡"', "卡口有人值守")
    assert matches("菜 OR 卡", "卡口有人值守")
    assert not matches("卡口 NOT 值守", "卡口有人值守")


def test_a_quoted_phrase_keeps_its_spaces_and_straight_or_chinese_quotes_work() -> None:
    assert matches('"grid workers"', "We had grid workers at every gate.")
    assert not matches('"grid workers"', "grid and workers")
    assert matches("“网格 员”", "他是网格 员")
    assert parse_query('"grid workers" gate').describe() == '"grid workers" AND gate'


def test_or_binds_tighter_than_the_spaces() -> None:
    query = parse_query("网格 志愿者 OR 党员")
    assert query.describe() == "网格 AND (志愿者 OR 党员)"
    assert matches("网格 志愿者 OR 党员", "党员下沉到网格")
    assert not matches("网格 志愿者 OR 党员", "党员和志愿者")
    assert matches("grid or", "the grid or the gate")  # lower-case 'or' is a word


def test_not_and_exclude_remove_segments() -> None:
    assert not matches("网格 NOT 谣言", "网格员辟谣言")
    assert matches("网格 NOT 谣言", "网格员巡查")
    assert not matches("网格", "网格员辟谣言", exclude=("谣言",))
    assert parse_query("网格", ("谣言", "菜价")).describe() == "网格 NOT 谣言 NOT 菜价"


def test_latin_prefixes_start_a_word_and_chinese_prefixes_are_plain_words() -> None:
    assert matches("grid*", "Gridded streets")
    assert matches("grid*", "the grids")
    assert not matches("grid*", "biggrid")
    assert parse_query("volunt*").spans("Volunteers and volunteering") == [(0, 10), (15, 27)]
    assert matches("网格*", "划分网格")
    assert Term("网格", prefix=True).spans("小网格员") == [(1, 3)]


def test_latin_matching_is_case_insensitive_and_spans_are_code_points() -> None:
    text = "😀 GRID workers, grid 𠀀 workers"
    spans = parse_query("grid").spans(text)
    assert spans is not None
    assert [text[start:end] for start, end in spans] == ["GRID", "grid"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ('"grid workers', "the quote at character 1 is not closed"),
        ("网格 OR", "OR at character 4 needs a word on each side"),
        ("OR 网格", "OR at character 1 needs a word on each side"),
        ("网格 NOT", "NOT needs a word after it"),
        ("NOT 谣言", "give at least one word to look for, not only exclusions"),
        ("NOT 谣言 OR 菜价", "NOT cannot be one side of an OR"),
        ('网格 ""', "an empty phrase at character 4"),
        ("*", "a lone * at character 1"),
        ("   ", "the search query is empty"),
    ],
)
def test_what_cannot_be_read_is_one_clear_error(query: str, message: str) -> None:
    with pytest.raises(UsageError, match=message.replace("*", r"\*")) as raised:
        parse_query(query)
    assert "\n" not in str(raised.value)
