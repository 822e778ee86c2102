"""A QualCoder project brought into a qualcode project: ``qualcode import qualcoder PATH``.

:func:`import_qualcoder` reads the QualCoder project (read-only, every coding checked; see
:mod:`qualcode.importing.qualcoder`), segments its text sources, and only then writes
everything in one journaled transaction: documents with their segments, cases and their
attributes, the code tree as a codebook version, the codings and the memos. A problem
anywhere in the file changes nothing in the project.

How QualCoder's things become qualcode's, so that a researcher can predict the result:

- **Sources.** Each text source becomes a document named as in QualCoder, segmented like any
  import (``--unit``, ``--lang``). A source whose text the project already has (same content)
  is not imported again; its codings land on the document that is there. Pictures, audio and
  video are listed in the report and left out.
- **Codes.** Categories and codes become one code tree: a category is a code (with no
  codings of its own), its sub-categories and codes sit under it, and a code with a parent
  code (QualCoder's sub-codes) sits under that code. Ids are slugs of the names
  (:func:`~qualcode.codebook.dictionaries.codebook_from_categories`); names and colours are
  kept. The tree is added to the project's codebook as a new version: codes already there
  keep their rules and codings, and a code with the same id as one already there is taken for
  it.
- **Codings** become manual codings by their QualCoder owner (the project's coder when a row
  has none), with their memo, each with its exact quote. qualcode codes inside a segment, so
  where a coding crosses the segments qualcode would cut (a quote over two turns), those
  segments are merged, as the REFI-QDA import does
  (:func:`~qualcode.flows.qdpx.fit_segments`). A source already in the project keeps its
  segments: a coding that crosses them is stored as one coding per segment, each on the part
  inside it (the report counts them; a line break or speaker label between them is not
  covered). Importing the same project again adds nothing.
- **Cases.** A document's case is the first QualCoder case that holds its source; a source in
  no case gets a case of its own, named after the source without its extension, as
  ``qualcode import`` does. Case attributes become case attributes (numbers when QualCoder's
  attribute is numeric). File attributes are set on the source's own case when the source is
  in no QualCoder case (the case is then the document's alone), and listed in the report
  otherwise: qualcode keeps attributes on cases only.
- **Memos.** The memo of a source becomes a memo on its document, of a code or category a
  memo on that code, of a case a memo on each of the case's documents (``case NAME: ...``),
  and an annotation a memo on the segment where it starts. The project memo and journals have
  no place in qualcode and are counted in the report.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qualcode.codebook.dictionaries import Category, codebook_from_categories
from qualcode.codebook.model import Code, Codebook
from qualcode.flows.importing import ImportOptions, prepare_text
from qualcode.flows.qdpx import fit_segments
from qualcode.importing.qualcoder import (
    QualCoderCoding,
    QualCoderProject,
    QualCoderSource,
    read_qualcoder_project,
)
from qualcode.models import ReadResult
from qualcode.store.cases import AttributeValue, typed_value
from qualcode.store.codebooks import current_codebook, has_codebook, store_codebook
from qualcode.store.documents import PreparedDocument, store_document_in_transaction
from qualcode.store.exchange import (
    StoredSegment,
    document_segments,
    insert_manual_codings,
    insert_memos,
)
from qualcode.store.journal import journaled
from qualcode.store.project import Project, now_utc

#: The coder of rows that name none, when the project names no default coder either.
FALLBACK_CODER = "qualcoder"


@dataclass
class QualCoderImport:
    """What importing a QualCoder project did; every list names what it counts."""

    path: str
    documents_added: list[str] = field(default_factory=list)
    documents_present: list[str] = field(default_factory=list)
    media_skipped: list[str] = field(default_factory=list)
    codebook_version: int | None = None
    codes_added: int = 0
    codings_added: int = 0
    codings_present: int = 0
    codings_split: int = 0
    cases: list[str] = field(default_factory=list)
    attributes_set: int = 0
    file_attributes_skipped: int = 0
    memos_added: int = 0
    not_imported: list[str] = field(default_factory=list)


def import_qualcoder(
    project: Project, path: Path, options: ImportOptions | None = None
) -> QualCoderImport:
    """Import the QualCoder project at ``path`` (folder or ``data.qda``) in one transaction."""
    options = options or ImportOptions()
    read = read_qualcoder_project(path)
    categories, code_of, category_of = _code_tree(read)
    imported_codebook = codebook_from_categories(categories, path, name=Path(path).stem)
    spans: dict[int, list[tuple[int, int]]] = {}
    for coding in read.codings:
        spans.setdefault(coding.source_id, []).append((coding.start_char, coding.end_char))
    for annotation in read.annotations:
        spans.setdefault(annotation.source_id, []).append(
            (annotation.start_char, annotation.end_char)
        )
    prepared = [
        _prepared_source(source, spans.get(source.source_id, []), path, options)
        for source in read.sources
    ]
    report = QualCoderImport(str(path), media_skipped=list(read.media_sources))
    default_coder = read.default_coder or FALLBACK_CODER
    summary = f"import QualCoder project {path}"
    with journaled(project, "qualcoder-import", summary) as conn:
        codebook = imported_codebook
        if read.codes and has_codebook(project):
            codebook = _merged(current_codebook(project), imported_codebook)
        if read.codes or read.categories:
            stored_codebook = store_codebook(conn, codebook, str(path))
            report.codebook_version = stored_codebook.version_id
            report.codes_added = len(stored_codebook.added)
        case_of, own_case = _cases_of_sources(read)
        document_ids: dict[int, int] = {}
        for source, document in zip(read.sources, prepared, strict=True):
            attributes = _case_attributes(read, source.source_id, own_case, report)
            stored = store_document_in_transaction(
                conn, document, case_name=case_of[source.source_id], case_attributes=attributes
            )
            document_ids[source.source_id] = stored.document_id
            if stored.status == "skipped":
                report.documents_present.append(source.name)
            else:
                report.documents_added.append(source.name)
        report.cases = list(dict.fromkeys(case_of.values()))
        segments = {
            source_id: document_segments(conn, document_id)
            for source_id, document_id in document_ids.items()
        }
        rows = list(_coding_rows(read, code_of, segments, default_coder, report))
        report.codings_added = insert_manual_codings(conn, rows)
        report.codings_present = len(rows) - report.codings_added
        report.memos_added = insert_memos(
            conn,
            _memo_rows(read, code_of, category_of, segments, document_ids, default_coder, prepared),
        )
    report.not_imported = _not_imported(read, report)
    return report


def _prepared_source(
    source: QualCoderSource, spans: list[tuple[int, int]], path: Path, options: ImportOptions
) -> PreparedDocument:
    """A source segmented, its segments fitted so that each of ``spans`` (its codings and
    annotations) lies inside one segment."""
    document = prepare_text(
        source.name,
        f"{path}: source '{source.name}'",
        ReadResult(source.text, "utf-8", "qualcoder"),
        options,
    )
    document.segments = fit_segments(document.segments, spans)
    return document


# --------------------------------------------------------------------------------------------
# Codes


def _code_tree(
    read: QualCoderProject,
) -> tuple[list[Category], dict[int, Category], dict[int, Category]]:
    """Categories and codes as one tree (see the module docstring): its roots, and the nodes
    of codes and of categories by their QualCoder ids."""
    category_nodes = {
        category.category_id: Category(category.name, None) for category in read.categories
    }
    code_nodes = {code.code_id: Category(code.name, None, color=code.color) for code in read.codes}
    category_parent = {
        category.category_id: category.parent_id
        for category in read.categories
        if category.parent_id in category_nodes
    }
    roots: list[Category] = []
    for category in read.categories:
        parent = _acyclic_parent(category.category_id, category_parent)
        node = category_nodes[category.category_id]
        (category_nodes[parent].children if parent is not None else roots).append(node)
    code_parent = {
        code.code_id: code.parent_code_id
        for code in read.codes
        if code.parent_code_id in code_nodes
    }
    for code in read.codes:
        node = code_nodes[code.code_id]
        parent_code = _acyclic_parent(code.code_id, code_parent)
        if parent_code is not None:
            code_nodes[parent_code].children.append(node)
        elif code.category_id in category_nodes:
            category_nodes[code.category_id].children.append(node)
        else:
            roots.append(node)
    return roots, code_nodes, category_nodes


def _acyclic_parent(node: int, parents: Mapping[int, int | None]) -> int | None:
    """The parent of ``node``, or ``None`` when following parents leads back to it."""
    parent = parents.get(node)
    seen = {node}
    current = parent
    while current is not None:
        if current in seen:
            return None
        seen.add(current)
        current = parents.get(current)
    return parent


def _merged(existing: Codebook, imported: Codebook) -> Codebook:
    """The project's codebook with the imported codes it lacks added, in tree order."""
    by_id: dict[str, Code] = {code.code_id: code for code in existing}
    for code in imported:
        by_id.setdefault(code.code_id, code)
    children: dict[str | None, list[Code]] = {}
    for code in by_id.values():
        children.setdefault(code.parent_id, []).append(code)
    ordered: list[Code] = []
    pending = list(reversed(children.get(None, [])))
    while pending:
        code = pending.pop()
        ordered.append(dataclasses.replace(code, order=len(ordered)))
        pending.extend(reversed(children.get(code.code_id, [])))
    return Codebook(
        name=existing.name,
        version_label=existing.version_label,
        language=existing.language,
        description_zh=existing.description_zh,
        description_en=existing.description_en,
        codes=tuple(ordered),
    )


