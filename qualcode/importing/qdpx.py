"""Reading REFI-QDA projects (``.qdpx``, or a ``.qde`` with its sources beside it).

REFI-QDA is the exchange standard of NVivo, ATLAS.ti, MAXQDA, QualCoder and others. This
module is a pure reader: it turns the file into a :class:`QdaProject` (users, the code tree,
variables, cases, text sources with their selections and codings, notes) and never touches a
project; :mod:`qualcode.flows.qdpx` decides what becomes what.

Safe parsing. A ``.qdpx`` comes from someone else's machine, so before anything is kept:

- every ZIP member name must stay inside the archive's folder (no absolute paths, no ``..``);
- the members together may inflate to at most :data:`MAX_INFLATED_BYTES` (2 GB) and at most
  :data:`MAX_INFLATION_RATIO` (100) times the archive's size (archives under
  :data:`RATIO_FLOOR_BYTES` inflated are let through: a 300-byte header can compress 100x);
  the sizes are counted while inflating, not taken from the (forgeable) ZIP headers;
- XML is parsed by lxml with entity resolution and network access off, and a document that
  declares a DTD at all is refused before parsing: a REFI-QDA file never needs one, and internal
  entities are how "billion laughs" bombs are built.

Each refusal is one :class:`~qualcode.errors.InputError` naming the file and what was wrong.

Streaming. ``project.qde`` is read with lxml's ``iterparse``: each element the reader needs is
read when it ends and then dropped from the tree, so memory does not grow with the file. With
``on_source``, :func:`read_qdpx` hands each source to the caller as soon as its element ends
(text read, positions converted) and keeps none of them, so a project of a million selections
is never held whole; the caller that writes as it goes does so inside one transaction and
rolls it back if anything later in the file is wrong. The standard's order (users, code book,
variables and cases before sources; notes after them) means the first source arrives with
everything it refers to already read, except notes.

Lenient, as real exports need: ``project.qde`` in any letter case and in any folder of the
archive, a bare ``.qde`` with its ``sources`` folder beside it, ``internal://``, relative and
absolute source paths, sources with a BOM or CRLF line ends, a ``CodeBook`` nested anywhere in
``Project``, selections without a ``Coding`` (kept: a note may hang on them), GUIDs that do
not match the standard's pattern (kept, with a warning), and text sources given only as a
``.docx`` (``richTextPath`` without ``plainTextPath``; see :func:`_docx_rendering`).

Positions. The standard counts characters; NVivo counts UTF-16 code units (a character
outside the Basic Multilingual Plane, such as an emoji, counts two) over the plain text with
its BOM removed and its CRLF line ends kept. QualCoder and qualcode count code points. Each
source's unit is chosen by :func:`choose_position_unit`: the one the file's ``origin`` suggests
(UTF-16 for NVivo) if every selection fits the text in it, else the other if every selection
fits in that, else the one that fits more. Positions are then converted to zero-based,
end-exclusive code points into the text as qualcode stores it (line ends ``\\n``, NFC;
:func:`qualcode.text.decoding.normalise_text`). A selection that does not fit is reported in
:attr:`QdaSource.problems`, never clamped.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any, Literal

from qualcode.codebook.qdc import QdaCode, iterate_xml
from qualcode.errors import InputError
from qualcode.text.decoding import normalise_text

NAMESPACE = "urn:QDA-XML:project:1.0"
CODEBOOK_NAMESPACE = "urn:QDA-XML:codebook:1.0"

#: The most all members of an archive may inflate to, together.
MAX_INFLATED_BYTES = 2 * 1024**3
#: The most all members may inflate to, as a multiple of the archive's size on disk.
MAX_INFLATION_RATIO = 100
#: Below this many inflated bytes the ratio is not checked (tiny archives compress oddly).
RATIO_FLOOR_BYTES = 1024**2

PositionUnit = Literal["codepoint", "utf16"]

_GUID = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    r"|\{[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}"
)
_READ_CHUNK = 1024**2


# --------------------------------------------------------------------------------------------
# The model


@dataclass(slots=True)
class QdaUser:
    guid: str
    name: str


@dataclass(slots=True)
class QdaCoding:
    """A ``Coding`` of a selection: which code, who (the Coding's own ``creatingUser``)."""

    code_guid: str
    creating_user: str | None
    note_guids: tuple[str, ...] = ()


@dataclass(slots=True)
class QdaSelection:
    """A ``PlainTextSelection``, its positions converted to code points in the normalised text.

    ``start_char``/``end_char`` are set by the reader once the source's position unit is known;
    ``start_position``/``end_position`` are what the file says.
    """

    start_position: int
    end_position: int
    creating_user: str | None
    created_at: str | None
    description: str | None
    codings: list[QdaCoding]
    note_guids: tuple[str, ...]
    line: int | None
    start_char: int = -1
    end_char: int = -1


@dataclass(slots=True)
class QdaSource:
    """A source. ``text`` is its plain text normalised as qualcode stores documents, or
    ``None`` when the archive lacks it (``missing`` says why: a picture, a PDF, a missing
    file ...). ``problems`` lists selections whose positions do not fit the text."""

    guid: str
    name: str
    kind: str
    text: str | None
    missing: str | None
    description: str | None
    selections: list[QdaSelection]
    note_guids: list[str]
    variable_values: dict[str, str | int | float | bool]
    position_unit: PositionUnit = "codepoint"
    plain_text_path: str | None = None
    rich_text_path: str | None = None
    problems: list[str] = field(default_factory=list)


@dataclass(slots=True)
class QdaVariable:
    guid: str
    name: str
    type_of_variable: str
    description: str | None = None


@dataclass(slots=True)
class QdaCase:
    guid: str
    name: str
    description: str | None
    values: dict[str, str | int | float | bool]
    source_guids: list[str]


@dataclass(slots=True)
class QdaNote:
    guid: str
    name: str | None
    text: str
    creating_user: str | None
    created_at: str | None


@dataclass(slots=True)
class QdaProject:
    """Everything of a REFI-QDA project qualcode can use."""

    path: str
    name: str
    origin: str | None
    users: dict[str, QdaUser]
    codes: list[QdaCode]
    variables: dict[str, QdaVariable]
    cases: list[QdaCase]
    sources: list[QdaSource]
    notes: dict[str, QdaNote]
    project_note_guids: list[str]
    warnings: list[str]

    def all_codes(self) -> Iterator[tuple[QdaCode, QdaCode | None]]:
        """Every code with its parent, in tree order."""
        for root in self.codes:
            yield from root.walk()


# --------------------------------------------------------------------------------------------
# Opening the file


#: Called with the project read so far and one source, as soon as the source is read.
SourceHandler = Callable[[QdaProject, QdaSource], None]


def read_qdpx(path: str | Path, on_source: SourceHandler | None = None) -> QdaProject:
    """Read a ``.qdpx`` archive, or a ``.qde`` file with its sources in a folder beside it.

    Without ``on_source`` every source is kept in :attr:`QdaProject.sources`. With it, each
    source goes to ``on_source(project, source)`` as soon as it is read and is not kept (see
    the module docstring); notes are complete only once this returns.

    Raises :class:`InputError` naming ``path`` for anything that is not a readable REFI-QDA
    project or that the safety checks refuse (see the module docstring).
    """
    path = Path(path)
    if not path.exists():
        raise InputError(path, "no such file")
    if path.is_dir():
        raise InputError(path, "is a folder: give the .qdpx file (or the .qde file)")
    if path.suffix.lower() == ".qde" or not zipfile.is_zipfile(path):
        if path.suffix.lower() != ".qde":
            raise InputError(
                path, "is not a REFI-QDA project (.qdpx is a ZIP archive; this is not)"
            )
        return _read_loose_qde(path, on_source)
    return _read_archive(path, on_source)


class _Files:
    """Where the source files of a project come from: the archive or a folder."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self, reference: str) -> tuple[bytes | None, str]:
        """The bytes a source path refers to (or ``None``) and the name shown to the user."""
        raise NotImplementedError


class _ArchiveFiles(_Files):
    def __init__(self, path: Path, archive: zipfile.ZipFile, budget: _InflationBudget) -> None:
        super().__init__(path)
        self.archive = archive
        self.budget = budget
        self.by_lower_name = {info.filename.lower(): info for info in archive.infolist()}

    def read(self, reference: str) -> tuple[bytes | None, str]:
        name = _relative_source_name(reference)
        for candidate in (name, "sources/" + name, "sources/" + PurePosixPath(name).name):
            info = self.by_lower_name.get(candidate.lower())
            if info is not None and not info.is_dir():
                return _inflate(self.path, self.archive, info, self.budget), info.filename
        return None, name


class _FolderFiles(_Files):
    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.folder = path.parent

    def read(self, reference: str) -> tuple[bytes | None, str]:
        name = _relative_source_name(reference)
        candidates = [self.folder / name, self.folder / "sources" / name]
        candidates.append(self.folder / "Sources" / name)
        if reference and not reference.lower().startswith("internal://"):
            candidates.insert(0, Path(reference.removeprefix("file://")))
        for candidate in candidates:
            if candidate.is_file():
                try:
                    return candidate.read_bytes(), str(candidate)
                except OSError:
                    continue
        return None, name


def _relative_source_name(reference: str) -> str:
    """``internal://x.txt``, ``sources/x.txt``, ``C:\\\\a\\\\x.txt`` -> a name to look for."""
    name = reference.strip()
    if name.lower().startswith("internal://"):
        name = name[len("internal://") :]
    name = name.removeprefix("file://").replace("\\", "/")
    if re.match(r"^[A-Za-z]:/", name) or name.startswith("/"):
        return PurePosixPath(name).name
    return name.lstrip("./")


def _read_loose_qde(path: Path, on_source: SourceHandler | None) -> QdaProject:
    try:
        handle = path.open("rb")
    except OSError as error:
        raise InputError(path, f"cannot be read: {error.strerror or error}") from error
    with handle:
        return _parse_project(path, handle, _FolderFiles(path), on_source)


def _read_archive(path: Path, on_source: SourceHandler | None) -> QdaProject:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        raise InputError(path, f"is not a readable ZIP archive ({error})") from error
    with archive:
        budget = _InflationBudget(path)
        for info in archive.infolist():
            _check_member_name(path, info.filename)
        declared = sum(info.file_size for info in archive.infolist())
        budget.check(declared, "declares members that")
        qde = _find_project_member(path, archive)
        try:
            with archive.open(qde) as member:
                stream = _BudgetedStream(path, member, budget)
                files = _ArchiveFiles(path, archive, budget)
                return _parse_project(path, stream, files, on_source)
        except (zipfile.BadZipFile, EOFError, NotImplementedError) as error:
            raise InputError(
                path, f"ZIP member {qde.filename!r} cannot be read ({error})"
            ) from error


def _check_member_name(path: Path, name: str) -> None:
    """Refuse a member whose name would land outside the folder the archive unpacks into."""
    normalised = name.replace("\\", "/")
    parts = PurePosixPath(normalised).parts
    if (
        normalised.startswith("/")
        or re.match(r"^[A-Za-z]:", normalised)
        or ".." in parts
        or "\x00" in normalised
    ):
        raise InputError(path, f"refused: ZIP member {name!r} points outside the archive's folder")


def _find_project_member(path: Path, archive: zipfile.ZipFile) -> zipfile.ZipInfo:
    qde = [
        info
        for info in archive.infolist()
        if not info.is_dir() and info.filename.lower().endswith(".qde")
    ]
    if not qde:
        raise InputError(path, "is a ZIP archive but not a REFI-QDA project (no project.qde in it)")
    preferred = [info for info in qde if PurePosixPath(info.filename).name.lower() == "project.qde"]
    return min(preferred or qde, key=lambda info: info.filename.count("/"))


class _InflationBudget:
    """How many bytes the archive may still inflate to (see the module docstring)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        archive_size = path.stat().st_size
        self.limit = min(MAX_INFLATED_BYTES, max(MAX_INFLATION_RATIO * archive_size, 0))
        self.archive_size = archive_size
        self.used = 0

    def check(self, total: int, what: str = "members") -> None:
        if total > MAX_INFLATED_BYTES:
            raise InputError(
                self.path,
                f"refused: its {what} inflate to more than 2 GB (a ZIP bomb, or not a project)",
            )
        if total > RATIO_FLOOR_BYTES and total > MAX_INFLATION_RATIO * self.archive_size:
            raise InputError(
                self.path,
                f"refused: its {what} inflate to more than {MAX_INFLATION_RATIO} times the "
                f"archive's {self.archive_size} bytes (a ZIP bomb?)",
            )

    def spend(self, count: int) -> None:
        self.used += count
        self.check(self.used)


class _BudgetedStream:
    """A member being inflated, its bytes counted against the budget as they come."""

    def __init__(self, path: Path, member: IO[bytes], budget: _InflationBudget) -> None:
        self.path = path
        self.member = member
        self.budget = budget

    def read(self, size: int = -1) -> bytes:
        chunk = self.member.read(size)
        self.budget.spend(len(chunk))
        return chunk


def _inflate(
    path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: _InflationBudget
) -> bytes:
    """A member's bytes, counted against the budget while inflating (headers can lie)."""
    chunks: list[bytes] = []
    try:
        with archive.open(info) as member:
            while chunk := member.read(_READ_CHUNK):
                budget.spend(len(chunk))
                chunks.append(chunk)
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as error:
        raise InputError(path, f"ZIP member {info.filename!r} cannot be read ({error})") from error
    return b"".join(chunks)


# --------------------------------------------------------------------------------------------
# Parsing project.qde


def _local(tag: Any) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _parse_project(
    path: Path, stream: Any, files: _Files, on_source: SourceHandler | None
) -> QdaProject:
    parser = _ProjectParser(path, files, on_source)
    parser.run(iterate_xml(path, stream, events=("end",), tags=_PARSED))
    project = parser.project
    for guid, note_path in parser.note_paths.items():
        note = project.notes[guid]
        if not note.text:
            data, shown = files.read(note_path)
            if data is not None:
                note.text = normalise_text(_decode_source(path, shown, data)).strip()
    return project


#: Selections already read are cleared at once and removed from the tree this many at a time.
_DROP_EVERY = 512
_SOURCE_KINDS = ("TextSource", "PictureSource", "PDFSource", "AudioSource", "VideoSource")
#: The elements the parser is called for, each when it ends (see _ProjectParser).
_PARSED = ("Project", "User", "CodeBook", "Variable", "Case", "Note", "PlainTextSelection",
           *_SOURCE_KINDS)  # fmt: skip


class _ProjectParser:
    """Streams ``project.qde``: lxml calls it only when one of :data:`_PARSED` ends, and each
    is read from its finished subtree and then dropped from the tree, so a million selections
    never build a million-node tree or a Python call per element."""

    def __init__(self, path: Path, files: _Files, on_source: SourceHandler | None) -> None:
        self.path = path
        self.files = files
        self.on_source = on_source
        self.project = QdaProject(
            path=str(path), name=path.stem, origin=None, users={}, codes=[], variables={},
            cases=[], sources=[], notes={}, project_note_guids=[], warnings=[],
        )  # fmt: skip
        self.selections: list[QdaSelection] = []
        self.bad_guids = 0
        self.note_paths: dict[str, str] = {}
        #: raw GUID attribute -> normalised GUID (None for a blank one), once per value
        self.seen_guids: dict[str | None, str | None] = {None: None}
        self.selection_tags: dict[str, tuple[str, str, str, str]] = {}

    def guid(self, element: Any, attribute: str = "guid") -> str:
        value = element.get(attribute)
        if value is None:
            raise InputError(
                self.path, f"<{_local(element.tag)}> has no {attribute}", line=element.sourceline
            )
        value = str(value).strip()
        if not _GUID.fullmatch(value):
            self.bad_guids += 1
        return value.strip("{}").lower()

    def run(self, events: Iterator[tuple[str, Any]]) -> None:
        seen_project = False
        local_names: dict[str, str] = {}  # tag with namespace -> local name, once per tag
        read_since_drop = 0
        for _event, element in events:
            tag = element.tag
            name = local_names.get(tag)
            if name is None:
                name = local_names[tag] = _local(tag)
            parent = element.getparent()
            parent_name = "" if parent is None else local_names.get(parent.tag)
            if parent_name is None:
                parent_name = local_names[parent.tag] = _local(parent.tag)
            if name == "PlainTextSelection":
                if parent_name == "TextSource":
                    self.selections.append(self.selection(element))
                    read_since_drop += 1
                    if read_since_drop == _DROP_EVERY:  # read ones are cleared, dropped in bulk
                        _drop_earlier_selections(element, parent)
                        read_since_drop = 0
                continue
            if name == "Project" and parent is None:
                seen_project = True
                self.finish_project(element)
                continue
            if name in _SOURCE_KINDS:
                if parent_name == "Sources":
                    self.finish_source(self.source(name, element), element)
                    parent.remove(element)
                elif name == "TextSource":
                    self.selections = []  # a PDF's text representation: not a source here
                continue
            if name == "User" and parent_name == "Users":
                guid = self.guid(element)
                user_name = (element.get("name") or element.get("id") or "").strip() or guid
                self.project.users[guid] = QdaUser(guid, user_name)
            elif name == "CodeBook":
                self.project.codes.extend(self.codes(element))
            elif name == "Variable" and parent_name == "Variables":
                variable = QdaVariable(
                    guid=self.guid(element), name=(element.get("name") or "").strip(),
                    type_of_variable=element.get("typeOfVariable") or "Text",
                    description=_child_text(element, "Description"),
                )  # fmt: skip
                self.project.variables[variable.guid] = variable
            elif name == "Case" and parent_name == "Cases":
                self.project.cases.append(self.case(element))
            elif name == "Note" and parent_name == "Notes":
                self.note(element)
        if not seen_project:
            raise InputError(self.path, "is not a REFI-QDA project (no <Project> element)")
        if self.bad_guids:
            self.project.warnings.append(
                f"{self.bad_guids} GUID(s) do not follow the standard's pattern; kept as they are"
            )

    def finish_source(self, source: QdaSource, element: Any) -> None:
        """Read the source's text, convert its positions, and keep it or hand it over."""
        root = element.getroottree().getroot()
        self.project.name = root.get("name") or self.project.name
        self.project.origin = root.get("origin")
        _load_source_text(self.project, source, self.files)
        if self.on_source is None:
            self.project.sources.append(source)
        else:
            self.on_source(self.project, source)

    def finish_project(self, element: Any) -> None:
        if element.getroottree().docinfo.internalDTD is not None:
            raise InputError(self.path, "refused: the XML declares a DTD")
        self.project.name = element.get("name") or self.project.name
        self.project.origin = element.get("origin")
        for child in element:
            if _local(child.tag) == "NoteRef":
                self.project.project_note_guids.append(self.guid(child, "targetGUID"))

    def selection(self, element: Any) -> QdaSelection:
        """A selection and its codings; the hot path of a large import (tags compared as
        strings in the selection's own namespace, GUIDs of users and codes remembered)."""
        tags = self.selection_tags.get(element.tag)
        if tags is None:
            prefix = element.tag[: -len("PlainTextSelection")]
            tags = self.selection_tags[element.tag] = (
                prefix + "Coding", prefix + "CodeRef", prefix + "NoteRef", prefix + "Description"
            )  # fmt: skip
        coding_tag, code_ref_tag, note_ref_tag, description_tag = tags
        codings: list[QdaCoding] = []
        notes: list[str] = []
        description = None
        remembered = self.remembered_guid
        seen = self.seen_guids
        for child in element:
            tag = child.tag
            if tag == coding_tag:
                raw = child.get("creatingUser")
                coding = QdaCoding(
                    "", seen[raw] if raw in seen else remembered(child, "creatingUser")
                )
                coding_notes: list[str] = []
                for grandchild in child:
                    if grandchild.tag == code_ref_tag:
                        raw = grandchild.get("targetGUID")
                        code = seen[raw] if raw in seen else remembered(grandchild, "targetGUID")
                        coding.code_guid = code or ""
                    elif grandchild.tag == note_ref_tag:
                        coding_notes.append(self.guid(grandchild, "targetGUID"))
                if coding_notes:
                    coding.note_guids = tuple(coding_notes)
                if not coding.code_guid:
                    raise InputError(self.path, "<Coding> has no <CodeRef>", line=child.sourceline)
                codings.append(coding)
            elif tag == note_ref_tag:
                notes.append(self.guid(child, "targetGUID"))
            elif tag == description_tag:
                description = (child.text or "").strip() or None
        get = element.get
        try:
            start, end = int(get("startPosition")), int(get("endPosition"))
        except (TypeError, ValueError):
            start, end = (
                self.integer(element, "startPosition"),
                self.integer(element, "endPosition"),
            )
        created = get("creationDateTime")
        raw = get("creatingUser")
        user = seen[raw] if raw in seen else remembered(element, "creatingUser")
        selection = QdaSelection(
            start, end, user, created, description, codings, tuple(notes) if notes else (),
            element.sourceline,
        )  # fmt: skip
        element.clear(keep_tail=False)
        return selection

    def remembered_guid(self, element: Any, attribute: str) -> str | None:
        """A user or code GUID attribute, normalised once per distinct value (``None`` if the
        attribute is missing or empty)."""
        raw = element.get(attribute)
        if raw is None:
            return None
        if raw not in self.seen_guids:
            self.seen_guids[raw] = self.guid(element, attribute) if raw.strip() else None
        return self.seen_guids[raw]

    def source(self, kind: str, element: Any) -> QdaSource:
        source = QdaSource(
            guid=self.guid(element), name=(element.get("name") or "").strip(), kind=kind,
            text=None, missing=None, description=None, selections=self.selections,
            note_guids=[], variable_values={}, plain_text_path=element.get("plainTextPath"),
            rich_text_path=element.get("richTextPath"),
        )  # fmt: skip
        self.selections = []
        for child in element:
            child_kind = _local(child.tag)
            if child_kind == "Description":
                source.description = (child.text or "").strip() or None
            elif child_kind == "PlainTextContent" and kind == "TextSource":
                source.text = child.text or ""
            elif child_kind == "NoteRef":
                source.note_guids.append(self.guid(child, "targetGUID"))
            elif child_kind == "VariableValue":
                value = self.variable_value(child)
                if value is not None:
                    source.variable_values[value[0]] = value[1]
        return source

    def codes(self, codebook: Any) -> list[QdaCode]:
        def read(element: Any) -> QdaCode:
            code = QdaCode(
                guid=self.guid(element), name=(element.get("name") or "").strip(),
                is_codable=(element.get("isCodable", "true").strip().lower() in ("true", "1")),
                color=element.get("color"),
            )  # fmt: skip
            for child in element:
                kind = _local(child.tag)
                if kind == "Description":
                    code.description = (child.text or "").strip() or None
                elif kind == "NoteRef":
                    code.note_guids.append(self.guid(child, "targetGUID"))
                elif kind == "Code":
                    code.children.append(read(child))
            return code

        roots: list[QdaCode] = []
        for codes in codebook:
            if _local(codes.tag) == "Codes":
                roots.extend(read(code) for code in codes if _local(code.tag) == "Code")
        return roots

    def variable_value(self, element: Any) -> tuple[str, str | int | float | bool] | None:
        target = None
        value: str | int | float | bool | None = None
        for child in element:
            kind = _local(child.tag)
            raw = (child.text or "").strip()
            if kind == "VariableRef":
                target = self.guid(child, "targetGUID")
            elif kind == "TextValue":
                value = child.text or ""
            elif kind == "IntegerValue":
                value = _number(raw, int)
            elif kind == "FloatValue":
                value = _number(raw, float)
            elif kind == "BooleanValue":
                value = raw.lower() in ("true", "1")
            elif kind in ("DateValue", "DateTimeValue"):
                value = raw
        return None if target is None or value is None else (target, value)

    def case(self, element: Any) -> QdaCase:
        values: dict[str, str | int | float | bool] = {}
        sources: list[str] = []
        for child in element:
            kind = _local(child.tag)
            if kind == "VariableValue":
                value = self.variable_value(child)
                if value is not None:
                    values[value[0]] = value[1]
            elif kind == "SourceRef":
                sources.append(self.guid(child, "targetGUID"))
        return QdaCase(
            guid=self.guid(element), name=(element.get("name") or "").strip(),
            description=_child_text(element, "Description"), values=values, source_guids=sources,
        )  # fmt: skip

    def note(self, element: Any) -> None:
        guid = self.guid(element)
        self.project.notes[guid] = QdaNote(
            guid=guid, name=element.get("name"),
            text=_child_text(element, "PlainTextContent") or "",
            creating_user=_user(element.get("creatingUser")),
            created_at=element.get("creationDateTime"),
        )  # fmt: skip
        if element.get("plainTextPath"):
            self.note_paths[guid] = str(element.get("plainTextPath"))

    def integer(self, element: Any, attribute: str) -> int:
        raw = element.get(attribute)
        try:
            return int((raw or "").strip())
        except ValueError:
            raise InputError(
                self.path,
                f"<{_local(element.tag)}> {attribute}={raw!r} is not a whole number",
                line=element.sourceline,
            ) from None


def _user(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    return value.strip().strip("{}").lower()


def _drop_earlier_selections(element: Any, parent: Any) -> None:
    """Remove the selections before ``element`` (already read) from the tree."""
    previous = element.getprevious()
    while previous is not None and _local(previous.tag) == "PlainTextSelection":
        parent.remove(previous)
        previous = element.getprevious()


def _child_text(element: Any, name: str) -> str | None:
    for child in element:
        if _local(child.tag) == name:
            return (child.text or "").strip() or None
    return None


def _number(raw: str, kind: type[int] | type[float]) -> int | float | str:
    try:
        return kind(raw)
    except ValueError:
        return raw


# --------------------------------------------------------------------------------------------
# Source texts and positions


def _load_source_text(project: QdaProject, source: QdaSource, files: _Files) -> None:
    path = Path(project.path)
    if source.kind != "TextSource":
        source.missing = f"a {source.kind.removesuffix('Source').lower()} source, not text"
        return
    if source.text is not None:
        raw = source.text
    else:
        data, shown = (None, "")
        if source.plain_text_path:
            data, shown = files.read(source.plain_text_path)
        if data is not None:
            raw = _decode_source(path, shown, data)
        elif source.rich_text_path:
            rendered = _docx_rendering(project, source, files)
            if rendered is None:
                return
            raw = rendered
        elif source.plain_text_path:
            source.missing = f"its text file {shown} is not in the archive"
            return
        else:
            source.missing = "it has neither PlainTextContent nor a plainTextPath"
            return
    if raw.startswith("\ufeff"):
        raw = raw[1:]
    convert_positions(project, source, raw)


def _docx_rendering(project: QdaProject, source: QdaSource, files: _Files) -> str | None:
    """The text of a source the archive has only as rich text (``richTextPath``, no plain-text
    rendering), or ``None`` with :attr:`QdaSource.missing` saying why it cannot be used.

    The standard asks for a plain-text rendering beside a ``.docx`` because selections count
    positions in it. Without one, qualcode renders the ``.docx`` as its own ``.docx``
    importer does (:func:`qualcode.importing.docx.read_docx`: one line per paragraph), which
    is also how exporters render paragraphs, and a warning says the positions were counted in
    that rendering. Tables are where renderings differ (NVivo puts each cell on a line of its
    own, spaces kept; qualcode puts a row on one line, cells joined by tabs), so a source with
    a table and selections is refused, named, like a source the archive lacks: its quotes
    would be silently wrong. Without selections, any ``.docx`` is imported.
    """
    from qualcode.importing.docx import read_docx_with_layout

    reference = source.rich_text_path or ""
    data, shown = files.read(reference)
    if data is None:
        source.missing = f"neither a plain text nor its rich text {shown} is in the archive"
        return None
    if not shown.lower().endswith(".docx"):
        source.missing = (
            f"the archive has only its rich text {shown}, and qualcode reads rich text "
            "only as .docx"
        )
        return None
    try:
        result, has_table = read_docx_with_layout(Path(shown), data)
    except InputError as error:
        source.missing = f"its .docx {shown} cannot be read ({error.problem})"
        return None
    if not source.selections:
        return result.text
    if has_table:
        source.missing = (
            f"only its .docx {shown} is in the archive and it holds a table: tools count "
            "positions in tables differently, so its selections cannot be placed; "
            "export with plain-text sources"
        )
        return None
    project.warnings.append(
        f"source '{source.name}': the archive has no plain text of it; positions counted in "
        f"qualcode's rendering of {shown} (one line per paragraph)"
    )
    return result.text


def _decode_source(path: Path, shown: str, data: bytes) -> str:
    from qualcode.text.decoding import decode_bytes

    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as error:
            raise InputError(path, f"source {shown} is not valid UTF-16") from error
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Not the standard's UTF-8: decode as qualcode decodes transcripts (already
        # normalised; positions are then counted in that text).
        text, _encoding = decode_bytes(data, f"{path}:{shown}")
        return text


_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def _astral_positions(text: str) -> list[int]:
    """Code-point offsets of the characters outside the Basic Multilingual Plane."""
    return [match.start() for match in _ASTRAL.finditer(text)]


def choose_position_unit(
    origin: str | None, raw_text: str, selections: list[QdaSelection]
) -> PositionUnit:
    """Which unit a source's positions count in (see the module docstring)."""
    astral = _astral_positions(raw_text)
    if not astral:
        return "codepoint"
    preferred: PositionUnit = "utf16" if origin and "nvivo" in origin.lower() else "codepoint"
    other: PositionUnit = "codepoint" if preferred == "utf16" else "utf16"
    fits = {unit: _count_fitting(unit, raw_text, astral, selections) for unit in (preferred, other)}
    if fits[preferred] == len(selections):
        return preferred
    if fits[other] == len(selections):
        return other
    return preferred if fits[preferred] >= fits[other] else other


def _count_fitting(
    unit: PositionUnit, raw_text: str, astral: list[int], selections: list[QdaSelection]
) -> int:
    mapper = _PositionMapper(unit, raw_text, astral)
    return sum(
        1
        for selection in selections
        if mapper.to_raw(selection.start_position) is not None
        and mapper.to_raw(selection.end_position) is not None
        and selection.start_position < selection.end_position
    )


class _PositionMapper:
    """File positions (code points or UTF-16 units of the raw text) to raw code points."""

    def __init__(self, unit: PositionUnit, raw_text: str, astral: list[int]) -> None:
        self.unit = unit
        self.length = len(raw_text)
        # UTF-16 offsets at which each astral character starts.
        self.astral_utf16 = [index + number for number, index in enumerate(astral)]
        self.utf16_length = self.length + len(astral)

    def to_raw(self, position: int) -> int | None:
        if self.unit == "codepoint":
            return position if 0 <= position <= self.length else None
        if not 0 <= position <= self.utf16_length:
            return None
        before = bisect.bisect_left(self.astral_utf16, position)
        if before and self.astral_utf16[before - 1] == position - 1:
            return None  # between the two halves of a surrogate pair
        return position - before


def convert_positions(project: QdaProject, source: QdaSource, raw: str) -> None:
    """Normalise ``raw`` into ``source.text`` and convert every selection's positions."""
    astral = _astral_positions(raw)
    unit = choose_position_unit(project.origin, raw, source.selections) if astral else "codepoint"
    source.position_unit = unit
    mapper = _PositionMapper(unit, raw, astral)
    text, to_normalised = normalise_with_map(Path(project.path), raw)
    source.text = text
    if unit == "codepoint" and len(text) == len(raw) and "\r" not in raw:
        # Positions are already code points of the stored text (nearly every source): only
        # check that each selection fits.
        length = len(raw)
        for selection in source.selections:
            start, end = selection.start_position, selection.end_position
            if 0 <= start < end <= length:
                selection.start_char = start
                selection.end_char = end
            else:
                _does_not_fit(source, selection, unit, raw, astral)
        return
    for selection in source.selections:
        raw_start = mapper.to_raw(selection.start_position)
        raw_end = mapper.to_raw(selection.end_position)
        if (
            raw_start is None
            or raw_end is None
            or selection.start_position >= selection.end_position
        ):
            _does_not_fit(source, selection, unit, raw, astral)
            continue
        selection.start_char = to_normalised(raw_start)
        selection.end_char = to_normalised(raw_end)
        if selection.start_char >= selection.end_char:
            where = f"line {selection.line}: " if selection.line else ""
            source.problems.append(
                f"{where}selection {selection.start_position}-{selection.end_position} of "
                f"source '{source.name}' covers only a line break"
            )


def _does_not_fit(
    source: QdaSource, selection: QdaSelection, unit: PositionUnit, raw: str, astral: list[int]
) -> None:
    where = f"line {selection.line}: " if selection.line else ""
    source.problems.append(
        f"{where}selection {selection.start_position}-{selection.end_position} does not "
        f"fit source '{source.name}' ({_length_in(unit, raw, astral)} {_unit_name(unit)})"
    )


def _length_in(unit: PositionUnit, raw: str, astral: list[int]) -> int:
    return len(raw) + (len(astral) if unit == "utf16" else 0)


def _unit_name(unit: PositionUnit) -> str:
    return "UTF-16 units" if unit == "utf16" else "characters"


def normalise_with_map(path: Path, raw: str) -> tuple[str, Callable[[int], int]]:
    """``normalise_text(raw)`` (BOM already removed) and a function from raw code-point
    offsets to offsets in it.

    Line ends: CRLF becomes one ``\\n`` (both its characters map to that ``\\n``); other
    breaks map one to one. NFC: text whose length NFC keeps (nearly all) maps one to one;
    otherwise each base character with its combining marks is composed on its own, and an
    offset inside such a cluster maps to the cluster's start.
    """
    crlf = [match.start() for match in re.finditer("\r\n", raw)]
    text = normalise_text(raw)

    def without_crlf(position: int) -> int:
        return position - bisect.bisect_left(crlf, position)

    if len(text) == len(raw) - len(crlf):
        return text, without_crlf
    cluster_map = _nfc_cluster_map(raw.replace("\r\n", "\n"), len(text))
    if cluster_map is None:
        raise InputError(
            path, "a source's text changes shape under Unicode NFC; cannot map positions"
        )

    def mapped(position: int) -> int:
        return cluster_map[without_crlf(position)]

    return text, mapped


def _nfc_cluster_map(text: str, expected_length: int) -> list[int] | None:
    """For each offset of ``text`` (CRLF already ``\\n``), its offset after NFC; ``None`` if
    composing cluster by cluster does not give the text's NFC length."""
    positions: list[int] = []
    output = 0
    index = 0
    while index < len(text):
        end = index + 1
        while end < len(text) and unicodedata.combining(text[end]):
            end += 1
        positions.extend([output] * (end - index))
        output += len(unicodedata.normalize("NFC", text[index:end]))
        index = end
    positions.append(output)
    return positions if output == expected_length else None
