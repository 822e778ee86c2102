"""QualCoder projects read without QualCoder: what ``qualcode import qualcoder`` brings in.

A QualCoder project is a folder ``NAME.qda`` holding an SQLite database ``data.qda`` (and
folders of media). :func:`read_qualcoder_project` opens that database read-only and returns
its text sources, code tree, text codings, cases, attributes and memos as plain values, with
every position already moved onto qualcode's normalised text; storing them is the business of
:mod:`qualcode.flows.qualcoder`.

The tables and columns read, as QualCoder creates them (``MainWindow.new_project`` in
``src/qualcoder/__main__.py`` of https://github.com/ccbogel/QualCoder, database version v16;
``tests/fixtures/qualcoder/schema.sql`` holds a copy). Columns that older databases lack are
read as empty:

- ``project(databaseversion, codername, memo)``: the version and the default coder;
- ``source(id, name, fulltext, mediapath, memo, owner, date)``: a source with ``fulltext`` is
  a text (a text file, a Word document or a PDF's text); one without is a picture, audio or
  video, reported by name and not imported;
- ``code_cat(catid, name, memo, supercatid)``: categories, nested by ``supercatid``;
- ``code_name(cid, name, memo, catid, color, supercid)``: codes, in category ``catid``, or
  under another code by ``supercid`` (sub-codes, newer versions);
- ``code_text(ctid, cid, fid, seltext, pos0, pos1, owner, date, memo)``: a coding of code
  ``cid`` on source ``fid`` from ``pos0`` to ``pos1`` (zero-based, end-exclusive Python string
  offsets, that is code points, into ``source.fulltext``), by ``owner``, with the selected
  text ``seltext`` as QualCoder stored it;
- ``cases(caseid, name, memo)`` and ``case_text(caseid, fid, pos0, pos1)``: cases and the
  sources (or parts of sources) they hold;
- ``attribute_type(name, caseOrFile, valuetype)`` and ``attribute(name, attr_type, value,
  id)``: attribute values of a case (``attr_type = 'case'``, ``id`` a ``caseid``) or of a file
  (``'file'``, ``id`` a ``source.id``), numeric when ``valuetype`` is ``numeric``;
- ``annotation(fid, pos0, pos1, memo, owner, date)``: memos on a stretch of a source;
- ``journal``, ``code_image`` and ``code_av``: only counted, for the report (qualcode holds
  text, and has no project journal).

Positions. A coding's positions are checked against its ``seltext``: counted in code points
(what QualCoder writes) the slice must equal the stored text. If it does not, but counting
UTF-16 code units (an emoji counts two, as Qt counts) makes it equal, that reading is taken.
A coding whose positions fit neither way, or lie outside the text, is bad input: the whole
project is refused with one line naming the file and the coding (``code_text`` row ``ctid``),
so nothing is clamped or guessed. The text is normalised as every imported document is (BOM
removed, line breaks ``\\n``, NFC; :func:`~qualcode.text.decoding.normalise_text`) and the
positions move with it.

SQL outside ``qualcode/store/``: this module is the one exception to that house rule, because
reading another program's database file is a reader's job like parsing an XML file; every
statement is in :func:`_read_table`, and the file is opened read-only (``mode=ro``), so it
is never changed.
"""

from __future__ import annotations

import bisect
import sqlite3
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qualcode.errors import InputError
from qualcode.text.decoding import normalise_text

#: The name of the database inside a QualCoder project folder.
DATABASE_NAME = "data.qda"

#: The tables a file must have to be taken for a QualCoder project.
_REQUIRED_TABLES = ("project", "source", "code_name", "code_text")

_SQLITE_HEADER = b"SQLite format 3\x00"


@dataclass(frozen=True)
class QualCoderSource:
    """A text source: its normalised text, and its memo and owner."""

    source_id: int
    name: str
    text: str
    memo: str | None
    owner: str | None


@dataclass(frozen=True)
class QualCoderCategory:
    """A category of codes; ``parent_id`` is the ``catid`` of the category above it."""

    category_id: int
    name: str
    memo: str | None
    parent_id: int | None


@dataclass(frozen=True)
class QualCoderCode:
    """A code, in a category (``category_id``) or under another code (``parent_code_id``)."""

    code_id: int
    name: str
    memo: str | None
    color: str | None
    category_id: int | None
    parent_code_id: int | None