# --------------------------------------------------------------------------------------------
# Cases


def _cases_of_sources(read: QualCoderProject) -> tuple[dict[int, str], set[int]]:
    """The case name of each text source, and the sources that got a case of their own."""
    case_of: dict[int, str] = {}
    for case in read.cases:
        for source_id in case.source_ids:
            case_of.setdefault(source_id, case.name)
    own_case = set()
    for source in read.sources:
        if source.source_id not in case_of:
            case_of[source.source_id] = Path(source.name).stem or source.name
            own_case.add(source.source_id)
    return case_of, own_case


def _case_attributes(
    read: QualCoderProject, source_id: int, own_case: set[int], report: QualCoderImport
) -> dict[str, AttributeValue]:
    """The attributes to set on the case of ``source_id``'s document."""
    attributes: dict[str, AttributeValue] = {}
    first_case = next((case for case in read.cases if source_id in case.source_ids), None)
    for attribute in read.attributes:
        value: AttributeValue = (
            typed_value(attribute.value) if attribute.numeric else attribute.value
        )
        if attribute.kind == "case" and first_case is not None:
            if attribute.target_id == first_case.case_id:
                attributes[attribute.name] = value
        elif attribute.kind == "file" and attribute.target_id == source_id:
            if source_id in own_case:
                attributes[attribute.name] = value
            else:
                report.file_attributes_skipped += 1
    report.attributes_set += len(attributes)
    return attributes


