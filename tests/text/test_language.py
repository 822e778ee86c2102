"""Language detection, the Han test, and the real spaCy and jieba behind qualcode.text.language."""

from __future__ import annotations

import subprocess
import sys

import pytest

from qualcode.text.language import (
    chinese_words,
    detect_language,
    english_lemmatizer,
    english_sentencizer,
    is_cjk,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我们社区有八个网格，每个网格都有网格员。", "zh"),
        ("我们社区用微信群和APP通知居民，WiFi也覆盖了。", "zh"),
        ("We have eight grids in our community, each with a grid worker.", "en"),
        ("I interviewed 王主任 about the grid system and the volunteers.", "en"),
        ("网格员 means grid worker, 我们社区有八个。", "mixed"),
        ("", "mixed"),
        ("123 …… 😀", "mixed"),
    ],
)
def test_detect_language(text: str, expected: str) -> None:
    assert detect_language(text) == expected


def test_detect_language_looks_at_the_start_only() -> None:
    text = "我们社区有八个网格。" * 3000 + "English only from here on. " * 5000
    assert detect_language(text) == "zh"


@pytest.mark.parametrize(
    "char",
    ["社", "〇", "\u3400", "\u4dbf", "\u9fff", "\uf900", "\U00020000", "\U0002a6df", "\U00030000"],
)
def test_is_cjk_accepts_han_in_every_extension(char: str) -> None:
    assert is_cjk(char)


@pytest.mark.parametrize("char", ["a", "。", "，", "あ", "한", "😀", " ", "１"])
def test_is_cjk_rejects_everything_else(char: str) -> None:
    assert not is_cjk(char)


def test_english_sentencizer_is_built_once_and_splits() -> None:
    pipeline = english_sentencizer()
    assert english_sentencizer() is pipeline
    document = pipeline("Dr. Smith arrived. He left.")
    assert [sentence.text for sentence in document.sents] == ["Dr. Smith arrived.", "He left."]


@pytest.mark.parametrize(
    ("word", "lemma"),
    [
        ("rumours", "rumour"),
        ("volunteers", "volunteer"),
        ("checkpoints", "checkpoint"),
        ("ran", "run"),
        ("Volunteers", "volunteer"),
        ("Wuxi", "Wuxi"),
    ],
)
def test_english_lemmatizer_uses_the_shipped_lookup_table(word: str, lemma: str) -> None:
    assert english_lemmatizer()(word) == lemma


def test_chinese_words_gives_offsets_into_the_text() -> None:
    text = "我们社区有八个网格 和 志愿者"
    words = chinese_words(text)
    assert words[:5] == [
        ("我们", 0, 2),
        ("社区", 2, 4),
        ("有", 4, 5),
        ("八个", 5, 7),
        ("网格", 7, 9),
    ]
    assert all(text[start:end] == word for word, start, end in words)
    assert all(not word.isspace() for word, _, _ in words)


def test_jieba_is_silent_and_nothing_heavy_loads_on_import() -> None:
    script = (
        "import sys\n"
        "import qualcode.text.language, qualcode.text.segmenting\n"
        "assert 'spacy' not in sys.modules and 'jieba' not in sys.modules\n"
        "from qualcode.text.language import chinese_words\n"
        "assert chinese_words('我们社区')[0] == ('我们', 0, 2)\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stderr == ""
