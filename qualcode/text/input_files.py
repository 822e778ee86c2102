"""Opening the files a user names, safely: regular files only, and limits on their size.

Every command that reads a file it is given (``import``, ``tag``, ``codebook load``, ``codings
import``, ``cases import``) reads it through :func:`read_input_bytes`. A named pipe (FIFO), a
device or a socket is refused at once with one line instead of blocking forever or reading
without end. The limits keep one hostile or broken file from taking the machine, and are
checked before the content is read: a ZIP-based input (``.docx``) whose members would inflate
beyond :data:`MAX_INFLATED_BYTES` or :data:`MAX_INFLATION_RATIO` times the file's size is
refused before it is unpacked (:func:`check_zip_inflation`), and a document longer than
:data:`MAX_DOCUMENT_CHARACTERS` is refused (:func:`check_document_length`). Each refusal is an
:class:`~qualcode.errors.InputError` for that file only, so an import goes on with the others.
"""

from __future__ import annotations

import io
import os
import stat
import zipfile
from pathlib import Path

from qualcode.errors import InputError

#: The longest document qualcode imports, in characters: about 20 times the longest interview
#: transcript of the reference study put together, far beyond any single interview.
MAX_DOCUMENT_CHARACTERS = 20_000_000
#: A text file this large has more characters than :data:`MAX_DOCUMENT_CHARACTERS` in any
#: encoding (at most four bytes a character, plus a byte order mark): refused unread.
MAX_TEXT_FILE_BYTES = 4 * MAX_DOCUMENT_CHARACTERS + 4
#: The most a ZIP-based input may inflate to, all members together.
MAX_INFLATED_BYTES = 200 * 1024 * 1024
#: The most a ZIP-based input may inflate to relative to its own size. Word documents inflate
#: about 3 to 10 times; a ZIP bomb inflates a thousand times and more.
MAX_INFLATION_RATIO = 100

_SPECIAL_KINDS = (
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def check_regular_file(path: Path) -> os.stat_result:
    """Refuse anything but a regular file (symbolic links are followed); return its status.

    Looks at the file's type without opening it, so a FIFO cannot block.
    """
    try:
        status = path.stat()
    except OSError as error:
        raise InputError(path, f"cannot be read: {error.strerror or error}") from error
    _refuse_special(path, status.st_mode)
    return status


def _refuse_special(path: Path, mode: int) -> None:
    if stat.S_ISDIR(mode):
        raise InputError(path, "cannot be read: it is a folder")
    for is_kind, kind in _SPECIAL_KINDS:
        if is_kind(mode):
            raise InputError(path, f"is {kind}, not a regular file: name a file to read")
    if not stat.S_ISREG(mode):
        raise InputError(path, "is not a regular file: name a file to read")


def read_input_bytes(path: Path, *, max_bytes: int | None = None) -> bytes:
    """The bytes of the regular file ``path``; :class:`InputError` for anything else.

    ``max_bytes``: a larger file is refused before it is read. The file is opened without
    blocking and checked again once open, so a file swapped for a FIFO in between is refused
    too.
    """
    status = check_regular_file(path)
    if max_bytes is not None and status.st_size > max_bytes:
        raise InputError(
            path, f"is too large ({status.st_size:,} bytes; qualcode reads up to {max_bytes:,})"
        )
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as error:
        raise InputError(path, f"cannot be read: {error.strerror or error}") from error
    with os.fdopen(descriptor, "rb") as handle:
        _refuse_special(path, os.fstat(handle.fileno()).st_mode)
        try:
            return handle.read()
        except OSError as error:
            raise InputError(path, f"cannot be read: {error.strerror or error}") from error


def check_zip_inflation(path: Path, data: bytes) -> None:
    """Refuse a ZIP-based file whose members would inflate beyond the limits, before reading.

    The members' sizes come from the archive's directory; Python's ``zipfile`` never inflates
    a member beyond its recorded size (it stops and fails the checksum), so the recorded sizes
    bound what reading the file can take. A file that is not a ZIP archive is left to its
    reader to report.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            inflated = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return
    limit = min(MAX_INFLATED_BYTES, MAX_INFLATION_RATIO * len(data))
    if inflated > limit:
        raise InputError(
            path,
            f"would inflate to {inflated:,} bytes from {len(data):,} (more than "
            f"{MAX_INFLATED_BYTES // (1024 * 1024)} MB or {MAX_INFLATION_RATIO} times its "
            "size): refused as a possible ZIP bomb",
        )


def check_document_length(path: Path, text: str) -> None:
    """Refuse a document longer than :data:`MAX_DOCUMENT_CHARACTERS` characters."""
    if len(text) > MAX_DOCUMENT_CHARACTERS:
        raise InputError(
            path,
            f"is too long ({len(text):,} characters; a document may have up to "
            f"{MAX_DOCUMENT_CHARACTERS:,}): split it into several files",
        )
