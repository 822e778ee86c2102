"""Turns into segments: sentence rules for Chinese and English, units, the length limit."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qualcode.errors import UsageError
from qualcode.models import UNITS, Segment, Turn, Unit
from qualcode.text.segmenting import LANGUAGES, MAX_SEGMENT_CHARS, segment_document, split_sentences

FAMILY = "👨\u200d👩\u200d👧\u200d👦"  # seven code points, one user-perceived character
RED_HEART = "❤\ufe0f"  # VS16 emoji presentation
RAINBOW_FLAG = "🏳\ufe0f\u200d🌈"
CHINA_FLAG = "🇨🇳"
THUMBS_UP_MEDIUM = "👍🏽"
EMOJI = (FAMILY, RED_HEART, RAINBOW_FLAG, CHINA_FLAG, THUMBS_UP_MEDIUM, "😀", "🧑\u200d🤝\u200d🧑")


def sentences(text: str, language: str) -> list[str]:
    """The sentence texts of the whole of ``text``."""
    return [text[start:end] for start, end in split_sentences(text, 0, len(text), language)]


def texts(text: str, segments: list[Segment]) -> list[str]:
    """The quoted text of every segment."""
    return [text[segment.start_char : segment.end_char] for segment in segments]


def turn_over(text: str, spoken: str, **fields: object) -> Turn:
    """A turn covering the first occurrence of ``spoken`` in ``text``."""
    start = text.index(spoken)
    return Turn(start, start + len(spoken), **fields)  # type: ignore[arg-type]


# --- Chinese sentences -------------------------------------------------------------------


def test_closing_quote_stays_with_its_sentence() -> None:
    assert sentences("他说：“我们社区有八个网格。”然后我们开会。", "zh") == [
        "他说：“我们社区有八个网格。”",
        "然后我们开会。",
    ]


def test_ellipsis_and_terminator_runs_stay_together() -> None:
    assert sentences("还有志愿者……大概三十个？！真的吗。。。是的", "zh") == [
        "还有志愿者……",
        "大概三十个？！",
        "真的吗。。。",
        "是的",
    ]


def test_semicolons_brackets_and_single_quotes() -> None:
    assert sentences("第一是网格；第二是志愿者（很多人。）「好！」他说", "zh") == [
        "第一是网格；",
        "第二是志愿者（很多人。）",
        "「好！」",
        "他说",
    ]


def test_half_width_terminators_end_a_sentence_only_before_cjk_or_space() -> None:
    assert sentences("真的吗?是的! OK!ok 好吧!行", "zh") == [
        "真的吗?",
        "是的!",
        "OK!ok 好吧!",
        "行",
    ]


def test_newlines_end_a_sentence_and_whitespace_is_trimmed() -> None:
    assert sentences("  第一行没有句号\n\n  第二行。  \n", "zh") == ["第一行没有句号", "第二行。"]


def test_offsets_are_relative_to_the_whole_text() -> None:
    text = "前言。我们开会。然后吃饭。后记。"
    start = text.index("我们")
    end = text.index("后记")
    spans = split_sentences(text, start, end, "zh")
    assert [text[s:e] for s, e in spans] == ["我们开会。", "然后吃饭。"]


def test_extension_b_characters_are_chinese() -> None:
    assert sentences("𠀀𠀁!𠀂", "zh") == ["𠀀𠀁!", "𠀂"]


# --- English and mixed sentences -----------------------------------------------------------


def test_english_sentences_come_from_spacy_and_keep_abbreviations() -> None:
    text = 'Dr. Smith met Mr. Jones. He said "yes."  Then we left! Did it work?'
    assert sentences(text, "en") == [
        "Dr. Smith met Mr. Jones.",
        'He said "yes."',
        "Then we left!",
        "Did it work?",
    ]


def test_english_text_also_ends_sentences_at_full_width_stops_and_newlines() -> None:
    assert sentences("We met the 主任。Then we left\nNext line", "en") == [
        "We met the 主任。",
        "Then we left",
        "Next line",
    ]


def test_english_ellipsis_character_does_not_end_a_sentence() -> None:
    assert sentences("Well… I think so. Yes.", "en") == ["Well… I think so.", "Yes."]


def test_mixed_text_uses_both_rule_sets() -> None:
    text = "我们用APP. 很方便。Dr. Smith said hi. 好的"
    assert sentences(text, "mixed") == ["我们用APP.", "很方便。", "Dr. Smith said hi.", "好的"]
    assert sentences(text, "auto") == sentences(text, "mixed")


def test_auto_detects_the_language_of_the_span() -> None:
    assert sentences("Dr. Smith arrived. He left.", "auto") == ["Dr. Smith arrived.", "He left."]
    assert sentences("他说。好的", "auto") == ["他说。", "好的"]


def test_unknown_language_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="unknown language 'fr'"):
        split_sentences("Bonjour.", 0, 8, "fr")


# --- segment_document ----------------------------------------------------------------------

INTERVIEW = (
    "访谈记录：第一社区\n"
    "采访者：请介绍一下社区的情况。\n"
    "王主任：我们社区有八个网格。每个网格都有网格员！\n"
    "\n"
    "还有志愿者……大概三十个。\n"
    "采访者：好的？！谢谢。\n"
)


def interview_turns() -> list[Turn]:
    """Header, interviewer, respondent (two paragraphs), interviewer."""
    return [
        turn_over(INTERVIEW, "访谈记录：第一社区", is_header=True),
        turn_over(
            INTERVIEW,
            "请介绍一下社区的情况。\n",
            speaker="采访者",
            role="interviewer",
            start_time=0.0,
            end_time=5.0,
        ),
        turn_over(
            INTERVIEW,
            "我们社区有八个网格。每个网格都有网格员！\n\n还有志愿者……大概三十个。\n",
            speaker="王主任",
            role="respondent",
            start_time=5.0,
            end_time=20.0,
        ),
        turn_over(INTERVIEW, "好的？！谢谢。\n", speaker="采访者", role="interviewer"),
    ]


def test_unit_turn_gives_one_trimmed_segment_per_spoken_turn() -> None:
    segments = segment_document(INTERVIEW, interview_turns(), "turn")
    assert texts(INTERVIEW, segments) == [
        "请介绍一下社区的情况。",
        "我们社区有八个网格。每个网格都有网格员！\n\n还有志愿者……大概三十个。",
        "好的？！谢谢。",
    ]
    assert [segment.ordinal for segment in segments] == [0, 1, 2]
    assert segments[1] == Segment(
        1, segments[1].start_char, segments[1].end_char, "王主任", "respondent", 5.0, 20.0
    )


def test_unit_sentence() -> None:
    segments = segment_document(INTERVIEW, interview_turns(), "sentence")
    assert texts(INTERVIEW, segments) == [
        "请介绍一下社区的情况。",
        "我们社区有八个网格。",
        "每个网格都有网格员！",
        "还有志愿者……",
        "大概三十个。",
        "好的？！",
        "谢谢。",
    ]
    assert [segment.ordinal for segment in segments] == list(range(7))
    assert [segment.speaker for segment in segments] == ["采访者"] + ["王主任"] * 4 + ["采访者"] * 2


def test_split_turns_keep_only_the_times_they_know() -> None:
    segments = segment_document(INTERVIEW, interview_turns(), "sentence")
    respondent = [segment for segment in segments if segment.role == "respondent"]
    assert [(segment.start_time, segment.end_time) for segment in respondent] == [
        (5.0, None),
        (None, None),
        (None, None),
        (None, 20.0),
    ]
    assert (segments[0].start_time, segments[0].end_time) == (0.0, 5.0)


def test_unit_paragraph_splits_at_blank_lines() -> None:
    segments = segment_document(INTERVIEW, interview_turns(), "paragraph")
    assert texts(INTERVIEW, segments) == [
        "请介绍一下社区的情况。",
        "我们社区有八个网格。每个网格都有网格员！",
        "还有志愿者……大概三十个。",
        "好的？！谢谢。",
    ]


def test_unit_paragraph_splits_at_lines_when_there_is_no_blank_line() -> None:
    text = "第一段。\n第二段\n  \t\n"
    single_lines = segment_document(text, [Turn(0, len(text))], "paragraph")
    assert texts(text, single_lines) == ["第一段。", "第二段"]
    wrapped = "hard wrapped\nline one\n\nsecond paragraph\nstill second"
    paragraphs = segment_document(wrapped, [Turn(0, len(wrapped))], "paragraph", language="en")
    assert texts(wrapped, paragraphs) == [
        "hard wrapped\nline one",
        "second paragraph\nstill second",
    ]


def test_header_turns_and_blank_turns_give_no_segments() -> None:
    text = "标题\n   \n内容"
    turns = [Turn(0, 2, is_header=True), Turn(3, 6), Turn(7, 9)]
    for unit in UNITS:
        assert texts(text, segment_document(text, turns, unit)) == ["内容"]


def test_english_interview_by_sentence() -> None:
    text = "Q: Tell me about Dr. Lee.\nA: Dr. Lee runs the centre. Volunteers help! Often."
    turns = [
        turn_over(text, "Tell me about Dr. Lee.", role="interviewer"),
        turn_over(text, "Dr. Lee runs the centre. Volunteers help! Often.", role="respondent"),
    ]
    for language in ("en", "auto", "mixed"):
        segments = segment_document(text, turns, "sentence", language=language)
        assert texts(text, segments) == [
            "Tell me about Dr. Lee.",
            "Dr. Lee runs the centre.",
            "Volunteers help!",
            "Often.",
        ]


def test_mixed_document_decides_per_turn() -> None:
    text = "Dr. Lee said hi. Then he left.\n他说：“好。”然后走了"
    turns = [Turn(0, 30), Turn(31, len(text))]
    segments = segment_document(text, turns, "sentence", language="mixed")
    assert texts(text, segments) == [
        "Dr. Lee said hi.",
        "Then he left.",
        "他说：“好。”",
        "然后走了",
    ]


def test_bad_turns_and_options_are_refused() -> None:
    with pytest.raises(ValueError, match="overlapping"):
        segment_document("abcdef", [Turn(0, 4), Turn(2, 6)], "turn")
    with pytest.raises(ValueError, match="outside"):
        segment_document("abc", [Turn(0, 4)], "turn")
    with pytest.raises(UsageError, match="unknown unit"):
        segment_document("abc", [Turn(0, 3)], "word")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="unknown language"):
        segment_document("abc", [Turn(0, 3)], "turn", language="de")
    with pytest.raises(UsageError, match="at least 1"):
        segment_document("abc", [Turn(0, 3)], "turn", max_chars=0)


# --- the length limit ----------------------------------------------------------------------


def assert_pieces_rebuild(text: str, turn: Turn, segments: list[Segment], max_chars: int) -> None:
    """Pieces fit, follow each other with only whitespace between, and cover the turn."""
    spoken = text[turn.start_char : turn.end_char]
    assert all(segment.end_char - segment.start_char <= max_chars for segment in segments)
    assert segments[0].start_char == turn.start_char + len(spoken) - len(spoken.lstrip())
    assert segments[-1].end_char == turn.end_char - (len(spoken) - len(spoken.rstrip()))
    for before, after in itertools.pairwise(segments):
        assert text[before.end_char : after.start_char].strip() == ""
    rebuilt = "".join(
        text[segment.start_char : segment.end_char] + text[segment.end_char : following.start_char]
        for segment, following in zip(segments, [*segments[1:], segments[-1]], strict=True)
    )
    assert rebuilt == spoken.strip()


def test_long_chinese_turn_is_packed_into_whole_sentences() -> None:
    sentence = "我们社区有八个网格，每个网格都有网格员。"  # 20 characters
    text = "王主任：" + sentence * 10
    turn = Turn(4, len(text), speaker="王主任")
    segments = segment_document(text, [turn], "turn", max_chars=50)
    assert texts(text, segments) == [sentence * 2] * 5
    assert_pieces_rebuild(text, turn, segments, 50)
    assert [segment.speaker for segment in segments] == ["王主任"] * 5


def test_long_sentence_is_split_at_clause_marks() -> None:
    text = "第一个网格员负责，第二个网格员负责，第三个网格员负责，第四个网格员负责。"
    turn = Turn(0, len(text))
    segments = segment_document(text, [turn], "sentence", max_chars=20)
    assert texts(text, segments) == [
        "第一个网格员负责，第二个网格员负责，",
        "第三个网格员负责，第四个网格员负责。",
    ]
    assert_pieces_rebuild(text, turn, segments, 20)


def test_long_english_turn_is_split_between_words() -> None:
    text = "we walked around the whole community and talked to every volunteer we met there"
    turn = Turn(0, len(text))
    segments = segment_document(text, [turn], "turn", language="en", max_chars=25)
    assert texts(text, segments) == [
        "we walked around the",
        "whole community and",
        "talked to every volunteer",
        "we met there",
    ]
    assert_pieces_rebuild(text, turn, segments, 25)


def test_text_without_any_boundary_is_cut_hard() -> None:
    text = "网" * 25
    segments = segment_document(text, [Turn(0, 25)], "paragraph", max_chars=10)
    assert texts(text, segments) == ["网" * 10, "网" * 10, "网" * 5]


def test_emoji_sequences_are_never_cut() -> None:
    text = "网格" + FAMILY + RED_HEART + "好" + CHINA_FLAG + CHINA_FLAG + RAINBOW_FLAG
    for max_chars in range(1, 12):
        segments = segment_document(text, [Turn(0, len(text))], "turn", max_chars=max_chars)
        pieces = texts(text, segments)
        assert "".join(pieces) == text
        for piece in pieces:
            assert len(piece) <= max_chars or piece in EMOJI
        cuts = {segment.end_char for segment in segments}
        family_start = text.index(FAMILY)
        assert not cuts & set(range(family_start + 1, family_start + len(FAMILY)))
        heart_start = text.index(RED_HEART)
        assert heart_start + 1 not in cuts
        flags_start = text.index(CHINA_FLAG)
        assert not cuts & {flags_start + 1, flags_start + 3}


def test_sentence_boundary_is_moved_past_a_variation_selector() -> None:
    text = "好！\ufe0f然后"
    assert sentences(text, "zh") == ["好！\ufe0f", "然后"]


def test_default_limit_leaves_ordinary_turns_whole() -> None:
    text = "网" * MAX_SEGMENT_CHARS
    assert texts(text, segment_document(text, [Turn(0, len(text))], "turn")) == [text]
    longer = text + "。" + "格" * 10
    segments = segment_document(longer, [Turn(0, len(longer))], "turn")
    assert [segment.end_char - segment.start_char for segment in segments] == [
        MAX_SEGMENT_CHARS,
        11,
    ]


# --- properties ----------------------------------------------------------------------------

ELEMENTS = st.one_of(
    st.sampled_from("我们社区网格员志愿者好的说"),
    st.sampled_from("abcXYZ Dr"),
    st.sampled_from("。！？…”“，,.!?;；、「」"),
    st.just("\n"),
    st.just(" "),
    st.sampled_from(EMOJI),
    st.sampled_from(["\U00020000", "\U0002a6d6", "\U00030000"]),
    st.just("e\u0301"),
)


@st.composite
def documents(draw: st.DrawFn) -> tuple[str, list[int], list[Turn]]:
    """A text built from ``ELEMENTS``, the offsets between elements, and turns over it."""
    elements = draw(st.lists(ELEMENTS, max_size=120))
    offsets = [0]
    for element in elements:
        offsets.append(offsets[-1] + len(element))
    text = "".join(elements)
    boundaries = sorted(draw(st.sets(st.sampled_from(offsets), max_size=12)))
    turns = [
        Turn(start, end, speaker=f"S{index}", is_header=draw(st.booleans()) and index == 0)
        for index, (start, end) in enumerate(zip(boundaries[::2], boundaries[1::2], strict=False))
    ]
    return text, offsets, turns


@settings(max_examples=300, deadline=None)
@given(
    document=documents(),
    unit=st.sampled_from(UNITS),
    language=st.sampled_from(LANGUAGES),
    max_chars=st.integers(5, 50),
)
def test_segments_are_exact_ordered_bounded_and_cover_every_character(
    document: tuple[str, list[int], list[Turn]], unit: Unit, language: str, max_chars: int
) -> None:
    text, element_offsets, turns = document
    segments = segment_document(text, turns, unit, language=language, max_chars=max_chars)
    spoken_turns = [turn for turn in turns if not turn.is_header]
    allowed_offsets = set(element_offsets)
    assert [segment.ordinal for segment in segments] == list(range(len(segments)))
    covered: set[int] = set()
    previous_end = 0
    for segment in segments:
        quote = text[segment.start_char : segment.end_char]
        assert quote and quote == quote.strip()
        assert segment.start_char >= previous_end
        previous_end = segment.end_char
        assert len(quote) <= max_chars or quote in EMOJI
        assert {segment.start_char, segment.end_char} <= allowed_offsets
        owners = [
            turn
            for turn in spoken_turns
            if turn.start_char <= segment.start_char and segment.end_char <= turn.end_char
        ]
        assert len(owners) == 1
        assert segment.speaker == owners[0].speaker
        covered.update(range(segment.start_char, segment.end_char))
    for turn in spoken_turns:
        for index in range(turn.start_char, turn.end_char):
            assert text[index].isspace() or index in covered
