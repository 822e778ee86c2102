"""Documents and segments in the project: writing one document atomically, reading them back.

A document is written together with all its segments in one transaction (DESIGN.md section 3),
journaled as one ``import`` entry so that ``qualcode undo`` can take it back (and put back a
document it replaced, with the same segment ids);
it is identified by the SHA-256 of its normalised text as well as by its name, so importing
the same content again changes nothing.
"""

from __future__ import annotations

import functools
import itertools
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, overload

from qualcode.errors import ConflictError
from qualcode.models import Role, Segment
from qualcode.store.project import Project, now_utc
from qualcode.store.rows import DocumentListing, DocumentRecord, SegmentRow, typed_row

if TYPE_CHECKING:
    from qualcode.store.cases import AttributeValue

# Writing a document needs the journal, the search index and the cases; reading needs none of
# them, so they are imported by the functions that write: ``qualcode segments`` and the other
# listings start without loading them (and the text folding the search index imports).

StoreStatus = Literal["added", "replaced", "skipped"]

#: Fields of ``segments_view``, the public shape of a segment row (DESIGN.md section 3).
SEGMENT_FIELDS = (
    "segment_id", "document", "case_name", "ordinal", "speaker", "role",
    "start_char", "end_char", "start_time", "end_time", "text",
)  # fmt: skip


def content_hash(text: str) -> str:
    """SHA-256 of the normalised text: the identity of a document's content."""
    import hashlib

    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class PreparedDocument:
    """A read, normalised and segmented transcript, ready to be stored.

    Documents are prepared in worker processes and pickled to the importing process, where
    storing them is the bottleneck of a large import. :meth:`__reduce__` therefore sends the
    segments as columns of plain values with the content hash already computed, and the
    importing process writes those columns without building a :class:`Segment` per row.
    """

    name: str
    source_path: str
    text: str
    encoding: str
    source_format: str
    language: str
    unit: str
    segments: Sequence[Segment]

    @functools.cached_property
    def content_hash(self) -> str:
        return content_hash(self.text)

    @functools.cached_property
    def segment_columns(self) -> SegmentColumns:
        """The segments as columns: what is pickled and what the store writes."""
        if isinstance(self.segments, SegmentColumns):
            return self.segments
        return SegmentColumns.from_segments(self.segments)

    def __reduce__(self) -> tuple[Any, ...]:
        fields = (
            self.name, self.source_path, self.text, self.encoding, self.source_format,
            self.language, self.unit, self.segment_columns,
        )  # fmt: skip
        return (_unpickle_prepared, (fields, self.content_hash))


def _unpickle_prepared(fields: tuple[Any, ...], digest: str) -> PreparedDocument:
    document = PreparedDocument(*fields)
    document.__dict__["content_hash"] = digest  # computed in the worker: no second SHA-256
    return document


@dataclass(frozen=True)
class SegmentColumns(Sequence[Segment]):
    """The segments of one document stored column by column.

    A sequence of :class:`Segment` to its readers; to the store, a set of lists that
    ``executemany`` consumes through ``zip`` without a Python object per row. Pickling lists
    of ints and strings is several times cheaper than pickling one dataclass per segment.
    Segment texts are not among the columns: cutting them from the document text where they
    are stored is cheaper than pickling them.
    """

    ordinals: list[int]
    speakers: list[str | None]
    roles: list[Role | None]
    start_chars: list[int]
    end_chars: list[int]
    start_times: list[float | None]
    end_times: list[float | None]

    @classmethod
    def from_segments(cls, segments: Sequence[Segment]) -> SegmentColumns:
        return cls(
            [segment.ordinal for segment in segments],
            [segment.speaker for segment in segments],
            [segment.role for segment in segments],
            [segment.start_char for segment in segments],
            [segment.end_char for segment in segments],
            [segment.start_time for segment in segments],
            [segment.end_time for segment in segments],
        )

    def rows(self, document_id: int, text: str) -> Iterator[tuple[Any, ...]]:
        """Rows for ``INSERT INTO segments (document_id, ordinal, speaker, role, start_char,
        end_char, start_time, end_time, text)``, each segment's text cut from ``text``."""
        texts = map(text.__getitem__, map(slice, self.start_chars, self.end_chars))
        return zip(
            itertools.repeat(document_id), self.ordinals, self.speakers, self.roles,
            self.start_chars, self.end_chars, self.start_times, self.end_times, texts,
        )  # fmt: skip

    def __len__(self) -> int:
        return len(self.ordinals)

    def __iter__(self) -> Iterator[Segment]:
        return map(
            Segment, self.ordinals, self.start_chars, self.end_chars, self.speakers,
            self.roles, self.start_times, self.end_times,
        )  # fmt: skip

    @overload
    def __getitem__(self, index: int) -> Segment: ...
    @overload
    def __getitem__(self, index: slice) -> list[Segment]: ...
    def __getitem__(self, index: int | slice) -> Segment | list[Segment]:
        if isinstance(index, slice):
            return [self[position] for position in range(*index.indices(len(self)))]
        return Segment(
            self.ordinals[index], self.start_chars[index], self.end_chars[index],
            self.speakers[index], self.roles[index], self.start_times[index],
            self.end_times[index],
        )  # fmt: skip


