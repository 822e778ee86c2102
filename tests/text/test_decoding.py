"""Bytes to normalised text: encodings, line endings, NFC, and refusing what is not text.

Every case writes real bytes to a file in tmp_path and reads them back, as the importer does.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qualcode.errors import InputError
from qualcode.text.decoding import decode_bytes, normalise_text

SIMPLIFIED = (
    "采访者：您好，请先介绍一下您在社区的工作。\n"
    "受访者：我是网格员，主要负责三个小区的走访和信息登记。\n"
    "平时要上门了解老人和困难家庭的情况，有问题及时向社区报告。\n"
    "疫情那段时间特别忙，每天都要在群里回复居民的消息。\n"
)
TRADITIONAL = (
    "採訪者：您好，請先介紹一下您在社區的工作。\n"
    "受訪者：我是網格員，主要負責三個小區的走訪和資訊登記。\n"
    "平時要上門了解老人和困難家庭的情況，有問題及時向社區報告。\n"
    "疫情那段時間特別忙，每天都要在群組裡回覆居民的訊息。\n"
)

#: Short, realistic texts whose GBK bytes also decode as Big5 (mojibake) without error.
GBK_ALSO_VALID_BIG5 = (
    "社区书记说，我们这里老旧小区多，停车难、加装电梯这些事情居民意见很大。",
    "问：你们怎么和物业沟通？\n答：每个月开一次联席会议，物业、业委会和社区一起商量。",
    "我们社区有四个网格，每个网格配一名专职网格员。",
    "好的。",
)
#: Short, realistic texts whose Big5 bytes also decode as GB18030 (mojibake) without error.
BIG5_ALSO_VALID_GB18030 = (
    "網格員每天都要在群組裡回覆居民的訊息，疫情那段時間特別忙。",
    "社區書記說，我們這裡老舊小區多，停車難、加裝電梯這些事情居民意見很大。",
    "問：你們怎麼和物業溝通？\n答：每個月開一次聯席會議，物業、業委會和社區一起商量。",
    "我們社區有四個網格，每個網格配一名專職網格員。",
    "好的。",
)


def write_and_decode(tmp_path: Path, data: bytes, name: str = "interview.txt") -> tuple[str, str]:
    """Write bytes to a real file, read them back and decode them."""
    path = tmp_path / name
    path.write_bytes(data)
    return decode_bytes(path.read_bytes(), path)


@pytest.mark.parametrize(
    ("text", "encode", "expected_encoding"),
    [
        (SIMPLIFIED, lambda text: text.encode("utf-8"), "utf-8"),
        (SIMPLIFIED, lambda text: text.encode("utf-8-sig"), "utf-8-sig"),
        (SIMPLIFIED, lambda text: codecs.BOM_UTF16_LE + text.encode("utf-16-le"), "utf-16"),
        (SIMPLIFIED, lambda text: codecs.BOM_UTF16_BE + text.encode("utf-16-be"), "utf-16"),
        (SIMPLIFIED, lambda text: codecs.BOM_UTF32_LE + text.encode("utf-32-le"), "utf-32"),
        (SIMPLIFIED, lambda text: text.encode("gbk"), "gb18030"),
        (SIMPLIFIED, lambda text: text.encode("gb18030"), "gb18030"),
        (TRADITIONAL, lambda text: text.encode("big5"), "big5"),
        (TRADITIONAL, lambda text: text.encode("utf-8"), "utf-8"),
        # Traditional characters saved from a mainland machine: GBK has them too.
        (TRADITIONAL, lambda text: text.encode("gbk"), "gb18030"),
    ],
    ids=[
        "utf-8",
        "utf-8-bom",
        "utf-16-le-bom",
        "utf-16-be-bom",
        "utf-32-le-bom",
        "gbk",
        "gb18030",
        "big5",
        "traditional-utf-8",
        "traditional-gbk",
    ],
)
def test_each_encoding_decodes_to_the_same_text(
    tmp_path: Path, text: str, encode: Callable[[str], bytes], expected_encoding: str
) -> None:
    decoded, encoding = write_and_decode(tmp_path, encode(text))
    assert decoded == text
    assert encoding == expected_encoding
    assert not decoded.startswith("\ufeff")


def test_big5_from_windows_uses_cp950_when_plain_big5_lacks_a_character(tmp_path: Path) -> None:
    # 碁 and 恒 are among the characters Windows Big5 (cp950) added to the original table.
    text = "這位里長姓恒，住在碁盤街附近的社區，負責鄰里的網格工作。\n"
    decoded, encoding = write_and_decode(tmp_path, text.encode("cp950"))
    assert decoded == text
    assert encoding == "cp950"


@pytest.mark.parametrize("line_ending", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "cr"])
@pytest.mark.parametrize("encoding", ["utf-8", "gbk", "utf-16"])
def test_line_endings_become_lf(tmp_path: Path, line_ending: str, encoding: str) -> None:
    data = SIMPLIFIED.replace("\n", line_ending).encode(encoding)
    decoded, _ = write_and_decode(tmp_path, data)
    assert decoded == SIMPLIFIED
    assert "\r" not in decoded


def test_mixed_line_endings_become_lf(tmp_path: Path) -> None:
    data = "第一行\r\n第二行\r第三行\n\r\n第五行\r".encode("gb18030")
    decoded, _ = write_and_decode(tmp_path, data)
    assert decoded == "第一行\n第二行\n第三行\n\n第五行\n"


def test_crlf_split_by_nothing_else_is_one_newline_and_lf_cr_is_two() -> None:
    assert normalise_text("a\r\nb") == "a\nb"
    assert normalise_text("a\n\rb") == "a\n\nb"


@given(
    st.text(alphabet=st.sampled_from("a网😀\U0002000b\r\n\v\f\x85\u2028\u2029\u0301"), max_size=40)
)
def test_every_line_break_becomes_one_lf_and_splitlines_agrees(raw: str) -> None:
    """The same as replacing CRLF, then each lone break, in one left-to-right scan."""
    expected = re.sub("\r\n|[\r\v\f\x85\u2028\u2029]", "\n", raw)
    text = normalise_text(raw)
    assert text == unicodedata.normalize("NFC", expected)
    assert text.splitlines() == text.split("\n")[: len(text.splitlines())]


def test_rarer_line_breaks_become_lf_so_splitlines_agrees() -> None:
    text = normalise_text("一\v二\f三\x85四\u2028五\u2029六")
    assert text == "一\n二\n三\n四\n五\n六"
    assert text.splitlines() == text.split("\n")


def test_text_is_composed_to_nfc(tmp_path: Path) -> None:
    decomposed = "Cafe\u0301 interview, re\u0301sume\u0301\n"
    decoded, _ = write_and_decode(tmp_path, decomposed.encode("utf-8"))
    assert decoded == "Café interview, résumé\n"
    assert unicodedata.is_normalized("NFC", decoded)


def test_only_the_leading_bom_is_removed(tmp_path: Path) -> None:
    decoded, encoding = write_and_decode(tmp_path, codecs.BOM_UTF8 + "社区\n".encode())
    assert (decoded, encoding) == ("社区\n", "utf-8-sig")
    assert normalise_text("\ufeff社区") == "社区"


@pytest.mark.parametrize("text", GBK_ALSO_VALID_BIG5)
def test_gbk_is_not_mistaken_for_big5(tmp_path: Path, text: str) -> None:
    data = text.encode("gbk")
    assert data.decode("big5") != text  # both decode: the choice is really being made
    decoded, encoding = write_and_decode(tmp_path, data)
    assert (decoded, encoding) == (text, "gb18030")


@pytest.mark.parametrize("text", BIG5_ALSO_VALID_GB18030)
def test_big5_is_not_mistaken_for_gbk(tmp_path: Path, text: str) -> None:
    data = text.encode("big5")
    assert data.decode("gb18030") != text  # both decode: the choice is really being made
    decoded, encoding = write_and_decode(tmp_path, data)
    assert (decoded, encoding) == (text, "big5")


def test_the_choice_is_deterministic(tmp_path: Path) -> None:
    data = BIG5_ALSO_VALID_GB18030[0].encode("big5")
    results = {write_and_decode(tmp_path, data) for _ in range(5)}
    assert len(results) == 1


def test_english_text_is_utf_8(tmp_path: Path) -> None:
    decoded, encoding = write_and_decode(tmp_path, b"Interviewer: How long have you lived here?")
    assert (decoded, encoding) == ("Interviewer: How long have you lived here?", "utf-8")


def test_empty_bytes_decode_to_empty_text(tmp_path: Path) -> None:
    assert write_and_decode(tmp_path, b"") == ("", "utf-8")


def assert_one_line_error_naming(error: pytest.ExceptionInfo[InputError], path: Path) -> str:
    message = str(error.value)
    assert message.startswith(str(path))
    assert "\n" not in message
    return message


def test_nul_bytes_are_binary(tmp_path: Path) -> None:
    path = tmp_path / "interview.txt"
    with pytest.raises(InputError) as error:
        decode_bytes(b"\x01\x02\x00\x00\x10binary", path)
    assert "NUL" in assert_one_line_error_naming(error, path)


def test_utf_16_without_bom_is_refused_with_a_hint(tmp_path: Path) -> None:
    path = tmp_path / "interview.txt"
    with pytest.raises(InputError) as error:
        decode_bytes("Interviewer: hello".encode("utf-16-le"), path)
    assert "UTF-16" in assert_one_line_error_naming(error, path)


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "PNG image"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "PDF document"),
        (b"PK\x03\x04\x14\x00\x06\x00", "ZIP archive"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00", "old Microsoft Office file"),
    ],
)
def test_known_binary_formats_are_named(tmp_path: Path, data: bytes, kind: str) -> None:
    path = tmp_path / "interview.txt"
    with pytest.raises(InputError) as error:
        decode_bytes(data, path)
    assert kind in assert_one_line_error_naming(error, path)


def test_bytes_invalid_in_every_candidate_encoding_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "interview.txt"
    data = b"Interviewer \xff\xfe\xff said \x81"
    for encoding in ("utf-8", "gb18030", "big5", "cp950", "big5hkscs"):
        with pytest.raises(UnicodeDecodeError):
            data.decode(encoding)
    with pytest.raises(InputError) as error:
        decode_bytes(data, path)
    message = assert_one_line_error_naming(error, path)
    assert "cannot decode" in message
    assert "UTF-8" in message


def test_mojibake_in_every_legacy_encoding_is_refused(tmp_path: Path) -> None:
    # Latin-1 English: decodes as GB18030, but only to rare characters.
    path = tmp_path / "interview.txt"
    data = "The caf\u00e9s \u00e0 la gare \u00e9taient ferm\u00e9es.".encode("latin-1")
    with pytest.raises(InputError) as error:
        decode_bytes(data, path)
    assert "cannot decode" in assert_one_line_error_naming(error, path)


def test_damaged_utf_8_is_refused_at_the_bad_byte_not_read_as_gbk(tmp_path: Path) -> None:
    path = tmp_path / "interview.txt"
    damaged = SIMPLIFIED.encode("utf-8")[:-5]  # cut inside 息, the last character but 。
    with pytest.raises(InputError) as error:
        decode_bytes(damaged, path)
    message = assert_one_line_error_naming(error, path)
    assert message.startswith(f"{path}:4: is not valid UTF-8 at byte {len(damaged) - 2}")
    assert error.value.line == 4


def test_invalid_utf_16_after_a_bom_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "interview.txt"
    lone_surrogate = b"\x3d\xd8"  # a high surrogate followed by ASCII
    # 上 is U+4E0A: one of its UTF-16 bytes is 0x0A, which must not count as a line break.
    text_before = "社区上门\r网格员\r"  # CR-only line endings: the bad unit is on line 3
    data = codecs.BOM_UTF16_LE + text_before.encode("utf-16-le") + lone_surrogate + b"A\x00"
    with pytest.raises(InputError) as error:
        decode_bytes(data, path)
    message = assert_one_line_error_naming(error, path)
    assert "UTF-16 byte order mark but is not valid UTF-16" in message
    assert error.value.line == 3


def test_many_control_characters_are_binary(tmp_path: Path) -> None:
    path = tmp_path / "interview.txt"
    with pytest.raises(InputError) as error:
        decode_bytes(b"\x01\x02\x03\x04\x05 some text \x06\x07", path)
    assert "control characters" in assert_one_line_error_naming(error, path)


def test_a_stray_control_character_in_long_text_is_tolerated(tmp_path: Path) -> None:
    text = SIMPLIFIED * 2 + "\x1b"
    decoded, _ = write_and_decode(tmp_path, text.encode("utf-8"))
    assert decoded == text


EXTENSION_B = st.characters(min_codepoint=0x20000, max_codepoint=0x2A6DF)
COMMON_CHINESE = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
ENGLISH = st.sampled_from("abcdefghijklmnopqrstuvwxyzABCXYZ .,?!'\"-:;0123456789")
EMOJI = st.characters(min_codepoint=0x1F300, max_codepoint=0x1FAFF)
DECOMPOSED = st.sampled_from(["e\u0301", "A\u030a", "\u1100\u1161", "\uf900"])
PIECE = st.one_of(COMMON_CHINESE, ENGLISH, EMOJI, EXTENSION_B, DECOMPOSED)
LINE_ENDING = st.sampled_from(["\n", "\r\n", "\r"])


@st.composite
def transcripts(draw: st.DrawFn) -> str:
    """Lines of mixed Chinese, English, emoji and Extension B text with mixed line endings."""
    lines = draw(st.lists(st.lists(PIECE, max_size=30).map("".join), max_size=8))
    return "".join(line + draw(LINE_ENDING) for line in lines)


def encode_with(text: str, encoding: str) -> bytes:
    if encoding == "utf-16-be":
        return codecs.BOM_UTF16_BE + text.encode("utf-16-be")
    return text.encode(encoding)  # utf-16 adds the platform's BOM


@settings(max_examples=300, deadline=None)
@given(
    text=transcripts(),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-be"]),
)
def test_round_trip_gives_nfc_text_with_lf_only(text: str, encoding: str) -> None:
    decoded, _ = decode_bytes(encode_with(text, encoding), "generated.txt")
    assert "\r" not in decoded
    assert not decoded.startswith("\ufeff")
    assert unicodedata.is_normalized("NFC", decoded)
    expected = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    assert decoded == expected
    assert normalise_text(decoded) == decoded  # idempotent
