"""Codebooks inside a project: versions, the current codes, rename, merge and move.

Loading a codebook file stores it as a new version when its content hash is new, updates the
``codes`` table (codes whose ids survive keep their codings) and marks codes the file no longer
has as inactive, never deleting codings. ``rename``/``move``/``merge`` change the project's
codebook in place; ``qualcode codebook export`` writes it back out as a file.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualcode.errors import ConflictError, NotFoundError, UsageError
from qualcode.models import CodeRules, Proximity
from qualcode.store.journal import journaled
from qualcode.store.project import Project, now_utc
from qualcode.store.rows import CodebookVersionRow, CodeRow, typed_row

if TYPE_CHECKING:
    # Imported where used: reading YAML costs start-up time that 'code' and 'segments' skip.
    from qualcode.codebook.files import CodebookFormat
    from qualcode.codebook.model import Code, Codebook


@dataclass
class LoadReport:
    """What loading a codebook file changed."""

    path: str
    version_id: int
    new_version: bool
    codes: int
    added: list[str]
    changed: list[str]
    retired: list[str]


def load_into_project(
    project: Project, path: Path, codebook_format: CodebookFormat | None = None
) -> LoadReport:
    """Validate ``path`` and make it the project's current codebook (one transaction).

    ``codebook_format`` names the file's format (see
    :func:`~qualcode.codebook.files.load_codebook`); by default the file tells. A REFI-QDA
    ``.qdc`` has no keyword rules: codes whose ids the project's codebook already has keep
    their rules (:func:`qualcode.codebook.qdc.read_qdc`).
    """
    from qualcode.codebook.files import load_codebook

    if path.suffix.lower() == ".qdc" and codebook_format is None:
        from qualcode.codebook.qdc import read_qdc

        existing = current_codebook(project) if has_codebook(project) else None
        codebook = read_qdc(path, existing)
    else:
        codebook = load_codebook(path, codebook_format)
    with journaled(project, "codebook-load", f"load codebook {codebook.name} from {path}") as conn:
        return store_codebook(conn, codebook, str(path))


def store_codebook(conn: sqlite3.Connection, codebook: Codebook, source_path: str) -> LoadReport:
    """Make ``codebook`` the project's current codebook inside the caller's transaction: a new
    version when it differs from the latest one (see :func:`load_into_project`)."""
    from qualcode.codebook.files import codebook_to_yaml

    latest = conn.execute(
        "SELECT version_id, content_hash FROM codebook_versions ORDER BY version_id DESC LIMIT 1"
    ).fetchone()
    if (
        latest is not None
        and latest["content_hash"] == codebook.content_hash
        and (_active_ids(conn) == [code.code_id for code in codebook])
    ):
        return LoadReport(source_path, int(latest["version_id"]), False, len(codebook), [], [], [])
    cursor = conn.execute(
        "INSERT INTO codebook_versions (name, version_label, content_hash, source_path, "
        "codebook_yaml, loaded_at) VALUES (?, ?, ?, ?, ?, ?)",
        (codebook.name, codebook.version_label, codebook.content_hash, source_path,
         codebook_to_yaml(codebook), now_utc()),
    )  # fmt: skip
    version_id = int(cursor.lastrowid or 0)
    added, changed, retired = _write_codes(conn, codebook, version_id)
    return LoadReport(source_path, version_id, True, len(codebook), added, changed, retired)


def _active_ids(conn: sqlite3.Connection) -> list[str]:
    return [
        row[0] for row in conn.execute("SELECT code_id FROM codes WHERE active ORDER BY ordinal")
    ]


def _code_row(code: Code, version_id: int) -> dict[str, Any]:
    return {
        "code_id": code.code_id,
        "parent_id": code.parent_id,
        "theme_id": code.code_id.partition(".")[0],
        "name_zh": code.name_zh,
        "name_en": code.name_en,
        "description_zh": code.description_zh,
        "description_en": code.description_en,
        "color": code.color,
        "depth": code.depth,
        "ordinal": code.order,
        "rules": json.dumps(_rules_json(code.rules), ensure_ascii=False, sort_keys=True),
        "version_id": version_id,
    }


def _rules_json(rules: CodeRules) -> dict[str, Any]:
    """The stored JSON of a code's rules; ``prefixes`` only when there are any, so the rules
    of codes stored before prefixes existed compare equal to the same rules read again."""
    data = asdict(rules)
    data.pop("code_id")
    if not data["prefixes"]:
        del data["prefixes"]
    if not rules.proximity:
        # Left out when empty, so codes stored before proximity rules existed compare equal.
        data.pop("proximity")
    else:
        data["proximity"] = [
            {"kind": rule.kind, "terms": list(rule.terms), "within": rule.within}
            for rule in rules.proximity
        ]
    return {key: list(value) if isinstance(value, tuple) else value for key, value in data.items()}


_COMPARED = ("parent_id", "name_zh", "name_en", "description_zh", "description_en", "color",
             "rules")  # fmt: skip


def _write_codes(
    conn: sqlite3.Connection, codebook: Codebook, version_id: int
) -> tuple[list[str], list[str], list[str]]:
    existing = {row["code_id"]: dict(row) for row in conn.execute("SELECT * FROM codes")}
    added, changed = [], []
    conn.execute("UPDATE codes SET active = 0")
    for code in codebook:  # tree order: parents before children
        row = _code_row(code, version_id)
        old = existing.get(code.code_id)
        if old is None:
            added.append(code.code_id)
        elif any(old[name] != row[name] for name in _COMPARED):
            changed.append(code.code_id)
        columns = ", ".join(row)
        placeholders = ", ".join(f":{name}" for name in row)
        updates = ", ".join(f"{name} = excluded.{name}" for name in row if name != "code_id")
        conn.execute(
            f"INSERT INTO codes ({columns}, active) VALUES ({placeholders}, 1) "
            f"ON CONFLICT (code_id) DO UPDATE SET {updates}, active = 1",
            row,
        )
    new_ids = {code.code_id for code in codebook}
    retired = [
        code_id for code_id, old in existing.items() if old["active"] and code_id not in new_ids
    ]
    return added, changed, retired


def has_codebook(project: Project) -> bool:
    return project.conn.execute("SELECT 1 FROM codes WHERE active LIMIT 1").fetchone() is not None


def current_codebook(project: Project) -> Codebook:
    """The project's codebook as it stands now (after any rename/merge/move)."""
    from qualcode.codebook.model import Code, Codebook

    conn = project.conn
    version = conn.execute(
        "SELECT name, version_label FROM codebook_versions ORDER BY version_id DESC LIMIT 1"
    ).fetchone()
    if version is None:
        raise NotFoundError(
            "the project has no codebook: load one with 'qualcode codebook load FILE'"
        )
    codes = tuple(
        Code(
            code_id=row["code_id"],
            parent_id=row["parent_id"],
            name_zh=row["name_zh"],
            name_en=row["name_en"],
            description_zh=row["description_zh"],
            description_en=row["description_en"],
            rules=_rules_from_json(row["code_id"], row["rules"]),
            depth=row["depth"],
            order=row["ordinal"],
            color=row["color"],
        )
        for row in conn.execute("SELECT * FROM codes WHERE active ORDER BY ordinal")
    )
    return Codebook(
        name=version["name"], version_label=version["version_label"], language=None,
        description_zh=None, description_en=None, codes=codes,
    )  # fmt: skip


