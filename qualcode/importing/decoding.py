"""Bytes to normalised text: the encoding step every text-based reader shares.

The stored text of a document (DESIGN.md section 3) is decoded to ``str``, has ``\\n``
newlines only, is Unicode NFC and carries no BOM. Offsets are counted in that text.
"""

from __future__ import annotations

import codecs
import unicodedata
from pathlib import Path

from qualcode.errors import InputError

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def normalise_text(text: str) -> str:
    """Remove a leading BOM, turn CRLF and CR into LF, and compose to NFC."""
    if text.startswith("\ufeff"):
        text = text[1:]
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", text)


def decode_bytes(data: bytes, path: str | Path) -> tuple[str, str]:
    """Decode a transcript file's bytes; return ``(normalised_text, encoding_name)``.

    Order of trust: a BOM, then strict UTF-8, then the Chinese legacy encodings (GB18030,
    which covers GBK and GB2312, and Big5), chosen with charset-normalizer when more than one
    decodes. Raises :class:`InputError` naming ``path`` when nothing decodes cleanly or the
    content looks binary.
    """
    if b"\x00" in data and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        if not data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
            raise InputError(path, "looks like a binary file (contains NUL bytes), not text")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return normalise_text(data.decode(encoding)), encoding
            except UnicodeDecodeError as error:
                raise InputError(
                    path, f"starts with a {encoding} BOM but is not valid {encoding}: {error}"
                ) from error
    try:
        return normalise_text(data.decode("utf-8")), "utf-8"
    except UnicodeDecodeError:
        pass
    encoding = _guess_legacy_encoding(data)
    if encoding is None:
        raise InputError(
            path, "cannot decode: not UTF-8, UTF-16, GB18030/GBK or Big5 (save it as UTF-8)"
        )
    return normalise_text(data.decode(encoding)), encoding


def _guess_legacy_encoding(data: bytes) -> str | None:
    candidates = []
    for encoding in ("gb18030", "big5"):
        try:
            data.decode(encoding)
        except UnicodeDecodeError:
            continue
        candidates.append(encoding)
    if len(candidates) <= 1:
        return candidates[0] if candidates else None
    from charset_normalizer import from_bytes

    best = from_bytes(data, cp_isolation=candidates).best()
    if best is not None and best.encoding in ("big5", "big5hkscs", "cp950"):
        return "big5"
    return "gb18030"
