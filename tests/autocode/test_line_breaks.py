"""Auto-coding sees through line breaks inside a turn (subtitle lines, soft line breaks), and
its offsets still slice the stored text exactly."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from qualcode.autocode.matching import Matcher, compile_matcher
from qualcode.autocode.normalise import normalise, normalise_many, normalise_with_origins
from qualcode.models import CodeRules

CHINESE = "主要靠网格员社区疫情𠀀𪚥"
LATIN = "gridwokeGW"
#: Characters whose normalisation changes length or width, next to the breaks.
AWKWARD = ["……", "ß", "㈱", "e\u0301", "ＧＲＩＤ", "😀", "👨‍👩‍👧", "，", "1"]
WHITESPACE = [" ", "\u3000", "\n", "\r\n", "\t"]
LINE_BREAKS = ["\n", "\r\n", "\r", "\u2028"]
texts = st.lists(st.sampled_from([*CHINESE, *LATIN, *AWKWARD, *WHITESPACE]), max_size=30).map(
    "".join
)
PROPERTY = settings(max_examples=100, deadline=None)

MATCHER = compile_matcher([
    CodeRules("grid.grid_workers", keywords=("网格员", "grid worker")),
    CodeRules("grid.reliance", keywords=("主要靠",)),
])  # fmt: skip


def quotes(matcher: Matcher, text: str) -> list[tuple[str, str]]:
    return [
        (match.code_id, text[match.start_char : match.end_char]) for match in matcher.match(text)
    ]


def test_a_phrase_on_two_subtitle_lines_is_coded() -> None:
    text = "我们主要靠网\n格员，还有志愿者。"
    assert quotes(MATCHER, text) == [
        ("grid.reliance", "主要靠"),
        ("grid.grid_workers", "网\n格员"),
    ]


def test_english_words_on_two_lines_are_one_phrase() -> None:
    text = "Our grid\r\n   Worker came."
    assert quotes(MATCHER, text) == [("grid.grid_workers", "grid\r\n   Worker")]


def test_a_hit_before_a_line_break_does_not_take_the_break() -> None:
    matcher = compile_matcher([CodeRules("a", keywords=("主要靠网",))])
    assert quotes(matcher, "主要靠网\n格员") == [("a", "主要靠网")]


def test_a_blank_line_still_separates() -> None:
    assert quotes(MATCHER, "网格\n\n员 and grid\n\nworker") == []


def test_all_of_rules_see_one_sentence_across_a_line_break() -> None:
    from qualcode.models import Proximity

    matcher = compile_matcher(
        [CodeRules("both", proximity=(Proximity(kind="all_of", terms=("网格员", "疫情")),))]
    )
    assert [match.code_id for match in matcher.match("疫情期间\n网格员很忙。")] == ["both"]
    assert matcher.match("疫情期间。\n\n网格员很忙。") == []


def test_keywords_with_a_line_break_are_folded_too() -> None:
    assert normalise("grid\nworker") == "grid worker"
    assert normalise("网格\r\n员") == "网格员"


@PROPERTY
@given(
    st.sampled_from(["网格员", "主要靠", "grid worker"]),
    st.data(),
    st.sampled_from(LINE_BREAKS),
    st.sampled_from(["", " ", "\u3000 "]),
    texts,
    texts,
)
def test_a_keyword_split_by_a_line_break_is_coded_with_exact_offsets(
    keyword: str, data: st.DataObject, line_break: str, padding: str, before: str, after: str
) -> None:
    if " " in keyword:
        first, second = keyword.split(" ")
    else:
        cut = data.draw(st.integers(1, len(keyword) - 1))
        first, second = keyword[:cut], keyword[cut:]
    split = first + padding + line_break + padding + second
    text = before + "。" + split + "。" + after
    one_by_one = MATCHER.match(text)
    in_a_chunk = list(MATCHER.match_many(["网格员", text, "", text]))
    assert in_a_chunk[1] == one_by_one and in_a_chunk[3] == one_by_one
    for match in one_by_one:
        quote = text[match.start_char : match.end_char]
        assert quote.strip() == quote
        assert normalise(quote) in {"网格员", "主要靠", "grid worker"}
    # Full stops around the split keyword: no other keyword can overlap it.
    position = len(before) + 1
    assert (position, position + len(split)) in [
        (match.start_char, match.end_char) for match in one_by_one
    ]


@PROPERTY
@given(st.lists(texts, min_size=1, max_size=6), st.data())
def test_normalised_spans_map_back_inside_the_text(chunk: list[str], data: st.DataObject) -> None:
    normalised_chunk = normalise_many(chunk)
    for index, text in enumerate(chunk):
        own = normalise_with_origins(text)
        assert normalised_chunk.text_at(index).text == own.text
        length = len(own.text)
        start = data.draw(st.integers(0, length))
        end = data.draw(st.integers(start, length))
        span = own.original_span(start, end)
        if span is None:
            continue
        original_start, original_end = span
        assert 0 <= original_start <= len(text)
        assert 0 <= original_end <= len(text)
        if end > start:
            assert original_start < original_end