def _rules_from_json(code_id: str, text: str) -> CodeRules:
    data = json.loads(text)
    return CodeRules(
        code_id=code_id,
        keywords=tuple(data.get("keywords", ())),
        exclude=tuple(data.get("exclude", ())),
        patterns=tuple(data.get("patterns", ())),
        lemmas=tuple(data.get("lemmas", ())),
        scope=data.get("scope", "respondent"),
        prefixes=tuple(data.get("prefixes", ())),
        proximity=tuple(
            Proximity(rule["kind"], tuple(rule["terms"]), rule["within"])
            for rule in data.get("proximity", ())
        ),
    )


def current_version_id(project: Project) -> int:
    row = project.conn.execute("SELECT max(version_id) FROM codebook_versions").fetchone()
    if row[0] is None:
        raise NotFoundError(
            "the project has no codebook: load one with 'qualcode codebook load FILE'"
        )
    return int(row[0])


def require_code(conn: sqlite3.Connection, code_id: str) -> None:
    """Raise :class:`NotFoundError` unless ``code_id`` is an active code, with a suggestion."""
    row = conn.execute("SELECT active FROM codes WHERE code_id = ?", (code_id,)).fetchone()
    if row is not None and row[0]:
        return
    from qualcode.store.names import not_found

    raise not_found(
        "code", code_id, _active_ids(conn), "qualcode codebook show", " in the project's codebook"
    )


def list_versions(project: Project) -> list[CodebookVersionRow]:
    """Every codebook version loaded into the project, oldest first."""
    rows = project.conn.execute(
        "SELECT version_id, name, version_label, content_hash, source_path, loaded_at "
        "FROM codebook_versions ORDER BY version_id"
    )
    return [typed_row(row, CodebookVersionRow) for row in rows]


def code_rows(project: Project) -> list[CodeRow]:
    """The current codes in tree order with their coding counts, for ``codebook show``."""
    rows = project.conn.execute(
        """
        SELECT k.code_id, k.parent_id, k.theme_id, k.depth, k.name_zh, k.name_en,
            json_array_length(k.rules, '$.keywords')
                + coalesce(json_array_length(k.rules, '$.prefixes'), 0) AS keywords,
            (SELECT count(*) FROM codings c WHERE c.code_id = k.code_id
                AND c.superseded_by_run IS NULL AND c.origin = 'manual') AS manual,
            (SELECT count(*) FROM codings c WHERE c.code_id = k.code_id
                AND c.superseded_by_run IS NULL AND c.origin = 'auto') AS auto
        FROM codes k WHERE k.active ORDER BY k.ordinal
        """
    )
    return [typed_row(row, CodeRow) for row in rows]


