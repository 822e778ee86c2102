"""Normalisation with offset maps: texts compare as rules do, offsets point at the original."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from qualcode.autocode.normalise import normalise, normalise_many, normalise_with_origins


def test_normalise_is_nfkc_and_casefold() -> None:
    assert normalise("ＡＢＣ１２３，ﬁ") == "abc123,fi"


def test_an_expanding_character_maps_back_to_itself_and_its_inside_has_no_offset() -> None:
    text = "好……㈱Ｂ"
    normalised = normalise_with_origins(text)
    assert normalised.text == normalise(text) == "好......(株)b"
    assert normalised.original_span(1, 7) == (1, 3)  # the six dots are the two ellipses
    assert normalised.original_span(8, 9) is None  # 株 is inside ㈱
    assert normalised.original_span(10, 11) == (4, 5)


PIECES = st.sampled_from(["网格", "，", "……", "ß", "e\u0301", "㈱", "ＡＢ", "😷", "grid", "Ω", " "])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(PIECES, max_size=10).map("".join), max_size=20))
def test_normalising_many_texts_at_once_gives_what_one_at_a_time_gives(texts: list[str]) -> None:
    """The chunked normaliser (used by auto-coding runs) is exactly the per-text one."""
    chunk = normalise_many(texts)
    for index, text in enumerate(texts):
        one = normalise_with_origins(text)
        at_once = chunk.text_at(index)
        assert at_once.text == one.text == normalise(text)
        for start in range(len(one.text) + 1):
            for end in range(start, len(one.text) + 1):
                assert at_once.original_span(start, end) == one.original_span(start, end)