@dataclass
class StoreResult:
    status: StoreStatus
    document_id: int
    case_name: str
    message: str = ""


def store_document(
    project: Project,
    document: PreparedDocument,
    *,
    case_name: str,
    case_attributes: Mapping[str, AttributeValue] | None = None,
    replace: bool = False,
) -> StoreResult:
    """Write ``document`` and its segments in one transaction, or skip it if already there.

    Same content (by hash) under any name: skipped, though ``case_attributes`` are still set
    on the existing document's case (in the same transaction). Same name with different content:
    :class:`ConflictError` unless ``replace``, which swaps the old document for the new one in
    the same transaction.
    """
    from qualcode.store.journal import journaled, set_summary

    with journaled(project, "import", f"import {document.name}") as conn:
        result = store_document_in_transaction(
            conn, document, case_name=case_name, case_attributes=case_attributes, replace=replace
        )
        if result.status != "skipped":
            segments = _count(len(document.segment_columns), "segment")
            set_summary(
                conn,
                f"import {document.name} ({segments})"
                if result.status == "added"
                else f"import {document.name} ({segments}), {result.message}",
            )
    return result


def store_document_in_transaction(
    conn: sqlite3.Connection,
    document: PreparedDocument,
    *,
    case_name: str,
    case_attributes: Mapping[str, AttributeValue] | None = None,
    replace: bool = False,
) -> StoreResult:
    """:func:`store_document` inside the caller's journaled transaction (a whole project
    import): the document's insertion (and a replaced document's removal) is recorded in the
    caller's journal entry, so undoing that entry takes the document out again."""
    from qualcode.store.cases import ensure_case, write_attributes
    from qualcode.store.journal import record_document_added, record_document_removed

    digest = document.content_hash
    same_content = conn.execute(
        "SELECT d.document_id, d.name, c.name, c.case_id FROM documents d "
        "JOIN cases c ON c.case_id = d.case_id WHERE d.content_hash = ?",
        (digest,),
    ).fetchone()
    if same_content is not None:
        document_id, existing_name, existing_case, existing_case_id = same_content
        note = (
            "already imported"
            if existing_name == document.name
            else (f"same content as {existing_name!r}, already imported")
        )
        if case_attributes:
            # The file is already here, but the attributes given with it are still news.
            write_attributes(conn, int(existing_case_id), case_attributes)
            note += f"; attributes set on case {existing_case!r}"
        return StoreResult("skipped", int(document_id), str(existing_case), note)
    same_document = _same_document(conn, document)
    status: StoreStatus = "added"
    note = ""
    if same_document is not None:
        old_id, old_name, old_segments = same_document
        if not replace:
            raise ConflictError(
                f"{document.source_path}: a different document named {old_name!r} is "
                "already in the project; use --replace to replace it"
            )
        _refuse_if_coded(conn, old_id, document)
        record_document_removed(conn, old_id)
        _delete_document(conn, old_id)
        status = "replaced"
        note = f"replaced document {old_name!r} (id {old_id}, {_count(old_segments, 'segment')})"
    case_id = ensure_case(conn, case_name)
    if case_attributes:
        write_attributes(conn, case_id, case_attributes)
    document_id = _insert_document(conn, document, case_id, digest)
    record_document_added(conn, document_id)
    return StoreResult(status, document_id, case_name, note)


