"""Line breaks folded for matching: nothing between Chinese characters, a space elsewhere, and
every folded span maps back to exactly the stored text it came from."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from qualcode.text.folding import fold_line_breaks

#: Characters the properties mix: Chinese (BMP and Extension B), English, emoji (outside the
#: BMP, and a joined family), Hangul, full-width punctuation, spaces and every kind of break.
CHINESE = "主要靠网格员社区疫情𠀀𪚥𫝀"
LATIN = "gridworkerGW"
OTHER = "😀👨‍👩‍👧한국，。1"
WHITESPACE = [" ", "\t", "\u3000", "\n", "\r\n", "\r", "\u2028"]
LINE_BREAKS = ["\n", "\r\n", "\r", "\u2028", "\x85", "\v", "\f", "\u2029"]

pieces = st.sampled_from([*CHINESE, *LATIN, *OTHER, *WHITESPACE])
texts = st.lists(pieces, max_size=40).map("".join)
PROPERTY = settings(max_examples=150, deadline=None)


def without_whitespace(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_a_line_break_between_chinese_characters_is_nothing() -> None:
    folded = fold_line_breaks("主要靠网\n格员")
    assert folded.text == "主要靠网格员"
    assert folded.stored_span(0, 4) == (0, 4)  # 主要靠网, without the line break
    assert folded.stored_span(3, 6) == (3, 7)  # 网\n格员


def test_a_line_break_between_latin_letters_is_one_space() -> None:
    folded = fold_line_breaks("the grid \r\n\t worker")
    assert folded.text == "the grid worker"
    start, end = folded.stored_span(4, 15)
    assert "the grid \r\n\t worker"[start:end] == "grid \r\n\t worker"
    assert folded.stored_span(4, 8) == (4, 8)  # grid, without the whitespace after it


def test_mixed_scripts_emoji_and_hangul_get_a_space() -> None:
    assert fold_line_breaks("网格\ngrid").text == "网格 grid"
    assert fold_line_breaks("😀\n网格").text == "😀 网格"
    assert fold_line_breaks("한국\n사람").text == "한국 사람"
    assert fold_line_breaks("我们，\n主要").text == "我们，主要"


def test_paragraph_breaks_and_edges_stay() -> None:
    for text in ("网格\n\n员", "网格\n \r\n员", "\n网格员", "网格员\n", "", "网格员"):
        folded = fold_line_breaks(text)
        assert folded.text == text
        assert not folded.folded


@PROPERTY
@given(texts, st.data())
def test_every_folded_span_slices_its_own_stored_text(text: str, data: st.DataObject) -> None:
    folded = fold_line_breaks(text)
    length = len(folded.text)
    start = data.draw(st.integers(0, length))
    end = data.draw(st.integers(start, length))
    stored_start, stored_end = folded.stored_span(start, end)
    assert 0 <= stored_start <= stored_end <= len(text)
    stored = text[stored_start:stored_end]
    span = folded.text[start:end]
    assert without_whitespace(stored) == without_whitespace(span)
    # A fold's whitespace is never taken in at the edge of a span that does not start or end
    # with the fold's space.
    if span and not span[0].isspace():
        assert not stored[0].isspace()
    if span and not span[-1].isspace():
        assert not stored[-1].isspace()
    if not folded.folded:
        assert folded.text == text and (stored_start, stored_end) == (start, end)


@PROPERTY
@given(texts)
def test_no_single_line_break_is_left_between_two_characters(text: str) -> None:
    folded = fold_line_breaks(text).text
    assert without_whitespace(folded) == without_whitespace(text)
    single_break = re.compile(r"\S[^\S\n\r\v\f\x85\u2028\u2029]*(\r\n|[\n\r\v\f\x85\u2028\u2029])"
                              r"[^\S\n\r\v\f\x85\u2028\u2029]*\S")  # fmt: skip
    assert single_break.search(folded) is None


@PROPERTY
@given(
    st.text(alphabet=CHINESE, min_size=2, max_size=6),
    st.data(),
    st.sampled_from(LINE_BREAKS[:-1]),
    st.sampled_from(["", " ", "  ", "\u3000", "\t"]),
    texts,
    texts,
)
def test_a_chinese_word_split_by_a_line_break_is_whole_again(
    word: str, data: st.DataObject, line_break: str, padding: str, before: str, after: str
) -> None:
    cut = data.draw(st.integers(1, len(word) - 1))
    text = before + "。" + word[:cut] + padding + line_break + padding + word[cut:] + "。" + after
    folded = fold_line_breaks(text)
    found = folded.text.find("。" + word + "。")
    assert found != -1
    start, end = folded.stored_span(found + 1, found + 1 + len(word))
    assert text[start:end] == word[:cut] + padding + line_break + padding + word[cut:]


@PROPERTY
@given(
    st.text(alphabet=LATIN, min_size=1, max_size=6),
    st.text(alphabet=LATIN, min_size=1, max_size=6),
    st.sampled_from(LINE_BREAKS[:-1]),
    st.sampled_from(["", " ", "\t "]),
)
def test_two_english_words_split_by_a_line_break_are_one_space_apart(
    first: str, second: str, line_break: str, padding: str
) -> None:
    text = f"({first}{padding}{line_break}{padding}{second})"
    folded = fold_line_breaks(text)
    assert folded.text == f"({first} {second})"
    start, end = folded.stored_span(1, 1 + len(first) + 1 + len(second))
    assert text[start:end] == text[1:-1]
