"""Choosing the reader for a transcript file by its extension.

Every reader has the same shape, ``(path, data) -> ReadResult``: :func:`read_file` reads the
bytes once and hands them over, so readers never touch the file system and tests can feed
them bytes. The extension decides, not the content: a researcher's ``.txt`` of subtitle-like
lines is free text, and a mislabelled binary file gets a clear error from its reader instead
of a guess. Readers for subtitles and turn tables are imported on first use, keeping
``qualcode --help`` light.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from pathlib import Path

from qualcode.errors import InputError
from qualcode.importing.docx import read_docx
from qualcode.importing.text import read_text
from qualcode.models import ReadResult, Turn
from qualcode.text.decoding import (
    control_character_spans,
    raise_if_blank,
    replace_control_characters,
)
from qualcode.text.input_files import (
    MAX_INFLATED_BYTES,
    MAX_TEXT_FILE_BYTES,
    check_document_length,
    read_input_bytes,
)

Reader = Callable[[Path, bytes], ReadResult]


def _read_srt(path: Path, data: bytes) -> ReadResult:
    from qualcode.importing.subtitles import read_srt

    return read_srt(path, data)


def _read_vtt(path: Path, data: bytes) -> ReadResult:
    from qualcode.importing.subtitles import read_vtt

    return read_vtt(path, data)


def _read_turn_table(path: Path, data: bytes) -> ReadResult:
    from qualcode.importing.table import read_turn_table

    return read_turn_table(path, data)


_READERS: dict[str, Reader] = {
    ".txt": read_text,
    ".md": read_text,
    ".docx": read_docx,
    ".srt": _read_srt,
    ".vtt": _read_vtt,
    ".csv": _read_turn_table,
}

#: Lower-case extensions :func:`read_file` accepts, in the order the error message lists them.
SUPPORTED_SUFFIXES: tuple[str, ...] = tuple(_READERS)

#: What to do with formats people commonly try, added to the "unsupported" message.
_CONVERSION_HINTS = {
    ".doc": "save it as .docx in Word",
    ".rtf": "save it as .docx in Word",
    ".odt": "save it as .docx",
    ".pdf": "copy its text into a .txt or .docx file",
    ".xlsx": "save the sheet as .csv",
    ".xls": "save the sheet as .csv",
}


def is_supported(path: str | Path) -> bool:
    """Whether :func:`read_file` has a reader for the file's extension (case-insensitive)."""
    return Path(path).suffix.lower() in _READERS


def read_file(path: Path) -> ReadResult:
    """Read one transcript file with the reader for its extension.

    Control characters other than tab and newline, and terminal escape sequences (a transcript
    pasted from a terminal, a stray ESC or 0x1C), are taken out of the text, so that every
    document can be exported and printed; the turns a reader found are moved to match, and
    ``controls_removed`` says how many were taken out.

    Raises :class:`InputError` naming ``path`` for an unsupported extension (listing the
    supported ones), a file that cannot be read (or is not a regular file), an empty file, a
    file or document over the limits of :mod:`qualcode.text.input_files`, and whatever the
    format's reader finds wrong with the content.
    """
    suffix = path.suffix.lower()
    reader = _READERS.get(suffix)
    if reader is None:
        problem = (
            f"unsupported file type {suffix!r}" if suffix else "has no file extension"
        ) + f"; supported extensions: {', '.join(SUPPORTED_SUFFIXES)}"
        if suffix in _CONVERSION_HINTS:
            problem += f" ({_CONVERSION_HINTS[suffix]})"
        raise InputError(path, problem)
    max_bytes = MAX_INFLATED_BYTES if suffix == ".docx" else MAX_TEXT_FILE_BYTES
    data = read_input_bytes(path, max_bytes=max_bytes)
    if not data:
        raise InputError(path, "is empty (0 bytes)")
    result = _without_control_characters(path, reader(path, data))
    check_document_length(path, result.text)
    return result


def _without_control_characters(path: Path, result: ReadResult) -> ReadResult:
    """``result`` with control characters and escape sequences removed from its text, and its
    turns' offsets moved so that each still covers the same spoken text."""
    spans = control_character_spans(result.text)
    if not spans:
        return result
    text = result.text
    ends = [0, *(end for _, end in spans)]
    starts = [start for start, _ in spans]
    cleaned = "".join(
        text[end:start] for end, start in zip(ends, [*starts, len(text)], strict=True)
    )
    raise_if_blank(cleaned, path)
    turns = None
    if result.turns is not None:
        removed_before: list[int] = []  # characters removed by the spans before each one
        total = 0
        for start, end in spans:
            removed_before.append(total)
            total += end - start

        def moved(offset: int) -> int:
            index = bisect.bisect_left(starts, offset) - 1
            if index < 0:
                return offset
            start, end = spans[index]
            return offset - removed_before[index] - (min(offset, end) - start)

        turns = [
            Turn(
                moved(turn.start_char), moved(turn.end_char),
                speaker=None if turn.speaker is None
                else replace_control_characters(turn.speaker, "") or None,
                role=turn.role, start_time=turn.start_time, end_time=turn.end_time,
                is_header=turn.is_header,
            )
            for turn in result.turns
        ]  # fmt: skip
        turns = [turn for turn in turns if turn.end_char > turn.start_char]
    return ReadResult(cleaned, result.encoding, result.source_format, turns, len(spans))