def _same_document(
    conn: sqlite3.Connection, document: PreparedDocument
) -> tuple[int, str, int] | None:
    """The stored document that ``document`` is a new version of: ``(id, name, segments)``.

    The one with the same name; failing that, the one imported from the same file path (a
    project an older qualcode made names documents from sub-folders by file name alone, and
    a file may be named directly after its folder was imported). Documents from different
    files with the same file name have different names and are never confused.

    The path lookup runs only when some stored name could name the same file: ``source_path``
    has no index and is stored after the text, so scanning it reads every document's whole
    text (at 500 documents of 2,000 turns, most of a 1,000,000-segment import's time).
    """
    if not _has_name_of_same_file(conn, document.name):
        return None
    for column, value in (("name", document.name), ("source_path", document.source_path)):
        row = conn.execute(
            f"SELECT d.document_id, d.name, (SELECT count(*) FROM segments s "
            f"WHERE s.document_id = d.document_id) FROM documents d WHERE d.{column} = ? "
            "ORDER BY d.document_id LIMIT 2",
            (value,),
        ).fetchall()
        if len(row) == 1 and _same_file_name(str(row[0][1]), document.name):
            return int(row[0][0]), str(row[0][1]), int(row[0][2])
        if row:
            break
    return None


def _has_name_of_same_file(conn: sqlite3.Connection, name: str) -> bool:
    """Whether a stored document's name passes :func:`_same_file_name` with ``name``.

    Reads only the unique index on names (never a document's text): ``name`` itself or one
    of its trailing paths (``int01.txt`` for ``A/int01.txt``), or a name that ends in
    ``/`` + ``name``.
    """
    parts = name.split("/")
    exact = ["/".join(parts[start:]) for start in range(len(parts))]
    placeholders = ", ".join("?" for _ in exact)
    suffix = "/" + name
    row = conn.execute(
        f"SELECT 1 FROM documents WHERE name IN ({placeholders}) OR substr(name, -?) = ? LIMIT 1",
        (*exact, len(suffix), suffix),
    ).fetchone()
    return row is not None


def _same_file_name(stored: str, new: str) -> bool:
    """Whether two document names can name one file: equal, or one the other's path inside a
    folder (``A/int01.txt`` and ``int01.txt``). Documents that merely share a source path
    (generated or foreign sources) but are named differently are different documents."""
    return stored == new or stored.endswith("/" + new) or new.endswith("/" + stored)


def _insert_document(
    conn: sqlite3.Connection, document: PreparedDocument, case_id: int, digest: str
) -> int:
    cursor = conn.execute(
        "INSERT INTO documents (name, case_id, content_hash, text, encoding, language, "
        "source_format, source_path, unit, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            document.name, case_id, digest, document.text, document.encoding,
            document.language, document.source_format, document.source_path,
            document.unit, now_utc(),
        ),
    )  # fmt: skip
    document_id = int(cursor.lastrowid or 0)
    conn.executemany(
        "INSERT INTO segments (document_id, ordinal, speaker, role, start_char, end_char, "
        "start_time, end_time, text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        document.segment_columns.rows(document_id, document.text),
    )
    return document_id


def _refuse_if_coded(
    conn: sqlite3.Connection, document_id: int, document: PreparedDocument
) -> None:
    """Replacing a coded or annotated document would silently drop that work: refuse instead.

    Counted: codings and suggestions of its segments, memos on its segments (they point at
    segment ids the replacement deletes) and memos on the document itself (written about the
    text being replaced).
    """
    codings, suggestions, memos = conn.execute(
        """
        SELECT
            (SELECT count(*) FROM codings c JOIN segments s ON s.segment_id = c.segment_id
             WHERE s.document_id = :document_id),
            (SELECT count(*) FROM suggestions g JOIN segments s ON s.segment_id = g.segment_id
             WHERE s.document_id = :document_id),
            (SELECT count(*) FROM memos m WHERE
                (m.target_kind = 'segment' AND m.target IN (
                    SELECT CAST(segment_id AS TEXT) FROM segments
                    WHERE document_id = :document_id))
                OR (m.target_kind = 'document' AND m.target = :name))
        """,
        {"document_id": document_id, "name": document.name},
    ).fetchone()
    counts = [
        _count(number, noun)
        for number, noun in ((codings, "coding"), (suggestions, "suggestion"), (memos, "memo"))
        if number
    ]
    if counts:
        listed = counts[0] if len(counts) == 1 else f"{', '.join(counts[:-1])} and {counts[-1]}"
        raise ConflictError(
            f"{document.source_path}: {document.name!r} has {listed}; replacing it would lose "
            "them (import the new version under another name)"
        )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _delete_document(conn: sqlite3.Connection, document_id: int) -> None:
    """Remove a document, its segments and their search-index entries."""
    from qualcode.store.search import forget_segments

    forget_segments(conn, document_id)
    conn.execute("DELETE FROM segments WHERE document_id = ?", (document_id,))
    conn.execute("DELETE FROM documents WHERE document_id = ?", (document_id,))


