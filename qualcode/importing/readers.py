"""Choosing the reader for a transcript file by its extension.

Every reader has the same shape, ``(path, data) -> ReadResult``: :func:`read_file` reads the
bytes once and hands them over, so readers never touch the file system and tests can feed
them bytes. The extension decides, not the content: a researcher's ``.txt`` of subtitle-like
lines is free text, and a mislabelled binary file gets a clear error from its reader instead
of a guess. Readers for subtitles and turn tables are imported on first use, keeping
``qualcode --help`` light.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from qualcode.errors import InputError
from qualcode.importing.docx import read_docx
from qualcode.importing.text import read_text
from qualcode.models import ReadResult

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

    Raises :class:`InputError` naming ``path`` for an unsupported extension (listing the
    supported ones), a file that cannot be read, an empty file, and whatever the format's
    reader finds wrong with the content.
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
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InputError(path, f"cannot be read: {error.strerror or error}") from error
    if not data:
        raise InputError(path, "is empty (0 bytes)")
    return reader(path, data)
