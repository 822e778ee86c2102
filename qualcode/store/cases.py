"""Cases (communities, in the reference study) and their attributes.

A document belongs to one case. Attributes (district, community type, respondent role, years
in post ...) are typed where obvious: ``14`` is stored as an integer, ``3.5`` as a real, the
rest as text, so that matrices can group by them and sort them sensibly.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qualcode.errors import InputError, NotFoundError, UsageError
from qualcode.store.project import Project, now_utc
from qualcode.text.csv_tables import (
    CASE_COLUMNS,
    FILE_COLUMNS,
    find_case_table_column,
    read_csv_table,
)

AttributeValue = int | float | str


#: Integers as people write them: no leading zero (``007``, ``0510`` are codes, kept as text),
#: no digit separators, no exponent.
_INTEGER = re.compile(r"[+-]?(?:0|[1-9][0-9]*)")
#: Plain decimals (``3.5``, ``-0.25``); ``inf``, ``nan``, ``1e3`` and ``1_000.5`` stay text.
_DECIMAL = re.compile(r"[+-]?(?:0|[1-9][0-9]*)\.[0-9]+")


def typed_value(raw: str) -> AttributeValue:
    """``"14"`` -> 14, ``"3.5"`` -> 3.5, anything else stays text (stripped).

    Only plain numbers are converted, so that nothing is lost: a phone area code ``0510``, an
    id ``007`` or ``-infinity`` keep their text.
    """
    text = raw.strip()
    if _INTEGER.fullmatch(text):
        return int(text)
    if _DECIMAL.fullmatch(text):
        return float(text)
    return text


def parse_attribute(option: str) -> tuple[str, AttributeValue]:
    """Parse one ``key=value`` option into a typed pair."""
    key, separator, value = option.partition("=")
    if not separator or not key.strip():
        raise UsageError(f"attribute {option!r} is not in the form key=value")
    return key.strip(), typed_value(value)


def ensure_case(conn: sqlite3.Connection, name: str) -> int:
    """Return the id of case ``name``, creating it if needed (inside the caller's transaction)."""
    row = conn.execute("SELECT case_id FROM cases WHERE name = ?", (name,)).fetchone()
    if row is not None:
        return int(row[0])
    cursor = conn.execute("INSERT INTO cases (name, created_at) VALUES (?, ?)", (name, now_utc()))
    return int(cursor.lastrowid or 0)


def write_attributes(
    conn: sqlite3.Connection, case_id: int, attributes: Mapping[str, AttributeValue]
) -> None:
    """Set (insert or overwrite) attributes of a case, inside the caller's transaction."""
    conn.executemany(
        "INSERT INTO case_attributes (case_id, name, value) VALUES (?, ?, ?) "
        "ON CONFLICT (case_id, name) DO UPDATE SET value = excluded.value",
        [(case_id, key, value) for key, value in attributes.items()],
    )


def set_case_attributes(
    project: Project, case_name: str, attributes: Mapping[str, AttributeValue]
) -> None:
    """Set attributes of an existing case; unknown case is an error (typos create nothing)."""
    with project.transaction() as conn:
        row = conn.execute("SELECT case_id FROM cases WHERE name = ?", (case_name,)).fetchone()
        if row is None:
            raise NotFoundError(f"no case named {case_name!r} (see 'qualcode cases list')")
        write_attributes(conn, int(row[0]), attributes)


def case_for_file(conn: sqlite3.Connection, file_name: str) -> str | None:
    """The case a cases CSV assigned to ``file_name``, if any."""
    row = conn.execute(
        "SELECT c.name FROM case_files f JOIN cases c ON c.case_id = f.case_id "
        "WHERE f.file_name = ?",
        (file_name,),
    ).fetchone()
    return None if row is None else str(row[0])


@dataclass
class CasesImport:
    """What ``qualcode cases import`` did."""

    path: str
    cases: int
    attributes: int
    files_mapped: int


def import_cases(project: Project, path: Path) -> CasesImport:
    """Create or update cases from a CSV: one row per case, one column per attribute.

    The case column is one of :data:`CASE_COLUMNS`; an optional file column
    (:data:`FILE_COLUMNS`) maps transcript file names to the case for later imports. All rows
    are checked before anything is written, and the whole file is one transaction.
    """
    header, numbered_rows = read_csv_table(path)
    rows = [row for _line, row in numbered_rows]
    case_column = find_case_table_column(header, CASE_COLUMNS)
    if case_column is None:
        raise InputError(
            path,
            f"no case column: expected one of {', '.join(CASE_COLUMNS)}; header is "
            f"{', '.join(header)}",
            line=1,
        )
    file_column = find_case_table_column(header, FILE_COLUMNS)
    attribute_columns = [
        (index, name)
        for index, name in enumerate(header)
        if index not in (case_column, file_column) and name
    ]
    parsed: list[tuple[str, str | None, dict[str, AttributeValue]]] = []
    for line_number, row in enumerate(rows, start=2):
        cells = row + [""] * (len(header) - len(row))
        case_name = cells[case_column].strip()
        if not case_name:
            raise InputError(
                path, f"empty case name in column {header[case_column]!r}", line=line_number
            )
        file_name = cells[file_column].strip() if file_column is not None else ""
        attributes = {
            name: typed_value(cells[index])
            for index, name in attribute_columns
            if cells[index].strip()
        }
        parsed.append((case_name, file_name or None, attributes))
    attribute_count = 0
    with project.transaction() as conn:
        for case_name, mapped_file_name, attributes in parsed:
            case_id = ensure_case(conn, case_name)
            write_attributes(conn, case_id, attributes)
            attribute_count += len(attributes)
            if mapped_file_name:
                conn.execute(
                    "INSERT INTO case_files (file_name, case_id) VALUES (?, ?) "
                    "ON CONFLICT (file_name) DO UPDATE SET case_id = excluded.case_id",
                    (mapped_file_name, case_id),
                )
    return CasesImport(
        path=str(path),
        cases=len({case_name for case_name, _, _ in parsed}),
        attributes=attribute_count,
        files_mapped=sum(1 for _, file_name, _ in parsed if file_name),
    )


def list_cases(project: Project) -> list[dict[str, Any]]:
    """One row per case: name, document and segment counts, then every attribute as a field.

    Every row has every attribute name seen in the project (missing ones are ``None``), so the
    rows form a rectangular table for CSV export.
    """
    conn = project.conn
    rows = conn.execute(
        """
        SELECT c.case_id, c.name AS case_name,
            (SELECT count(*) FROM documents d WHERE d.case_id = c.case_id) AS documents,
            (SELECT count(*) FROM segments s JOIN documents d ON d.document_id = s.document_id
             WHERE d.case_id = c.case_id) AS segments
        FROM cases c ORDER BY c.case_id
        """
    ).fetchall()
    attribute_names = [
        str(row[0])
        for row in conn.execute(
            # Attributes in the order they were first defined (a cases CSV's column order).
            "SELECT name FROM case_attributes GROUP BY name ORDER BY min(rowid)"
        )
    ]
    values: dict[int, dict[str, AttributeValue]] = {}
    for case_id, name, value in conn.execute("SELECT case_id, name, value FROM case_attributes"):
        values.setdefault(int(case_id), {})[str(name)] = value
    result = []
    for row in rows:
        record: dict[str, Any] = {
            "case_name": row["case_name"],
            "documents": row["documents"],
            "segments": row["segments"],
        }
        own = values.get(int(row["case_id"]), {})
        record.update({name: own.get(name) for name in attribute_names})
        result.append(record)
    return result