def list_documents(project: Project) -> list[DocumentListing]:
    """One row per document with its case, language, format and segment count."""
    rows = project.conn.execute(
        """
        SELECT d.document_id, d.name AS document, c.name AS case_name, d.language,
            d.encoding, d.source_format, d.unit,
            (SELECT count(*) FROM segments s WHERE s.document_id = d.document_id) AS segments,
            length(d.text) AS characters, d.content_hash, d.imported_at
        FROM documents d JOIN cases c ON c.case_id = d.case_id
        ORDER BY d.document_id
        """
    ).fetchall()
    return [typed_row(row, DocumentListing) for row in rows]


def get_document(project: Project, name: str) -> DocumentRecord:
    """A document's fields and its full stored ``text``; :class:`NotFoundError` if unknown."""
    row = project.conn.execute(
        """
        SELECT d.document_id, d.name AS document, c.name AS case_name, d.content_hash,
            d.encoding, d.language, d.source_format, d.source_path, d.unit, d.imported_at,
            d.text
        FROM documents d JOIN cases c ON c.case_id = d.case_id WHERE d.name = ?
        """,
        (name,),
    ).fetchone()
    if row is None:
        from qualcode.store.names import known_names, not_found

        raise not_found(
            "document", name, known_names(project.conn, "document"), "qualcode docs list"
        )
    return typed_row(row, DocumentRecord)


@dataclass
class SegmentFilter:
    """Filters of ``qualcode segments``; ``None`` means no filter."""

    document: str | None = None
    case_name: str | None = None
    speaker: str | None = None
    role: str | None = None
    code: str | None = None
    limit: int | None = None


def require_named(conn: sqlite3.Connection, table: str, name: str, what: str, listing: str) -> None:
    """Raise :class:`NotFoundError` unless ``table`` has a row named ``name``, with a hint."""
    if conn.execute(f"SELECT 1 FROM {table} WHERE name = ?", (name,)).fetchone() is not None:
        return
    from qualcode.store.names import not_found

    known = [str(row[0]) for row in conn.execute(f"SELECT name FROM {table}")]
    raise not_found(what, name, known, listing)


def coded_with_clause(segment_id_column: str) -> str:
    """SQL that holds when the segment has a current coding of a code or of a sub-code of it
    (``--code grid`` finds ``grid.checkpoints`` codings); its parameters come from
    :func:`coded_with_parameters`."""
    return (
        f"EXISTS (SELECT 1 FROM codings c WHERE c.segment_id = {segment_id_column} "
        "AND c.superseded_by_run IS NULL AND (c.code_id = ? OR c.code_id LIKE ? ESCAPE '\\'))"
    )


def coded_with_parameters(code: str) -> list[str]:
    return [code, code.replace("_", "\\_") + ".%"]


def iter_segments(project: Project, filters: SegmentFilter) -> Iterator[SegmentRow]:
    """Rows of ``segments_view`` matching ``filters``, in document and segment order.

    A document, case or code that does not exist is an error (with the closest name
    suggested), not an empty listing: a typo must not look like "no segments".
    """
    from qualcode.store.codebooks import require_code

    conn = project.conn
    if filters.document is not None:
        require_named(conn, "documents", filters.document, "document", "qualcode docs list")
    if filters.case_name is not None:
        require_named(conn, "cases", filters.case_name, "case", "qualcode cases list")
    if filters.code is not None:
        require_code(conn, filters.code)
    from qualcode.store.names import require_name

    if filters.speaker is not None:
        require_name(conn, "speaker", filters.speaker)
    if filters.role is not None:
        require_name(conn, "role", filters.role)
    clauses: list[str] = []
    parameters: list[Any] = []
    for column, value in (
        ("document", filters.document),
        ("case_name", filters.case_name),
        ("speaker", filters.speaker),
        ("role", filters.role),
    ):
        if value is not None:
            clauses.append(f"{column} = ?")
            parameters.append(value)
    if filters.code is not None:
        clauses.append(coded_with_clause("segments_view.segment_id"))
        parameters += coded_with_parameters(filters.code)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    limit = ""
    if filters.limit is not None:
        limit = "LIMIT ?"
        parameters.append(filters.limit)
    sql = (
        f"SELECT {', '.join(SEGMENT_FIELDS)} FROM segments_view {where} ORDER BY segment_id {limit}"
    )
    for row in project.conn.execute(sql, parameters):
        yield typed_row(row, SegmentRow)
