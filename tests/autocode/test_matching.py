"""The keyword-assisted matcher: what fires, where, and why (DESIGN.md section 5).

Every test here is a promise a researcher relies on when reading auto-coded evidence: the
span points at the words in the transcript as written, overlapping keywords resolve the same
way every time, English keywords do not fire inside longer words, and exclusions veto.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qualcode.autocode.matching import compile_matcher, english_lemma_forms
from qualcode.autocode.normalise import normalise
from qualcode.errors import QualcodeError
from qualcode.models import CodeRules, Match


def hits(rules: list[CodeRules], text: str) -> list[tuple[str, str, str]]:
    """(code, rule, quoted text) for every match, in the order the matcher returns them."""
    return [
        (match.code_id, match.rule, text[match.start_char : match.end_char])
        for match in compile_matcher(rules).match(text)
    ]


def test_chinese_keyword_found_at_its_offsets() -> None:
    text = "我们社区的网格员每天上门排查。"
    matches = compile_matcher([CodeRules("grid.workers", keywords=("网格员",))]).match(text)
    assert matches == [Match("grid.workers", "keyword", "网格员", 5, 8)]


def test_every_occurrence_is_reported() -> None:
    text = "网格员、网格员，还是网格员"
    found = hits([CodeRules("grid.workers", keywords=("网格员",))], text)
    assert found == [("grid.workers", "网格员", "网格员")] * 3


def test_longest_keyword_wins_across_codes() -> None:
    rules = [
        CodeRules("grid.workers", keywords=("网格",)),
        CodeRules("grid.management", keywords=("网格化管理",)),
    ]
    assert hits(rules, "推行网格化管理") == [("grid.management", "网格化管理", "网格化管理")]


def test_indonesia_is_not_india() -> None:
    """印度尼西亚 (Indonesia) contains 印度 (India): the longer keyword takes the place."""
    rules = [
        CodeRules("india", keywords=("印度",)),
        CodeRules("indonesia", keywords=("印度尼西亚",)),
    ]
    assert hits(rules, "从印度尼西亚回来的人，还有印度的") == [
        ("indonesia", "印度尼西亚", "印度尼西亚"),
        ("india", "印度", "印度"),
    ]


def test_same_keyword_in_two_codes_fires_both() -> None:
    rules = [
        CodeRules("opinion.wechat", keywords=("微信群",)),
        CodeRules("smart.platforms", keywords=("微信群",)),
    ]
    codes = sorted(code for code, _rule, _quote in hits(rules, "通过微信群通知"))
    assert codes == ["opinion.wechat", "smart.platforms"]


def test_full_width_and_case_are_normalised_but_offsets_point_at_the_original() -> None:
    text = "大家都在ＷｅＣｈａｔ群里说"
    assert hits([CodeRules("opinion.wechat", keywords=("wechat",))], text) == [
        ("opinion.wechat", "wechat", "ＷｅＣｈａｔ")
    ]


def test_english_keywords_match_whole_words_only() -> None:
    rules = [CodeRules("grid", keywords=("grid",))]
    assert hits(rules, "the gridlock downtown") == []
    assert hits(rules, "a grid-based system") == [("grid", "grid", "grid")]
    assert hits(rules, "Grid.") == [("grid", "grid", "Grid")]


def test_chinese_characters_are_word_boundaries_for_english_keywords() -> None:
    assert hits([CodeRules("grid", keywords=("grid",))], "网格grid管理") == [
        ("grid", "grid", "grid")
    ]


def test_exclusion_vetoes_an_overlapping_hit_only() -> None:
    rules = [CodeRules("grid.workers", keywords=("网格员",), exclude=("网格员工",))]
    text = "网格员工食堂，网格员值班"
    matches = compile_matcher(rules).match(text)
    assert [(m.start_char, m.end_char) for m in matches] == [(7, 10)]


def test_vetoed_keyword_leaves_room_for_another_codes_keyword() -> None:
    rules = [
        CodeRules("a", keywords=("卡口检查",), exclude=("卡口检查站",)),
        CodeRules("b", keywords=("卡口",)),
    ]
    assert hits(rules, "卡口检查站") == [("b", "卡口", "卡口")]


def test_patterns_run_on_normalised_text_with_original_offsets() -> None:
    rules = [CodeRules("grid.checkpoints", patterns=(r"\d+个卡口",))]
    assert hits(rules, "一共设了１２个卡口") == [("grid.checkpoints", r"\d+个卡口", "１２个卡口")]


def test_english_lemmas_find_inflected_forms() -> None:
    assert "rumours" in english_lemma_forms("rumour")
    rules = [CodeRules("opinion.rumours", lemmas=("rumour",))]
    assert hits(rules, "Rumours spread; one rumour was false.") == [
        ("opinion.rumours", "rumour", "Rumours"),
        ("opinion.rumours", "rumour", "rumour"),
    ]


def test_the_lemma_table_is_the_one_spacy_loads() -> None:
    """Read without importing spaCy (a second of start-up), it must still be spaCy's table."""
    from spacy.util import load_language_data, registry

    from qualcode.autocode.matching import _english_lemma_table

    lookup = dict(load_language_data(registry.lookups.get("en")["lemma_lookup"]))
    expected: dict[str, list[str]] = {}
    for form, lemma in lookup.items():
        expected.setdefault(normalise(lemma), []).append(normalise(form))
    assert _english_lemma_table() == expected


