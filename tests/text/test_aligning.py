"""Aligning an old text with its corrected version: where each old span is, and its fate."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from qualcode.text.aligning import Alignment, MappedSpan

OLD = "我们设了卡口，网格员二十四小时值守。后来辟谣了。"
NEW = "我们在门口设了卡口，网格员全天值守。后来马上辟谣了。"


def mapped(quote: str) -> MappedSpan:
    start = OLD.index(quote)
    return Alignment(OLD, NEW).map_span(start, start + len(quote))


def test_unchanged_spans_are_carried_to_their_new_place() -> None:
    for quote in ("卡口", "辟谣了"):
        span = mapped(quote)
        assert (span.fate, NEW[span.start : span.end]) == ("carried", quote)


def test_a_span_with_a_change_inside_is_changed_with_its_new_text() -> None:
    span = mapped("网格员二十四小时值守")
    assert (span.fate, NEW[span.start : span.end]) == ("changed", "网格员全天值守")


def test_text_inserted_at_a_span_edge_stays_outside_it() -> None:
    span = mapped("后来")  # 马上 is inserted right after it
    assert (span.fate, NEW[span.start : span.end]) == ("carried", "后来")


def test_a_span_whose_text_is_gone_is_gone() -> None:
    assert mapped("二十四小时").fate == "gone"


_CHARACTERS = st.sampled_from("社区网格员卡口值守谣言abc ，。\n")


@settings(max_examples=150, deadline=None)
@given(st.text(_CHARACTERS, min_size=1, max_size=60), st.text(_CHARACTERS, max_size=60), st.data())
def test_spans_map_inside_the_new_text_and_carried_ones_keep_their_quote(
    old: str, new: str, data: st.DataObject
) -> None:
    alignment = Alignment(old, new)
    start = data.draw(st.integers(0, len(old) - 1))
    end = data.draw(st.integers(start + 1, len(old)))
    span = alignment.map_span(start, end)
    assert 0 <= span.start <= span.end <= len(new)
    if span.fate == "carried":
        assert new[span.start : span.end] == old[start:end]
    if span.fate != "gone":
        assert 2 * span.kept >= end - start
