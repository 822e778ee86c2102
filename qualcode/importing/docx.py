"""Reader for Word transcripts (``.docx``), through python-docx.

Layout of the text this reader produces, so that quotes and offsets are predictable:

* The document body is read in order: paragraphs and tables appear where they stand, also
  inside content controls (``w:sdt``) and custom XML blocks. Headers, footers, footnotes,
  comments and text boxes are not part of the interview and are left out.
* Each paragraph is one line; lines are joined by ``\\n``. Empty paragraphs stay as empty
  lines (the layout detector may treat a blank line as a boundary). A soft line break
  (Shift+Enter) inside a paragraph is a ``\\n`` too, a tab is ``\\t``.
* A paragraph's text is what Word shows: runs, hyperlinks, fields' results, smart tags, and
  tracked insertions; tracked deletions, field codes and the phonetic guide over characters
  (ruby, e.g. pinyin) are left out.
* Each table row is one line: its cells' texts joined by ``\\t``, so a two-column
  speaker | speech table becomes ``speaker\\tspeech`` lines a turn detector can read. To keep
  a row on one line, the paragraphs inside a cell are stripped and joined by a single space
  (empty ones dropped), and tabs and line breaks inside a cell become spaces. A cell merged
  horizontally appears once; a cell merged vertically is empty in the rows it continues into
  (its text belongs to the first row), so no quote is duplicated. A table nested in a cell
  contributes its rows to that cell's text, joined the same way.

The whole text is then normalised (:func:`qualcode.text.decoding.normalise_text`).
python-docx is imported inside :func:`read_docx` to keep ``qualcode --help`` light.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from qualcode.errors import InputError
from qualcode.models import ReadResult
from qualcode.text.decoding import normalise_text, raise_if_blank
from qualcode.text.input_files import check_zip_inflation

_WORD_NAMESPACE = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_COMPATIBILITY_NAMESPACE = "http://schemas.openxmlformats.org/markup-compatibility/2006"
_OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _word(local_name: str) -> str:
    """The fully qualified tag of a WordprocessingML element, as lxml spells it."""
    return f"{{{_WORD_NAMESPACE}}}{local_name}"


_PARAGRAPH = _word("p")
_TABLE = _word("tbl")
_TABLE_ROW = _word("tr")
_TABLE_CELL = _word("tc")
_CELL_PROPERTIES = _word("tcPr")
_VERTICAL_MERGE = _word("vMerge")
_VALUE = _word("val")
_TEXT = _word("t")
#: Containers that wrap paragraphs, tables, rows or cells without changing their meaning.
_BLOCK_WRAPPERS = frozenset({_word("sdt"), _word("sdtContent"), _word("customXml")})
#: Run-level elements that stand for a character.
_INLINE_CHARACTERS = {
    _word("tab"): "\t",
    _word("ptab"): "\t",
    _word("br"): "\n",
    _word("cr"): "\n",
    _word("noBreakHyphen"): "-",
}
#: Inline elements whose content is not part of the visible text: properties, tracked
#: deletions and moves away, drawings and text boxes (their own paragraphs), embedded
#: objects, and the ruby text (phonetic guide) above base characters.
_SKIPPED_INLINE = frozenset(
    {
        _word("pPr"),
        _word("rPr"),
        _word("sdtPr"),
        _word("del"),
        _word("moveFrom"),
        _word("drawing"),
        _word("pict"),
        _word("object"),
        _word("rt"),
        _word("rubyPr"),
        f"{{{_COMPATIBILITY_NAMESPACE}}}AlternateContent",
    }
)


class _Element(Protocol):
    """The part of lxml's element interface this reader uses."""

    tag: object
    text: str | None

    def iterchildren(self) -> Iterator[_Element]: ...

    def find(self, path: str) -> _Element | None: ...

    def get(self, key: str) -> str | None: ...


def read_docx(path: Path, data: bytes) -> ReadResult:
    """Read a Word document's body text; ``turns`` is left ``None``, encoding is ``"docx"``.

    Raises as :func:`read_docx_with_layout` does.
    """
    return read_docx_with_layout(path, data)[0]


