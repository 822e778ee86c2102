"""Bytes to normalised text: the encoding step every text-based reader shares.

The stored text of a document (DESIGN.md section 3) is decoded to ``str``, has ``\\n``
newlines only, is Unicode NFC and carries no BOM. Offsets are counted in that text.

Transcripts reach researchers from many hands: UTF-8 from current editors, UTF-16 from Word's
"Unicode text", GBK/GB18030 from mainland Windows machines, Big5 from Taiwan and Hong Kong.
:func:`decode_bytes` reads all of them, refuses what is not text with a one-line reason, and
never guesses silently when the bytes could mean two different things: the choice between the
two Chinese legacy encodings is made by a deterministic score explained in
:func:`_choose_legacy_encoding`.
"""

from __future__ import annotations

import codecs
import contextlib
import functools
import re
import unicodedata
from pathlib import Path

from qualcode.errors import InputError

_BOMS: tuple[tuple[bytes, str, str], ...] = (
    # UTF-32 first: its little-endian BOM starts with the UTF-16 one.
    (codecs.BOM_UTF32_LE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8-sig", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"),
)

#: Leading bytes of file types people save with a wrong extension, for a clearer message
#: than "contains NUL bytes".
_BINARY_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (a .docx or .xlsx file with the wrong extension?)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Microsoft Office file (.doc or .xls)"),
)

#: Every line boundary Python's ``str.splitlines`` knows that a transcript can plausibly
#: contain: CRLF, CR, vertical tab and form feed (Word's soft line and page breaks in exported
#: text), NEL, and the Unicode line and paragraph separators. All become ``\n`` so that
#: ``split("\n")`` and ``splitlines()`` agree on the stored text (CRLF first, as one break).
_LONE_LINE_BREAKS = "\r\v\f\x85\u2028\u2029"
_TO_NEWLINE = str.maketrans(dict.fromkeys(_LONE_LINE_BREAKS, "\n"))

#: C0 and C1 control characters, except those ordinary in text files (tab, the line breaks
#: above, and the DOS end-of-file mark 0x1A): many of them are a sign of binary content.
_SUSPICIOUS_CONTROL = re.compile(r"[\x00-\x08\x0e-\x19\x1b-\x1f\x7f-\x84\x86-\x9f]")

#: Big5 and its supersets, narrowest first: Windows (cp950) and Hong Kong (HKSCS) files use
#: characters the plain Big5 table lacks.
_BIG5_FAMILY: tuple[str, ...] = ("big5", "cp950", "big5hkscs")

#: How much of a decoded text the legacy-encoding score looks at; plenty to decide, and keeps
#: the score cheap on very long files.
_SCORE_SAMPLE_CHARACTERS = 50_000
#: Below this share of common characters a legacy decoding is taken for mojibake, not text.
_MINIMUM_LEGACY_SCORE = 0.5
#: A file that fails strict UTF-8 but has at least this many valid multi-byte UTF-8 characters
#: per invalid byte is damaged UTF-8 (truncated, or one stray byte), not a legacy encoding.
_DAMAGED_UTF8_RATIO = 20


