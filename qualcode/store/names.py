"""One resolver for the names a user types: coders, cases, codes, documents, speakers, roles and
case attributes.

A name that matches nothing is a :class:`~qualcode.errors.NotFoundError` naming what was not
found and the closest known names (compared without case, so ``chaiji`` finds ``Chaiji``), never
an empty table or listing that looks like a finding. Every command that takes a name asks
:func:`require_name` (or :func:`require_code` for code ids) before it reads or writes anything.
"""

from __future__ import annotations

import difflib
import sqlite3
from collections.abc import Iterable, Sequence
from typing import Literal

from qualcode.errors import NotFoundError

NameKind = Literal["coder", "case", "document", "speaker", "role", "attribute"]

#: Per kind: the SELECT listing every name, the SELECT finding one (fast, by index where there
#: is one), and the command that lists them.
_SOURCES: dict[NameKind, tuple[str, str, str]] = {
    "coder": (
        "SELECT DISTINCT coder FROM codings WHERE superseded_by_run IS NULL ORDER BY coder",
        "SELECT 1 FROM codings WHERE coder = ? AND superseded_by_run IS NULL LIMIT 1",
        "",
    ),
    "case": (
        "SELECT name FROM cases ORDER BY case_id",
        "SELECT 1 FROM cases WHERE name = ?",
        "qualcode cases list",
    ),
    "document": (
        "SELECT name FROM documents ORDER BY document_id",
        "SELECT 1 FROM documents WHERE name = ?",
        "qualcode docs list",
    ),
    "speaker": (
        "SELECT DISTINCT speaker FROM segments WHERE speaker IS NOT NULL ORDER BY speaker",
        "SELECT 1 FROM segments WHERE speaker = ? LIMIT 1",
        "qualcode segments",
    ),
    "role": (
        "SELECT DISTINCT role FROM segments WHERE role IS NOT NULL ORDER BY role",
        "SELECT 1 FROM segments WHERE role = ? LIMIT 1",
        "qualcode segments",
    ),
    "attribute": (
        "SELECT name FROM case_attributes GROUP BY name ORDER BY min(rowid)",
        "SELECT 1 FROM case_attributes WHERE name = ? LIMIT 1",
        "qualcode cases list",
    ),
}
#: Words for each kind in messages ("no case named 'x'").
_WORDS: dict[NameKind, str] = {"attribute": "case attribute", "case": "case named"}


def known_names(conn: sqlite3.Connection, kind: NameKind) -> list[str]:
    """Every name of ``kind`` the project has (coders: those with current codings)."""
    sql = _SOURCES[kind][0]
    return [str(row[0]) for row in conn.execute(sql)]


def closest(value: str, known: Iterable[str], count: int = 1) -> list[str]:
    """Up to ``count`` known names closest to ``value``, compared without case."""
    by_folded: dict[str, str] = {}
    for name in known:
        by_folded.setdefault(name.casefold(), name)
    folded = value.casefold()
    if folded in by_folded:
        return [by_folded[folded]]
    matches = difflib.get_close_matches(folded, list(by_folded), n=count)
    return [by_folded[match] for match in matches]


def not_found(
    kind: str, value: str, known: Sequence[str], listing: str, where: str = ""
) -> NotFoundError:
    """The error for a name of ``kind`` that matches nothing: the closest known names, else
    the command that lists them (``listing``), else (no such command) the names themselves."""
    close = closest(value, known)
    if close:
        hint = "; did you mean " + " or ".join(f"'{name}'" for name in close) + "?"
    elif listing:
        hint = f" (see '{listing}')"
    else:
        hint = f" (known: {', '.join(known) or 'none'})"
    return NotFoundError(f"no {kind} '{value}'{where}{hint}")


def require_name(conn: sqlite3.Connection, kind: NameKind, value: str) -> str:
    """``value`` if the project has a name of ``kind`` spelled exactly so, else NotFoundError."""
    _, exists, listing = _SOURCES[kind]
    if conn.execute(exists, (value,)).fetchone() is not None:
        return value
    raise not_found(_WORDS.get(kind, kind), value, known_names(conn, kind), listing)


def require_names(conn: sqlite3.Connection, kind: NameKind, values: Iterable[str]) -> list[str]:
    """:func:`require_name` for each of ``values`` (the first unknown one raises)."""
    return [require_name(conn, kind, value) for value in values]