def test_bad_pattern_is_reported_not_raised_as_a_traceback() -> None:
    with pytest.raises(QualcodeError, match="grid"):
        compile_matcher([CodeRules("grid", patterns=("([unclosed",))])


TEXT_ALPHABET = st.sampled_from(
    [*"网格员卡口社区志愿者，。！？ ", "😷", "👍🏽", "𠀋", "𪚥", "ａ", "Ｂ", "x", "y", "\n"]
)
KEYWORDS = ("网格员", "卡口", "志愿者", "社区", "xy", "ａb")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(TEXT_ALPHABET, st.sampled_from(KEYWORDS)), max_size=60))
def test_every_match_quotes_the_original_text_exactly(pieces: list[str]) -> None:
    """Offsets are code points into the text as written, whatever surrounds the keyword."""
    text = "".join(pieces)
    matcher = compile_matcher([CodeRules("code", keywords=KEYWORDS)])
    previous_end = 0
    for match in matcher.match(text):
        assert 0 <= match.start_char < match.end_char <= len(text)
        assert normalise(text[match.start_char : match.end_char]) == normalise(match.rule)
        assert match.start_char >= previous_end  # one code's keyword hits never overlap
        previous_end = match.end_char


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["网格员", "卡口", "志愿者", "，", "😷", "𠀋", "的"]), max_size=40))
def test_chinese_keywords_agree_with_a_naive_scan(pieces: list[str]) -> None:
    """With keywords that cannot overlap, the one-pass matcher finds what str.find finds."""
    text = "".join(pieces)
    keywords = ("网格员", "卡口", "志愿者")
    expected = sorted(
        (start, start + len(keyword))
        for keyword in keywords
        for start in _occurrences(text, keyword)
    )
    matches = compile_matcher([CodeRules("code", keywords=keywords)]).match(text)
    assert sorted((m.start_char, m.end_char) for m in matches) == expected


def _occurrences(text: str, keyword: str) -> list[int]:
    starts, start = [], text.find(keyword)
    while start != -1:
        starts.append(start)
        start = text.find(keyword, start + len(keyword))
    return starts


MANY_ALPHABET = st.sampled_from(
    [
        *"网格员卡口社区，。 ",
        "……",
        "ß",
        "e\u0301",
        "㈱",
        "ＡＢ",
        "😷",
        "𠀋",
        "grid",
        "Grid",
        "\n",
        "Ω",
    ]
)
MANY_RULES = [
    CodeRules("a", keywords=("网格员", "grid", "ss", "卡口"), exclude=("网格员工",)),
    CodeRules("b", keywords=("网格", "...", "é", "ab"), patterns=(r"卡口.{0,3}社区",)),
    CodeRules("c", patterns=(r"^网格", r"社区$")),
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(MANY_ALPHABET, max_size=12).map("".join), max_size=30))
def test_matching_many_texts_at_once_gives_what_one_at_a_time_gives(texts: list[str]) -> None:
    """``match_many`` (used by auto-coding runs) is exactly ``match`` per text."""
    matcher = compile_matcher(MANY_RULES)
    assert list(matcher.match_many(texts)) == [matcher.match(text) for text in texts]
    local_only = compile_matcher(MANY_RULES[:2])
    assert list(local_only.match_many(texts)) == [local_only.match(text) for text in texts]