def normalise_text(text: str) -> str:
    """Remove a leading BOM, turn every line break into ``\\n``, and compose to NFC.

    Line breaks are CRLF, CR, and the rarer boundaries listed at ``_LONE_LINE_BREAKS``. NFC makes
    visually identical text (a precomposed "é" and "e" + combining accent) compare and search
    equal; it also maps CJK compatibility ideographs to their unified forms.
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    # A substring test per kind of break, not a regular expression: a tenth of the cost on
    # the usual text that has only \n (1 ms less per 130,000-character transcript).
    if "\r\n" in text:
        text = text.replace("\r\n", "\n")
    if any(line_break in text for line_break in _LONE_LINE_BREAKS):
        text = text.translate(_TO_NEWLINE)
    return unicodedata.normalize("NFC", text)


def decode_bytes(data: bytes, path: str | Path) -> tuple[str, str]:
    """Decode a transcript file's bytes; return ``(normalised_text, encoding_name)``.

    Order of trust:

    1. Known binary signatures (PNG, PDF, ZIP, ...) are refused with what they look like.
    2. A BOM decides: UTF-8 (``utf-8-sig``), UTF-16 or UTF-32, little- or big-endian.
    3. NUL bytes without a BOM mean binary content (or BOM-less UTF-16, which we do not guess).
    4. Strict UTF-8. If it fails but the bytes are overwhelmingly valid UTF-8, the file is
       damaged UTF-8 and is refused with the position of the first bad byte, rather than
       decoded as GB18030 mojibake.
    5. The Chinese legacy encodings: GB18030 (a superset of GBK and GB2312) and Big5 (or its
       cp950 and HKSCS supersets), chosen by :func:`_choose_legacy_encoding` when both decode.

    The decoded text must not be full of control characters. Raises :class:`InputError`
    naming ``path`` with a one-line reason for anything that cannot be read as text. An empty
    input decodes to ``""``; readers decide whether empty is an error.
    """
    for signature, kind in _BINARY_SIGNATURES:
        if data.startswith(signature):
            raise InputError(path, f"looks like {kind}, not a text file")
    for bom, encoding, label in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError as error:
                raise InputError(
                    path,
                    f"starts with a {label} byte order mark but is not valid {label} "
                    f"(byte {error.start})",
                    line=_line_of_byte(data, error.start, encoding),
                ) from error
            _reject_control_characters(text, path)
            return normalise_text(text), encoding
    if b"\x00" in data:
        raise InputError(
            path,
            "contains NUL bytes, so it looks like a binary file, not text "
            "(if it is UTF-16 text without a byte order mark, save it as UTF-8)",
        )
    try:
        text = data.decode("utf-8")
        encoding = "utf-8"
    except UnicodeDecodeError as error:
        if _looks_like_damaged_utf8(data):
            raise InputError(
                path,
                f"is not valid UTF-8 at byte {error.start}, though the rest is UTF-8 "
                "(the file may be truncated or damaged; re-save it as UTF-8)",
                line=_line_of_byte(data, error.start, "utf-8"),
            ) from error
        legacy = _choose_legacy_encoding(data)
        if legacy is None:
            raise InputError(
                path,
                "cannot decode: not UTF-8, UTF-16, GB18030/GBK or Big5 (save it as UTF-8)",
            ) from error
        text, encoding = legacy
    _reject_control_characters(text, path)
    return normalise_text(text), encoding


def raise_if_blank(text: str, path: str | Path) -> None:
    """Raise :class:`InputError` ("is empty") when a decoded transcript holds no visible text.

    Readers call this after decoding; ``str.strip`` counts the ideographic space U+3000 as
    whitespace, so a file of full-width spaces is empty too.
    """
    if not text:
        raise InputError(path, "is empty (no text)")
    if not text.strip():
        raise InputError(path, "is empty (only whitespace)")


def _line_of_byte(data: bytes, position: int, encoding: str) -> int:
    """One-based line number of the first undecodable byte, as an editor would show it.

    The valid bytes before it are decoded and normalised, so CR-only files and UTF-16 (where
    a 0x0A byte can be half of a character) count lines correctly.
    """
    before = data[:position].decode(encoding, errors="replace")
    return normalise_text(before).count("\n") + 1


def _reject_control_characters(text: str, path: str | Path) -> None:
    """Refuse decoded text that is binary in disguise: any NUL, or over 1% control characters.

    A stray control character (an old DOS end-of-file mark, an escape copied from a
    terminal) is tolerated; a file where they are common is not a transcript.
    """
    if "\x00" in text:
        raise InputError(path, "contains NUL characters, so it looks like a binary file")
    control_count = len(_SUSPICIOUS_CONTROL.findall(text))
    if control_count * 100 > len(text):
        raise InputError(
            path, f"contains {control_count} control characters, so it looks like a binary file"
        )


def _looks_like_damaged_utf8(data: bytes) -> bool:
    """True when invalid bytes are rare among valid multi-byte UTF-8 characters.

    GBK or Big5 text read as UTF-8 is mostly invalid (only about one character in ten forms a
    valid sequence by chance); real UTF-8 with one truncated character or one stray byte has
    hundreds of valid characters per invalid byte.
    """
    replaced = data.decode("utf-8", errors="replace")
    invalid_count = replaced.count("\ufffd")
    valid_count = sum(1 for character in replaced if ord(character) > 0x7F) - invalid_count
    return valid_count >= _DAMAGED_UTF8_RATIO * max(invalid_count, 1)


def _choose_legacy_encoding(data: bytes) -> tuple[str, str] | None:
    """Decode with GB18030 or the Big5 family; return ``(text, encoding)`` or ``None``.

    Short Chinese texts often decode without error in both GB18030 and Big5, one of them as
    mojibake. The two tables themselves tell real text from mojibake: each standard sorts its
    characters by frequency of use, putting the common ones in a first level (GB2312 level 1,
    3,755 simplified characters, bytes B0A1-D7F9; Big5 "frequently used" characters, 5,401
    traditional ones, bytes A440-C67E). Each candidate decoding scores the share of its
    non-ASCII characters that are in either first level or are CJK punctuation; real text
    scores close to 1 in its own encoding (traditional text in GBK included, since both
    levels count), the other encoding's mojibake scores far lower (about 0.2-0.7, as it lands
    in rare characters, private-use code points, Bopomofo and symbols). The higher score wins;
    a tie goes to GB18030, the national standard of the mainland, where most of our users'
    files come from. A best score under one half means neither decoding is real text, and
    ``None`` is returned. Same bytes, same answer: no statistics from a library, no
    randomness.
    """
    decodings: list[tuple[str, str]] = []
    with contextlib.suppress(UnicodeDecodeError):
        decodings.append((data.decode("gb18030"), "gb18030"))
    for encoding in _BIG5_FAMILY:
        try:
            decodings.append((data.decode(encoding), encoding))
        except UnicodeDecodeError:
            continue
        break
    best: tuple[str, str] | None = None
    best_score = -1.0
    for text, encoding in decodings:
        score = _common_character_share(text[:_SCORE_SAMPLE_CHARACTERS])
        if score > best_score:
            best, best_score = (text, encoding), score
    if best is None or best_score < _MINIMUM_LEGACY_SCORE:
        return None
    return best


def _common_character_share(text: str) -> float:
    """Share of the non-ASCII characters of ``text`` that are common Chinese characters.

    Pure ASCII text (identical in every candidate encoding) scores 1.
    """
    non_ascii = [character for character in text if ord(character) > 0x7F]
    if not non_ascii:
        return 1.0
    common = sum(1 for character in non_ascii if _is_common_character(character))
    return common / len(non_ascii)


@functools.lru_cache(maxsize=65_536)
def _is_common_character(character: str) -> bool:
    """Whether a character is CJK punctuation or a first-level GB2312 or Big5 character."""
    if (
        "\u3000" <= character <= "\u303f"  # CJK symbols and punctuation: 。、「」《》
        or "\uff00" <= character <= "\uffef"  # full-width forms: ，：？！（）
        or "\u2010" <= character <= "\u2027"  # dashes, curly quotes, ellipsis
        or character == "\u00b7"  # middle dot, as in foreign names
    ):
        return True
    try:
        gb2312 = character.encode("gb2312")
    except UnicodeEncodeError:
        pass
    else:
        if len(gb2312) == 2 and 0xB0A1 <= int.from_bytes(gb2312, "big") <= 0xD7F9:
            return True
    try:
        big5 = character.encode("big5")
    except UnicodeEncodeError:
        return False
    return len(big5) == 2 and 0xA440 <= int.from_bytes(big5, "big") <= 0xC67E


# Control characters and terminal escape sequences ---------------------------------------------

#: Terminal escape sequences (ECMA-48), each removed or replaced as a whole: CSI
#: (``ESC [ ... m``, colours and cursor moves), OSC (``ESC ] ... BEL``, window titles and
#: links) and the other string commands up to their terminator, their 8-bit forms, and the
#: two-character escapes. A string command without its terminator counts as its first two
#: characters only, so a stray ``ESC ]`` never swallows the text after it.
_ESCAPE_SEQUENCE = (
    r"\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\x1b[\]PX^_][^\x07\x1b\x9c\n]*(?:\x07|\x1b\\|\x9c)"
    r"|\x1b[ -/]*[0-~]"
    r"|\x9b[0-?]*[ -/]*[@-~]"
    r"|[\x90\x98\x9d\x9e\x9f][^\x07\x1b\x9c\n]*(?:\x07|\x1b\\|\x9c)"
)
#: C0 and C1 control characters other than tab and newline (the stored text has no other line
#: breaks), and DEL.
_CONTROL_CHARACTER = r"[\x00-\x08\x0b-\x1f\x7f-\x9f]"
_CONTROLS = re.compile(f"{_ESCAPE_SEQUENCE}|{_CONTROL_CHARACTER}")
_ANY_CONTROL = re.compile(_CONTROL_CHARACTER)

#: What an export writes in place of a control character or an escape sequence.
REPLACEMENT_CHARACTER = "\ufffd"


def replace_control_characters(text: str, replacement: str = REPLACEMENT_CHARACTER) -> str:
    """``text`` with every terminal escape sequence and every C0/C1 control character except
    tab and newline replaced by ``replacement`` (one per sequence).

    What exports and listings show of a project stored before the importer removed these:
    spreadsheets refuse such characters, and a terminal would run the sequences.
    """
    if _ANY_CONTROL.search(text) is None:
        return text
    return _CONTROLS.sub(replacement, text)


def control_character_spans(text: str) -> list[tuple[int, int]]:
    """The ``(start, end)`` spans :func:`replace_control_characters` replaces, in order."""
    if _ANY_CONTROL.search(text) is None:
        return []
    return [match.span() for match in _CONTROLS.finditer(text)]