@dataclass(frozen=True)
class QualCoderCoding:
    """A text coding, with offsets into the normalised text of its source."""

    coding_id: int
    code_id: int
    source_id: int
    start_char: int
    end_char: int
    owner: str | None
    memo: str | None
    date: str | None


@dataclass(frozen=True)
class QualCoderCase:
    """A case, its memo, and the text sources it holds (``source_ids`` in ``case_text`` order)."""

    case_id: int
    name: str
    memo: str | None
    source_ids: tuple[int, ...]


@dataclass(frozen=True)
class QualCoderAttribute:
    """One attribute value of a case (``kind`` ``case``) or a source (``file``)."""

    kind: str
    target_id: int
    name: str
    value: str
    numeric: bool


@dataclass(frozen=True)
class QualCoderAnnotation:
    """A memo on a stretch of a source (offsets into its normalised text)."""

    source_id: int
    start_char: int
    end_char: int
    memo: str
    owner: str | None


@dataclass(frozen=True)
class QualCoderProject:
    """Everything :func:`read_qualcoder_project` reads from one project."""

    database_path: Path
    database_version: str | None
    default_coder: str | None
    sources: list[QualCoderSource]
    categories: list[QualCoderCategory]
    codes: list[QualCoderCode]
    codings: list[QualCoderCoding]
    cases: list[QualCoderCase]
    attributes: list[QualCoderAttribute]
    annotations: list[QualCoderAnnotation]
    media_sources: list[str] = field(default_factory=list)
    image_codings: int = 0
    av_codings: int = 0
    journals: int = 0


def qualcoder_database(path: Path) -> Path:
    """The ``data.qda`` file of a project folder, or ``path`` itself when it is the file."""
    if path.is_dir():
        database = path / DATABASE_NAME
        if not database.is_file():
            raise InputError(path, f"not a QualCoder project: the folder has no {DATABASE_NAME}")
        return database
    if not path.exists():
        raise InputError(path, "no such file or folder")
    return path


