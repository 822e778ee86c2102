"""qualcode -> .qdpx -> qualcode gives the same project back.

Compared: documents (name, case, text), the codebook (ids, tree, names and descriptions in both
languages, colours, rules), cases with typed attributes, every current coding (document, code,
coder, origin, rule, span, quote), coding memos and memos on segments, codes and documents.
Segment boundaries are compared where the source was free text; subtitle and turn-table
sources come back as free text (REFI-QDA has no place for cue times and speaker columns).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from qualcode.flows.demo import run_demo
from qualcode.flows.qdpx import export_qdpx, import_qdpx
from qualcode.store import exchange
from qualcode.store.codings import add_memo, code_segment
from qualcode.store.project import Project, now_utc, open_project
from tests.conftest import Cli, prepare_interview, write


def snapshot(project: Project) -> dict[str, list[tuple[Any, ...]]]:
    conn = project.conn

    def query(sql: str) -> list[tuple[Any, ...]]:
        return sorted(tuple(row) for row in conn.execute(sql))

    return {
        "documents": query(
            "SELECT d.name, k.name, d.text, d.language, d.unit FROM documents d "
            "JOIN cases k ON k.case_id = d.case_id"
        ),
        "codes": query(
            "SELECT code_id, parent_id, theme_id, name_zh, name_en, description_zh, "
            "description_en, color, depth, ordinal, rules FROM codes WHERE active"
        ),
        "attributes": query(
            "SELECT c.name, a.name, a.value, typeof(a.value) FROM cases c "
            "LEFT JOIN case_attributes a ON a.case_id = c.case_id"
        ),
        "codings": query(
            "SELECT v.document, v.code, v.coder, v.origin, v.rule, v.start_char, v.end_char, "
            "v.quote, c.memo FROM codings_view v JOIN codings c ON c.coding_id = v.coding_id"
        ),
        "memos": query(
            "SELECT m.target_kind, CASE WHEN m.target_kind = 'segment' THEN (SELECT s.document "
            "|| ':' || s.start_char || '-' || s.end_char FROM segments_view s WHERE "
            "CAST(s.segment_id AS TEXT) = m.target) ELSE m.target END, m.coder, m.text "
            "FROM memos m"
        ),
        "free_text_segments": query(
            "SELECT document, ordinal, speaker, role, start_char, end_char FROM segments_view "
            "WHERE document NOT LIKE '%.vtt' AND document NOT LIKE '%.srt' "
            "AND document NOT LIKE '%.csv'"
        ),
    }


def round_trip(source_db: Path, folder: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    out = folder / "project.qdpx"
    with open_project(source_db) as project:
        export_qdpx(project, out)
        before = snapshot(project)
    with open_project(folder / "back.db", create=True) as project:
        import_qdpx(project, out)
        after = snapshot(project)
    return before, after


@pytest.mark.slow
def test_demo_project_round_trips(tmp_path: Path) -> None:
    report = run_demo(tmp_path / "demo")
    before, after = round_trip(report.db_path, tmp_path)
    assert len(before["codings"]) > 600 and any(row[3] == "auto" for row in before["codings"])
    for part in before:
        assert after[part] == before[part], part


def test_memos_and_coding_memos_round_trip(cli: Cli, project: Project, tmp_path: Path) -> None:
    prepare_interview(cli, tmp_path)
    conn = project.conn
    segment_id = conn.execute("SELECT max(segment_id) FROM segments").fetchone()[0]
    code_id = conn.execute("SELECT code_id FROM codes WHERE parent_id IS NOT NULL").fetchone()[0]
    code_segment(project, segment_id, code_id, coder="mei", memo="why this code")
    add_memo(project, "segment", str(segment_id), "worth quoting", coder="mei")
    add_memo(project, "code", code_id, "boundary with the sibling code", coder="jun")
    add_memo(project, "document", "chaiji.txt", "second interview with her", coder="jun")
    before, after = round_trip(project.path, tmp_path)
    assert len(before["memos"]) == 3
    assert after == before


@pytest.mark.slow
def test_ten_thousand_codings_round_trip(cli: Cli, project: Project, tmp_path: Path) -> None:
    turns = "".join(
        f"采访者：第{number}个问题，网格怎么分？\n书记：我们有{number}个网格员，每天巡查两次，"
        "物资由志愿者配送。 Grid workers patrol twice a day.\n"
        for number in range(1000)
    )
    assert cli("import", str(write(tmp_path / "long.txt", turns))).exit_code == 0
    prepare_interview(cli, tmp_path)
    conn = project.conn
    codes = [row[0] for row in conn.execute("SELECT code_id FROM codes WHERE active")]
    segments = conn.execute(
        "SELECT segment_id, start_char, end_char FROM segments_view WHERE document = 'long.txt' "
        "AND role = 'respondent'"
    ).fetchall()
    rows = []
    for index, (segment_id, start, end) in enumerate(segments):
        for number in range(10):
            span_start = start + number
            rows.append(
                (segment_id, codes[(index + number) % len(codes)], f"coder{number % 3}",
                 span_start, min(end, span_start + 5 + number), None, now_utc())
            )  # fmt: skip
    with project.transaction():
        added = exchange.insert_manual_codings(conn, rows)
    assert added == len(rows) == 10_000
    before, after = round_trip(project.path, tmp_path)
    assert len(before["codings"]) >= 10_000
    assert after == before


def whole_state(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table but the journal's (an undo marks its entry undone)."""
    with open_project(path) as project:
        conn = project.conn
        tables = [
            str(row[0])
            for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'journal%' "
                "AND name NOT LIKE 'sqlite%' AND name NOT LIKE 'segments_fts%'"
            )
        ]
        return {
            table: sorted((tuple(row) for row in conn.execute(f"SELECT * FROM {table}")), key=repr)
            for table in tables
        }