# --------------------------------------------------------------------------------------------
# Codings and memos


def _pieces(segments: list[StoredSegment], start: int, end: int) -> Iterator[tuple[int, int, int]]:
    """``(segment_id, start, end)`` of the parts of ``[start, end)`` inside each segment."""
    for segment in segments:
        if segment.end_char <= start:
            continue
        if segment.start_char >= end:
            break
        piece_start, piece_end = max(start, segment.start_char), min(end, segment.end_char)
        if piece_start < piece_end:
            yield segment.segment_id, piece_start, piece_end


def _coding_rows(
    read: QualCoderProject,
    code_of: dict[int, Category],
    segments: dict[int, list[StoredSegment]],
    default_coder: str,
    report: QualCoderImport,
) -> Iterator[tuple[Any, ...]]:
    """Rows for :func:`~qualcode.store.exchange.insert_manual_codings`, split by segment."""
    created_at = now_utc()
    for coding in read.codings:
        code = code_of.get(coding.code_id)
        if code is None or code.code_id is None:
            continue
        pieces = list(_pieces(segments[coding.source_id], coding.start_char, coding.end_char))
        if len(pieces) > 1:
            report.codings_split += 1
        for segment_id, start, end in pieces:
            yield (segment_id, code.code_id, _coder(coding, default_coder), start, end,
                   coding.memo, created_at)  # fmt: skip


def _coder(coding: QualCoderCoding, default_coder: str) -> str:
    return coding.owner or default_coder


def _memo_rows(
    read: QualCoderProject,
    code_of: dict[int, Category],
    category_of: dict[int, Category],
    segments: dict[int, list[StoredSegment]],
    document_ids: dict[int, int],
    default_coder: str,
    prepared: list[PreparedDocument],
) -> Iterator[tuple[str, str, str, str, str]]:
    """Memos ``(target_kind, target, coder, text, created_at)`` (see the module docstring)."""
    created_at = now_utc()
    name_of = {
        source.source_id: document.name
        for source, document in zip(read.sources, prepared, strict=True)
    }
    for source in read.sources:
        if source.memo:
            yield ("document", name_of[source.source_id], source.owner or default_coder,
                   source.memo, created_at)  # fmt: skip
    for category in read.categories:
        code_id = category_of[category.category_id].code_id
        if category.memo and code_id:
            yield "code", code_id, default_coder, category.memo, created_at
    for code in read.codes:
        code_id = code_of[code.code_id].code_id
        if code.memo and code_id:
            yield "code", code_id, default_coder, code.memo, created_at
    for case in read.cases:
        if case.memo:
            for source_id in case.source_ids:
                yield ("document", name_of[source_id], default_coder,
                       f"case {case.name}: {case.memo}", created_at)  # fmt: skip
    for annotation in read.annotations:
        if annotation.source_id not in document_ids:
            continue
        first = next(
            _pieces(segments[annotation.source_id], annotation.start_char, annotation.end_char),
            None,
        )
        if first is not None:
            yield ("segment", str(first[0]), annotation.owner or default_coder, annotation.memo,
                   created_at)  # fmt: skip


def _not_imported(read: QualCoderProject, report: QualCoderImport) -> list[str]:
    """One line per kind of thing qualcode has no place for."""
    lines = []
    if read.media_sources:
        lines.append(
            f"{len(read.media_sources)} picture, audio or video sources: "
            + ", ".join(read.media_sources)
        )
    if read.image_codings or read.av_codings:
        lines.append(f"{read.image_codings} image and {read.av_codings} audio/video codings")
    if report.file_attributes_skipped:
        lines.append(
            f"{report.file_attributes_skipped} file attribute values of sources that are in a "
            "case (qualcode keeps attributes on cases)"
        )
    if read.journals:
        lines.append(f"{read.journals} journals")
    return lines