def read_docx_with_layout(path: Path, data: bytes) -> tuple[ReadResult, bool]:
    """:func:`read_docx`'s result and whether the body holds a table.

    Tables are where renderings of a ``.docx`` as plain text differ between tools (this
    reader puts a row on one line, its cells stripped and joined by tabs; NVivo puts each cell
    on a line of its own, spaces kept), so a caller that must match another tool's character
    positions needs to know.

    Raises :class:`InputError` naming ``path`` for an empty file, a package that would inflate
    beyond the limits of :func:`~qualcode.text.input_files.check_zip_inflation` (checked before
    anything is unpacked), a file that is not a ``.docx`` package (an old ``.doc``, a
    password-protected document, a renamed or damaged file) and a document without visible
    text.
    """
    from docx import Document
    from docx.opc.exceptions import PackageNotFoundError
    from lxml.etree import XMLSyntaxError

    if not data:
        raise InputError(path, "is empty (0 bytes)")
    if data.startswith(_OLE_SIGNATURE):
        raise InputError(
            path,
            "is an old Word 97-2003 (.doc) or password-protected file, not a .docx; "
            "open it in Word and save it as .docx without a password",
        )
    check_zip_inflation(path, data)
    try:
        document = Document(io.BytesIO(data))
    except zipfile.BadZipFile as error:
        raise InputError(
            path, f"is not a valid .docx file: damaged or not a Word document ({error})"
        ) from error
    except (KeyError, PackageNotFoundError) as error:
        # str() of a KeyError quotes its message; the message itself reads better.
        reason = error.args[0] if error.args else error
        raise InputError(
            path, f"is not a valid .docx file: a part of the package is missing ({reason})"
        ) from error
    except ValueError as error:
        # python-docx's message for another Office package ("... is not a Word file,
        # content type is ...") names an in-memory stream, not the file; ours names it.
        raise InputError(
            path, "is not a Word document (another Office file renamed to .docx, or damaged)"
        ) from error
    except (XMLSyntaxError, zlib.error, EOFError) as error:
        raise InputError(path, f"is not a valid .docx file: damaged content ({error})") from error
    lines: list[str] = []
    body = document.element.body
    _append_block_lines(body, lines)
    text = normalise_text("\n".join(lines))
    raise_if_blank(text, path)
    has_table = next(iter(body.iter(_TABLE)), None) is not None
    return ReadResult(text=text, encoding="docx", source_format="docx", turns=None), has_table


def _append_block_lines(container: _Element, lines: list[str]) -> None:
    """Append one line per paragraph and one per table row of a body or cell, in order."""
    for child in container.iterchildren():
        if child.tag == _PARAGRAPH:
            lines.append(_paragraph_text(child))
        elif child.tag == _TABLE:
            lines.extend(_table_lines(child))
        elif child.tag in _BLOCK_WRAPPERS:
            _append_block_lines(child, lines)


def _paragraph_text(paragraph: _Element) -> str:
    """The visible text of one paragraph (see the module docstring for what counts)."""
    parts: list[str] = []
    _append_inline_text(paragraph, parts)
    return "".join(parts)


def _append_inline_text(element: _Element, parts: list[str]) -> None:
    for child in element.iterchildren():
        tag = child.tag
        if not isinstance(tag, str) or tag in _SKIPPED_INLINE:
            continue  # comments and processing instructions have a non-str tag
        if tag == _TEXT:
            parts.append(child.text or "")
        elif tag in _INLINE_CHARACTERS:
            parts.append(_INLINE_CHARACTERS[tag])
        else:
            _append_inline_text(child, parts)


def _table_lines(table: _Element) -> list[str]:
    """One line per row: cell texts joined by a tab."""
    return [
        "\t".join(_row_cell_texts(row)) for row in _children_through_wrappers(table, _TABLE_ROW)
    ]


def _row_cell_texts(row: _Element) -> list[str]:
    return [
        "" if _continues_vertical_merge(cell) else _cell_text(cell)
        for cell in _children_through_wrappers(row, _TABLE_CELL)
    ]


def _cell_text(cell: _Element) -> str:
    """A cell's paragraphs (and nested tables' rows) on one line, joined by a space."""
    lines: list[str] = []
    _append_block_lines(cell, lines)
    flattened = (line.replace("\t", " ").replace("\n", " ").strip() for line in lines)
    return " ".join(line for line in flattened if line)


def _continues_vertical_merge(cell: _Element) -> bool:
    """True for a cell that continues a vertical merge from the row above.

    ``<w:vMerge/>`` without a value means "continue"; ``w:val="restart"`` starts a merge.
    """
    properties = cell.find(_CELL_PROPERTIES)
    if properties is None:
        return False
    merge = properties.find(_VERTICAL_MERGE)
    return merge is not None and merge.get(_VALUE) in (None, "continue")


def _children_through_wrappers(element: _Element, tag: str) -> Iterator[_Element]:
    """Children with ``tag``, also those wrapped in content controls or custom XML."""
    for child in element.iterchildren():
        if child.tag == tag:
            yield child
        elif child.tag in _BLOCK_WRAPPERS:
            yield from _children_through_wrappers(child, tag)
