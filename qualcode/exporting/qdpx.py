"""Writing REFI-QDA 1.0 projects (``.qdpx``) and the code tree shared with ``.qdc`` codebooks.

What goes where (``urn:QDA-XML:project:1.0``, valid against ``Project.xsd``):

- ``Users``: one per coder, plus the auto-coder (coder ``auto``) when automatic codings exist.
- ``CodeBook``: the current codes, sub-codes nested. A code is codable unless it has sub-codes
  and no codings of its own. ``Description`` holds the Chinese and English descriptions, then a
  last line ``qualcode: {...}`` (JSON: the dotted code id, both names, both descriptions and,
  in a project, the keyword rules) so that a round trip through another tool keeps ids and both
  languages; other tools show it as text.
- ``Variables`` and ``Cases``: every case attribute is a variable (Integer, Float or Text by
  its values); every case lists its attribute values and its documents.
- ``Sources``: one ``TextSource`` per document, its normalised text as UTF-8 in
  ``sources/<guid>.txt``. Each coding is a ``PlainTextSelection`` with one ``Coding``;
  positions are zero-based, end-exclusive **code points** of that text (an emoji counts one),
  as the standard says. The selection's and the coding's ``creatingUser`` are the coder. An
  automatic coding's selection says in its ``Description``:
  ``qualcode auto-coding: run 3, keyword 网格员``.
- ``Notes``: every memo. A memo on a code hangs on the ``Code``, on a document on its
  ``TextSource``, on a segment on a ``PlainTextSelection`` over the segment (without a
  ``Coding``), and a coding's own memo on its ``Coding``.

GUIDs are UUID 5 of stable ids (the code id, the document's content hash, the coding id, the
coder's name ...) in a namespace named after the project, so exporting the same project
twice gives the same GUIDs, and the same file byte for byte (ZIP times are fixed).
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from qualcode.codebook.model import Code, Codebook
from qualcode.codebook.qdc import TRAILER_PREFIX, Guids, leaf, text_leaf, write_code_tree

NAMESPACE = "urn:QDA-XML:project:1.0"
CODEBOOK_NAMESPACE = "urn:QDA-XML:codebook:1.0"
#: How an automatic coding's selection is described (and recognised on import).
AUTO_DESCRIPTION = "qualcode auto-coding: run {run_id}, {rule_kind} {rule}"
AUTO_CODER = "auto"
#: ZIP member times are fixed so that two exports of one project are identical.
_ZIP_TIME = (2019, 3, 18, 0, 0, 0)


@dataclass
class ProjectExport:
    """Everything a ``.qdpx`` export writes, read from the project by the caller.

    ``codings`` yields tuples in the column order of
    :data:`qualcode.store.exchange.CODING_COLUMNS`, sorted by document.
    """

    name: str
    origin: str
    codebook: Codebook | None
    coders: list[str]
    cases: list[dict[str, Any]]
    documents: list[dict[str, Any]]
    codings: Callable[[], Iterator[tuple[Any, ...]]]
    memos: list[dict[str, Any]]
    coded_code_ids: set[str] = field(default_factory=set)


@dataclass
class ExportSummary:
    path: str
    documents: int = 0
    codes: int = 0
    codings: int = 0
    memos: int = 0
    users: int = 0


def _variable_type(values: Iterable[object]) -> str:
    present = [value for value in values if value is not None]
    if present and all(isinstance(value, int) for value in present):
        return "Integer"
    if present and all(isinstance(value, int | float) for value in present):
        return "Float"
    return "Text"


def write_qdpx(export: ProjectExport, out: Path) -> ExportSummary:
    """Write ``export`` to ``out`` as a REFI-QDA project archive (written to a temporary
    file beside it and renamed into place, so a failed export leaves no half file)."""
    temporary = out.with_name(out.name + ".part")
    try:
        summary = _write_archive(export, temporary)
        temporary.replace(out)
    finally:
        temporary.unlink(missing_ok=True)
    summary.path = str(out)
    return summary


def _zip_info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info


def _write_archive(export: ProjectExport, path: Path) -> ExportSummary:
    guids = Guids(export.name)
    summary = ExportSummary(str(path))
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        with archive.open(_zip_info("project.qde"), "w", force_zip64=True) as stream:
            _write_project_xml(export, guids, stream, summary)
        for document in export.documents:
            name = f"sources/{guids('source', document['content_hash'])}.txt"
            archive.writestr(_zip_info(name), document["text"].encode("utf-8"))
    return summary


#: Where the sources and notes go in the head written by lxml (see _write_project_xml).
_SPLIT = "qualcode-sources-here"


def _write_project_xml(
    export: ProjectExport, guids: Guids, stream: Any, summary: ExportSummary
) -> None:
    """``project.qde``: the small head (users, codebook, variables, cases) through lxml, the
    sources and notes (a line of XML per coding, a million of them) as text, escaped here."""
    import io

    from lxml import etree

    def element(name: str) -> str:
        return f"{{{NAMESPACE}}}{name}"

    memo_notes = _memo_notes(export, guids)
    coders = list(export.coders)
    head = io.BytesIO()
    with etree.xmlfile(head, encoding="utf-8") as writer:
        writer.write_declaration()
        project_attributes = {"name": export.name, "origin": export.origin}
        with writer.element(element("Project"), project_attributes, nsmap={None: NAMESPACE}):
            if coders:
                with writer.element(element("Users")):
                    for coder in coders:
                        user = {"guid": guids("user", coder), "name": coder, "id": coder}
                        leaf(writer, element("User"), user)
                summary.users = len(coders)
            if export.codebook is not None and len(export.codebook):
                codebook = export.codebook
                with writer.element(element("CodeBook")):
                    write_code_tree(
                        writer, codebook, guids, NAMESPACE, with_rules=True,
                        codable=lambda code: _is_codable(code, codebook, export.coded_code_ids),
                        note_guids=memo_notes.by_code,
                    )  # fmt: skip
                summary.codes = len(codebook)
            _write_cases(writer, export, guids, element)
            writer.write(etree.Comment(_SPLIT))
    before, after = head.getvalue().split(f"<!--{_SPLIT}-->".encode())
    stream.write(before)
    if export.documents:
        stream.write(b"<Sources>")
        codings = export.codings()
        pending = next(codings, None)
        for document in export.documents:
            pending = _write_source(stream, document, guids, codings, pending, memo_notes, summary)
        stream.write(b"</Sources>")
    summary.documents = len(export.documents)
    if memo_notes.notes:
        parts = ["<Notes>"]
        for note in memo_notes.notes:
            parts.append(f"<Note{_attributes(note['attributes'])}><PlainTextContent>")
            parts.append(f"{_text(note['text'])}</PlainTextContent></Note>")
        parts.append("</Notes>")
        stream.write("".join(parts).encode("utf-8"))
        summary.memos = len(memo_notes.notes)
    stream.write(after)


def _text(value: str) -> str:
    return escape(value)


def _attributes(attributes: dict[str, str]) -> str:
    return "".join(f" {name}={quoteattr(value)}" for name, value in attributes.items())


def _is_codable(code: Code, codebook: Codebook, coded: set[str]) -> bool:
    has_children = any(other.parent_id == code.code_id for other in codebook)
    return not has_children or code.code_id in coded


def _write_cases(writer: Any, export: ProjectExport, guids: Guids, element: Any) -> None:
    names: dict[str, list[object]] = {}
    for case in export.cases:
        for name, value in case["attributes"].items():
            names.setdefault(name, []).append(value)
    types = {name: _variable_type(values) for name, values in names.items()}
    if types:
        with writer.element(element("Variables")):
            for name, kind in types.items():
                variable = {"guid": guids("variable", name), "name": name, "typeOfVariable": kind}
                leaf(writer, element("Variable"), variable)
    if not export.cases:
        return
    with writer.element(element("Cases")):
        for case in export.cases:
            with writer.element(
                element("Case"), {"guid": guids("case", case["name"]), "name": case["name"]}
            ):
                for name, value in case["attributes"].items():
                    if value is None:
                        continue
                    kind = types[name]
                    value_element = {"Integer": "IntegerValue", "Float": "FloatValue"}.get(
                        kind, "TextValue"
                    )
                    with writer.element(element("VariableValue")):
                        leaf(
                            writer, element("VariableRef"), {"targetGUID": guids("variable", name)}
                        )
                        text_leaf(writer, element(value_element), str(value))
                for digest in case["documents"]:
                    leaf(writer, element("SourceRef"), {"targetGUID": guids("source", digest)})


@dataclass
class _MemoNotes:
    notes: list[dict[str, Any]] = field(default_factory=list)
    by_code: dict[str, list[str]] = field(default_factory=dict)
    by_document: dict[str, list[str]] = field(default_factory=dict)
    #: document_id -> (start_char, end_char, coder, note guid, memo_id) of segment memos
    by_segment: dict[int, list[tuple[int, int, str, str, int]]] = field(default_factory=dict)


def _memo_notes(export: ProjectExport, guids: Guids) -> _MemoNotes:
    result = _MemoNotes()
    document_names = {document["name"] for document in export.documents}
    for memo in export.memos:
        guid = guids("memo", memo["memo_id"])
        kind, target = memo["target_kind"], memo["target"]
        if kind == "code":
            result.by_code.setdefault(target, []).append(guid)
        elif kind == "document" and target in document_names:
            result.by_document.setdefault(target, []).append(guid)
        elif kind == "segment" and memo["segment_document_id"] is not None:
            result.by_segment.setdefault(int(memo["segment_document_id"]), []).append(
                (int(memo["start_char"]), int(memo["end_char"]), memo["coder"], guid,
                 int(memo["memo_id"]))
            )  # fmt: skip
        else:
            continue
        result.notes.append(_note(guid, memo["coder"], memo["text"], memo["created_at"], guids))
    return result


def _note(guid: str, coder: str, text: str, created_at: str | None, guids: Guids) -> dict[str, Any]:
    attributes = {"guid": guid, "name": text.splitlines()[0][:60] if text else "memo"}
    attributes["creatingUser"] = guids("user", coder)
    if created_at:
        attributes["creationDateTime"] = created_at
    return {"attributes": attributes, "text": text}


def _write_source(
    stream: Any,
    document: dict[str, Any],
    guids: Guids,
    codings: Iterator[tuple[Any, ...]],
    pending: tuple[Any, ...] | None,
    memo_notes: _MemoNotes,
    summary: ExportSummary,
) -> tuple[Any, ...] | None:
    """One ``TextSource`` with its selections; returns the first coding of the next document."""
    source_guid = guids("source", document["content_hash"])
    attributes = {
        "guid": source_guid,
        "name": document["name"],
        "plainTextPath": f"internal://{source_guid}.txt",
    }
    document_id = document["document_id"]
    trailer = {"case": document["case_name"], "language": document["language"],
               "unit": document["unit"]}  # fmt: skip
    description = TRAILER_PREFIX + json.dumps(trailer, ensure_ascii=False)
    parts = [
        f"<TextSource{_attributes(attributes)}><Description>{_text(description)}</Description>"
    ]
    for start, end, coder, note_guid, memo_id in memo_notes.by_segment.get(document_id, []):
        selection = {
            "guid": guids("memo-selection", memo_id), "name": "segment memo",
            "startPosition": str(start), "endPosition": str(end),
            "creatingUser": guids.remembered_guid("user", coder),
        }  # fmt: skip
        parts.append(
            f'<PlainTextSelection{_attributes(selection)}><NoteRef targetGUID="{note_guid}"/>'
            "</PlainTextSelection>"
        )
    while pending is not None and pending[1] == document_id:
        parts.append(_selection_xml(pending, guids, memo_notes))
        summary.codings += 1
        if len(parts) >= 10_000:
            stream.write("".join(parts).encode("utf-8"))
            parts.clear()
        pending = next(codings, None)
    for note_guid in memo_notes.by_document.get(document["name"], []):
        parts.append(f'<NoteRef targetGUID="{note_guid}"/>')
    parts.append("</TextSource>")
    stream.write("".join(parts).encode("utf-8"))
    return pending


def _selection_xml(row: tuple[Any, ...], guids: Guids, memo_notes: _MemoNotes) -> str:
    """One coding as a ``PlainTextSelection`` with its ``Coding``, as XML text."""
    (coding_id, _document_id, code_id, coder, origin, run_id, rule_kind, rule, start, end,
     memo, created_at) = row  # fmt: skip
    user = guids.remembered_guid("user", coder)
    code = guids.remembered_guid("code", code_id)
    created = f" creationDateTime={quoteattr(created_at)}" if created_at else ""
    description = ""
    if origin == "auto":
        text = AUTO_DESCRIPTION.format(
            run_id=run_id, rule_kind=rule_kind or "rule", rule=rule or ""
        )
        description = f"<Description>{_text(text)}</Description>"
    note = ""
    if memo:
        note_guid = guids("coding-memo", coding_id)
        note = f'<NoteRef targetGUID="{note_guid}"/>'
        memo_notes.notes.append(_note(note_guid, coder, memo, created_at, guids))
    return (
        f'<PlainTextSelection guid="{guids("selection", coding_id)}" startPosition="{start}" '
        f'endPosition="{end}" creatingUser="{user}"{created}>{description}'
        f'<Coding guid="{guids("coding", coding_id)}" creatingUser="{user}"{created}>'
        f'<CodeRef targetGUID="{code}"/>{note}</Coding></PlainTextSelection>'
    )