def _subtree(conn: sqlite3.Connection, code_id: str) -> list[str]:
    return [
        row[0]
        for row in conn.execute(
            "SELECT code_id FROM codes WHERE code_id = ? OR code_id LIKE ? ESCAPE '\\' "
            "ORDER BY depth",
            (code_id, code_id.replace("_", "\\_") + ".%"),
        )
    ]


def relocate_code(project: Project, old_id: str, new_id: str) -> list[str]:
    """Give code ``old_id`` (and its sub-codes) the id ``new_id``; codings follow.

    This is both rename (``grid.checkpoints`` -> ``grid.bayonets``) and move (``grid.x`` ->
    ``resources.x``): the new parent must exist. Returns the ids as they are now.
    """
    import re

    if not all(re.fullmatch(r"[a-z0-9_]+", part) for part in new_id.split(".")):
        raise UsageError(f"bad code id '{new_id}': use [a-z0-9_] slugs joined by dots")
    with journaled(project, "codebook-rename", f"rename code {old_id} to {new_id}") as conn:
        require_code(conn, old_id)
        if new_id == old_id or new_id.startswith(old_id + "."):
            raise UsageError(f"cannot move '{old_id}' to '{new_id}' (inside itself)")
        if conn.execute("SELECT 1 FROM codes WHERE code_id = ?", (new_id,)).fetchone():
            raise ConflictError(
                f"code '{new_id}' already exists: use 'qualcode codebook merge {old_id} {new_id}'"
            )
        new_parent = new_id.rpartition(".")[0] or None
        if new_parent is not None:
            require_code(conn, new_parent)
        parent_depth = (
            -1
            if new_parent is None
            else conn.execute(
                "SELECT depth FROM codes WHERE code_id = ?", (new_parent,)
            ).fetchone()[0]
        )
        old_depth = conn.execute("SELECT depth FROM codes WHERE code_id = ?", (old_id,)).fetchone()[
            0
        ]
        moved = []
        for code_id in _subtree(conn, old_id):
            renamed = new_id + code_id[len(old_id) :]
            conn.execute(
                "UPDATE codes SET code_id = ?, theme_id = ?, depth = depth + ? WHERE code_id = ?",
                (renamed, renamed.partition(".")[0], parent_depth + 1 - old_depth, code_id),
            )
            conn.execute(
                "UPDATE memos SET target = ? WHERE target_kind = 'code' AND target = ?",
                (renamed, code_id),
            )
            moved.append(renamed)
        conn.execute("UPDATE codes SET parent_id = ? WHERE code_id = ?", (new_parent, new_id))
    return moved


@dataclass(frozen=True)
class MergeReport:
    """What :func:`merge_codes` did: codings moved, and duplicates dropped instead of moved."""

    moved: int
    duplicates: int


def merge_codes(project: Project, source_id: str, target_id: str) -> MergeReport:
    """Move every coding of ``source_id`` onto ``target_id`` and retire ``source_id``.

    A manual coding the target already has (same segment, coder and span) is not duplicated:
    the source's copy is dropped and counted in ``duplicates``.
    """
    with journaled(project, "codebook-merge", f"merge code {source_id} into {target_id}") as conn:
        require_code(conn, source_id)
        require_code(conn, target_id)
        if source_id == target_id:
            raise UsageError("cannot merge a code into itself")
        children = conn.execute(
            "SELECT count(*) FROM codes WHERE parent_id = ? AND active", (source_id,)
        ).fetchone()[0]
        if children:
            raise ConflictError(
                f"code '{source_id}' has {children} sub-codes: merge or move them first"
            )
        duplicates = conn.execute(
            """
            DELETE FROM codings WHERE code_id = ? AND origin = 'manual' AND EXISTS (
                SELECT 1 FROM codings t WHERE t.code_id = ? AND t.origin = 'manual'
                AND t.segment_id = codings.segment_id AND t.coder = codings.coder
                AND t.start_char = codings.start_char AND t.end_char = codings.end_char)
            """,
            (source_id, target_id),
        ).rowcount
        moved = conn.execute(
            "UPDATE codings SET code_id = ? WHERE code_id = ?", (target_id, source_id)
        ).rowcount
        conn.execute("UPDATE suggestions SET code_id = ? WHERE code_id = ?", (target_id, source_id))
        conn.execute("UPDATE codes SET active = 0 WHERE code_id = ?", (source_id,))
    return MergeReport(moved=int(moved), duplicates=int(duplicates))