def read_qualcoder_project(path: str | Path) -> QualCoderProject:
    """Read a QualCoder project folder or its ``data.qda`` file (read-only; see the module)."""
    database = qualcoder_database(Path(path))
    try:
        with database.open("rb") as handle:
            header = handle.read(len(_SQLITE_HEADER))
    except OSError as error:
        raise InputError(database, f"cannot read: {error.strerror or error}") from error
    if header != _SQLITE_HEADER:
        raise InputError(database, "not a QualCoder project: not an SQLite database")
    try:
        connection = sqlite3.connect(f"{database.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as error:
        raise InputError(database, f"cannot open the database: {error}") from error
    try:
        return _read(connection, database)
    except sqlite3.DatabaseError as error:
        raise InputError(database, f"cannot read the database: {error}") from error
    finally:
        connection.close()


def _read_table(
    connection: sqlite3.Connection, table: str, columns: tuple[str, ...]
) -> list[dict[str, Any]] | None:
    """Rows of ``table`` as dicts of ``columns`` (absent columns read ``None``), in rowid
    order; ``None`` when the table does not exist. The only SQL of this module."""
    present = {str(row[1]) for row in connection.execute(f"PRAGMA table_info({table})")}
    if not present:
        return None
    selected = [column for column in columns if column in present]
    rows = connection.execute(f"SELECT {', '.join(selected)} FROM {table} ORDER BY rowid")
    return [
        {column: row[selected.index(column)] if column in present else None for column in columns}
        for row in rows
    ]


def _read(connection: sqlite3.Connection, database: Path) -> QualCoderProject:
    tables: dict[str, list[dict[str, Any]]] = {}
    wanted = {
        "project": ("databaseversion", "codername", "memo"),
        "source": ("id", "name", "fulltext", "mediapath", "memo", "owner"),
        "code_cat": ("catid", "name", "memo", "supercatid"),
        "code_name": ("cid", "name", "memo", "catid", "color", "supercid"),
        "code_text": ("ctid", "cid", "fid", "seltext", "pos0", "pos1", "owner", "date", "memo"),
        "cases": ("caseid", "name", "memo"),
        "case_text": ("caseid", "fid", "pos0", "pos1"),
        "attribute_type": ("name", "caseOrFile", "valuetype"),
        "attribute": ("name", "attr_type", "value", "id"),
        "annotation": ("fid", "pos0", "pos1", "memo", "owner"),
        "journal": ("jid",),
        "code_image": ("imid",),
        "code_av": ("avid",),
    }
    for table, columns in wanted.items():
        rows = _read_table(connection, table, columns)
        if rows is None and table in _REQUIRED_TABLES:
            raise InputError(database, f"not a QualCoder project: it has no table '{table}'")
        tables[table] = rows or []
    project_row = tables["project"][0] if tables["project"] else {}
    sources, media, texts = _sources(tables["source"], database)
    codings = [
        coding
        for row in tables["code_text"]
        if (coding := _coding(row, texts, database)) is not None
    ]
    numeric = {
        str(row["name"])
        for row in tables["attribute_type"]
        if str(row["valuetype"] or "").lower() == "numeric"
    }
    return QualCoderProject(
        database_path=database,
        database_version=_text(project_row.get("databaseversion")),
        default_coder=_text(project_row.get("codername")),
        sources=sources,
        categories=[
            QualCoderCategory(
                int(row["catid"]),
                _name(row["name"], f"category {row['catid']}"),
                _text(row["memo"]),
                _optional_id(row["supercatid"]),
            )
            for row in tables["code_cat"]
        ],
        codes=[
            QualCoderCode(
                int(row["cid"]),
                _name(row["name"], f"code {row['cid']}"),
                _text(row["memo"]),
                _text(row["color"]),
                _optional_id(row["catid"]),
                _optional_id(row["supercid"]),
            )
            for row in tables["code_name"]
        ],
        codings=codings,
        cases=_cases(tables["cases"], tables["case_text"], texts),
        attributes=[
            QualCoderAttribute(
                str(row["attr_type"]),
                int(row["id"]),
                str(row["name"]),
                "" if row["value"] is None else str(row["value"]),
                str(row["name"]) in numeric,
            )
            for row in tables["attribute"]
            if row["attr_type"] in ("case", "file") and row["id"] is not None and row["name"]
        ],
        annotations=_annotations(tables["annotation"], texts, database),
        media_sources=media,
        image_codings=len(tables["code_image"]),
        av_codings=len(tables["code_av"]),
        journals=len(tables["journal"]),
    )


# --------------------------------------------------------------------------------------------
# Sources and positions


@dataclass
class _SourceText:
    """A source's text as QualCoder stored it and as qualcode stores it, with the way between."""

    name: str
    original: str
    text: str
    to_normalised: Callable[[int], int]
    utf16_starts: list[int] | None  # code point index -> UTF-16 offset, if it differs


def _sources(
    rows: list[dict[str, Any]], database: Path
) -> tuple[list[QualCoderSource], list[str], dict[int, _SourceText]]:
    sources: list[QualCoderSource] = []
    media: list[str] = []
    texts: dict[int, _SourceText] = {}
    for row in rows:
        name = _name(row["name"], f"source {row['id']}")
        fulltext = row["fulltext"]
        if not isinstance(fulltext, str) or not fulltext.strip():
            media.append(name)
            continue
        text = normalise_text(fulltext)
        texts[int(row["id"])] = _SourceText(
            name, fulltext, text, _offset_map(fulltext, text), _utf16_starts(fulltext)
        )
        sources.append(
            QualCoderSource(int(row["id"]), name, text, _text(row["memo"]), _text(row["owner"]))
        )
    return sources, media, texts


def _coding(
    row: dict[str, Any], texts: dict[int, _SourceText], database: Path
) -> QualCoderCoding | None:
    """A text coding moved onto the normalised text; ``None`` for a coding of a media source."""
    source = texts.get(int(row["fid"])) if row["fid"] is not None else None
    if source is None:
        return None
    where = f"code_text {row['ctid']} (source '{source.name}')"
    span = _span(source, row["pos0"], row["pos1"], row["seltext"], database, where)
    return QualCoderCoding(
        int(row["ctid"]), int(row["cid"]), int(row["fid"]), span[0], span[1],
        _text(row["owner"]), _text(row["memo"]), _text(row["date"]),
    )  # fmt: skip


def _span(
    source: _SourceText,
    start: object,
    end: object,
    selected: object,
    database: Path,
    where: str,
) -> tuple[int, int]:
    """Normalised ``(start, end)`` of QualCoder positions, checked against the selected text."""
    if not isinstance(start, int) or not isinstance(end, int):
        raise InputError(database, f"{where}: positions {start!r}-{end!r} are not numbers")
    length = len(source.original)
    if not 0 <= start < end:
        raise InputError(database, f"{where}: positions {start}-{end} are not a stretch of text")
    candidates = [(start, end)]
    if source.utf16_starts is not None:
        candidates.append(
            (_code_point_of(source.utf16_starts, start), _code_point_of(source.utf16_starts, end))
        )
    for code_point_start, code_point_end in candidates:
        if code_point_end > length:
            continue
        if not isinstance(selected, str) or _same_text(
            source.original[code_point_start:code_point_end], selected
        ):
            return source.to_normalised(code_point_start), source.to_normalised(code_point_end)
    if end > length and (source.utf16_starts is None or end > source.utf16_starts[-1]):
        raise InputError(
            database,
            f"{where}: positions {start}-{end} lie outside the text ({length} characters)",
        )
    shown = selected if not isinstance(selected, str) or len(selected) <= 30 else selected[:30]
    raise InputError(
        database,
        f"{where}: the text at positions {start}-{end} is not the coded text {shown!r}",
    )


def _same_text(found: str, selected: str) -> bool:
    return found == selected or normalise_text(found) == normalise_text(selected)


def _utf16_starts(text: str) -> list[int] | None:
    """UTF-16 offset of each code point (and of the end), or ``None`` if all are in the BMP."""
    if all(ord(character) < 0x10000 for character in text):
        return None
    starts = [0]
    for character in text:
        starts.append(starts[-1] + (2 if ord(character) >= 0x10000 else 1))
    return starts


def _code_point_of(utf16_starts: list[int], offset: int) -> int:
    """The code point index at UTF-16 ``offset`` (inside a surrogate pair: the character's)."""
    return bisect.bisect_right(utf16_starts, offset) - 1


def _offset_map(original: str, text: str) -> Callable[[int], int]:
    """Offsets of ``original`` moved onto ``text`` = ``normalise_text(original)``.

    Identity when nothing changed. Otherwise BOM and line-break changes are mapped exactly,
    character by character; where NFC composed characters, an offset is moved by composing
    the text before it (rare: only decomposed accents and compatibility ideographs do this).
    """
    if original == text:
        return lambda offset: offset
    unbroken: list[str] = []
    positions = [0] * (len(original) + 1)
    index = 1 if original.startswith("\ufeff") else 0
    produced = 0
    for position in range(index, len(original)):
        positions[position] = produced
        character = original[position]
        if character == "\n" and position > 0 and original[position - 1] == "\r":
            continue
        produced += 1
        unbroken.append("\n" if character in "\r\v\f\x85\u2028\u2029" else character)
    positions[len(original)] = produced
    joined = "".join(unbroken)
    if unicodedata.normalize("NFC", joined) == joined:
        return lambda offset: positions[offset]
    return lambda offset: len(unicodedata.normalize("NFC", joined[: positions[offset]]))


# --------------------------------------------------------------------------------------------
# Cases and annotations


def _cases(
    cases: list[dict[str, Any]], links: list[dict[str, Any]], texts: dict[int, _SourceText]
) -> list[QualCoderCase]:
    sources_of: dict[int, list[int]] = {}
    for link in links:
        if link["caseid"] is None or link["fid"] is None or int(link["fid"]) not in texts:
            continue
        held = sources_of.setdefault(int(link["caseid"]), [])
        if int(link["fid"]) not in held:
            held.append(int(link["fid"]))
    return [
        QualCoderCase(
            int(row["caseid"]), _name(row["name"], f"case {row['caseid']}"), _text(row["memo"]),
            tuple(sources_of.get(int(row["caseid"]), ())),
        )
        for row in cases
    ]  # fmt: skip


def _annotations(
    rows: list[dict[str, Any]], texts: dict[int, _SourceText], database: Path
) -> list[QualCoderAnnotation]:
    annotations: list[QualCoderAnnotation] = []
    for row in rows:
        source = texts.get(int(row["fid"])) if row["fid"] is not None else None
        memo = _text(row["memo"])
        if source is None or not memo:
            continue
        where = f"annotation on source '{source.name}'"
        start, end = _span(source, row["pos0"], row["pos1"], None, database, where)
        annotations.append(
            QualCoderAnnotation(int(row["fid"]), start, end, memo, _text(row["owner"]))
        )
    return annotations


def _text(value: object) -> str | None:
    """A text column as text, ``None`` when empty."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _name(value: object, fallback: str) -> str:
    return _text(value) or fallback


def _optional_id(value: object) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, int):
        return value
    text = str(value).strip()
    return int(text) if text.isdigit() else None