def coded_project(cli: Cli, project: Project, folder: Path) -> None:
    """The mini interview auto-coded, with manual codings, a coding memo and memos: every
    kind of row an export carries."""
    prepare_interview(cli, folder)
    assert cli("autocode").exit_code == 0
    conn = project.conn
    segment_ids = [row[0] for row in conn.execute("SELECT segment_id FROM segments")]
    code_ids = [row[0] for row in conn.execute("SELECT code_id FROM codes WHERE active")]
    for index, segment_id in enumerate(segment_ids):
        code_segment(project, segment_id, code_ids[index % len(code_ids)], coder="mei")
    code_segment(project, segment_ids[0], code_ids[1], coder="jun", memo="why this code")
    add_memo(project, "segment", str(segment_ids[-1]), "worth quoting", coder="mei")
    add_memo(project, "code", code_ids[0], "boundary with the sibling code", coder="jun")


def test_undo_of_an_import_into_a_new_project_leaves_it_empty(
    cli: Cli, project: Project, tmp_path: Path
) -> None:
    """Imported runs, manual codings (with and without memos), memos, documents and cases
    all go with the import's one journal entry."""
    coded_project(cli, project, tmp_path)
    archive = tmp_path / "project.qdpx"
    export_qdpx(project, archive)
    target = Cli(tmp_path / "new.db")
    assert target("init").exit_code == 0
    empty = whole_state(target.db_path)
    triggers = rows_of(target.db_path, TRIGGERS)
    result = target("import", "qdpx", str(archive))
    assert result.exit_code == 0, result.stderr
    # The journal triggers on codings, dropped for the import's transaction, are back as
    # they were, and journal the next coding.
    assert rows_of(target.db_path, TRIGGERS) == triggers
    imported = whole_state(target.db_path)
    assert any(row for row in imported["autocode_runs"]) and imported["memos"]
    assert {row[4] for row in imported["codings"]} == {"manual", "auto"}
    segment_id, code_id = rows_of(
        target.db_path, "SELECT segment_id, code_id FROM codings WHERE origin = 'auto' LIMIT 1"
    )[0]
    assert target("code", str(segment_id), code_id, "--coder", "ola").exit_code == 0
    assert target("undo").exit_code == 0
    assert whole_state(target.db_path) == imported
    result = target("undo")
    assert result.exit_code == 0, result.stderr
    assert whole_state(target.db_path) == empty


def test_undo_of_an_import_into_a_coded_project_restores_it_exactly(
    cli: Cli, project: Project, tmp_path: Path
) -> None:
    """An import that adds codings to documents the project already has, next to codings
    already there, takes back exactly what it added, and a second undo the coding before."""
    coded_project(cli, project, tmp_path)
    archive = tmp_path / "project.qdpx"
    export_qdpx(project, archive)
    target = Cli(tmp_path / "target.db")
    prepare_interview(target, tmp_path / "target")
    segment_id = rows_of(target.db_path, "SELECT min(segment_id) FROM segments")[0][0]
    code_id = rows_of(target.db_path, "SELECT max(code_id) FROM codes")[0][0]
    assert target("code", str(segment_id), code_id, "--coder", "ola").exit_code == 0
    before = whole_state(target.db_path)
    result = target("import", "qdpx", str(archive))
    assert result.exit_code == 0, result.stderr
    assert "1 already present" in result.stderr
    assert len(whole_state(target.db_path)["codings"]) > len(before["codings"])
    result = target("undo")
    assert result.exit_code == 0, result.stderr
    assert whole_state(target.db_path) == before
    assert target("undo").exit_code == 0
    assert rows_of(target.db_path, "SELECT count(*) FROM codings") == [(0,)]


TRIGGERS = "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name"


def rows_of(path: Path, sql: str) -> list[tuple[Any, ...]]:
    with open_project(path) as project:
        return [tuple(row) for row in project.conn.execute(sql)]
