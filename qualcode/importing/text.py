"""Reader for free-text transcripts: ``.txt`` and ``.md``.

The text is kept as the researcher wrote it, only decoded and normalised (see
:mod:`qualcode.text.decoding`): leading and trailing blank lines, indentation and
Markdown markup such as ``**采访者**：`` stay, so what a quote shows is what the file shows.
Speaker turns are not found here; the layout detector finds them in the stored text.
"""

from __future__ import annotations

from pathlib import Path

from qualcode.errors import InputError
from qualcode.models import ReadResult
from qualcode.text.decoding import decode_bytes, raise_if_blank


def read_text(path: Path, data: bytes) -> ReadResult:
    """Decode a plain-text or Markdown transcript; ``turns`` is left ``None``.

    Raises :class:`InputError` naming ``path`` when the file is empty (no bytes, or nothing
    but whitespace once decoded) or cannot be decoded as text.
    """
    if not data:
        raise InputError(path, "is empty (0 bytes)")
    text, encoding = decode_bytes(data, path)
    raise_if_blank(text, path)
    source_format = "md" if path.suffix.lower() == ".md" else "txt"
    return ReadResult(text=text, encoding=encoding, source_format=source_format, turns=None)
