"""Chinese and English behind one small interface: detection, sentencizer, lemmas, words.

spaCy and jieba are imported inside the functions that need them and set up once (cached),
so importing this module, or running ``qualcode --help``, loads neither (DESIGN.md section 2).
Nothing is downloaded: spaCy runs as a blank English pipeline, its lemmas come from the lookup
tables shipped in the ``spacy-lookups-data`` package, and jieba uses its bundled dictionary.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING, Literal, cast

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.pipeline import Lemmatizer

DetectedLanguage = Literal["zh", "en", "mixed"]

#: Han ideographs: the CJK Unified Ideographs block, Extensions A to I, the compatibility
#: ideographs (BMP and supplement) and U+3007 IDEOGRAPHIC NUMBER ZERO (二〇二三年).
HAN_RANGES: tuple[tuple[int, int], ...] = (
    (0x3007, 0x3007),
    (0x3400, 0x4DBF),  # Extension A
    (0x4E00, 0x9FFF),  # CJK Unified Ideographs
    (0xF900, 0xFAFF),  # CJK Compatibility Ideographs
    (0x20000, 0x2A6DF),  # Extension B
    (0x2A700, 0x2B73F),  # Extension C
    (0x2B740, 0x2B81F),  # Extension D
    (0x2B820, 0x2CEAF),  # Extension E
    (0x2CEB0, 0x2EBEF),  # Extension F
    (0x2EBF0, 0x2EE5F),  # Extension I
    (0x2F800, 0x2FA1F),  # CJK Compatibility Ideographs Supplement
    (0x30000, 0x3134F),  # Extension G
    (0x31350, 0x323AF),  # Extension H
)

#: The same ranges as the body of a regular-expression character class.
HAN_CHARACTER_CLASS = "".join(f"{chr(low)}-{chr(high)}" for low, high in HAN_RANGES)

#: Latin letters: ASCII, Latin-1 (without × and ÷), Latin Extended-A/B and Extended Additional.
LATIN_CHARACTER_CLASS = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff"

#: Runs, not single characters: detection adds up the lengths of the runs it finds, one match
#: per word or phrase instead of one per character (2.3x faster on a Chinese transcript).
_HAN_RUN = re.compile(f"[{HAN_CHARACTER_CLASS}]+")
_LATIN_RUN = re.compile(f"[{LATIN_CHARACTER_CLASS}]+")

#: Detection looks at the start of a text only: 20,000 characters are several pages of a
#: transcript, plenty to tell the languages apart, and keep detection cheap on huge files.
DETECTION_SAMPLE_CHARS = 20_000

#: A Han character carries about as much text as three Latin letters (an English word averages
#: about 4.7 letters, a Chinese word about 1.6 characters), so Latin letters count a third each.
LATIN_LETTERS_PER_HAN_CHARACTER = 3.0

#: Weighted Han share at or above which a text is Chinese, and at or below which it is English;
#: in between it is mixed. A Chinese transcript with the odd "APP" or "WiFi" stays Chinese, an
#: English one quoting a name like 王主任 stays English.
CHINESE_SHARE_THRESHOLD = 0.7
ENGLISH_SHARE_THRESHOLD = 0.3


def is_cjk(char: str) -> bool:
    """Whether ``char`` (one code point) is a Han ideograph, in any of the ``HAN_RANGES``."""
    code_point = ord(char)
    return any(low <= code_point <= high for low, high in HAN_RANGES)


def detect_language(text: str) -> DetectedLanguage:
    """``"zh"``, ``"en"`` or ``"mixed"``, from Han characters against Latin letters.

    Counts over the first ``DETECTION_SAMPLE_CHARS`` characters; Latin letters are weighted by
    ``LATIN_LETTERS_PER_HAN_CHARACTER``. A text without any Han or Latin letter (empty, digits,
    punctuation, emoji) gives ``"mixed"``: there is no evidence either way, and the mixed rules
    handle both languages.
    """
    sample = text[:DETECTION_SAMPLE_CHARS]
    han_count = sum(map(len, _HAN_RUN.findall(sample)))
    latin_weight = sum(map(len, _LATIN_RUN.findall(sample))) / LATIN_LETTERS_PER_HAN_CHARACTER
    if han_count + latin_weight == 0:
        return "mixed"
    han_share = han_count / (han_count + latin_weight)
    if han_share >= CHINESE_SHARE_THRESHOLD:
        return "zh"
    if han_share <= ENGLISH_SHARE_THRESHOLD:
        return "en"
    return "mixed"


@functools.cache
def english_sentencizer() -> Language:
    """A blank English spaCy pipeline with only the rule-based sentencizer, built once.

    ``max_length`` is raised from spaCy's default of one million characters: the limit guards
    the memory of parsers and entity recognisers, which this pipeline does not have, and a
    transcript turn must never fail to split because it is long.
    """
    import spacy

    pipeline = spacy.blank("en")
    pipeline.add_pipe("sentencizer")
    pipeline.max_length = 100_000_000
    return pipeline


@functools.cache
def english_lemmatizer() -> Callable[[str], str]:
    """A function from an English word to its lemma, from spaCy's lookup table.

    The table comes from ``spacy-lookups-data`` when the lemmatizer is initialised; nothing is
    downloaded. spaCy's own lookup is case-sensitive, so a word missing from the table is
    tried again in lower case ("Volunteers" -> "volunteer"); a word in neither form is
    returned unchanged. Case-insensitive matching is the caller's business.
    """
    import spacy

    pipeline = spacy.blank("en")
    pipeline.add_pipe("lemmatizer", config={"mode": "lookup"})
    pipeline.initialize()
    lemmatizer = cast("Lemmatizer", pipeline.get_pipe("lemmatizer"))
    table = lemmatizer.lookups.get_table("lemma_lookup")

    def lemma_of(word: str) -> str:
        lemma = table.get(word)
        if lemma is None:
            lemma = table.get(word.lower())
        return word if lemma is None else str(lemma)

    return lemma_of


@functools.cache
def _initialised_jieba() -> ModuleType:
    """The jieba module with its dictionary loaded and its start-up chatter silenced.

    jieba logs "Building prefix dict ..." to stderr at DEBUG level on first use; stderr is for
    our own messages, so its logger is raised to WARNING before the dictionary is loaded.
    """
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    module: ModuleType = jieba
    return module


def chinese_words(text: str) -> list[tuple[str, int, int]]:
    """Words of ``text`` as ``(word, start_char, end_char)``, from jieba's default mode.

    Offsets are code points into ``text``. Runs of whitespace, which jieba also returns as
    tokens, are left out: they are not words.
    """
    jieba = _initialised_jieba()
    return [(word, start, end) for word, start, end in jieba.tokenize(text) if not word.isspace()]
